"""Writing and the size steps on the geometry model: merging keeps the picture, the canvas and the
painting order; simplification keeps the shape."""

import numpy as np

from shared.geometry import merge_consecutive_fills, parse_paths, read_trace
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
