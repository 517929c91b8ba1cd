"""The colours a JPEG adds to a flat logo's palette that no part of the logo has: the bands its 4:2:0
chroma bleeds around a coloured stroke, the ringing its blocks overshoot past an edge, and, on a small
JPEG, the mix of two colours along its lines. The clean-up (shared/damage.py) snaps every pixel to the
palette, so a colour left in it is drawn as a band of shapes.
"""

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from shared.palette import VISIBLE_ALPHA, snap_labels, to_lab

HALO_DELTA_E = 8.0  # a JPEG palette colour this close (Lab) to a mix of two others, nearer the first, ...
HALO_PX = 3  # ... whose pixels lie within this many px of the second's (HALO_SHARE of them) is a colour
HALO_SHARE = 0.9  # bleed: 4:2:0 chroma spreads a stroke's hue 2-3 px into its ground (432 training JPEG
# copies: median ssim_clean 0.9604 -> 0.9617, median bytes 2,098 -> 2,029; 2 px: 0.89 of a text's halo)
OVERSHOOT_T = 1.3  # a JPEG palette colour past another one (1 <= t < this along the line from a third
OVERSHOOT_DELTA_E = 20.0  # to it), within this Lab distance of it, with HALO_SHARE of its pixels within
OVERSHOOT_PX = 12  # this many px of the third's, is ringing: JPEG's 8x8 blocks (16x16 for subsampled
# chroma) overshoot an edge, a Twemoji flag's #0038B8 stripe drew a #0435C7 band along it (0.982 -> 0.991
# against the clean flag without it). Training split, 160 JPEG and small JPEG copies, Tier 1: median
# ssim_clean 0.9703 -> 0.9714, mean 0.9498 -> 0.9534, 29 up and 2 down by over 0.002 (worst -0.0022),
# median bytes 1,804 -> 1,596; 16 px: the same median, 5 down (a small JPEG emoji -0.017)
CHROMA_BAND_LUMA = 6.0  # a JPEG palette colour within this luma (JPEG's Y, 0-255) ...
CHROMA_BAND_CHROMA = 30.0  # ... and this chroma distance (Cb, Cr) of another colour, whose pixels lie
# (HALO_SHARE of them) within HALO_PX of a third colour's, is that colour's chroma bleeding into it
# (`chroma_bands`). Tier 1, ssim_clean: 216 training JPEGs on white, median 0.9867 -> 0.9892, mean
# 0.98014 -> 0.98161, 25 up and none down by over 0.002, total bytes -9 % (a narrower rule, the band on
# the chroma line from its colour to one neighbour's: 14 up); 108 training small JPEGs, mean 0.91872 ->
# 0.91929, 5 up and 3 down; 118 held-out JPEG and small JPEG copies, 10 up and 1 down (README, "Chroma bands")
RING_SHADE_L = 12.0  # on a JPEG at its own size, a colour past another this far in lightness (Lab L) ...
RING_SHADE_INTERIOR = 0.3  # ... with this share of its pixels inside a 5 x 5 block of its own is no ringing:
# JPEG's ringing is mostly its subsampled chroma's (the colours the rule drops on the dev set's JPEG copies
# lie within 5 of the passed colour's L, a few 8-11 off), and a band of its own is wider than ringing.
# fxemoji's latin-letters key (a #2B5770 edge strip past its #597B91 face from the white ground, 6 px
# wide) 0.949 -> 0.995 against the clean icon, Twemoji's pea pod 0.972 -> 0.992 (`_shade_of_its_own`)
GROUND_BORDER_SHARE = 0.5  # on a JPEG at its own size, a palette colour holding this share of the visible
# border pixels is the ground the logo stands on, never a bleed or ringing (those lie along edges inside
# the image): a 256 px emoji square's 8 px white margin, past its #D0D0D0 plate from its #333 frame, read as
# the frame's ringing and was drawn grey (0.9952 -> 0.9999 against the clean icon). Not on small JPEGs,
# whose 8 px blocks reach the border from the logo's edges (`ground_colour`)
LINE_MIX_DELTA_E = 12.0  # a small JPEG's palette colour this near (Lab) a mix of two others ...
LINE_MIX_SPAN = 0.15  # ... at least this far from either end ...
LINE_MIX_INTERIOR = 0.25  # ... whose pixels have a 3x3 neighbourhood of their own colour less often than this
LINE_MIX_BETWEEN = 0.3  # ... and lie within LINE_MIX_PX of both ends this often is the edge mix of those
LINE_MIX_PX = 2  # two (`drop_line_mixes`; README, "Line mixes")


