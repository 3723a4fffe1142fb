"""Feature maps shrunk or grown to fit a picture's tile: what a tile can show on screen, in square
pixels, where a full-size map (ResNet-18's 112 x 112) would cost the browser seconds to draw."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def block_size(shape: Sequence[int], largest: int) -> int:
    """The side of the square blocks that shrink a map of ``shape`` to at most ``largest`` a side."""
    return max(1, math.ceil(max(shape) / largest))


def block_mean(maps: np.ndarray, block: int) -> np.ndarray:
    """(C, H, W) -> (C, ceil(H / block), ceil(W / block)): the mean of each block x block square
    (the last row and column of blocks may be partial: their mean is over what they hold)."""
    maps = np.asarray(maps, dtype=np.float32)
    starts_h, starts_w = np.arange(0, maps.shape[1], block), np.arange(0, maps.shape[2], block)
    sums = np.add.reduceat(np.add.reduceat(maps, starts_h, axis=1), starts_w, axis=2)
    counts = np.outer(np.diff(np.append(starts_h, maps.shape[1])), np.diff(np.append(starts_w, maps.shape[2])))
    return (sums / counts).astype(np.float32)


def fit_cell(picture: np.ndarray, cell: int, strip_rows: int) -> np.ndarray:
    """A layer's (H, W) mean map at most ``cell`` values a side, its aspect kept: a larger map as
    block means, a smaller one with each value repeated a whole number of times (square pixels).
    A flat layer's (1, F) strip spans the cell's width, ``strip_rows`` rows tall."""
    if picture.shape[0] == 1:
        block = block_size(picture.shape, cell)
        row = block_mean(picture[None], block)[0] if block > 1 else np.repeat(picture, max(1, cell // picture.shape[1]), axis=1)
        return np.repeat(row, strip_rows, axis=0)
    block = block_size(picture.shape, cell)
    if block > 1:
        return block_mean(picture[None], block)[0]
    repeat = max(1, cell // max(picture.shape))
    return np.repeat(np.repeat(picture, repeat, axis=0), repeat, axis=1)
