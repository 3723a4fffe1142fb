"""cnnviz.figures.training_figures: what the Training page's charts draw (figure dicts, read as
dicts; plotly's validation, which st.plotly_chart runs, must accept each one)."""

import numpy as np
import plotly.graph_objects as go
import pytest

from cnnviz.figures import training_figures as figures

CURVES = {"step_x": [0.5, 1.0], "step_loss": [2.3, 1.1], "epoch_x": [1.0], "train_loss": [1.4], "test_loss": [1.2],
          "train_accuracy": [0.6], "test_accuracy": [0.7]}


def test_a_run_that_diverged_at_its_first_step_is_drawn_as_a_point_in_the_comparison():
    # One loss only (it diverged at once): a line alone draws nothing, so the legend would name a
    # curve no one can see. Infinite losses are clipped to 10 so the others stay readable.
    figure = figures.lr_comparison_figure([
        ("lr 1", {"step_x": [0.05], "step_loss": [float("inf")]}, "diverged"),
        ("lr 0.1", {"step_x": [0.05, 0.10, 0.15], "step_loss": [2.3, 1.2, 0.9]}, ""),
    ])
    go.Figure(figure)
    diverged, cross, steady = figure["data"]
    assert diverged["name"] == "lr 1 (diverged)" and diverged["mode"] == "lines+markers"
    assert list(diverged["y"]) == [10.0]
    # Where it ended: a cross on its last (clipped) loss, named on the chart.
    assert (cross["x"], cross["y"], cross["text"]) == ([0.05], [10.0], ["lr 1 diverged here"])
    assert cross["marker"]["symbol"] == "x" and cross["showlegend"] is False
    assert steady["mode"] == "lines" and list(steady["y"]) == [2.3, 1.2, 0.9]


def test_loss_and_accuracy_curves_hold_the_runs_numbers_on_labelled_axes():
    loss = figures.loss_figure(CURVES)
    go.Figure(loss)
    assert [t["name"] for t in loss["data"]] == ["train (live)", "train (epoch mean)", "test"]
    assert list(loss["data"][0]["y"]) == [2.3, 1.1] and list(loss["data"][2]["y"]) == [1.2]
    assert loss["layout"]["xaxis"]["title"]["text"] == "epoch"
    assert loss["layout"]["uirevision"] == "keep"  # the student's zoom survives the live redraw
    assert loss["layout"]["yaxis"]["automargin"] is True  # "cross-entropy" not cut on a projector
    accuracy = figures.accuracy_figure(CURVES)
    go.Figure(accuracy)
    assert [list(t["y"]) for t in accuracy["data"][:2]] == [[60.0], [70.0]]
    assert accuracy["layout"]["yaxis"]["ticksuffix"] == "%"


def test_the_gap_between_train_and_test_accuracy_is_drawn_and_named_at_the_last_epoch():
    overfit = {**CURVES, "epoch_x": [1.0, 2.0, 3.0], "train_accuracy": [0.8, 0.95, 0.995],
               "test_accuracy": [0.78, 0.84, 0.851]}
    figure = figures.accuracy_figure(overfit)
    go.Figure(figure)
    gap_line = figure["data"][2]
    assert (gap_line["x"], gap_line["y"]) == ([3.0, 3.0], [pytest.approx(99.5), pytest.approx(85.1)])
    (label,) = figure["layout"]["annotations"]
    assert label["text"] == "gap 14.4 points: overfitting" and label["y"] == pytest.approx((99.5 + 85.1) / 2)
    close = figures.accuracy_figure(CURVES)["layout"]["annotations"][0]["text"]
    assert close == "gap -10.0 points"  # test ahead of train (dropout, augmentation): no overfitting named
    assert figures.accuracy_figure({**CURVES, "epoch_x": [], "train_accuracy": [], "test_accuracy": []})[
        "layout"]["annotations"] == []


@pytest.mark.parametrize("count, size", [(6, 5), (16, 5), (32, 3)])
def test_first_layer_kernels_are_drawn_large_enough_to_see_each_weight(count, size):
    # They were 33 px tiles in a row of 8, smaller than their colour bar: the mosaic is about
    # square and the figure tall enough for WEIGHT_PX screen pixels per weight.
    weights = np.random.default_rng(0).normal(size=(count, 1, size, size))
    figure = figures.kernel_figure(weights)
    go.Figure(figure)
    mosaic = np.asarray(figure["data"][0]["z"])
    rows = mosaic.shape[0] // size
    assert abs(mosaic.shape[0] - mosaic.shape[1]) <= size + 1  # about square, not one long strip
    plot_height = figure["layout"]["height"] - 100  # less the title and the bottom margin
    assert plot_height / mosaic.shape[0] >= 16 and plot_height / rows >= 48  # px per weight, per tile
    assert figure["layout"]["yaxis"]["scaleanchor"] == "x"  # square weights
    assert figure["data"][0]["colorbar"]["thickness"] < plot_height / rows  # the bar slimmer than a tile
    np.testing.assert_allclose(mosaic[:size, :size], weights[0, 0])  # kernel 0, top left


def test_confusion_matrix_names_every_class_with_readable_numbers():
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    matrix = np.arange(100).reshape(10, 10)
    figure = figures.confusion_figure(matrix, classes)
    go.Figure(figure)
    heat, layout = figure["data"][0], figure["layout"]
    np.testing.assert_array_equal(heat["z"], matrix)
    assert heat["texttemplate"] == "%{z}" and heat["textfont"]["size"] >= 14
    assert heat["showscale"] is False  # no colour bar taking the cells' width: they say their counts
    assert heat["x"] == classes and heat["y"] == classes
    for axis in ("xaxis", "yaxis"):  # every label, none dropped for lack of room
        assert layout[axis]["tickmode"] == "array" and layout[axis]["ticktext"] == classes
    assert layout["yaxis"]["autorange"] == "reversed"  # the first class on top
