"""The sliding grid: the padded input (for a transposed convolution the zero-inserted, padded
input) that the window slides over, what kind each of its cells is, and where the window sits."""

from __future__ import annotations

import numpy as np

from cnnviz.conv.settings import ConvSettings


# Kinds of cell in the sliding grid (what the window reads).
INPUT_CELL = 0  # a real input value
PADDING_CELL = 1  # added around the input (zeros, or copied in reflect/replicate/circular mode)
INSERTED_CELL = 2  # a zero inserted between input values by a transposed convolution's stride


def sliding_grid(x: np.ndarray, settings: ConvSettings) -> tuple[np.ndarray, np.ndarray]:
    """The grid the window slides over: the padded input (transposed: zero-inserted and padded).

    Args:
        x: input (C, H, W).
        settings: validated settings.

    Returns:
        values: float32 (C, H_grid, W_grid). Max pooling pads with -inf (padding never wins).
        kinds: int8 (H_grid, W_grid) of INPUT_CELL, PADDING_CELL, INSERTED_CELL.
    """
    x = np.asarray(x, dtype=np.float32)
    channels, height, width = x.shape
    grid_h, grid_w = settings.grid_shape(height, width)
    rows, row_kinds = _grid_axis(np.arange(grid_h), height, 0, settings)
    cols, col_kinds = _grid_axis(np.arange(grid_w), width, 1, settings)
    values = x[:, np.clip(rows, 0, None)][:, :, np.clip(cols, 0, None)]  # (C, H_grid, W_grid)
    empty = (rows[:, None] < 0) | (cols[None, :] < 0)
    values = np.where(empty[None], _pad_value(settings), values).astype(np.float32)
    kinds = np.maximum(row_kinds[:, None], col_kinds[None, :]).astype(np.int8)
    return values, kinds


def _pad_value(settings: ConvSettings) -> float:
    return -np.inf if settings.operation == "max_pool" else 0.0


def _grid_axis(grid_index: np.ndarray, size: int, axis: int, settings: ConvSettings):
    """Map grid positions on one axis to input positions.

    Returns:
        source: int array, the input index each grid position reads, -1 where it reads a
            constant (zero padding or an inserted zero).
        kind: int array of INPUT_CELL / PADDING_CELL / INSERTED_CELL.
    """
    origin = settings.input_origin()[axis]
    offset = grid_index - origin
    if settings.is_transposed:
        stride = settings.stride[axis]
        inside = (offset >= 0) & (offset <= (size - 1) * stride)
        on_lattice = inside & (offset % stride == 0)
        source = np.where(on_lattice, offset // stride, -1)
        kind = np.where(on_lattice, INPUT_CELL, np.where(inside, INSERTED_CELL, PADDING_CELL))
        return source, kind
    inside = (offset >= 0) & (offset < size)
    kind = np.where(inside, INPUT_CELL, PADDING_CELL)
    mode = "zeros" if settings.is_pool else settings.padding_mode
    if mode == "zeros":
        source = np.where(inside, offset, -1)
    elif mode == "reflect":  # mirror without repeating the edge: -1 -> 1, size -> size-2
        source = np.where(offset < 0, -offset, np.where(offset >= size, 2 * (size - 1) - offset, offset))
    elif mode == "replicate":
        source = np.clip(offset, 0, size - 1)
    else:  # circular
        source = np.mod(offset, size)
    return source, kind


def window_position(settings: ConvSettings, row: int, col: int) -> tuple[np.ndarray, np.ndarray]:
    """Sliding-grid rows (F_h,) and columns (F_w,) of the window for output cell (row, col).

    Cheap: this is all the page needs to draw the highlight while stepping.
    """
    # Transposed: the equivalent direct convolution slides with stride 1 over the expanded grid.
    stride = (1, 1) if settings.is_transposed else settings.stride
    rows = row * stride[0] + np.arange(settings.kernel_size[0]) * settings.dilation[0]
    cols = col * stride[1] + np.arange(settings.kernel_size[1]) * settings.dilation[1]
    return rows, cols
