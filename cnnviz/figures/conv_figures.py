"""Figures for the convolution lab: grids with numbers, photos with their padding, the sliding
window, the zoomed patch, the output map, a 1-D signal and a 1x1 convolution.

Plain functions from arrays to plotly figures, so tests can check them without a server.

Speed matters here: Streamlit reruns the page on every click, and stepping the window must cost
only the highlight. So:
- a photo is drawn as an encoded picture (PhotoLayer, built once and cached by the page) under
  cheap overlays (window, cell, click targets); shipping a 512x512 heatmap as numbers would take
  far longer to serialise than the convolution takes to compute;
- every figure is assembled as plain trace and layout dicts and validated once by go.Figure;
  plotly's incremental add_trace / add_annotation / make_subplots re-validate the whole layout
  on each call and cost ten times more.

Click targets: plotly cannot select heatmap or image pixels, but it can select scatter points, and
Streamlit's on_select reports those. Output maps carry a layer of transparent markers, one at
each cell centre, so a selected point's (x, y) is the cell's (column, row).
"""

from __future__ import annotations

import base64
import functools
import io
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.figures.style import FONT as _FONT

SIGNED_COLOURS = "RdBu_r"  # blue negative, white zero, red positive
PLAIN_COLOURS = "gray"  # photos and photo-sized maps: they should look like photos
GRID_COLOURS = [[0.0, "#f8fafc"], [1.0, "#6fa8f5"]]  # numeric grids: light, so dark numbers read
PADDING_COLOUR = "#cfd6df"  # padding cells: grey, clearly not part of the input
INSERTED_COLOUR = "#fde9a9"  # zeros inserted by a transposed convolution's stride
WINDOW_COLOUR = "#f59e0b"  # amber: the window and the output cell it lands in
ARGMAX_COLOUR = "#16a34a"  # green: the value max pooling picks
INPUT_EDGE_COLOUR = "#1d4ed8"  # dashed outline of the original input inside the padding
MAX_CLICK_TARGETS = 48  # per side on photo outputs: finer only slows building and the browser
MAX_DISPLAY_SIDE = 1024  # pictures larger than this are drawn subsampled
_PADDING_RGB = (207, 214, 223)  # PADDING_COLOUR as numbers, for pictures


