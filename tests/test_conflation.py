"""Seam-free cutout drawings (shared/conflation.py): shapes that meet edge to edge render without the
background showing through their shared edge, and outer edges stay where they were; Tier 1 traces a
stacked trace with halos again cutout (shared/tiers/tier1_retries.py, `other_layering`)."""

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from shared.candidate import Candidate
from shared.conflation import GAP_PUSH, SPREAD, closed_holes, underlap
from shared.geometry import Drawing, signed_area
from shared.params import ConversionParams
from shared.pipeline import convert
from shared.render import render_svg
from shared.svg import write_svg
from shared.tiers import tier1, tier1_retries

SIDE = 32


def _drawing(rings: list[list[tuple[float, float]]], fills: tuple[str, ...],
             opacity: dict[int, float] | None = None) -> Drawing:
    vertices = np.array([p for ring in rings for p in ring], float)
    offsets = np.append(0, np.cumsum([len(r) for r in rings]))
    return Drawing(SIDE, SIDE, fills, vertices, offsets, np.arange(len(rings)), opacity=opacity or {},
                   view=(SIDE * 4.0, SIDE * 4.0), grid=True)


def _square(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]  # clockwise on screen: a filled outline


# two halves of a square meeting at x = 16.5: the edge runs through the middle of column 16
HALVES = [_square(4, 4, 16.5, 28), _square(16.5, 4, 28, 28)]


def _alpha(drawing: Drawing) -> np.ndarray:
    return render_svg(write_svg(drawing), SIDE, SIDE)[..., 3]


def test_shared_edge_has_no_seam_after_underlap() -> None:
    drawing = _drawing(HALVES, ("#ff0000", "#0000ff"))
    before, after = _alpha(drawing)[8:24, 16], _alpha(underlap(drawing))[8:24, 16]
    assert before.max() < 250  # the cutout seam: each half covers the column by half
    assert after.min() == 255


def test_a_hole_is_pushed_under_the_later_shape_inside_it() -> None:
    """A hole runs the other way round (nonzero winding) and its shape's fill lies outside it: its
    edge moves into the hole, under the shape painted there later, and the seam closes."""
    window = _square(10.5, 10.5, 21.5, 21.5)
    vertices = np.array(_square(4, 4, 28, 28) + window[::-1] + window, float)
    drawing = Drawing(SIDE, SIDE, ("#ff0000", "#0000ff"), vertices, np.array([0, 4, 8, 12]),
                      np.array([0, 0, 1]), view=(SIDE * 4.0, SIDE * 4.0), grid=True)
    moved = underlap(drawing)
    assert _alpha(drawing)[12:20, 10].max() < 250 and _alpha(moved)[12:20, 10].min() == 255
    hole = moved.ring(1)
    assert hole[:, 0].min() == 10.5 + SPREAD and hole[:, 0].max() == 21.5 - SPREAD  # into the hole
    assert np.array_equal(moved.ring(0), drawing.ring(0)) and np.array_equal(moved.ring(2), drawing.ring(2))


def test_only_the_earlier_shape_moves_and_only_where_it_meets_the_later_one() -> None:
    drawing = underlap(_drawing(HALVES, ("#ff0000", "#0000ff")))
    first, second = drawing.rings
    assert np.array_equal(second, np.array(HALVES[1], float))  # painted last: nothing beyond it is later
    assert first[:, 0].max() == 16.5 + SPREAD  # its right edge runs under the blue half
    assert first[:, 0].min() == 4 and first[:, 1].min() == 4 and first[:, 1].max() == 28  # outline kept
    assert signed_area(first) == (16.5 + SPREAD - 4) * 24


