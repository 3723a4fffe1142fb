"""Images in, model inputs out: decode what a student uploads, offer offline samples, and prepare
a picture exactly as a model will see it.

Uploads are untrusted. ``decode_image`` accepts a short allow-list of formats, reads the image
size from the header and refuses a huge one *before* any pixel is decoded (a few kilobytes of
PNG can claim gigapixels: a "decompression bomb"), and turns every decoder failure into one
``ImageError`` whose message a student can act on. Whatever the file held (16-bit, palette,
transparency, CMYK, an animation, a rotated phone photo), it returns a plain 8-bit "RGB" or "L"
picture, so the rest of cnnviz only ever meets those two modes.

``prepare_for_model`` then converts, fits, resizes and (optionally) inverts that picture, and
returns both the tensor the model receives and a picture of exactly that tensor, so that what
the page shows is what the network saw.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps

if TYPE_CHECKING:
    import torch

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MAX_PIXELS = 40_000_000

# Pillow format names we agree to decode. MPO is what Pillow calls a JPEG from a phone or a
# stereo camera that carries extra frames; everything else (EPS, ICO, PSD, ...) is refused,
# because every extra decoder is extra attack surface for a file from the internet.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF", "MPO")
# File name endings of those formats. The upload widgets do not filter on them: a name proves
# nothing, and Streamlit refuses a filtered-out name with an exception rather than a sentence;
# decode_image checks the bytes instead and names what a refused file is.
UPLOAD_EXTENSIONS = ("jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff", "mpo")
# The plugins Image.open may try. MPO has no opener of its own: Pillow's JPEG opener returns an
# MPO image when the file carries the extra frames.
_OPENERS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF")
_FORMATS_FOR_STUDENTS = "Upload a JPEG, PNG, WebP, BMP, GIF or TIFF."

# What Pillow raises, besides its own exception classes, on a malformed file.
_DECODER_ERRORS = (
    OSError,
    ValueError,
    SyntaxError,
    struct.error,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    OverflowError,
    MemoryError,
)

_RESAMPLE = Image.Resampling.LANCZOS  # antialiased when shrinking, sharp when enlarging

_FIT_MODES = ("pad", "crop", "stretch")


class ImageError(ValueError):
    """An image cnnviz cannot use, with a sentence that tells the student what to do."""


# ---------------------------------------------------------------------------------------------
# Decoding uploads
# ---------------------------------------------------------------------------------------------


def decode_image(
    data: bytes, *, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_UPLOAD_BYTES
) -> Image.Image:
    """Decode an uploaded file into a fully loaded 8-bit "RGB" or "L" image.

    JPEG (and MPO), PNG, WebP, BMP, GIF and TIFF are accepted. Animations and multi-page files
    give their first frame; EXIF orientation is applied; transparency is flattened onto white;
    16-bit and 32-bit grayscale are scaled to 8 bits over the range of their type (65535 maps to
    255) rather than clipped; palette, 1-bit, CMYK and YCbCr become RGB or L.

    Args:
        data: the file's bytes.
        max_pixels: refuse images with more pixels than this, judged from the header before any
            pixel is decoded. Pillow's own guard (``Image.MAX_IMAGE_PIXELS``, about 89 million
            by default) still applies on top; it is never changed here.
        max_bytes: refuse files larger than this.

    Returns:
        A PIL image in mode "RGB" or "L", already loaded and detached from the file.

    Raises:
        ImageError: the file is empty, too big, not an allowed image format, too many pixels,
            truncated or corrupt.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decode_image expects the file's bytes, not {type(data).__name__}.")
    if isinstance(data, memoryview):
        data = data.tobytes()  # the format sniffing below needs bytes.startswith
    size_bytes = len(data)
    if size_bytes == 0:
        raise ImageError("The file is empty.")
    if size_bytes > max_bytes:
        raise ImageError(
            f"This file is {_megabytes(size_bytes)} MB; the limit is {_megabytes(max_bytes)} MB. "
            "Resize or compress it first."
        )
    try:
        # Pillow warns (89-179 MP) before it raises (over 179 MP) on a decompression bomb; make
        # the warning an error here only, without touching the global Image.MAX_IMAGE_PIXELS.
        # (catch_warnings swaps the process-wide filter list; a thread racing this can at worst
        # keep the one extra filter, which only turns that Pillow warning into an error.)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_OPENERS) as opened:
                _check_header(opened, max_pixels)
                opened.load()  # first frame or page only: the one Image.open positioned us on
                turn = _exif_transpose_method(opened)
                # Convert first, then turn: each step makes one new picture and the decoded one
                # is freed on leaving this block, so a 40-megapixel upload never has more than
                # two full-size copies alive at once.
                image = _to_rgb_or_l(opened)
                if turn is not None:
                    image = image.transpose(turn)
                elif image is opened:
                    image = opened.copy()  # detach from the file, which closes with this block
        return image
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageError(_bomb_message(str(error), max_pixels)) from error
    except Image.UnidentifiedImageError as error:
        raise ImageError(_unreadable_message(data)) from error
    except _DECODER_ERRORS as error:
        raise ImageError(_corrupt_message(data)) from error


