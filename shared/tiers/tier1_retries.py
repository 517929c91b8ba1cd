"""Tier 1's retries: a trace that measures badly, traced again with other parameters where a measured
rule asks for it, and kept where it scores higher (shared/tiers/tier1.py `run` applies them in order).

Each rule encodes measured findings (docs/findings.md):
- with refinement, `stacked` layering beats `cutout` on few-colour images too (132 training images:
  median 0.9960 / 682 B against 0.9954 / 833 B), so images are traced stacked first. But a stacked
  trace paints a halo wherever an upper shape's edge is also a lower shape's outline (both are
  anti-aliased there: shared/conflation.py), and on flags and emoji that costs up to 0.03 SSIM. A
  trace whose stacked trace measures under CUTOUT_BELOW is traced again cutout, with `underlap` (the
  cutout's seams closed), and the cutout trace is kept under the size sanity rule (`other_layering`).
  Training split, 240 clean images at 256 px: 85 traced twice, 41 changed, none lower; medians emoji
  0.9836 -> 0.9875 (4x 0.9827 -> 0.9859, 1,639 -> 1,710 B), flags 0.9786 -> 0.9864 (4x 0.9824 ->
  0.9853), means shapes 0.9896 -> 0.9945, gradients 0.9788 -> 0.9805, single-colour images unchanged;
  240 damaged training copies (60 each of favicons, small JPEGs, JPEGs, scans) against their clean
  source: 17 up and 2 down by more than 0.002 (favicons 0.9758 -> 0.9775, worst -0.005). Cutout for
  every image was worse (median 0.9918 against 0.9921; gradients 0.9759, JPEG copies 0.9105 against
  0.947). Retried from 0.995 instead of 0.99 since 2026-12-04 (docs/findings.md, "The cutout retry
  from 0.995"): 128 icons 10 up at 4x, none down, training split 2 up, none down; a cleaned-up input
  only under CUTOUT_BELOW_CLEANED (0.98): the same quality at 18 % less time on damaged copies;
- a clean image whose four main colour bins cover under CUTOUT_FIRST_TOP4 of it (flags, emoji, shaded
  shapes: 23 of the 28 dev images whose cutout retry won at 0.995 or more, 3 of the 93 that needed no
  retry) is traced cutout first instead, and stacked only where that measures under CUTOUT_BELOW
  (`first_layering`, `other_layering`): the same layering choice without the stacked trace wherever
  the cutout one is good (docs/findings.md, "Cutout first");
- on a cleaned input (JPEG, scan, upscaled favicon), flat fills within 8 levels of a main colour of the
  cleaned image take it (`snapped_fills`, kept where it measures no lower): the engine averages a region's
  pixels with its edge mixes, drawing a JPEG's black at #050505, where SSIM's luminance term is steep
  (training split, 864 damaged copies, with the palette's near-black made exact: better than the
  raster 92.1 -> 92.6 %, median ssim_clean 0.9664 -> 0.9683, no copy lower by more than 0.006);
- an input with smooth shading (clean, or cleaned up without being snapped to a palette:
  `TierRequest.snapped`; under FINER_BELOW_CLEANED_SHADED where cleaned at its own size) whose trace
  measures under 0.97 (and under the target) is traced again with exact colours (`finer_params`), and
  so is a cleaned JPEG (`TierRequest.sharp_edges`) with two main colours within `CLOSE_LEVELS` (a #EEEEEE
  plate on a white ground, which the 6-bit clustering merges): the engine's
  6-bit colour clustering chains a gradient's neighbouring colours into one cluster and fills, say, a
  yellow-to-blue region with their olive mean, which no gradient fit can repair; at 8 bits the region splits
  into bands that the gradient step merges back. The retry is kept under the searching tiers' size sanity
  rule (at the clean or the cleaned rate). On images under 0.97 (mean SSIM at 4x against the vector source,
  before -> after): dev training split 216 images, 0.9854 -> 0.9868; 60 devicon gradient logos 0.9633 ->
  0.9667 (rider 0.876 -> 0.959, webstorm 0.854 -> 0.923 at 1x); under 2 % smooth shading (flat emoji, flags)
  the retry changed nothing and is not tried (at 4 % devicon's PHP logo, 3.9 %, kept its bevelled rim in the
  plate's cluster: 0.957, 0.984 with exact colours). Damaged copies: README, "Real-world inputs";
- a trace that lost a main colour (an exact RGB holding 3 % of the visible pixels that the trace draws
  more than 12 levels off on most of its calm pixels: shared/palette.py, `lost_colours`) is traced again
  with `layer_difference` 4 and, on a clean input, exact colours (`lost_params`), kept under the size
  sanity rule: the engine outputs a colour cluster only where its nearest neighbour differs by more than
  `layer_difference`, and the clusters of an anti-aliased edge's mixes bridged Twemoji's die's #DD2E44
  face to the #EA596E one (at 64 px 0.878 -> 0.917, the held-out favicon 0.945 -> 0.959 against the
  clean die), and vscode-icons' Svelte folder's #FF3E00 S to the #FF815A folder (0.908 at 8, 0.991 at
  4); at 6-bit colours skill-icons' mint-light's white ring fell into its #F4F2ED plate's cluster
  (0.976 -> 0.993). Rare: on 1 of 216 clean training images, 1 of 120 and 2 of 160 Iconify icons it
  changes the result (README, "Lost colours");
- then a clean input's trace that still measures under SHARPER_BELOW (a JPEG's cleaned estimate at its
  own size: under SHARPER_BELOW_CLEANED; other cleaned-up inputs never: there the detail is noise) and
  under the target (in at most SHARPER_MAX_BYTES) is traced again supersampled
  `SHARPER_SCALE` from the best layering so far (`sharper_params`), kept under the size sanity rule at
  the clean rate (a JPEG's at the cleaned rate): at 1x the engine merges hairlines and 1 px gaps into
  the colour beside them
  (skill-icons' LaTeX bird loses its feather lines: 0.937 -> 0.981 at 2x, 4x 0.955 -> 0.964, 2.0 ->
  6.4 KB). On Iconify icons outside the dev set (README, "Supersampled retry") ~10 % of colour logos
  fall under it; a fixed pick of 160 changed on 12, 4x higher on 9 and lower on 1, total bytes +21 %.
  SHARPER_BELOW 0.97 -> 0.98 (the default target, so a clean trace under the target is retried) changed 4
  of 423 images, each higher at 4x (fxemoji's lightrail lost its 1 px door lines: 4x 0.9870 -> 0.9924),
  none lower (README, "Supersampled retry"); not an image drawn without anti-aliasing (`unsmoothed`),
  whose 2x trace draws its pixel staircases (README, "Not on an image without anti-aliasing");
- last, a clean input's trace at its own size that still measures under SPECKS_BELOW and drew at least
  SPECKS_MIN small solid parts of the image in another colour (`dropped_specks`) is traced again with
  `filter_speckle` FINE_SPECKLE (`speckled_params`), kept under the size sanity rule: VTracer drops every
  patch under `filter_speckle`² traced pixels, and Emojione v1's Kazakh flag lost its sun's rays and
  most of its ornament (1x 0.9583 -> 0.9774, 4x 0.9557 -> 0.9638, 5.9 -> 8.9 KB), where its 2x trace
  (0.9835 at 30 KB) does not pay for its bytes. On 543 images of seven sets it changed 4, each higher
  (README, "Dropped small parts"). After the 2x retry, not before: traced first, the finer trace lifted
  Emojione v1's Belarus flag past the 2x retry's win (4x -0.011). Groups without a solid 2 x 2 block
  (hairlines, checked patterns) asked for it on up to 18 of 128 colour icons for 1-4 wins.
"""

