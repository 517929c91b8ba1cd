"""Tier 1: parameters from image features by a documented formula, one trace, measured.

The formula encodes measured findings (docs/findings.md):
- VTracer traces semi-transparent anti-aliased fringes as shapes of their own: alpha thresholded at
  50 % is truer and far smaller on every category;
- `polygon` fitting beats the defaults' `spline` on SSIM and bytes (ablation: spline 0.971 / 6.6 KB);
- images under 16 px a side are traced as exact pixel squares (curve fitting turns a 1x1 image into a
  triangle);
- supersampling before tracing puts vertices on sub-pixel positions; it helps images with few colours
  (1.5x) and costs bytes for little on images with more;
- sub-pixel refinement (shared/refine.py) moves the traced edges onto the input's anti-aliased
  boundaries, so a coarser trace with coarser simplification ends truer and smaller than a finer one;
- with refinement, `stacked` layering beats `cutout` on few-colour images too (132 training images:
  median 0.9960 / 682 B against 0.9954 / 833 B), so images are traced stacked first. But a stacked
  trace paints a halo wherever an upper shape's edge is also a lower shape's outline (both are
  anti-aliased there: shared/conflation.py), and on flags and emoji that costs up to 0.03 SSIM. A
  trace whose stacked trace measures under CUTOUT_BELOW is traced again cutout, with `underlap` (the
  cutout's seams closed), and the cutout trace is kept under the size sanity rule (`cutout_params`).
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
- primitives (shared/primitives.py: circles, ellipses, rounded rectangles written as such) cost
  nothing in SSIM and save bytes (40 training images: median 0.9835 / 690 B -> 0.9836 / 663 B, 4x
  SSIM 0.9824 -> 0.9822, `python -m bench.scale_check --images 40`), so they are on;
- a stacked trace's anti-aliasing fringe strips (shapes under 2 px wide of a mix of the colours under
  and beside them) are dropped before refinement (shared/fringes.py): bytes -2 to -4 % at 256 px and
  -8 % on 1024 px exports, no image lower at the source by more than 0.001 (docs/findings.md, "Fringe
  strips");
- splines (shared/splines.py: runs between corners as quadratic B-splines, one coordinate pair per
  control like the polygon's per vertex) lift the 4x view at no bytes on stacked traces (training
  split, 72 images: 1x median 0.9933 -> 0.9940, source mean 0.9896 -> 0.9900, total bytes -0.1 %, none
  lower by more than 0.001; docs/findings.md, "Spline runs"), so they are on;
- cubic curve fitting (shared/curves.py) stays off. At Tier 1's byte limit (`curve_pairs_ratio` 1.5) it is
  kept on a third of rings and changes little; allowed 3x the polygon's pairs at 0.2 px it lifts
  the medians of few-colour training images (40, `--few-colours`: 1x 0.9968 -> 0.9978, 4x 0.9929 ->
  0.9948) but costs 18 % more bytes (627 -> 742 B) and lowers the mean 1x SSIM (0.9942 -> 0.9937),
  against the goals of no more bytes and no lower 1x SSIM (the held-out check agreed: 1x median
  0.9946 -> 0.9938, 950 -> 1,032 B, 4x median 0.9920 -> 0.9923);
- gradient fills (shared/gradients.py) lift the generated gradient logos (training split, 8 per
  category, 256 px, `python -m bench.ablation --variants formula 'gradients off'`: median 0.9636 ->
  0.9858) and JPEG copies (0.9355 -> 0.9411) and change no other category's median; they cost
  ~0.05-0.2 s and ~400 B where a gradient replaces a flat shape;
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
- last, a clean input's trace (not a cleaned-up one: there the detail is noise) that still measures under
  SHARPER_BELOW and under the target (in at most SHARPER_MAX_BYTES) is traced again supersampled
  `SHARPER_SCALE` from the best layering so far (`sharper_params`), kept under the size sanity rule at
  the clean rate: at 1x the engine merges hairlines and 1 px gaps into the colour beside them
  (skill-icons' LaTeX bird loses its feather lines: 0.937 -> 0.981 at 2x, 4x 0.955 -> 0.964, 2.0 ->
  6.4 KB). On Iconify icons outside the dev set (README, "Supersampled retry") ~10 % of colour logos
  fall under it; a fixed pick of 160 changed on 12, 4x higher on 9 and lower on 1, total bytes +21 %.
  SHARPER_BELOW 0.97 -> 0.98 (the default target, so a clean trace under the target is retried) changed 4
  of 423 images, each higher at 4x (fxemoji's lightrail lost its 1 px door lines: 4x 0.9870 -> 0.9924),
  none lower (README, "Supersampled retry");
- refined vertices are written on a 1/8 px grid (`REFINE_GRID`): the 1/4 px grid of earlier rounds
  moved edges by up to 1/8 px, which a 4x zoom shows as a seam along the whole edge. 1/4 -> 1/8 px
  (`python -m bench.paired --tier1 REFINE_GRID=4`, bench/results/grid8-compact-*.json): 216 training
  images 1x mean 0.99224 -> 0.99252, 4x 0.99018 -> 0.99081 (65 up, 9 down by more than 0.001), bytes +5.5 %;
  96 Iconify icons (12 per package, seed 71) 1x 0.99037 -> 0.99070, 4x 0.98773 -> 0.98837, +6.6 %.
  The writer's shorter path text (shared/svg.py: no comma before a minus, `h`/`v`) saved 7 % first,
  so results are no larger than on 1/4 px before it;
- on that grid, simplification at 0.375 px (few colours) and 0.625 px (more) instead of 0.5 and 0.75
  keeps vertices that the finer grid now places truly (`python -m bench.paired --tier1
  FEW_COLORS_SIMPLIFY_PX=0.5 --tier1 MANY_COLORS_SIMPLIFY_PX=0.75`, bench/results/simplify-*.json):
  108 training images 4x mean 0.99075 -> 0.99108 (16 up, 3 down by more than 0.001), 1x +0.00017,
  bytes +4.3 %; 96 Iconify icons (seed 83) 4x 0.98905 -> 0.98957 (22 / 2), 1x +0.00042, +3.9 %; each
  alone on the 59 held-out images 4x +0.00027 / +0.00032 (5 / 0 and 8 / 0), +2.1 / +2.4 %; 236
  held-out damaged copies against the clean source +0.0002 (36 up, 10 down), +3.3 %;
- the traced-and-refined result is measured once, not beside the plain trace: on 60 training images the
  plain trace measured higher on 2 (by at most 0.0014 SSIM, 0.00002 on average), and the second
  render and SSIM were a third of Tier 1's time.
Measured on the dev set's training split (240 images at 256 px, `refine` vertices on a 1/4 px grid,
few colours still cutout): median SSIM 0.988, p10 0.929, median 1.04 KB, against 0.983 / 0.930 /
1.46 KB for the rules before refinement (1.5x cutout, 0.25 px simplification for few colours; 2x /
1.5x stacked, 0.5 px otherwise). 4-12 colours: 0.9726 / 1.9 KB (was 0.9708 / 5.3 KB); more: 0.9335 /
627 B (was 0.9262 / 1.2 KB).
"""

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from shared import learned
from shared.candidate import Candidate, evaluate
from shared.features import ImageFeatures
from shared.palette import lost_colours, main_colours, snap_fills
from shared.params import ConversionParams, EngineParams, StepParams
from shared.quality import measure
from shared.tiers import TierOutcome, TierRequest
from shared.tiers.search import MeasuredSearch, request_score

