"""Figures for "Receptive fields": the field on the photo, its growth per layer, and comparisons.

Plain functions from numbers to plotly figures, so tests can check them without a server. The
unit grid is clickable: plotly cannot select heatmap cells, but it can select scatter points, and
Streamlit's ``on_select`` reports each point's ``customdata`` (here: the unit's row and column).
"""

from __future__ import annotations

import base64
import io
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.figures.style import FONT as _FONT, FigureDict, figure_dict, layout as _shared_layout

# Streamlit's chart theme draws tick labels and legends at 0.85 of the figure's font (12.75 px
# for the shared 15): set each explicitly, so every text reads at least 15 px on a projector.
FONT_SIZE = 15


def _layout(figure: go.Figure, *, height: int, title: str = "") -> go.Figure:
    _shared_layout(figure, height=height, title=title)
    figure.update_xaxes(tickfont={"size": FONT_SIZE}, title_font={"size": FONT_SIZE})
    figure.update_yaxes(tickfont={"size": FONT_SIZE}, title_font={"size": FONT_SIZE})
    figure.update_layout(legend_font_size=FONT_SIZE)
    return figure


FIELD_COLOUR = "#1d4ed8"  # the theoretical field's box (the theme's primary blue)
PADDING_COLOUR = "rgba(120, 120, 120, 0.45)"  # where the box leaves the image: zeros, not pixels
UNIT_COLOUR = "#dc2626"
GRID_COLOUR = "#cbd5e1"
# Effective field overlay: transparent at 0 so the photo shows where the unit does not look.
EFFECTIVE_COLOURS = [
    [0.0, "rgba(0, 0, 0, 0)"],
    [0.05, "rgba(255, 255, 0, 0.0)"],
    [0.3, "rgba(255, 200, 0, 0.45)"],
    [0.6, "rgba(255, 110, 0, 0.65)"],
    [1.0, "rgba(220, 0, 0, 0.85)"],
]


def _rgb_uint8(image: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, 1|3) floats in [0, 1] -> (H, W, 3) uint8 for go.Image."""
    pixels = np.asarray(image, dtype=np.float32)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)  # (H, W) -> (H, W, 3)
    return (np.clip(pixels, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def image_source(pixels: np.ndarray) -> str:
    """uint8 (H, W, 3) or (H, W, 4) -> a data URI for go.Image(source=...): the browser decodes a
    picture, where a z array of numbers costs ~12x the bytes and seconds of its CPU. RGBA and small
    pictures as PNG (exact), photo-sized RGB as JPEG."""
    from PIL import Image

    buffer = io.BytesIO()
    picture = Image.fromarray(np.ascontiguousarray(pixels))
    if pixels.shape[2] == 4 or max(pixels.shape[:2]) <= 128:
        picture.save(buffer, format="PNG")
        kind = "png"
    else:
        picture.save(buffer, format="JPEG", quality=90, subsampling=0)  # 4:4:4: no colour bleed at the box
        kind = "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _heat_rgba(heat: np.ndarray) -> np.ndarray:
    """(H, W) values in [0, 1] -> (H, W, 4) uint8 coloured by EFFECTIVE_COLOURS, alpha included."""
    stops = np.array([stop for stop, _ in EFFECTIVE_COLOURS])
    colours = np.array([[float(v) for v in colour[colour.index("(") + 1:-1].split(",")] for _, colour in EFFECTIVE_COLOURS])
    colours[:, 3] *= 255
    values = np.clip(np.nan_to_num(heat), 0.0, 1.0)
    channels = [np.interp(values, stops, colours[:, c]) for c in range(4)]
    return (np.stack(channels, axis=-1) + 0.5).astype(np.uint8)


def _figure_dict(traces: list[dict], *, height: int, title: str, xaxis: dict, yaxis: dict, **layout):
    """A FigureDict with _layout's settings: the shared font, margins and 15 px tick, axis-title and legend text."""
    axis_text = {"tickfont": {"size": FONT_SIZE}}
    return figure_dict(traces, height=height, title=title, legend={"font": {"size": FONT_SIZE}},
                       xaxis={**axis_text, **xaxis, "title": {**xaxis.get("title", {}), "font": {"size": FONT_SIZE}}},
                       yaxis={**axis_text, **yaxis, "title": {**yaxis.get("title", {}), "font": {"size": FONT_SIZE}}},
                       **layout)


