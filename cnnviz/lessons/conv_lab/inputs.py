"""The 2-D tab's input as float32 (C, H, W): the numeric grid as typed, or a photo (bundled or
uploaded) in [0, 1]."""

from __future__ import annotations

import numpy as np

from cnnviz import images

# Photos are shrunk to this side, so every rerun stays fast.
MAX_PHOTO_SIDE = 512


def grid_input(rows: tuple) -> np.ndarray:
    """The numeric grid as float32 (1, H, W), the numbers as typed."""
    return np.asarray(rows, dtype=np.float32)[None]


def photo_input(picture, grey: bool) -> np.ndarray:
    """A PIL photo as float32 (C, H, W) in [0, 1], shrunk to MAX_PHOTO_SIDE; one channel when grey."""
    picture = images.shrink_to(picture, MAX_PHOTO_SIDE).convert("L" if grey else "RGB")
    pixels = images.to_array(picture)  # (H, W) or (H, W, 3)
    return pixels[None] if pixels.ndim == 2 else np.ascontiguousarray(pixels.transpose(2, 0, 1))
