"""A drawing canvas as a Streamlit component (components v2): the student draws, the page reads
back a 28 x 28 grid of ink. Its HTML, CSS and JavaScript are inline (dashboard/assets), so it
works with no network and no build step; what it sends is checked by cnnviz.lessons.inside.drawing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from cnnviz.lessons.inside import drawing

GRID_SIDE = 28
_HTML = """
<div class="cnnviz-draw">
  <canvas width="280" height="280" aria-label="Drawing area: draw with the mouse, a pen or a finger"></canvas>
  <button type="button">Clear</button>
</div>
"""
_CSS = """
.cnnviz-draw { display: flex; flex-direction: column; gap: 0.5rem; align-items: flex-start; }
.cnnviz-draw canvas {
  width: 100%; max-width: 280px; aspect-ratio: 1; touch-action: none; cursor: crosshair;
  border: 1px solid var(--st-border-color); border-radius: var(--st-base-radius);
}
.cnnviz-draw button {
  font: inherit; font-family: var(--st-font); padding: 0.25rem 0.75rem; cursor: pointer;
  color: var(--st-text-color); background: var(--st-secondary-background-color);
  border: 1px solid var(--st-border-color); border-radius: var(--st-button-radius);
}
"""
_CANVAS = st.components.v2.component(
    "cnnviz_drawing_canvas", html=_HTML, css=_CSS,
    js=(Path(__file__).parent / "assets" / "drawing_canvas.js").read_text(),
)


def drawing_canvas(key: str, *, kept: list | None = None):
    """Mount the canvas; the grid it last sent (784 values, row by row), or None before any stroke.

    Args:
        key: the component's key; its state lives in st.session_state[key].
        kept: a grid to paint when the canvas is mounted afresh (the page was left and reopened).
    """
    result = _CANVAS(key=key, data={"grid": GRID_SIDE, "pixels": kept}, default={"pixels": None},
                     on_pixels_change=lambda: None)
    return result.get("pixels") if hasattr(result, "get") else getattr(result, "pixels", None)


def drawn_grid(key: str) -> np.ndarray | None:
    """The canvas with its note, and what is drawn on it as uint8 (28, 28), or None while nothing
    is (said on the page). A grid no canvas could send (a crafted client) gets one sentence.

    The last grid is kept in st.session_state[key + "_kept"]: a widget's own state is dropped
    when its page is left, a drawing should not be.
    """
    kept_key = f"{key}_kept"
    sent = drawing_canvas(key, kept=st.session_state.get(kept_key))
    try:
        pixels = drawing.drawn_pixels(st.session_state.get(kept_key) if sent is None else sent)
    except drawing.DrawingError as error:
        st.warning(str(error))
        return None
    st.session_state[kept_key] = None if pixels is None else pixels.ravel().tolist()
    st.caption(drawing.DRAW_NOTE)
    if pixels is None:
        st.info(drawing.DRAW_WAITING)
    return pixels
