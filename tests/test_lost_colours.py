"""Main colours the engine's clustering merged away are traced again (shared/palette.py `lost_colours`,
shared/tiers/tier1.py `lost_params`)."""

from pathlib import Path

import numpy as np

from shared.candidate import Candidate
from shared.palette import LOST_LEVELS, lost_colours
from shared.params import ConversionParams, EngineParams
from shared.pipeline import convert
from shared.quality import measure
from shared.render import render_svg
from shared.tiers.tier1 import LOST_LAYER_DIFFERENCE, lost_params

# Twemoji's game die (1f3b2, CC-BY 4.0, https://github.com/jdecked/twemoji): at 48-128 px the engine's
# hierarchical clustering merges its #DD2E44 face into the #EA596E one beside it (layer_difference 16).
DIE = (Path(__file__).parent / "fixtures" / "twemoji-1f3b2.svg").read_text()


def three_colours() -> np.ndarray:
    rgba = np.full((40, 40, 4), 255, np.uint8)
    rgba[:, 20:, :3] = (200, 30, 30)
    rgba[:10, :10, :3] = (30, 30, 200)  # 6 % of the pixels
    rgba[0, 0, :3] = (0, 200, 0)  # one pixel: not a main colour
    return rgba


def test_a_main_colour_no_fill_comes_near_is_lost() -> None:
    svg = '<svg><path fill="#FFFFFF" d="M0 0h1v1z"/><path fill="#C81E1E" d="M0 0h1v1z"/></svg>'
    assert lost_colours(svg, three_colours()).tolist() == [[30, 30, 200]]


def test_near_fills_and_gradient_stops_count_as_painted() -> None:
    near = f"#{30 + LOST_LEVELS:02X}1E{200 - LOST_LEVELS:02X}"
    svg = ('<svg><defs><linearGradient id="a"><stop stop-color="#fff"/></linearGradient></defs>'
           f'<path fill="url(#a)" d="M0 0h1v1z"/><path fill="#C81E1E" d="M0 0h1v1z"/>'
           f'<path fill="{near}" d="M0 0h1v1z"/></svg>')
    assert lost_colours(svg, three_colours()).tolist() == []


def candidate(svg: str, rgba: np.ndarray, params: ConversionParams) -> Candidate:
    return Candidate(params, svg, measure(svg, rgba), 0.0, 0.0)


def test_a_lost_colour_asks_for_a_finer_layer_difference_unless_fixed() -> None:
    rgba = three_colours()
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
           '<path fill="#FFFFFF" d="M0 0h40v40H0z"/></svg>')
    traced = candidate(svg, rgba, ConversionParams(engine=EngineParams(mode="polygon")))
    retry = lost_params(traced, rgba, {})
    assert retry is not None and retry.engine.layer_difference == LOST_LAYER_DIFFERENCE
    assert lost_params(traced, rgba, {"layer_difference": 16}) is None
    finest = ConversionParams(engine=EngineParams(mode="polygon", layer_difference=LOST_LAYER_DIFFERENCE))
    assert lost_params(candidate(svg, rgba, finest), rgba, {}) is None


def test_the_die_keeps_its_three_faces() -> None:
    """Before the retry, Tier 1 drew the die at 64 px with two faces (SSIM 0.878; now 0.917)."""
    rgba = render_svg(DIE, 64, 64)
    result = convert(rgba, tier=1)
    assert lost_colours(result.svg, rgba).tolist() == []
    assert result.params.engine.layer_difference == LOST_LAYER_DIFFERENCE
    assert result.figures.ssim > 0.9