def _check_header(image: Image.Image, max_pixels: int) -> None:
    """Refuse a disallowed format or too many pixels, using only what the header said."""
    if image.format not in ALLOWED_FORMATS:  # Image.open(formats=...) already ensures this
        raise ImageError(
            f"This file is a {image.format} image, which cnnviz does not accept. "
            + _FORMATS_FOR_STUDENTS
        )
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageError(
            f"The image file is truncated or corrupt: it claims {width} x {height} pixels."
        )
    if width * height > max_pixels:
        raise ImageError(
            f"This image is {width} x {height} pixels ({_megapixels(width * height)} megapixels); "
            f"the limit is {_megapixels(max_pixels)} megapixels. Resize it first."
        )


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


# Magic numbers of files students upload by mistake -> how to name them in the error message.
_LOOKALIKES = (
    (b"%PDF", "a PDF"),
    (b"%!PS", "a PostScript file"),
    (b"8BPS", "a Photoshop (PSD) file"),
    (b"\x00\x00\x01\x00", "an icon (ICO) file"),
    (b"PK\x03\x04", "a ZIP archive or an Office document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
    (b"\xffO\xffQ", "a JPEG 2000 image"),
    (b"ID3", "an MP3 sound file"),
    (b"OggS", "an Ogg sound or video file"),
    (b"\x1aE\xdf\xa3", "a WebM or MKV video"),
)
_FTYP_BRANDS = {
    b"heic": "a HEIC photo, the iPhone format",
    b"heix": "a HEIC photo, the iPhone format",
    b"hevc": "a HEIC photo, the iPhone format",
    b"mif1": "a HEIF photo",
    b"msf1": "a HEIF photo",
    b"avif": "an AVIF image",
    b"avis": "an AVIF image",
}
# Signatures of the allowed formats: such a file that fails to decode is corrupt, not foreign.
_ALLOWED_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),
    (b"MM\x00+", "TIFF"),
)


def _allowed_signature(data: bytes) -> str | None:
    """Name of the allowed format whose magic number starts ``data``, else None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    for magic, name in _ALLOWED_SIGNATURES:
        if data.startswith(magic):
            return name
    return None


def _looks_like(data: bytes) -> str | None:
    """A guess at what a non-image file is, for the error message ("a PDF"), or None."""
    for magic, name in _LOOKALIKES:
        if data.startswith(magic):
            return name
    if data[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(data[8:12], "a video (MP4 or MOV)")
    if data[:4] == b"RIFF":
        return {b"AVI ": "an AVI video", b"WAVE": "a WAV sound file"}.get(data[8:12])
    head = data[:4096]
    if b"\x00" in head:
        return None
    text = head.decode("utf-8", errors="replace")
    # U+FFFD stands for bytes that are not UTF-8: random bytes, not text.
    printable = sum((char.isprintable() and char != "\ufffd") or char in "\r\n\t" for char in text)
    if printable < 0.95 * len(text):
        return None
    lowered = text.lstrip("\ufeff \r\n\t").lower()
    if "<svg" in lowered:
        return "an SVG drawing"
    if lowered.startswith(("<!doctype html", "<html")):
        return "a web page (HTML)"
    return "a text file"


def _unreadable_message(data: bytes) -> str:
    if _allowed_signature(data) is not None:
        return _corrupt_message(data)
    guess = _looks_like(data)
    it_looks = f" (it looks like {guess})" if guess else ""
    return f"This file is not an image cnnviz can read{it_looks}. {_FORMATS_FOR_STUDENTS}"


def _corrupt_message(data: bytes) -> str:
    fmt = _allowed_signature(data)
    which = f"{fmt} " if fmt else ""
    return (
        f"The {which}image file is truncated or corrupt, so cnnviz cannot decode it. "
        "Open it in an image viewer, save or export it again, and upload the new file."
    )


def _bomb_message(pil_message: str, max_pixels: int) -> str:
    """Reword Pillow's decompression-bomb error (which gives only a pixel count)."""
    limit = max_pixels
    if Image.MAX_IMAGE_PIXELS is not None:
        limit = min(limit, Image.MAX_IMAGE_PIXELS)
    found = re.search(r"\((\d+) pixels\)", pil_message)
    size = f"about {_megapixels(int(found.group(1)))} megapixels" if found else "too large"
    return (
        f"This image is {size}; the limit is {_megapixels(limit)} megapixels. Resize it first."
    )


