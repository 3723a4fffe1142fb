"""Figures for the training page: loss and accuracy curves, a learning-rate comparison, the
first layer's kernels and the confusion matrix. Plain functions from numbers to figure dicts
(style.FigureDict): the live view redraws them every second, and a dict skips plotly's validation.

Curves use epochs on the x axis (step 150 of 300 per epoch -> 0.5), so per-step training loss and
per-epoch test results share one axis.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from cnnviz.figures.style import FONT as _FONT, FigureDict, plain

TRAIN_COLOUR = "#1f77b4"
TEST_COLOUR = "#d62728"
MEMBER_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
WEIGHT_PX = 18  # on-screen pixels per kernel weight: each weight a visible square at 1280 x 720
CELL_FONT = {"size": 14}  # confusion-matrix numbers; unsized, plotly shrinks them to ~7 px to fit


def _figure(traces: list[dict], *, height: int, title: str, x_title: str = "", y_title: str = "",
            **layout_keys) -> FigureDict:
    layout = {
        "title": {"text": title}, "height": height, "font": dict(_FONT), "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "legend": {"orientation": "h", "y": -0.2}, "uirevision": "keep",  # zoom survives the live updates
        # automargin: on a projector's larger font the axis titles were cut at the left ("cross-").
        "xaxis": {"title": {"text": x_title}, "automargin": True}, "yaxis": {"title": {"text": y_title}, "automargin": True},
    }
    for axis in ("xaxis", "yaxis"):
        layout[axis].update(layout_keys.pop(axis, {}))
    return FigureDict(data=traces, layout={**layout, **layout_keys})


def _line(x, y, name: str, colour: str, width: int, mode: str = "lines+markers", **keys) -> dict:
    # Arrays, not lists: plotly checks an array's dtype once where it checks a list item by item.
    return {"type": "scatter", "x": np.asarray(x, dtype=np.float64), "y": np.asarray(y, dtype=np.float64),
            "mode": mode, "name": name,
            "line": {"color": colour, "width": width}, **keys}


def loss_figure(curves: dict[str, list[float]], *, title: str = "Loss") -> FigureDict:
    """Training loss per step (thin line) and per epoch, test loss per epoch.

    Args:
        curves: RunSummary.curves(): step_x, step_loss, epoch_x, train_loss, test_loss.
    """
    traces = [
        _line(curves["step_x"], curves["step_loss"], "train (live)", TRAIN_COLOUR, 1, "lines", opacity=0.5),
        _line(curves["epoch_x"], curves["train_loss"], "train (epoch mean)", TRAIN_COLOUR, 3),
        _line(curves["epoch_x"], curves["test_loss"], "test", TEST_COLOUR, 3),
    ]
    return _figure(traces, height=340, title=title, x_title="epoch", y_title="cross-entropy")


def accuracy_gap(curves: dict[str, list[float]]) -> tuple[float, float, float] | None:
    """(epoch, train %, test %) at the last epoch with both, or None: where the chart names the gap."""
    pairs = [(x, train, test) for x, train, test in zip(curves["epoch_x"], curves["train_accuracy"],
                                                        curves["test_accuracy"]) if train is not None and test is not None]
    if not pairs:
        return None
    x, train, test = pairs[-1]
    return x, 100 * train, 100 * test


def gap_text(train: float, test: float) -> str:
    """The chart's label between the two curves: "gap 12.3 points: overfitting" when train is ahead."""
    gap = train - test
    return f"gap {gap:.1f} points" + (": overfitting" if gap >= 5 else "")


