"""bench/scale_check.py's exact-coverage inputs: why resvg's own inputs cap Tier 1's 4x figure
(docs/geometry.md, "Why crisp icons lose at 4x")."""

import numpy as np
import pytest

from bench.scale_check import EXACT_FACTOR, aliased, exact_coverage
from bench.synthetic import render


def _column(x: float) -> str:
    """A black 10 px wide bar from x to x + 10 on a 100 px transparent canvas."""
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 100 100">'
            f'<rect x="{x}" y="10" width="10" height="80" fill="#000"/></svg>')


@pytest.mark.parametrize("x", [50.3, 50.35, 50.4, 50.45, 50.55])
def test_exact_coverage_places_an_edge_resvg_rounds_to_a_quarter_pixel(x: float) -> None:
    """resvg renders an axis-parallel edge's pixel at a coverage in quarters (50.3 and 50.35 both at
    0.75, 50.4 to 50.55 all at 0.5): the input cannot say where in that quarter the edge is. The
    exact-coverage input's pixel holds the edge's true coverage, to 1/(4 x EXACT_FACTOR) px."""
    coverage = 1.0 - (x - 50.0)  # of column 50 by a bar starting at x
    resvg_alpha = render(_column(x), 100)[50, 50, 3] / 255.0
    exact_alpha = exact_coverage(_column(x), 100, EXACT_FACTOR)[50, 50, 3] / 255.0
    assert resvg_alpha in (pytest.approx(0.75, abs=0.01), pytest.approx(0.5, abs=0.01))
    assert abs(resvg_alpha - coverage) > 0.04  # off by more than a fifth of a quarter
    assert exact_alpha == pytest.approx(coverage, abs=1.0 / (4 * EXACT_FACTOR) + 1.0 / 255)


def test_exact_coverage_keeps_colour_at_partial_alpha() -> None:
    """Area reduction weights colour by alpha: an edge pixel of a red shape on a transparent canvas
    stays red, not darkened towards the transparent pixels' black."""
    svg = _column(50.4).replace("#000", "#ff0000")
    pixel = exact_coverage(svg, 100, EXACT_FACTOR)[50, 50]
    assert pixel[3] == pytest.approx(0.6 * 255, abs=2)
    assert np.array_equal(pixel[:3], [255, 0, 0])


def test_aliased_input_has_no_partial_coverage() -> None:
    """An aliased input's pixels are the source's colour at their centres, opaque or transparent: column
    50 lies inside a bar from 50.4 (its centre 50.5 is covered), column 49 outside."""
    picked = aliased(_column(50.4), 100, 8)
    assert set(np.unique(picked[..., 3]).tolist()) == {0, 255}
    assert picked[50, 50, 3] == 255 and picked[50, 49, 3] == 0
