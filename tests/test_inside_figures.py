"""cnnviz.figures.inside_figures: the figures hold the numbers they were given, and clicks say what."""

import numpy as np
import pytest

from cnnviz.figures import inside_figures as figs
from cnnviz.learned_kernels import kernel_pictures


def test_probability_bars_sorted_with_the_true_label_marked():
    figure = figs.probability_bars([0.1, 0.6, 0.3], ["cat", "dog", "fox"], true_label=2)
    bar = figure.data[0]
    assert list(bar.y) == ["dog", "fox (true label)", "cat"]
    np.testing.assert_allclose(bar.x, [0.6, 0.3, 0.1])
    assert list(bar.marker.color) == ["#1f77b4", "#2ca02c", "#9e9e9e"]
    top = figs.probability_bars([0.1, 0.6, 0.3, 0.0], ["a", "b", "c", "d"], true_label=3, top_k=1)
    assert list(top.data[0].y) == ["b", "d (true label)"]  # top-1 plus the true class


def test_activation_overview_has_one_picture_per_layer():
    pictures = [("c1", np.ones((4, 4))), ("act1", np.zeros((4, 4))), ("fc", np.ones((1, 10)))]
    figure = figs.activation_overview(pictures, ["Conv2d", "ReLU", "Linear"], selected="act1")
    assert len(figure.data) == 3
    assert [a.text for a in figure.layout.annotations] == ["1. Conv2d", "2. ReLU", "3. Linear"]
    assert np.asarray(figure.data[2].z).shape == (1, 10)


@pytest.mark.parametrize("scale", figs.CHANNEL_SCALES)
def test_channel_grid_tiles_every_channel_and_reports_clicks(scale):
    output = np.stack([np.full((3, 3), float(c)) for c in range(5)])  # channel c is all c
    output[4, 0, 0] = 10.0
    figure = figs.channel_grid(output, scale=scale, global_range=(-10.0, 10.0), order=[4, 0, 1, 2, 3])
    heat, markers = figure.data
    tiles = np.asarray(heat.z, dtype=float)
    assert np.nanmin(tiles) >= 0 and np.nanmax(tiles) <= 1
    assert list(markers.customdata) == [4, 0, 1, 2, 3]
    custom = np.asarray(heat.customdata)
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


def test_channel_grid_refuses_flat_input_and_global_without_range():
    with pytest.raises(ValueError):
        figs.channel_grid(np.ones(10))
    with pytest.raises(ValueError):
        figs.channel_grid(np.ones((2, 3, 3)), scale="global")


def test_channel_detail_writes_numbers_only_when_small():
    assert figs.channel_detail(np.ones((5, 5))).data[0].texttemplate == "%{z:.2f}"
    assert figs.channel_detail(np.ones((30, 30))).data[0].texttemplate is None


def test_kernel_grids_rgb_and_signed():
    rng = np.random.default_rng(0)
    rgb = figs.kernel_grid(kernel_pictures(rng.normal(size=(10, 3, 5, 5))))
    assert rgb.data[0].type == "image"
    pictures = kernel_pictures(rng.normal(size=(4, 2, 3, 3)), "symmetric")
    signed = figs.kernel_grid(pictures)
    heat = signed.data[0]
    assert (heat.zmin, heat.zmax) == (-1.0, 1.0)
    assert np.asarray(heat.z).shape == (4 * 4 - 1, 2 * 4 - 1)  # rows out, columns in, 1-pixel gaps
    np.testing.assert_allclose(np.asarray(heat.z, dtype=float)[4:7, 4:7], pictures.values[1, 1])
    grey = figs.kernel_grid(kernel_pictures(rng.normal(size=(10, 1, 5, 5)), "per_layer"))
    assert np.asarray(grey.data[0].z).shape == (2 * 6 - 1, 8 * 6 - 1)  # one input channel: rows of 8


def test_attribution_overlay_puts_the_map_over_the_image():
    figure = figs.attribution_overlay(np.zeros((6, 6)), np.eye(6), raw=np.eye(6) * 3)
    image, heat = figure.data
    assert np.asarray(image.z).shape == (6, 6, 3)
    np.testing.assert_allclose(heat.z, np.eye(6))
    np.testing.assert_allclose(heat.customdata, np.eye(6) * 3)


def test_confusion_heatmap_counts_and_row_shares_with_clickable_cells():
    matrix = np.array([[3, 1], [0, 4]])
    counts = figs.confusion_heatmap(matrix, ["a", "b"])
    np.testing.assert_allclose(counts.data[0].z, matrix)
    assert counts.data[0].text[0][0] == "3" and counts.data[0].text[1][0] == ""
    rows = figs.confusion_heatmap(matrix, ["a", "b"], normalise="row")
    np.testing.assert_allclose(rows.data[0].z, [[0.75, 0.25], [0.0, 1.0]])
    cells = np.asarray(rows.data[1].customdata)
    assert cells.tolist() == [0, 1, 2, 3]  # actual * K + predicted
    assert list(rows.data[1].x) == [0, 1, 0, 1] and list(rows.data[1].y) == [0, 0, 1, 1]