def accuracy_figure(curves: dict[str, list[float]], *, title: str = "Accuracy") -> FigureDict:
    """Train and test accuracy (in %) after each epoch; the gap between them at the last epoch is
    drawn and named (train far ahead of test is overfitting)."""
    traces = [_line(curves["epoch_x"], [100 * v for v in curves[key]], name, colour, 3)
              for key, name, colour in (("train_accuracy", "train", TRAIN_COLOUR), ("test_accuracy", "test", TEST_COLOUR))]
    annotations = []
    if (gap := accuracy_gap(curves)) is not None:
        x, train, test = gap
        traces.append({"type": "scatter", "x": [x, x], "y": [train, test], "mode": "lines", "showlegend": False,
                       "line": {"color": "#7f7f7f", "dash": "dot", "width": 2}, "hoverinfo": "skip"})
        annotations.append({"x": x, "y": (train + test) / 2, "text": gap_text(train, test), "showarrow": False,
                            "xanchor": "right", "xshift": -8, "font": {"size": _FONT["size"]},
                            "bgcolor": "rgba(255, 255, 255, 0.85)"})  # readable over the curves
    return _figure(traces, height=340, title=title, x_title="epoch", y_title="accuracy", yaxis={"ticksuffix": "%"},
                   annotations=annotations)


def lr_comparison_figure(members: Sequence[tuple[str, dict[str, list[float]], str]]) -> FigureDict:
    """Overlay the training loss of runs that differ only in learning rate.

    Args:
        members: (label, curves, note) per run, e.g. ("lr 1", curves, "diverged"); a non-empty
            note is added to the legend entry, so the diverging one says so.
    """
    traces = []
    for index, (label, curves, note) in enumerate(members):
        name = f"{label} ({note})" if note else label
        # A diverged run's last losses can be huge or infinite; clip so the others stay readable.
        losses = [min(v, 10.0) if math.isfinite(v) else 10.0 for v in curves["step_loss"]]
        # A run that diverged at once has a single point, which a line alone never draws.
        colour = MEMBER_COLOURS[index % len(MEMBER_COLOURS)]
        traces.append(_line(curves["step_x"], losses, name, colour, 2,
                            "lines+markers" if len(losses) == 1 else "lines", marker={"size": 10}))
        if note == "diverged" and losses:  # where it ended: a cross on its last loss, named
            traces.append({"type": "scatter", "x": [curves["step_x"][-1]], "y": [losses[-1]], "mode": "markers+text",
                           "marker": {"symbol": "x", "size": 16, "color": colour}, "text": [f"{label} diverged here"],
                           "textposition": "bottom right", "showlegend": False, "hoverinfo": "skip",
                           "textfont": {"color": colour}})
    return _figure(traces, height=380, title="Training loss by learning rate (clipped at 10)",
                   x_title="epoch", y_title="cross-entropy")


def member_epoch_figure(members: Sequence[tuple[str, dict[str, list[float]], str]], key: str, *, title: str,
                        y_title: str, percent: bool = False) -> FigureDict:
    """Overlay one per-epoch curve (``key`` of RunSummary.curves(), e.g. "test_accuracy") of runs
    trained with the same budget, e.g. frozen features against from scratch.

    Args:
        members: (label, curves, note) per run; a non-empty note is added to the legend entry.
        percent: the values are fractions, drawn in %.
    """
    traces = []
    for index, (label, curves, note) in enumerate(members):
        values = [100 * v if percent else v for v in curves[key]]
        traces.append(_line(curves["epoch_x"], values, f"{label} ({note})" if note else label,
                            MEMBER_COLOURS[index % len(MEMBER_COLOURS)], 3, marker={"size": 8}))
    return _figure(traces, height=380, title=title, x_title="epoch", y_title=y_title,
                   yaxis={"ticksuffix": "%"} if percent else {}, legend={"orientation": "h", "y": -0.25, "x": 0})


def kernel_columns(count: int) -> int:
    """Tiles per row of the kernel mosaic: about square (6 kernels: 3 x 2), so each tile is large."""
    return max(1, math.ceil(math.sqrt(count)))