def test_an_edge_partly_beside_a_later_shape_moves_only_along_it() -> None:
    # a tall red bar with a short blue bar beside the middle of its right edge
    drawing = underlap(_drawing([_square(4, 2, 16, 30), _square(16, 12, 24, 20)], ("#ff0000", "#0000ff")))
    red = drawing.rings[0]
    moved = red[red[:, 0] > 16]
    assert len(moved) and np.all((moved[:, 1] >= 11) & (moved[:, 1] <= 21))
    alpha = _alpha(drawing)
    assert alpha[13:19, 16].min() == 255 and alpha[13:19, 23].min() > 0
    assert alpha[4:10, 17].max() == 0 and alpha[22:28, 17].max() == 0  # beside the blue bar: background


def test_a_moved_edge_meets_its_fixed_neighbours_on_their_lines() -> None:
    # a red square beside a taller blue bar: red's right edge moves, its top and bottom stay on y 4 / 28
    drawing = underlap(_drawing([_square(4, 4, 16, 28), _square(16, 0, 28, 32)], ("#ff0000", "#0000ff")))
    red = drawing.rings[0]
    assert len(red) == 4  # no step where the moved edge meets a fixed one at a right angle
    assert sorted(map(tuple, red.tolist())) == [(4, 4), (4, 28), (16 + SPREAD, 4), (16 + SPREAD, 28)]


def test_translucent_later_shape_is_not_underlapped() -> None:
    drawing = _drawing(HALVES, ("#ff0000", "#0000ff"), opacity={1: 0.5})
    assert underlap(drawing) is drawing


def _framed(inner: list[tuple[float, float]], outer_fill: str = "#000000") -> Drawing:
    """A square frame (shape 0: an outline with a square hole from 10 to 22 px) and a later shape
    `inner` (shape 1) inside the hole."""
    window = _square(10, 10, 22, 22)
    vertices = np.array(_square(4, 4, 28, 28) + window[::-1] + inner, float)
    return Drawing(SIDE, SIDE, (outer_fill, "#ffcc00"), vertices, np.array([0, 4, 8, 8 + len(inner)]),
                   np.array([0, 0, 1]), view=(SIDE * 4.0, SIDE * 4.0), grid=True)


OPAQUE = np.full((SIDE, SIDE, 4), 255, np.uint8)


def test_a_hole_that_a_later_shape_fills_is_closed() -> None:
    """The later shape came out a pixel short of the hole's edge on every side (refinement measures the
    two apart): the hole goes, the frame runs on under the later shape and no background shows."""
    drawing = _framed(_square(11, 11, 21, 21))
    assert _alpha(drawing)[10:22, 10:22].min() == 0  # the gap all round: background
    closed = closed_holes(drawing, OPAQUE)
    assert len(closed.rings) == 2 and np.array_equal(closed.ring_shape, [0, 1])
    assert _alpha(closed)[4:28, 4:28].min() == 255
    assert len(write_svg(closed)) < len(write_svg(drawing))


def test_a_hole_stays_where_the_input_is_transparent_or_an_earlier_shape_shows() -> None:
    drawing = _framed(_square(11, 11, 21, 21))
    see_through = OPAQUE.copy()
    see_through[11:21, 11:21, 3] = 0  # a real hole in the image
    assert closed_holes(drawing, see_through) is drawing
    earlier = _framed(_square(11, 11, 21, 21))  # the shape in the hole painted first
    earlier = Drawing(SIDE, SIDE, earlier.fills, earlier.vertices, earlier.offsets, np.array([1, 1, 0]),
                      view=earlier.view, grid=True)
    assert closed_holes(earlier, OPAQUE) is earlier


