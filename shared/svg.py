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
