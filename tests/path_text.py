"""Test helper: path data as svgai writes it (shared/svg.py), read back with relative `h`/`v` runs
spelled as `l` pairs, so the readers that know M m L l Z z (shared/geometry.py's `parse_paths`, the
token-by-token reference of tests/test_simplify.py) read it, and where each segment ends
(`on_curve_points`, curves and lines alike)."""

import re

import numpy as np

_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_RUN = re.compile(r"([hv])([^A-Za-z]*)")


def as_lines(d: str) -> str:
    """`d` with every relative `h`/`v` run written as an `l` run of (x,0) or (0,y) pairs."""
    def spelled(run: re.Match[str]) -> str:
        numbers = _NUMBER.findall(run[2])
        return "l" + " ".join(f"{n},0" if run[1] == "h" else f"0,{n}" for n in numbers)
    return _RUN.sub(spelled, d)


def on_curve_points(d: str) -> list[np.ndarray]:
    """Where every segment of a relative `M`/`l`/`h`/`v`/`q`/`t` path ends (view units)."""
    tokens = re.findall(r"[MlqtZ]|-?(?:\d+\.?\d*|\.\d+)", as_lines(d))
    here, command, out, i = np.zeros(2), "", [], 0
    while i < len(tokens):
        if tokens[i] in "MlqtZ":
            command, i = tokens[i], i + 1
            continue
        size = 4 if command == "q" else 2
        values = np.array([float(v) for v in tokens[i : i + size]])
        i += size
        here = values if command == "M" else here + values[-2:]
        out.append(here)
    return out
