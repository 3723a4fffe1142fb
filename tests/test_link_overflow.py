"""Hostile links: numbers no widget can take fall back with the bad-link note, and a page that
raises shows one sentence, never a traceback (dashboard.links.LinkCheck, dashboard.page_frame.run)."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from dashboard.markup import escape
from test_shared_links import REPO, link_notes, open_link

pytestmark = pytest.mark.usefixtures("one_torch_thread")

HOSTILE_NUMBERS = {"1e400": "1e400", "-1e400": "-1e400", "nan": "nan", "309 nines": "9" * 309, "negative": "-1000"}
# Settings that make the page draw its conditional number widgets (output padding, PGD's steps).
REVEAL = {
    "pages/conv_lab.py": {"conv_operation": "Transposed convolution"},
    "pages/adversarial.py": {"adv_method": "PGD", "adv_source": "A test image"},
}
PAGES_WITH_NUMBERS = ["pages/conv_lab.py", "pages/inside.py", "pages/adversarial.py",
                      "pages/receptive_fields.py", "pages/training.py"]


def bound_number_keys(page: str) -> list[str]:
    """The keys of every number input, slider and select slider bound to the link in ``page``:
    called with bind=, or handed to a function that binds it (dashboard.widgets.bound, or a page's
    own wrapper of it) as its first argument (a key built with an f-string, one widget per class, is
    taken for its first class: 0)."""
    numbers = ("number_input", "slider", "select_slider")
    keys = []
    for node in ast.walk(ast.parse((REPO / page).read_text())):
        if not isinstance(node, ast.Call):
            continue
        keywords = {k.arg: k.value for k in node.keywords}
        direct = isinstance(node.func, ast.Attribute) and node.func.attr in numbers and "bind" in keywords
        through_wrapper = (isinstance(node.func, ast.Name) and node.args
                           and isinstance(node.args[0], ast.Attribute) and node.args[0].attr in numbers)
        if not (direct or through_wrapper) or "key" not in keywords:
            continue
        key = keywords["key"]
        if isinstance(key, ast.JoinedStr):
            keys.append("".join(p.value if isinstance(p, ast.Constant) else "0" for p in key.values))
        else:
            keys.append(key.value)
    return keys


def test_every_page_with_numbers_has_bound_number_widgets():
    found = {page: bound_number_keys(page) for page in PAGES_WITH_NUMBERS}
    assert all(found.values()), found
    assert {"conv_kh", "inside_test_index", "adv_sweep_fgsm_n", "adv_which_0", "rf_builder_size",
            "train_epochs", "train_seed"} <= {key for keys in found.values() for key in keys}


@pytest.mark.parametrize("value", list(HOSTILE_NUMBERS.values()), ids=list(HOSTILE_NUMBERS))
@pytest.mark.parametrize("page", PAGES_WITH_NUMBERS, ids=lambda p: Path(p).stem)
def test_a_number_no_widget_can_take_falls_back_with_the_note(page, value):
    keys = bound_number_keys(page)
    at = open_link(page, {**REVEAL.get(page, {}), **{key: value for key in keys}})  # asserts no exception
    notes = link_notes(at)
    assert len(notes) == 1
    for key in keys:
        assert escape(f"{key}=") in notes[0], key
    assert not at.error, [e.value for e in at.error]
    # The URL no longer carries any of them.
    assert not set(keys) & set(at.query_params)


def test_a_link_with_too_many_or_too_long_parameters_is_cut_short():
    query = {"conv_padding": "x" * 5000, **{f"p{i}": str(i) for i in range(100)}}
    at = open_link("pages/conv_lab.py", query)
    notes = link_notes(at)
    assert len(notes) == 1 and len(notes[0]) < 8000
    assert "72 more settings were ignored" in notes[0]  # 60 judged, 29 listed; 41 past the 60
    assert escape("conv_padding=") in notes[0] and "x" * 50 not in notes[0]
    assert at.session_state["conv_padding"] == "0"


RAISING_PAGE = """
import streamlit as st
from dashboard import page_frame

def body():
    st.markdown("The page got this far.")
    if {how!r} == "stop":
        st.stop()
    raise RuntimeError("/srv/cnnviz/secret.py exploded")

page_frame.run(body)
"""


def test_a_page_that_raises_shows_one_sentence_and_logs_the_traceback(caplog):
    from dashboard import page_frame
    from streamlit.testing.v1 import AppTest

    with caplog.at_level(logging.ERROR, logger="dashboard.page_frame"):
        at = AppTest.from_string(RAISING_PAGE.format(how="raise"), default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [page_frame.PAGE_FAILED]
    assert at.markdown[0].value == "The page got this far."
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.error, *at.warning, *at.caption])
    assert "secret.py" not in shown and "RuntimeError" not in shown
    logged = [r for r in caplog.records if r.name == "dashboard.page_frame"]
    assert logged and "secret.py exploded" in logged[0].exc_text


def test_st_stop_inside_a_page_is_not_an_error():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(RAISING_PAGE.format(how="stop"), default_timeout=60).run()
    assert not at.exception and not at.error
    assert at.markdown[0].value == "The page got this far."


def test_the_private_link_api_dropping_relies_on_is_there():
    # dashboard.internals.drop_link_parameters: widgets are seeded from this copy of the link.
    import inspect

    from streamlit.runtime.state.query_params import QueryParams
    from streamlit.runtime.state.session_state import SessionState

    params = QueryParams()
    params.set_initial_query_params("conv_kh=1e400&conv_kw=3")
    assert params.get_initial_value("conv_kh") == "1e400"
    params.remove_param("conv_kh")
    params._initial_query_params.pop("conv_kh", None)
    assert params.get_initial_value("conv_kh") is None and params.get_initial_value("conv_kw") == "3"
    assert "get_initial_value(user_key)" in inspect.getsource(SessionState)


FRAGMENT_PAGE = """
import streamlit as st
from dashboard import page_frame

def player():
    st.markdown("The fragment got this far.")
    raise RuntimeError("/srv/cnnviz/secret.py exploded in a fragment")

st.fragment(page_frame.guarded(player))()
st.markdown("The page went on.")
"""


def test_a_fragment_that_raises_shows_the_sentence_too():
    # A fragment's own reruns (a player's step, a live view's poll) run outside the page's guard.
    from dashboard import page_frame
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(FRAGMENT_PAGE, default_timeout=60).run()
    assert not at.exception
    assert [e.value for e in at.error] == [page_frame.PAGE_FAILED]
    assert [m.value for m in at.markdown] == ["The fragment got this far.", "The page went on."]
