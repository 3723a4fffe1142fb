"""cnnviz.figures.conv_figures: the figures carry the numbers and overlays the page relies on."""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

from cnnviz import conv, kernels
from cnnviz.figures import conv_figures as cf


def decode(uri: str) -> np.ndarray:
    """Pixels of a data URI, (H, W, 3) uint8."""
    payload = uri.split(",", 1)[1]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(payload))).convert("RGB"))


def as_streamlit_sends_it(figure: go.Figure) -> dict:
    """Streamlit re-validates a figure from its dict before serialising it: do the same."""
    return go.Figure(figure.to_dict()).to_plotly_json()


def traces(figure: go.Figure, kind: str) -> list:
    return [trace for trace in figure.data if trace.type == kind]


def rects(figure: go.Figure) -> list[tuple[float, float, float, float]]:
    return [(s.x0, s.x1, s.y0, s.y1) for s in figure.layout.shapes]


def test_format_number():
    assert [cf.format_number(v) for v in (4.0, -3.0, 0.5, 1 / 9, 2.999, float("-inf"))] == [
        "4", "-3", "0.5", "0.11", "3", "-inf"]


def test_value_range_centres_signed_maps_on_zero():
    assert cf.value_range(np.array([-1.0, 3.0])) == (-3.0, 3.0, cf.SIGNED_COLOURS)
    low, high, scale = cf.value_range(np.array([2.0, 5.0]))
    assert (low, high, scale) == (0.0, 5.0, cf.PLAIN_COLOURS)
    assert cf.value_range(np.array([-np.inf, 1.0]))[:2] == (0.0, 1.0)


def test_colourise_maps_values_and_greys_out_padding():
    rgb = np.array([[[0.0, 1.0]], [[0.5, 1.0]], [[1.0, -np.inf]]])  # (3, 1, 2)
    pixels = cf.colourise(rgb, 0.0, 1.0, None)
    assert pixels[0, 0].tolist() == [0, 128, 255]
    assert pixels[0, 1].tolist() == list(cf._PADDING_RGB)
    grey = cf.colourise(np.array([[[0.0, 10.0]]]), 0.0, 10.0, "gray")
    assert grey[0, 0].max() <= 5 and grey[0, 1].min() >= 250  # black to white


def test_photo_layer_encodes_the_picture_and_subsamples_huge_ones():
    values = np.zeros((3, 40, 60), dtype=np.float32)
    values[0, :, :30] = 1.0  # left half red
    layer = cf.photo_layer(values)
    pixels = decode(layer.uri)
    assert pixels.shape == (40, 60, 3) and layer.step == 1 and layer.colour_scale is None
    assert pixels[10, 10].tolist() == [255, 0, 0] and pixels[10, 50].tolist() == [0, 0, 0]
    big = cf.photo_layer(np.random.default_rng(0).normal(size=(1, 2100, 300)))
    assert big.step == 3 and (big.height, big.width) == (2100, 300)
    assert decode(big.uri).shape == (700, 100, 3)
    assert big.colour_scale == cf.SIGNED_COLOURS and big.low == -big.high


def test_photo_figure_overlays():
    layer = cf.photo_layer(np.zeros((1, 100, 120)))
    window = (np.array([10, 12, 14]), np.array([20, 22, 24]))  # dilation 2
    figure = cf.photo_figure(layer, input_box=(5, 5, 90, 110), window=window, cell=(3, 4), clickable=True)
    as_streamlit_sends_it(figure)
    assert (19.5, 24.5, 9.5, 14.5) in rects(figure)  # the window
    assert (4.5, 114.5, 4.5, 94.5) in rects(figure)  # the original input, dashed
    assert (3.5, 4.5, 2.5, 3.5) in rects(figure)  # the output cell
    taps = [t for t in traces(figure, "scatter") if t.marker.symbol == "square-open"]
    assert len(taps) == 1 and len(taps[0].x) == 9  # every dilated tap marked
    targets = [t for t in traces(figure, "scatter") if t.name == "cells"][0]
    assert len(targets.x) <= cf.MAX_CLICK_TARGETS**2
    # The page reads a click's x and y as the output column and row: targets sit on cell centres.
    xs, ys = np.asarray(targets.x), np.asarray(targets.y)
    assert xs.dtype.kind == "i" and ys.dtype.kind == "i"
    assert xs.min() == 0 and ys.min() == 0 and xs.max() <= 119 and ys.max() <= 99
    assert len(set(zip(ys.tolist(), xs.tolist()))) == len(xs)
    assert figure.layout.yaxis.range == (99.5, -0.5)  # row 0 at the top


