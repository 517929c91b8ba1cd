"""`make train` (last step): the learned router, compared with the rule router and "always Tier 2".

    python -m bench.train_router [--seed 0] [--models shared/models] [--out bench/results/models-router.json]

Labels from data/train/router_labels.jsonl (`make train-data`, `bench.train_router_labels`): for each
image and target, the cheapest deployed tier that reached the target end to end through
`shared.pipeline.convert` (1 if Tier 1 did, else 2 if Tier 2 did, else 3), the definition
`bench.train_verify` checks the router against. Images the pipeline cleans up or upscales first are
routed to Tier 1 by rule, never by the router, and are left out. Inputs: the 22 image features as the
pipeline computed them, the logo type (one-hot, from the deployed classifier) and the target.
Gradient boosting (scikit-learn, fixed hyper-parameters: nothing is chosen on held-out images), exported
to shared/models/router.onnx; switched on (`use.json` key "router") only if its held-out accuracy beats
both the rules and "always Tier 2". The router it replaces is scored on the same held-out labels. Writes
bench/results/models-router.json. `--models DIR` (a copy of shared/models, made if missing) and `--out`
train a candidate without touching the committed router, for `bench.train_verify --candidate DIR`.
"""

import argparse
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import GroupKFold

from shared import learned
from shared.classifier import classify
from shared.config import get_settings
from shared.features import ImageFeatures
from shared.router import ROUTER_CONFIDENCE, ROUTER_TARGETS, route, router_input, tier_for
from shared.tiers.tier3 import DEFAULT_BUDGET_S

DATA = Path("data/train/router_labels.jsonl")
MODELS = Path("shared/models")
RESULTS = Path("bench/results")
MODEL_PARAMS = {"n_estimators": 150, "max_depth": 3, "learning_rate": 0.1}  # fixed, never tuned on held-out
FOLDS = 5
CONFIDENCES = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


