"""The learned models: they load, answer deterministically, rank sensibly, and their absence or
corruption falls back to the non-learned path."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from shared import learned
from shared.classifier import classify, classify_by_rules
from shared.config import get_settings
from shared.features import compute_features
from shared.params import parse_params
from shared.pipeline import AVAILABLE_TIERS, convert, route_image
from shared.router import route, tier_for
from tests.conftest import disc
from tests.image_files import jpeg_pixels_logo

MODELS = Path(learned.__file__).with_name("models")
pytestmark = pytest.mark.skipif(not (MODELS / "predictor.onnx").exists(), reason="run `make train` first")


def noisy_many_colours(size: int = 96) -> np.ndarray:
    rng = np.random.default_rng(3)
    rgba = np.full((size, size, 4), 255, np.uint8)
    rgba[..., :3] = rng.integers(0, 256, (size, size, 3))
    return rgba


@pytest.fixture
def model_dir(tmp_path: Path) -> Iterator[Path]:
    """A copy of the model directory the test may break; settings point at it."""
    target = tmp_path / "models"
    shutil.copytree(MODELS, target)
    os.environ["SVGAI_MODEL_DIR"] = str(target)
    get_settings.cache_clear()
    yield target
    os.environ.pop("SVGAI_MODEL_DIR", None)
    get_settings.cache_clear()


def test_models_load_warm_and_answer_deterministically() -> None:
    status = learned.load_models(MODELS)
    assert status["classifier"]["loaded"] and status["predictor"]["loaded"] and status["candidates"]["loaded"]
    features = compute_features(disc(64))
    first = learned.classify(features, MODELS)
    assert first is not None and first[0] in learned.LOGO_TYPES
    np.testing.assert_array_equal(first[1], learned.classify(features, MODELS)[1])
    enc = learned.get_models(MODELS).encoded_candidates
    a, b = learned.predict(features, enc, MODELS), learned.predict(features, enc, MODELS)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].shape == (len(enc),) and ((a[1] > 0) & np.isfinite(a[1])).all()


def test_predictor_ranks_a_clearly_better_configuration_higher() -> None:
    features = compute_features(disc(96, 35.0))
    good = parse_params({"alpha": "threshold", "mode": "polygon", "scale": 2.0})
    bad = parse_params({"alpha": "keep", "mode": "polygon", "scale": 1.0, "color_precision": 3,
                        "filter_speckle": 16, "layer_difference": 64})
    encoded = np.stack([learned.encode_params(p.flat()) for p in (good, bad)])
    ssim, _ = learned.predict(features, encoded, MODELS)
    assert ssim[0] > ssim[1]


def test_tiers_meet_an_easy_target_and_respect_a_short_budget() -> None:
    image = disc(96, 35.0, (30, 90, 200))
    one = convert(image, tier=1, target_ssim=0.95)
    assert one.figures.ssim >= 0.95
    two = convert(image, tier=2, target_ssim=0.95)
    assert two.figures.ssim >= 0.95 and two.evaluated > 1
    hurried = convert(noisy_many_colours(), tier=2, target_ssim=0.999, budget_s=0.01)
    assert hurried.evaluated < two.evaluated, "a budget shorter than one trace stops after the first"


def test_router_sends_easy_images_to_tier1_and_hard_ones_further() -> None:
    assert route_image(disc(96, 35.0), 0.95).tier == 1
    pixels = jpeg_pixels_logo()
    jpeg = compute_features(pixels)
    assert route(jpeg, classify(jpeg), 0.995, 30, AVAILABLE_TIERS).tier >= 2
    assert route_image(pixels, 0.995, budget_s=30).tier >= 2
    assert route_image(noisy_many_colours(), 0.995, budget_s=30).tier == 1  # posterised first: by rule


def test_missing_models_fall_back_to_rules_and_formula(model_dir: Path) -> None:
    for name in learned.MODEL_FILES.values():
        (model_dir / name).unlink()
    status = learned.load_models(model_dir)
    assert not status["classifier"]["loaded"] and "error" in status["predictor"]
    assert not learned.enabled("tier1") and not learned.enabled("classifier")
    features = compute_features(disc(64))
    assert classify(features) == classify_by_rules(features)
    assert convert(disc(64), tier=2, target_ssim=0.9).figures.ssim > 0.9


def test_a_corrupt_model_file_is_reported_not_fatal(model_dir: Path) -> None:
    (model_dir / "predictor.onnx").write_bytes(b"not an onnx model")
    status = learned.load_models(model_dir)
    assert status["predictor"]["loaded"] is False and status["predictor"]["error"]
    assert learned.rank_candidates(compute_features(disc(64)), 0.98, {}, [], model_dir) is None
    assert convert(disc(64), tier=1).figures.ssim > 0.9


def test_router_picks_the_cheapest_tier_sure_enough_to_reach_the_target() -> None:
    # the model's probabilities that the cheapest tier reaching the target is Tier 1, 2, 3
    assert tier_for(np.array([0.9, 0.05, 0.05]), 0.7) == (1, 0.9)
    assert tier_for(np.array([0.55, 0.0, 0.45]), 0.7) == (3, 0.55)  # the most likely tier is 1, not surely
    assert tier_for(np.array([0.55, 0.0, 0.45]), 0.5)[0] == 1
    tier, reach = tier_for(np.array([0.4, 0.35, 0.25]), 0.7)  # Tier 2 or a cheaper one suffices: 0.75
    assert tier == 2 and reach == pytest.approx(0.75)


def test_learned_router_decides_and_falls_back_to_rules(model_dir: Path) -> None:
    from shared import router

    easy, hard = compute_features(disc(96, 35.0)), compute_features(jpeg_pixels_logo())
    first = router.route(easy, classify(easy), 0.95, None, (1, 2, 3))
    assert first == router.route(easy, classify(easy), 0.95, None, (1, 2, 3))  # deterministic
    assert first.tier == 1 and "router model" in first.reason
    assert router.route(hard, classify(hard), 0.995, None, (1, 2, 3)).tier >= 2
    assert router.route(hard, classify(hard), 0.995, 2.0, (1, 2, 3)).tier <= 2  # short budget: no search
    (model_dir / "router.onnx").write_bytes(b"corrupt")
    learned._loaded.clear()
    assert learned.load_models(model_dir)["router"]["loaded"] is False
    fallback = router.route(easy, classify(easy), 0.95, None, (1, 2, 3))
    assert fallback == router.route(easy, classify(easy), 0.95, None, (1, 2, 3), learned_router=False)
    learned._loaded.clear()
