"""The house style every figure shares, so that one change (say, a presentation mode with larger
text) reaches every page."""

from __future__ import annotations

import html

import plotly.graph_objects as go

FONT = {"size": 15}  # readable from the back of a lecture hall


def plain(text) -> str:
    """Text for a figure's title, axis label, legend or hover, shown as exactly that text.

    Plotly reads a subset of HTML there (<a href>, <b>, <span style>), and class names come from
    checkpoints that anyone may upload: a class called '<a href="...">' must not become a link.
    """
    return html.escape(str(text), quote=False)


def layout(figure: go.Figure, *, height: int, title: str = "") -> go.Figure:
    """Set the height, the shared font and tight margins (room for a title when there is one)."""
    figure.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 45 if title else 10, "b": 10},
        title={"text": title} if title else None, font=FONT,
    )
    return figure


PROJECTOR_SCALE = 1.35  # presentation mode: text and heights grow by a third and a bit


def for_projector(figure: go.Figure, scale: float = PROJECTOR_SCALE) -> go.Figure:
    """A copy of `figure` for a projector: every font and the height times `scale`.

    A copy, because a figure may come out of a cache that other sessions share.
    """
    big = go.Figure(figure)
    base = big.layout.font.size or FONT["size"]
    big.update_layout(font={"size": round(base * scale)})
    if big.layout.height:
        big.update_layout(height=round(big.layout.height * scale))
    if big.layout.title.font.size:
        big.update_layout(title_font_size=round(big.layout.title.font.size * scale))
    for annotation in big.layout.annotations or ():
        if annotation.font.size:
            annotation.font.size = round(annotation.font.size * scale)
    for trace in big.data:
        textfont = getattr(trace, "textfont", None)
        if textfont is not None and textfont.size:
            trace.textfont.size = round(textfont.size * scale)
    return big


# ---------------------------------------------------------------------------------------------
# Figures as plain dicts: plotly.js reads the same JSON, and building it skips plotly's
# per-property validation (Inside's layer overview: 76 ms as objects, ~4 ms as a dict).


class _View:
    """Read-only attribute access into a figure dict (figure.layout.title.text), None when absent,
    as plotly's objects answer: code written for go.Figure can read a FigureDict."""

    def __init__(self, value: dict) -> None:
        self._value = value

    def __getattr__(self, name: str):
        value = self._value.get(name)
        if isinstance(value, list) and any(isinstance(item, dict) for item in value):
            return [_View(item) if isinstance(item, dict) else item for item in value]  # shapes, annotations
        return _View(value) if isinstance(value, dict) else value

    def __bool__(self) -> bool:
        return bool(self._value)


class FigureDict(dict):
    """A figure as the dict plotly.js draws ({"data": [...], "layout": {...}}); st.plotly_chart
    takes it as it is. ``.layout`` and ``.data`` read it the way go.Figure does."""

    @property
    def layout(self) -> _View:
        return _View(self.setdefault("layout", {}))

    @property
    def data(self) -> list:
        return [_View(trace) for trace in self.get("data", [])]

    def to_json(self) -> str:
        import plotly.io

        return plotly.io.to_json(dict(self), validate=False)


def figure_dict(traces: list[dict], *, height: int, title: str = "", **layout_keys) -> FigureDict:
    """A FigureDict with the house font, tight margins and a title when there is one (as ``layout``)."""
    layout_keys = {
        "height": height, "margin": {"l": 10, "r": 10, "t": 45 if title else 10, "b": 10}, "font": dict(FONT),
        **({"title": {"text": title}} if title else {}), **layout_keys,
    }
    return FigureDict(data=traces, layout=layout_keys)


# Pictures, not plots: pixels square, row 0 at the top, no tick labels.
IMAGE_X_AXIS = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False, "constrain": "domain"}
IMAGE_Y_AXIS = {**IMAGE_X_AXIS, "autorange": "reversed", "scaleanchor": "x"}
