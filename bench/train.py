"""`make train`: train, compare and export the learned models from data/train/samples.jsonl.

    python -m bench.train [--seed 0]

Every model is compared on held-out images (split by image) with its non-learned alternative, and is
switched on in shared/models/use.json only where it measures better; MODEL_CARD.md and
bench/results/models.json get the numbers. Needs the `train` extra (torch, onnx, scikit-learn).
"""

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.ensemble import GradientBoostingClassifier
from torch import nn

from bench.train_data import OUT as DATA
from shared.candidate import evaluate
from shared.classifier import classify_by_rules
from shared.features import FEATURE_NAMES, ImageFeatures
from shared.images import decode_image
from shared.learned import CANDIDATES_FILE, ENCODED_WIDTH, LOGO_TYPES, encode_params
from shared.params import parse_params
from shared.search_space import random_params
from shared.tiers import objective_value
from shared.tiers.tier2 import portfolio

MODELS = Path("shared/models")
RESULTS = Path("bench/results")
TARGET = 0.98
TOP_K = 6  # Tier 2: configurations traced after the predictor's ranking (as many as the portfolio)


class Standardised(nn.Module):
    """An MLP whose input standardisation (training mean/std) is part of the exported graph."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, width: int, outputs: int, softmax: bool) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.net = nn.Sequential(nn.Linear(len(mean), width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                                 nn.Linear(width, outputs))
        self.softmax = softmax

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net((x - self.mean) / self.std)
        return torch.softmax(out, dim=-1) if self.softmax else out


def fit(model: Standardised, x: np.ndarray, y: np.ndarray, loss: nn.Module, epochs: int, seed: int) -> None:
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-4)
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(xt), generator=generator).split(128):
            opt.zero_grad()
            out = model.net((xt[idx] - model.mean) / model.std)  # logits for the classifier's loss
            loss(out, yt[idx]).backward()
            opt.step()


def export(model: nn.Module, width: int, path: Path) -> None:
    model.eval()
    torch.onnx.export(model, (torch.zeros(1, width),), str(path), input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=17, dynamo=False)


def features_of(row: dict[str, Any]) -> np.ndarray:
    return np.array([row["features"][n] for n in FEATURE_NAMES], np.float32)


def train_classifier(train: list[dict], held: list[dict], seed: int) -> dict[str, Any]:
    x, xh = np.stack([features_of(r) for r in train]), np.stack([features_of(r) for r in held])
    y = np.array([LOGO_TYPES.index(r["type"]) for r in train])
    yh = np.array([LOGO_TYPES.index(r["type"]) for r in held])
    mlp = Standardised(x.mean(0), x.std(0) + 1e-6, 64, len(LOGO_TYPES), softmax=True)
    fit(mlp, x, y, nn.CrossEntropyLoss(), 300, seed)
    with torch.no_grad():
        mlp_pred = mlp(torch.tensor(xh)).argmax(-1).numpy()
    gbm = GradientBoostingClassifier(random_state=seed).fit(x, y)
    gbm_pred = gbm.predict(xh)
    rules = np.array([LOGO_TYPES.index(classify_by_rules(ImageFeatures(**r["features"]))) for r in held])
    acc = {name: float(np.mean(pred == yh)) for name, pred in
           (("mlp", mlp_pred), ("gbm", gbm_pred), ("rules", rules))}
    best = max(("mlp", "gbm"), key=lambda k: acc[k])
    note = ""
    if best == "gbm":
        try:
            from skl2onnx import to_onnx

            onx = to_onnx(gbm, x[:1].astype(np.float32), options={id(gbm): {"zipmap": False}})
            (MODELS / "classifier.onnx").write_bytes(onx.SerializeToString())
        except Exception as exc:  # skl2onnx cannot convert this scikit-learn version's model
            note = f"gradient boosting measured best but could not be exported ({type(exc).__name__}); MLP"
            best = "mlp"
    if best == "mlp":
        export(mlp, len(FEATURE_NAMES), MODELS / "classifier.onnx")
    pred = mlp_pred if best == "mlp" else gbm_pred
    confusion = np.zeros((4, 4), int)
    for truth, guess in zip(yh, pred, strict=True):
        confusion[truth, guess] += 1
    return {"accuracy": acc, "exported": best, "note": note, "use": acc[best] > acc["rules"],
            "confusion": confusion.tolist(), "held_out_images": len(held)}


def sample_matrix(rows: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, y, owner = [], [], []
    for i, row in enumerate(rows):
        f = features_of(row)
        for s in row["samples"]:
            x.append(np.concatenate([f, encode_params(s["params"])]))
            y.append([-np.log(1.0 - min(s["ssim"], 0.9999)), np.log(max(s["bytes"], 1))])
            owner.append(i)
    return np.array(x, np.float32), np.array(y, np.float32), np.array(owner)


def to_figures(out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return 1.0 - np.exp(-out[:, 0]), np.exp(out[:, 1])


def train_predictor(train: list[dict], held: list[dict], seed: int) -> tuple[Standardised, dict[str, Any]]:
    x, y, _ = sample_matrix(train)
    xh, yh, owner = sample_matrix(held)
    model = Standardised(x.mean(0), x.std(0) + 1e-6, 256, 2, softmax=False)
    scale = torch.tensor(y.std(0))

    def loss(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (((out - target) / scale) ** 2).mean()

    fit(model, x, y, loss, 200, seed)
    export(model, x.shape[1], MODELS / "predictor.onnx")
    with torch.no_grad():
        ssim_p, bytes_p = to_figures(model(torch.tensor(xh)).numpy())
    ssim_t, bytes_t = to_figures(yh)
    rhos = [spearmanr(ssim_p[owner == i], ssim_t[owner == i]).statistic for i in np.unique(owner)]
    rhos = [r for r in rhos if np.isfinite(r)]
    bench = np.repeat(xh[:1], 256, axis=0)
    import onnxruntime as ort

    session = ort.InferenceSession(str(MODELS / "predictor.onnx"), providers=["CPUExecutionProvider"])
    times = []
    for _ in range(50):
        t = time.perf_counter()
        session.run(None, {"x": bench})
        times.append(time.perf_counter() - t)
    return model, {"mae_ssim": float(np.mean(np.abs(ssim_p - ssim_t))),
                   "median_abs_log_bytes_error": float(np.median(np.abs(np.log(bytes_p / bytes_t)))),
                   "spearman_within_image_median": float(np.median(rhos)),
                   "spearman_within_image_mean": float(np.mean(rhos)),
                   "score_256_candidates_ms_p50": round(1000 * float(np.median(times)), 3),
                   "held_out_samples": len(xh)}


def candidate_set(seed: int) -> list[dict[str, Any]]:
    """The fixed configurations the predictor ranks: the portfolio, a grid over the choices that matter
    most, and random points of the search space."""
    grid = [{"scale": s, "mode": "polygon", "hierarchical": h, "alpha": "threshold", "simplify_px": t}
            for s in (1.0, 1.5, 2.0, 3.0, 4.0) for h in ("cutout", "stacked") for t in (0.0, 0.25, 0.5)]
    rng = np.random.default_rng(seed)
    flats = [p.flat() for p in portfolio()] + [parse_params(g).flat() for g in grid]
    flats += [random_params(rng).flat() for _ in range(220)]
    return flats


def ranked(model: Standardised, features: np.ndarray, encoded: np.ndarray) -> np.ndarray:
    """Candidate indices, best predicted objective first."""
    with torch.no_grad():
        out = model(torch.tensor(np.hstack([np.repeat(features[None], len(encoded), 0), encoded]))).numpy()
    ssim, nbytes = to_figures(out)
    return np.argsort(-objective_value(ssim, nbytes, TARGET))


def measure_choices(args: tuple[str, list[dict[str, Any]]]) -> list[tuple[float, int, float]]:
    path, flats = args
    rgba = decode_image(Path(path).read_bytes()).rgba
    out = []
    for flat in flats:
        t = time.perf_counter()
        cand = evaluate(rgba, parse_params(flat))
        out.append((cand.figures.ssim, cand.figures.bytes, time.perf_counter() - t))
    return out


def best_of(figures: list[tuple[float, int, float]]) -> tuple[float, int]:
    scores = objective_value([f[0] for f in figures], [f[1] for f in figures], TARGET)
    k = int(np.argmax(scores))
    return figures[k][0], figures[k][1]


def summary(pairs: list[tuple[float, int]]) -> dict[str, float]:
    ssim = np.array([p[0] for p in pairs])
    return {"median_ssim": round(float(np.median(ssim)), 4),
            "p10_ssim": round(float(np.percentile(ssim, 10)), 4),
            "share_ge_095": round(float(np.mean(ssim >= 0.95)), 3),
            "share_ge_098": round(float(np.mean(ssim >= TARGET)), 3),
            "median_bytes": int(np.median([p[1] for p in pairs])),
            "mean_objective": round(float(np.mean(objective_value(ssim, [p[1] for p in pairs], TARGET))), 4)}


def compare_tiers(model: Standardised, candidates: list[dict], held: list[dict]) -> dict[str, Any]:
    """Measured on held-out images: Tier 1 (formula vs predictor's pick), Tier 2 (portfolio vs the
    predictor's top K vs K random traced candidates, each with the formula's guess)."""
    encoded = np.stack([encode_params(c) for c in candidates])
    jobs = []
    for row in held:
        order = ranked(model, features_of(row), encoded)
        jobs.append((row["path"], [candidates[i] for i in order[:TOP_K]]))
    with ProcessPoolExecutor(2) as pool:
        measured = list(pool.map(measure_choices, jobs))
    rows: dict[str, list[tuple[float, int]]] = {k: [] for k in
                                                ("tier1_formula", "tier1_model", "tier2_portfolio",
                                                 "tier2_predictor", "tier2_random")}
    for row, picks in zip(held, measured, strict=True):
        s = [(x["ssim"], x["bytes"], x["seconds"]) for x in row["samples"]]  # 0 formula, 1-6 portfolio
        rows["tier1_formula"].append(s[0][:2])
        rows["tier1_model"].append(picks[0][:2])
        rows["tier2_portfolio"].append(best_of(s[: 1 + TOP_K]))
        rows["tier2_predictor"].append(best_of([s[0], *picks]))
        rows["tier2_random"].append(best_of([s[0], *s[1 + TOP_K : 1 + 2 * TOP_K]]))
    return {name: summary(pairs) for name, pairs in rows.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = [json.loads(line) for line in (DATA / "samples.jsonl").read_text().splitlines() if line]
    train = [r for r in rows if r["split"] == "train"]
    held = [r for r in rows if r["split"] == "holdout"]
    MODELS.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"train_images": len(train), "held_out_images": len(held),
                              "configs_per_image": len(rows[0]["samples"]), "encoded_width": ENCODED_WIDTH}
    report["classifier"] = train_classifier(train, held, args.seed)
    model, report["predictor"] = train_predictor(train, held, args.seed)
    candidates = candidate_set(args.seed)
    (MODELS / CANDIDATES_FILE).write_text(json.dumps({"candidates": candidates}) + "\n")
    report["tiers"] = compare_tiers(model, candidates, held)
    tiers = report["tiers"]
    report["use"] = {
        "classifier": report["classifier"]["use"],
        "tier1": tiers["tier1_model"]["mean_objective"] > tiers["tier1_formula"]["mean_objective"],
        "tier2": tiers["tier2_predictor"]["mean_objective"] > tiers["tier2_portfolio"]["mean_objective"],
    }
    report["train_seconds"] = round(time.perf_counter() - t0, 1)
    (MODELS / "use.json").write_text(json.dumps(report["use"], indent=1) + "\n")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "models.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
