"""A clean trace that dropped small parts is traced again with a finer speckle filter
(shared/tiers/tier1_retries.py, `speckled_params`): VTracer drops every patch under `filter_speckle`²
traced pixels, and with them a flag's sun rays."""

import numpy as np

from shared.candidate import Candidate
from shared.params import ConversionParams, EngineParams
from shared.pipeline import convert
from shared.render import render_svg
from shared.tiers.tier1_retries import FINE_SPECKLE, SPECKS_BELOW, SPECKS_MIN, dropped_specks, speckled_params
from tests.scored import scored_candidate, tier_request


def _ray(angle: float) -> str:
    """A yellow triangle from 38 px out to a 3 px base 30 px out from the centre (128, 128)."""
    corners = [(128 + r * np.cos(angle + w), 128 + r * np.sin(angle + w))
               for r, w in ((38, 0.0), (30, 0.05), (30, -0.05))]
    return '<path d="M' + " L".join(f"{x:.2f} {y:.2f}" for x, y in corners) + 'Z" fill="#ffc20e"/>'


RAYS = "".join(_ray(a) for a in np.linspace(0, 2 * np.pi, 24, endpoint=False))

SUN = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">'
       '<rect x="8" y="40" width="240" height="176" rx="30" fill="#1c75bc"/>'
       '<circle cx="128" cy="128" r="24" fill="#ffc20e"/><rect x="20" y="50" width="14" height="156" '
       f'fill="#e04040"/><circle cx="210" cy="180" r="16" fill="#30a050"/>{RAYS}</svg>')
"""A flag with a sun of 24 rays, 8 px long and 3 px wide at the base (about 12 px² each)."""


def traced(svg: str, ssim: float, speckle: int = 4) -> Candidate:
    params = ConversionParams(engine=EngineParams(mode="polygon", filter_speckle=speckle))
    return scored_candidate(ssim, params, svg, nbytes=500)


def test_the_sun_rays_dropped_by_the_speckle_filter_are_traced_again() -> None:
    """At 1x (the scale fixed: supersampled, `sharper_params`, the rays are drawn anyway) the rays are
    dropped, and traced again with FINE_SPECKLE."""
    rgba = render_svg(SUN, 256, 256)
    plain = convert(rgba, tier=1, overrides={"filter_speckle": 4, "scale": 1.0})
    assert dropped_specks(rgba, plain.svg) >= SPECKS_MIN  # the rays are gone
    result = convert(rgba, tier=1, overrides={"scale": 1.0})
    assert result.params.engine.filter_speckle == FINE_SPECKLE
    assert result.figures.ssim > plain.figures.ssim + 0.004
    assert dropped_specks(rgba, result.svg) < dropped_specks(rgba, plain.svg)


def test_only_a_low_clean_trace_that_dropped_small_parts_is_traced_again() -> None:
    rgba = render_svg(SUN, 256, 256)
    dropped = convert(rgba, tier=1, overrides={"filter_speckle": 4, "scale": 1.0}).svg
    retry = speckled_params(traced(dropped, SPECKS_BELOW - 0.01), tier_request(rgba))
    assert retry is not None and retry.engine.filter_speckle == FINE_SPECKLE
    assert speckled_params(traced(SUN, SPECKS_BELOW - 0.01), tier_request(rgba)) is None  # nothing dropped
    assert speckled_params(traced(dropped, SPECKS_BELOW + 0.001), tier_request(rgba)) is None
    assert speckled_params(traced(dropped, SPECKS_BELOW - 0.01, FINE_SPECKLE), tier_request(rgba)) is None
    cleaned = tier_request(rgba, cleaned=True)  # its detail is noise
    assert speckled_params(traced(dropped, SPECKS_BELOW - 0.01), cleaned) is None
    overridden = tier_request(rgba, overrides={"filter_speckle": 4})
    assert speckled_params(traced(dropped, SPECKS_BELOW - 0.01), overridden) is None
