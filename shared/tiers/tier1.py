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
- an upscaled small input (a favicon, a small JPEG) is traced with `filter_speckle` UPSCALED_SPECKLE
  (`upscaled_params`): the engine's 4 traced px kept JPEG blocks and the upscale's ripples as specks;
- the traced-and-refined result is measured once, not beside the plain trace: on 60 training images the
  plain trace measured higher on 2 (by at most 0.0014 SSIM, 0.00002 on average), and the second
  render and SSIM were a third of Tier 1's time;
- a trace that measures badly is traced again where a measured rule asks for it (other layering,
  exact colours, lost colours, supersampled): shared/tiers/tier1_retries.py, whose docstring holds
  what each rule measured; the 1.5x trace's retry at 1x (`retry_params`) stays here with the formula.
Measured on the dev set's training split (240 images at 256 px, `refine` vertices on a 1/4 px grid,
few colours still cutout): median SSIM 0.988, p10 0.929, median 1.04 KB, against 0.983 / 0.930 /
1.46 KB for the rules before refinement (1.5x cutout, 0.25 px simplification for few colours; 2x /
1.5x stacked, 0.5 px otherwise). 4-12 colours: 0.9726 / 1.9 KB (was 0.9708 / 5.3 KB); more: 0.9335 /
627 B (was 0.9262 / 1.2 KB).
"""

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from shared import learned
from shared.candidate import Candidate, evaluate
from shared.features import ImageFeatures
from shared.params import ConversionParams, EngineParams, StepParams
from shared.tiers import TierOutcome, TierRequest
from shared.tiers import tier1_retries as retries
from shared.tiers.search import MeasuredSearch, request_score

TINY_SIDE = 16  # below this many pixels a side, curve fitting degenerates: trace exact pixel squares
FEW_COLORS = 3  # up to this many significant colours: 1.5x, 0.375 px simplification; more: 1x, 0.625 px
# (0.5 and 0.75 px on the 1/4 px grid before: see the docstring)
FEW_COLORS_SCALE, FEW_COLORS_SIMPLIFY_PX = 1.5, 0.375
MANY_COLORS_SCALE, MANY_COLORS_SIMPLIFY_PX = 1.0, 0.625
REFINE_GRID = 8  # refined vertices on a 1/8 px grid (see the docstring; 1/4 px: 5-7 % fewer bytes)
RETRY_BELOW = 0.9  # a 1.5x trace measuring under this against its image is traced again at 1x
# (301 held-out dev images, clean 256 px and damaged: 5 fall under it, 2 of them 1.5x; `retry_params`)
UPSCALED_SPECKLE = 6  # an upscaled small input (a favicon, a small JPEG: `TierRequest.source_px` over 1)
# is traced with this `filter_speckle` (traced px a side; the engine's 4 otherwise, `upscaled_params`):
# 118 held-out and 432 training favicons and small JPEGs, means against the clean source +0.00004 to +0.00026,
# bytes -7 to -11 % (at 8: -13 to -17 %, means -0.00004 to +0.00013; docs/findings.md, "Larger speckles
# on upscaled small inputs")
UNMIX_SMOOTH_BELOW = 0.15  # an image with less smooth shading than this (`gradient_smoothness`, the rules'
# gradient type) is traced with its edges unmixed (`unmixes`); on shaded ones the engine's clusters moved
# both ways (docs/findings.md, "Edges unmixed before tracing")


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


def choose_params(request: TierRequest) -> ConversionParams:
    """Tier 1's one configuration for a request, which Tier 2 starts from too: the learned quality
    predictor's pick among the stored candidates and the formula's guess where the model measured better
    than the formula (shared/models/use.json), else the formula; for an upscaled small input with coarser
    speckles (`upscaled_params`). Tiny images always get the formula's exact-pixel trace."""
    features = request.features
    formula = formula_params(features)
    chosen = None
    if min(features.width, features.height) >= TINY_SIDE and learned.enabled("tier1"):
        ranked = learned.rank_candidates(features, request.target_ssim, request.overrides, [formula])
        chosen = ranked[0] if ranked else None
    return upscaled_params(formula.with_overrides(request.overrides) if chosen is None else chosen, request)


