"""Turning whatever a file held (16-bit, palette, transparency, CMYK, a rotated phone photo) into
a plain 8-bit "RGB" or "L" picture."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

from cnnviz.images.error import _DECODER_ERRORS, ImageError


# EXIF orientation (tag 0x0112) -> the transpose that shows the photo upright; 1 means as stored.
_EXIF_ORIENTATION = 0x0112
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _exif_transpose_method(image: Image.Image) -> Image.Transpose | None:
    """How to rotate/flip the picture as the camera's EXIF orientation tag says, or None.

    The same table as ``ImageOps.exif_transpose``, applied by the caller after conversion so that
    no extra full-size copy is made. A malformed EXIF block is not worth refusing a photo for:
    the pixels are still fine, so the photo is then used as stored.
    """
    try:
        orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    except _DECODER_ERRORS:
        return None
    return _TRANSPOSE_FOR_ORIENTATION.get(orientation) if isinstance(orientation, int) else None


def _to_rgb_or_l(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit "RGB" or "L"; grayscale modes stay "L".

    Returns the same object when it already is "RGB" or "L", else a new picture.
    """
    mode = image.mode
    if "transparency" in image.info and mode in ("1", "L", "P", "RGB"):
        # A palette entry or a colour key marked transparent: make it a real alpha channel.
        image = image.convert("LA" if mode in ("1", "L") else "RGBA")
        mode = image.mode
    if mode in ("RGB", "L"):
        return image
    if mode == "1":
        return image.convert("L")  # 0 / 255
    if mode in ("LA", "La"):
        return _composite_on_white(image if mode == "LA" else image.convert("LA"), "L")
    if mode in ("RGBA", "RGBa", "PA"):
        return _composite_on_white(image if mode == "RGBA" else image.convert("RGBA"), "RGB")
    if mode.startswith("I;16") or mode in ("I", "F"):
        return _wide_gray_to_l(image)
    try:  # P, CMYK, YCbCr, LAB, HSV, RGBX: Pillow knows how to reach RGB
        return image.convert("RGB")
    except ValueError as error:
        raise ImageError(
            f"This image stores its colours as '{mode}', which cnnviz cannot convert. Save it as "
            "an ordinary 8-bit PNG or JPEG and upload it again."
        ) from error


def _composite_on_white(image: Image.Image, mode: str) -> Image.Image:
    """Flatten "LA"/"RGBA" onto a white page: out = colour * a + 255 * (1 - a), a = alpha/255.

    Pasting with the picture's own alpha as the mask is ``Image.composite`` without its two
    full-size temporaries (the colour bands and the alpha band as separate pictures).
    """
    page = Image.new(mode, image.size, 255 if mode == "L" else (255, 255, 255))
    page.paste(image, (0, 0), image)
    return page


# Wide grayscale is scaled a band of rows at a time: float64 copies of a whole 40-megapixel
# picture would take 320 MB each.
_BAND_PIXELS = 1 << 20


def _row_bands(image: Image.Image):
    """(top, bottom, float64 array of those rows) for consecutive bands of about 1 MP."""
    width, height = image.size
    rows = max(1, _BAND_PIXELS // width)
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        yield top, bottom, np.asarray(image.crop((0, top, width, bottom))).astype(np.float64)


def _wide_gray_to_l(image: Image.Image) -> Image.Image:
    """Scale 16-bit ("I;16*"), 32-bit integer ("I") or float ("F") grayscale to 8-bit "L".

    "I;16" maps 0..65535 to 0..255 (value / 257, rounded) rather than clipping. Pillow reports
    some 16-bit files (older PNG paths, some TIFFs) as mode "I"; when every value fits the
    unsigned 16-bit range we scale by that range too. Other "I" images can only be genuinely
    32-bit, whose type range (+-2**31) would crush any real picture to one grey, so those are
    stretched from their own minimum to their maximum instead. "F" data in [0, 1] is used as is
    (times 255), anything else is stretched; NaN and infinities count as 0.
    """
    mode = image.mode

    def clean(values: np.ndarray) -> np.ndarray:
        if mode == "F":
            return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        return values

    if mode.startswith("I;16"):
        low, high = 0.0, 65535.0
    else:
        low, high = np.inf, -np.inf
        for _, _, values in _row_bands(image):
            values = clean(values)
            low, high = min(low, float(values.min())), max(high, float(values.max()))
    sixteen_bit = mode.startswith("I;16") or (mode == "I" and low >= 0 and high <= 65535)
    unit_range = mode == "F" and low >= 0.0 and high <= 1.0

    def to_0_255(values: np.ndarray) -> np.ndarray:
        if sixteen_bit:
            return values / 257.0  # 65535 / 257 = 255
        if unit_range:
            return values * 255.0
        if high == low:
            return np.zeros_like(values)  # a constant picture: all black
        return (values - low) / (high - low) * 255.0  # stretched over its own range

    out = np.empty((image.height, image.width), dtype=np.uint8)
    for top, bottom, values in _row_bands(image):
        out[top:bottom] = np.clip(np.rint(to_0_255(clean(values))), 0, 255)
    return Image.fromarray(out)  # (H, W) uint8 -> "L"
