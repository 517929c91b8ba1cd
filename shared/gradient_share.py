"""One gradient for the pieces of one shaded object (shared/gradients.py calls this last).

The tracer splits an object into pieces wherever a shape on top cuts it; each piece gets its own
fitted gradient, though one gradient would draw them all. Regions are taken largest first; a region
takes a group's gradient where it fits the region's interior within `SHARE_SLACK` of the region's own
gradient (or, for a flat region, halves its flat error to within the merge tolerance: its shading at no
markup cost). Where the group's gradient only fits continued past its end stops (a gradient padded
beyond its pieces), one gradient is fitted to the group and the region together and taken by both if
it fits each within its limit. Each group is then one `<defs>` entry.
"""

from dataclasses import dataclass, field

import numpy as np

from shared.gradient_fit import SAMPLE, fit_region, paint_colours
from shared.paint import Gradient

SHARE_SLACK = 1.0 / 255  # RMS a region may lose by taking a group's gradient instead of its own


@dataclass
class _Group:
    paint: Gradient
    xy: np.ndarray
    colours: np.ndarray
    limits: list[tuple[slice, float]] = field(default_factory=list)  # per member: its rows, its RMS limit
    roots: list[int] = field(default_factory=list)


def share_paints(paints: dict[int, Gradient], samples: dict[int, tuple[np.ndarray, np.ndarray]],
                 tolerance: float, max_stops: int) -> dict[int, Gradient]:
    """`paints` with regions sharing gradients (see the module docstring). `samples`: per region, in the
    order to visit (largest first), interior pixel centres and their premultiplied colours."""
    if not paints:
        return paints
    groups: list[_Group] = []
    out = dict(paints)
    for root, (xy, colours) in samples.items():
        own = paints.get(root)
        if own is None:
            flat = float(np.sqrt(((colours - colours.mean(axis=0)) ** 2).mean()))
            limit = min(tolerance, flat / 2) if flat >= 1.0 / 255 else -1.0
        else:
            limit = _rms(own, xy, colours) + SHARE_SLACK
        group = _join(groups, xy, colours, limit, own is not None, max_stops)
        if group is None and own is not None:
            group = _Group(own, xy, colours)
            groups.append(group)
        if group is not None:
            group.limits.append((slice(len(group.xy) - len(xy), len(group.xy)), limit))
            group.roots.append(root)
    for group in groups:
        for root in group.roots:
            out[root] = group.paint
    return out


def _join(groups: list[_Group], xy: np.ndarray, colours: np.ndarray, limit: float, gradient: bool,
          max_stops: int) -> _Group | None:
    """The group the region joins (its samples appended, its gradient refitted if need be), or None."""
    for group in groups:
        if _rms(group.paint, xy, colours) <= limit:
            _append(group, xy, colours)
            return group
    if not gradient:
        return None
    for group in groups:  # the group's gradient, continued past its end stops, fits: fit both at once
        if _rms(group.paint, xy, colours, extend=True) > limit:
            continue
        both_xy, both = np.vstack([group.xy, xy]), np.vstack([group.colours, colours])
        pick = np.random.default_rng(0).choice(len(both_xy), min(SAMPLE, len(both_xy)), replace=False)
        paint = fit_region(both_xy[pick], both[pick], max_stops, force=True).paint
        if paint is None or _rms(paint, xy, colours) > limit:
            continue
        if all(_rms(paint, group.xy[rows], group.colours[rows]) <= member for rows, member in group.limits):
            group.paint = paint
            _append(group, xy, colours)
            return group
    return None


def _append(group: _Group, xy: np.ndarray, colours: np.ndarray) -> None:
    group.xy, group.colours = np.vstack([group.xy, xy]), np.vstack([group.colours, colours])


def _rms(paint: Gradient, xy: np.ndarray, colours: np.ndarray, extend: bool = False) -> float:
    return float(np.sqrt(((paint_colours(paint, xy, extend) - colours) ** 2).mean()))