def test_a_gap_on_opaque_input_is_covered_by_the_earlier_shape() -> None:
    """Two shapes 0.5 px apart (their shared edge refined apart, once per shape): on an opaque input
    the earlier one is pushed across the gap by GAP_PUSH, to 0.5 px under the later one, so the column
    the gap halves goes from half covered to whole (pushed by SPREAD, as an edge with no gap is, it
    reached 0.25 px under the later one and the two shapes' anti-aliasing conflated to 7/8); where the
    input is transparent there, it stays."""
    drawing = _drawing([_square(4, 4, 16, 28), _square(16.5, 4, 28, 28)], ("#ff0000", "#0000ff"))
    assert underlap(drawing) is drawing  # nothing later at the look-up's first depth
    assert _alpha(drawing)[8:24, 16].max() <= 128
    card = np.zeros_like(OPAQUE)
    card[4:28, 4:28] = 255  # opaque where the two shapes and the gap are, transparent round them
    pushed = underlap(drawing, card)
    assert pushed.rings[0][:, 0].max() == 16 + GAP_PUSH  # only the edge at the gap moves
    assert pushed.rings[0][:, 0].min() == 4 and pushed.rings[0][:, 1].min() == 4
    assert _alpha(pushed)[8:24, 16].min() >= 254
    see_through = card.copy()
    see_through[:, 16] = 0
    assert underlap(drawing, see_through) is drawing
    seamed = card.copy()
    seamed[4:28, 16] = 191  # the source's own conflation seam: two edges halving the column, 3/4 alpha
    assert _alpha(underlap(drawing, seamed))[8:24, 16].min() >= 254  # devicon's mongodb leaf: 32 before


def test_a_gap_between_two_rings_of_one_shape_is_covered() -> None:
    """Two bands the gradient step merged into one shape (its rings 0.5 px apart, each refined against
    its own flat colour) over opaque input: a ring is pushed into the shape's own other ring as into a
    later shape, so the background no longer shows between them."""
    vertices = np.array(_square(4, 4, 16, 28) + _square(16.5, 4, 28, 28) + _square(1, 1, 3, 3), float)
    drawing = Drawing(SIDE, SIDE, ("#ff0000", "#0000ff"), vertices, np.array([0, 4, 8, 12]),
                      np.array([0, 0, 1]), view=(SIDE * 4.0, SIDE * 4.0), grid=True)
    card = np.zeros_like(OPAQUE)
    card[4:28, 4:28] = card[1:3, 1:3] = 255
    assert _alpha(drawing)[8:24, 16].max() <= 128
    pushed = underlap(drawing, card)
    assert _alpha(pushed)[8:24, 16].min() >= 0.85 * 255
    assert pushed.rings[0][:, 0].min() == 4 and pushed.rings[1][:, 0].max() == 28  # outer edges stay


def test_the_edges_at_a_sharp_corner_are_pushed_all_the_way() -> None:
    """A wedge (corners of 18 and 45 degrees) in a hole of a later shape: each of its edges moves out by
    SPREAD; a mitre at so sharp a corner is capped, and the capped one left the bottom edge slanting
    from 0.3 px to 0.75 px out (the background showed under it)."""
    wedge = [(12.0, 12.5), (24.0, 16.5), (8.0, 16.5)]  # clockwise on screen
    vertices = np.array(wedge + _square(4, 4, 28, 28) + wedge[::-1], float)
    drawing = Drawing(SIDE, SIDE, ("#ff0000", "#0000ff"), vertices, np.array([0, 3, 7, 10]),
                      np.array([0, 1, 1]), view=(SIDE * 4.0, SIDE * 4.0), grid=True)
    pushed = underlap(drawing).rings[0]
    bottom = pushed[pushed[:, 1] > 16.5 + 1e-6]
    assert len(bottom) >= 2 and np.allclose(bottom[:, 1], 16.5 + SPREAD)
    assert bottom[:, 0].min() <= 8 and bottom[:, 0].max() >= 24  # along the whole edge


# a flag drawn like the icon sets draw them: stripes over a light base, clipped to a rounded card
FLAG = ('<svg xmlns="http://www.w3.org/2000/svg" width="192" height="128" viewBox="0 0 96 64">'
        '<clipPath id="c"><rect x="4.3" y="8.3" width="87.4" height="47.4" rx="8"/></clipPath>'
        '<g clip-path="url(#c)"><rect width="96" height="64" fill="#eeeeee"/><rect width="33.5" height="64"'
        ' fill="#002395"/><rect x="62.5" width="33.5" height="64" fill="#ed2939"/></g></svg>')


