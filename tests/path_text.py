"""Test helper: path data as svgai writes it (shared/svg.py), read back with relative `h`/`v` runs
spelled as `l` pairs, so the readers that know M m L l Z z (shared/geometry.py's `parse_paths`, the
token-by-token reference of tests/test_simplify.py) read it."""

import re

_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_RUN = re.compile(r"([hv])([^A-Za-z]*)")


def as_lines(d: str) -> str:
    """`d` with every relative `h`/`v` run written as an `l` run of (x,0) or (0,y) pairs."""
    def spelled(run: re.Match[str]) -> str:
        numbers = _NUMBER.findall(run[2])
        return "l" + " ".join(f"{n},0" if run[1] == "h" else f"0,{n}" for n in numbers)
    return _RUN.sub(spelled, d)
