"""Clean-up of the engine's SVG markup: size and viewBox, and minification."""

import re

_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_XML_DECL = re.compile(r"<\?xml[^>]*\?>\s*")
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)
_BETWEEN_TAGS = re.compile(r">\s+<")
SVG_NS = "http://www.w3.org/2000/svg"


def set_canvas(svg: str, width: int, height: int, view_width: int, view_height: int) -> str:
    """Give the root element the output size in pixels and a viewBox of the traced size, so a trace
    made at a supersampled size renders at the input's size with its sub-pixel vertices kept."""
    root = (
        f'<svg xmlns="{SVG_NS}" version="1.1" width="{width}" height="{height}" '
        f'viewBox="0 0 {view_width} {view_height}">'
    )
    svg, count = _SVG_OPEN.subn(root, svg, count=1)
    if count != 1:
        raise ValueError("markup has no <svg> root element")
    return svg


def minify(svg: str) -> str:
    """Drop the XML declaration, comments and whitespace between tags (the markup stays valid SVG)."""
    svg = _COMMENT.sub("", _XML_DECL.sub("", svg))
    return _BETWEEN_TAGS.sub("><", svg).strip() + "\n"


_PATH = re.compile(r'<path d="([^"]*)" fill="(#[0-9A-Fa-f]{6})"/>')


def merge_consecutive_fills(svg: str) -> str:
    """Merge `<path>`s of one fill colour that follow each other in painting order into one element
    (a compound path of their subpaths); paths with other attributes, or anything between two paths,
    stop a merge. Each VTracer subpath starts with an absolute `M`, so the joined `d` draws the same
    outlines. Use on stacked traces only: measured on 120 dev images (256 px) it never lowered SSIM
    by more than 4e-5 on stacked traces and saved 0.7-2.7 % of bytes on average, while on cutout
    traces it lowered SSIM on 4 % of images (up to 0.0045), so cutout traces are left as they are.
    """
    parts: list[str | list[str]] = []  # markup between paths, or [fill, d, d, ...] of a merged path
    position = 0
    for match in _PATH.finditer(svg):
        between = svg[position : match.start()]
        position = match.end()
        d, fill = match.group(1), match.group(2)
        previous = parts[-1] if parts and not between else None
        if isinstance(previous, list) and previous[0].upper() == fill.upper():
            previous.append(d)
            continue
        if between:
            parts.append(between)
        parts.append([fill, d])
    parts.append(svg[position:])
    return "".join(p if isinstance(p, str) else f'<path d="{"".join(p[1:])}" fill="{p[0]}"/>' for p in parts)
