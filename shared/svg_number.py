"""A number as SVG text: the shortest form of a value rounded to a few decimals (shared/svg.py and
shared/gradient_markup.py write every coordinate with it)."""

from functools import lru_cache


@lru_cache(maxsize=4096)
def number(value: float, decimals: int = 2) -> str:
    """At most `decimals` decimals, no trailing zeros, no leading zero ('.5', '-.25')."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{value:.0f}"
    if text in ("", "-0", "-"):
        return "0"
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text
