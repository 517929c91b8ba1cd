"""Writing and the size steps on the geometry model: merging keeps the picture, the canvas and the
painting order; simplification keeps the shape."""

import re

import numpy as np

from shared.geometry import Drawing, Primitive, merge_consecutive_fills, parse_paths, read_trace
from shared.render import render_svg
from shared.simplify import simplify_drawing
from shared.svg import write_svg
from tests.path_text import as_lines

HEAD = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 80 80">'
RED_A = '<path d="M0,0l30,0l0,30l-30,0Z" fill="#FF0000"/>'
RED_B = '<path d="M40,40l30,0l0,30l-30,0Zm5,5l0,10l10,0l0-10Z" fill="#ff0000"/>'
BLUE = '<path d="M20,20l40,0l0,40l-40,0Z" fill="#0000FF"/>'


def written(svg: str, merge: bool = False) -> str:
    drawing = read_trace(svg, 40, 40, 80, 80)
    return write_svg(merge_consecutive_fills(drawing) if merge else drawing)


def test_consecutive_paths_of_one_fill_merge_into_one_with_the_same_picture() -> None:
    svg = HEAD + RED_A + RED_B + BLUE + "</svg>"
    merged = written(svg, merge=True)
    assert merged.count("<path") == 2 and len(merged) < len(svg)
    assert merged.startswith('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" '
                             'viewBox="0 0 80 80">') and merged.endswith("</svg>\n")
    np.testing.assert_array_equal(render_svg(merged, 40, 40), render_svg(svg, 40, 40))


def test_painting_order_between_colours_is_kept() -> None:
    svg = HEAD + RED_A + BLUE + RED_B + "</svg>"
    assert written(svg, merge=True) == written(svg), "red, blue, red: merging would move a red under blue"
    assert written(svg).count("<path") == 3


def test_markup_the_model_does_not_read_is_kept() -> None:
    moved = '<path d="M0,0l10,0l10,0l0,10Z" fill="#FF0000" transform="translate(5,5)"/>'
    svg = HEAD + RED_A + moved + RED_B + "</svg>"
    assert 'transform="translate(5,5)"' in written(svg, merge=True)
    assert written(svg, merge=True).count("<path") == 3


def test_simplification_keeps_the_shape_and_drops_redundant_vertices() -> None:
    # a square whose edges carry collinear and nearly collinear (0.1 px off) vertices, with a hole
    d = "M0,0l10,0l10,.1l10,-.1l0,30l-30,0ZM10,10l0,10l10,0l0-10Z"
    svg = HEAD + f'<path d="{d}" fill="#000000"/></svg>'
    simple = write_svg(simplify_drawing(read_trace(svg, 40, 40, 80, 80), 0.25))
    simple_d = simple.split('d="')[1].split('"')[0]
    vertices, offsets, _ = parse_paths([as_lines(simple_d)])
    shapes = np.split(vertices, offsets[1:-1])
    assert [len(s) for s in shapes] == [4, 4]
    np.testing.assert_allclose(shapes[0], [[0, 0], [30, 0], [30, 30], [0, 30]])
    before, after = render_svg(svg, 40, 40).astype(int), render_svg(simple, 40, 40).astype(int)
    assert np.abs(before - after).max() <= 8, "the picture moves by less than a grey level step or so"
    assert len(simple_d) < len(d)


def test_a_primitive_on_the_usual_grid_is_written_with_one_decimal_within_a_hundredth_of_a_pixel() -> None:
    """On the grid of 8 units per px a primitive's numbers need 1 decimal (a step of 1/80 px), not 2."""
    shape = Primitive("rect", 20.123456, 15.987654, 10.432109, 5.555555, 0.0, 3.210987)
    ring = np.array([[9.7, 10.4], [30.6, 10.4], [30.6, 21.5], [9.7, 21.5]])
    drawing = Drawing(40, 40, ("#FF0000",), ring, np.array([0, 4]), np.array([0]), fitted={0: shape},
                      view=(320.0, 320.0), grid=True)
    svg = write_svg(drawing)
    rect = dict(re.findall(r'\b(x|y|width|height|rx)="([-\d.]+)"', svg))
    assert set(rect) == {"x", "y", "width", "height", "rx"}, svg
    assert all(len(text.partition(".")[2]) <= 1 for text in rect.values()), rect
    x, y, w, h, r = (float(rect[name]) / 8 for name in ("x", "y", "width", "height", "rx"))
    written = {"left": x, "top": y, "right": x + w, "bottom": y + h, "corner": r}  # each side on its own
    truth = {"left": shape.cx - shape.rx, "top": shape.cy - shape.ry, "right": shape.cx + shape.rx,
             "bottom": shape.cy + shape.ry, "corner": shape.corner}
    for name, value in truth.items():
        assert abs(written[name] - value) <= 1 / 160 + 1e-9, (name, rect)


def test_an_ellipse_among_a_shapes_rings_is_drawn_where_it_was_fitted() -> None:
    """A hole fitted as an ellipse is written as two half-turn arcs. Where the rounded chord came out
    shorter than the rounded diameter, each arc took a centre off the chord's middle and the hole
    moved (devicon-like ring of 40.8 px: by 0.6 px); the radii are written a rounding step short."""
    rng = np.random.default_rng(5)
    for _ in range(12):
        cx, cy = rng.uniform(90, 110, 2)
        rx, ry, angle = rng.uniform(30, 45), rng.uniform(25, 30), rng.uniform(-90, 90)
        square = np.array([[20.0, 20.0], [180.0, 20.0], [180.0, 180.0], [20.0, 180.0]])
        hole = np.array([[cx + rx, cy], [cx, cy - ry], [cx - rx, cy], [cx, cy + ry]])  # (its winding) fitted:
        drawing = Drawing(200, 200, ("#000000",), np.vstack([square, hole]), np.array([0, 4, 8]),
                          np.array([0, 0]), fitted={1: Primitive("ellipse", cx, cy, rx, ry, angle, 0.0)},
                          view=(1600.0, 1600.0), grid=True)
        alpha = render_svg(write_svg(drawing), 800, 800)[..., 3].astype(float) / 255
        yy, xx = (np.mgrid[:800, :800] + 0.5) / 4
        inner = (xx > 40) & (xx < 160) & (yy > 40) & (yy < 160)  # the hole and the plate around it
        empty = (1 - alpha) * inner
        centre = np.array([(empty * xx).sum(), (empty * yy).sum()]) / empty.sum()
        assert np.hypot(*(centre - [cx, cy])) <= 0.02, (cx, cy, rx, ry, angle, centre)
        assert abs(empty.sum() / 16 - np.pi * rx * ry) <= 0.002 * np.pi * rx * ry
