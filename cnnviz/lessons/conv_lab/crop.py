"""The player's zoom on a photo: a readable crop around the current output cell.

On a 512 px photo a 3x3 window is a few screen pixels and one step moves it by one, so Play shows
nothing. The player zooms instead: a tile of output cells around the current one, with its numbers,
and the input cells under the whole tile. The tile stays put while the window walks inside it, so
the whole-photo pictures, which only mark the tile, do not change from one step to the next
(Streamlit then sends them as a reference to what the browser already holds, not again).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz import conv

# Two zooms side by side in half of a 1024 px projector's page: ~46 px a cell at 6 cells, enough for "0.43".
MAX_TILE = 4  # output cells per side of the zoom
MAX_CROP_SIDE = 6  # input cells per side the zoom aims at (a window wider than this is shown whole)
MAX_NUMBERED_SIDE = 8  # a wider input zoom is drawn in colours only (the zoomed window has the numbers)


@dataclass(frozen=True)
class Crop:
    """The zoom around one output cell: rows and columns as half-open [start, stop) ranges.

    Attributes:
        out_rows, out_cols: the tile of output cells.
        grid_rows, grid_cols: the sliding-grid cells under the tile's windows.
        origin: (top, left) of the input on the sliding grid (its padding before), to name input
            rows; None for a transposed convolution, whose grid interleaves inserted zeros.
    """

    out_rows: tuple[int, int]
    out_cols: tuple[int, int]
    grid_rows: tuple[int, int]
    grid_cols: tuple[int, int]
    origin: tuple[int, int] | None

    def output(self, output: np.ndarray, channel: int) -> np.ndarray:
        """The tile of `output` (C_out, H_out, W_out) on one channel: (tile rows, tile cols)."""
        return output[channel, slice(*self.out_rows), slice(*self.out_cols)]

    def grid(self, grid: np.ndarray) -> np.ndarray:
        """The crop of a sliding grid (C, H_g, W_g) or its kinds (H_g, W_g), on its last two axes."""
        return grid[..., slice(*self.grid_rows), slice(*self.grid_cols)]

    def on_output(self, row: int, col: int) -> tuple[int, int]:
        """Output cell (row, col) in the tile's own coordinates."""
        return row - self.out_rows[0], col - self.out_cols[0]

    def on_grid(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sliding-grid rows and columns in the crop's own coordinates."""
        return np.asarray(rows) - self.grid_rows[0], np.asarray(cols) - self.grid_cols[0]

    def input_title(self, channel_name: str) -> str:
        """The input zoom's title: short, to fit half a projector's page (the axes number the cells)."""
        return f"Zoom on {'the zero-inserted grid' if self.origin is None else 'the input'}{channel_name}"

    def input_start(self) -> tuple[int, int]:
        """The input zoom's first row and column, as the input numbers them (negative: padding; on a
        transposed convolution's zero-inserted grid, that grid's numbers)."""
        top, left = (0, 0) if self.origin is None else self.origin
        return self.grid_rows[0] - top, self.grid_cols[0] - left


def tile_side(settings: conv.ConvSettings, axis: int) -> int:
    """Output cells per side of the tile on one axis: as many as keep the input crop near
    MAX_CROP_SIDE cells, between 1 and MAX_TILE."""
    stride = 1 if settings.is_transposed else settings.stride[axis]
    reach = settings.dilation[axis] * (settings.kernel_size[axis] - 1) + 1  # one window's extent
    return int(np.clip((MAX_CROP_SIDE - reach) // stride + 1, 1, MAX_TILE))


def _tile(index: int, side: int, count: int) -> tuple[int, int]:
    """The aligned tile [start, stop) of `side` cells holding `index`, out of `count` cells."""
    start = (index // side) * side
    return start, min(start + side, count)


def crop_of(settings: conv.ConvSettings, output_shape: tuple[int, int, int], row: int, col: int) -> Crop:
    """The zoom for output cell (row, col).

    Args:
        settings: the layer.
        output_shape: (C_out, H_out, W_out).
        row, col: the current output cell.

    Returns:
        Crop: the aligned tile holding the cell, and the sliding-grid cells its windows read.
    """
    _, out_h, out_w = output_shape
    out_rows = _tile(row, tile_side(settings, 0), out_h)
    out_cols = _tile(col, tile_side(settings, 1), out_w)
    first_rows, first_cols = conv.window_position(settings, out_rows[0], out_cols[0])
    last_rows, last_cols = conv.window_position(settings, out_rows[1] - 1, out_cols[1] - 1)
    return Crop(out_rows, out_cols, (int(first_rows[0]), int(last_rows[-1]) + 1),
                (int(first_cols[0]), int(last_cols[-1]) + 1),
                None if settings.is_transposed else settings.input_origin())