def _is_halo(own: np.ndarray, near: Callable[..., np.ndarray], centres: np.ndarray, c: int,
             dropped: list[int], full_size: bool = False) -> bool:
    """Whether palette colour `c` (its pixels: `own`) is a bleed of another colour into a third (see
    `drop_halos`) or its ringing past the second, away from the first (`OVERSHOOT_T`; with `full_size`,
    not where it is a region of its own in another lightness: `_shade_of_its_own`); `near(j, px)`: the
    pixels within `px` of colour j's."""
    for i in range(len(centres)):
        for j in range(len(centres)):
            if len({i, j, c}) < 3 or i in dropped or j in dropped:
                continue
            t, off = _on_mix(centres[c], centres[i], centres[j])
            if 0.0 < t < 0.5 and off < HALO_DELTA_E and near(j)[own].mean() >= HALO_SHARE:
                return True
            if 1.0 <= t < OVERSHOOT_T and off < OVERSHOOT_DELTA_E and near(i, OVERSHOOT_PX)[own].mean() \
                    >= HALO_SHARE and not (full_size and _shade_of_its_own(own, centres[c], centres[j])):
                return True
    return False


def _shade_of_its_own(own: np.ndarray, colour: np.ndarray, passed: np.ndarray) -> bool:
    """Whether a colour past `passed` (Lab) differs from it by RING_SHADE_L in lightness and has
    RING_SHADE_INTERIOR of its pixels (`own`) inside a 5 x 5 block of them: a shade or strip of the logo."""
    if abs(float(colour[0] - passed[0])) < RING_SHADE_L:
        return False
    return _interior_share(own, 5) >= RING_SHADE_INTERIOR


def _interior_share(mask: np.ndarray, block: int) -> float:
    """The share of `mask`'s pixels inside a `block` x `block` square of them (0 for an empty mask)."""
    return ndimage.binary_erosion(mask, np.ones((block, block), bool)).sum() / max(int(mask.sum()), 1)


def _on_mix(colour: np.ndarray, first: np.ndarray, second: np.ndarray) -> tuple[float, float]:
    """Where Lab `colour` lies along the line from `first` (t = 0) to `second` (t = 1), and its distance
    from the segment between them."""
    step = second - first
    t = float((colour - first) @ step) / max(float(step @ step), 1e-6)
    return t, float(np.linalg.norm(colour - (first + np.clip(t, 0.0, 1.0) * step)))


def drop_halos(rgba: np.ndarray, palette: np.ndarray, full_size: bool = False) -> np.ndarray:
    """A JPEG's palette without its colour bleeds: subsampled chroma spreads a coloured stroke's hue 2-3 px
    into its ground, a pale tint common enough to be a calm colour, and the clean-up would draw it as a
    band around the stroke. A colour (not the most common) within HALO_DELTA_E of the mix of two other
    palette colours, nearer the first, whose pixels lie (HALO_SHARE of them) within HALO_PX px of the
    second's is such a band; a pale plate or a grey between black and white is wider than that. Then, on
    what is left, the bands `chroma_bands` finds. `full_size` (a JPEG of 160 px or more): the ground
    (`ground_colour`) is never dropped, nor a shade of its own (`_shade_of_its_own`)."""
    if len(palette) < 3:
        return palette
    visible = rgba[..., 3] >= VISIBLE_ALPHA
    labels = snap_labels(rgba, palette)
    centres = to_lab(palette).astype(np.float32)
    dilated: dict[tuple[int, int], np.ndarray] = {}

    def near(j: int, px: int = HALO_PX) -> np.ndarray:
        if (j, px) not in dilated:
            dilated[j, px] = ndimage.maximum_filter(labels == j, size=2 * px + 1)  # square dilation, fast
        return dilated[j, px]

    ground = ground_colour(labels, visible) if full_size else -1
    dropped: list[int] = []
    for c in range(1, len(palette)):
        own = (labels == c) & visible
        if c != ground and own.any() and _is_halo(own, near, centres, c, dropped, full_size):
            dropped.append(c)
    kept = np.delete(palette, dropped, axis=0)
    return chroma_bands(rgba, kept, _without(labels, dropped, rgba, kept), full_size)


def ground_colour(labels: np.ndarray, visible: np.ndarray) -> int:
    """The palette index holding GROUND_BORDER_SHARE of the visible pixels on the image's outermost rows
    and columns, -1 where none does."""
    border = np.concatenate([labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]])
    seen = np.concatenate([visible[0], visible[-1], visible[1:-1, 0], visible[1:-1, -1]])
    if not seen.any():
        return -1
    counts = np.bincount(border[seen])
    return int(counts.argmax()) if counts.max() >= GROUND_BORDER_SHARE * seen.sum() else -1