def _megapixels(pixels: int) -> str:
    megapixels = pixels / 1e6
    return f"{megapixels:,.0f}" if megapixels >= 100 else f"{megapixels:.3g}"


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:.3g}"


# ---------------------------------------------------------------------------------------------
# Resizing, arrays, tensors
# ---------------------------------------------------------------------------------------------


def shrink_to(image: Image.Image, max_side: int = 1024) -> Image.Image:
    """Downscale so that the longest side is at most ``max_side``, keeping the aspect ratio.

    Never enlarges: an image already small enough is returned as is (the same object).

    Args:
        image: any PIL image.
        max_side: longest side allowed, in pixels (>= 1).

    Returns:
        The image, or a Lanczos-resampled (antialiased) smaller copy.
    """
    if isinstance(max_side, bool) or not isinstance(max_side, int) or max_side < 1:
        raise ValueError(f"max_side must be a whole number of pixels >= 1, not {max_side!r}.")
    width, height = image.size
    longest = max(width, height)
    if longest <= max_side:
        return image
    scale = max_side / longest
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # reducing_gap: box-reduce by an integer factor first, then Lanczos; visually the same,
    # much faster on a 40-megapixel photo.
    return image.resize(new_size, _RESAMPLE, reducing_gap=3.0)


def to_array(image: Image.Image) -> np.ndarray:
    """Pixels as float32 in [0, 1].

    Args:
        image: a PIL image in mode "L" or "RGB".

    Returns:
        (H, W) for "L", (H, W, 3) for "RGB"; value = byte / 255.
    """
    if image.mode not in ("L", "RGB"):
        raise ValueError(
            f"to_array expects an 'L' or 'RGB' image, not mode '{image.mode}'; "
            "decode it with decode_image first."
        )
    return np.asarray(image, dtype=np.float32) / np.float32(255.0)


def to_tensor(image: Image.Image) -> "torch.Tensor":
    """The image as a model input: float32 (1, C, H, W) in [0, 1]; C = 1 for "L", 3 for "RGB"."""
    import torch

    pixels = to_array(image)
    if pixels.ndim == 2:
        pixels = pixels[None]  # (H, W) -> (1, H, W)
    else:
        pixels = pixels.transpose(2, 0, 1)  # (H, W, 3) -> (3, H, W)
    return torch.from_numpy(np.ascontiguousarray(pixels)).unsqueeze(0)  # (1, C, H, W)


# ---------------------------------------------------------------------------------------------
# Preparing a picture for a model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedImage:
    """A picture prepared for a model, and the record of what was done to it.

    Attributes:
        tensor: float32 (1, C, H, W) in [0, 1]: exactly what the model receives.
        image: a PIL picture of exactly that tensor (mode "L" or "RGB", size W x H), so that
            ``to_tensor(image)`` equals ``tensor``.
        inverted: whether black and white were swapped.
        note: one sentence saying what was done, to show under the picture.
    """

    tensor: "torch.Tensor"
    image: Image.Image
    inverted: bool
    note: str


