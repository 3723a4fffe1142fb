"""Figures for the training page: loss and accuracy curves, a learning-rate comparison, the
first layer's kernels and the confusion matrix. Plain functions from numbers to plotly figures.

Curves use epochs on the x axis (step 150 of 300 per epoch -> 0.5), so per-step training loss and
per-epoch test results share one axis.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.figures.style import FONT as _FONT

TRAIN_COLOUR = "#1f77b4"
TEST_COLOUR = "#d62728"
MEMBER_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _layout(figure: go.Figure, *, height: int, title: str, x_title: str = "", y_title: str = "") -> go.Figure:
    figure.update_layout(
        title=title, height=height, font=_FONT, margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.2}, uirevision="keep",  # zoom survives the live updates
        xaxis_title=x_title, yaxis_title=y_title,
    )
    return figure


def loss_figure(curves: dict[str, list[float]], *, title: str = "Loss") -> go.Figure:
    """Training loss per step (thin line) and per epoch, test loss per epoch.

    Args:
        curves: RunSummary.curves(): step_x, step_loss, epoch_x, train_loss, test_loss.
    """
    figure = go.Figure()
    figure.add_scatter(x=curves["step_x"], y=curves["step_loss"], mode="lines", name="train (live)",
                       line={"color": TRAIN_COLOUR, "width": 1}, opacity=0.5)
    figure.add_scatter(x=curves["epoch_x"], y=curves["train_loss"], mode="lines+markers",
                       name="train (epoch mean)", line={"color": TRAIN_COLOUR, "width": 3})
    figure.add_scatter(x=curves["epoch_x"], y=curves["test_loss"], mode="lines+markers", name="test",
                       line={"color": TEST_COLOUR, "width": 3})
    return _layout(figure, height=340, title=title, x_title="epoch", y_title="cross-entropy")


def accuracy_figure(curves: dict[str, list[float]], *, title: str = "Accuracy") -> go.Figure:
    """Train and test accuracy (in %) after each epoch; a gap between them is overfitting."""
    figure = go.Figure()
    for key, name, colour in (("train_accuracy", "train", TRAIN_COLOUR), ("test_accuracy", "test", TEST_COLOUR)):
        figure.add_scatter(x=curves["epoch_x"], y=[100 * v for v in curves[key]], mode="lines+markers",
                           name=name, line={"color": colour, "width": 3})
    figure.update_yaxes(ticksuffix="%")
    return _layout(figure, height=340, title=title, x_title="epoch", y_title="accuracy")


def lr_comparison_figure(members: Sequence[tuple[str, dict[str, list[float]], str]]) -> go.Figure:
    """Overlay the training loss of runs that differ only in learning rate.

    Args:
        members: (label, curves, note) per run, e.g. ("lr 1", curves, "diverged"); a non-empty
            note is added to the legend entry, so the diverging one says so.
    """
    figure = go.Figure()
    for index, (label, curves, note) in enumerate(members):
        name = f"{label} ({note})" if note else label
        # A diverged run's last losses can be huge or infinite; clip so the others stay readable.
        losses = [min(v, 10.0) if math.isfinite(v) else 10.0 for v in curves["step_loss"]]
        # A run that diverged at once has a single point, which a line alone never draws.
        figure.add_scatter(x=curves["step_x"], y=losses, mode="lines+markers" if len(losses) == 1 else "lines",
                           name=name, line={"color": MEMBER_COLOURS[index % len(MEMBER_COLOURS)], "width": 2},
                           marker={"size": 10})
    return _layout(figure, height=380, title="Training loss by learning rate (clipped at 10)",
                   x_title="epoch", y_title="cross-entropy")


def kernel_mosaic(kernels: Sequence, *, max_kernels: int = 64, columns: int = 8) -> np.ndarray:
    """Tile first-layer kernels into one picture, one kernel per tile, NaN gaps between tiles.

    Args:
        kernels: (C_out, C_in, F, F) nested lists or an array.
        max_kernels: draw at most this many output channels.
        columns: tiles per row.

    Returns:
        (rows * (F + 1) - 1, columns * (F + 1) - 1) floats for C_in != 3 (the mean over input
        channels), or the same with a trailing axis of 3 (RGB in [0, 1], each kernel stretched
        to its own range) for colour input.
    """
    weights = np.asarray(kernels, dtype=np.float32)[:max_kernels]  # (K, C_in, F, F)
    k, c_in, f, _ = weights.shape
    columns = min(columns, k)
    rows = math.ceil(k / columns)
    colour = c_in == 3
    shape = (rows * (f + 1) - 1, columns * (f + 1) - 1) + ((3,) if colour else ())
    mosaic = np.full(shape, np.nan if not colour else 1.0, dtype=np.float32)
    for index in range(k):
        r, c = divmod(index, columns)
        top, left = r * (f + 1), c * (f + 1)
        if colour:
            tile = weights[index].transpose(1, 2, 0)  # (3, F, F) -> (F, F, 3)
            low, high = tile.min(), tile.max()
            mosaic[top:top + f, left:left + f] = (tile - low) / (high - low) if high > low else 0.5
        else:
            mosaic[top:top + f, left:left + f] = weights[index].mean(axis=0)
    return mosaic


def kernel_figure(kernels: Sequence, *, title: str = "First-layer kernels") -> go.Figure:
    """The first conv layer's kernels as a grid: blue negative, white zero, red positive
    (colour input: each kernel as an RGB picture)."""
    mosaic = kernel_mosaic(kernels)
    figure = go.Figure()
    if mosaic.ndim == 3:
        figure.add_image(z=(mosaic * 255).astype(np.uint8))
    else:
        limit = float(np.nanmax(np.abs(mosaic))) or 1.0
        figure.add_heatmap(z=mosaic, colorscale="RdBu_r", zmin=-limit, zmax=limit, zmid=0,
                           hovertemplate="weight %{z:.3f}<extra></extra>")
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return _layout(figure, height=320, title=title)


def confusion_figure(matrix: Sequence[Sequence[int]], classes: Sequence[str], *, title: str = "Confusion matrix (test set)") -> go.Figure:
    """Counts of test images by actual (rows) and predicted (columns) class; the diagonal is right."""
    counts = np.asarray(matrix, dtype=np.int64)
    labels = list(classes)
    figure = go.Figure()
    figure.add_heatmap(z=counts, x=labels, y=labels, colorscale="Blues", text=counts, texttemplate="%{text}",
                       hovertemplate="actual %{y}<br>predicted %{x}<br>%{z} images<extra></extra>")
    figure.update_xaxes(title="predicted", tickangle=-45)
    figure.update_yaxes(title="actual", autorange="reversed")
    return _layout(figure, height=460, title=title)
