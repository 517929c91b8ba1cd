"""Design grids: axis-aligned edges back on the grid an icon was drawn on (shared/design_grid.py)."""

import re
from dataclasses import replace

import numpy as np
import pytest

from shared import design_grid
from shared.design_grid import AxisEdges, axis_edges, design_pitch, snap_primitives, snap_to_design_grid
from shared.geometry import Drawing, Primitive
from shared.pipeline import convert
from shared.quality import alpha_aware_ssim
from shared.render import render_svg

SIZE = 256
UNITS = 24  # a Material Design Icons viewBox: its straight edges on whole units, 256 / 24 px apart
# a toolbox-like icon on that grid: an outlined case, a handle, two latches (units)
ICON = ('<path fill-rule="evenodd" d="M2 8H22V20H2ZM4 10V18H20V10ZM8 4H16V8H14V6H10V8H8Z'
        'M6 12H9V15H6ZM15 12H18V15H15Z"/>')


def _icon(size: int, body: str = ICON) -> np.ndarray:
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
           f'viewBox="0 0 {UNITS} {UNITS}" fill="#188038">{body}</svg>')
    return render_svg(svg, size, size)


def _ssim_4x(body: str) -> float:
    """Tier 1's SVG of the icon `body` at SIZE, rendered at 4x against the icon rendered at 4x."""
    rendered = render_svg(convert(_icon(SIZE, body), tier="1").svg, 4 * SIZE, 4 * SIZE)
    return alpha_aware_ssim(_icon(4 * SIZE, body), rendered)[0]


def _rects(places: list[tuple[float, float, float, float]], size: int = SIZE) -> Drawing:
    """A drawing of axis-aligned rectangles (x0, y0, x1, y1 in px), one shape each, written on a grid."""
    rings = [np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]) for x0, y0, x1, y1 in places]
    offsets = np.arange(len(rings) + 1) * 4
    return Drawing(size, size, ("#000000",) * len(rings), np.vstack(rings).astype(float), offsets,
                   np.arange(len(rings)), view=(size * 8.0, size * 8.0), grid=True)


def test_an_icon_drawn_on_a_grid_comes_out_with_its_edges_on_the_grid() -> None:
    """The icon's straight edges lie on multiples of 256 / 24 px; refinement alone leaves them up to
    1/8 px off (the renderer's coverage steps), the design grid puts them back, and a 4x zoom shows it."""
    rgba = _icon(SIZE)
    snapped = convert(rgba, tier="1", overrides={"splines": False})
    plain = convert(rgba, tier="1", overrides={"splines": False, "design_grid": False})
    reference = _icon(4 * SIZE)
    ssim_4x = {name: alpha_aware_ssim(reference, render_svg(result.svg, 4 * SIZE, 4 * SIZE))[0]
               for name, result in (("snapped", snapped), ("plain", plain))}
    assert ssim_4x["snapped"] > ssim_4x["plain"] + 0.001
    assert ssim_4x["snapped"] >= 0.999
    assert snapped.figures.ssim >= plain.figures.ssim - 0.0005  # no loss at 1x


def test_snapped_edges_lie_exactly_on_grid_lines_and_are_written_exactly() -> None:
    pitch = SIZE / UNITS
    off = [0.11, -0.09, 0.12, -0.125, 0.05, 0.1, -0.07, 0.08]  # refinement's errors, px
    places = [(2 * pitch + off[0], 8 * pitch + off[1], 22 * pitch + off[2], 20 * pitch + off[3]),
              (4 * pitch + off[4], 10 * pitch + off[5], 20 * pitch + off[6], 18 * pitch + off[7]),
              (8 * pitch - off[1], 4 * pitch + off[0], 16 * pitch + off[3], 6 * pitch - off[2])]
    drawing = snap_to_design_grid(_rects(places), 8)
    units = np.array(drawing.view) / SIZE
    assert design_pitch(axis_edges(drawing), SIZE, SIZE) is not None
    on_grid = drawing.vertices / pitch
    assert np.abs(on_grid - np.round(on_grid)).max() < 1e-9
    written = drawing.vertices * units  # view units: whole numbers at every grid line
    assert np.abs(written - np.round(written)).max() < 1e-6
    assert abs(units[0] - 8) < 0.1


