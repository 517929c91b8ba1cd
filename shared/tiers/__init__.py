"""The tiers: one pass (1), a few measured candidates (2), measured search (3). One request type in,
one outcome type out, so the pipeline, the router and the workers treat them alike."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from shared.candidate import Candidate
from shared.features import ImageFeatures

ProgressCallback = Callable[[float, Candidate | None], None]
"""Called with (fraction of the budget or work done in [0, 1], best candidate so far)."""


class Cancelled(Exception):
    """Raised inside a tier when its cancellation check says stop."""


@dataclass
class TierRequest:
    """What a tier needs: the image, its features, the goal and the caller's limits."""

    rgba: np.ndarray
    features: ImageFeatures
    target_ssim: float
    overrides: dict[str, Any] = field(default_factory=dict)
    budget_s: float | None = None
    progress: ProgressCallback | None = None
    is_cancelled: Callable[[], bool] | None = None
    cleaned: bool = False  # `rgba` is the cleaned estimate of a damaged input (shared/damage.py): the
    # searching tiers then keep extra bytes only where they buy SSIM (shared/tiers/search.py)
    sharp_edges: bool = False  # the cleaned estimate kept 1 px edge mixes (shared/damage.py, `sharp_edges`)
    snapped: bool = False  # the cleaned estimate's colours were snapped to a palette (shared/damage.py,
    # `CleanUp`): its soft edges are no shading
    source_px: float = 1.0  # `rgba`'s pixels per pixel of the input (an upscaled small input's factor; at
    # least 1): the unit of the primitives' tolerances (shared/primitives.py, `find_primitives`)

    def check_cancelled(self) -> None:
        if self.is_cancelled is not None and self.is_cancelled():
            raise Cancelled("the conversion was cancelled")

    def report(self, fraction: float, best: Candidate | None) -> None:
        if self.progress is not None:
            self.progress(min(1.0, max(0.0, fraction)), best)


@dataclass(frozen=True)
class TierOutcome:
    """The kept candidate and how many configurations were traced to find it."""

    best: Candidate
    evaluated: int


_BYTES_SCALE = 10_000.0


def objective_value(ssim: ArrayLike, nbytes: ArrayLike, target_ssim: float) -> np.ndarray:
    """The plain objective, as a score (higher is better), element-wise: among results that reach the
    target, fewer bytes are better; below it, higher SSIM; reaching it beats not. Below the target the
    score is the SSIM in [-1, 1]; at or above it, a value in (1, 2]. The quality predictor ranks by it
    (shared/learned.py) and the benchmarks report it; the searching tiers keep candidates by the size
    sanity rule instead (shared/tiers/search.py), which also charges the bytes below the target."""
    ssim, nbytes = np.asarray(ssim, float), np.asarray(nbytes, float)
    return np.where(ssim >= target_ssim, 2.0 - nbytes / (nbytes + _BYTES_SCALE), ssim)