TINY_SIDE = 16  # below this many pixels a side, curve fitting degenerates: trace exact pixel squares
FEW_COLORS = 3  # up to this many significant colours: 1.5x, 0.375 px simplification; more: 1x, 0.625 px
# (0.5 and 0.75 px on the 1/4 px grid before: see the docstring)
FEW_COLORS_SCALE, FEW_COLORS_SIMPLIFY_PX = 1.5, 0.375
MANY_COLORS_SCALE, MANY_COLORS_SIMPLIFY_PX = 1.0, 0.625
REFINE_GRID = 8  # refined vertices on a 1/8 px grid (see the docstring; 1/4 px: 5-7 % fewer bytes)
RETRY_BELOW = 0.9  # a 1.5x trace measuring under this against its image is traced again at 1x
# (301 held-out dev images, clean 256 px and damaged: 5 fall under it, 2 of them 1.5x; `retry_params`)
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
# and, on a clean input, with exact colours (FINER_COLOR_PRECISION) ...
LOST_LAYER_DIFFERENCE_CLEANED = 8  # ... and on a cleaned-up one with this only (at 4 a 48 px JPEG's noise
# split off: 0.899 -> 0.880 against the clean logo)
LATER_FINER_BELOW = 0.99  # a trace made cutout first is traced again with exact colours after its stacked
# trace asks for them (`run`) only where the better layering measures under this: 60 shaded emoji (seed
# 31), the retry ran on 14 and changed 1 (0.9851, +0.0076 at 1x); under 0.99 it runs on 9, changes the same
# one, and Tier 1's total time is 6 % less (docs/findings.md, "Exact colours after the stacked trace")
UNMIX_SMOOTH_BELOW = 0.15  # an image with less smooth shading than this (`gradient_smoothness`, the rules'
# gradient type) is traced with its edges unmixed (`unmixes`); on shaded ones the engine's clusters moved
# both ways (docs/findings.md, "Edges unmixed before tracing")
SHARPER_BELOW = 0.98  # a clean trace under this and under the target is traced again ...
SHARPER_SCALE = 2.0  # ... supersampled this much (`sharper_params`), kept under the size sanity rule,
SHARPER_MAX_BYTES = 16 * 1024  # ... unless its SVG is this big already: the 2x trace doubles that detail
# and its time (vscode-icons' slim: 44 -> 73 KB, 2.5 -> 6.3 s at 256 px; 16 s from a 2048 px input)


