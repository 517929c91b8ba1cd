"""`make train-data` (router part): the learned router's labels from the deployed tiers, end to end.

    python -m bench.train_router_labels [--generated 30] [--holdout-generated 10] [--workers 2] [--limit 0]

For each image of `bench.train_data` (the dev set's 256 px images and the seeded generated logos, same
splits), `shared.pipeline.convert` runs with the tier forced to 1 and to 2, exactly as
`bench.train_verify` converts its images (the decoded pixels, no budget, the deployed models). The
right tier for a target is the one `bench.train_verify` checks the router against: 1 if Tier 1 reached
it, else 2 if Tier 2 did, else 3 (only the search is left).

One Tier 1 run (at the highest router target) labels every target when Tier 1's result does not depend
on the target (`one_run_labels_all_targets`: the formula ignores it; a learned Tier 1 pick or an image
drawn at reduced opacity, whose figures are re-measured after the tier kept a candidate, is run once
per target). Tier 2 runs once per target: it keeps by the size sanity rule (shared/tiers/search.py),
min(SSIM, target) less a rate per KB, so a bigger candidate that reaches a high target can lose to a
smaller one just under a lower target.

Images the pipeline cleans up or upscales first (damaged inputs) are routed to Tier 1 by a rule before
the router (`shared/pipeline.py`); they are recorded as excluded, not converted. Writes
data/train/router_labels.jsonl (one image per line, in input order).
"""

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.train_data import OUT, dev_images, generated_images
from shared import learned
from shared.images import load_image
from shared.pipeline import convert, lift_opacity, prepare_input
from shared.router import ROUTER_TARGETS

LABELS = OUT / "router_labels.jsonl"


def one_run_labels_all_targets() -> bool:
    """Whether Tiers 1 and 2 choose their candidates without looking at the target (the formula and
    the portfolio; not the quality predictor's picks)."""
    return not (learned.enabled("tier1") or learned.enabled("tier2"))


def right_tier(tier1_ssim: float, tier2_ssim: float, target: float) -> int:
    """bench.train_verify's right tier: the cheapest deployed tier that reached the target, else 3."""
    if tier1_ssim >= target:
        return 1
    if tier2_ssim >= target:
        return 2
    return 3


def _run(rgba: Any, tier: int, target: float) -> dict[str, Any]:
    t = time.perf_counter()
    result = convert(rgba, tier=tier, target_ssim=target)
    return {"ssim": result.figures.ssim, "bytes": result.figures.bytes,
            "seconds": round(time.perf_counter() - t, 4), "evaluated": result.evaluated,
            "features": result.features, "logo_type": result.logo_type}


def label(row: dict[str, Any], per_target: bool | None = None) -> dict[str, Any]:
    """One image: its router input (features as the pipeline computed them) and right tier per target.
    `per_target` forces (True) or forbids (False) one Tier 1 run per target; None decides as described
    above (Tier 2 always runs per target)."""
    rgba = load_image(row["path"]).rgba  # pixels, as bench.train_verify converts them
    working, _, cleanup, notes = prepare_input(rgba)
    cleaned = cleanup.rgba
    if cleaned is not working:
        return {**row, "excluded": "cleaned up or upscaled: routed to Tier 1 by rule", "notes": notes}
    _, opacity = lift_opacity(cleaned)
    if per_target is None:
        per_target = opacity < 1.0 or not one_run_labels_all_targets()
    tier1_targets = ROUTER_TARGETS if per_target else ROUTER_TARGETS[-1:]
    tier1 = {f"{t:g}": _run(rgba, 1, t) for t in tier1_targets}
    only = tier1[f"{tier1_targets[-1]:g}"]
    runs = {f"{t:g}": {"tier1": tier1.get(f"{t:g}", only), "tier2": _run(rgba, 2, t)} for t in ROUTER_TARGETS}
    top = runs[f"{ROUTER_TARGETS[-1]:g}"]
    labels = {f"{t:g}": right_tier(runs[f"{t:g}"]["tier1"]["ssim"], runs[f"{t:g}"]["tier2"]["ssim"], t)
              for t in ROUTER_TARGETS}
    figures = {key: {tier: {k: v for k, v in res.items() if k not in ("features", "logo_type")}
                     for tier, res in run.items()} for key, run in runs.items()}
    return {**row, "excluded": None, "features": top["tier1"]["features"],
            "logo_type": top["tier1"]["logo_type"], "per_target_runs": per_target, "runs": figures,
            "right_tier": labels}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generated", type=int, default=30, help="generated training images per type")
    ap.add_argument("--holdout-generated", type=int, default=10, help="generated held-out images per type")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="first N images only (0 = all; for a quick check)")
    ap.add_argument("--out", type=Path, default=LABELS)
    args = ap.parse_args()
    rows = dev_images() + generated_images("train", args.generated) + generated_images(
        "holdout", args.holdout_generated)
    rows = rows[: args.limit] if args.limit else rows
    t0 = time.perf_counter()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    excluded = 0
    with ProcessPoolExecutor(args.workers) as pool, args.out.open("w") as out:
        for done, labelled in enumerate(pool.map(label, rows, chunksize=1)):
            excluded += labelled["excluded"] is not None
            out.write(json.dumps(labelled) + "\n")
            if done % 50 == 0:
                print(f"{done}/{len(rows)} images, {time.perf_counter() - t0:.0f} s", flush=True)
    seconds = time.perf_counter() - t0
    print(f"{len(rows)} images ({excluded} excluded: cleaned up or upscaled) in {seconds:.0f} s")


if __name__ == "__main__":
    main()