def test_grid_figure_shows_numbers_padding_and_clicks():
    x = kernels.example_grid("Classic 5x5 example")
    settings = conv.ConvSettings(kernel_size=3, padding=1)
    values, kinds = conv.sliding_grid(x[None], settings)
    figure = cf.grid_figure(values[0], kinds=kinds, input_box=(1, 1, 5, 5), window=conv.window_position(settings, 0, 0))
    as_streamlit_sends_it(figure)
    padding_trace, input_trace = traces(figure, "heatmap")
    padding_z = np.asarray(padding_trace.z, dtype=float)
    input_z = np.asarray(input_trace.z, dtype=float)
    assert np.isnan(padding_z).sum() == 25 and np.isnan(input_z).sum() == 7 * 7 - 25
    np.testing.assert_array_equal(input_z[1:6, 1:6], x)
    assert list(input_trace.text[1][1:6]) == ["1", "1", "1", "0", "0"]
    assert input_trace.textfont.size >= 18  # readable on a projector
    assert (-0.5, 2.5, -0.5, 2.5) in rects(figure)
    clickable = cf.grid_figure(np.arange(12.0).reshape(3, 4), clickable=True)
    targets = traces(clickable, "scatter")[0]
    assert sorted(zip(targets.y, targets.x)) == [(r, c) for r in range(3) for c in range(4)]


def test_window_figure_puts_window_kernel_and_products_side_by_side():
    x = kernels.example_grid("Classic 5x5 example")[None]
    kernel = kernels.make_kernel("Classic X (worked example)")[None, None]
    cell = conv.explain_cell(x, kernel, None, conv.ConvSettings(), 0, 1, 2)
    figure = cf.window_figure(cell.window, cell.kernel, cell.products, kinds=cell.kinds)
    as_streamlit_sends_it(figure)
    heatmaps = traces(figure, "heatmap")
    assert len(heatmaps) == 3
    window, kernel_panel, products = (np.asarray(h.z, dtype=float) for h in heatmaps)
    np.testing.assert_array_equal(products, window * kernel_panel)
    assert products.sum() == cell.value == 3
    assert heatmaps[2].x0 > heatmaps[1].x0 > heatmaps[0].x0  # left to right
    labels = [a.text for a in figure.layout.annotations]
    assert "<b>input window</b>" in labels and "×" in labels and "=" in labels


def test_window_figure_for_rgb_and_max_pooling():
    rgb = np.random.default_rng(0).random((3, 4, 4))
    figure = cf.window_figure(rgb, rgb, rgb * rgb, channel_names="RGB")
    assert len(traces(figure, "heatmap")) == 9
    assert {"<b>R</b>", "<b>G</b>", "<b>B</b>"} <= {a.text for a in figure.layout.annotations}
    settings = conv.ConvSettings(operation="max_pool", kernel_size=2, stride=2)
    cell = conv.explain_cell(np.arange(16.0).reshape(1, 4, 4), None, None, settings, 0, 0, 1)
    pooled = cf.window_figure(cell.window, None, None, argmax=cell.argmax)
    assert len(traces(pooled, "heatmap")) == 1
    channel, a, b = cell.argmax
    assert (b - 0.5, b + 0.5, a - 0.5, a + 0.5) in rects(pooled)
    assert cell.window[channel, a, b] == 7


def test_window_figure_numbers_fit_their_cells_in_the_picture_column():
    # The zoomed window shares a projector's row with the layer's settings (WINDOW_WIDTH_PX at its narrowest):
    # a photo's "-1.39" in the grid's big font ran into its neighbours.
    from cnnviz.figures.conv_figures import grids

    rgb = np.round(np.random.default_rng(1).uniform(-2, 2, (3, 3, 3)), 2)
    figure = cf.window_figure(rgb, rgb, rgb * rgb, channel_names="RGB")
    units = 3 * 3 + 2 * (1.0 + 0.15 * 3) + 1.6 + 0.5  # cells, the gaps between panels, the names' margin
    cell_px = grids.WINDOW_WIDTH_PX / units
    for trace in traces(figure, "heatmap"):
        longest = max(len(t) for row in trace.text for t in row)  # up to 5: "-1.39"
        # A digit is ~0.6 of the font wide; never below 10 px (the figure's floor).
        assert trace.textfont.size * 0.62 * longest <= cell_px or trace.textfont.size == 10, longest
    small = cf.window_figure(np.ones((1, 3, 3)), np.ones((1, 3, 3)), np.ones((1, 3, 3)))
    assert min(t.textfont.size for t in traces(small, "heatmap")) >= 18  # a grid's one-digit numbers stay big


