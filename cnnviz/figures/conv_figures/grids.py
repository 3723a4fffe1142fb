"""Numeric grids with a number in every cell, and the current window zoomed."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.figures.conv_figures.base import (
    ARGMAX_COLOUR,
    GRID_COLOURS,
    INSERTED_COLOUR,
    PADDING_COLOUR,
    _figure,
    _numbers_font,
    _picture_axes,
    _texts,
)
from cnnviz.figures.conv_figures.colours import value_range
from cnnviz.figures.conv_figures.overlays import _overlays, _rect, click_targets

# The narrowest the zoomed window is drawn: the lab's picture column at 1280x720 (~530 px); narrower
# rows stack, and it gets the page's full width (presentation.side_by_side).
WINDOW_WIDTH_PX = 520


def _heatmap_cells(values: np.ndarray, kinds: np.ndarray, font: dict, numbers: bool, x0: float = 0, y0: float = 0,
                   label: str = "", xref: str = "x", cell_px: float | None = None) -> list:
    """Heatmap traces for one grid: padding and inserted zeros in flat colours, input coloured
    by value; the numbers written in every cell. ``cell_px``: the narrowest a cell is drawn, if known."""
    low, high, scale = value_range(values[kinds == 0] if (kinds == 0).any() else values, GRID_COLOURS)
    text = _texts(values) if numbers else None
    if text:
        # Long numbers ("-1.29") in a big font spill out of their cells: shrink to fit (a digit is
        # ~0.6 of the font size wide).
        longest = max(max(len(t) for row in text for t in row), 1)
        size = min(font["size"], 4 + 70 // longest)
        if cell_px is not None:
            size = min(size, max(10, int(cell_px / (0.62 * longest))))
        font = {**font, "size": size}
    common = {"x0": x0, "y0": y0, "xgap": 2, "ygap": 2, "showscale": False, "text": text,
              "texttemplate": "%{text}" if numbers else None, "xaxis": xref, "yaxis": xref.replace("x", "y")}
    traces = []
    for kind, colour in ((1, PADDING_COLOUR), (2, INSERTED_COLOUR)):
        if (kinds == kind).any():
            traces.append({
                "type": "heatmap", "z": np.where(kinds == kind, 0.0, np.nan),
                "colorscale": [[0, colour], [1, colour]], "hoverinfo": "skip",
                "textfont": {**font, "color": "#4b5563"}, **common,
            })
    traces.append({
        "type": "heatmap", "z": np.where((kinds == 0) & np.isfinite(values), values, np.nan),
        "zmin": low, "zmax": high, "colorscale": scale, "textfont": font,
        "hovertemplate": "row %{y}, column %{x}: %{z}<extra>" + label + "</extra>", **common,
    })
    return traces


def grid_figure(
    values: np.ndarray,
    *,
    kinds: np.ndarray | None = None,
    title: str = "",
    input_box: tuple[int, int, int, int] | None = None,
    window: tuple[np.ndarray, np.ndarray] | None = None,
    cell: tuple[int, int] | None = None,
    argmax: tuple[int, int] | None = None,
    clickable: bool = False,
    numbers: bool | None = None,
    height: int | None = None,
    number_size: int | None = None,
    first_cell: tuple[int, int] | None = None,
) -> go.Figure:
    """A small grid with its numbers in the cells; padding and inserted zeros in their own colours.

    Args:
        values: (H, W) numbers.
        kinds: (H, W) of 0 input / 1 padding / 2 inserted zero (cnnviz.conv cell kinds); None:
            all input.
        title: shown above.
        input_box, window, cell, clickable: as in photo_figure.
        argmax: (row, col) of the value max pooling picks, boxed in green.
        numbers: write the numbers; by default when the grid is at most 30 cells wide.
        height: pixels; by default about 52 per row, 220 to 620.
        number_size: the numbers' font size; by default bigger on narrower grids.
        first_cell: (row, col) that cell (0, 0) stands for: the axes then number rows and columns
            (a crop of a larger map); None: no axis numbers.
    """
    values = np.asarray(values, dtype=np.float64)
    rows, cols = values.shape
    kinds = np.zeros((rows, cols), dtype=np.int8) if kinds is None else np.asarray(kinds)
    numbers = max(rows, cols) <= 30 if numbers is None else numbers
    data = _heatmap_cells(values, kinds, {"size": number_size or _numbers_font(cols)}, numbers)
    traces, shapes = _overlays(input_box, window, cell, argmax)
    data += traces
    if clickable:
        data.append(click_targets(rows, cols, limit=max(rows, cols)))
    height = height or int(np.clip(52 * rows + 60, 220, 620))
    axes = _picture_axes(rows, cols)
    if first_cell is not None:
        for axis, count, first in (("yaxis", rows, first_cell[0]), ("xaxis", cols, first_cell[1])):
            every = max(1, -(-count // 8))  # at most 8 numbers an axis, so they never overlap
            axes[axis].update(showticklabels=True, tickvals=list(range(0, count, every)),
                              ticktext=[str(first + i) for i in range(0, count, every)])
    return _figure(data, height=height, title=title, shapes=shapes, **axes)


def window_figure(
    window: np.ndarray,
    kernel: np.ndarray | None,
    products: np.ndarray | None,
    *,
    kinds: np.ndarray | None = None,
    channel_names: Sequence[str] | None = None,
    argmax: tuple[int, int, int] | None = None,
    title: str = "",
) -> go.Figure:
    """The zoomed patch: input window x kernel = element-wise products, side by side, one row
    per input channel (pooling: the window only, with the max boxed in green).

    All panels share one pair of axes, placed by offsets (see cnnviz.figures.conv_figures on speed).

    Args:
        window, kernel, products: (C, F_h, F_w) from cnnviz.conv.explain_cell.
        kinds: (F_h, F_w) cell kinds of the window (padding drawn grey).
        channel_names: one label per channel ("R", "G", "B").
        argmax: (channel, row, col) for max pooling.
    """
    window = np.asarray(window, dtype=np.float64)
    channels, fh, fw = window.shape
    names = list(channel_names or [f"channel {c}" for c in range(channels)])
    panels = [("input window", window)]
    if kernel is not None:
        panels += [("kernel", np.asarray(kernel)), ("products", np.asarray(products))]
    gap = 1.0 + 0.15 * fw  # empty columns between panels, room for the x and = signs
    row_gap = 1.2
    window_kinds = np.zeros((fh, fw), np.int8) if kinds is None else np.asarray(kinds)
    plain = np.zeros((fh, fw), np.int8)
    font = {"size": _numbers_font(fw * len(panels) // 2)}
    width = len(panels) * fw + (len(panels) - 1) * gap
    # The figure shares a projector's row with the layer's settings: WINDOW_WIDTH_PX for every
    # cell, gap and the channel names' margin (presentation mode scales the page and fonts alike).
    margin = 1.6 if channels > 1 else 0.6  # the channels' names, or room for "input window" over 1 cell
    cell_px = WINDOW_WIDTH_PX / (width + margin + 0.5)
    data, shapes, annotations = [], [], []
    for c in range(channels):
        y0 = c * (fh + row_gap)
        for p, (label, values) in enumerate(panels):
            x0 = p * (fw + gap)
            shown_kinds = window_kinds if label == "input window" else plain
            data += _heatmap_cells(values[c], shown_kinds, font, True, x0, y0, label, cell_px=cell_px)
            if c == 0:
                annotations.append({"x": x0 + (fw - 1) / 2, "y": -0.6, "text": f"<b>{label}</b>",
                                    "showarrow": False, "yanchor": "bottom", "font": {"size": 14}})
            if p < len(panels) - 1:
                annotations.append({"x": x0 + fw - 0.5 + gap / 2, "y": y0 + (fh - 1) / 2, "showarrow": False,
                                    "text": "×" if p == 0 else "=", "font": {"size": 26}})
        if channels > 1:
            annotations.append({"x": -0.7, "y": y0 + (fh - 1) / 2, "text": f"<b>{names[c]}</b>",
                                "showarrow": False, "xanchor": "right", "font": {"size": 16}})
        if argmax is not None and argmax[0] == c:
            shapes.append(_rect((y0 + argmax[1],), (argmax[2],), ARGMAX_COLOUR, 4))
    height = channels * fh + (channels - 1) * row_gap
    axes = _picture_axes(height, width + (0.0 if channels > 1 else 0.6), x_from=-0.5 - margin, y_from=-1.3)
    per_row = int(np.clip(64 * fh, 190, 420))
    return _figure(data, height=per_row * channels + 60, title=title, shapes=shapes,
                   annotations=annotations, **axes)
