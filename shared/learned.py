"""The learned models: one loader, ONNX Runtime inference, and the fallback when a model is missing.

Models (trained by `make train`, files in shared/models/, described in MODEL_CARD.md):
- `classifier.onnx`: 22 image features → logo type probabilities (simple, text, gradient, complex);
- `predictor.onnx`: features ⊕ encoded configuration → (SSIM, log bytes), batched over candidates;
- `candidates.json`: the fixed configurations the predictor scores for Tier 1 and Tier 2.
Each is loaded once per process (lazily on first use; `load_models()` loads eagerly, e.g. in a
worker's warm-up) and warmed with one call. A missing or unreadable file leaves that model out: callers
fall back to the rules/formula/portfolio path, a warning is logged, and `model_status()` reports it.
ONNX Runtime's CUDA provider is requested when the installed build has it (onnxruntime-gpu, the
`worker-gpu` image), after preloading the pip-installed CUDA/cuDNN libraries, which carry no RPATH
(`onnxruntime.preload_dlls()`); the provider each session got is logged and reported by `model_status()`
(so /readyz), and a session that fell back to the CPU is a warning with the reason.
"""

import contextlib
import io
import json
import logging
import resource
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from shared.config import get_settings
from shared.features import FEATURE_NAMES, ImageFeatures
from shared.params import ConversionParams, parse_params
from shared.search_space import SEARCH_SPACE

log = logging.getLogger("svgai.models")
LOGO_TYPES = ("simple", "text", "gradient", "complex")
MODEL_FILES = {"classifier": "classifier.onnx", "predictor": "predictor.onnx", "router": "router.onnx"}
CANDIDATES_FILE = "candidates.json"
# The predictor's inputs: the search space as it was when the committed model was trained, before the
# refinement steps existed and simplification went past 0.5 px (`make train-data train` on today's
# space would let it rank refined configurations).
PREDICTOR_SPACE = tuple(
    replace(d, high=0.5) if d.name == "simplify_px" else d
    for d in SEARCH_SPACE
    if d.name not in ("refine", "refine_grid", "fit_curves", "fit_tolerance_px", "corner_angle", "primitives",
                      "gradients", "gradient_stops", "gradient_merge")
)


def encode_params(flat: dict[str, Any]) -> np.ndarray:
    """A configuration as the predictor's input: one-hot for categorical dimensions of the search
    space, (value - low) / (high - low) for numeric ones; a value outside the choices encodes as zeros."""
    parts: list[float] = []
    for dim in PREDICTOR_SPACE:
        value = flat.get(dim.name)
        if dim.kind == "categorical":
            parts += [1.0 if value == choice else 0.0 for choice in dim.choices]
        else:
            span = (dim.high - dim.low) or 1.0
            number = float(value) if value is not None else dim.low
            parts.append(float(np.clip((number - dim.low) / span, -1.0, 2.0)))
    return np.asarray(parts, np.float32)


ENCODED_WIDTH = len(encode_params({}))


@dataclass
class LoadedModels:
    sessions: dict[str, Any] = field(default_factory=dict)
    candidates: list[ConversionParams] = field(default_factory=list)
    encoded_candidates: np.ndarray = field(default_factory=lambda: np.zeros((0, ENCODED_WIDTH), np.float32))
    status: dict[str, Any] = field(default_factory=dict)
    switches: dict[str, bool] = field(default_factory=dict)  # use.json, read once with the models


_lock = threading.Lock()
_loaded: dict[Path, LoadedModels] = {}


CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
# onnxruntime-gpu 1.31 links CUDA 13: the NVIDIA driver must support it (Linux driver >= 580)
CUDA_DRIVER_NOTE = "the CUDA provider needs an NVIDIA GPU and driver >= 580 (CUDA 13)"
_cuda_preload: dict[str, str] = {}  # the outcome of preloading the CUDA libraries, once per process


