"""A drawing rasterised by pixel centres (nonzero winding, painting order kept): the winding number of
rings, each shape's coverage within its bounding box, and per pixel the topmost shape and the one under
it. The fill model (shared/gradients.py), edge measurements (shared/edge_profiles.py), fringe strips,
interior fills and translucency read the drawing through these.
"""

from collections.abc import Iterator

import numpy as np

from shared.geometry import Drawing, cyclic_shift


class Masks:
    """Boolean masks of one image size by key, stored as their bounding-box crops (memory in
    proportion to what they cover, not the image size times the number of shapes)."""

    def __init__(self, height: int, width: int) -> None:
        self.size = (height, width)
        self._crops: dict[int, tuple[int, int, np.ndarray] | None] = {}

    def __setitem__(self, key: int, mask: np.ndarray) -> None:
        self.put(key, mask, 0, 0)

    def put(self, key: int, mask: np.ndarray, y_offset: int, x_offset: int) -> None:
        """Store `mask`, whose first pixel is at (`y_offset`, `x_offset`) of the image."""
        ys, xs = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
        if not len(ys):
            self._crops[key] = None
            return
        y0, y1, x0, x1 = int(ys[0]), int(ys[-1]) + 1, int(xs[0]), int(xs[-1]) + 1
        self._crops[key] = (y0 + y_offset, x0 + x_offset, mask[y0:y1, x0:x1].copy())

    def crop(self, key: int) -> tuple[int, int, np.ndarray] | None:
        """(y0, x0, the mask within its bounding box from (y0, x0)); None: empty."""
        return self._crops[key]

    def count(self, key: int) -> int:
        crop = self._crops[key]
        return 0 if crop is None else int(crop[2].sum())

    def box(self, key: int) -> tuple[slice, slice] | None:
        """The bounding box of a stored mask (None: empty)."""
        crop = self._crops[key]
        if crop is None:
            return None
        y0, x0, part = crop
        return slice(y0, y0 + part.shape[0]), slice(x0, x0 + part.shape[1])

    def __getitem__(self, key: int) -> np.ndarray:
        full = np.zeros(self.size, bool)
        crop = self._crops[key]
        if crop is not None:
            y0, x0, part = crop
            full[y0:y0 + part.shape[0], x0:x0 + part.shape[1]] = part
        return full

    def __contains__(self, key: object) -> bool:
        return key in self._crops

    def __delitem__(self, key: int) -> None:
        del self._crops[key]

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._crops))


def rasterise(drawing: Drawing) -> tuple[np.ndarray, np.ndarray, Masks]:
    """Per pixel the topmost shape (-1: none) and the shape under it there, and each shape's coverage
    (boolean, by pixel centres, nonzero winding)."""
    height, width = drawing.height, drawing.width
    top = np.full((height, width), -1, np.int32)
    under = np.full((height, width), -1, np.int32)
    coverage = Masks(height, width)
    for shape, y0, x0, mask in shape_masks(drawing):
        if mask is None:
            coverage[shape] = np.zeros((0, 0), bool)
            continue
        box = slice(y0, y0 + mask.shape[0]), slice(x0, x0 + mask.shape[1])
        box_top, box_under = top[box], under[box]
        box_under[mask] = box_top[mask]
        box_top[mask] = shape
        coverage.put(shape, mask, y0, x0)
    return top, under, coverage


def shape_masks(drawing: Drawing, scale: int = 1, within: tuple[int, int, int, int] | None = None
                ) -> Iterator[tuple[int, int, int, np.ndarray | None]]:
    """Each shape in painting order with its coverage (boolean, by the centres of a grid `scale` times
    finer than the input's pixels, nonzero winding) within its bounding box: (shape, y0, x0, mask), the
    mask's first cell at (y0, x0) of the grid; None where the shape covers none of the grid. `within`
    (y0, x0, y1, x1 cells of the grid): only that part of it (shapes outside it: None)."""
    top, left, bottom, right = within or (0, 0, drawing.height * scale, drawing.width * scale)
    rings = drawing.rings
    for shape, ring_ids in enumerate(drawing.shape_rings()):
        if not ring_ids:
            yield shape, 0, 0, None
            continue
        scaled = [rings[r] * scale for r in ring_ids] if scale != 1 else [rings[r] for r in ring_ids]
        points = np.vstack(scaled)  # winding within the shape's bounding box
        y0, x0 = (max(int(v) - 1, low) for v, low in zip(points.min(axis=0)[::-1], (top, left), strict=True))
        y1, x1 = min(int(points[:, 1].max()) + 2, bottom), min(int(points[:, 0].max()) + 2, right)
        if y1 <= y0 or x1 <= x0:
            yield shape, 0, 0, None
            continue
        yield shape, y0, x0, winding([r - [x0, y0] for r in scaled], y1 - y0, x1 - x0) != 0


def winding(rings: list[np.ndarray], height: int, width: int) -> np.ndarray:
    """The winding number of every pixel centre for closed rings (vertices in px)."""
    starts = [r for r in rings if len(r) >= 3]
    if not starts:
        return np.zeros((height, width), np.int32)
    p0 = np.vstack(starts)
    p1 = np.vstack([cyclic_shift(r, -1) for r in starts])
    y0, y1 = p0[:, 1], p1[:, 1]
    first = np.clip(np.ceil(np.minimum(y0, y1) - 0.5), 0, height).astype(int)  # first row centre >= ymin
    last = np.clip(np.ceil(np.maximum(y0, y1) - 0.5), 0, height).astype(int)  # rows < this
    count = last - first
    keep = count > 0
    edge = np.repeat(np.flatnonzero(keep), count[keep])
    row = (np.arange(len(edge)) - np.repeat(np.cumsum(count[keep]) - count[keep], count[keep])
           + first[edge])
    yc = row + 0.5
    t = (yc - y0[edge]) / (y1[edge] - y0[edge])
    xc = p0[edge, 0] + t * (p1[edge, 0] - p0[edge, 0])
    column = np.clip(np.floor(xc - 0.5).astype(int) + 1, 0, width)
    crossings = np.bincount(row * (width + 1) + column, np.where(y1[edge] > y0[edge], 1.0, -1.0),
                            height * (width + 1))  # as np.add.at, several times faster
    return np.cumsum(crossings.reshape(height, width + 1), axis=1)[:, :width].astype(int)