def test_signal_figure_marks_the_window_and_the_output():
    signal = np.array([0, 1, 2, 3, 4, 5.0])
    kernel = np.array([1, 0, -1.0])
    output = conv.conv1d(signal, kernel, stride=1, padding=1, dilation=2)
    figure = cf.signal_figure(np.pad(signal, 1), kernel, output, position=1, dilation=2, padding=1)
    as_streamlit_sends_it(figure)
    inputs, outputs = traces(figure, "bar")
    amber = [x for x, colour in zip(inputs.x, inputs.marker.color) if colour == cf.WINDOW_COLOUR]
    assert amber == [0, 2, 4]  # taps n*S + m*D - P for n=1: 1-1, 3-1, 5-1
    assert [c == cf.WINDOW_COLOUR for c in outputs.marker.color] == [i == 1 for i in range(len(output))]
    assert inputs.marker.color[0] != cf.WINDOW_COLOUR  # padding drawn in its own colour
    bands = [(s.xref, s.x0 + 0.45) for s in figure.layout.shapes]  # visible even where x is 0
    assert bands == [("x", 0), ("x", 2), ("x", 4), ("x2", 1)]


def test_pointwise_figure_boxes_the_same_pixel_everywhere():
    patch = kernels.example_rgb_patch(5)
    weights = np.array([[1.0, 1, 1], [1, 0, -1]])
    out = conv.pointwise(patch, weights)
    figure = cf.pointwise_figure(patch, weights, out, pixel=(2, 3))
    as_streamlit_sends_it(figure)
    heatmaps = traces(figure, "heatmap")
    assert len(heatmaps) == 5
    np.testing.assert_array_equal(np.asarray(heatmaps[3].z, dtype=float), out[0])
    assert len(figure.layout.shapes) == 5
    panels = [(trace.x0, trace.y0) for trace in heatmaps]  # each panel's top-left cell
    assert [(shape.x0 - x0, shape.y0 - y0, shape.y1 - y0) for shape, (x0, y0) in zip(figure.layout.shapes, panels)] \
        == [(2.5, 1.5, 2.5)] * 5  # row 2, column 3 of every panel
    # Inputs in a row, outputs below: in one 33-cell strip a 5x5 panel's cells were ~11 px on a
    # 1024 px projector and their numbers overlapped. 20 cells across leave ~27 px for a 14 px "19".
    across = figure.layout.xaxis.range[1] - figure.layout.xaxis.range[0]
    assert across <= 20 and figure.layout.font.size is not None and heatmaps[0].textfont.size <= 14


@pytest.mark.parametrize("operation", ["conv", "transposed", "max_pool"])
def test_figures_for_every_operation_serialise(operation):
    x = np.random.default_rng(1).random((1, 6, 6))
    settings = conv.ConvSettings(operation=operation, kernel_size=3, stride=2, padding=1)
    weight = None if settings.is_pool else np.ones(settings.weight_shape())
    values, kinds = conv.sliding_grid(x, settings)
    cell = conv.explain_cell(x, weight, None, settings, 0, 1, 1)
    figures = [
        cf.grid_figure(values[0], kinds=kinds, window=(cell.grid_rows, cell.grid_cols)),
        cf.photo_figure(cf.photo_layer(values), window=(cell.grid_rows, cell.grid_cols)),
        cf.window_figure(cell.window, cell.kernel, cell.products, kinds=cell.kinds, argmax=cell.argmax),
    ]
    for figure in figures:
        assert as_streamlit_sends_it(figure)["layout"]["height"] > 100
    if operation == "transposed":
        assert (kinds == conv.INSERTED_CELL).any()
        inserted = [t for t in traces(figures[0], "heatmap") if t.colorscale[0][1] == cf.INSERTED_COLOUR]
        assert len(inserted) == 1
