"""The curve of a feature visualization: each picture's objective at every step of the ascent."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnviz.figures.style import layout, plain

LEGEND_UP_TO = 10  # more curves than this are told apart by hovering, not by a legend


def ascent_curve(values: np.ndarray, names: Sequence[str], *, y_title: str, height: int = 320) -> go.Figure:
    """One line per picture: ``values`` (steps, N), step 1 first; ``names`` one per picture."""
    values = np.asarray(values, dtype=float)
    steps = np.arange(1, values.shape[0] + 1)
    figure = go.Figure()
    for i, name in enumerate(names):
        figure.add_trace(go.Scatter(x=steps, y=values[:, i], mode="lines", name=plain(name),
                                    hovertemplate=f"{plain(name)}<br>step %{{x}}: %{{y:.3g}}<extra></extra>"))
    layout(figure, height=height)
    figure.update_layout(showlegend=len(names) <= LEGEND_UP_TO, xaxis_title="step", yaxis_title=plain(y_title),
                         legend={"font": {"size": 13}})
    return figure
