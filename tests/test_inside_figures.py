"""cnnviz.figures.inside_figures: the figures hold the numbers they were given, and clicks say what.

The figures are plain dicts (what plotly.js reads); the tests read them as dicts, and check that
plotly's own validation, which st.plotly_chart runs on every dict, accepts each one.
"""

import math

import numpy as np
import plotly.graph_objects as go
import pytest

from cnnviz.figures import inside_figures as figs
from cnnviz.learned_kernels import kernel_pictures


def _valid(figure) -> dict:
    go.Figure(figure)  # raises on any property plotly does not know: what st.plotly_chart would do
    return figure


def test_probability_bars_sorted_with_the_true_label_marked():
    figure = _valid(figs.probability_bars([0.1, 0.6, 0.3], ["cat", "dog", "fox"], true_label=2))
    bar = figure["data"][0]
    assert list(bar["y"]) == ["dog", "fox (true label)", "cat"]
    np.testing.assert_allclose(bar["x"], [0.6, 0.3, 0.1])
    assert list(bar["marker"]["color"]) == ["#1f77b4", "#2ca02c", "#9e9e9e"]
    assert figure["layout"]["xaxis"]["title"]["text"] == "probability (softmax)"
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"  # most likely on top
    assert figure["layout"]["margin"]["r"] >= 50  # room for "100.0%" past a full bar (it was cut)
    assert figure["layout"]["xaxis"]["tickvals"] == [0, 0.5, 1.0]  # three ticks: no overlap in a narrow column
    top = figs.probability_bars([0.1, 0.6, 0.3, 0.0], ["a", "b", "c", "d"], true_label=3, top_k=1)
    assert list(top["data"][0]["y"]) == ["b", "d (true label)"]  # top-1 plus the true class