def _picture_dict(pixels: np.ndarray, **keys) -> dict:
    """The picture as an image-source trace, one input pixel per axis unit, pixel centres at integers."""
    return {"type": "image", "source": image_source(pixels), "x0": 0, "y0": 0, "dx": 1, "dy": 1, **keys}


def field_on_image(
    image: np.ndarray,
    box: tuple[int, int, int, int],
    *,
    effective: np.ndarray | None = None,
    title: str = "",
    whole_input: bool = False,
    height: int = 520,
) -> FigureDict:
    """The photo, the unit's theoretical field as a box, the padding it reaches, its effective field.

    Args:
        image: (H, W) or (H, W, 3) floats in [0, 1]: exactly what the network sees.
        box: (top, left, bottom, right) inclusive input pixels of the theoretical field; may reach
            past the image (negative or >= size), and that part is drawn as padding.
        effective: optional (H, W) non-negative gradient map; drawn as a heat overlay scaled to its max.
        title: figure title.
        whole_input: the unit sees everything (global pooling): the box is the image's outline.

    Returns:
        A FigureDict whose axes are input pixel coordinates (row 0 at the top).
    """
    pixels = _rgb_uint8(image)
    rows, cols = pixels.shape[:2]
    top, left, bottom, right = box
    rect = {"type": "rect", "x0": left - 0.5, "x1": right + 0.5, "y0": top - 0.5, "y1": bottom + 0.5}
    shapes, annotations = [], []
    # Padding first, beneath the photo: only where the box sticks out does the grey show.
    padded = (top < 0 or left < 0 or bottom >= rows or right >= cols) and not whole_input
    if padded:
        shapes.append({**rect, "fillcolor": PADDING_COLOUR, "line": {"width": 0}, "layer": "below"})
    traces = [_picture_dict(pixels, name="image", hoverinfo="x+y")]
    if effective is not None:
        heat = np.asarray(effective, dtype=np.float32)
        peak = float(heat.max()) if heat.size else 0.0
        traces.append(_picture_dict(_heat_rgba(heat / peak if peak > 0 else heat), name="effective field",
                                    hoverinfo="skip"))
        traces.append({  # one hidden point: the overlay's colour bar
            "type": "scatter", "x": [None], "y": [None], "mode": "markers", "hoverinfo": "skip",
            "name": "effective field scale",
            "marker": {"color": [0], "cmin": 0, "cmax": 1, "colorscale": EFFECTIVE_COLOURS, "showscale": True,
                       # Under the picture: beside it, the bar and its title took a third of a narrow
                       # column's width from the photo.
                       "colorbar": {"title": {"text": "effective field", "side": "top"}, "orientation": "h",
                                    "len": 0.8, "thickness": 12, "y": -0.2, "yanchor": "top"}},
        })
    shapes.append({**rect, "line": {"color": FIELD_COLOUR, "width": 4}, "fillcolor": "rgba(0,0,0,0)", "layer": "above"})
    if not whole_input:
        traces.append({
            "type": "scatter", "x": [(left + right) / 2], "y": [(top + bottom) / 2], "mode": "markers",
            "name": "field centre", "hoverinfo": "skip",
            "marker": {"symbol": "cross-thin", "size": 16, "line": {"width": 3, "color": FIELD_COLOUR}},
        })
    if padded:
        annotations.append({  # inside the box's top-left corner, clear of the title
            "x": left, "y": top, "xanchor": "left", "yanchor": "top", "showarrow": False, "xshift": 4, "yshift": -4,
            "text": "grey: padding (zeros)", "font": {"color": "#374151", "size": 14},
            "bgcolor": "rgba(255,255,255,0.8)",
        })
    x_range = [min(left, 0) - 0.5, max(right, cols - 1) + 0.5]
    y_range = [max(bottom, rows - 1) + 0.5, min(top, 0) - 0.5]  # reversed: row 0 on top
    return _figure_dict(
        traces, height=height, title=title, shapes=shapes, annotations=annotations, showlegend=False,
        xaxis={"range": x_range, "showgrid": False, "zeroline": False, "title": {"text": "column (input pixels)"}},
        # constraintoward top: the picture starts at the chart's top, not centred below a blank band.
        yaxis={"range": y_range, "showgrid": False, "zeroline": False, "scaleanchor": "x", "title": {"text": "row"},
               "constraintoward": "top"},
    )


