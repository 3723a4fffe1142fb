"""The cheap layers drawn over a picture or grid: the window, the output cell, the outline of the
input inside its padding, and the transparent click targets."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from cnnviz.figures.conv_figures.base import ARGMAX_COLOUR, INPUT_EDGE_COLOUR, WINDOW_COLOUR


def _rect(rows: Sequence[float], cols: Sequence[float], colour: str, width: float, dash: str = "solid", xref="x", yref="y") -> dict:
    return {
        "type": "rect", "xref": xref, "yref": yref,
        "x0": min(cols) - 0.5, "x1": max(cols) + 0.5, "y0": min(rows) - 0.5, "y1": max(rows) + 0.5,
        "line": {"color": colour, "width": width, "dash": dash},
    }


def _window_overlay(rows: np.ndarray, cols: np.ndarray) -> tuple[list, list]:
    """Outline the window; with dilation also mark each tap, so the gaps are visible.

    Returns:
        (traces, shapes).
    """
    rows, cols = np.asarray(rows), np.asarray(cols)
    shapes = [_rect(rows, cols, WINDOW_COLOUR, 4)]
    dilated = (len(rows) > 1 and rows[1] - rows[0] > 1) or (len(cols) > 1 and cols[1] - cols[0] > 1)
    if not dilated:
        return [], shapes
    tap_rows, tap_cols = np.meshgrid(rows, cols, indexing="ij")  # (F_h, F_w) each
    taps = {
        "type": "scatter", "x": tap_cols.ravel(), "y": tap_rows.ravel(), "mode": "markers",
        "hoverinfo": "skip",
        "marker": {"symbol": "square-open", "size": 12, "color": WINDOW_COLOUR, "line": {"width": 3}},
    }
    return [taps], shapes


def click_targets(height: int, width: int, limit: int) -> dict:
    """Transparent markers at cell centres: a click selects one, and its x and y are the cell's
    column and row.

    At most `limit` per side; on larger maps every k-th cell is a target (a click snaps to the
    nearest one; the scrub slider reaches every cell).
    """
    step = max(1, math.ceil(max(height, width) / limit))
    rows, cols = np.meshgrid(np.arange(0, height, step), np.arange(0, width, step), indexing="ij")
    return {
        "type": "scatter", "x": cols.ravel(), "y": rows.ravel(), "mode": "markers", "name": "cells",
        "marker": {"size": int(np.clip(360 / max(1, width // step), 6, 40)), "color": "rgba(0,0,0,0)", "symbol": "square"},
        "selected": {"marker": {"opacity": 0}}, "unselected": {"marker": {"opacity": 0}},
        "hovertemplate": "row %{y}, column %{x}<extra>click to jump</extra>",
    }


def _overlays(input_box, window, cell, argmax=None) -> tuple[list, list]:
    traces, shapes = [], []
    if input_box is not None:
        top, left, box_h, box_w = input_box
        shapes.append(_rect((top, top + box_h - 1), (left, left + box_w - 1), INPUT_EDGE_COLOUR, 2, "dash"))
    if window is not None:
        window_traces, window_shapes = _window_overlay(*window)
        traces += window_traces
        shapes += window_shapes
    if cell is not None:
        shapes.append(_rect((cell[0],), (cell[1],), WINDOW_COLOUR, 5))
    if argmax is not None:
        shapes.append(_rect((argmax[0],), (argmax[1],), ARGMAX_COLOUR, 4))
    return traces, shapes