def test_tier1_traces_a_haloed_stacked_flag_cutout(monkeypatch: pytest.MonkeyPatch) -> None:
    rgba = render_svg(FLAG, 192, 128)
    result = convert(rgba, tier="1")
    assert result.params.engine.hierarchical == "cutout" and result.params.steps.underlap
    monkeypatch.setattr(tier1_retries, "CUTOUT_BELOW", 0.0)  # the retry off: the stacked trace's halos stay
    stacked = convert(rgba, tier="1")
    assert stacked.params.engine.hierarchical == "stacked"
    assert result.figures.ssim > stacked.figures.ssim + 0.01
    assert result.figures.bytes <= stacked.figures.bytes * 1.1


@pytest.mark.parametrize(("ssim", "retried"), [(0.9905, True), (0.994, True), (0.996, False)])
def test_a_stacked_trace_under_0995_is_traced_cutout_too(ssim: float, retried: bool) -> None:
    """A stacked trace is retried cutout below 0.995 (0.99 until 2026-12-04: a Twemoji couple's stacked
    trace at 0.9907 kept its halos, its cutout trace measures 0.9973); above, it is kept as it is."""
    from shared.candidate import evaluate
    from shared.features import compute_features

    rgba = render_svg(FLAG, 192, 128)
    stacked = evaluate(rgba, tier1.formula_params(compute_features(rgba)), compare_unrefined=False)
    assert stacked.params.engine.hierarchical == "stacked"
    measured = replace(stacked, figures=replace(stacked.figures, ssim=ssim))
    params = tier1_retries.other_layering(measured, {})
    assert (params is not None) == retried
    if params is not None:
        assert params.engine.hierarchical == "cutout" and params.steps.underlap


# six stripes on a rounded card: no four colours cover 97.9 % of it
STRIPE_COLOURS = ("#002395", "#eeeeee", "#ed2939", "#ffce00", "#009246", "#7a3db8")
STRIPES = FLAG.split("<rect width")[0] + "".join(f'<rect x="{16 * i}" width="16" height="64" fill="{c}"/>'
                                                 for i, c in enumerate(STRIPE_COLOURS)) + "</g></svg>"