def _preload_cuda(ort: Any) -> str:
    """Load the CUDA and cuDNN libraries of the nvidia-* wheels (no RPATH in onnxruntime-gpu's provider
    library) before the first session; '' on success, else what went wrong (ONNX Runtime prints it)."""
    if "outcome" not in _cuda_preload:
        preload = getattr(ort, "preload_dlls", None)
        printed = io.StringIO()
        try:
            if preload is None:
                printed.write("no onnxruntime.preload_dlls (before 1.21): the library path must hold CUDA")
            else:
                with contextlib.redirect_stdout(printed):
                    preload()
        except Exception as exc:  # a missing library directory raises: report it, use the CPU
            printed.write(f"preload_dlls failed: {exc}")
        failures = [line.strip() for line in printed.getvalue().splitlines()
                    if "fail" in line.lower() or "preload_dlls" in line]
        _cuda_preload["outcome"] = " ".join(failures)
    return _cuda_preload["outcome"]


def _providers() -> tuple[list[str], list[str], str]:
    """(providers to request, best first; what the build offers; the CUDA preload outcome, '' if fine or
    not attempted)."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    if CUDA not in available:
        return [CPU], available, ""
    return [CUDA, CPU], available, _preload_cuda(ort)


def _session_provider(name: str, session: Any, requested: list[str], preload: str) -> dict[str, Any]:
    """The provider the session got (logged; a CPU fallback where CUDA was asked for is a warning with
    the reason) as status fields."""
    got = session.get_providers()[0]
    status: dict[str, Any] = {"provider": got, "requested": requested[0]}
    if requested[0] == CUDA and got != CUDA:
        reason = preload or f"no CUDA provider created (ONNX Runtime's log says why); {CUDA_DRIVER_NOTE}"
        log.warning("model %s runs on %s instead of %s: %s", name, got, CUDA, reason)
        status["fallback_reason"] = reason
    else:
        log.info("model %s runs on %s", name, got)
    return status


def _load(model_dir: Path) -> LoadedModels:
    import onnxruntime as ort

    models = LoadedModels()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t_all = time.perf_counter()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one conversion per core: models must not fight over cores
    options.inter_op_num_threads = 1
    warm = {"classifier": np.zeros((1, len(FEATURE_NAMES)), np.float32),
            "predictor": np.zeros((1, len(FEATURE_NAMES) + ENCODED_WIDTH), np.float32),
            "router": np.zeros((1, len(FEATURE_NAMES) + len(LOGO_TYPES) + 1), np.float32)}
    requested, available, preload = _providers()
    models.status["onnxruntime"] = {"version": ort.__version__, "available_providers": available}
    for name, filename in MODEL_FILES.items():
        t = time.perf_counter()
        try:
            session = ort.InferenceSession(str(model_dir / filename), options, providers=requested)
            session.run(None, {session.get_inputs()[0].name: warm[name]})
            models.sessions[name] = session
            models.status[name] = {"loaded": True, "load_s": round(time.perf_counter() - t, 4),
                                   **_session_provider(name, session, requested, preload)}
        except Exception as exc:  # missing, corrupt or incompatible: fall back, never crash
            log.warning("model %s not loaded, using the non-learned path: %s", name, exc)
            models.status[name] = {"loaded": False, "error": str(exc)[:200]}
    try:
        flats = json.loads((model_dir / CANDIDATES_FILE).read_text())["candidates"]
        models.candidates = [parse_params(f) for f in flats]
        models.encoded_candidates = np.stack([encode_params(c.flat()) for c in models.candidates])
        models.status["candidates"] = {"loaded": True, "count": len(models.candidates)}
    except Exception as exc:
        log.warning("candidate configurations not loaded: %s", exc)
        models.status["candidates"] = {"loaded": False, "error": str(exc)[:200]}
    try:
        models.switches = {k: bool(v) for k, v in json.loads((model_dir / USE_FILE).read_text()).items()}
    except (OSError, ValueError, AttributeError):
        models.switches = {}  # no switch file: every learned part stays off
    models.status["load_s"] = round(time.perf_counter() - t_all, 4)
    models.status["rss_increase_mb"] = round(
        (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024, 1)
    return models


def get_models(model_dir: Path | None = None) -> LoadedModels:
    """The models of `model_dir` (default: settings), loaded once per process."""
    directory = Path(model_dir or get_settings().model_dir)
    with _lock:
        if directory not in _loaded:
            _loaded[directory] = _load(directory)
        return _loaded[directory]


def load_models(model_dir: Path | None = None) -> dict[str, Any]:
    """Load (once) and warm every model now; returns `model_status()`."""
    get_models(model_dir)
    return model_status(model_dir)


def model_status(model_dir: Path | None = None) -> dict[str, Any]:
    """Per model: loaded or the error; load seconds; the ONNX Runtime provider it got, the one
    requested, and why it fell back to the CPU if it did; the ONNX Runtime version and its providers.
    Empty until the models are loaded."""
    directory = Path(model_dir or get_settings().model_dir)
    models = _loaded.get(directory)
    return dict(models.status) if models else {}


def classify(features: ImageFeatures, model_dir: Path | None = None) -> tuple[str, np.ndarray] | None:
    """(logo type, probabilities) from the classifier, or None when it is not loaded."""
    session = get_models(model_dir).sessions.get("classifier")
    if session is None:
        return None
    x = features.to_vector()[None, :].astype(np.float32)
    probabilities = session.run(None, {session.get_inputs()[0].name: x})[-1][0]  # last output: probabilities
    return LOGO_TYPES[int(np.argmax(probabilities))], probabilities


def predict(features: ImageFeatures, encoded: np.ndarray, model_dir: Path | None = None
            ) -> tuple[np.ndarray, np.ndarray] | None:
    """Predicted (SSIM, bytes) for each row of `encoded` configurations, one batched call; None when
    the predictor is not loaded."""
    session = get_models(model_dir).sessions.get("predictor")
    if session is None:
        return None
    rows = np.repeat(features.to_vector()[None, :], len(encoded), axis=0)
    x = np.hstack([rows, encoded]).astype(np.float32)
    out = session.run(None, {session.get_inputs()[0].name: x})[0]
    return out[:, 0], np.exp(out[:, 1])


USE_FILE = "use.json"


def enabled(part: str, model_dir: Path | None = None) -> bool:
    """Whether the learned `part` (classifier, router, tier1, tier2) is switched on: it measured better
    than its non-learned alternative at training time (use.json) and its model is loaded."""
    models = get_models(model_dir)
    needed = part if part in ("classifier", "router") else "predictor"
    uses_candidates = part in ("tier1", "tier2")
    return (models.switches.get(part, False) and needed in models.sessions
            and (not uses_candidates or bool(models.candidates)))


def rank_candidates(
    features: ImageFeatures, target_ssim: float, overrides: dict[str, Any], extra: list[ConversionParams],
    model_dir: Path | None = None,
) -> list[ConversionParams] | None:
    """`extra` and the stored candidates (with `overrides` applied, duplicates removed), best predicted
    objective first (the tiers' objective on predicted SSIM and bytes); None without a predictor."""
    from shared.tiers import objective_value

    models = get_models(model_dir)
    if "predictor" not in models.sessions or not models.candidates:
        return None
    if overrides:  # re-encode: fixed parameters change the candidates
        seen: dict[str, ConversionParams] = {}
        for params in [*extra, *models.candidates]:
            fixed = params.with_overrides(overrides)
            seen.setdefault(fixed.model_dump_json(), fixed)
        configs = list(seen.values())
        encoded = np.stack([encode_params(c.flat()) for c in configs])
    else:  # the stored candidates were encoded once, at load
        configs = [*extra, *models.candidates]
        encoded = np.vstack([*(encode_params(c.flat())[None] for c in extra), models.encoded_candidates])
    predicted = predict(features, encoded, model_dir)
    assert predicted is not None
    order = np.argsort(-objective_value(predicted[0], predicted[1], target_ssim), kind="stable")
    return [configs[i] for i in order]