def formula_params(features: ImageFeatures) -> ConversionParams:
    """Tier 1's parameter choice for an image, from its features alone."""
    if min(features.width, features.height) < TINY_SIDE:
        return ConversionParams(
            engine=EngineParams(mode="pixel", filter_speckle=0, color_precision=8, layer_difference=0),
            steps=StepParams(alpha="threshold"),
        )
    if features.n_colors <= FEW_COLORS:
        scale, simplify = FEW_COLORS_SCALE, FEW_COLORS_SIMPLIFY_PX
    else:
        scale, simplify = MANY_COLORS_SCALE, MANY_COLORS_SIMPLIFY_PX
    return ConversionParams(
        engine=EngineParams(mode="polygon", hierarchical="stacked"),
        steps=StepParams(scale=scale, alpha="threshold", alpha_threshold=128, simplify_px=simplify,
                         refine=True, refine_grid=REFINE_GRID, design_grid=True, primitives=True,
                         gradients=True, underlap=True, drop_fringes=True, splines=True,
                         unmix=unmixes(features)),
    )


def unmixes(features: ImageFeatures) -> bool:
    """Whether an image's edges are unmixed before tracing (shared/preprocess.py, `unmixed`): every tier's
    traces of images with less smooth shading than UNMIX_SMOOTH_BELOW, other than tiny ones (under
    TINY_SIDE a side: Tier 1 traces their exact pixels, so Tier 2's portfolio, which takes Tier 1's
    choice, left them mixed while Tier 3's trials unmixed them)."""
    return (min(features.width, features.height) >= TINY_SIDE
            and features.gradient_smoothness < UNMIX_SMOOTH_BELOW)


def choose_params(features: ImageFeatures, target_ssim: float, overrides: dict[str, Any]) -> ConversionParams:
    """Tier 1's one configuration: the learned quality predictor's pick among the stored candidates and
    the formula's guess where the model measured better than the formula (shared/models/use.json),
    else the formula. Tiny images always get the formula's exact-pixel trace."""
    formula = formula_params(features)
    if min(features.width, features.height) >= TINY_SIDE and learned.enabled("tier1"):
        ranked = learned.rank_candidates(features, target_ssim, overrides, [formula])
        if ranked:
            return ranked[0]
    return formula.with_overrides(overrides)


EvaluateOne = Callable[[ConversionParams], Candidate]
"""Traces and measures one configuration on the request's image (the searching tiers pass their memo's)."""


