"""Sub-pixel refinement: constructed images whose true edges are known (rendered from exact SVGs)."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from scipy import ndimage

from shared.candidate import evaluate, trace_drawing, trace_svg, write
from shared.edge_profiles import edge_positions, fill_colours
from shared.geometry import Drawing
from shared.paint import premultiplied
from shared.params import parse_params
from shared.pipeline import convert
from shared.quality import measure
from shared.refine import edge_offsets, refine_drawing, vertex_moves
from shared.render import render_svg

SIZE = 96
POLYGON_1X = {"mode": "polygon", "hierarchical": "cutout", "alpha": "threshold", "simplify_px": 0.5}


def _rendered(body: str, size: int = SIZE) -> np.ndarray:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}">{body}</svg>'
    return render_svg(svg, size, size)


def circle() -> np.ndarray:
    return _rendered('<circle cx="47.3" cy="48.6" r="30.2" fill="#1d4ed8"/>')


def rotated_square() -> np.ndarray:
    return _rendered('<rect x="28.3" y="27.7" width="40" height="40" fill="#b91c1c" '
                     'transform="rotate(23 48 48)"/>')


def thin_strokes() -> np.ndarray:
    """Letter-like strokes 1.6-2.2 px wide (an "N", an "O" and a slanted bar) on white."""
    return _rendered(
        '<rect width="96" height="96" fill="#ffffff"/>'
        '<g fill="none" stroke="#111111" stroke-linejoin="miter">'
        '<path d="M10.4 70.3V25.6L34.2 70.1V25.3" stroke-width="2.2"/>'
        '<ellipse cx="55.6" cy="48.2" rx="10.3" ry="22.1" stroke-width="1.8"/>'
        '<path d="M74.2 71.4L86.7 24.9" stroke-width="1.6"/></g>'
    )


CONSTRUCTED = {"circle": circle, "rotated square": rotated_square, "thin strokes": thin_strokes}


@pytest.mark.parametrize("name", CONSTRUCTED)
@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_refinement_never_lowers_ssim(name: str, scale: float) -> None:
    rgba = CONSTRUCTED[name]()
    plain = evaluate(rgba, parse_params({**POLYGON_1X, "scale": scale}))
    refined = evaluate(rgba, parse_params({**POLYGON_1X, "scale": scale, "refine": True}))
    assert refined.figures.ssim >= plain.figures.ssim


@pytest.mark.parametrize("name", CONSTRUCTED)
def test_refined_polygons_follow_the_true_edges(name: str) -> None:
    """Without the keep-if-better check, the moved vertices themselves measure truer on every image."""
    rgba = CONSTRUCTED[name]()
    params = parse_params(POLYGON_1X)
    traced = trace_drawing(rgba, params)
    refined = write(refine_drawing(traced, rgba, 16), params)
    before, after = measure(write(traced, params), rgba).ssim, measure(refined, rgba).ssim
    assert after > before + 0.002, (before, after)


def test_refined_svg_keeps_size_viewbox_and_transparency() -> None:
    rgba = circle()
    cand = evaluate(rgba, parse_params({**POLYGON_1X, "scale": 1.5, "refine": True, "refine_grid": 8}))
    root = ET.fromstring(cand.svg)
    assert (root.get("width"), root.get("height")) == (str(SIZE), str(SIZE))
    assert root.get("viewBox") == f"0 0 {SIZE * 8} {SIZE * 8}", "refined vertices are on a 1/8 px grid"
    assert not re.search(r"\d\.\d", re.search(r' d="([^"]*)"', cand.svg).group(1)), "integers on the grid"
    rendered = render_svg(cand.svg, SIZE, SIZE)
    away = ndimage.distance_transform_edt(rgba[..., 3] == 0) > 1.0  # > 1 px from any visible pixel
    assert rendered[away, 3].max() == 0 and rendered[48, 47, 3] == 255


def test_curved_traces_are_left_alone() -> None:
    rgba = circle()
    params = parse_params({"mode": "spline", "alpha": "threshold"})
    traced = trace_drawing(rgba, params)
    assert not traced.is_polygonal and refine_drawing(traced, rgba, 16) is traced
    spline = evaluate(rgba, parse_params({"mode": "spline", "alpha": "threshold", "refine": True}))
    assert spline.svg == trace_svg(rgba, params)


@pytest.mark.parametrize("edge", [-0.83, -0.4, 0.0, 0.27, 0.5, 0.91])
def test_edge_position_of_a_box_filtered_edge(edge: float) -> None:
    """A profile sampled across an edge at `edge` px (pixel coverage, then linear between pixel
    centres, as bilinear sampling of a rendered image gives) is placed within 0.01 px."""
    steps = np.linspace(-2.5, 2.5, 51)
    centres = np.arange(-4, 5) + 0.37  # pixel centres at an arbitrary phase
    coverage = np.clip(edge - centres + 0.5, 0, 1)
    profile = np.interp(steps, centres, coverage)
    assert edge_positions(profile[None], steps)[0] == pytest.approx(edge, abs=0.01)


def test_no_edge_gives_no_offset() -> None:
    steps = np.linspace(-2.5, 2.5, 51)
    flat = np.full((2, 51), 1.0)
    flat[1] = 0.0
    assert np.isnan(edge_positions(flat, steps)).all()


def test_refine_grid_is_validated() -> None:
    from shared.errors import ParameterError

    with pytest.raises(ParameterError, match="refine_grid"):
        parse_params({"refine_grid": 0})


def test_searching_tiers_measure_the_refined_trace_alone() -> None:
    """With compare_unrefined=False (Tiers 2 and 3) the refined trace is the candidate, measured once."""
    rgba = rotated_square()
    params = parse_params({**POLYGON_1X, "refine": True, "refine_grid": 4})
    alone = evaluate(rgba, params, compare_unrefined=False)
    assert ET.fromstring(alone.svg).get("viewBox") == f"0 0 {SIZE * 4} {SIZE * 4}"
    assert alone.figures == measure(alone.svg, rgba)
    assert alone.svg == evaluate(rgba, params).svg, "here refinement measures better, so both keep it"


def test_a_slanted_trace_edge_turns_onto_a_straight_boundary() -> None:
    """A trace's long edge askew of the true boundary (0.5 px over 40 px, as a simplified staircase
    leaves it) is turned onto it, not only shifted: every corner within 0.05 px of the true square's
    (edges on quarter pixels: the renderer's anti-aliasing has quarter-pixel steps)."""
    from shared.geometry import Drawing

    rgba = _rendered('<rect x="28.25" y="27.75" width="40" height="40" fill="#0f766e"/>')
    truth = np.array([[28.25, 27.75], [68.25, 27.75], [68.25, 67.75], [28.25, 67.75]])
    askew = np.array([[28.0, 28.0], [68.0, 28.5], [68.0, 68.0], [28.0, 68.0]])  # the top edge slants
    drawing = Drawing(SIZE, SIZE, ("#0f766e",), askew, np.array([0, 4]), np.array([0]))
    assert np.abs(refine_drawing(drawing, rgba, 16).vertices - truth).max() <= 0.05


def test_a_slanted_edge_between_close_colours_turns_onto_its_boundary(monkeypatch: pytest.MonkeyPatch
                                                                        ) -> None:
    """The same askew edge on a green square over a plate of a close green (contrast 0.14, as between
    the facets of devicon's Jetpack Compose or an emoji's skin tones): its profile is a clean step, so
    it is turned too (`CLEAN_TILT_CONTRAST`); only shifted, as below TILT_MIN_CONTRAST before, a corner
    stayed 0.26 px off."""
    from shared import refine
    from shared.geometry import Drawing

    rgba = _rendered('<rect width="96" height="96" fill="#37BF6E"/>'
                     '<rect x="28.25" y="27.75" width="40" height="40" fill="#3DDC84"/>')
    truth = np.array([[28.25, 27.75], [68.25, 27.75], [68.25, 67.75], [28.25, 67.75]])
    askew = np.array([[28.0, 28.0], [68.0, 28.5], [68.0, 68.0], [28.0, 68.0]])
    plate = np.array([[0.0, 0.0], [96.0, 0.0], [96.0, 96.0], [0.0, 96.0]])
    drawing = Drawing(SIZE, SIZE, ("#37BF6E", "#3DDC84"), np.vstack([plate, askew]), np.array([0, 4, 8]),
                      np.array([0, 1]))
    assert np.abs(refine_drawing(drawing, rgba, 16).vertices[4:] - truth).max() <= 0.05
    monkeypatch.setattr(refine, "CLEAN_TILT_CONTRAST", refine.TILT_MIN_CONTRAST)
    assert np.abs(refine_drawing(drawing, rgba, 16).vertices[4:] - truth).max() > 0.2


@pytest.mark.parametrize("height", [2.5, 3.16, 3.5])
def test_a_bar_under_4_px_wide_traced_as_a_wedge_turns_onto_its_sides(
        height: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long bar 2.5-3.5 px tall (simple-icons' PlayStation Portable's middle stroke: 3.16 px) whose
    trace slants 0.67 px over 67 px: both long sides turn onto the bar's edges, within the renderer's
    quarter-pixel steps (`WIDE_BAR_FALL`). The deepest profile sample reaches the far side's ramp, and
    read as neither the fill nor a thin shape's fall, the sides were only shifted: 0.42 px off at an end."""
    from shared import refine
    from shared.geometry import Drawing

    top = 126.42
    rgba = render_svg(f'<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect x="10" '
                      f'y="{top}" width="66.6" height="{height}" fill="#003791"/></svg>', 256, 256)
    bottom = top + height
    wedge = np.array([[76.6, bottom - 0.25], [10, bottom + 0.42], [10, top + 0.25], [76.6, top - 0.42]])
    drawing = Drawing(256, 256, ("#003791",), wedge, np.array([0, 4]), np.array([0]))
    truth = np.array([bottom, bottom, top, top])
    assert np.abs(refine_drawing(drawing, rgba, 16).vertices[:, 1] - truth).max() <= 0.1
    monkeypatch.setattr(refine, "WIDE_BAR_FALL", refine.THIN_FALL)
    assert np.abs(refine_drawing(drawing, rgba, 16).vertices[:, 1] - truth).max() > 0.3


def test_a_gradient_region_drawn_flat_is_refined_against_the_colour_inside_it() -> None:
    """A square whose fill runs from teal to pale cyan, traced as one region of flat teal with its top
    edge askew: every edge is measured against the colour the input shows just inside it, so the edges
    reach the boundary, the top one turned (against the flat teal the right side found no edge and the
    top was only shifted: a corner 0.75 px off)."""
    from shared.geometry import Drawing

    shaded = _rendered('<defs><linearGradient id="g"><stop stop-color="#0f766e"/>'
                       '<stop offset="1" stop-color="#99f6e4"/></linearGradient></defs>'
                       '<rect x="28.25" y="27.75" width="40" height="40" fill="url(#g)"/>')
    truth = np.array([[28.25, 27.75], [68.25, 27.75], [68.25, 67.75], [28.25, 67.75]])
    askew = np.array([[28.0, 28.0], [68.0, 28.5], [68.0, 68.0], [28.0, 68.0]])
    drawing = Drawing(SIZE, SIZE, ("#0f766e",), askew, np.array([0, 4]), np.array([0]))
    assert np.abs(refine_drawing(drawing, shaded, 16).vertices - truth).max() <= 0.05
    hole = Drawing(SIZE, SIZE, ("#0f766e",), np.vstack([[[2.0, 2.0], [94.0, 2.0], [94.0, 94.0], [2.0, 94.0]],
                                                        askew[::-1]]), np.array([0, 4, 8]), np.array([0, 0]))
    inverse = _rendered('<defs><linearGradient id="g"><stop stop-color="#0f766e"/>'
                        '<stop offset="1" stop-color="#99f6e4"/></linearGradient></defs>'
                        '<path d="M2 2H94V94H2ZM28.25 27.75V67.75H68.25V27.75Z" fill="url(#g)"/>')
    assert np.abs(refine_drawing(hole, inverse, 16).vertices[4:] - truth[::-1]).max() <= 0.05  # a hole's edge


def test_an_edge_traced_more_than_a_pixel_off_reaches_the_boundary() -> None:
    """At 1x the engine clusters a small letter's anti-aliased pixels with its fill and traces edges up
    to 1.3 px outside the boundary (devicon's goland-wordmark); refinement finds a boundary 1.2 px
    away (it looked within 1 px before)."""
    rgba = _rendered('<rect x="28.25" y="27.75" width="40" height="40" fill="#0f766e"/>')
    starts, ends = np.array([[29.45, 78.0]]), np.array([[29.45, 18.0]])  # the left side, 1.2 px inside
    offsets, _ = edge_offsets(premultiplied(rgba), starts, ends, fill_colours(["#0f766e"]))
    assert offsets[0] == pytest.approx(-1.2, abs=0.05)  # the left-hand normal points inwards here


def test_a_long_sides_end_holds_its_line_beside_a_short_facet() -> None:
    """Where a long side meets a short facet at a few degrees (the first facet of a rounded corner), the
    shared vertex follows the long side's measured line; the even average of the two moves took half the
    facet's offset and leant the whole side (a Γ's 146 px side by 0.17 px at its top)."""
    # edge 0: up a 100 px side, then edge 1: a 5 px facet turning 10 degrees
    directions = np.array([[0.0, -100.0], [5 * np.sin(np.radians(10)), -5 * np.cos(np.radians(10))]])
    normals = np.array([[1.0, 0.0], [np.cos(np.radians(10)), np.sin(np.radians(10))]])
    offsets = np.array([0.0, 0.3])  # the side measured where it is, the facet 0.3 px out
    moves = vertex_moves(normals, offsets, np.array([1, 0]), directions, np.zeros(2))
    assert abs(moves[1, 0]) <= 0.02  # the vertex between them (index 1: edge 0 ends there) stays on x = 0


@pytest.mark.parametrize("radius", [10.0, 13.4, 15.0])
def test_a_gamma_with_a_rounded_corner_keeps_its_sides_upright_at_4x(radius: float) -> None:
    """A Γ (160 px arms, 20 px thick) whose outer corner is rounded: its left side stayed leaning by up to
    0.17 px, 150-180 pixels of the 4x render off by more than half coverage; now at most a few dozen."""
    from tests.test_primitives import covered

    def gamma(scale: float) -> np.ndarray:
        def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            x, y = x / scale, y / scale
            x0, y0, x1, y1, width = 41.05, 50.575, 200.6, 210.4, 20.3
            body = (x > x0) & (x < x1) & (y > y0) & (y < y1) & ~((x > x0 + width) & (y > y0 + width))
            cx, cy = x0 + radius, y0 + radius
            return body & ~((x < cx) & (y < cy) & (np.hypot(x - cx, y - cy) > radius))
        return covered(inside, round(256 * scale), 8 if scale == 1 else 2)

    zoomed = render_svg(convert(gamma(1), tier=1).svg, 1024, 1024)[..., 3].astype(float)
    assert int((np.abs(zoomed - gamma(4)[..., 3].astype(float)) > 127).sum()) <= 40


def test_an_edge_askew_by_more_than_a_pixel_turns_onto_its_boundary() -> None:
    """A trace's edge 1.1 px askew over 40 px (a long staircase simplified into one slanted segment) is
    turned onto the straight boundary: the turn allowed was 1 px (`MAX_TILT_PX`), and the edge was only
    shifted, a corner 0.56 px off (now 0.12: the far quarter's profile reads the boundary a little short
    at 1.1 px from the segment)."""
    from shared.geometry import Drawing

    rgba = _rendered('<rect x="28.25" y="27.75" width="40" height="40" fill="#0f766e"/>')
    truth = np.array([[28.25, 27.75], [68.25, 27.75], [68.25, 67.75], [28.25, 67.75]])
    askew = np.array([[28.0, 28.0], [68.0, 29.1], [68.0, 68.0], [28.0, 68.0]])  # the top edge slants
    drawing = Drawing(SIZE, SIZE, ("#0f766e",), askew, np.array([0, 4]), np.array([0]))
    assert np.abs(refine_drawing(drawing, rgba, 16).vertices - truth).max() <= 0.15


def test_a_shallow_v_traced_as_one_segment_is_split_onto_its_boundary() -> None:
    """A bottom side 2 px deep at its middle over 56 px, traced as one straight segment (the staircase
    steps are far apart), is split at its middle and the new vertex placed on the boundary: a shift or a
    turn of the one segment left its middle 1 px off. A straight side is not split."""
    from shared.geometry import Drawing

    rgba = _rendered('<path d="M20.25 20.25H76.25V70.25L48.25 72.25L20.25 70.25Z" fill="#7c3aed"/>')
    traced = np.array([[20.0, 20.0], [76.0, 20.0], [76.0, 71.0], [20.0, 71.0]])
    drawing = Drawing(SIZE, SIZE, ("#7c3aed",), traced, np.array([0, 4]), np.array([0]))
    refined = refine_drawing(drawing, rgba, 16).vertices
    assert len(refined) > 4
    assert np.hypot(*(refined - [48.25, 72.25]).T).min() <= 0.3
    square = _rendered('<rect x="28.25" y="27.75" width="40" height="40" fill="#0f766e"/>')
    box = np.array([[28.0, 28.0], [68.0, 28.0], [68.0, 68.0], [28.0, 68.0]])
    drawing = Drawing(SIZE, SIZE, ("#0f766e",), box, np.array([0, 4]), np.array([0]))
    assert len(refine_drawing(drawing, square, 16).vertices) == 4


def test_a_lower_outline_under_an_upper_shape_is_not_measured_against_the_upper_colour(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A stacked trace: an orange square, and a blue one painted over its right part up to its right side.
    The orange outline's right side and the right part of its top and bottom show blue inside; measured
    against the blue it moved onto the blue square's edge (the two edges would conflate into a halo) and
    its top tilted by 0.28 px. Only the colour of a segment's own shape is measured, so the orange outline
    refines as it did against its flat fill."""
    from shared.geometry import Drawing

    rgba = _rendered('<rect x="20.25" y="20.25" width="56" height="56" fill="#f0a030"/>'
                     '<rect x="40.25" y="20.25" width="36" height="56" fill="#2040f0"/>')
    lower = np.array([[20.0, 20.0], [76.0, 20.0], [76.0, 76.0], [20.0, 76.0]])
    upper = np.array([[40.0, 20.0], [76.0, 20.0], [76.0, 76.0], [40.0, 76.0]])
    drawing = Drawing(SIZE, SIZE, ("#F0A030", "#2040F0"), np.vstack([lower, upper]), np.array([0, 4, 8]),
                      np.array([0, 1]))
    refined = refine_drawing(drawing, rgba, 16).vertices
    monkeypatch.setattr("shared.edge_profiles.LOCAL_FILL", False)
    assert np.abs(refined - refine_drawing(drawing, rgba, 16).vertices).max() <= 1e-9
    assert np.abs(refined[1:3, 0] - 76.0).max() <= 1e-9 and abs(refined[1, 1] - refined[0, 1]) <= 1e-9


@pytest.mark.parametrize("thin", [True, False])
def test_a_long_wedges_sides_turn_onto_its_boundary_where_it_narrows(
        thin: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wedge 10 px wide at its base narrowing over 120 px (a star's arm, a stroke's tapering end):
    2.5 px inside its sides the input is not the fill where the wedge is under ~3 px wide, which the
    turn's test for a flat inside read as a gradient (`TILT_FLAT_INSIDE`), so the sides were only
    shifted and stayed up to 0.37 px off. Coverage that is the fill 1.25 px in and falls again deeper
    is the wedge's far side (`THIN_INSIDE_PX`, `THIN_FALL`). Counted at 4x: pixels of the rendered SVG
    off the wedge by more than half coverage."""
    import shared.refine
    from tests.test_primitives import covered, polygon

    if not thin:
        monkeypatch.setattr(shared.refine, "THIN_FALL", 9.0)  # never: the flat-inside test alone
        monkeypatch.setattr(shared.refine, "WIDE_BAR_FALL", 9.0)
    c, s = np.cos(np.radians(3.0)), np.sin(np.radians(3.0))
    wedge = polygon(np.array([(0, -5), (120, 0), (0, 5)]) @ np.array([[c, s], [-s, c]]) + [60.3, 120.2])
    svg = convert(covered(wedge), tier=1).svg
    truth = covered(lambda x, y: wedge(x / 4, y / 4), 1024, 2)[..., 3].astype(float)
    off = int((np.abs(render_svg(svg, 1024, 1024)[..., 3] - truth) > 127).sum())
    assert (off <= 250) if thin else (off > 300), (off, svg)  # measured 206 and 344 (the cut tip: ~150)


def test_an_acute_notchs_upright_side_stays_upright_where_its_tip_is_out_of_reach() -> None:
    """A notch whose tip the trace cut 2.5 px short (KLM's M): the sides' measured lines meet farther
    than refinement moves a vertex (MAX_SHIFT_PX). One point clamped short of the meeting lay on neither
    line and leant the 58 px upright side by 0.33 px; now the tip is two points, one on each line."""
    rgba = _rendered('<path d="M10 80V10H86V80H60L40 20V80Z" fill="#1d4ed8"/>')
    traced = np.array([(10, 80), (10, 10), (86, 10), (86, 80), (60, 80), (40.667, 22.5), (40, 80)], float)
    drawing = Drawing(SIZE, SIZE, ("#1D4ED8",), traced, np.array([0, len(traced)]), np.array([0]))
    ring = refine_drawing(drawing, rgba, 8).rings[0]
    bottom = int(np.argmin(np.hypot(ring[:, 0] - 40, ring[:, 1] - 80)))
    upright_top, diagonal_end = ring[bottom - 1], ring[bottom - 2]
    assert abs(upright_top[0] - 40) <= 0.02 and upright_top[1] < 22  # the side's top on x = 40
    assert abs(diagonal_end[0] - (40 + (diagonal_end[1] - 20) / 3)) <= 0.05  # the other on the diagonal
    assert np.hypot(*(upright_top - diagonal_end)) <= 0.5  # a short cut across the tip