import time
from dataclasses import replace
from typing import Any

import numpy as np
from scipy import ndimage

from shared.candidate import Candidate
from shared.diffmap import difference
from shared.features import ImageFeatures
from shared.palette import lost_colours, main_colours, snap_fills
from shared.params import ConversionParams
from shared.quality import measure
from shared.tiers import TierRequest

FINER_BELOW = 0.97  # a clean trace measuring under this and under the target is traced again ...
FINER_SMOOTH_SHARE = 0.02  # ... where at least this share of the image is smooth shading ...
FINER_COLOR_PRECISION = 8  # ... with exact colours (`finer_params`)
FINER_BELOW_CLEANED_SHADED = 0.92  # a cleaned input with shading (not snapped to a palette) at its own
# size only under this, close colours or not: exact colours trace its JPEG noise (docs/findings.md, "Exact
# colours on cleaned shading"; an upscaled favicon needs them: a gradient logo's fell 0.9807 -> 0.9579
# without)
CLOSE_LEVELS = 16  # a cleaned image with two main colours this close is traced with exact colours too
CUTOUT_BELOW = 0.995  # a trace measuring under this is traced in the other layering too (`other_layering`)
# (0.99 until 2026-12-04: docs/findings.md, "The cutout retry from 0.995")
CUTOUT_BELOW_CLEANED = 0.98  # ... a cleaned-up input's (JPEG, scan, upscaled favicon) only under this:
# its trace is measured against the cleaned estimate, and over 0.98 the other layering changed 13 of 1,100
# damaged dev copies against their clean source by more than 0.001 (2 up, 11 down, worst -0.009) for 18 %
# of Tier 1's time on them (docs/findings.md, "The cutout retry on cleaned inputs from 0.98")
CUTOUT = {"hierarchical": "cutout", "underlap": True}  # ... with its shared edges seam-free
CUTOUT_FIRST_TOP4 = 0.979  # a clean image whose four main colours (`top4_color_share`) cover less of it
# than this is traced cutout first, and stacked only where that measures under CUTOUT_BELOW
# (`first_layering`, `other_layering`)
LOST_LAYER_DIFFERENCE = 4  # a trace that lost a main colour (`lost_params`) is traced again with this
# and, on a clean input, with exact colours (FINER_COLOR_PRECISION); a cleaned-up input got 8 until
# 2026-12-07, at which a 256 px JPEG of simple-icons' kdeneon kept its thin outer ring merged into the
# white (0.835 against the clean logo; 0.993 at 4)
LOST_AT_OWN_SCALE = True  # ... and, on a cleaned input at its own size traced supersampled, at 1x: the
# interpolated trace's mixes bridge close colours whatever `layer_difference` (fxemoji's pointing hand as a
# JPEG, a #E0E0E0 hand on white, traced as one white shape at 1.5x: 0.943 -> 0.998 against the clean icon)
LATER_FINER_BELOW = 0.99  # a trace made cutout first is traced again with exact colours after its stacked
# trace asks for them (`run`) only where the better layering measures under this: 60 shaded emoji (seed
# 31), the retry ran on 14 and changed 1 (0.9851, +0.0076 at 1x); under 0.99 it runs on 9, changes the same
# one, and Tier 1's total time is 6 % less (docs/findings.md, "Exact colours after the stacked trace")
SHARPER_BELOW = 0.98  # a clean trace under this and under the target is traced again ...
SHARPER_BELOW_CLEANED = 0.96  # ... a JPEG's cleaned estimate at its own size (`sharp_edges`) only under
# this: on the dev set's 275 JPEG copies the retry ran on 22 and raised 8 against the clean source (simple-
# icons' RAM +0.027), lowered 1 (-0.002), for +9 % of Tier 1's time on them; under 0.98 it ran on 69, for
# 14 up and 3 down at +27-40 % (docs/findings.md, "The 2x retry on JPEGs at their own size")
SHARPER_SCALE = 2.0  # ... supersampled this much (`sharper_params`), kept under the size sanity rule,
SHARPER_MAX_BYTES = 16 * 1024  # ... unless its SVG is this big already: the 2x trace doubles that detail
# and its time (vscode-icons' slim: 44 -> 73 KB, 2.5 -> 6.3 s at 256 px; 16 s from a 2048 px input)
SPECKS_BELOW = 0.99  # a clean trace under this that dropped SPECKS_MIN small parts or more ...
SPECKS_MIN = 5
FINE_SPECKLE = 2  # ... is traced again with this `filter_speckle` (`speckled_params`)
SPECK_LEVEL = 0.6  # a dropped part's pixels differ from the trace by this (fraction of full scale) ...
SPECK_MAX_PX = 48  # ... over at most this many input pixels (8-connected) with a 2 x 2 block among them
# (so 4 or more): a solid patch, not a hairline or an edge drawn a little off
UNSMOOTHED_MIX_SHARE = 0.05  # ... nor of an input without anti-aliasing (`unsmoothed`): alpha only 0 or
# 255, and under this share of its colour steps across 3 px with a mix of both colours in the middle (on the
# dev set's 550 clean inputs 0.06-0.53; its vector images drawn without anti-aliasing 0-0.09)