def run(request: TierRequest, executor: Executor | None = None,
        evaluate_one: EvaluateOne | None = None) -> TierOutcome:
    """One trace, traced again where a retry below asks for it (`retry_params`, `finer_params`,
    `lost_params`, `other_layering`, then `sharper_params`; a trace made cutout first (`first_layering`)
    gets exact colours after its stacked trace too, where that asks for them and the better layering
    measures under LATER_FINER_BELOW); `executor` is accepted
    for a uniform tier signature and not used. `evaluate_one` replaces the plain trace-and-measure
    (Tiers 2 and 3 start from Tier 1's result through their own memo, so a trace is never made
    twice)."""
    if evaluate_one is None:
        evaluate_one = partial(_evaluate_plain, request.rgba, request.source_px)
    chosen = choose_params(request.features, request.target_ssim, request.overrides)
    params = first_layering(chosen, request)
    cutout_first = params is not chosen
    request.check_cancelled()
    best = evaluate_one(params)  # one measurement: see the docstring
    evaluated = 1
    retry = retry_params(params, request.overrides) if best.figures.ssim < RETRY_BELOW else None
    if retry is not None:
        best, evaluated = _higher_trace(best, retry, request, evaluate_one), evaluated + 1
    close = request.sharp_edges and close_colours(request.rgba)
    noisy = request.cleaned and not request.snapped and request.source_px == 1.0  # a cleaned shaded JPEG

    def finer(measured: Candidate) -> ConversionParams | None:
        """`best`'s parameters with exact colours where `measured` (a trace of the image) asks for them."""
        if request.snapped and not close:
            return None
        return finer_params(best, request.features, request.target_ssim, request.overrides, close,
                            measured.figures.ssim, noisy)

    exact = finer(best)
    if exact is not None:
        best, evaluated = _saner_trace(best, exact, request, evaluate_one), evaluated + 1
    lost = lost_params(best, request.rgba, request.overrides, request.cleaned)
    if lost is not None:
        best, evaluated = _saner_trace(best, lost, request, evaluate_one), evaluated + 1
    other = other_layering(best, request.overrides, request.cleaned)
    if other is not None:
        request.check_cancelled()
        layered = evaluate_one(other)
        best, evaluated = _saner_of(best, layered, request), evaluated + 1
        # traced cutout first, exact colours where the stacked trace asks for them (stacked first, a
        # shaded emoji's stacked trace under FINER_BELOW got them; its cutout one measured over it) and the
        # better layering is under LATER_FINER_BELOW
        later = finer(layered) if cutout_first and exact is None and best.figures.ssim < LATER_FINER_BELOW \
            else None
        if later is not None:
            best, evaluated = _saner_trace(best, later, request, evaluate_one), evaluated + 1
    sharper = sharper_params(best, request)  # last: the best layering so far, supersampled
    if sharper is not None:
        best, evaluated = _saner_trace(best, sharper, request, evaluate_one), evaluated + 1
    best = cleaned_fills(best, request)
    request.report(1.0, best)
    return TierOutcome(best=best, evaluated=evaluated)


def run_in(search: MeasuredSearch) -> Candidate:
    """Tier 1 run through a searching tier's memo (its progress muted), its result kept by the search:
    Tiers 2 and 3 start from Tier 1's result with its retries, so they never end below it under their
    own size sanity rule. Given Tier 1's first guess only, Tier 2 ended at a score of 0.97633 on the
    generated gradient logo `generated:gradient:18`, where Tier 1's exact-colour retry scored 0.97654."""
    outcome = run(replace(search.request, progress=None), evaluate_one=lambda p: search.evaluate_many([p])[0])
    search.keep(outcome.best)
    return outcome.best


def _evaluate_plain(rgba: np.ndarray, source_px: float, params: ConversionParams) -> Candidate:
    return evaluate(rgba, params, compare_unrefined=False, source_px=source_px)


def _saner_trace(best: Candidate, params: ConversionParams, request: TierRequest,
                 evaluate_one: EvaluateOne) -> Candidate:
    """`best`, or the trace with `params` where it scores higher under the size sanity rule (at the
    cleaned rate on a cleaned input, the clean rate otherwise; one more trace)."""
    request.check_cancelled()
    return _saner_of(best, evaluate_one(params), request)


