"""Embedded ICC colour profiles: pixels in another colour space are converted to sRGB on decoding.

An SVG's fill colours are sRGB. A logo exported in Display P3 (a Mac screenshot, a design tool's P3
export), Adobe RGB or a print CMYK profile carries numbers that mean other colours: read as sRGB, a P3
red of (200, 60, 40) would be written as that sRGB colour, duller than the logo shows on screen; its sRGB
equal is (219, 37, 13). `in_srgb` converts such an image once, before anything reads its pixels
(shared/images.py `decode_image`), with the relative colorimetric intent: colours inside sRGB keep
their appearance exactly, those outside are clipped to its gamut. An sRGB profile (by its description)
is left alone, as is an image without one, or one whose profile is unreadable or does not fit its mode.
"""

import io

from PIL import Image, ImageCms

_SRGB = ImageCms.createProfile("sRGB")
_OUTPUT_MODES = {"RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB"}  # the modes converted, and to what
NAME_CHARS = 64  # a profile's description is the file's text: shown printable and at most this long


def in_srgb(im: Image.Image) -> tuple[Image.Image, str | None]:
    """(`im` in sRGB, the description of the profile it was converted from); (`im`, None) where nothing
    was converted. Pixels are decoded here where a conversion is made."""
    data = im.info.get("icc_profile")
    if not data or im.mode not in _OUTPUT_MODES:
        return im, None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(data))
        name = _shown(ImageCms.getProfileDescription(profile) or "")
        if "srgb" in name.lower():
            return im, None
        transform = ImageCms.buildTransform(profile, _SRGB, im.mode, _OUTPUT_MODES[im.mode],
                                            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
        converted = ImageCms.applyTransform(im, transform)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return im, None  # a broken or mismatched profile: the numbers are read as sRGB, as before
    return (converted if converted is not None else im), name or "an unnamed profile"


def _shown(description: str) -> str:
    """A profile description as it may be shown (in a result's notes): printable ASCII, spaces collapsed,
    at most NAME_CHARS characters."""
    printable = "".join(c if c.isascii() and c.isprintable() else " " for c in description)
    return " ".join(printable.split())[:NAME_CHARS]