def cleaned_fills(best: Candidate, request: TierRequest) -> Candidate:
    """What every tier finishes with: `snapped_fills` on a cleaned input, `best` as it is otherwise."""
    return snapped_fills(best, request.rgba) if request.cleaned else best


def snapped_fills(best: Candidate, rgba: np.ndarray) -> Candidate:
    """`best` with its flat fills set to the cleaned image's own colours where they are near
    (shared/palette.py, `snap_fills`), kept where that measures no lower against the cleaned image.
    `run` does this on every cleaned input; with alpha too since a favicon's dark green was traced
    #014601 (SSIM's luminance term is steep near 0: 0.933 -> 0.971 against the clean flag). The
    searching tiers finish with it too (`cleaned_fills`; else Tier 2 measured below Tier 1 on an upscaled
    64 px disc)."""
    svg = snap_fills(best.svg, rgba)
    if svg == best.svg:
        return best
    t0 = time.perf_counter()
    figures = measure(svg, rgba, best.figures.paths)
    if figures.ssim < best.figures.ssim:
        return best
    return replace(best, svg=svg, figures=figures,
                   measure_seconds=best.measure_seconds + time.perf_counter() - t0)


def lost_params(best: Candidate, rgba: np.ndarray, overrides: dict[str, Any],
                cleaned: bool = False, own_size: bool = True) -> ConversionParams | None:
    """`best`'s parameters with LOST_LAYER_DIFFERENCE and FINER_COLOR_PRECISION (a cleaned-up input: see
    below; one at its own size, `own_size`, also at 1x: LOST_AT_OWN_SCALE) for a polygon trace that lost a
    main colour of its image (shared/palette.py, `lost_colours`);
    None otherwise (both fixed by the caller or already as fine). The engine outputs a colour cluster as a
    shape of its own only where its nearest neighbour differs by more than `layer_difference` (summed
    RGB): anti-aliased edges between two faces make clusters of their mixes that bridge them, and the
    face is merged away. At 6-bit colours two colours within 4 levels a channel share a cluster (a white
    ring on a #F4F2ED plate). A cleaned-up input is traced without exact colours: they trace its noise
    (a held-out favicon 287 -> 5,141 B, 0.937 -> 0.898 against the clean source)."""
    engine = best.params.engine
    if engine.mode != "polygon":
        return None
    finer: dict[str, Any] = {}
    if "layer_difference" not in overrides and engine.layer_difference > LOST_LAYER_DIFFERENCE:
        finer["layer_difference"] = LOST_LAYER_DIFFERENCE
    if not cleaned and "color_precision" not in overrides and engine.color_precision < FINER_COLOR_PRECISION:
        finer["color_precision"] = FINER_COLOR_PRECISION
    supersampled = best.params.steps.scale > 1.0
    if LOST_AT_OWN_SCALE and cleaned and own_size and supersampled and "scale" not in overrides:
        finer["scale"] = 1.0
    if not finer or not len(lost_colours(best.svg, rgba)):
        return None
    return best.params.with_overrides(finer)


