"""The Inside page's Distribution shift chart: test accuracy against how strongly the test images
were changed, with chance dotted for scale."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from cnnviz.figures.style import FigureDict, figure_dict, plain


def shift_accuracy_figure(strengths: Sequence[float], accuracies: Sequence[float], *, x_title: str,
                          chance: float, title: str = "") -> FigureDict:
    """Test accuracy (in %) against the strength of a change to the test images, with chance dotted."""
    x = np.asarray(strengths, dtype=np.float64)
    line = {"type": "scatter", "x": x, "y": np.asarray(accuracies, dtype=np.float64) * 100, "mode": "lines+markers",
            "name": "accuracy", "line": {"width": 3, "color": "#1f77b4"}, "marker": {"size": 9},
            "hovertemplate": "%{x:g}: %{y:.1f}%<extra></extra>"}
    floor = {"type": "scatter", "x": [x.min(), x.max()], "y": [chance * 100] * 2, "mode": "lines",
             "name": f"chance ({chance:.0%})", "line": {"dash": "dot", "color": "#7f7f7f"}, "hoverinfo": "skip"}
    return figure_dict([line, floor], height=340, title=title,
                       xaxis={"title": {"text": plain(x_title)}, "automargin": True},
                       yaxis={"title": {"text": "test accuracy (%)"}, "range": [0, 100], "automargin": True},
                       legend={"orientation": "h", "y": -0.3})
