import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from shared.candidate import evaluate, make_svg
from shared.engine import EngineError, trace
from shared.params import EngineParams, parse_params
from shared.preprocess import prepare, supersample, threshold_alpha
from shared.render import render_svg

SVG_NS = "{http://www.w3.org/2000/svg}"


def _root(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_trace_returns_svg_of_the_input_size(square_rgba: np.ndarray) -> None:
    svg = trace(square_rgba, EngineParams())
    root = _root(svg)
    assert root.tag == f"{SVG_NS}svg" and root.get("width") == "64" and root.get("height") == "64"
    assert root.findall(f"{SVG_NS}path")


def test_fully_transparent_input_gives_an_empty_svg_not_a_panic() -> None:
    svg = trace(np.zeros((16, 16, 4), np.uint8), EngineParams())
    assert _root(svg).get("width") == "16" and not _root(svg).findall(f"{SVG_NS}path")


def test_wrong_array_is_rejected() -> None:
    with pytest.raises(ValueError):
        trace(np.zeros((4, 4, 3), np.uint8), EngineParams())


def test_engine_panic_becomes_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import shared.engine as engine

    class PanicException(BaseException):  # pyo3's panic class (pyo3_runtime.PanicException) by name
        pass

    class FakeConfig:
        def __init__(self, **_: object) -> None:
            pass

        def convert_pixels(self, *_: object) -> str:
            raise PanicException("attempt to divide by zero")

    monkeypatch.setattr(engine.vtracer, "Config", FakeConfig)
    with pytest.raises(EngineError, match="divide by zero"):
        trace(np.full((4, 4, 4), 255, np.uint8), EngineParams())


def test_a_time_limit_inside_the_engine_is_not_an_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway's Tier 1 pool raises its time limit (a BaseException) from a signal handler; when it
    strikes while VTracer runs it must reach the pool as a time limit, not 'the tracing engine failed'."""
    import shared.engine as engine

    class TimeLimit(BaseException):
        pass

    class FakeConfig:
        def __init__(self, **_: object) -> None:
            pass

        def convert_pixels(self, *_: object) -> str:
            raise TimeLimit

    monkeypatch.setattr(engine.vtracer, "Config", FakeConfig)
    with pytest.raises(TimeLimit):
        trace(np.full((4, 4, 4), 255, np.uint8), EngineParams())


@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0, 3.0])
def test_supersampled_output_renders_at_the_input_size(disc_rgba: np.ndarray, scale: float) -> None:
    params = parse_params({"scale": scale, "alpha": "threshold", "mode": "polygon"})
    svg = make_svg(disc_rgba, params)
    root = _root(svg)
    w, h = round(64 * scale), round(64 * scale)
    assert (root.get("width"), root.get("height")) == ("64", "64")
    assert root.get("viewBox") == f"0 0 {w} {h}"
    assert render_svg(svg, 64, 64).shape == (64, 64, 4)


def test_output_is_minified_valid_xml(disc_rgba: np.ndarray) -> None:
    svg = make_svg(disc_rgba, parse_params({}))
    assert not svg.startswith("<?xml") and "<!--" not in svg and "\n<" not in svg
    _root(svg)
    assert not re.search(r"\d\.\d{3,}", svg), "path_precision=2 keeps at most two decimals"


def test_supersample_is_premultiplied(disc_rgba: np.ndarray) -> None:
    rgba = disc_rgba.copy()
    rgba[rgba[..., 3] == 0, :3] = (0, 255, 0)  # invisible green must not bleed into the red edge
    up = supersample(rgba, 2.0)
    edge = (up[..., 3] > 30) & (up[..., 3] < 220)
    assert up.shape == (128, 128, 4) and edge.any()
    assert up[edge, 1].max() < 60


def test_threshold_alpha_makes_alpha_binary(disc_rgba: np.ndarray) -> None:
    out = threshold_alpha(disc_rgba, 128)
    assert set(np.unique(out[..., 3])) <= {0, 255}
    assert (out[out[..., 3] == 0, :3] == 0).all()
    assert prepare(disc_rgba, parse_params({}).steps) is disc_rgba


def test_transparent_pixels_stay_transparent(disc_rgba: np.ndarray) -> None:
    for overrides in ({}, {"alpha": "threshold", "hierarchical": "cutout", "mode": "polygon", "scale": 2}):
        cand = evaluate(disc_rgba, parse_params(overrides))
        rendered = render_svg(cand.svg, 64, 64)
        assert rendered[0, 0, 3] == 0 and rendered[-1, -1, 3] == 0
        assert rendered[32, 32, 3] == 255


def test_flat_square_traced_scores_at_least_099(square_rgba: np.ndarray) -> None:
    cand = evaluate(square_rgba, parse_params({}))
    assert cand.figures.ssim >= 0.99


def test_snap_colors_maps_to_at_most_n_colours_and_keeps_alpha(disc_rgba: np.ndarray) -> None:
    from shared.preprocess import snap_colors

    rng = np.random.default_rng(0)
    noisy = disc_rgba.copy()
    noise = rng.normal(0, 12, noisy[..., :3].shape)
    noisy[..., :3] = np.clip(noisy[..., :3] + noise, 0, 255).astype(np.uint8)
    snapped = snap_colors(noisy, 4)
    visible = snapped[snapped[..., 3] >= 128][:, :3]
    assert len(np.unique(visible, axis=0)) <= 4
    assert np.array_equal(snapped[..., 3], noisy[..., 3])


def test_median_denoise_removes_speckles_not_edges(square_rgba: np.ndarray) -> None:
    from shared.preprocess import median_denoise

    speckled = square_rgba.copy()
    speckled[30, 30, :3] = (255, 255, 255)
    clean = median_denoise(speckled, 3)
    assert tuple(clean[30, 30, :3]) == (20, 90, 200)
    assert np.array_equal(clean[..., 3], speckled[..., 3])
    assert np.array_equal(clean[20:44, 20:44], square_rgba[20:44, 20:44])


CLEANUP_STEPS = [{"denoise": 3}, {"snap_colors": 8}, {"denoise": 3, "snap_colors": 4, "scale": 2}]


@pytest.mark.parametrize("steps", CLEANUP_STEPS)
def test_cleanup_steps_keep_size_and_transparency(disc_rgba: np.ndarray, steps: dict) -> None:
    cand = evaluate(disc_rgba, parse_params({"alpha": "threshold", "mode": "polygon", **steps}))
    root = _root(cand.svg)
    assert (root.get("width"), root.get("height")) == ("64", "64")
    rendered = render_svg(cand.svg, 64, 64)
    assert rendered[0, 0, 3] == 0 and rendered[32, 32, 3] == 255
    assert cand.figures.ssim > 0.95


def test_snap_colors_of_one_is_rejected() -> None:
    from shared.errors import ParameterError

    with pytest.raises(ParameterError, match="snap_colors"):
        parse_params({"snap_colors": 1})


@pytest.mark.parametrize("scale", [2.0, 4.0])
def test_simplified_trace_keeps_canvas_transparency_and_quality(disc_rgba: np.ndarray, scale: float) -> None:
    base = {"scale": scale, "alpha": "threshold", "mode": "polygon", "hierarchical": "cutout"}
    plain = evaluate(disc_rgba, parse_params(base))
    simple = evaluate(disc_rgba, parse_params({**base, "simplify_px": 0.25}))
    root = _root(simple.svg)
    assert (root.get("width"), root.get("height")) == ("64", "64")
    assert root.get("viewBox") == f"0 0 {round(64 * scale)} {round(64 * scale)}"
    assert simple.figures.bytes < plain.figures.bytes
    assert simple.figures.ssim >= plain.figures.ssim - 0.003
    rendered = render_svg(simple.svg, 64, 64)
    assert (rendered[disc_rgba[..., 3] == 0, 3] < 40).all(), "transparent input stays (nearly) transparent"


def test_small_transparent_corners_are_background_not_black_shapes() -> None:
    """A rounded-corner square: too few transparent pixels on the engine's sampled rows for it to key
    them out by itself (shared/engine.py, `with_background_row`)."""
    side, radius = 96, 12
    yy, xx = np.mgrid[:side, :side] + 0.5
    cx = np.clip(xx, radius, side - radius)
    cy = np.clip(yy, radius, side - radius)
    inside = np.hypot(xx - cx, yy - cy) <= radius
    rgba = np.zeros((side, side, 4), np.uint8)
    rgba[inside] = (120, 177, 89, 255)
    svg = trace(rgba, EngineParams(mode="polygon"))
    fills = set(re.findall(r'fill="(#[0-9A-Fa-f]{6})"', svg))
    assert fills == {"#78B159"}  # no shape of the transparent corners' RGB (black)
    assert 'height="96"' in svg
    rendered = render_svg(svg, side, side)
    assert (rendered[..., 3][~inside] < 128).mean() > 0.75  # the corners stay transparent


def test_an_outline_the_engine_begins_with_a_lineto_is_drawn() -> None:
    """The engine's cutout trace of flat-color-icons' electrical-threshold (MIT, tests/fixtures/) begins
    its zigzag's outline with `L` instead of `M`; read as written it renders nothing and the zigzag, a
    fifth of the icon, was missing (0.858). It is read as the moveto it stands for (shared/geometry.py)."""
    from pathlib import Path

    from shared.params import ConversionParams, StepParams
    from shared.quality import alpha_aware_ssim

    source = (Path(__file__).parent / "fixtures" / "flat-color-icons-electrical-threshold.svg").read_text()
    rgba = render_svg(source, 256, 256)
    engine = EngineParams(mode="polygon", hierarchical="cutout")
    traced = trace(threshold_alpha(rgba, 128), engine)
    assert re.search(r'<path d="\s*[Ll]', traced), "the engine writes no such outline now: drop this test"
    candidate = evaluate(rgba, ConversionParams(engine=engine, steps=StepParams(alpha="threshold")),
                         compare_unrefined=False)
    drawn = render_svg(candidate.svg, 256, 256)
    blue = np.array([0x3F, 0x51, 0xB5])
    zigzag = (np.abs(rgba[..., :3].astype(int) - blue).max(axis=-1) <= 8) & (rgba[..., 3] == 255)
    near = np.abs(drawn[..., :3].astype(int) - blue).max(axis=-1) <= 24
    assert zigzag.sum() > 3000 and near[zigzag].mean() > 0.95
    assert alpha_aware_ssim(rgba, drawn)[0] > 0.98


def _two_colour_edge(edge_y: float, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> np.ndarray:
    """A 32 x 32 opaque image, `top` above the horizontal line at `edge_y` px and `bottom` below it,
    the row it crosses anti-aliased by coverage."""
    cover = np.clip(np.arange(32)[:, None] + 1.0 - edge_y, 0.0, 1.0)  # of `bottom`, per row
    rgb = np.array(top) * (1 - cover[..., None]) + np.array(bottom) * cover[..., None]
    rgb = np.broadcast_to(rgb, (32, 32, 3))
    return np.dstack([np.rint(rgb), np.full((32, 32), 255)]).astype(np.uint8)


@pytest.mark.parametrize(("edge_y", "mixed_becomes"), [(12.3, "bottom"), (12.7, "top")])
def test_an_edges_mix_pixels_take_the_nearer_sides_colour(edge_y: float, mixed_becomes: str) -> None:
    """The row a white/red edge crosses is a mix of both; the engine is given the side it is nearer to
    (more than half its coverage), every other pixel as it was."""
    from shared.preprocess import unmixed

    top, bottom = (238, 238, 238), (218, 28, 11)
    rgba = _two_colour_edge(edge_y, top, bottom)
    out = unmixed(rgba)
    assert out[12, :, :3].tolist() == [list(top if mixed_becomes == "top" else bottom)] * 32
    rest = np.arange(32) != 12
    assert np.array_equal(out[rest], rgba[rest])


def test_a_gradient_a_hairline_and_translucent_edges_are_not_unmixed() -> None:
    """A ramp (each pixel between its neighbours, but no flat sides), a 1 px line (its pixels no mix of
    their sides), a faint line 1 px from a dark shape, a 1 px line's staircase step and an edge against
    transparency stay as they are."""
    from shared.preprocess import unmixed

    ramp = np.zeros((32, 32, 4), np.uint8)
    ramp[..., :2] = np.minimum(np.arange(32) * 16, 255)[None, :, None]  # 68 levels over a pair 3 px apart
    ramp[..., 3] = 255
    line = np.full((32, 32, 4), 255, np.uint8)
    line[:, 15, :3] = (20, 40, 200)
    faded = _two_colour_edge(12.5, (238, 238, 238), (218, 28, 11))
    faded[:12, :, 3] = 0
    faded[12, :, 3] = 128
    beside = np.full((32, 32, 4), 255, np.uint8)  # a faint hairline 1 px from a dark block: no mix of
    beside[:, :10, :3] = 0  # the block and the white beyond it (the white gap between is no mix of them)
    beside[:, 11, :3] = 150
    stepped = np.full((32, 32, 4), 255, np.uint8)  # a 1 px line stepping up a row: its step's halves are
    stepped[12, :16, :3] = stepped[11, 17:, :3] = 0  # no mix of the line and the white beside them
    stepped[11:13, 16, :3] = 128
    for rgba in (ramp, line, faded, beside, stepped):
        assert np.array_equal(unmixed(rgba), rgba)