def _saner_of(best: Candidate, other: Candidate, request: TierRequest) -> Candidate:
    """`other` where it scores higher than `best` under the size sanity rule, else `best`."""
    return other if request_score(other, request) > request_score(best, request) else best


def _higher_trace(best: Candidate, params: ConversionParams, request: TierRequest,
                  evaluate_one: EvaluateOne) -> Candidate:
    """`best`, or the trace with `params` where that measures higher (one more trace)."""
    request.check_cancelled()
    other = evaluate_one(params)
    return other if other.figures.ssim > best.figures.ssim else best


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


def retry_params(params: ConversionParams, overrides: dict[str, Any]) -> ConversionParams | None:
    """1x for a 1.5x few-colour trace that measured under RETRY_BELOW against the image it traced; None
    otherwise (the scale fixed by the caller, other traces). The engine's layering sometimes breaks on
    a supersampled few-colour image (two held-out JPEGs after clean-up, against the clean logo: a full
    black rectangle under misplaced white shapes, 0.815 at 1.5x, 0.983 at 1x; 0.845 -> 0.912). The
    other way, 1x -> 1.5x, measured higher against the cleaned image but lower against the clean logo
    on 2 of 3 held-out copies, at up to 3.5x the bytes (it fits noise), so it is not tried."""
    if "scale" in overrides or params.engine.mode != "polygon" or params.steps.scale != FEW_COLORS_SCALE:
        return None
    return params.with_overrides({"scale": MANY_COLORS_SCALE})


def lost_params(best: Candidate, rgba: np.ndarray, overrides: dict[str, Any],
                cleaned: bool = False) -> ConversionParams | None:
    """`best`'s parameters with LOST_LAYER_DIFFERENCE and FINER_COLOR_PRECISION (a cleaned-up input: see
    below) for a polygon trace that lost a main colour of its image (shared/palette.py, `lost_colours`);
    None otherwise (both fixed by the caller or already as fine). The engine outputs a colour cluster as a
    shape of its own only where its nearest neighbour differs by more than `layer_difference` (summed
    RGB): anti-aliased edges between two faces make clusters of their mixes that bridge them, and the
    face is merged away. At 6-bit colours two colours within 4 levels a channel share a cluster (a white
    ring on a #F4F2ED plate). A cleaned-up input is traced with LOST_LAYER_DIFFERENCE_CLEANED and not
    with exact colours: finer than that traces noise (a held-out favicon 287 -> 5,141 B, 0.937 -> 0.898
    against the clean source)."""
    engine = best.params.engine
    if engine.mode != "polygon":
        return None
    finer: dict[str, Any] = {}
    layers = LOST_LAYER_DIFFERENCE_CLEANED if cleaned else LOST_LAYER_DIFFERENCE
    if "layer_difference" not in overrides and engine.layer_difference > layers:
        finer["layer_difference"] = layers
    if not cleaned and "color_precision" not in overrides and engine.color_precision < FINER_COLOR_PRECISION:
        finer["color_precision"] = FINER_COLOR_PRECISION
    if not finer or not len(lost_colours(best.svg, rgba)):
        return None
    return best.params.with_overrides(finer)


def sharper_params(best: Candidate, request: TierRequest) -> ConversionParams | None:
    """`best`'s parameters supersampled `SHARPER_SCALE` for a polygon trace of a clean input (not a
    cleaned-up one, whose detail is noise) that measured under `SHARPER_BELOW` and under the target in
    at most `SHARPER_MAX_BYTES`; None otherwise (the scale fixed by the caller or already as fine).
    Detailed colour logos lose hairlines and small parts at 1x (skill-icons' LaTeX bird's feather lines,
    vscode-icons' cargo); see the module docstring for what it measured."""
    if "scale" in request.overrides or request.cleaned or best.params.engine.mode != "polygon":
        return None
    low = best.figures.ssim < min(request.target_ssim, SHARPER_BELOW)
    if not low or best.params.steps.scale >= SHARPER_SCALE or best.figures.bytes > SHARPER_MAX_BYTES:
        return None
    return best.params.with_overrides({"scale": SHARPER_SCALE})


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