def upscaled_params(params: ConversionParams, request: TierRequest) -> ConversionParams:
    """`params` with UPSCALED_SPECKLE for a polygon trace of an upscaled small input (`source_px` over 1:
    one input pixel is 1.6 traced pixels a side or more, so such a patch covers at most 14 input pixels,
    mostly a JPEG block's or the upscaling's ripple); else as they are (`filter_speckle` fixed by the
    caller or already as coarse, other traces)."""
    if request.source_px <= 1.0 or "filter_speckle" in request.overrides or params.engine.mode != "polygon" \
            or params.engine.filter_speckle >= UPSCALED_SPECKLE:
        return params
    return params.with_overrides({"filter_speckle": UPSCALED_SPECKLE})


EvaluateOne = Callable[[ConversionParams], Candidate]
"""Traces and measures one configuration on the request's image (the searching tiers pass their memo's)."""


def run(request: TierRequest, executor: Executor | None = None,
        evaluate_one: EvaluateOne | None = None) -> TierOutcome:
    """One trace (`choose_params`), traced again where a retry asks for it: `retry_params` here, then
    `finer_params`, `lost_params`, `other_layering`, `sharper_params` and `speckled_params` of
    shared/tiers/tier1_retries.py (a trace made cutout first, `first_layering`, gets exact colours after
    its stacked trace too, where that asks for them and the better layering measures under
    LATER_FINER_BELOW). `executor` is accepted for a uniform tier signature and not used. `evaluate_one`
    replaces the plain trace-and-measure (Tiers 2 and 3 start from Tier 1's result through their own memo,
    so a trace is never made twice)."""
    if evaluate_one is None:
        evaluate_one = partial(_evaluate_plain, request.rgba, request.source_px)
    chosen = choose_params(request)
    params = retries.first_layering(chosen, request)
    cutout_first = params is not chosen
    request.check_cancelled()
    best = evaluate_one(params)  # one measurement: see the docstring
    evaluated = 1
    retry = retry_params(params, request.overrides) if best.figures.ssim < RETRY_BELOW else None
    if retry is not None:
        best, evaluated = _higher_trace(best, retry, request, evaluate_one), evaluated + 1
    close = request.sharp_edges and retries.close_colours(request.rgba)
    noisy = request.cleaned and not request.snapped and request.source_px == 1.0  # a cleaned shaded JPEG

    def finer(measured: Candidate) -> ConversionParams | None:
        """`best`'s parameters with exact colours where `measured` (a trace of the image) asks for them."""
        if request.snapped and not close:
            return None
        return retries.finer_params(best, request.features, request.target_ssim, request.overrides, close,
                            measured.figures.ssim, noisy)

    exact = finer(best)
    if exact is not None:
        best, evaluated = _saner_trace(best, exact, request, evaluate_one), evaluated + 1
    lost = retries.lost_params(best, request.rgba, request.overrides, request.cleaned,
                               own_size=request.source_px <= 1.0)
    if lost is not None:
        best, evaluated = _saner_trace(best, lost, request, evaluate_one), evaluated + 1
    other = retries.other_layering(best, request.overrides, request.cleaned)
    if other is not None:
        request.check_cancelled()
        layered = evaluate_one(other)
        best, evaluated = _saner_of(best, layered, request), evaluated + 1
        # traced cutout first, exact colours where the stacked trace asks for them (stacked first, a
        # shaded emoji's stacked trace under FINER_BELOW got them; its cutout one measured over it) and the
        # better layering is under LATER_FINER_BELOW
        later_below = best.figures.ssim < retries.LATER_FINER_BELOW
        later = finer(layered) if cutout_first and exact is None and later_below else None
        if later is not None:
            best, evaluated = _saner_trace(best, later, request, evaluate_one), evaluated + 1
    sharper = retries.sharper_params(best, request)  # the best layering so far, supersampled
    if sharper is not None:
        best, evaluated = _saner_trace(best, sharper, request, evaluate_one), evaluated + 1
    speckled = retries.speckled_params(best, request)  # last: where small parts are still missing
    if speckled is not None:
        best, evaluated = _saner_trace(best, speckled, request, evaluate_one), evaluated + 1
    best = retries.cleaned_fills(best, request)
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
