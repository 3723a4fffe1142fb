"""The 1-D signal with its kernel, and the 1x1 convolution at one pixel."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.figures.conv_figures.base import WINDOW_COLOUR, _figure, _picture_axes, format_number
from cnnviz.figures.conv_figures.grids import _heatmap_cells
from cnnviz.figures.conv_figures.overlays import _rect


def signal_figure(
    padded_signal: np.ndarray,
    kernel: np.ndarray,
    output: np.ndarray,
    *,
    position: int,
    stride: int = 1,
    dilation: int = 1,
    padding: int = 0,
) -> go.Figure:
    """1-D convolution: the (padded) signal with the window's taps in amber and the weights
    written above them, and below it the output with the current value in amber.

    Args:
        padded_signal: (N + 2P,) the signal with its zero padding.
        kernel: (K,) weights. output: (N_out,) values.
        position: current output index n; the window reads padded_signal[n*S + m*D], m < K.
        stride, dilation, padding: as used to compute the output.
    """
    padded_signal = np.asarray(padded_signal, dtype=np.float64)
    output = np.asarray(output, dtype=np.float64)
    length = len(padded_signal)
    taps = position * stride + np.arange(len(kernel)) * dilation  # (K,) padded indices
    colours = ["#9ca3af" if (i < padding or i >= length - padding) else "#2563eb" for i in range(length)]
    for tap in taps:
        colours[tap] = WINDOW_COLOUR
    out_colours = ["#2563eb"] * len(output)
    out_colours[position] = WINDOW_COLOUR
    top = float(max(padded_signal.max(), 0.0))
    low = float(min(padded_signal.min(), 0.0))
    out_low, out_high = float(min(output.min(), 0.0)), float(max(output.max(), 0.0))
    data = [
        {"type": "bar", "x": np.arange(length) - padding, "y": padded_signal, "marker": {"color": colours},
         "text": [format_number(v) for v in padded_signal], "textposition": "outside",
         "hovertemplate": "x[%{x}] = %{y}<extra></extra>", "xaxis": "x", "yaxis": "y"},
        {"type": "bar", "x": np.arange(len(output)), "y": output, "marker": {"color": out_colours},
         "text": [format_number(v) for v in output], "textposition": "outside",
         "hovertemplate": "y[%{x}] = %{y}<extra></extra>", "xaxis": "x2", "yaxis": "y2"},
    ]
    annotations = [
        {"x": int(tap) - padding, "y": top * 1.3 + 0.8, "xref": "x", "yref": "y", "showarrow": False,
         "text": f"w[{m}]={format_number(kernel[m])}", "font": {"size": 14, "color": "#b45309"}}
        for m, tap in enumerate(taps)
    ]
    annotations += [
        {"text": "<b>input x</b> (grey: padding; amber: the window)", "x": 0, "y": 1.0, "xref": "paper",
         "yref": "paper", "showarrow": False, "xanchor": "left", "yanchor": "bottom"},
        {"text": f"<b>output y</b>: y[{position}] = {format_number(output[position])}", "x": 0, "y": 0.38,
         "xref": "paper", "yref": "paper", "showarrow": False, "xanchor": "left", "yanchor": "bottom"},
    ]
    # Light bands behind the window's taps and the current output: visible even where a bar is 0.
    band = {"type": "rect", "yref": "paper", "fillcolor": "rgba(245, 158, 11, 0.18)", "line": {"width": 0},
            "layer": "below"}
    shapes = [{**band, "xref": "x", "x0": int(t) - padding - 0.45, "x1": int(t) - padding + 0.45, "y0": 0.55, "y1": 0.95}
              for t in taps]
    shapes.append({**band, "xref": "x2", "x0": position - 0.45, "x1": position + 0.45, "y0": 0.0, "y1": 0.36})
    return _figure(
        data, height=460, annotations=annotations, shapes=shapes,
        xaxis={"domain": [0, 1], "anchor": "y", "dtick": 1},
        yaxis={"domain": [0.55, 0.95], "range": [low * 1.3 - 0.5, top * 1.6 + 1.5]},
        xaxis2={"domain": [0, 1], "anchor": "y2", "dtick": 1},
        yaxis2={"domain": [0.0, 0.36], "range": [out_low * 1.3 - 0.5, out_high * 1.3 + 1.0]},
        margin={"l": 8, "r": 8, "t": 30, "b": 8},
    )


def pointwise_figure(
    x: np.ndarray,
    weights: np.ndarray,
    output: np.ndarray,
    *,
    pixel: tuple[int, int],
    input_names: Sequence[str] = ("R", "G", "B"),
) -> go.Figure:
    """1x1 convolution: the input channels in a row, the output channels in a row below, the same
    pixel boxed in each; every output value is a weighted sum of the values at that pixel in the
    inputs. Two rows, not one strip: in one strip a projector's cells were too narrow for their numbers.

    Args:
        x: (C_in, H, W). weights: (C_out, C_in). output: (C_out, H, W). pixel: (row, col).
    """
    x = np.asarray(x, dtype=np.float64)
    output = np.asarray(output, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    c_in, height, width = x.shape
    c_out = output.shape[0]
    names = list(input_names)[:c_in]
    labels = [f"in: {n}" for n in names] + [f"out {o}" for o in range(c_out)]
    gap, row_gap = 1.5, 2.0
    font = {"size": 14}
    data, shapes, annotations = [], [], []
    for index, grid in enumerate(list(x) + list(output)):
        row, column = (0, index) if index < c_in else (1, index - c_in)
        x0, y0 = column * (width + gap), row * (height + row_gap)
        data += _heatmap_cells(grid, np.zeros(grid.shape, np.int8), font, True, x0, y0, labels[index])
        shapes.append(_rect((y0 + pixel[0],), (x0 + pixel[1],), WINDOW_COLOUR, 4))
        annotations.append({"x": x0 + (width - 1) / 2, "y": y0 - 0.6, "text": labels[index], "showarrow": False,
                            "yanchor": "bottom", "font": {"size": 14}})
    annotations.append({"x": max(c_in, c_out) * (width + gap) - gap - 0.5, "y": height + 0.1, "text": "1x1 ↓",
                        "showarrow": False, "xanchor": "right", "yanchor": "top", "font": {"size": 16}})
    total_width = max(c_in, c_out) * (width + gap) - gap  # the widest row ends at total_width - 0.5
    return _figure(data, height=440, shapes=shapes, annotations=annotations,
                   **_picture_axes(2 * height + row_gap, total_width, y_from=-1.4))