def speckled_params(best: Candidate, request: TierRequest) -> ConversionParams | None:
    """`best`'s parameters with FINE_SPECKLE for a polygon trace of a clean input (not a cleaned-up one,
    which an upscaled small input always is) that measured under SPECKS_BELOW and dropped at least
    SPECKS_MIN small parts (`dropped_specks`); None otherwise (`filter_speckle` fixed by the caller or
    already as fine). VTracer drops every patch under `filter_speckle`² traced pixels, and with them small
    parts of many-colour images: the sun's rays of Emojione v1's Kazakh flag (2-3 px wide, 0.958 at 1x,
    0.977 with FINE_SPECKLE)."""
    engine = best.params.engine
    if "filter_speckle" in request.overrides or request.cleaned or engine.mode != "polygon" \
            or engine.filter_speckle <= FINE_SPECKLE or best.figures.ssim >= SPECKS_BELOW:
        return None
    if dropped_specks(request.rgba, best.svg) < SPECKS_MIN:
        return None
    return best.params.with_overrides({"filter_speckle": FINE_SPECKLE})


def dropped_specks(rgba: np.ndarray, svg: str) -> int:
    """How many small solid parts of the HxWx4 uint8 image `svg` draws in another colour: 8-connected
    groups of at most SPECK_MAX_PX pixels where they differ by SPECK_LEVEL or more (shared/diffmap.py,
    `difference`), each with a 2 x 2 block of such pixels."""
    far = difference(rgba, svg) >= SPECK_LEVEL
    groups, count = ndimage.label(far, structure=np.ones((3, 3), bool))
    small = np.bincount(groups.ravel(), minlength=count + 1) <= SPECK_MAX_PX
    solid = np.zeros(count + 1, bool)
    solid[groups[ndimage.binary_erosion(far, structure=np.ones((2, 2), bool))]] = True
    return int((small & solid)[1:].sum())


