"""Which ONNX Runtime provider each model session got (shared/learned.py): logged, reported by
model_status() (and so /readyz), and a CPU fallback where CUDA was requested is a warning with the
reason. No GPU here: the CUDA cases make the installed CPU build of ONNX Runtime claim a CUDA provider,
so the real InferenceSession is asked for CUDA and falls back to the CPU as it does on a GPU node whose
libraries or driver are missing."""

import logging
import shutil
from pathlib import Path

import onnxruntime as ort
import pytest

from shared import learned

MODELS = Path(learned.__file__).resolve().parent / "models"


@pytest.fixture
def model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the committed models (a directory of its own: loaded afresh) and a fresh CUDA preload."""
    monkeypatch.setattr(learned, "_cuda_preload", {})
    return Path(shutil.copytree(MODELS, tmp_path / "models"))


def claim_cuda(monkeypatch: pytest.MonkeyPatch, preload_prints: str) -> list[int]:
    """Make ONNX Runtime list the CUDA provider; its preload_dlls prints `preload_prints`. Returns a
    list that grows by one per preload call."""
    calls: list[int] = []

    def preload_dlls() -> None:
        calls.append(1)
        if preload_prints:
            print(preload_prints)

    monkeypatch.setattr(ort, "get_available_providers", lambda: [learned.CUDA, learned.CPU])
    monkeypatch.setattr(ort, "preload_dlls", preload_dlls, raising=False)
    return calls


def test_cpu_build_reports_the_cpu_provider(model_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="svgai.models"):
        status = learned.load_models(model_dir)
    for name in learned.MODEL_FILES:
        assert status[name]["provider"] == status[name]["requested"] == learned.CPU
        assert "fallback_reason" not in status[name]
        assert f"model {name} runs on {learned.CPU}" in caplog.text
    assert status["onnxruntime"] == {"version": ort.__version__,
                                     "available_providers": ort.get_available_providers()}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_cuda_fallback_is_a_warning_with_the_preload_failure(
        model_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    missing = "Failed to load libcublasLt.so.13: libcublasLt.so.13: cannot open shared object file"
    calls = claim_cuda(monkeypatch, missing)
    with caplog.at_level(logging.INFO, logger="svgai.models"):
        status = learned.load_models(model_dir)
    assert calls == [1], "the CUDA libraries are preloaded once per process, before the first session"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for name in learned.MODEL_FILES:
        assert status[name]["loaded"] and status[name]["requested"] == learned.CUDA
        assert status[name]["provider"] == learned.CPU
        assert missing in status[name]["fallback_reason"]
        assert any(f"model {name} runs on {learned.CPU} instead of {learned.CUDA}" in w and missing in w
                   for w in warnings)
    assert learned.model_status(model_dir)["classifier"]["fallback_reason"] == status["classifier"][
        "fallback_reason"], "model_status (what /readyz shows) carries the reason"


def test_cuda_fallback_without_a_preload_failure_names_the_driver(
        model_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    claim_cuda(monkeypatch, "")
    with caplog.at_level(logging.WARNING, logger="svgai.models"):
        status = learned.load_models(model_dir)
    assert status["predictor"]["provider"] == learned.CPU
    assert learned.CUDA_DRIVER_NOTE in status["predictor"]["fallback_reason"]
    assert learned.CUDA_DRIVER_NOTE in caplog.text
