"""The Inside page's Embeddings chart: a sample of test images as points in 2-D (PCA or t-SNE of
the network's penultimate features), one colour per class, the current image starred.

Every point's ``customdata`` is its test-image number, so a click (st.plotly_chart's on_select)
says which image to open. Plotly's hover cannot show a picture well, so the hover names the class
and the number, and the page shows the clicked image beside the chart.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from cnnviz.figures.style import FigureDict, figure_dict, plain

# One colour per class (D3's ten, as plotly's default), repeated past ten classes.
CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
CURRENT_COLOUR = "#000000"
POINT_SIZE = 7
CURRENT_SIZE = 20
HEIGHT = 560


def embedding_scatter(points, labels, indices, classes: Sequence[str], *, current: tuple[float, float] | None = None,
                      current_index: int | None = None, axis_titles: tuple[str, str] = ("", ""),
                      show_ticks: bool = True, title: str = "") -> FigureDict:
    """The sample's 2-D points, one trace per class (the legend names the classes), clickable.

    Args:
        points: (N, 2) coordinates; labels: (N,) classes; indices: (N,) test-image numbers.
        classes: K class names.
        current: where the page's image lies, drawn as a black star (None: not drawn).
        current_index: its test-image number (the star's customdata), or None for a photo.
        axis_titles: (x, y) titles; show_ticks: False for t-SNE, whose axes' numbers mean nothing.
        title: the figure's title.

    Returns:
        A FigureDict with one scatter per class present, then the star when ``current`` is given.
    """
    points = np.asarray(points, dtype=np.float64)
    labels, indices = np.asarray(labels), np.asarray(indices)
    traces = []
    for label in sorted(set(labels.tolist())):
        rows = np.flatnonzero(labels == label)
        name = plain(classes[label])
        traces.append({
            "type": "scatter", "mode": "markers", "name": name,
            "x": points[rows, 0].tolist(), "y": points[rows, 1].tolist(),  # lists: arrays arrive as typed dicts
            "customdata": indices[rows].tolist(),
            "marker": {"size": POINT_SIZE, "color": CLASS_COLOURS[label % len(CLASS_COLOURS)], "opacity": 0.8},
            "hovertemplate": f"{name}, test image #%{{customdata}}<br>click to open it<extra></extra>",
        })
    if current is not None:
        what = "this image" if current_index is None else f"this image (#{current_index})"
        traces.append({
            "type": "scatter", "mode": "markers", "name": what, "x": [current[0]], "y": [current[1]],
            "customdata": [current_index], "hovertemplate": f"{what}<extra></extra>",
            "marker": {"size": CURRENT_SIZE, "symbol": "star", "color": CURRENT_COLOUR,
                       "line": {"width": 2, "color": "#ffffff"}},
        })
    axis = {"showticklabels": show_ticks, "zeroline": False}
    return figure_dict(traces, height=HEIGHT, title=title, clickmode="event+select",
                       xaxis={"title": {"text": plain(axis_titles[0])}, **axis},
                       yaxis={"title": {"text": plain(axis_titles[1])}, **axis},
                       legend={"itemsizing": "constant"})
