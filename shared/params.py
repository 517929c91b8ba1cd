"""Conversion parameters: the tracing engine's options plus svgai's own steps, validated.

Every range lives here, once, as pydantic constraints; `shared.search_space` reads them from these
models. Out-of-range values raise `ParameterError` naming the field and its allowed range — nothing is
clamped silently.
"""

import json
import re
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared.errors import ParameterError

HEX_COLOR = r"^#[0-9A-Fa-f]{6}$"
MAX_JSON_DEPTH = 8  # overrides nest 2 levels (an object holding a palette list); deeper is refused unread
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


class EngineParams(BaseModel):
    """Every option of VTracer 1.0.0a4 with the engine's own defaults. Units are pixels of the traced
    image (after supersampling) unless stated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    clustering: Literal["color-cluster", "bw", "watershed"] = "color-cluster"
    hierarchical: Literal["stacked", "cutout"] = Field(
        "stacked", description="stacked: shapes painted over each other; cutout: seam-free mosaic"
    )
    mode: Literal["pixel", "polygon", "spline"] = "spline"
    filter_speckle: int = Field(4, ge=0, le=128, description="discard patches smaller than this (px side)")
    color_precision: int = Field(6, ge=1, le=8, description="significant bits per RGB channel")
    layer_difference: int = Field(16, ge=0, le=255, description="colour difference between layers")
    corner_threshold: int = Field(60, ge=0, le=180, description="minimum angle (degrees) of a corner")
    length_threshold: float = Field(4.0, ge=3.5, le=10.0, description="minimum segment length")
    max_iterations: int = Field(10, ge=1, le=100)
    splice_threshold: int = Field(45, ge=0, le=180, description="minimum angle (degrees) to splice a spline")
    simplify: float | None = Field(None, ge=0.0, le=10.0, description="curve simplification tolerance, px")
    path_precision: int = Field(2, ge=0, le=8, description="decimal places of path coordinates")
    palette: tuple[str, ...] = Field((), max_length=256, description="fixed palette, '#rrggbb' strings")
    max_colors: int | None = Field(None, ge=2, le=256, description="auto-quantize to this many colours")
    optimize: int = Field(1, ge=0, le=2, description="engine's output optimisation level")
    binary_threshold: int = Field(128, ge=0, le=255, description="bw clustering: fixed cutoff")
    adaptive: bool = False
    adaptive_window: int = Field(0, ge=0, le=1024, description="bw adaptive window, px (0 = auto)")
    adaptive_t: float = Field(15.0, ge=0.0, le=100.0, description="bw adaptive: % below local mean")
    watershed_detail: int = Field(128, ge=0, le=4096, description="watershed cut level")

    @field_validator("palette")
    @classmethod
    def _check_palette(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in value if not re.match(HEX_COLOR, c)]
        if bad:
            raise ValueError(f"palette colours must be '#rrggbb', got {bad[:3]}")
        return value


class StepParams(BaseModel):
    """svgai's own steps around the engine. The defaults are neutral: with them, a trace is VTracer's own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scale: float = Field(1.0, ge=1.0, le=4.0, description="supersampling factor before tracing")
    alpha: Literal["keep", "threshold"] = Field(
        "keep", description="threshold: alpha made binary before tracing; keep: passed to the engine"
    )
    alpha_threshold: int = Field(128, ge=1, le=255, description="alpha >= this is opaque (threshold mode)")
    denoise: int = Field(0, ge=0, le=7, description="median filter size in px before tracing (0 or 1 = off)")
    snap_colors: int = Field(
        0, ge=0, le=64, description="snap colours to a palette of this many (0 = off), after supersampling"
    )
    unmix: bool = Field(
        False, description="an edge's anti-aliased mix pixels between two flat colours given the nearer "
        "side's colour before tracing, after supersampling (shared/preprocess.py `unmixed`)"
    )

    simplify_px: float = Field(
        0.0, ge=0.0, le=2.0, description="drop polygon vertices within this many input px of the outline"
    )  # 0 = off
    refine: bool = Field(
        False, description="move polygon vertices onto the input's anti-aliased edges (kept if SSIM rises)"
    )
    refine_grid: int = Field(16, ge=1, le=64, description="refined vertices snap to 1/this of an input px")
    design_grid: bool = Field(
        False, description="after refinement, axis-aligned edges onto the design grid the drawing's edges "
        "agree on, if any (shared/design_grid.py)"
    )
    fit_curves: bool = Field(
        False, description="after refinement, fit cubic Beziers to the runs between corners (polygon traces)"
    )
    fit_tolerance_px: float = Field(
        0.1, ge=0.02, le=2.0, description="largest distance, input px, of a fitted curve from the edge points"
    )
    curve_pairs_ratio: float = Field(
        1.5, ge=0.5, le=100.0, description="a ring keeps its polygon where its curve takes more than this "
        "times the polygon's coordinate pairs (bytes)"
    )
    corner_angle: int = Field(
        40, ge=5, le=175, description="turning angle (degrees) above which a polygon vertex is a corner"
    )
    splines: bool = Field(
        False, description="stacked traces: runs between corners as quadratic B-splines through the refined "
        "vertices, where nearer the input's edge (shared/splines.py; about the polygon's bytes)"
    )
    primitives: bool = Field(
        False, description="write rings that fit circles, ellipses, rounded rectangles as such"
    )
    gradients: bool = Field(
        False, description="fill regions with linear/radial gradients where they fit (shared/gradients.py)"
    )
    underlap: bool = Field(
        False, description="cutout traces: each shape's edges that border a shape painted later are pushed "
        "under it, so no seam shows between them (shared/conflation.py)"
    )
    drop_fringes: bool = Field(
        False, description="stacked traces: thin shapes of an edge's anti-aliased mix colour lying on shapes "
        "painted before them are dropped before refinement (shared/fringes.py)"
    )
    gradient_stops: int = Field(4, ge=2, le=4, description="most colour stops of a fitted gradient")
    gradient_merge: float = Field(
        0.02, ge=0.0, le=0.2, description="RMS (premultiplied RGBA, 0-1) within which bands merge into one"
    )

    @field_validator("snap_colors")
    @classmethod
    def _check_snap(cls, value: int) -> int:
        if value == 1:
            raise ValueError("snap_colors must be 0 (off) or 2 to 64")
        return value


