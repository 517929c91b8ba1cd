"""Candidates and tier requests built from given figures, for tests of the rules that only read them
(Tier 1's retries in shared/tiers/tier1_retries.py, the searching tiers' size rule in
shared/tiers/search.py) without tracing anything."""

from typing import Any

import numpy as np

from shared.candidate import Candidate
from shared.features import compute_features
from shared.params import ConversionParams
from shared.quality import QualityFigures
from shared.tiers import TierRequest


def scored_candidate(ssim: float, params: ConversionParams | None = None, svg: str = "<svg/>",
                     nbytes: int = 100) -> Candidate:
    """A candidate measured at `ssim` (over white and over black alike, PSNR 30 dB, one path) in
    `nbytes` bytes."""
    figures = QualityFigures(ssim, 30.0, ssim, ssim, nbytes, nbytes, 1)
    return Candidate(params or ConversionParams(), svg, figures, 0.0, 0.0)


def tier_request(rgba: np.ndarray, cleaned: bool = False, overrides: dict[str, Any] | None = None,
                 sharp_edges: bool = False, target: float = 0.98) -> TierRequest:
    """A request for `rgba` (HxWx4 uint8) with its features, the caller's overrides and how it was cleaned."""
    return TierRequest(rgba, compute_features(rgba), target, dict(overrides or {}), cleaned=cleaned,
                       sharp_edges=sharp_edges)