def unit_grid(grid_shape: tuple[int, int], selected: tuple[int, int], *, height: int = 360, title: str = "") -> FigureDict:
    """The layer's output grid, one clickable square per unit, the chosen one in red.

    Args:
        grid_shape: (h, w) of the layer's output.
        selected: (row, col) of the chosen unit.

    Returns:
        A FigureDict: every unit a point of its one trace, each point's customdata [row, col]; the
        chosen unit a red square shape over its point.
    """
    h, w = grid_shape
    rows, cols = np.mgrid[0:h, 0:w]  # (h, w) each
    rows, cols = rows.ravel(), cols.ravel()
    # Marker size in screen pixels: about 80% of one cell of the plot area, so that cells stay apart.
    side = max(2.0, min(24.0, 0.8 * (height - 110) / max(h, w)))
    hover = "unit row %{customdata[0]}, col %{customdata[1]}<extra></extra>"
    # WebGL for big grids (ResNet's 112 x 112): thousands of SVG markers make the browser crawl.
    units = {"type": "scattergl" if h * w > 2500 else "scatter", "x": cols.tolist(), "y": rows.tolist(),
             "mode": "markers", "customdata": np.stack([rows, cols], axis=1).tolist(), "name": "units",
             "marker": {"symbol": "square", "size": side, "color": GRID_COLOUR}, "hovertemplate": hover}
    row, col = int(selected[0]), int(selected[1])
    # The chosen unit is a shape over its point: no per-point colour and width arrays to build and
    # send. A click on the square still selects the point under it.
    chosen = {"type": "rect", "x0": col - 0.4, "x1": col + 0.4, "y0": row - 0.4, "y1": row + 0.4,
              "fillcolor": UNIT_COLOUR, "line": {"width": 2, "color": "#111827"}, "layer": "above"}
    # No drag mode: a click then selects the point under it (with box-select on, clicks are lost).
    return _figure_dict(
        [units], height=height, title=title, clickmode="event+select", dragmode=False, showlegend=False,
        shapes=[chosen],
        xaxis={"range": [-0.5, w - 0.5], "showgrid": False, "zeroline": False, "title": {"text": "column"}},
        yaxis={"range": [h - 0.5, -0.5], "showgrid": False, "zeroline": False, "scaleanchor": "x",
               "title": {"text": "row"}},
    )


