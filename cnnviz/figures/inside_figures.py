"""Figures for "Inside a network": predictions, layer outputs, kernels, attributions, confusion.

Plain functions from arrays to figure dicts (style.FigureDict, built without plotly's validation,
which cost the layer overview 76 ms a rerun). Clickable figures (channel grid, confusion matrix)
carry transparent markers whose ``customdata`` says what was clicked: plotly cannot select heatmap
cells, but it can select scatter points, and Streamlit's ``on_select`` reports those.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from cnnviz.figures import mosaic
from cnnviz.figures.style import IMAGE_X_AXIS, IMAGE_Y_AXIS, FigureDict, figure_dict, plain

ACTIVATION_COLOURS = "Viridis"
SIGNED_COLOURS = "RdBu_r"  # blue negative, white zero, red positive
GREY_COLOURS = "gray"
CHANNEL_SCALES = ("channel", "layer", "global")
# Hot overlay: transparent where the map is 0, so the image shows through where nothing was found.
OVERLAY_COLOURS = [
    [0.0, "rgba(0, 0, 0, 0)"],
    [0.25, "rgba(120, 0, 160, 0.35)"],
    [0.5, "rgba(230, 40, 40, 0.6)"],
    [0.75, "rgba(255, 150, 0, 0.75)"],
    [1.0, "rgba(255, 255, 60, 0.85)"],
]
KERNEL_WEIGHT_PX = 18
# A grid tile (~100 px on screen) shows at most this many values a side, as block means: ResNet-18's
# first layer at full size sent 17 MB and took the browser seconds. The channel's detail keeps all.
GRID_TILE_MAX = 32
OVERVIEW_COLUMNS = 5  # titles like "12. BatchNorm" fit their tile at 1024 px in presentation mode
OVERVIEW_CELL = 28  # values a side of a layer's picture in the overview: 7, 14, 56, 112, 224 fit it exactly


def _image_figure(traces: list[dict], *, height: int, title: str = "", **layout_keys) -> FigureDict:
    """A picture, not a plot: pixels square, row 0 at the top, no tick labels."""
    return figure_dict(traces, height=height, title=title, xaxis=dict(IMAGE_X_AXIS), yaxis=dict(IMAGE_Y_AXIS),
                       **layout_keys)


# ---------------------------------------------------------------------------------------------
# Prediction


def probability_bars(
    probabilities: Sequence[float], classes: Sequence[str], *, true_label: int | None = None, top_k: int | None = None
) -> FigureDict:
    """Softmax probabilities as horizontal bars, most likely on top.

    Args:
        probabilities: (K,) values in [0, 1] that sum to 1.
        classes: K class names.
        true_label: the correct class when known; its bar is green (red-outlined text otherwise).
        top_k: show only the k most likely classes (plus the true one if it is not among them).

    Returns:
        A bar figure; bar colours: predicted blue, true label green, others grey.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    order = np.argsort(-probabilities, kind="stable")
    if top_k is not None:
        shown = list(order[: max(1, top_k)])
        if true_label is not None and true_label not in shown:
            shown.append(true_label)
        order = np.array(shown)
    predicted = int(np.argmax(probabilities))
    colours, names = [], []
    for index in order:
        if index == true_label:
            colours.append("#2ca02c")
            names.append(f"{plain(classes[index])} (true label)")
        elif index == predicted:
            colours.append("#1f77b4")
            names.append(plain(classes[index]))
        else:
            colours.append("#9e9e9e")
            names.append(plain(classes[index]))
    values = [float(v) for v in probabilities[order]]
    bar = {
        "type": "bar", "x": values, "y": names, "orientation": "h", "marker": {"color": colours},
        "text": [f"{v:.1%}" for v in values], "textposition": "outside", "cliponaxis": False,
        "hovertemplate": "%{y}: %{x:.2%}<extra></extra>",
    }
    figure = figure_dict([bar], height=60 + 32 * len(order), yaxis={"autorange": "reversed"}, xaxis={
        "range": [0, 1.25], "tickvals": [0, 0.5, 1.0], "tickformat": ".0%",  # room for "100.0%"; 3 ticks
        "title": {"text": "probability (softmax)"}, "automargin": True})  # fit a narrow column, no overlap
    figure["layout"]["yaxis"]["automargin"] = True  # the longest class name inside the figure
    figure["layout"]["margin"]["r"] = 60  # "100.0%" past the longest bar stays inside the figure
    return figure


