"""Photos and photo-sized maps: encoded once as a PhotoLayer, then drawn under cheap overlays on
every rerun."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from cnnviz.figures.conv_figures.base import MAX_CLICK_TARGETS, MAX_DISPLAY_SIDE, WINDOW_COLOUR, _figure, _picture_axes
from cnnviz.figures.conv_figures.colours import colourise, image_data_uri, value_range
from cnnviz.figures.conv_figures.overlays import _overlays, click_targets


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
