"""SVG size steps: merging keeps the picture, the canvas and the painting order."""

import numpy as np

from shared.render import render_svg
from shared.svg import merge_consecutive_fills

HEAD = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 80 80">'
RED_A = '<path d="M0,0l30,0l0,30l-30,0Z" fill="#FF0000"/>'
RED_B = '<path d="M40,40l30,0l0,30l-30,0Zm5,5l0,10l10,0l0-10Z" fill="#ff0000"/>'
BLUE = '<path d="M20,20l40,0l0,40l-40,0Z" fill="#0000FF"/>'


def test_consecutive_paths_of_one_fill_merge_into_one_with_the_same_picture() -> None:
    svg = HEAD + RED_A + RED_B + BLUE + "</svg>"
    merged = merge_consecutive_fills(svg)
    assert merged.count("<path") == 2 and len(merged) < len(svg)
    assert merged.startswith(HEAD) and merged.endswith("</svg>")
    np.testing.assert_array_equal(render_svg(merged, 40, 40), render_svg(svg, 40, 40))


def test_painting_order_between_colours_is_kept() -> None:
    svg = HEAD + RED_A + BLUE + RED_B + "</svg>"
    assert merge_consecutive_fills(svg) == svg, "red, blue, red: merging would move a red under blue"


def test_paths_with_other_attributes_are_left_alone() -> None:
    moved = '<path d="M0,0l10,0l0,10Z" fill="#FF0000" transform="translate(5,5)"/>'
    svg = HEAD + RED_A + moved + RED_B + "</svg>"
    assert merge_consecutive_fills(svg) == svg


def test_simplification_keeps_the_shape_and_drops_redundant_vertices() -> None:
    from shared.simplify import outlines, simplify_polygons

    # a square whose edges carry collinear and nearly collinear (0.1 px off) vertices, with a hole
    d = "M0,0l10,0l10,.1l10,-.1l0,30l-30,0ZM10,10l0,10l10,0l0-10Z"
    svg = HEAD + f'<path d="{d}" fill="#000000"/></svg>'
    simple = simplify_polygons(svg, 0.25)
    shapes = outlines(simple.split('d="')[1].split('"')[0])
    assert [len(s) for s in shapes] == [4, 4]
    np.testing.assert_allclose(shapes[0], [[0, 0], [30, 0], [30, 30], [0, 30]])
    before, after = render_svg(svg, 40, 40).astype(int), render_svg(simple, 40, 40).astype(int)
    assert np.abs(before - after).max() <= 8, "the picture moves by less than a grey level step or so"
    assert len(simple) < len(svg)


def test_curves_are_left_alone_and_zero_tolerance_is_identity() -> None:
    from shared.simplify import simplify_polygons

    curved = HEAD + '<path d="M0,0C10,0,20,10,20,20L0,20Z" fill="#000000"/></svg>'
    assert simplify_polygons(curved, 1.0) == curved
    assert simplify_polygons(HEAD + RED_A + "</svg>", 0) == HEAD + RED_A + "</svg>"
