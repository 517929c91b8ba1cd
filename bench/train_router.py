"""`make train` (last step): the learned router, compared with the rule router and "always Tier 2".

    python -m bench.train_router [--seed 0]

Labels from data/train/samples.jsonl (`make train-data`): for each image and target, the cheapest tier
that reached the target as measured: 1 if Tier 1's formula configuration did, else 2 if the best of
Tier 2's configurations (the formula's guess + the portfolio) did, else 3 (only the search is left).
Inputs: the 22 image features, the logo type (one-hot, from the deployed classifier) and the target.
Gradient boosting (scikit-learn, fixed hyper-parameters: nothing is chosen on held-out images), exported
to shared/models/router.onnx; switched on (`use.json` key "router") only if its held-out accuracy beats
both the rules and "always Tier 2". Writes bench/results/models-router.json.
"""

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier

from shared import learned
from shared.classifier import classify
from shared.features import ImageFeatures
from shared.router import ROUTER_TARGETS, route, router_input

DATA = Path("data/train/samples.jsonl")
MODELS = Path("shared/models")
RESULTS = Path("bench/results")
TIER2_CONFIGS = 7  # samples 0..6: the formula's guess and the 6 portfolio configurations


def right_tier(samples: list[dict[str, Any]], target: float) -> int:
    """The cheapest tier whose measured configurations reached `target` (3 when neither 1 nor 2 did)."""
    if samples[0]["ssim"] >= target:
        return 1
    if max(s["ssim"] for s in samples[:TIER2_CONFIGS]) >= target:
        return 2
    return 3


def matrix(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(inputs, right tiers, rule router's tiers, targets), one row per (image, target)."""
    x, y, rules, targets = [], [], [], []
    for row in rows:
        features = ImageFeatures(**row["features"])
        logo_type = classify(features)
        for target in ROUTER_TARGETS:
            x.append(router_input(features, logo_type, target))
            y.append(right_tier(row["samples"], target))
            rules.append(route(features, logo_type, target, None, (1, 2, 3), learned_router=False).tier)
            targets.append(target)
    return np.stack(x), np.array(y), np.array(rules), np.array(targets)


def export(model: GradientBoostingClassifier, width: int, path: Path) -> None:
    from skl2onnx import to_onnx

    onx = to_onnx(model, np.zeros((1, width), np.float32), options={id(model): {"zipmap": False}})
    path.write_bytes(onx.SerializeToString())


def accuracy_by_target(pred: np.ndarray, truth: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    return {f"{t:g}": round(float(np.mean(pred[targets == t] == truth[targets == t])), 3)
            for t in ROUTER_TARGETS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    train = [r for r in rows if r["split"] == "train"]
    held = [r for r in rows if r["split"] == "holdout"]
    x, y, _, _ = matrix(train)
    xh, yh, rules, targets = matrix(held)
    model = GradientBoostingClassifier(n_estimators=150, max_depth=3, learning_rate=0.1,
                                       random_state=args.seed).fit(x, y)
    path = MODELS / "router.onnx"
    export(model, x.shape[1], path)
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    labels, _ = session.run(None, {session.get_inputs()[0].name: xh})
    pred = np.asarray(labels).astype(int)
    assert np.array_equal(pred, model.predict(xh)), "ONNX export disagrees with scikit-learn"
    acc = {"learned": round(float(np.mean(pred == yh)), 3), "rules": round(float(np.mean(rules == yh)), 3),
           "always_tier2": round(float(np.mean(yh == 2)), 3)}
    use = acc["learned"] > max(acc["rules"], acc["always_tier2"])
    confusion = np.zeros((3, 3), int)
    for truth, guess in zip(yh, pred, strict=True):
        confusion[truth - 1, guess - 1] += 1
    use_path = MODELS / "use.json"
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
        "command": "python -m bench.train_router --seed " + str(args.seed),
        "train_images": len(train), "held_out_images": len(held), "targets": list(ROUTER_TARGETS),
        "held_out_decisions": len(yh),
        "right_tier_counts": {str(t): int(np.sum(yh == t)) for t in (1, 2, 3)},
        "accuracy": acc,
        "accuracy_by_target": {"learned": accuracy_by_target(pred, yh, targets),
                               "rules": accuracy_by_target(rules, yh, targets),
                               "always_tier2": accuracy_by_target(np.full_like(yh, 2), yh, targets)},
        "confusion_rows_truth_cols_pred_tiers_1_2_3": confusion.tolist(),
        "use": use, "onnx_bytes": path.stat().st_size,
        "decision_ms_p50": round(1000 * float(np.percentile(times, 50)), 3),
        "decision_ms_p99": round(1000 * float(np.percentile(times, 99)), 3),
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "models-router.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