def matrix(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(inputs, right tiers, rule router's tiers, targets), one row per (image, target)."""
    x, y, rules, targets = [], [], [], []
    for row in rows:
        features = ImageFeatures(**row["features"])
        logo_type = classify(features)
        for target in ROUTER_TARGETS:
            x.append(router_input(features, logo_type, target))
            y.append(row["right_tier"][f"{target:g}"])
            rules.append(route(features, logo_type, target, None, (1, 2, 3), learned_router=False).tier)
            targets.append(target)
    return np.stack(x), np.array(y), np.array(rules), np.array(targets)


def export(model: GradientBoostingClassifier, width: int, path: Path) -> None:
    from skl2onnx import to_onnx

    onx = to_onnx(model, np.zeros((1, width), np.float32), options={id(model): {"zipmap": False}})
    path.write_bytes(onx.SerializeToString())


def tier_seconds(rows: list[dict[str, Any]]) -> np.ndarray:
    """Seconds of Tiers 1, 2 and 3 per (image, target) row, in `matrix`'s order (Tier 3: its default
    search budget, which it mostly uses at 256 px: bench/results/models-verify-confidence.json)."""
    return np.array([[row["runs"][f"{t:g}"]["tier1"]["seconds"], row["runs"][f"{t:g}"]["tier2"]["seconds"],
                      DEFAULT_BUDGET_S] for row in rows for t in ROUTER_TARGETS])


def accuracy_by_target(pred: np.ndarray, truth: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    return {f"{t:g}": round(float(np.mean(pred[targets == t] == truth[targets == t])), 3)
            for t in ROUTER_TARGETS}


def onnx_probabilities(path: Path, x: np.ndarray) -> np.ndarray | None:
    """A router file's probabilities (rows: inputs, columns: Tiers 1-3) for input rows, or None when
    there is no readable router there."""
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception:  # missing or corrupt: nothing to compare with
        return None
    _, probabilities = session.run(None, {session.get_inputs()[0].name: x})
    return np.asarray(probabilities, float)


def decisions(probabilities: np.ndarray, confidence: float = ROUTER_CONFIDENCE) -> np.ndarray:
    """The tiers the router sends input rows to (`shared.router.tier_for`)."""
    return np.array([tier_for(p, confidence)[0] for p in probabilities], int)


def confidence_table(x: np.ndarray, y: np.ndarray, seconds: np.ndarray, seed: int) -> list[dict[str, Any]]:
    """Per candidate `ROUTER_CONFIDENCE`, the routing of the training split's decisions by models fitted
    on the other four of five folds of its images: accuracy, the share sent to a cheaper tier than
    the right one (the result misses the target) and to a costlier one, and the mean seconds of the
    tiers chosen (`seconds`: Tier 1's, Tier 2's and Tier 3's per decision)."""
    groups = np.arange(len(y)) // len(ROUTER_TARGETS)  # an image's decisions stay in one fold
    held = np.zeros((len(y), 3))
    for fit_rows, held_rows in GroupKFold(FOLDS).split(x, y, groups):
        model = GradientBoostingClassifier(**MODEL_PARAMS, random_state=seed).fit(x[fit_rows], y[fit_rows])
        held[np.ix_(held_rows, model.classes_ - 1)] = model.predict_proba(x[held_rows])
    out = []
    for confidence in CONFIDENCES:
        chosen = decisions(held, confidence)
        out.append({"confidence": confidence, "accuracy": round(float(np.mean(chosen == y)), 3),
                    "cheaper_than_right": round(float(np.mean(chosen < y)), 3),
                    "costlier_than_right": round(float(np.mean(chosen > y)), 3),
                    "mean_seconds": round(float(np.mean(seconds[np.arange(len(y)), chosen - 1])), 2),
                    "chosen_counts": {str(t): int(np.sum(chosen == t)) for t in (1, 2, 3)}})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--models", type=Path, default=MODELS, help="where router.onnx and use.json are written")
    ap.add_argument("--out", type=Path, default=RESULTS / "models-router.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    models: Path = args.models
    if models.resolve() != MODELS.resolve():
        if not models.exists():
            shutil.copytree(MODELS, models)
        os.environ["SVGAI_MODEL_DIR"] = str(models.resolve())
        get_settings.cache_clear()
    every = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    rows = [r for r in every if r["excluded"] is None]
    train = [r for r in rows if r["split"] == "train"]
    held = [r for r in rows if r["split"] == "holdout"]
    x, y, _, _ = matrix(train)
    xh, yh, rules, targets = matrix(held)
    model = GradientBoostingClassifier(**MODEL_PARAMS, random_state=args.seed).fit(x, y)
    # shared.router.tier_for reads the model's probability columns as Tiers 1, 2, 3
    assert model.classes_.tolist() == [1, 2, 3], f"labels hold tiers {model.classes_.tolist()}, not 1-3"
    path = models / "router.onnx"
    before = onnx_probabilities(path, xh)
    previous = None if before is None else decisions(before)
    export(model, x.shape[1], path)
    probabilities = onnx_probabilities(path, xh)
    assert probabilities is not None and np.allclose(probabilities, model.predict_proba(xh), atol=1e-4), \
        "ONNX export disagrees with sklearn"
    pred = decisions(probabilities)
    acc = {"learned": round(float(np.mean(pred == yh)), 3), "rules": round(float(np.mean(rules == yh)), 3),
           "always_tier2": round(float(np.mean(yh == 2)), 3),
           "replaced_router": None if previous is None else round(float(np.mean(previous == yh)), 3)}
    use = acc["learned"] > max(acc["rules"], acc["always_tier2"])
    confusion = np.zeros((3, 3), int)
    for truth, guess in zip(yh, pred, strict=True):
        confusion[truth - 1, guess - 1] += 1
    use_path = models / "use.json"
    flags = json.loads(use_path.read_text()) if use_path.exists() else {}
    use_path.write_text(json.dumps({**flags, "router": use}, indent=1) + "\n")
    learned._loaded.clear()  # reload with the new router.onnx and use.json (read with the models)
    times = []
    probe = ImageFeatures(**held[0]["features"])
    for _ in range(300):
        t = time.perf_counter()
        route(probe, classify(probe), 0.98, None, (1, 2, 3))
        times.append(time.perf_counter() - t)
    report = {
        "command": f"python -m bench.train_router --seed {args.seed}"
                   + (f" --models {models}" if models.resolve() != MODELS.resolve() else ""),
        "labels": str(DATA), "excluded_images": len(every) - len(rows),
        "train_images": len(train), "held_out_images": len(held), "targets": list(ROUTER_TARGETS),
        "held_out_decisions": len(yh),
        "right_tier_counts": {str(t): int(np.sum(yh == t)) for t in (1, 2, 3)},
        "accuracy": acc,
        "accuracy_by_target": {"learned": accuracy_by_target(pred, yh, targets),
                               "rules": accuracy_by_target(rules, yh, targets),
                               "always_tier2": accuracy_by_target(np.full_like(yh, 2), yh, targets),
                               "replaced_router": None if previous is None
                               else accuracy_by_target(previous, yh, targets)},
        "confusion_rows_truth_cols_pred_tiers_1_2_3": confusion.tolist(),
        "confidence": ROUTER_CONFIDENCE,
        "confidence_on_training_folds": confidence_table(x, y, tier_seconds(train), args.seed),
        "use": use, "onnx_bytes": path.stat().st_size,
        "decision_ms_p50": round(1000 * float(np.percentile(times, 50)), 3),
        "decision_ms_p99": round(1000 * float(np.percentile(times, 99)), 3),
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