class ConversionParams(BaseModel):
    """Everything that determines one trace: the engine's options and svgai's steps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    engine: EngineParams = EngineParams()
    steps: StepParams = StepParams()

    def with_overrides(self, overrides: dict[str, Any] | None) -> "ConversionParams":
        """A copy with flat `{field: value}` overrides applied to whichever group owns each field."""
        return parse_params(overrides or {}, base=self)

    def flat(self) -> dict[str, Any]:
        """All fields in one flat dict (the form users pass as overrides)."""
        return {**self.engine.model_dump(), **self.steps.model_dump()}


_GROUPS: dict[str, type[BaseModel]] = {"engine": EngineParams, "steps": StepParams}


def _describe_error(err: dict[str, Any], group: type[BaseModel]) -> str:
    name = str(err["loc"][0]) if err["loc"] else "?"
    field = group.model_fields.get(name)
    allowed = ""
    if field is not None:
        bounds = {type(m).__name__: m for m in field.metadata}
        lo = next((getattr(m, "ge", None) for m in bounds.values() if hasattr(m, "ge")), None)
        hi = next((getattr(m, "le", None) for m in bounds.values() if hasattr(m, "le")), None)
        if lo is not None or hi is not None:
            allowed = f" (allowed: {lo if lo is not None else '-inf'} to {hi if hi is not None else 'inf'})"
    return f"{name}: {err['msg']}{allowed}"


def _type_problem(name: str, value: Any, group: type[BaseModel]) -> str | None:
    """Strict types for numbers: a boolean or a string is not a number (pydantic's lax mode would read
    `true` as 1 and "2" as 2)."""
    annotation = group.model_fields[name].annotation
    if not {int, float} & set(get_args(annotation) or (annotation,)):
        return None
    if isinstance(value, bool):
        return f"{name}: expected a number, got {json.dumps(value)} (booleans are not numbers)"
    if isinstance(value, str):
        return f"{name}: expected a number, got a string"
    return None


def parse_params(values: dict[str, Any], base: ConversionParams | None = None) -> ConversionParams:
    """Build parameters from a flat dict of overrides on top of `base` (default: engine defaults).

    Unknown names, values of the wrong type (a boolean or string for a number) and out-of-range values
    raise `ParameterError` naming each bad field and its range.
    """
    base = base or ConversionParams()
    unknown = sorted(k for k in values if not any(k in g.model_fields for g in _GROUPS.values()))
    if unknown:
        raise ParameterError(f"unknown parameter(s): {', '.join(unknown)}")
    parts: dict[str, BaseModel] = {}
    problems: list[str] = []
    for attr, group in _GROUPS.items():
        current = getattr(base, attr)
        mine = {k: v for k, v in values.items() if k in group.model_fields}
        wrong = [p for p in (_type_problem(k, v, group) for k, v in mine.items()) if p]
        if wrong:
            problems.extend(wrong)
            continue
        try:
            parts[attr] = group.model_validate({**current.model_dump(), **mine})
        except ValidationError as exc:
            problems.extend(_describe_error(e, group) for e in exc.errors())
    if problems:
        raise ParameterError("invalid parameter(s): " + "; ".join(problems))
    return ConversionParams(**parts)  # type: ignore[arg-type]


def json_depth(text: str) -> int:
    """How deeply `text`'s arrays and objects nest (brackets inside strings do not count); no decoding."""
    depth = deepest = 0
    for bracket in re.findall(r"[\[\]{}]", _JSON_STRING.sub('""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def loads_bounded(text: str, what: str) -> Any:
    """`json.loads(text)` for text from a user: nesting deeper than MAX_JSON_DEPTH is a
    `ParameterError` naming `what` (never a RecursionError); invalid JSON raises `json.JSONDecodeError`."""
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ParameterError(f"{what} nests {depth} levels deep; at most {MAX_JSON_DEPTH} are accepted")
    return json.loads(text)


def overrides_from_json(raw: str | None) -> dict[str, Any]:
    """The API's `overrides` field: a JSON object of parameter names to values ({} when empty)."""
    if not raw:
        return {}
    try:
        value = loads_bounded(raw, "overrides")
    except json.JSONDecodeError as exc:
        raise ParameterError(f"overrides must be a JSON object: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise ParameterError("overrides must be a JSON object of parameter names to values")
    return value
