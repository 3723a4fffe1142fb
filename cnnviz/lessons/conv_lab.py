"""The Convolution lab's arithmetic: the settings its controls build, the player's cell and
window, and the formula and count texts with the student's numbers.

Everything here is what pages/conv_lab.py shows, computed from plain values; the page only draws
it. Outputs are (channels, height, width) and may be non-square, so every mapping keeps rows and
columns apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz import conv, kernels

# What the lab's controls offer, declared once: the page's widgets read these, and the tests walk
# every value. Ranges are (lowest, highest), both offered.
OPERATIONS = {
    "Convolution": "conv",
    "Transposed convolution": "transposed",
    "Max pooling": "max_pool",
    "Average pooling": "avg_pool",
}
GRID_SIZES = (5, 6, 7, 8, 9)
KERNEL_SIDES = (1, kernels.MAX_KERNEL_SIDE)
STRIDES = (1, 5)
PADDINGS = ("0", "1", "2", "3", "4", "5", "same", "valid")
DILATIONS = (1, 4)
GROUPS = (1, 2, 3)
OUTPUT_PADDINGS = (0, 4)


def settings_kwargs(operation: str, channels: int, stride: int, padding_choice: str, mode: str, dilation: int,
                    groups: int, output_padding: int) -> dict:
    """The lab's control values -> ConvSettings keyword arguments (kernel size and operation apart).

    Args:
        operation: one of conv.OPERATIONS.
        channels: input channels (1 or 3).
        stride, dilation, groups, output_padding: as the controls give them.
        padding_choice: a padding entry: a whole number as text, "same" or "valid".
        mode: the padding mode; only convolution uses it (the others pad with zeros).

    Returns:
        dict for conv.ConvSettings(operation=..., kernel_size=..., **kwargs).
    """
    padding = padding_choice if padding_choice in ("same", "valid") else int(padding_choice)
    return dict(stride=stride, padding=padding, padding_mode=mode if operation == "conv" else "zeros",
                dilation=dilation, groups=groups, output_padding=output_padding,
                in_channels=channels, out_channels=1 if groups == 1 else groups)


def lab_settings(operation: str, kernel_size: tuple[int, int], kwargs: dict, height: int,
                 width: int) -> tuple[conv.ConvSettings | None, list[str], str | None]:
    """Build and check the layer for an input of height x width.

    Args:
        operation: one of conv.OPERATIONS.
        kernel_size: (F_h, F_w).
        kwargs: settings_kwargs' dict.
        height, width: the input's size.

    Returns:
        (settings or None when they cannot be built, warnings, the refusing sentence or None).
        Settings built but refused for this input come back with the sentence, since the page
        still writes their formulas.
    """
    settings = None
    try:
        settings = conv.ConvSettings(operation=operation, kernel_size=kernel_size, **kwargs)
        return settings, settings.validate(height, width), None
    except conv.ConvSettingsError as error:
        return settings, [], str(error)


@dataclass(frozen=True)
class PlayerCell:
    """One output cell of the player: out[channel, row, col]."""

    channel: int
    row: int
    col: int


def cell_at(position: int, output_shape: tuple[int, int, int], channel: int = 0) -> PlayerCell:
    """The output cell at a player position, counting in reading order (row by row, left to right).

    Args:
        position: 0 .. H_out * W_out - 1; clipped into that range.
        output_shape: (C_out, H_out, W_out).
        channel: the chosen output channel.

    Returns:
        PlayerCell.
    """
    _, out_h, out_w = output_shape
    position = min(max(int(position), 0), out_h * out_w - 1)
    row, col = divmod(position, out_w)  # a row holds W_out cells
    return PlayerCell(channel, row, col)


def position_of(row: int, col: int, out_w: int) -> int:
    """The player position of output cell (row, col): the inverse of cell_at."""
    return row * out_w + col


@dataclass(frozen=True)
class Window:
    """Where the window of one output cell lies.

    Attributes:
        grid_rows, grid_cols: (F_h,), (F_w,) sliding-grid coordinates the player highlights.
        input_rows, input_cols: the same taps in input coordinates: negative or past the input's
            edge where the tap reads padding (for transposed convolution: coordinates on the
            zero-inserted grid, so only multiples of the stride are input cells).
    """

    grid_rows: np.ndarray
    grid_cols: np.ndarray
    input_rows: np.ndarray
    input_cols: np.ndarray


def window_of(settings: conv.ConvSettings, row: int, col: int) -> Window:
    """The window of output cell (row, col): tap (a, b) sits at (row*S_h + a*D_h, col*S_w + b*D_w)
    on the sliding grid, whose input cell (0, 0) is at settings.input_origin().

    Args:
        settings: the layer.
        row, col: the output cell.

    Returns:
        Window.
    """
    grid_rows, grid_cols = conv.window_position(settings, row, col)
    top, left = settings.input_origin()  # the padding before the input, per axis
    return Window(grid_rows, grid_cols, grid_rows - top, grid_cols - left)


@dataclass(frozen=True)
class Metric:
    """One number under the formulas: label, value as shown, and its hover help (or None)."""

    label: str
    value: str
    help: str | None = None


@dataclass(frozen=True)
class Arithmetic:
    """The Arithmetic section: the size formulas, the torch layer and the counts.

    Attributes:
        formula_lines: the H_out and W_out formulas with the student's numbers (LaTeX).
        torch_line: the equivalent torch layer.
        metrics: output shape, parameters, multiply-adds or values read; empty when refused.
    """

    formula_lines: tuple[str, str]
    torch_line: str
    metrics: tuple[Metric, ...]


def arithmetic(settings: conv.ConvSettings, height: int, width: int, refused: bool = False) -> Arithmetic:
    """What the Arithmetic section shows for an input of height x width.

    Args:
        settings: the layer.
        height, width: the input's size.
        refused: the settings are refused for this input: formulas only, no counts.

    Returns:
        Arithmetic.
    """
    metrics: tuple[Metric, ...] = ()
    if not refused:
        c_out, out_h, out_w = settings.output_shape(height, width)
        shape = Metric("Output", f"{c_out}x{out_h}x{out_w}", "channels x height x width")
        if settings.is_pool:
            metrics = (shape, Metric("Parameters", "0", "Pooling learns nothing."),
                       Metric("Values read", f"{conv.window_reads(settings, height, width):,}"))
        else:
            metrics = (shape, Metric("Parameters", f"{conv.parameter_count(settings):,}",
                                     "C_out * C_in/groups * F_h * F_w + C_out (bias)"),
                       Metric("Multiply-adds", f"{conv.multiply_adds(settings, height, width):,}"))
    return Arithmetic(settings.formula_lines(height, width, latex=True), settings.torch_line(), metrics)


@dataclass(frozen=True)
class CellTexts:
    """The player's texts for one output cell."""

    output_title: str
    patch_title: str
    sum_line: str


def cell_texts(output_shape: tuple[int, int, int], cell: PlayerCell, explanation: conv.CellExplanation) -> CellTexts:
    """The output chart's title, the zoomed window's title and the cell's sum, in Markdown.

    Args:
        output_shape: (C_out, H_out, W_out).
        cell: the player's cell.
        explanation: conv.explain_cell for that cell.

    Returns:
        CellTexts.
    """
    c_out, out_h, out_w = output_shape
    return CellTexts(
        output_title=f"Output {c_out}x{out_h}x{out_w} (click a cell to jump to its window)",
        patch_title=f"Output row {cell.row}, column {cell.col}: the window, zoomed",
        sum_line=f"**output[{cell.channel}, {cell.row}, {cell.col}]** = `{explanation.sum_text()}`",
    )
