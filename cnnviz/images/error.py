"""The one error every image step raises, worded for the student, and the exceptions Pillow
raises on a malformed file, which decoding turns into it."""

from __future__ import annotations

import struct


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


class ImageError(ValueError):
    """An image cnnviz cannot use, with a sentence that tells the student what to do."""