def field_size_chart(
    names: Sequence[str],
    sizes: Sequence[int],
    strides: Sequence[int],
    whole: Sequence[bool],
    *,
    input_size: int,
    highlight: str | None = None,
    height: int = 420,
) -> FigureDict:
    """Receptive field size per layer (bars) and effective stride (line), with the input size.

    Args:
        names: layer names in forward order.
        sizes: field size per layer (the larger of rows and columns), in input pixels.
        strides: effective stride per layer.
        whole: True where a layer sees the whole input (drawn grey: no finite field).
        input_size: the input's larger side, drawn as a dashed line.
        highlight: the chosen layer, drawn in red.
    """
    colours = [
        UNIT_COLOUR if name == highlight else ("#9ca3af" if is_whole else FIELD_COLOUR)
        for name, is_whole in zip(names, whole)
    ]
    positions = list(range(len(names)))
    bars = {"type": "bar", "x": positions, "y": [int(v) for v in sizes], "marker": {"color": colours},
            "name": "field size", "customdata": list(names), "hovertemplate": "%{customdata}<br>field %{y} px<extra></extra>"}
    line = {"type": "scatter", "x": positions, "y": [int(v) for v in strides], "mode": "lines+markers",
            "name": "effective stride", "line": {"color": "#f59e0b", "width": 3}, "hovertemplate": "stride %{y} px<extra></extra>"}
    # The input's size as a dashed line across the plot, named at its top left (plotly's add_hline).
    input_line = {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": input_size, "y1": input_size,
                  "line": {"dash": "dash", "color": "#111827"}}
    input_label = {"text": f"input: {input_size} px", "xref": "x domain", "x": 0, "xanchor": "left", "yref": "y",
                   "y": input_size, "yanchor": "bottom", "showarrow": False}
    # Upright labels, at most MOST_TICKS of them: at -45 degrees two dozen layer names overlapped
    # on a projector's half-width chart (~470 px: one 15 px line every ~39 px is clear).
    step = -(-len(names) // MOST_TICKS)
    figure = _figure_dict(
        [bars, line], height=height, title="", shapes=[input_line], annotations=[input_label], bargap=0.15,
        xaxis={"tickmode": "array", "tickvals": positions[::step], "ticktext": [_short(n) for n in names][::step],
               "tickangle": -90, "automargin": True, "title": {"text": "layer (forward order)"}},
        yaxis={"title": {"text": "input pixels"}},
    )
    figure["layout"]["legend"].update(orientation="h", y=1.12)
    return figure


MOST_TICKS = 12


def _short(name: str, limit: int = 18) -> str:
    return name if len(name) <= limit else "…" + name[-(limit - 1):]


def stack_lesson_chart(lesson: Mapping[str, Mapping], *, height: int = 380) -> go.Figure:
    """Field after each layer (left) and weights in units of C^2 (right) for each stack.

    Args:
        lesson: receptive.stacked_versus_single()'s result.
    """
    figure = make_subplots(rows=1, cols=2, subplot_titles=("field after each layer (px)", "weights (x C²)"))
    colours = ["#1d4ed8", "#dc2626", "#059669", "#7c3aed"]
    for (name, stack), colour in zip(lesson.items(), colours):
        fields = list(stack["fields"])
        figure.add_trace(
            go.Scatter(
                x=list(range(1, len(fields) + 1)), y=fields, mode="lines+markers+text", name=name,
                text=[str(f) for f in fields], textposition="top center", line={"color": colour, "width": 3},
                marker={"size": 11},
            ),
            row=1, col=1,
        )
        channels_squared = stack["layers"][0].channels ** 2
        figure.add_trace(
            go.Bar(
                x=[name], y=[stack["weights"] / channels_squared], marker_color=colour, showlegend=False,
                text=[f"{stack['weights'] // channels_squared} C²"], textposition="outside",
            ),
            row=1, col=2,
        )
    figure.update_xaxes(title_text="layers stacked", dtick=1, row=1, col=1)
    figure.update_xaxes(showticklabels=False, row=1, col=2)
    figure.update_yaxes(rangemode="tozero", row=1, col=1)
    figure.update_yaxes(rangemode="tozero", row=1, col=2)
    figure.update_layout(legend={"orientation": "h", "y": -0.15})
    _layout(figure, height=height)
    figure.update_layout(margin={"t": 60})  # room for the subplot titles
    return figure


COMPARISON_MEASURES = (
    ("parameters", "parameters (millions)", 1e6),
    ("mult_adds", "multiply-adds (billions)", 1e9),
    ("activation_mb", "activation memory (MB, fp32)", 1.0),
    ("final_field", "final receptive field (px)", 1.0),
)


def comparison_chart(summaries: Sequence[Mapping], *, height: int = 700) -> go.Figure:
    """Networks side by side: parameters, multiply-adds, activation memory, final receptive field.

    Args:
        summaries: one mapping per network with "name" and the keys of COMPARISON_MEASURES
            (parameters and mult_adds as plain counts, activation_mb in MB, final_field in px).
    """
    # The gap between the rows holds the upright names ("Network in Network"): at 0.2 of 520 px
    # they ran into the second row's titles.
    figure = make_subplots(rows=2, cols=2, subplot_titles=[title for _, title, _ in COMPARISON_MEASURES],
                           vertical_spacing=0.34)
    names = [summary["name"] for summary in summaries]
    for index, (key, _, scale) in enumerate(COMPARISON_MEASURES):
        values = [summary[key] / scale for summary in summaries]
        figure.add_trace(
            go.Bar(
                x=names, y=values, marker_color=FIELD_COLOUR, showlegend=False,
                text=[f"{v:.3g}" for v in values], textposition="outside", cliponaxis=False,
            ),
            row=index // 2 + 1, col=index % 2 + 1,
        )
    figure.update_yaxes(rangemode="tozero")
    # Upright names: across half the page, level ones ran into each other ("LeNet-5" into "CIFAR-10 CNN").
    figure.update_xaxes(tickangle=-90, automargin=True)  # automargin: the bottom row's names were cut on a projector
    _layout(figure, height=height)
    figure.update_layout(margin={"t": 60})  # room for the subplot titles
    return figure


GROWTH_COLOURS = ("#facc15", "#f97316", "#dc2626", "#a21caf", "#1d4ed8", "#0f172a")


def field_growth_on_image(
    image: np.ndarray, boxes: Sequence[tuple[str, tuple[int, int, int, int]]], *, height: int = 520, title: str = ""
) -> FigureDict:
    """Several layers' fields on one photo, nested: how far the centre unit sees, stage by stage.

    Args:
        image: (H, W) or (H, W, 3) floats in [0, 1].
        boxes: (label, (top, left, bottom, right)) per layer, shallow first; at most six are drawn.
        title: figure title.

    Returns:
        A figure with one coloured box per layer and a legend naming each (e.g. "layer1: 43 px").
    """
    pixels = _rgb_uint8(image)
    rows, cols = pixels.shape[:2]
    traces, shapes = [_picture_dict(pixels, hoverinfo="skip")], []
    extent = [0, 0, rows - 1, cols - 1]
    for (label, (top, left, bottom, right)), colour in zip(boxes, GROWTH_COLOURS):
        shapes.append({"type": "rect", "x0": left - 0.5, "x1": right + 0.5, "y0": top - 0.5, "y1": bottom + 0.5,
                       "line": {"color": colour, "width": 4}, "fillcolor": "rgba(0,0,0,0)", "layer": "above"})
        # An invisible line trace per box gives it a legend entry in the same colour.
        traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": label,
                       "line": {"color": colour, "width": 4}})
        extent = [min(extent[0], top), min(extent[1], left), max(extent[2], bottom), max(extent[3], right)]
    figure = _figure_dict(
        traces, height=height, title=title, shapes=shapes, showlegend=True,
        xaxis={"range": [extent[1] - 0.5, extent[3] + 0.5], "showgrid": False, "zeroline": False, "showticklabels": False},
        yaxis={"range": [extent[2] + 0.5, extent[0] - 0.5], "showgrid": False, "zeroline": False, "scaleanchor": "x",
               "showticklabels": False},
    )
    # The legend below the picture, not beside it: beside it, it took half a column's width and
    # left the photo a thumbnail.
    figure["layout"]["legend"].update(orientation="h", x=0, y=-0.02, yanchor="top")
    return figure
