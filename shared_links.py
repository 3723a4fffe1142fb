"""Shareable links: a page's settings live in its URL, so a bookmark reopens the same view.

Each page binds its setting widgets to query parameters (``bind=shared_links.BIND``; the widget's
key is the parameter's name, e.g. ``/convolution?conv_stride=2&conv_dilation=2``). Streamlit
seeds the widgets from the link, keeps the URL up to date as the user changes them, drops a
parameter it cannot use and clamps one that is out of range. It does so silently, so a student
would see something other than what the lecturer's link promised: ``LinkCheck`` compares the link
before and after the page ran and says, in one note at the top, which settings fell back.
"""

from __future__ import annotations

import math

import streamlit as st

BIND = "query-params"
# Streamlit's own parameters (embedding), never ours to judge.
_STREAMLIT_PARAMS = frozenset({"embed", "embed_options"})


def _as_text(value) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def _url_form(name: str):
    """The widget's value as Streamlit writes it into a link: a menu's option label, a slider's [x].

    Streamlit has no public call for it; its widget metadata holds the serializer. Any failure
    falls back to the plain value.
    """
    value = st.session_state[name]
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        state = get_script_run_ctx().session_state._state
        widget_id = state._key_id_mapper.get_id_from_key(name)
        return state._new_widget_state.widget_metadata[widget_id].serializer(value)
    except Exception:  # internal API: a Streamlit upgrade may move it
        return value


def _same_value(raw: str | list[str], form) -> bool:
    """Whether the link's text names the widget's value (Streamlit drops defaults from links too)."""
    if isinstance(form, (list, tuple)) and not isinstance(raw, list):
        if len(form) != 1:
            return False
        form = form[0]
    if isinstance(raw, list):
        return isinstance(form, (list, tuple)) and len(raw) == len(form) and all(
            _same_value(r, f) for r, f in zip(raw, form))
    if isinstance(form, bool):
        return raw.strip().lower() == str(form).lower()
    if isinstance(form, (int, float)):
        try:
            return math.isclose(float(raw), float(form))
        except ValueError:
            return False
    return raw == str(form)


class LinkCheck:
    """Snapshot the link at the start of a run; after the page ran, explain what it could not use.

    Only the first run of a link has anything to report: later reruns start from the URL that
    Streamlit already corrected.
    """

    def __init__(self):
        self.asked = st.query_params.to_dict()
        self.note = st.empty()

    def report(self) -> list[str]:
        """Show one note listing the link's settings that were ignored or changed; return them."""
        now = st.query_params.to_dict()
        problems = []
        for name, raw in self.asked.items():
            if name in _STREAMLIT_PARAMS:
                continue
            shown = f"**{name}={_as_text(raw)}**"
            if name not in st.session_state:
                # No widget of this page has that key (a stale link, or a setting that does
                # not apply to the other settings): drop it so the URL says what is shown.
                problems.append(f"{shown} is not a setting of this page (or does not apply here), so it was ignored")
                if name in now:
                    del st.query_params[name]
            elif name not in now and not _same_value(raw, _url_form(name)):
                problems.append(f"{shown} is not a valid value, so the default is used")
            elif name in now and now[name] != raw:
                problems.append(f"{shown} is out of range, so {_as_text(now[name])} is used")
        if problems:
            self.note.warning(
                "This link asked for settings that cannot be shown as they are: " + "; ".join(problems) + ".",
                icon=":material/link_off:",
            )
        return problems
