"""The web page's compare view in a real browser (fixtures: tests/web_fixtures.py): the overlay follows a
drag, and every zoom up to 800 % shows the image at that multiple of its pixel size, the original's pixels
as 8 x 8 blocks and the SVG drawn as vector at the zoomed size (measured on the screen's pixels, not by a
screenshot diff). Makes tests/artifacts/web-compare-800.png, the README's docs/web-compare-800.png."""

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from tests.web_helpers import EXAMPLES, needs_chromium, screenshot, settings, wait_for_result

pytest_plugins = ["tests.web_fixtures"]  # browser, gateway, page (and the service fixtures they need)
pytestmark = needs_chromium
ICON = EXAMPLES["icon_bank-transfer"]
ZOOM = 8
SIZE, RADIUS = 128, 0.42 * 128  # the round logo: a disc centred on a 128 px canvas, radius in input pixels


def round_logo(path: Path) -> Path:
    """A plain round logo: one blue disc on transparency, anti-aliased (drawn 8x larger, then reduced)."""
    big, c, r = SIZE * 8, SIZE * 8 / 2, RADIUS * 8
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse([c - r, c - r, c + r, c + r], fill=(30, 90, 200, 255))
    image.resize((SIZE, SIZE), Image.Resampling.LANCZOS).save(path)
    return path


def luminance(shot: bytes) -> np.ndarray:
    rgb = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), np.float64)
    return rgb @ np.array([0.299, 0.587, 0.114])


def left_edge(page: Any, pane: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per image row (screen pixels from the image's top), where the disc's left edge is drawn in pane `pane`:
    the first column (from the image's left) darker than halfway between the disc and the light checker
    behind it, and how many pixels of that row are blends (neither disc nor checker) across the edge."""
    locator = page.locator("#view-side .pane").nth(pane)
    offset = locator.evaluate("(p) => { const a = p.getBoundingClientRect(), b = p.querySelector('img')"
                              ".getBoundingClientRect(); return [b.left - a.left, b.top - a.top]; }")
    dx, dy = (round(v) for v in offset)
    lum = luminance(locator.screenshot())[rows + dy, dx:]
    disc, light = np.percentile(lum, 1), 237.0  # the checker's darker square, #eceef2
    first = np.argmax(lum < (disc + light) / 2, axis=1)
    near = np.arange(lum.shape[1]) < first[:, None] + 16  # the edge, not the disc's inside or far right
    blended = ((lum > disc + 25) & (lum < light - 25) & near).sum(axis=1)
    return first, blended


def test_at_800_percent_the_svg_is_drawn_as_vector_beside_the_pixels(page: Any, tmp_path: Path) -> None:
    assert page.inner_text("#zoom option[value='8']") == "800 %"
    settings(page, "1", "98")
    page.set_input_files("#files", str(round_logo(tmp_path / "round-logo.png")))
    wait_for_result(page)
    page.select_option("#zoom", str(ZOOM))
    page.wait_for_function("document.getElementById('svg-view').getBoundingClientRect().width > 512")
    sizes = page.evaluate("""['original', 'svg-view'].map((id) => { const i = document.getElementById(id),
      r = i.getBoundingClientRect(); return [r.width, r.height, i.naturalWidth, i.naturalHeight]; })""")
    for width, height, natural_width, natural_height in sizes:
        assert (natural_width, natural_height) == (SIZE, SIZE)
        assert (width, height) == (ZOOM * SIZE, ZOOM * SIZE)  # 8x its natural size, both sides
    # rows where the disc's left edge runs at 45-90 degrees: it moves <= 1 screen pixel a row when drawn
    centre, radius = ZOOM * SIZE / 2, ZOOM * RADIUS
    rows = np.arange(int(centre - 0.7 * radius), int(centre - 0.3 * radius))
    truth = centre - np.sqrt(radius**2 - (rows + 0.5 - centre) ** 2)  # the true edge, screen px
    pixels, pixels_blended = left_edge(page, 0, rows)
    vector, vector_blended = left_edge(page, 1, rows)
    steps = np.abs(np.diff(pixels))
    assert np.all(steps % ZOOM == 0) and steps.max() >= ZOOM  # the original: blocks of 8 x 8 screen px
    assert np.abs(pixels + 0.5 - truth).max() >= 3  # so its edge is a staircase off the circle
    assert np.abs(np.diff(vector)).max() <= 2, np.diff(vector)  # the SVG: a line drawn at the zoomed size
    assert np.abs(vector + 0.5 - truth).max() <= 3, vector + 0.5 - truth  # on the circle (0.375 input px)
    assert vector_blended.max() <= 3, vector_blended  # sharp: an upscaled bitmap would blur over ~8 px
    assert pixels_blended.max() >= ZOOM  # a blended input pixel spans a whole block
    screenshot(page, "compare-800", "#view-side", with_width=False)


def test_dragging_on_the_overlay_moves_the_split_and_zoom_reaches_800(page: Any) -> None:
    settings(page, "1", "98")
    page.set_input_files("#files", str(ICON))
    wait_for_result(page)
    page.click("label[for=view-overlay-radio]")
    page.locator(".overlay").scroll_into_view_if_needed()
    box = page.locator(".overlay").bounding_box()
    y = box["y"] + 40
    page.mouse.move(box["x"] + box["width"] * 0.5, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.35, y, steps=4)
    page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=4)
    page.mouse.up()
    assert abs(float(page.input_value("#overlay-slider")) - 20) < 1
    assert "inset(0px 0px 0px 2" in page.get_attribute("#overlay-svg", "style")
    split = page.evaluate("document.querySelector('.overlay .split').style.left")
    assert abs(float(split.rstrip("%")) - 20) < 1
    page.select_option("#zoom", "8")
    width = Image.open(ICON).width
    assert page.evaluate("document.querySelector('.overlay').clientWidth") == 8 * width
    page.click("label[for=view-side-radio]")
    widths = page.evaluate("['original', 'svg-view'].map(i => document.getElementById(i).clientWidth)")
    assert widths == [8 * width] * 2