def format_number(value: float) -> str:
    """Short text for a grid cell: whole numbers as such, others to 2 decimals; -inf as "-inf".

    >>> [format_number(v) for v in (4.0, 0.5, 1 / 9, -2.25, float("-inf"))]
    ['4', '0.5', '0.11', '-2.25', '-inf']
    """
    if not math.isfinite(value):
        return "-inf" if value < 0 else ("inf" if value > 0 else "nan")
    rounded = round(float(value), 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0")


def _texts(values: np.ndarray) -> list[list[str]]:
    return [[format_number(v) for v in row] for row in np.asarray(values, dtype=np.float64).tolist()]


def _numbers_font(columns: int) -> int:
    """Big numbers on small grids (projectors), smaller as the grid widens."""
    return int(np.clip(34 - 1.7 * columns, 10, 26))


def _figure(data: list, *, height: int, title: str = "", shapes=(), annotations=(), **layout) -> go.Figure:
    """Build the figure in one go (validated once): see the module docstring on speed."""
    base = {
        "height": height,
        "margin": {"l": 8, "r": 8, "t": 44 if title else 8, "b": 8},
        "font": _FONT,
        "showlegend": False,
        "dragmode": False,
        "plot_bgcolor": "white",
        "shapes": list(shapes),
        "annotations": list(annotations),
    }
    if title:
        base["title"] = {"text": title, "font": {"size": 18}}
    base.update(layout)
    return go.Figure(data=data, layout=base)


def _picture_axes(height: float, width: float, x_from: float = -0.5, y_from: float = -0.5) -> dict:
    """Layout for square cells, row 0 at the top, no ticks: pictures, not plots."""
    common = {"showticklabels": False, "showgrid": False, "zeroline": False, "showline": False, "ticks": "",
              "constrain": "domain"}
    return {
        "xaxis": {**common, "range": [x_from, width - 0.5]},
        "yaxis": {**common, "range": [height - 0.5, y_from], "scaleanchor": "x"},
    }


# --- Colours ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _colour_table(name: str) -> np.ndarray:
    """(256, 3) uint8 lookup table sampled from a plotly colour scale."""
    from plotly.colors import sample_colorscale

    samples = sample_colorscale(name, list(np.linspace(0, 1, 256)), colortype="tuple")
    return np.clip(np.rint(np.asarray(samples) * 255), 0, 255).astype(np.uint8)


def value_range(values: np.ndarray, plain=PLAIN_COLOURS) -> tuple[float, float, str | list]:
    """(low, high, colour scale) for showing one channel: signed maps are centred on zero in
    red/blue, others run from 0 (or their minimum) to their maximum in the `plain` scale."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0, plain
    low, high = float(finite.min()), float(finite.max())
    if low < 0 < high:
        reach = max(-low, high)
        return -reach, reach, SIGNED_COLOURS
    low = min(low, 0.0)
    if high <= low:
        high = low + 1.0
    return low, high, plain


def colourise(values: np.ndarray, low: float, high: float, scale: str | None) -> np.ndarray:
    """Map values to uint8 pixels.

    Args:
        values: (C, H, W) with C = 1 (mapped through `scale`) or C = 3 (RGB, each channel mapped
            linearly from [low, high] to [0, 255]). Non-finite values (max pooling's -inf
            padding) are drawn in the padding grey.
        low, high: the value range shown.
        scale: plotly colour scale name for one channel; ignored for RGB.

    Returns:
        uint8 (H, W, 3).
    """
    values = np.asarray(values, dtype=np.float32)
    finite = np.isfinite(values)  # (C, H, W)
    # One pass to 0..255 then uint8: this runs on every changed setting, on photo-sized maps.
    levels = (values - np.float32(low)) * np.float32(255.0 / (high - low))
    np.clip(levels, 0, 255, out=levels)
    all_finite = bool(finite.all())
    if not all_finite:
        levels[~finite] = 0
    levels = (levels + 0.5).astype(np.uint8)
    if values.shape[0] == 3:
        pixels = levels.transpose(1, 2, 0)  # (3, H, W) -> (H, W, 3)
    else:
        pixels = _colour_table(scale or PLAIN_COLOURS)[levels[0]]
    if not all_finite:
        pixels = pixels.copy()
        pixels[~finite.all(axis=0)] = _PADDING_RGB
    return pixels


def image_data_uri(pixels: np.ndarray) -> str:
    """uint8 (H, W, 3) -> data URI. Small pictures as PNG (sharp cell edges when blown up);
    photo-sized ones as high-quality JPEG, ~30x faster to encode than PNG on photo content."""
    from PIL import Image

    buffer = io.BytesIO()
    image = Image.fromarray(np.ascontiguousarray(pixels))
    if max(pixels.shape[:2]) <= 128:
        image.save(buffer, format="PNG")
        kind = "png"
    else:
        image.save(buffer, format="JPEG", quality=92, subsampling=0)  # 4:4:4: no colour bleed
        kind = "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@dataclass(frozen=True)
class PhotoLayer:
    """A picture encoded once, to be drawn under cheap overlays on every rerun.

    Attributes:
        uri: image data URI.
        height, width: size in cells (the picture's own coordinates).
        step: subsampling used for display (1 = every cell drawn).
        low, high: value range mapped to the colours.
        colour_scale: scale used for one channel, None for RGB.
    """

    uri: str
    height: int
    width: int
    step: int
    low: float
    high: float
    colour_scale: str | None


def photo_layer(values: np.ndarray, *, value_span: tuple[float, float] | None = None) -> PhotoLayer:
    """Encode a (C, H, W) picture (C = 1 or 3) as a PhotoLayer.

    Args:
        values: (1, H, W) or (3, H, W) numbers (photos in [0, 1], or conv outputs).
        value_span: (low, high) to map to the colours; by default RGB spans [min(0, min),
            max(1, max)] and one channel uses value_range().
    """
    values = np.asarray(values, dtype=np.float32)
    channels, height, width = values.shape
    if channels not in (1, 3):
        raise ValueError(f"A picture has 1 or 3 channels; got {channels}.")
    step = max(1, math.ceil(max(height, width) / MAX_DISPLAY_SIDE))
    shown = values[:, ::step, ::step]  # (C, ceil(H/step), ceil(W/step))
    if channels == 3:
        finite = shown[np.isfinite(shown)]
        low = min(0.0, float(finite.min())) if finite.size else 0.0
        high = max(1.0, float(finite.max())) if finite.size else 1.0
        scale = None
    else:
        low, high, scale = value_range(shown[0])
    if value_span is not None:
        low, high = value_span
    pixels = colourise(shown, low, high, scale)
    return PhotoLayer(image_data_uri(pixels), height, width, step, low, high, scale)


# --- Overlays ----------------------------------------------------------------------------------------


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


# --- Photos -------------------------------------------------------------------------------------------


def photo_figure(
    layer: PhotoLayer,
    *,
    title: str = "",
    input_box: tuple[int, int, int, int] | None = None,
    window: tuple[np.ndarray, np.ndarray] | None = None,
    cell: tuple[int, int] | None = None,
    clickable: bool = False,
    height: int = 460,
) -> go.Figure:
    """A photo (or a photo-sized output map) with the lab's overlays.

    Args:
        layer: the encoded picture.
        title: shown above.
        input_box: (top, left, height, width) of the original input inside a padded grid: drawn
            dashed, so the padding around it is visible.
        window: (rows, cols) of the current window's taps, in this picture's coordinates.
        cell: (row, col) of the current output cell.
        clickable: add click targets (customdata = (row, col)).
        height: figure height in pixels.
    """
    data = [{
        "type": "image", "source": layer.uri, "x0": 0, "y0": 0, "dx": layer.step, "dy": layer.step,
        "hoverinfo": "skip",
    }]
    if layer.colour_scale is not None:
        # A colour bar without drawing anything: an invisible scatter carries the scale.
        data.append({
            "type": "scatter", "x": [None], "y": [None], "mode": "markers", "hoverinfo": "skip",
            "marker": {
                "colorscale": layer.colour_scale, "cmin": layer.low, "cmax": layer.high,
                "color": [layer.low], "showscale": True, "colorbar": {"thickness": 14, "len": 0.8},
            },
        })
    traces, shapes = _overlays(input_box, window, cell)
    data += traces
    # On a photo a 3x3 window is a few screen pixels: ring it so the eye finds it.
    small = max(layer.height, layer.width) / 25
    if window is not None and max(np.ptp(window[0]), np.ptp(window[1])) < small:
        data.append(_ring(float(np.mean(window[0])), float(np.mean(window[1]))))
    if cell is not None and small > 1:
        data.append(_ring(*cell))
    if clickable:
        data.append(click_targets(layer.height, layer.width, MAX_CLICK_TARGETS))
    return _figure(data, height=height, title=title, shapes=shapes, **_picture_axes(layer.height, layer.width))


def _ring(row: float, col: float) -> dict:
    return {"type": "scatter", "x": [col], "y": [row], "mode": "markers", "hoverinfo": "skip",
            "marker": {"symbol": "circle-open", "size": 34, "color": WINDOW_COLOUR, "line": {"width": 4}}}


# --- Numeric grids -----------------------------------------------------------------------------------


def _heatmap_cells(values: np.ndarray, kinds: np.ndarray, font: dict, numbers: bool, x0: float = 0, y0: float = 0, label: str = "", xref: str = "x") -> list:
    """Heatmap traces for one grid: padding and inserted zeros in flat colours, input coloured
    by value; the numbers written in every cell."""
    low, high, scale = value_range(values[kinds == 0] if (kinds == 0).any() else values, GRID_COLOURS)
    text = _texts(values) if numbers else None
    if text:
        # Long numbers ("-1.29") in a big font spill out of their cells: shrink to fit.
        longest = max(len(t) for row in text for t in row)
        font = {**font, "size": min(font["size"], 4 + 70 // max(longest, 1))}
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
    """
    values = np.asarray(values, dtype=np.float64)
    rows, cols = values.shape
    kinds = np.zeros((rows, cols), dtype=np.int8) if kinds is None else np.asarray(kinds)
    numbers = max(rows, cols) <= 30 if numbers is None else numbers
    data = _heatmap_cells(values, kinds, {"size": _numbers_font(cols)}, numbers)
    traces, shapes = _overlays(input_box, window, cell, argmax)
    data += traces
    if clickable:
        data.append(click_targets(rows, cols, limit=max(rows, cols)))
    height = height or int(np.clip(52 * rows + 60, 220, 620))
    return _figure(data, height=height, title=title, shapes=shapes, **_picture_axes(rows, cols))


# --- The current window, zoomed ------------------------------------------------------------------


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

    All panels share one pair of axes, placed by offsets (see the module docstring on speed).

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
    data, shapes, annotations = [], [], []
    for c in range(channels):
        y0 = c * (fh + row_gap)
        for p, (label, values) in enumerate(panels):
            x0 = p * (fw + gap)
            shown_kinds = window_kinds if label == "input window" else plain
            data += _heatmap_cells(values[c], shown_kinds, font, True, x0, y0, label)
            if c == 0:
                annotations.append({"x": x0 + (fw - 1) / 2, "y": -0.6, "text": f"<b>{label}</b>",
                                    "showarrow": False, "yanchor": "bottom", "font": {"size": 16}})
            if p < len(panels) - 1:
                annotations.append({"x": x0 + fw - 0.5 + gap / 2, "y": y0 + (fh - 1) / 2, "showarrow": False,
                                    "text": "×" if p == 0 else "=", "font": {"size": 26}})
        if channels > 1:
            annotations.append({"x": -0.7, "y": y0 + (fh - 1) / 2, "text": f"<b>{names[c]}</b>",
                                "showarrow": False, "xanchor": "right", "font": {"size": 16}})
        if argmax is not None and argmax[0] == c:
            shapes.append(_rect((y0 + argmax[1],), (argmax[2],), ARGMAX_COLOUR, 4))
    width = len(panels) * fw + (len(panels) - 1) * gap
    height = channels * fh + (channels - 1) * row_gap
    axes = _picture_axes(height, width, x_from=-0.5 - (1.6 if channels > 1 else 0.0), y_from=-1.3)
    per_row = int(np.clip(64 * fh, 190, 420))
    return _figure(data, height=per_row * channels + 60, title=title, shapes=shapes,
                   annotations=annotations, **axes)


# --- 1-D and 1x1 -------------------------------------------------------------------------------------


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
    """1x1 convolution: the input channels, then the output channels, the same pixel boxed in
    each; every output value is a weighted sum of the values at that pixel in the inputs.

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
    gap = 1.5
    font = {"size": _numbers_font(width * 2)}
    data, shapes, annotations = [], [], []
    for index, grid in enumerate(list(x) + list(output)):
        x0 = index * (width + gap) + (gap if index >= c_in else 0.0)
        data += _heatmap_cells(grid, np.zeros(grid.shape, np.int8), font, True, x0, 0, labels[index])
        shapes.append(_rect((pixel[0],), (x0 + pixel[1],), WINDOW_COLOUR, 4))
        annotations.append({"x": x0 + (width - 1) / 2, "y": -0.6, "text": labels[index], "showarrow": False,
                            "yanchor": "bottom", "font": {"size": 14}})
    arrow_x = c_in * (width + gap) - gap / 2 + gap / 2
    annotations.append({"x": arrow_x, "y": (height - 1) / 2, "text": "1x1", "showarrow": False, "font": {"size": 18}})
    total_width = (c_in + c_out) * (width + gap)  # the last panel ends at total_width - 0.5
    return _figure(data, height=300, shapes=shapes, annotations=annotations,
                   **_picture_axes(height, total_width, y_from=-1.4))