def _cell(figure, number: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the picture of layer `number` (1-based) in the overview's
    mosaic: what is drawn in the cell below its title."""
    title = figure["layout"]["annotations"][number - 1]
    cell, pitch = figs.OVERVIEW_CELL, figs.OVERVIEW_CELL + figs.OVERVIEW_CELL // 3
    x, y = round(title["x"] - (cell - 1) / 2), math.ceil(title["y"])
    drawn = ~np.isnan(np.asarray(figure["data"][0]["z"], dtype=float)[y:y + pitch, x:x + cell])
    rows, cols = np.nonzero(drawn)
    return y + rows.min(), y + rows.max() + 1, x + cols.min(), x + cols.max() + 1


def test_activation_overview_is_one_picture_with_a_cell_per_layer():
    pictures = [("c1", np.ones((4, 4))), ("act1", np.arange(24.0).reshape(4, 6)), ("fc", np.arange(10.0).reshape(1, 10))]
    figure = _valid(figs.activation_overview(pictures, ["Conv2d", "ReLU", "Linear"], selected="act1"))
    layout, traces = figure["layout"], figure["data"]
    assert len(traces) == 1  # one heatmap, not a subplot per layer: ResNet-18 has 61 layers
    tiles, custom = np.asarray(traces[0]["z"]), np.asarray(traces[0]["customdata"])
    # Short titles ("Conv2d" -> "Conv") fit a tile at 1024 px in presentation mode.
    assert [a["text"] for a in layout["annotations"]] == ["1. Conv", "2. ReLU", "3. Linear"]
    # The 4 x 6 map: each value repeated 4 x 4 (28 // 6), square pixels, its own colour scale.
    top, bottom, left, right = _cell(figure, 2)
    assert (bottom - top, right - left) == (16, 24)
    np.testing.assert_allclose(custom[top:bottom:4, left:right:4], np.arange(24.0).reshape(4, 6))
    assert tiles[top, left] == 0.0 and tiles[bottom - 1, right - 1] == 1.0
    assert layout["yaxis"]["scaleanchor"] == "x" and layout["yaxis"]["autorange"] == "reversed"
    assert np.all(tiles[slice(*_cell(figure, 1)[:2]), slice(*_cell(figure, 1)[2:])] == 0.5)  # a flat map: mid-scale
    # The 1 x 10 strip spans its cell's width (each value twice), a band a few rows tall.
    top, bottom, left, right = _cell(figure, 3)
    assert right - left == 20 and 1 < bottom - top < 14
    np.testing.assert_allclose(custom[top, left:right:2], np.arange(10.0))
    # The selected layer is framed; each title sits above its own cell, inside the picture.
    (frame,) = layout["shapes"]
    top, bottom, left, right = _cell(figure, 2)
    assert frame["line"]["color"] == "orange" and frame["x0"] < left and frame["x1"] > right - 1
    for number, annotation in enumerate(layout["annotations"], start=1):
        top, bottom, left, right = _cell(figure, number)
        assert left <= annotation["x"] <= right and 0 <= annotation["y"] < top
    assert "%{customdata:.3f}" in traces[0]["hovertemplate"]


@pytest.mark.parametrize("count", [8, 13, 20, 31])
def test_activation_overview_wraps_into_rows_of_five(count):
    pictures = [(f"l{i}", np.full((3, 3), float(i))) for i in range(count)]
    figure = _valid(figs.activation_overview(pictures))
    tops = [_cell(figure, number)[0] for number in range(1, count + 1)]
    lefts = [_cell(figure, number)[2] for number in range(1, count + 1)]
    assert len(set(tops[:5])) == 1 and tops[5] > tops[0]  # first row: 1..5, then 6 below them
    assert lefts[:5] == sorted(lefts[:5]) and lefts[5] == lefts[0]
    assert len(set(tops)) == -(-count // 5)  # as many rows as it takes


def test_activation_overview_draws_a_large_map_as_block_means():
    torch = pytest.importorskip("torch")
    big = np.random.default_rng(1).normal(size=(112, 110)).astype(np.float32)
    figure = _valid(figs.activation_overview([("conv1", big)]))
    top, bottom, left, right = _cell(figure, 1)
    pooled = torch.nn.functional.avg_pool2d(torch.from_numpy(big)[None, None], 4, ceil_mode=True)[0, 0].numpy()
    assert (bottom - top, right - left) == pooled.shape == (28, 28)  # 112 / 28 = 4
    np.testing.assert_allclose(np.asarray(figure["data"][0]["customdata"])[top:bottom, left:right], pooled, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("scale", figs.CHANNEL_SCALES)
def test_channel_grid_tiles_every_channel_and_reports_clicks(scale):
    output = np.stack([np.full((3, 3), float(c)) for c in range(5)])  # channel c is all c
    output[4, 0, 0] = 10.0
    figure = _valid(figs.channel_grid(output, scale=scale, global_range=(-10.0, 10.0), order=[4, 0, 1, 2, 3]))
    heat, markers = figure["data"]
    tiles = np.asarray(heat["z"], dtype=float)
    assert np.nanmin(tiles) >= 0 and np.nanmax(tiles) <= 1
    assert list(markers["customdata"]) == [4, 0, 1, 2, 3]
    custom = np.asarray(heat["customdata"])
    assert custom.dtype == np.float32  # half the bytes of float64 on the wire
    first_tile = (custom[..., 0] == 4)
    assert first_tile.sum() == 9 and custom[0, 0, 1] == 10.0  # channel 4 drawn first, raw value kept
    if scale == "layer":
        assert tiles[0, 0] == 1.0  # 10 is the layer's maximum
    elif scale == "global":
        assert tiles[0, 0] == pytest.approx(1.0) and np.nanmin(tiles) == pytest.approx(0.5)
    elif scale == "channel":
        assert tiles[0, 0] == 1.0 and np.nanmax(tiles[custom[..., 0] == 2]) == 0.0  # a flat channel
    else:
        pytest.fail(f"no expected tiles for the scale {scale!r}")
    assert figure["layout"]["clickmode"] == "event+select"


def test_channel_grid_shows_large_maps_as_block_means_as_torch_pools_them():
    torch = pytest.importorskip("torch")
    output = np.random.default_rng(0).normal(size=(4, 110, 99)).astype(np.float32)  # about ResNet-18 conv1 size, partial blocks at the ends
    figure = _valid(figs.channel_grid(output, scale="layer"))
    custom = np.asarray(figure["data"][0]["customdata"])
    block = 4  # ceil(112 / GRID_TILE_MAX)
    pooled = torch.nn.functional.avg_pool2d(torch.from_numpy(output)[None], block, ceil_mode=True)[0].numpy()
    assert pooled.shape == (4, 28, 25)
    tile = custom[..., 0] == 0  # channel 0 is the top-left tile
    assert tile.sum() == 28 * 25
    np.testing.assert_allclose(custom[:28, :25, 1], pooled[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(custom[tile][:, 1].reshape(28, 25), pooled[0], rtol=1e-5, atol=1e-6)
    assert "mean of 4x4 values" in figure["data"][0]["hovertemplate"]
    small = figs.channel_grid(output[:, :32, :20])  # small enough: every value itself
    assert "mean of" not in small["data"][0]["hovertemplate"] and np.asarray(small["data"][0]["z"]).shape == (2 * 32 + 4, 2 * 20 + 4)  # 2x2 tiles, gap 4


def test_channel_grid_refuses_flat_input_and_global_without_range():
    with pytest.raises(ValueError):
        figs.channel_grid(np.ones(10))
    with pytest.raises(ValueError):
        figs.channel_grid(np.ones((2, 3, 3)), scale="global")


def test_channel_detail_writes_numbers_only_when_small():
    small = _valid(figs.channel_detail(np.ones((5, 5)), title="c1, channel 2"))
    assert small["data"][0]["texttemplate"] == "%{z:.2f}" and small["layout"]["title"]["text"] == "c1, channel 2"
    assert "texttemplate" not in figs.channel_detail(np.ones((30, 30)))["data"][0]


def test_vector_bars_one_bar_per_unit_coloured_by_sign():
    bars = _valid(figs.vector_bars(np.array([0.5, -1.0]), labels=["cat", "dog"]))["data"][0]
    assert bars["x"] == ["cat", "dog"] and bars["marker"]["color"] == ["#1f77b4", "#d62728"]
    np.testing.assert_allclose(bars["y"], [0.5, -1.0])


def test_kernel_grids_rgb_and_signed():
    rng = np.random.default_rng(0)
    rgb = _valid(figs.kernel_grid(kernel_pictures(rng.normal(size=(10, 3, 5, 5)))))
    assert rgb["data"][0]["type"] == "image"
    pictures = kernel_pictures(rng.normal(size=(4, 2, 3, 3)), "symmetric")
    heat = _valid(figs.kernel_grid(pictures))["data"][0]
    assert (heat["zmin"], heat["zmax"]) == (-1.0, 1.0)
    assert np.asarray(heat["z"]).shape == (4 * 4 - 1, 2 * 4 - 1)  # rows out, columns in, 1-pixel gaps
    np.testing.assert_allclose(np.asarray(heat["z"], dtype=float)[4:7, 4:7], pictures.values[1, 1])
    assert heat["customdata"][4, 4].tolist() == [1, 1]  # hover names output 1, input 1
    grey = figs.kernel_grid(kernel_pictures(rng.normal(size=(10, 1, 5, 5)), "per_layer"))
    # One input channel: an about square block (4 a row), not a strip of tiles smaller than the bar.
    assert np.asarray(grey["data"][0]["z"]).shape == (3 * 6 - 1, 4 * 6 - 1)
    six = figs.kernel_grid(kernel_pictures(rng.normal(size=(6, 1, 5, 5)), "per_layer"))
    assert np.asarray(six["data"][0]["z"]).shape == (2 * 6 - 1, 3 * 6 - 1)  # LeNet's first layer: 3 x 2
    plot_height = six["layout"]["height"] - 90
    assert plot_height / 11 >= 16 and six["data"][0]["colorbar"]["thickness"] < plot_height / 2  # tile > bar


def test_attribution_overlay_puts_the_map_over_the_image():
    figure = _valid(figs.attribution_overlay(np.zeros((6, 6)), np.eye(6), raw=np.eye(6) * 3, title="Grad-CAM"))
    image, heat = figure["data"]
    assert np.asarray(image["z"]).shape == (6, 6, 3)
    np.testing.assert_allclose(heat["z"], np.eye(6))
    np.testing.assert_allclose(heat["customdata"], np.eye(6) * 3)
    assert figure["layout"]["yaxis"]["scaleanchor"] == "x"  # square pixels


def test_confusion_heatmap_counts_and_row_shares_with_clickable_cells():
    matrix = np.array([[3, 1], [0, 4]])
    counts = _valid(figs.confusion_heatmap(matrix, ["a", "b"]))
    np.testing.assert_allclose(counts["data"][0]["z"], matrix)
    assert counts["data"][0]["text"][0][0] == "3" and counts["data"][0]["text"][1][0] == ""
    rows = _valid(figs.confusion_heatmap(matrix, ["a", "b"], normalise="row"))
    np.testing.assert_allclose(rows["data"][0]["z"], [[0.75, 0.25], [0.0, 1.0]])
    cells = np.asarray(rows["data"][1]["customdata"])
    assert cells.tolist() == [0, 1, 2, 3]  # actual * K + predicted
    assert list(rows["data"][1]["x"]) == [0, 1, 0, 1] and list(rows["data"][1]["y"]) == [0, 0, 1, 1]


def test_confusion_heatmap_names_every_class_with_readable_digits():
    # Presentation mode dropped every other class label (auto ticks) and plotly shrank unsized
    # cell numbers to ~7 px: every class is a tick, and the digits have a fixed size of 14 px.
    classes = [f"class {i}" for i in range(10)]
    figure = _valid(figs.confusion_heatmap(np.eye(10, dtype=int) * 1000, classes))
    layout = figure["layout"]
    for axis in ("xaxis", "yaxis"):
        assert layout[axis]["tickmode"] == "array" and layout[axis]["ticktext"] == classes
        assert layout[axis]["tickvals"] == list(range(10))
    assert figure["data"][0]["textfont"]["size"] >= 14
    assert figure["data"][0]["showscale"] is False  # no colour bar narrowing the cells