def sharper_params(best: Candidate, request: TierRequest) -> ConversionParams | None:
    """`best`'s parameters supersampled `SHARPER_SCALE` for a polygon trace that measured under the
    target and under `SHARPER_BELOW` (a clean input) or `SHARPER_BELOW_CLEANED` (a JPEG's cleaned estimate
    at its own size: `sharp_edges`; other cleaned-up inputs are upscaled or noisy, and their detail is
    noise), in at most `SHARPER_MAX_BYTES`; None otherwise (the scale fixed by the caller or already as
    fine). Detailed colour logos lose hairlines and small parts at 1x (skill-icons' LaTeX bird's feather
    lines, vscode-icons' cargo; as a JPEG, skill-icons' deno-light's rain: 0.904 -> 0.957 against the
    clean icon); see the module docstring for what it measured."""
    if "scale" in request.overrides or best.params.engine.mode != "polygon":
        return None
    if request.cleaned and not request.sharp_edges:  # upscaled or noisy: its detail is noise
        return None
    below = SHARPER_BELOW_CLEANED if request.cleaned else SHARPER_BELOW
    low = best.figures.ssim < min(request.target_ssim, below)
    if not low or best.params.steps.scale >= SHARPER_SCALE or best.figures.bytes > SHARPER_MAX_BYTES:
        return None
    if unsmoothed(request.rgba):  # the 2x trace draws its staircases (docs/findings.md, "Aliased inputs")
        return None
    return best.params.with_overrides({"scale": SHARPER_SCALE})


def unsmoothed(rgba: np.ndarray) -> bool:
    """Whether an HxWx4 uint8 image has no anti-aliasing: every pixel opaque or transparent, some opaque, and
    few mixes at its colour steps. A step is two pixels 2 apart (in a row or a column) that differ by over
    32 levels (premultiplied RGBA distance); a mix, a pixel between them that lies within 16 levels of the
    line from one to the other, 10-90 % of the way. Its edges are pixel staircases, which measure higher at
    1x drawn step by step (Peugeot's logo, 1x 0.9665 -> 0.9998 at 2x, 4x 0.9467 -> 0.9266 at 3.3 -> 7.6 KB):
    a 1x figure bought with the pixel grid."""
    alpha = rgba[..., 3]
    opaque = alpha == 255
    if not opaque.any() or not (opaque | (alpha == 0)).all():
        return False
    image = rgba.astype(np.float32) * opaque[..., None]  # transparent pixels as one colour (premultiplied)
    steps = mixes = 0
    for lines in (image, image.transpose(1, 0, 2)):
        first, middle, last = lines[:, :-2], lines[:, 1:-1], lines[:, 2:]
        span = last - first
        length2 = (span * span).sum(axis=-1)
        step = length2 > 32.0**2
        along = ((middle - first) * span).sum(axis=-1) / np.maximum(length2, 1e-9)
        off = np.linalg.norm(middle - first - along[..., None] * span, axis=-1)
        steps += int(step.sum())
        mixes += int((step & (along > 0.1) & (along < 0.9) & (off < 16.0)).sum())
    return steps > 0 and mixes < UNSMOOTHED_MIX_SHARE * steps