def prepare_for_model(
    image: Image.Image,
    *,
    channels: int,
    size: tuple[int, int],
    invert: bool | str = False,
    fit: str = "pad",
) -> PreparedImage:
    """Convert, fit, resize and optionally invert an image into the input a model expects.

    Args:
        image: any PIL image (normally from ``decode_image`` or ``load_sample_image``).
        channels: 1 for grayscale models (ITU-R 601 luma, L = 0.299 R + 0.587 G + 0.114 B),
            3 for colour models (grayscale copied into R, G and B).
        size: (H, W) of the model input, e.g. (28, 28).
        invert: True, False or "auto". "auto" inverts when the image's border is mostly bright
            (mean border luminance > 0.5): datasets such as MNIST and Fashion-MNIST show light
            objects on a black background, so a dark object photographed on white paper must be
            inverted to look like them.
        fit: how to reach the target aspect ratio. "pad" keeps the whole image and pads it with
            its own border colour (the median of its border pixels); "crop" cuts the centre;
            "stretch" resizes without keeping the aspect ratio.

    Returns:
        A PreparedImage whose tensor is (1, channels, H, W) float32 in [0, 1].

    Example:
        >>> prepared = prepare_for_model(photo, channels=1, size=(28, 28), invert="auto")
        >>> prepared.tensor.shape
        torch.Size([1, 1, 28, 28])
    """
    if not isinstance(image, Image.Image):
        raise ValueError(f"prepare_for_model expects a PIL image, not {type(image).__name__}.")
    if not isinstance(channels, int) or isinstance(channels, bool) or channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), not {channels!r}.")
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in size)
    ):
        raise ValueError(f"size must be (height, width) in whole pixels >= 1, not {size!r}.")
    if not (isinstance(invert, bool) or invert == "auto"):
        raise ValueError(f'invert must be True, False or "auto", not {invert!r}.')
    if fit not in _FIT_MODES:
        raise ValueError(f'fit must be "pad", "crop" or "stretch", not {fit!r}.')

    height, width = size
    steps = []
    source = _to_rgb_or_l(image)
    target_mode = "L" if channels == 1 else "RGB"
    if source.mode != target_mode:
        steps.append(
            "converted to grayscale" if channels == 1 else "copied grayscale into R, G and B"
        )
    # Never mutated below (pad, fit, resize and invert all return new pictures), so the source
    # itself serves when it is already in the right mode: no full-size copy of a big upload.
    picture = source if source.mode == target_mode else source.convert(target_mode)

    # Decide before fitting: padding repeats the border colour, cropping might cut the border.
    border_is_bright = _border_luminance(picture) > 0.5
    do_invert = border_is_bright if invert == "auto" else bool(invert)

    in_width, in_height = picture.size
    aspect_differs = in_width * height != in_height * width
    shape_words = "a square" if width == height else f"the {width} x {height} shape"
    if fit == "pad":
        fill = _border_colour(picture)
        picture = ImageOps.pad(picture, (width, height), method=_RESAMPLE, color=fill)
        if aspect_differs:
            steps.append(f"padded with its border colour to {shape_words}")
    elif fit == "crop":
        picture = ImageOps.fit(picture, (width, height), method=_RESAMPLE)
        if aspect_differs:
            steps.append(f"centre-cropped to {shape_words}")
    else:
        picture = picture.resize((width, height), _RESAMPLE)
        if aspect_differs:
            steps.append(f"stretched to {shape_words}")
    if (in_width, in_height) != (width, height):
        steps.append(f"resized to {width} x {height}")

    if do_invert:
        picture = ImageOps.invert(picture)
        reason = " because its border is bright" if invert == "auto" else ""
        steps.append(
            f"inverted{reason} (the model expects light objects on a dark background)"
        )

    return PreparedImage(
        tensor=to_tensor(picture),
        image=picture,
        inverted=do_invert,
        note=_sentence(steps, width, height, target_mode),
    )


def _border_pixels(picture: Image.Image) -> np.ndarray:
    """The outer ring of pixels, 2% of the shorter side thick (at least 1): (N,) or (N, 3) uint8.

    Read as four strips (top, bottom, left, right) rather than from a whole-picture array with
    a mask, so a 40-megapixel upload costs a few strips, not three full-size copies. The order
    of the pixels is not the picture's: callers take a mean or a median.
    """
    width, height = picture.size
    band = max(1, round(0.02 * min(width, height)))
    if 2 * band >= height or 2 * band >= width:
        boxes = [(0, 0, width, height)]  # no inside: every pixel is border
    else:
        boxes = [
            (0, 0, width, band),  # top
            (0, height - band, width, height),  # bottom
            (0, band, band, height - band),  # left, between top and bottom
            (width - band, band, width, height - band),  # right
        ]
    strips = [np.asarray(picture.crop(box)) for box in boxes]
    channels = strips[0].shape[2:]  # () for "L", (3,) for "RGB"
    return np.concatenate([strip.reshape(-1, *channels) for strip in strips])  # (N,) or (N, 3)