def test_edges_at_random_places_find_no_grid() -> None:
    """Rectangles placed anywhere (a photo's logo, a generated shape): no grid is believed, nothing moves."""
    for seed in range(40):
        rng = np.random.default_rng(seed)
        corners = rng.uniform(8, SIZE - 8, size=(int(rng.integers(2, 6)), 2, 2))
        places = [(*c.min(axis=0), *c.max(axis=0)) for c in corners]
        drawing = _rects([p for p in places if min(p[2] - p[0], p[3] - p[1]) > 3])
        assert snap_to_design_grid(drawing, 8) is drawing, seed


def test_a_frame_shared_by_many_rings_is_no_grid() -> None:
    """Four sides inset 10.2 px, each the edge of several rings: many edges, two places; a fine grid
    matching both is chance (a generated logo's backdrop measured 4x lower when snapped to 2.07 px)."""
    frame = [(10.2, 10.2, 245.7, 245.7)] * 3 + [(10.21, 10.19, 245.69, 245.72)]
    edges = axis_edges(_rects(frame))
    assert len(edges.place) == 16
    assert design_pitch(edges, SIZE, SIZE) is None


def test_short_and_slanted_edges_are_not_counted() -> None:
    ring = np.array([[10.0, 10.0], [30.0, 10.5], [30.0, 11.5], [10.6, 40.0]])  # every edge slanted or short
    drawing = Drawing(SIZE, SIZE, ("#000000",), ring, np.array([0, 4]), np.array([0]),
                      view=(SIZE * 8.0, SIZE * 8.0), grid=True)
    edges: AxisEdges = axis_edges(drawing)
    assert len(edges.place) == 0


def test_rounded_bars_on_a_grid_come_out_as_rects_with_their_sides_on_the_grid() -> None:
    """Material Symbols' align-start: three rounded bars, written as `<rect rx>` primitives, which are
    fitted after the polygon edges moved; their sides are moved onto the grid too (4x 0.9964 -> 0.9997)."""
    body = ('<rect x="2" y="2" width="20" height="2" rx="1"/><rect x="7" y="7" width="10" height="3" rx="1"/>'
            '<rect x="7" y="13" width="10" height="3" rx="1"/>')
    result = convert(_icon(SIZE, body), tier="1")
    rects = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', result.svg)
    view = float(re.search(r'viewBox="0 0 ([\d.]+)', result.svg).group(1))
    assert len(rects) == 3
    in_units = np.array(rects, float) * UNITS / view  # the icon's own units
    assert np.abs(in_units - np.round(in_units)).max() < 1e-3
    ssim_4x = alpha_aware_ssim(_icon(4 * SIZE, body), render_svg(result.svg, 4 * SIZE, 4 * SIZE))[0]
    assert ssim_4x >= 0.999


def test_circles_snap_to_half_units_and_free_ones_stay() -> None:
    """A circle primitive's centre and radius go onto half units of the grid where within SNAP_PX (mdi's
    r = 10 ring about (12, 12)); a circle nowhere near stays as fitted."""
    pitch = SIZE / UNITS
    drawing = replace(_rects([(10.0, 10.0, 20.0, 20.0), (30.0, 30.0, 40.0, 40.0)]), design_pitch=pitch)
    on_grid = Primitive("circle", 12 * pitch + 0.06, 12 * pitch - 0.08, 10 * pitch - 0.05, 10 * pitch - 0.05)
    free = Primitive("circle", 3.3 * pitch, 7.7 * pitch, 2.2 * pitch, 2.2 * pitch)
    snapped = snap_primitives(replace(drawing, fitted={0: on_grid, 1: free}))
    circle = snapped.fitted[0]
    assert isinstance(circle, Primitive)
    assert np.allclose([circle.cx, circle.cy, circle.rx, circle.ry], np.array([12, 12, 10, 10]) * pitch)
    assert snapped.fitted[1] == free