def first_layering(params: ConversionParams, request: TierRequest) -> ConversionParams:
    """`params` traced cutout (with `underlap`) for a clean input of many colours: the four main colour
    bins cover under CUTOUT_FIRST_TOP4 of its visible pixels (flags, emoji, shaded shapes: the docstring);
    else as they are (the layering fixed by the caller, a cleaned-up input, other traces). Traced first, the
    cutout trace spares the stacked one wherever it measures CUTOUT_BELOW or more (docs/findings.md, "Cutout
    first")."""
    engine = params.engine
    if "hierarchical" in request.overrides or request.cleaned or engine.mode != "polygon" \
            or engine.hierarchical != "stacked" or request.features.top4_color_share >= CUTOUT_FIRST_TOP4:
        return params
    return params.with_overrides(CUTOUT)


def other_layering(best: Candidate, overrides: dict[str, Any], cleaned: bool = False
                   ) -> ConversionParams | None:
    """`best`'s parameters in the other layering for a polygon trace that measured under CUTOUT_BELOW
    (a `cleaned`-up input's: under CUTOUT_BELOW_CLEANED):
    a stacked trace of two or more shapes traced cutout (with `underlap`), a cutout one
    (`first_layering`) stacked; None otherwise (the layering fixed by the caller, other traces). See the
    docstring: a stacked trace paints halos where an upper shape's edge is also a lower one's outline."""
    engine = best.params.engine
    below = CUTOUT_BELOW_CLEANED if cleaned else CUTOUT_BELOW
    if "hierarchical" in overrides or engine.mode != "polygon" or best.figures.ssim >= below:
        return None
    if engine.hierarchical == "cutout":  # one cutout shape may be stacked bands that gradients merged
        return best.params.with_overrides({"hierarchical": "stacked"})
    if best.figures.paths < 2:  # one stacked shape: no layering to change
        return None
    return best.params.with_overrides(CUTOUT)


def close_colours(rgba: np.ndarray) -> bool:
    """Whether two main colours of a cleaned image (shared/palette.py, `main_colours`) lie within
    CLOSE_LEVELS of each other (every channel): the engine's 6-bit clustering merges them (a JPEG of a
    #EFEFEF flag on a white ground was traced as one grey rectangle)."""
    colours = main_colours(rgba)
    gaps = np.abs(colours[:, None, :] - colours[None, :, :]).max(axis=-1)
    return bool((gaps[np.triu_indices(len(colours), 1)] <= CLOSE_LEVELS).any())


def finer_params(best: Candidate, features: ImageFeatures, target_ssim: float, overrides: dict[str, Any],
                 close: bool = False, measured: float | None = None,
                 noisy: bool = False) -> ConversionParams | None:
    """`best`'s parameters with exact colours (`FINER_COLOR_PRECISION`) for a polygon trace of an image
    with smooth shading (`FINER_SMOOTH_SHARE`) that measured (`measured`, `best`'s SSIM where None)
    under `FINER_BELOW` and under the target, or of one with `close` main colours; `noisy` (a cleaned
    input that kept its shading, at its own size): only under FINER_BELOW_CLEANED_SHADED either way.
    None otherwise (the colour precision fixed by the caller or already exact). See the docstring."""
    engine = best.params.engine
    if "color_precision" in overrides or engine.mode != "polygon":
        return None
    if engine.color_precision >= FINER_COLOR_PRECISION:
        return None
    score = best.figures.ssim if measured is None else measured
    if noisy and score >= FINER_BELOW_CLEANED_SHADED:
        return None
    if not close and (features.gradient_smoothness < FINER_SMOOTH_SHARE
                      or score >= min(target_ssim, FINER_BELOW)):
        return None
    return best.params.with_overrides({"color_precision": FINER_COLOR_PRECISION})
