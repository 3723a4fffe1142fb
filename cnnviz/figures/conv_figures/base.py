"""What every convolution-lab figure shares: the colours, the number format, square-cell axes
and the figure assembled in one go."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from cnnviz.figures.style import FONT as _FONT


SIGNED_COLOURS = "RdBu_r"  # blue negative, white zero, red positive
PLAIN_COLOURS = "gray"  # photos and photo-sized maps: they should look like photos
GRID_COLOURS = [[0.0, "#f8fafc"], [1.0, "#6fa8f5"]]  # numeric grids: light, so dark numbers read
PADDING_COLOUR = "#cfd6df"  # padding cells: grey, clearly not part of the input
INSERTED_COLOUR = "#fde9a9"  # zeros inserted by a transposed convolution's stride
WINDOW_COLOUR = "#f59e0b"  # amber: the window and the output cell it lands in
ARGMAX_COLOUR = "#16a34a"  # green: the value max pooling picks
INPUT_EDGE_COLOUR = "#1d4ed8"  # dashed outline of the original input inside the padding
MAX_CLICK_TARGETS = 48  # per side on photo outputs: finer only slows building and the browser
MAX_DISPLAY_SIDE = 1024  # pictures larger than this are drawn subsampled
_PADDING_RGB = (207, 214, 223)  # PADDING_COLOUR as numbers, for pictures


def format_number(value: float) -> str:
    """Short text for a grid cell: whole numbers as such, others to 2 decimals; -inf as "-inf".

    >>> [format_number(v) for v in (4.0, 0.5, 1 / 9, -2.25, float("-inf"))]
    ['4', '0.5', '0.11', '-2.25', '-inf']
    """
    if not math.isfinite(value):
        return "-inf" if value < 0 else ("inf" if value > 0 else "nan")
    rounded = round(float(value), 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0")


def _texts(values: np.ndarray) -> list[list[str]]:
    return [[format_number(v) for v in row] for row in np.asarray(values, dtype=np.float64).tolist()]


def _numbers_font(columns: int) -> int:
    """Big numbers on small grids (projectors), smaller as the grid widens."""
    return int(np.clip(34 - 1.7 * columns, 10, 26))


def _figure(data: list, *, height: int, title: str = "", shapes=(), annotations=(), **layout) -> go.Figure:
    """Build the figure in one go (validated once): see cnnviz.figures.conv_figures on speed."""
    base = {
        "height": height,
        "margin": {"l": 8, "r": 8, "t": (52 + 30 * title.count("<br>")) if title else 8, "b": 8},
        "font": _FONT,
        "showlegend": False,
        "dragmode": False,
        "plot_bgcolor": "white",
        "shapes": list(shapes),
        "annotations": list(annotations),
    }
    if title:
        # Pinned below the top edge: a projector's bigger font must not rise out of the chart.
        base["title"] = {"text": title, "font": {"size": 18}, "y": 1, "yref": "container", "yanchor": "top",
                         "pad": {"t": 8}}
    base.update(layout)
    return go.Figure(data=data, layout=base)


def _picture_axes(height: float, width: float, x_from: float = -0.5, y_from: float = -0.5) -> dict:
    """Layout for square cells, row 0 at the top, no ticks: pictures, not plots."""
    common = {"showticklabels": False, "showgrid": False, "zeroline": False, "showline": False, "ticks": "",
              "constrain": "domain"}
    return {
        "xaxis": {**common, "range": [x_from, width - 0.5]},
        # Kept at the top of a tall chart, under its title: side by side, input and output line up.
        "yaxis": {**common, "range": [height - 0.5, y_from], "scaleanchor": "x", "constraintoward": "top"},
    }
