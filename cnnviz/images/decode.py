"""Decoding an untrusted upload: the allow-list of formats, the size limits checked from the
header before any pixel is decoded, and the sentences that name what a refused file is."""

from __future__ import annotations

import io
import re
import warnings

from PIL import Image

from cnnviz.images.error import _DECODER_ERRORS, ImageError
from cnnviz.images.modes import _exif_transpose_method, _to_rgb_or_l


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
