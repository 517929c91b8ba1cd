"""Test helper: path data as svgai writes it (shared/svg.py), read back with relative `h`/`v` runs
spelled as `l` pairs, so the readers that know M m L l Z z (shared/geometry.py's `parse_paths`, the
token-by-token reference of tests/test_simplify.py) read it, and where each segment ends
(`on_curve_points`, curves and lines alike), and its quadratics as start, control and end
(`written_quadratics`)."""

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


def written_quadratics(d: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(start, control, end) of every quadratic in a relative `M`/`l`/`h`/`v`/`q`/`t`/`Z` path, view units."""
    tokens = re.findall(r"[MlqtZ]|-?(?:\d+\.?\d*|\.\d+)", as_lines(d))
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    here, control, command, i = np.zeros(2), None, "", 0
    while i < len(tokens):
        if tokens[i] in "MlqtZ":
            command, i = tokens[i], i + 1
            continue
        values = [float(v) for v in tokens[i : i + (4 if command == "q" else 2)]]
        i += len(values)
        if command == "M":
            here = np.array(values)
        elif command == "l":
            here, control = here + values, None
        elif command == "q":
            control, end = here + values[:2], here + values[2:]
            out.append((here, control, end))
            here = end
        elif command == "t":
            assert control is not None
            control, end = 2 * here - control, here + values
            out.append((here, control, end))
            here = end
    return out
