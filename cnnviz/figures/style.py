"""The house style every figure shares, so that one change (say, a presentation mode with larger
text) reaches every page."""

from __future__ import annotations

import plotly.graph_objects as go

FONT = {"size": 15}  # readable from the back of a lecture hall


def layout(figure: go.Figure, *, height: int, title: str = "") -> go.Figure:
    """Set the height, the shared font and tight margins (room for a title when there is one)."""
    figure.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 45 if title else 10, "b": 10},
        title={"text": title} if title else None, font=FONT,
    )
    return figure
