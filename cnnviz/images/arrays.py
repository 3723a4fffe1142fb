"""Resizing a picture, and its pixels as a float array or a model's input tensor."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    import torch


_RESAMPLE = Image.Resampling.LANCZOS  # antialiased when shrinking, sharp when enlarging


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
