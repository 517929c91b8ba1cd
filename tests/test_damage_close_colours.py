"""Cleaned inputs whose colours lie close together (shared/palette.py, `_same_colour`, `_two_peaks`; Tier 1's
`close_colours` retry on cleaned JPEGs and `snapped_fills` on images with alpha,
shared/tiers/tier1_retries.py): a #EEEEEE plate on a white ground is two colours, traced apart, and a
favicon's flat fills take its exact colours."""

import re

import numpy as np

from shared import pipeline
from shared.damage import estimate, sharp_edges
from shared.features import compute_features
from shared.images import DecodedImage, decode_image
from shared.palette import robust_palette
from shared.tiers import TierOutcome, TierRequest, tier1
from shared.tiers.tier1_retries import CLOSE_LEVELS, FINER_COLOR_PRECISION, close_colours
from tests.image_files import jpeg_bytes


def plate_on_white(side: int = 160, alpha: bool = False, plate: tuple[int, int, int] = (239, 239, 239),
                   disc: tuple[int, int, int] = (238, 26, 48)) -> np.ndarray:
    """A light plate across the middle of a white ground with a red disc on it, anti-aliased (4x4
    supersampled); with `alpha`, the ground is transparent instead."""
    ys, xs = np.mgrid[0 : side * 4, 0 : side * 4] / 4.0
    rgb = np.full((side * 4, side * 4, 3), 255.0)
    band = (ys > side * 0.2) & (ys < side * 0.8)
    rgb[band] = plate
    rgb[np.hypot(xs - side * 0.5, ys - side * 0.5) < side * 0.18] = disc
    rgb = rgb.reshape(side, 4, side, 4, 3).mean(axis=(1, 3))
    cover = band.astype(float).reshape(side, 4, side, 4).mean(axis=(1, 3)) if alpha else np.ones((side, side))
    return np.dstack([np.round(rgb).astype(np.uint8), np.round(cover * 255).astype(np.uint8)])


def test_a_light_grey_plate_on_white_is_its_own_palette_colour() -> None:
    rng = np.random.default_rng(0)
    pixels = np.concatenate([np.full((6000, 3), 255.0), np.full((4000, 3), 238.0)])
    pixels = np.clip(np.round(pixels + rng.normal(0.0, 1.5, pixels.shape)), 0, 255).astype(np.uint8)
    palette = robust_palette(pixels, split_light=True)
    assert len(palette) == 2, palette
    assert len(robust_palette(pixels)) == 1  # small images: merged (their anti-aliasing greys stay one)
    assert palette[:, 0].max() >= 252 and 234 <= palette[:, 0].min() <= 242


def test_chroma_noise_around_a_colour_is_still_one_colour() -> None:
    rng = np.random.default_rng(1)
    pixels = np.full((10000, 3), 240.0)
    pixels[:5000, 0] += 10  # a pinkish and a greenish half (JPEG's subsampled chroma), one lightness
    pixels[5000:, 1] += 8
    pixels = np.clip(np.round(pixels + rng.normal(0.0, 1.0, pixels.shape)), 0, 255).astype(np.uint8)
    assert len(robust_palette(pixels, split_light=True)) == 1


def test_two_flat_inks_close_together_stay_two_and_a_ramp_between_them_is_one() -> None:
    """flat-color-icons' safe: a #78909C frame and a #90A4AE door, ΔE 8 apart and not neutral, with
    JPEG-like noise, leave a gap between their pixels and stay two colours (`_two_peaks`); the same two
    colours as the ends of a gradient fill the line between them and are one, as are their pixels on a
    small image."""
    rng = np.random.default_rng(2)
    frame, door = np.array([120.0, 144, 156]), np.array([144.0, 164, 174])
    flat = np.concatenate([np.full((5600, 3), 255.0), np.tile(door, (4000, 1)), np.tile(frame, (400, 1))])
    flat = np.clip(np.round(flat + rng.normal(0.0, 1.5, flat.shape)), 0, 255).astype(np.uint8)
    palette = robust_palette(flat, split_light=True)
    assert len(palette) == 3, palette
    assert min(np.abs(palette.astype(float) - frame).max(axis=1)) <= 4
    assert len(robust_palette(flat)) == 2  # small images: merged, as before
    ramp = frame + rng.uniform(0.0, 1.0, (4400, 1)) * (door - frame)
    graded = np.concatenate([np.full((5600, 3), 255.0), ramp])
    graded = np.clip(np.round(graded + rng.normal(0.0, 1.5, graded.shape)), 0, 255).astype(np.uint8)
    assert len(robust_palette(graded, split_light=True)) == 2


def test_close_main_colours_are_found() -> None:
    assert close_colours(plate_on_white())
    assert not close_colours(plate_on_white(plate=(255 - 3 * CLOSE_LEVELS,) * 3))


def test_a_cleaned_image_with_close_colours_is_traced_again_with_exact_colours() -> None:
    """A cleaned JPEG of flat colours, snapped to its palette (a cleaned shaded one is retried only under
    FINER_BELOW_CLEANED_SHADED: tests/test_gradient_tiers.py)."""
    image = plate_on_white()
    features = compute_features(image)
    jpeg = {"cleaned": True, "sharp_edges": True, "snapped": True}
    outcome = tier1.run(TierRequest(image, features, 0.98, {}, **jpeg))
    assert outcome.evaluated == 2
    far = plate_on_white(plate=(160, 160, 160))
    assert tier1.run(TierRequest(far, compute_features(far), 0.98, {}, **jpeg)).evaluated == 1
    assert tier1.run(TierRequest(image, features, 0.98, {})).evaluated == 1  # clean inputs: unchanged
    softened = tier1.run(TierRequest(image, features, 0.98, {}, cleaned=True, snapped=True))  # upscaled
    assert softened.evaluated == 1
    fixed = tier1.run(TierRequest(image, features, 0.98, {"color_precision": 6}, **jpeg))
    assert fixed.evaluated == 1 and fixed.best.params.engine.color_precision < FINER_COLOR_PRECISION


def test_a_cleaned_image_with_alpha_gets_its_exact_fill_colours() -> None:
    image = plate_on_white(alpha=True, plate=(0, 70, 0), disc=(238, 238, 238))
    outcome = tier1.run(TierRequest(image, compute_features(image), 0.98, {"color_precision": 6},
                                    cleaned=True))
    fills = set(re.findall(r'fill="(#[0-9A-F]{6})"', outcome.best.svg))
    green = (0, 70, 0)
    near = {f for f in fills if max(abs(int(f[1 + 2 * i : 3 + 2 * i], 16) - green[i]) for i in range(3)) <= 8}
    assert near == {"#004600"}, fills


def test_only_a_jpeg_of_160_px_or_more_keeps_sharp_edges() -> None:
    for side, sharp in ((256, True), (96, False)):
        image = plate_on_white(side)
        damaged = decode_image(jpeg_bytes(image, 60))
        found = estimate(damaged.rgba, damaged.format)
        assert found.kind == "damaged" and sharp_edges(damaged.rgba, found) == sharp
        request = prepare_request(damaged)
        assert request.sharp_edges == sharp


def prepare_request(image: DecodedImage) -> TierRequest:
    """The Tier 1 request `convert` would make for an image."""
    seen: list[TierRequest] = []

    def record(request: TierRequest, executor: object = None) -> TierOutcome:
        seen.append(request)
        return tier1.run(request)

    runners = dict(pipeline.TIER_RUNNERS)
    pipeline.TIER_RUNNERS[1] = record
    try:
        pipeline.convert(image, tier=1)
    finally:
        pipeline.TIER_RUNNERS.update(runners)
    return seen[0]
