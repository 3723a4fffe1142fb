"""dashboard.presentation.plot: a figure built as a plain dict (cnnviz.figures.style.FigureDict)
reaches the browser as built, without Streamlit's property-by-property validation (go.Figure(**dict)
cost ~30 ms for a 784-point grid, more than building the dict)."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest


def _page():
    import streamlit as st

    from cnnviz.figures import style
    from dashboard import presentation

    # Not a colour: plotly's value validation would refuse it (property names are still checked).
    figure = style.figure_dict([{"type": "scatter", "x": [0, 1], "y": [2, 3], "mode": "markers",
                                 "marker": {"color": "unchecked"}}], height=300,
                               title="A title", annotations=[{"text": "note", "font": {"size": 14}}])
    presentation.plot(figure, key="chart")


def _spec(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_a_figure_dict_is_sent_as_built_without_validation():
    at = AppTest.from_function(_page).run()
    assert not at.exception
    spec = _spec(at)
    assert spec["data"] == [{"type": "scatter", "x": [0, 1], "y": [2, 3], "mode": "markers",
                             "marker": {"color": "unchecked"}}]
    assert spec["layout"]["title"] == {"text": "A title"} and spec["layout"]["height"] == 300


def _valid_page():
    import streamlit as st

    from cnnviz.figures import style
    from dashboard import presentation

    st.session_state["present"] = True
    presentation.plot(style.figure_dict([{"type": "scatter", "x": [0, 1], "y": [2, 3]}], height=300, title="A title",
                                        annotations=[{"text": "note", "font": {"size": 14}}]), key="chart")


def test_presentation_mode_still_scales_a_figure_dict():
    at = AppTest.from_function(_valid_page)
    at.run()
    assert not at.exception
    layout = _spec(at)["layout"]
    assert layout["height"] == 405 and layout["annotations"][0]["font"]["size"] == 19  # 1.35 x
