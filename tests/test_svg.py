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