def test_an_image_of_many_colours_is_traced_cutout_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cutout first spares the stacked trace where the cutout one measures 0.995 or more; the rule off,
    the same result takes two traces (stacked, then the cutout retry). A cleaned-up input and an image
    of few colours keep stacked first."""
    from shared.features import compute_features
    from shared.tiers import TierRequest

    rgba = render_svg(STRIPES, 192, 128)
    features = compute_features(rgba)
    assert features.top4_color_share < tier1_retries.CUTOUT_FIRST_TOP4
    first = tier1.run(TierRequest(rgba, features, 0.98))
    assert first.evaluated == 1 and first.best.params.engine.hierarchical == "cutout"
    assert first.best.figures.ssim >= tier1_retries.CUTOUT_BELOW
    params = tier1.formula_params(features)
    assert tier1_retries.first_layering(params, TierRequest(rgba, features, 0.98, cleaned=True)) == params
    flag = render_svg(FLAG, 192, 128)
    few = TierRequest(flag, compute_features(flag), 0.98)
    few_first = tier1_retries.first_layering(tier1.formula_params(few.features), few)
    assert few_first.engine.hierarchical == "stacked"
    monkeypatch.setattr(tier1_retries, "CUTOUT_FIRST_TOP4", 0.0)
    both = tier1.run(TierRequest(rgba, features, 0.98))
    assert both.evaluated == 2 and both.best.svg == first.best.svg


@pytest.mark.parametrize(("ssim", "retried"), [(0.994, True), (0.996, False)])
def test_a_cutout_first_trace_under_0995_is_traced_stacked_too(ssim: float, retried: bool) -> None:
    from shared.candidate import evaluate
    from shared.features import compute_features

    rgba = render_svg(STRIPES, 192, 128)
    params = tier1.formula_params(compute_features(rgba)).with_overrides(tier1_retries.CUTOUT)
    cutout = evaluate(rgba, params, compare_unrefined=False)
    other = tier1_retries.other_layering(replace(cutout, figures=replace(cutout.figures, ssim=ssim)), {})
    assert (other is not None) == retried
    if other is not None:
        assert other.engine.hierarchical == "stacked"
    assert tier1_retries.other_layering(cutout, {"hierarchical": "cutout"}) is None  # the caller's layering


def scored_traces(base: Candidate, ssim_of: Callable[[ConversionParams], float]
                  ) -> tuple[Callable[[ConversionParams], Candidate], list[ConversionParams]]:
    """A stand-in for Tier 1's trace-and-measure: `base` with each configuration's parameters and the score
    `ssim_of` gives it, and the list of configurations asked for, in order."""
    traced: list[ConversionParams] = []

    def evaluate_one(params: ConversionParams) -> Candidate:
        traced.append(params)
        return replace(base, params=params, figures=replace(base.figures, ssim=ssim_of(params)))

    return evaluate_one, traced


@pytest.mark.parametrize(("cutout_ssim", "exact_after"), [(0.985, True), (0.992, False)])
def test_exact_colours_after_the_stacked_trace_only_under_099(cutout_ssim: float, exact_after: bool) -> None:
    """A trace made cutout first whose stacked retry measures under FINER_BELOW (shading the stacked
    trace's colours missed) is traced again with exact colours only where the better layering measures
    under LATER_FINER_BELOW (0.99): over it, exact colours changed one of 14 shaded emoji."""
    from shared.candidate import evaluate
    from shared.features import compute_features
    from shared.tiers import TierRequest

    rgba = render_svg(STRIPES, 192, 128)
    features = replace(compute_features(rgba), gradient_smoothness=0.5)  # shaded, as far as the rules see
    assert features.top4_color_share < tier1_retries.CUTOUT_FIRST_TOP4
    base = evaluate(rgba, tier1.formula_params(features), compare_unrefined=False)

    def ssim_of(params: ConversionParams) -> float:
        engine = params.engine
        exact = engine.color_precision >= tier1_retries.FINER_COLOR_PRECISION
        return 0.999 if exact else cutout_ssim if engine.hierarchical == "cutout" else 0.95

    evaluate_one, asked = scored_traces(base, ssim_of)
    tier1.run(TierRequest(rgba, features, 0.98), evaluate_one=evaluate_one)
    traced = [(p.engine.hierarchical, p.engine.color_precision) for p in asked]
    assert traced[:2] == [("cutout", base.params.engine.color_precision),
                          ("stacked", base.params.engine.color_precision)]
    assert (("cutout", tier1_retries.FINER_COLOR_PRECISION) in traced) == exact_after


@pytest.mark.parametrize(("cleaned", "ssim", "retried"),
                         [(False, 0.985, True), (True, 0.985, False), (True, 0.975, True)])
def test_a_cleaned_inputs_stacked_trace_is_traced_cutout_only_under_098(cleaned: bool, ssim: float,
                                                                        retried: bool) -> None:
    """A cleaned-up input (a JPEG, a scan, an upscaled favicon) is traced in the other layering only where
    its trace measures under CUTOUT_BELOW_CLEANED (0.98) against the cleaned estimate; a clean one under
    CUTOUT_BELOW (0.995): over 0.98 the retry changed 13 of 1,100 damaged dev copies for 18 % of the time."""
    from shared.candidate import evaluate
    from shared.features import compute_features
    from shared.tiers import TierRequest

    rgba = render_svg(FLAG, 192, 128)
    features = compute_features(rgba)
    base = evaluate(rgba, tier1.formula_params(features), compare_unrefined=False)
    assert base.figures.paths >= 2
    evaluate_one, asked = scored_traces(base, lambda _: ssim)
    tier1.run(TierRequest(rgba, features, 0.98, cleaned=cleaned, snapped=cleaned), evaluate_one=evaluate_one)
    layerings = [p.engine.hierarchical for p in asked]
    assert layerings[0] == "stacked"
    assert ("cutout" in layerings) == retried
