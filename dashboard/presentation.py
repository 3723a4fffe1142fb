"""Presentation mode and the one way pages show a figure.

One switch in the sidebar (kept in the link as ``?present=true``, so a lecturer can bookmark it)
turns the dashboard into its projector form: larger text and figures, Streamlit's toolbar and the
help icons hidden, and each page's secondary controls folded into a "More settings" expander.
Every figure goes through ``plot`` so that it gets the projector scale and a PNG download button.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager

import plotly.graph_objects as go
import streamlit as st

from cnnviz.figures import style
from dashboard import links
from dashboard.markup import escape

KEY = "present"

# Larger root font (the whole UI is sized in rem), full width, no toolbar, no help icons beside
# labels (only there: a button with help is wrapped in the same tooltip element, and must stay).
# The sidebar toggle stays reachable. Colours come from the theme, so light and dark both work.
# The element names are Streamlit's own (dashboard.internals.TEST_IDS, checked by its test).
# Both modes: text that does not fit its box wraps instead of ending in "..." (Streamlit sets
# buttons', metrics' and labels' text on one line); a word longer than its box breaks. A button's
# icon and label may take two lines, so that a narrow column's buttons still read "Back", not "B.".
# A metric's value shrinks with its column (a class's name must not break in the middle).
_WRAP_RULES = """
[data-testid="stMarkdownContainer"].stMarkdownEllipsis,
[data-testid="stMarkdownContainer"].stMarkdownEllipsis p,
[data-testid="stWidgetLabel"] [data-testid="stMarkdownContainer"] p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: break-word; }
.stMetric { container-type: inline-size; }
.stMetric label + div { font-size: clamp(1rem, 14cqi, 2.25rem); }
button > div > span:has(> span > [data-testid="stMarkdownContainer"]) {
  flex-wrap: wrap; justify-content: center; row-gap: 0; }
[class*="st-key-stacking_"] { container-type: inline-size; }
@container (max-width: 700px) {
  [class*="st-key-stacking_"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
  [class*="st-key-stacking_"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
    flex: 1 1 100% !important; width: 100% !important; min-width: 100% !important; }
  [class*="st-key-stacking_"] > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:last-child {
    order: -1; }
}
"""
_WRAP_CSS = f"<style>{_WRAP_RULES}</style>"

_PROJECTOR_CSS = """
<style>
html { font-size: 22px; }
button[kind] { padding-left: 0.5rem; padding-right: 0.5rem; }
.block-container, [data-testid="stMainBlockContainer"] { max-width: 100% !important;
  padding-left: 2.5rem; padding-right: 2.5rem; padding-top: 2rem; }
[data-testid="stToolbar"],
[data-testid="stWidgetLabel"] [data-testid="stTooltipIcon"] { display: none !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { line-height: 1.45; }
""" + _WRAP_RULES + """
</style>
"""


def side_by_side(key: str, spec, **kwargs) -> list:
    """``st.columns(spec, **kwargs)`` that stack one under another, the last column first, where the
    row is narrower than 700 px (a 1024 px screen with the sidebar open, in either mode): a CSS
    container query, since the server does not know the width."""
    return st.container(key=f"stacking_{key}").columns(spec, **kwargs)


def code(text: str, container=st) -> None:
    """Lines of arithmetic or torch in monospace that wrap (never a sideways scroll on a projector),
    without syntax colouring: measured in Chromium on the conv lab's cold load (median of 5, twice),
    Python colouring cost ~0.4 s of the browser's time, and the same lines as st.html ~1.5 s."""
    container.code(text, language=None, wrap_lines=True)


def switch() -> bool:
    """The sidebar toggle (call once per run, from the router); True while presentation mode is on."""
    on = st.sidebar.toggle(
        "Presentation mode", key=KEY, bind=links.BIND,
        help="For a projector: larger text and figures, fewer controls. The link keeps it (?present=true).",
    )
    st.html(_PROJECTOR_CSS if on else _WRAP_CSS)
    return on


def is_on() -> bool:
    return bool(st.session_state.get(KEY, False))


def secondary(label: str = "More settings") -> AbstractContextManager:
    """Where a page puts the controls a lecturer rarely touches: folded away in presentation mode."""
    return st.expander(label, expanded=False, icon=":material/tune:") if is_on() else st.container()


def _file_name(figure, key: str | None) -> str:
    title = figure.layout.title.text if figure.layout.title and figure.layout.title.text else ""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", re.sub(r"<[^>]+>", " ", title or key or "figure")).strip("-").lower()
    return f"cnnviz-{stem[:60] or 'figure'}"


def _drop_title(figure) -> None:
    """Remove a figure's title and the top margin kept for it, keeping its plot area's height."""
    kept = (figure.layout.margin.t or 0) - 8 if figure.layout.margin else 0
    if isinstance(figure, style.FigureDict):
        layout = figure["layout"]
        layout.pop("title", None)
        layout["margin"] = {**layout.get("margin", {}), "t": 8}
        if layout.get("height") and kept > 0:
            layout["height"] -= kept
        return
    figure.update_layout(title=None, margin_t=8)
    if figure.layout.height and kept > 0:
        figure.update_layout(height=figure.layout.height - kept)


def plot(figure, *, key: str | None = None, title_above: bool = False, **kwargs):
    """st.plotly_chart with a PNG download button (the camera icon) and the projector scale when on.

    ``title_above``: the figure's title is written above it as text, which wraps in a narrow column
    where a Plotly title runs out of its chart. The figure (built for this call, never a cached
    one) loses its title and the margin kept for it.

    Returns what st.plotly_chart returns (the selection event when on_select is set).
    """
    config = {
        "displaylogo": False,
        "modeBarButtons": [["toImage"]],
        "toImageButtonOptions": {"format": "png", "scale": 2, "filename": _file_name(figure, key)},
    }
    if title_above and figure.layout.title and figure.layout.title.text:
        st.markdown(f"**{escape(re.sub(r'<[^>]+>', ' ', figure.layout.title.text))}**")
        _drop_title(figure)
    if isinstance(figure, style.FigureDict):
        # Streamlit validates a dict property by property (go.Figure(**dict): ~30 ms for a 784-point
        # grid) and takes a figure object as it is: ours are built as plotly.js reads them and tested.
        figure = go.Figure(figure, _validate=False)
    if is_on():
        figure = style.for_projector(figure)
    return st.plotly_chart(figure, key=key, config=config, **kwargs)