# ---------------------------------------------------------------------------------------------
# Layer outputs


def _short(kind: str) -> str:
    """"MaxPool2d" -> "MaxPool": a title that fits its tile (the layer menu keeps the full name)."""
    return kind[:-2] if kind.endswith(("1d", "2d")) else kind


def activation_overview(
    pictures: Sequence[tuple[str, np.ndarray]], kinds: Sequence[str] | None = None,
    *, selected: str | None = None, columns: int = OVERVIEW_COLUMNS,
) -> FigureDict:
    """One small picture per layer (its mean over channels), in forward order, in ONE heatmap:
    ResNet-18's 61 layers as 61 subplots took the browser seconds to lay out.

    Args:
        pictures: [(layer name, (H, W) array)], e.g. ``activations.overview``; flat layers (1, F).
        kinds: the module class of each layer ("Conv2d", "ReLU", ...), shown in the titles.
        selected: a layer name to frame in orange.
        columns: pictures per row.

    Returns:
        A cell of mosaic.fit_cell's picture per layer, each on its own colour scale (a flat map
        mid-scale), titled "3. Conv"; customdata float32: the mean value under each pixel.
    """
    columns = max(1, min(columns, len(pictures)))
    rows = max(1, math.ceil(len(pictures) / columns))
    cell, gap, title_rows = OVERVIEW_CELL, OVERVIEW_CELL // 4, OVERVIEW_CELL // 3
    pitch_x, pitch_y = cell + gap, cell + title_rows
    tiles = np.full((rows * pitch_y, columns * pitch_x - gap), np.nan, dtype=np.float32)
    means = np.zeros(tiles.shape, dtype=np.float32)  # the hover's raw value (its title says which layer)
    titles, shapes = [], []
    for index, (name, picture) in enumerate(pictures):
        raw = mosaic.fit_cell(np.asarray(picture, dtype=np.float32), cell, max(1, cell // 4))
        low, high = float(np.nanmin(raw)), float(np.nanmax(raw))
        scaled = (raw - low) / (high - low) if high > low else np.full(raw.shape, 0.5, dtype=np.float32)
        row, col = divmod(index, columns)
        top = row * pitch_y + title_rows + (cell - raw.shape[0]) // 2  # centred in its cell
        left = col * pitch_x + (cell - raw.shape[1]) // 2
        area = (slice(top, top + raw.shape[0]), slice(left, left + raw.shape[1]))
        tiles[area], means[area] = scaled, np.nan_to_num(raw)
        titles.append({"text": plain(f"{index + 1}. {_short(kinds[index]) if kinds else name}"), "showarrow": False,
                       "x": col * pitch_x + (cell - 1) / 2, "y": row * pitch_y + title_rows - 1.5, "xref": "x", "yref": "y",
                       "xanchor": "center", "yanchor": "bottom", "font": {"size": 13}})
        if name == selected:
            shapes.append({"type": "rect", "xref": "x", "yref": "y", "line": {"color": "orange", "width": 4},
                           "x0": left - 1.5, "x1": left + raw.shape[1] + 0.5, "y0": top - 1.5, "y1": top + raw.shape[0] + 0.5})
    heat = {
        "type": "heatmap", "z": tiles, "zmin": 0, "zmax": 1, "colorscale": ACTIVATION_COLOURS, "showscale": False,
        "customdata": means, "hoverongaps": False, "hovertemplate": "mean %{customdata:.3f}<extra></extra>",
    }
    return _image_figure([heat], height=70 + 170 * rows, annotations=titles, shapes=shapes)


def channel_grid(
    output: np.ndarray,
    *,
    scale: str = "channel",
    global_range: tuple[float, float] | None = None,
    order: Sequence[int] | None = None,
    max_channels: int = 64,
    columns: int | None = None,
) -> FigureDict:
    """Every channel of one layer as a tile of one big picture; click a tile to pick it.

    Args:
        output: (C, H, W) feature maps of one layer.
        scale: colour scale "channel" (each tile from its own min to max: every pattern visible),
            "layer" (one range for the layer: strengths comparable) or "global" (``global_range``,
            the range over every layer: compare layers).
        global_range: (low, high) for scale="global".
        order: channel indices in display order (e.g. strongest first); default 0..C-1.
        max_channels: show at most this many tiles.
        columns: tiles per row; default about sqrt of the tile count.

    Returns:
        A heatmap of the tiles, each at most GRID_TILE_MAX values a side (a larger map shown as
        block means; hover shows channel and value; customdata float32 [channel, raw value or
        block mean] per pixel) plus transparent markers whose customdata is the channel index, for
        ``st.plotly_chart(on_select=...)``.
    """
    output = np.asarray(output, dtype=np.float32)
    if output.ndim != 3:
        raise ValueError(f"channel_grid draws (C, H, W) feature maps, not shape {output.shape}.")
    if scale not in CHANNEL_SCALES:
        raise ValueError(f"The colour scale is per {', '.join(CHANNEL_SCALES)}, not {scale!r}.")
    channels = list(order) if order is not None else list(range(output.shape[0]))
    channels = channels[:max_channels]
    block = mosaic.block_size(output.shape[1:], GRID_TILE_MAX)
    shrunk = mosaic.block_mean(output[channels], block) if block > 1 else output[channels]
    count, height, width = len(channels), shrunk.shape[1], shrunk.shape[2]
    columns = columns or max(1, math.ceil(math.sqrt(count)))
    rows = math.ceil(count / columns)
    gap = max(1, round(0.12 * max(height, width)))

    if scale == "layer":
        low, high = float(output.min()), float(output.max())
    elif scale == "global":
        if global_range is None:
            raise ValueError('scale="global" needs global_range=(low, high) over every layer.')
        low, high = global_range
    tiles = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), np.nan, dtype=np.float32)
    # [channel, raw value] per pixel, float32: half the bytes of float64, channel numbers still exact.
    customdata = np.zeros(tiles.shape + (2,), dtype=np.float32)
    customdata[..., 0] = -1
    centres_x, centres_y = [], []
    for slot, channel in enumerate(channels):
        values = shrunk[slot]
        if scale == "channel":
            low, high = float(values.min()), float(values.max())
        span = high - low if high - low > 0 else 1.0
        top, left = (slot // columns) * (height + gap), (slot % columns) * (width + gap)
        tiles[top : top + height, left : left + width] = np.clip((values - low) / span, 0, 1)
        customdata[top : top + height, left : left + width, 0] = channel
        customdata[top : top + height, left : left + width, 1] = np.nan_to_num(values)
        centres_x.append(left + (width - 1) / 2)
        centres_y.append(top + (height - 1) / 2)
    heat = {
        "type": "heatmap", "z": tiles, "zmin": 0, "zmax": 1, "colorscale": ACTIVATION_COLOURS, "customdata": customdata,
        "colorbar": {"title": {"text": f"per {scale}"}, "tickvals": [0, 1], "ticktext": ["low", "high"]},
        "hovertemplate": "channel %{customdata[0]}<br>" + ("value" if block == 1 else f"mean of {block}x{block} values")
                         + " %{customdata[1]:.3f}<extra></extra>", "hoverongaps": False,
    }
    markers = {
        "type": "scatter", "x": centres_x, "y": centres_y, "mode": "markers", "customdata": [int(c) for c in channels],
        "marker": {"size": max(8, min(60, 300 // columns)), "symbol": "square", "color": "rgba(0,0,0,0)"},
        "hovertemplate": "channel %{customdata}: click to enlarge<extra></extra>", "showlegend": False,
    }
    return _image_figure([heat, markers], height=min(900, 120 + 110 * rows), clickmode="event+select",
                         dragmode=False, plot_bgcolor="white")


def channel_detail(values: np.ndarray, *, title: str = "", show_numbers: bool | None = None) -> FigureDict:
    """One channel large, every value on hover (and written in the cells when it is small).

    Args:
        values: (H, W) activations.
        title: figure title.
        show_numbers: write values in the cells; default when H * W <= 256.
    """
    values = np.asarray(values, dtype=np.float32)
    show_numbers = values.size <= 256 if show_numbers is None else show_numbers
    heat = {"type": "heatmap", "z": values, "colorscale": ACTIVATION_COLOURS,
            "hovertemplate": "row %{y}, col %{x}<br>value %{z:.4f}<extra></extra>"}
    if show_numbers:
        heat["texttemplate"] = "%{z:.2f}"
    return _image_figure([heat], height=480, title=title)


def vector_bars(values: np.ndarray, *, labels: Sequence[str] | None = None, title: str = "") -> FigureDict:
    """A flat layer (Flatten, Linear) as one bar per unit, so every value can be read."""
    values = np.asarray(values, dtype=np.float32).reshape(-1)
    named = labels is not None and len(labels) == values.size
    x = [plain(label) for label in labels] if named else list(range(values.size))
    bar = {"type": "bar", "x": x, "y": values, "marker": {"color": np.where(values >= 0, "#1f77b4", "#d62728").tolist()},
           "hovertemplate": "unit %{x}<br>value %{y:.4f}<extra></extra>"}
    return figure_dict([bar], height=320, title=title, xaxis={"title": {"text": "unit" if labels is None else ""}})


# ---------------------------------------------------------------------------------------------
# Kernels


def kernel_grid(pictures, *, max_out: int = 32, max_in: int = 16, title: str = "") -> FigureDict:
    """A conv layer's kernels as one picture.

    Args:
        pictures: ``learned_kernels.KernelPictures``. RGB kernels are drawn as colour pictures in
            one row-wrapped strip; others as a grid, one row per output channel and one column per
            input channel.
        max_out, max_in: how many output / input channels to draw at most.
        title: figure title.
    """
    values = pictures.values
    if pictures.rgb:
        count, size_h, size_w = min(values.shape[0], max_out), values.shape[1], values.shape[2]
        columns = min(count, 8)
        rows = math.ceil(count / columns)
        canvas = np.ones((rows * (size_h + 1) - 1, columns * (size_w + 1) - 1, 3), dtype=np.float32)
        for index in range(count):
            top, left = (index // columns) * (size_h + 1), (index % columns) * (size_w + 1)
            canvas[top : top + size_h, left : left + size_w] = values[index]
        image = {"type": "image", "z": np.round(canvas * 255).astype(np.uint8),
                 "hovertemplate": "x %{x}, y %{y}<extra></extra>"}
        return _image_figure([image], height=min(700, 80 + 70 * rows), title=plain(title))

    outs, ins = min(values.shape[0], max_out), min(values.shape[1], max_in)
    size_h, size_w = values.shape[2], values.shape[3]
    # One input channel: wrap the kernels into an about square block (6: 3 x 2), not one thin strip
    # of tiles smaller than their colour bar.
    per_row = max(1, math.ceil(math.sqrt(outs))) if ins == 1 else ins
    grid_rows = math.ceil(outs / per_row) if ins == 1 else outs
    canvas = np.full((grid_rows * (size_h + 1) - 1, per_row * (size_w + 1) - 1), np.nan, dtype=np.float32)
    labels = np.full(canvas.shape + (2,), -1, dtype=np.int16)  # (output, input) channel of each pixel
    for out in range(outs):
        for inp in range(ins):
            row, col = (out // per_row, out % per_row) if ins == 1 else (out, inp)
            top, left = row * (size_h + 1), col * (size_w + 1)
            canvas[top : top + size_h, left : left + size_w] = values[out, inp]
            labels[top : top + size_h, left : left + size_w] = (out, inp)
    low, high = pictures.value_range
    signed = low < 0
    heat = {
        "type": "heatmap", "z": canvas, "zmin": float(low), "zmax": float(high),
        "colorscale": SIGNED_COLOURS if signed else GREY_COLOURS, "customdata": labels, "hoverongaps": False,
        "hovertemplate": "output channel %{customdata[0]}, input channel %{customdata[1]}<br>value %{z:.2f}<extra></extra>",
        "colorbar": {"title": {"text": "w / max|w|" if signed else pictures.normalisation.replace("_", " ")},
                     "thickness": 12},
    }
    # KERNEL_WEIGHT_PX screen pixels per weight (12 made 5 x 5 kernels 60 px, in a strip).
    height = int(min(700, max(240, KERNEL_WEIGHT_PX * canvas.shape[0] + 90)))
    return _image_figure([heat], height=height, title=plain(title), plot_bgcolor="white")


# ---------------------------------------------------------------------------------------------
# Attribution


def _as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)  # (H, W) -> (H, W, 3)
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)


def attribution_overlay(
    image: np.ndarray, heatmap: np.ndarray, *, opacity: float = 0.7, title: str = "", raw: np.ndarray | None = None
) -> FigureDict:
    """An attribution map laid over the picture the model saw.

    Args:
        image: (H, W) or (H, W, 3) in [0, 1]: the model's input.
        heatmap: (H, W) in [0, 1]; 0 is transparent, so the image shows where nothing was found.
        opacity: of the heatmap layer, 0..1.
        title: figure title.
        raw: (H, W) raw values for the hover text; default the heatmap.
    """
    heatmap = np.asarray(heatmap, dtype=np.float32)
    picture = {"type": "image", "z": _as_rgb_uint8(image), "hoverinfo": "skip"}
    heat = {
        "type": "heatmap", "z": heatmap, "zmin": 0, "zmax": 1, "colorscale": OVERLAY_COLOURS, "opacity": opacity,
        "customdata": np.asarray(raw if raw is not None else heatmap, dtype=np.float32),
        "hovertemplate": "row %{y}, col %{x}<br>shown %{z:.2f}, raw %{customdata:.4g}<extra></extra>",
        "colorbar": {"title": {"text": "evidence"}, "tickvals": [0, 1], "ticktext": ["none", "most"]},
    }
    return _image_figure([picture, heat], height=420, title=plain(title))  # names a class


# ---------------------------------------------------------------------------------------------
# Confusion matrix

CELL_FONT = {"size": 14}  # the numbers in the cells: plotly shrinks unsized cell text to fit (~7 px)


def confusion_heatmap(matrix: np.ndarray, classes: Sequence[str], *, normalise: str = "counts") -> FigureDict:
    """The confusion matrix as a heatmap: rows the actual class, columns the predicted class.

    Args:
        matrix: (K, K) counts [actual, predicted].
        classes: K class names.
        normalise: "counts" (raw numbers) or "row" (each row divided by its total: the share of
            each actual class that went to each prediction; the diagonal is the recall).

    Returns:
        A heatmap with the numbers written in, every class named on both axes, plus transparent
        markers whose customdata is the cell's flat index actual * K + predicted (one number
        survives the trip through the browser's selection event intact), for
        ``st.plotly_chart(on_select=...)``.
    """
    counts = np.asarray(matrix, dtype=np.int64)
    if normalise not in ("counts", "row"):
        raise ValueError(f'The confusion matrix shows "counts" or "row" shares, not {normalise!r}.')
    if normalise == "row":
        totals = counts.sum(axis=1, keepdims=True)
        shown = np.divide(counts, totals, out=np.zeros(counts.shape, dtype=np.float64), where=totals > 0)
        text = [[f"{v:.0%}" if v > 0 else "" for v in row] for row in shown.tolist()]
    else:
        shown = counts.astype(np.float64)
        text = [[str(v) if v > 0 else "" for v in row] for row in counts.tolist()]
    names = [plain(name) for name in classes]
    k = len(names)
    cell_text = [[f"actual {names[i]}, predicted {names[j]}: {counts[i, j]} images" for j in range(k)] for i in range(k)]
    heat = {
        "type": "heatmap", "z": shown.astype(np.float32), "x": list(range(k)), "y": list(range(k)), "colorscale": "Blues",
        "text": text, "texttemplate": "%{text}", "textfont": dict(CELL_FONT), "customdata": counts.astype(np.int32),
        "zmin": 0, "hovertext": cell_text, "hovertemplate": "%{hovertext}<extra></extra>",
        "showscale": False,  # the cells say their numbers: the bar's width goes to the cells
    }
    actual, predicted = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    markers = {
        "type": "scatter", "x": predicted.ravel().tolist(), "y": actual.ravel().tolist(), "mode": "markers",
        "customdata": (actual * k + predicted).ravel().tolist(),  # a list: arrays reach the browser as typed-array dicts
        "marker": {"size": max(10, 420 // max(k, 1)), "symbol": "square", "color": "rgba(0,0,0,0)"},
        "hovertext": [line for row in cell_text for line in row],
        "hovertemplate": "%{hovertext}<br>click for the images<extra></extra>", "showlegend": False,
    }
    ticks = {"tickmode": "array", "tickvals": list(range(k)), "ticktext": names}  # every class named, none skipped
    return figure_dict(
        [heat, markers], height=180 + 48 * k, clickmode="event+select", dragmode=False,
        # Upright names: at -40 degrees neighbours ran into each other ("T-shirt/top" into "Trouser").
        xaxis={"title": {"text": "predicted class"}, "side": "top", "tickangle": -90, **ticks},
        yaxis={"title": {"text": "actual class"}, "autorange": "reversed", **ticks},
    )

