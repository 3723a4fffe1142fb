"""Resizing a picture, its pixels as a float array or a model's input tensor, and float arrays
back as pictures."""

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


def from_unit_floats(values: np.ndarray) -> Image.Image:
    """(C, H, W) floats in pixel units as a picture: clipped to [0, 1], "L" for one channel, "RGB" for three."""
    array = np.round(np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)
    array = array.transpose(1, 2, 0)
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array[:, :, :3])


def stretched_grey(values: np.ndarray, flat: float = 0.5) -> Image.Image:
    """An (H, W) map in grey from its lowest value (black) to its highest (white); a map of one
    value is drawn at ``flat`` (0 black, 1 white)."""
    values = np.asarray(values, dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    scaled = (values - low) / (high - low) if high > low else np.full_like(values, flat)
    return Image.fromarray((scaled * 255.0 + 0.5).astype(np.uint8), mode="L")
