"""The explained unit on its channel: the channel's map (inside_figures.channel_detail) made
clickable, one invisible marker per unit, with a red ring around the unit explained."""

from __future__ import annotations

import numpy as np

from cnnviz.figures.inside_figures import channel_detail
from cnnviz.figures.style import FigureDict

RING_COLOUR = "#dc2626"  # red: seen on every colour of the activation scale


def clickable_channel(values: np.ndarray, unit: tuple[int, int], *, title: str = "") -> FigureDict:
    """channel_detail(values) with a click target per unit (the second trace, its customdata
    [row, col], as lessons.inside.followed_click reads it) and a red ring around ``unit``."""
    figure = channel_detail(values, title=title)
    height, width = np.asarray(values).shape
    rows, cols = np.mgrid[0:height, 0:width]
    figure["data"].append({
        "type": "scatter", "mode": "markers", "x": cols.ravel().tolist(), "y": rows.ravel().tolist(),
        "customdata": np.stack([rows.ravel(), cols.ravel()], axis=1).tolist(),
        "text": [f"{v:.4f}" for v in np.asarray(values, dtype=np.float64).ravel()],
        # Its own hover (plotly selects no point of a trace whose hover is skipped), the value included.
        "hovertemplate": "row %{customdata[0]}, col %{customdata[1]}<br>value %{text}<br>click to explain<extra></extra>",
        # Square targets about a cell wide (the map is ~480 px tall): a click anywhere in a cell lands.
        "marker": {"size": max(6, min(60, 440 // max(height, width))), "symbol": "square", "color": "rgba(0,0,0,0)"},
        "showlegend": False, "name": "units",
    })
    row, col = unit
    ring = {"type": "rect", "x0": col - 0.5, "x1": col + 0.5, "y0": row - 0.5, "y1": row + 0.5,
            "line": {"color": RING_COLOUR, "width": 4}, "name": "explained unit"}
    figure["layout"]["shapes"] = [*figure["layout"].get("shapes", []), ring]
    return figure