def kernel_mosaic(kernels: Sequence, *, max_kernels: int = 64, columns: int | None = None) -> np.ndarray:
    """Tile first-layer kernels into one picture, one kernel per tile, NaN gaps between tiles.

    Args:
        kernels: (C_out, C_in, F, F) nested lists or an array.
        max_kernels: draw at most this many output channels.
        columns: tiles per row; default ``kernel_columns`` of the count.

    Returns:
        (rows * (F + 1) - 1, columns * (F + 1) - 1) floats for C_in != 3 (the mean over input
        channels), or the same with a trailing axis of 3 (RGB in [0, 1], each kernel stretched
        to its own range) for colour input.
    """
    weights = np.asarray(kernels, dtype=np.float32)[:max_kernels]  # (K, C_in, F, F)
    k, c_in, f, _ = weights.shape
    columns = min(columns or kernel_columns(k), k)
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


def kernel_figure(kernels: Sequence, *, title: str = "First-layer kernels") -> FigureDict:
    """The first conv layer's kernels as a grid: blue negative, white zero, red positive
    (colour input: each kernel as an RGB picture). Tall enough for WEIGHT_PX per weight, with a
    slim colour bar, so a tile is larger than the bar beside it."""
    mosaic = kernel_mosaic(kernels)
    if mosaic.ndim == 3:
        trace = {"type": "image", "z": (mosaic * 255).astype(np.uint8), "hovertemplate": "weight at x %{x}, y %{y}<extra></extra>"}
    else:
        limit = float(np.nanmax(np.abs(mosaic))) or 1.0
        trace = {"type": "heatmap", "z": mosaic, "colorscale": "RdBu_r", "zmin": -limit, "zmax": limit, "zmid": 0,
                 "hovertemplate": "weight %{z:.3f}<extra></extra>", "colorbar": {"thickness": 12, "len": 0.8}}
    hidden = {"visible": False, "constrain": "domain"}
    return _figure([trace], height=min(640, 100 + WEIGHT_PX * mosaic.shape[0]), title=title,
                   xaxis=hidden, yaxis={**hidden, "autorange": "reversed", "scaleanchor": "x"})


def confusion_figure(matrix: Sequence[Sequence[int]], classes: Sequence[str], *,
                     title: str = "Confusion matrix (test set)") -> FigureDict:
    """Counts of test images by actual (rows) and predicted (columns) class; the diagonal is right.
    Every class is named on both axes (auto ticks dropped every other one on a projector)."""
    counts = np.asarray(matrix, dtype=np.int64)
    labels = [plain(name) for name in classes]
    k = len(labels)
    heat = {"type": "heatmap", "z": counts.astype(np.int32), "x": labels, "y": labels, "colorscale": "Blues",
            "texttemplate": "%{z}", "textfont": dict(CELL_FONT), "showscale": False,  # the cells say the counts
            "hovertemplate": "actual %{y}<br>predicted %{x}<br>%{z} images<extra></extra>"}
    ticks = {"tickmode": "array", "tickvals": labels, "ticktext": labels}
    return _figure([heat], height=200 + 36 * k, title=title, x_title="predicted", y_title="actual",
                   xaxis={"tickangle": -45, **ticks}, yaxis={"autorange": "reversed", **ticks})


def dropout_figure(evaluation: Sequence[float], training: Sequence[float], *, title: str = "") -> FigureDict:
    """One layer's values through dropout: evaluation mode (unchanged) beside training mode (some
    zeroed, the rest scaled up), as grouped bars, one pair per value."""
    index = np.arange(len(evaluation))
    bars = [{"type": "bar", "x": index, "y": np.asarray(values, dtype=np.float64), "name": name, "marker": {"color": colour},
             "hovertemplate": f"value %{{x}}: %{{y:.3f}}<extra>{name}</extra>"}
            for values, name, colour in ((evaluation, "evaluation (unchanged)", TEST_COLOUR),
                                         (training, "training (dropout on)", TRAIN_COLOUR))]
    return _figure(bars, height=320, title=plain(title), x_title="value number", y_title="value", barmode="group")
