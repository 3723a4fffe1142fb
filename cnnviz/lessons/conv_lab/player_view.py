"""The step-by-step player at one output cell: where its window lies, its titles and sum, a
transposed cell read as a scatter, and the three figures drawn for it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz import conv
from cnnviz.figures import conv_figures
from cnnviz.lessons.conv_lab.crop import MAX_NUMBERED_SIDE, Crop, crop_of
from cnnviz.lessons.conv_lab.player import CHANNEL_NAMES, PlayerCell, cell_at, position_of
from cnnviz.lessons.conv_lab.result import Result

SCATTER_TERMS = 12  # a transposed cell's caption names at most this many contributions
ZOOM = dict(height=300, number_size=14)  # the photo zooms: two fit side by side on a projector


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
        output_title=f"Output {c_out}x{out_h}x{out_w}",
        patch_title=f"Row {cell.row}, column {cell.col}: the window, zoomed",
        sum_line=f"**output[{cell.channel}, {cell.row}, {cell.col}]** = `{explanation.sum_text()}`",
    )


def scatter_text(explanation: conv.CellExplanation, limit: int = SCATTER_TERMS) -> str:
    """A transposed cell seen as a scatter: which input cells add into it, through which taps."""
    taps = explanation.contributions()
    named = "; ".join(f"x[{t.input_row},{t.input_col}] · w[{t.kernel_row},{t.kernel_col}]" for t in taps[:limit])
    return ("Seen as a scatter: each input cell x[i, j] adds x[i, j] · w[a, b] into output cell "
            "(i·S − P + a·D, j·S − P + b·D). Contributing here: "
            + (named or "none (only inserted zeros and padding under the window)")
            + (" ..." if len(taps) > limit else ""))


@dataclass(frozen=True, eq=False)
class CellView:
    """What the player shows for one output cell.

    Attributes:
        position: the cell's place in reading order; total: how many cells a channel has.
        cell: the output cell; explanation: conv.explain_cell for it; texts: its titles and sum.
        window: where its window lies (the highlight is window.grid_rows x window.grid_cols).
        grid_title: the input picture's title.
        input_box: (top, left, height, width) of the original input on the sliding grid, or None
            for a transposed convolution (its grid interleaves inserted zeros).
        argmax: the max-pooled cell on the sliding grid (row, col), or None.
        channel_names: the window's channels by colour name for an RGB input, else None.
        scatter: a transposed convolution's scatter reading (scatter_text), else None.
        crop: on a photo, the zoom around the cell (crop_of); None on the numeric grid.
    """

    position: int
    total: int
    cell: PlayerCell
    explanation: conv.CellExplanation
    texts: CellTexts
    window: Window
    grid_title: str
    input_box: tuple[int, int, int, int] | None
    argmax: tuple[int, int] | None
    channel_names: list[str] | None
    scatter: str | None
    crop: Crop | None = None


def cell_view(result: Result, position: int, channel: int = 0) -> CellView:
    """The player at `position` (clipped into the output) on output channel `channel`.

    Args:
        result: a playable Result.
        position: the cell in reading order.
        channel: the output channel shown.

    Returns:
        CellView.
    """
    layer, output = result.layer, result.output
    _, out_h, out_w = output.shape
    cell = cell_at(position, output.shape, channel)
    explanation = conv.explain_cell(result.x, result.weight, result.bias, layer, channel, cell.row, cell.col)
    if layer.is_transposed:
        grid_title, input_box = "Zero-inserted input", None
    else:
        top, left = layer.input_origin()
        grid_title = "Input with padding"
        input_box = (top, left, result.in_height, result.in_width)
    argmax = None
    if explanation.argmax is not None:
        _, a, b = explanation.argmax
        argmax = (int(explanation.grid_rows[a]), int(explanation.grid_cols[b]))
    names = [CHANNEL_NAMES[c] for c in explanation.in_channels] if layer.in_channels == 3 else None
    return CellView(
        position=position_of(cell.row, cell.col, out_w), total=out_h * out_w, cell=cell,
        explanation=explanation, texts=cell_texts(output.shape, cell, explanation),
        window=window_of(layer, cell.row, cell.col), grid_title=grid_title, input_box=input_box,
        argmax=argmax, channel_names=names, scatter=scatter_text(explanation) if layer.is_transposed else None,
        crop=None if result.settings.is_grid else crop_of(layer, output.shape, cell.row, cell.col))


@dataclass(frozen=True, eq=False)
class PlayerFigures:
    """The player's figures for one cell: the input with the window, the output with the cell
    (clickable: each cell jumps to its window), and the window zoomed with its products. On a photo
    the whole pictures mark the zoom's tile, and input_zoom and output_zoom show it with numbers."""

    input: object
    output: object
    window: object
    input_zoom: object = None
    output_zoom: object = None


def player_figures(result: Result, view: CellView) -> PlayerFigures:
    """The figures (conv_figures) of `view`: numbers in cells on the grid, pictures for photos."""
    cell = view.explanation
    on_input = dict(title=view.grid_title, input_box=view.input_box, window=(view.window.grid_rows,
                                                                             view.window.grid_cols))
    on_output = dict(title=view.texts.output_title, cell=(view.cell.row, view.cell.col), clickable=True)
    if result.settings.is_grid:
        shown_in = conv_figures.grid_figure(result.grid[cell.in_channels[0]], kinds=result.kinds,
                                            argmax=view.argmax, **on_input)
        shown_out = conv_figures.grid_figure(result.output[view.cell.channel], **on_output)
        zooms = {}
    else:
        crop, row, col = view.crop, view.cell.row, view.cell.col
        # The whole pictures mark the tile, not the cell: unchanged while stepping inside it.
        shown_in = conv_figures.photo_figure(result.input_layer, title=view.grid_title, input_box=view.input_box,
                                             window=(np.arange(*crop.grid_rows), np.arange(*crop.grid_cols)))
        shown_out = conv_figures.photo_figure(result.output_layer, title=on_output["title"], clickable=True,
                                              window=(np.arange(*crop.out_rows), np.arange(*crop.out_cols)))
        first = cell.in_channels[0]
        name = f" ({CHANNEL_NAMES[first]})" if view.channel_names else ""
        shown = crop.grid(result.grid[first])
        zooms = dict(
            input_zoom=conv_figures.grid_figure(
                shown, kinds=crop.grid(result.kinds), title=crop.input_title(name), first_cell=crop.input_start(),
                window=crop.on_grid(view.window.grid_rows, view.window.grid_cols), **ZOOM,
                argmax=None if view.argmax is None else crop.on_grid(*view.argmax),
                numbers=max(shown.shape) <= MAX_NUMBERED_SIDE),
            output_zoom=conv_figures.grid_figure(crop.output(result.output, view.cell.channel), **ZOOM,
                                                 title="Zoom on the output", cell=crop.on_output(row, col),
                                                 first_cell=(crop.out_rows[0], crop.out_cols[0])))
    zoomed = conv_figures.window_figure(cell.window, cell.kernel, cell.products, kinds=cell.kinds,
                                        channel_names=view.channel_names, argmax=cell.argmax,
                                        title=view.texts.patch_title)
    return PlayerFigures(shown_in, shown_out, zoomed, **zooms)