def _without(labels: np.ndarray, dropped: list[int], rgba: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """`snap_labels(rgba, kept)` from the labels of the palette before `dropped` were taken out: only the
    dropped colours' pixels are snapped again (a pixel's nearest kept colour stays its nearest)."""
    remap = np.full(len(kept) + len(dropped), -1, np.intp)
    remap[[j for j in range(len(remap)) if j not in dropped]] = np.arange(len(kept))
    relabelled = remap[labels]
    stale = relabelled < 0
    if stale.any():
        relabelled[stale] = snap_labels(rgba[stale], kept)
    return relabelled


def ycbcr(colours: np.ndarray) -> np.ndarray:
    """JPEG's (JFIF) Y, Cb, Cr of RGB colours (N x 3, 0-255), Cb and Cr centred on 0: float64 N x 3."""
    rgb = colours.reshape(-1, 3).astype(np.float64)
    matrix = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
    return rgb @ matrix.T


def chroma_bands(rgba: np.ndarray, palette: np.ndarray, labels: np.ndarray | None = None,
                 full_size: bool = False) -> np.ndarray:
    """The palette without the bands a JPEG's subsampled chroma bleeds into a colour along its edges: JPEG
    keeps luma at full resolution and chroma at half, so the band keeps its colour's luma (within
    CHROMA_BAND_LUMA) with its chroma pulled towards the neighbours' (within CHROMA_BAND_CHROMA), and
    lies along edges with other colours (HALO_SHARE of its pixels within HALO_PX of a third colour's).
    Unlike `drop_halos`' rule it needs no single neighbour: a green plate's band mixes the chroma of the
    text on it and of the white around it (a 96 px JPEG of `generated:text:10` drew a #A1BE3C band at
    the plate's rim and around every letter: 0.849 against the clean logo, 0.942 with it green).
    `labels`: `snap_labels(rgba, palette)` where the caller has them; `full_size`: the ground is kept, as in
    `drop_halos`."""
    if len(palette) < 3:
        return palette
    visible = rgba[..., 3] >= VISIBLE_ALPHA
    labels = snap_labels(rgba, palette) if labels is None else labels
    colours = ycbcr(palette)
    dilated: dict[int, np.ndarray] = {}

    def near(j: int) -> np.ndarray:  # each colour's dilation once (at most k, not one per pair)
        if j not in dilated:
            dilated[j] = ndimage.maximum_filter((labels == j) & visible, size=2 * HALO_PX + 1)
        return dilated[j]

    ground = ground_colour(labels, visible) if full_size else -1
    dropped: list[int] = []
    for c in range(1, len(palette)):
        own = (labels == c) & visible
        if c == ground or not own.any():
            continue
        for i in range(len(palette)):
            if i == c or i in dropped:
                continue
            if abs(colours[c, 0] - colours[i, 0]) > CHROMA_BAND_LUMA \
                    or np.linalg.norm(colours[c, 1:] - colours[i, 1:]) > CHROMA_BAND_CHROMA:
                continue
            covered = np.zeros(int(own.sum()), bool)
            for j in range(len(palette)):
                if j not in (c, i) and j not in dropped:
                    covered |= near(j)[own]
            if covered.mean() >= HALO_SHARE:
                dropped.append(c)
                break
    return np.delete(palette, dropped, axis=0)


def drop_line_mixes(rgba: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """A small JPEG's palette (k x 3 uint8) without the mixes of two colours along its lines: a colour
    within LINE_MIX_DELTA_E of a mix of two other palette colours (LINE_MIX_SPAN from either end), seldom
    inside a region of its own (LINE_MIX_INTERIOR of its nearest pixels) and often between those two
    (LINE_MIX_BETWEEN of its pixels within LINE_MIX_PX of both). A 32 px JPEG of a logo drawn in 1-2 px
    lines has more mix pixels than pure ones, and the mix became a colour of its own: simple-icons'
    fastlane traced as blotches of pale green. A flag's in-between band has an inside; a thin line of an
    in-between colour lies beside one of the two only. The least interior first, one at a time, each
    against the colours still kept."""
    if len(palette) < 3:
        return palette
    visible = rgba[..., 3] >= VISIBLE_ALPHA
    labels = snap_labels(rgba, palette)
    own = [(labels == k) & visible for k in range(len(palette))]
    interior = np.array([_interior_share(mask, 3) for mask in own])
    near = [ndimage.maximum_filter(mask, size=2 * LINE_MIX_PX + 1) for mask in own]
    centres = to_lab(palette).astype(np.float32)

    def between(c: int, i: int, j: int) -> bool:
        t, off = _on_mix(centres[c], centres[i], centres[j])
        return LINE_MIX_SPAN <= t <= 1 - LINE_MIX_SPAN and off < LINE_MIX_DELTA_E \
            and (near[i] & near[j])[own[c]].mean() >= LINE_MIX_BETWEEN

    kept = list(range(len(palette)))
    for c in np.argsort(interior, kind="stable").tolist():
        if interior[c] >= LINE_MIX_INTERIOR or len(kept) < 3 or not own[c].any():
            continue
        ends = [j for j in kept if j != c]
        if any(between(c, i, j) for n, i in enumerate(ends) for j in ends[n + 1:]):
            kept.remove(c)
    return palette[kept]