def _border_luminance(picture: Image.Image) -> float:
    """Mean ITU-R 601 luma of the border ring, in [0, 1]."""
    if picture.mode != "L":
        # Convert only the ring: per-pixel, so the same values as converting the whole picture.
        ring = _border_pixels(picture)  # (N, 3)
        ring_picture = Image.fromarray(ring[None])  # (1, N, 3) -> "RGB"
        return float(np.asarray(ring_picture.convert("L")).mean()) / 255.0
    return float(_border_pixels(picture).mean()) / 255.0


def _border_colour(picture: Image.Image) -> int | tuple[int, ...]:
    """Median border colour (per channel): the background, for padding that does not show."""
    median = np.median(_border_pixels(picture), axis=0)
    if np.ndim(median) == 0:
        return int(round(float(median)))
    return tuple(int(round(float(value))) for value in median)


def _sentence(steps: list[str], width: int, height: int, mode: str) -> str:
    """Join the steps into one sentence: "Converted to grayscale and resized to 28 x 28."."""
    if not steps:
        kind = "grayscale" if mode == "L" else "RGB"
        return f"Used as it is (already {width} x {height} {kind})."
    text = steps[0] if len(steps) == 1 else ", ".join(steps[:-1]) + " and " + steps[-1]
    return text[0].upper() + text[1:] + "."


# ---------------------------------------------------------------------------------------------
# Offline sample images
# ---------------------------------------------------------------------------------------------

SAMPLE_IMAGES: dict[str, str] = {
    "cat": "Chelsea the cat, a colour photo (scikit-image, 451 x 300).",
    "astronaut": "Astronaut Eileen Collins, a colour portrait (scikit-image, 512 x 512).",
    "coffee": "A cup of coffee on a saucer, colour (scikit-image, 600 x 400).",
    "camera": "The cameraman, a classic grayscale test photo (scikit-image, 512 x 512).",
    "coins": "Old coins on a dark background, grayscale (scikit-image, 384 x 303).",
    "rocket": "A rocket on its launch pad, colour (scikit-image, 640 x 427).",
    "horse": "A black horse silhouette on white, black and white (scikit-image, 400 x 328).",
    "china": "A Chinese temple, colour (scikit-learn, 640 x 427).",
    "flower": "A flower close-up, colour (scikit-learn, 640 x 427).",
}

# name -> (library, function or file name); all ship inside the wheels, so no download.
_SAMPLE_SOURCES = {
    "cat": ("skimage", "chelsea"),
    "astronaut": ("skimage", "astronaut"),
    "coffee": ("skimage", "coffee"),
    "camera": ("skimage", "camera"),
    "coins": ("skimage", "coins"),
    "rocket": ("skimage", "rocket"),
    "horse": ("skimage", "horse"),
    "china": ("sklearn", "china.jpg"),
    "flower": ("sklearn", "flower.jpg"),
}


def sample_image_names() -> list[str]:
    """Names accepted by ``load_sample_image``, in display order."""
    return list(SAMPLE_IMAGES)


def load_sample_image(name: str) -> Image.Image:
    """One of the bundled sample images, offline, as an "RGB" or "L" PIL image.

    Args:
        name: one of ``sample_image_names()``.

    Returns:
        A fresh copy (callers may draw on it without changing the cache).

    Raises:
        ImageError: unknown name.
    """
    if name not in _SAMPLE_SOURCES:
        raise ImageError(
            f"There is no sample image called {name!r}. Choose one of: "
            + ", ".join(sample_image_names())
            + "."
        )
    return _load_sample_cached(name).copy()


@functools.lru_cache(maxsize=None)
def _load_sample_cached(name: str) -> Image.Image:
    library, item = _SAMPLE_SOURCES[name]
    if library == "skimage":
        from skimage import data

        pixels = getattr(data, item)()
    else:
        from sklearn.datasets import load_sample_image as sklearn_sample

        pixels = sklearn_sample(item)
    if pixels.dtype == bool:
        pixels = pixels.astype(np.uint8) * 255  # binary mask -> black 0 / white 255
    return Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8))