def test_a_common_icon_grid_needs_less_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    """A frame on Twemoji's 36-unit grid with a few small off-grid parts (4 of 10 distinct places on the
    grid): believed as one of the COMMON_UNITS grids, not as one of all the 128 grids tried."""
    pitch = SIZE / 36
    frame = [(5 * pitch, 6 * pitch, 31 * pitch, 30 * pitch)] * 2  # a stroke's two rings
    rng = np.random.default_rng(3)
    small = [(x, y, x + 2.5, y + 2.5) for x, y in rng.uniform(60, 190, size=(3, 2))]
    edges = axis_edges(_rects(frame + small))
    assert design_pitch(edges, SIZE, SIZE) == pytest.approx(pitch)
    monkeypatch.setattr(design_grid, "COMMON_FALSE_GRID", 0.0)
    assert design_pitch(edges, SIZE, SIZE) is None


def test_edges_between_the_coarse_grids_lines_split_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most edge length on even units (a 12-unit grid) and two bars on odd units of 24: the grid is split
    into halves, so the bars' edges are snapped and written exactly too (without the split the view has
    171 units a pitch and the odd units fall on half units, 1/16 px off)."""
    body = '<path fill-rule="evenodd" d="M2 2H22V22H2ZM4 4V20H20V4ZM6 9H18V11H6ZM8 14H16V16H8Z"/>'
    ssim_4x, deployed = {}, design_grid.MAX_FALSE_SPLIT
    for limit in (deployed, -1.0):
        monkeypatch.setattr(design_grid, "MAX_FALSE_SPLIT", limit)
        ssim_4x[limit] = _ssim_4x(body)
    assert ssim_4x[-1.0] < 0.9995
    assert ssim_4x[deployed] > 0.9999


def test_a_grid_is_split_only_where_the_places_off_it_lie_on_the_new_lines() -> None:
    pitch = SIZE / 12
    frame = [(2 * pitch, 2 * pitch, 10 * pitch, 10 * pitch), (4 * pitch, 4 * pitch, 8 * pitch, 8 * pitch)]
    halves = _rects([*frame, (3 * pitch, 5.5 * pitch, 9 * pitch, 6.5 * pitch)])
    assert design_pitch(axis_edges(halves), SIZE, SIZE) == pytest.approx(pitch / 2)
    loose = _rects([*frame, (3 * pitch, 5.31 * pitch, 9 * pitch, 6.77 * pitch)])
    assert design_pitch(axis_edges(loose), SIZE, SIZE) == pytest.approx(pitch)


def test_the_flat_tips_of_round_joins_stay_off_the_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    """tabler's map outline: a 2-unit stroke with round joins, so each join's outermost point touches a
    grid line and the trace flattens it to a short edge inside the arc (0.14 px). Moved onto the line, the
    tips bulge at 4x; left, the outline keeps its round joins."""
    body = ('<path fill="none" stroke="#000" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" '
            'd="m3 7l6-3l6 3l6-3v13l-6 3l-6-3l-6 3z"/>')
    ssim_4x, deployed = {}, design_grid.TIP_TURN_DEG
    for degrees in (deployed, 0.0):
        monkeypatch.setattr(design_grid, "TIP_TURN_DEG", degrees)
        ssim_4x[degrees] = _ssim_4x(body)
    assert ssim_4x[deployed] > ssim_4x[0.0] + 0.001


def test_four_edges_on_the_grid_are_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    """A funnel with four axis-aligned edges (ic's filter-alt draws such): at four places, all on the
    24-unit grid, random places would match with a chance of 6e-7, so four edges are evidence enough;
    at MIN_EDGES 6 it found no grid and its edges stayed up to 1/8 px off."""
    body = '<path d="M3 5H21L14 13V19H10V13Z"/>'
    ssim_4x, deployed = {}, design_grid.MIN_EDGES
    for edges in (deployed, 6):
        monkeypatch.setattr(design_grid, "MIN_EDGES", edges)
        ssim_4x[edges] = _ssim_4x(body)
    assert ssim_4x[deployed] > 0.9995
    assert ssim_4x[deployed] > ssim_4x[6] + 0.0005


def test_a_lone_square_is_no_grid() -> None:
    """Four edges at two places: 40 units (a common grid) fit a 115.4 px square 0.25 px off the pixel
    grid within 0.15 px by chance; two places are too few to believe any grid (`MIN_PLACES`)."""
    square = _rects([(70.3, 70.3, 185.65, 185.65)])
    assert design_pitch(axis_edges(square), SIZE, SIZE) is None
