"""Shareable links: a page's settings live in its URL, so a bookmark reopens the same view.

Each page binds its setting widgets to query parameters (``bind=links.BIND``; the widget's
key is the parameter's name, e.g. ``/convolution?conv_stride=2&conv_dilation=2``). Streamlit
seeds the widgets from the link, keeps the URL up to date as the user changes them, drops a
parameter it cannot use and clamps one that is out of range. It does so silently, so a student
would see something other than what the lecturer's link promised: ``LinkCheck`` compares the link
before and after the page ran and says, in one note at the top, which settings fell back.

Every client may be hostile, and a link is the client's own text: before the page runs,
``LinkCheck`` also drops every value that cannot be any setting (a number that is not finite or
has too many digits, a very long text, a parameter beyond the most a page has), since Streamlit's
widget code raises on some of them. The note quotes a link's text escaped, as text, never markup.
"""

from __future__ import annotations

import math

import streamlit as st

from dashboard import internals
from dashboard.markup import escape

BIND = "query-params"
# Streamlit's own parameters (embedding), never ours to judge.
_STREAMLIT_PARAMS = frozenset({"embed", "embed_options"})

# What no setting of any page ever needs: the largest page binds about 30 widgets, a menu label
# is a line of text, a number a handful of digits. Anything past these is dropped unread.
MAX_PARAMETERS = 60
MAX_VALUES = 20  # repeats of one parameter (?a=1&a=2): a multiselect's choices
MAX_VALUE_CHARS = 200
MAX_NUMBER_CHARS = 30
_SHOWN_CHARS = 40  # of a name or value quoted in the note
_LINK_AFTER_LAST_RUN = "_cnnviz_link_after_last_run"  # session state: the URL the last run left
_MOST_PROBLEMS_SHOWN = 30  # about the most settings one page has


def _as_text(value) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


def _quoted(name: str, raw) -> str:
    """``name=value`` for the note, shortened and escaped: the link's text is shown, never rendered."""
    text = f"{name}={_as_text(raw)}"
    if len(text) > _SHOWN_CHARS:
        text = text[: _SHOWN_CHARS - 1] + "…"
    return f"**{escape(text)}**"


def _unusable(raw: str | list[str]) -> bool:
    """Whether a link's value can be no setting at all (and must not reach a widget).

    Streamlit's number inputs raise on a number that is not finite (``1e400``, 309 nines): int()
    of infinity overflows. Menus take text, so only text that reads as a number is judged as one.
    """
    values = raw if isinstance(raw, list) else [raw]
    if len(values) > MAX_VALUES:
        return True
    for value in values:
        if len(value) > MAX_VALUE_CHARS:
            return True
        try:
            number = float(value)
        except ValueError:
            continue  # an option's label
        if not math.isfinite(number) or len(value.strip()) > MAX_NUMBER_CHARS:
            return True
    return False


def _url_form(name: str):
    """The widget's value as Streamlit writes it into a link: a menu's option label, a slider's [x]."""
    return internals.widget_link_form(name, st.session_state[name])


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

    Only a link the page has not drawn yet has anything to report. A rerun that starts from the URL
    the previous run left is the student's own doing: a button's callback that sets other widgets
    (the confusion gallery's Explain) changes them before the URL catches up, which is no link
    falling back. Values that can be no setting are dropped at once, before the page's widgets
    exist (``MAX_PARAMETERS`` and the other limits above).
    """

    def __init__(self):
        self.asked = st.query_params.to_dict()
        self.fresh = st.session_state.get(_LINK_AFTER_LAST_RUN) != self.asked
        self.note = st.empty()
        ours = [name for name in self.asked if name not in _STREAMLIT_PARAMS]
        self.surplus = ours[MAX_PARAMETERS:]
        self.dropped = {name for name in ours[:MAX_PARAMETERS] if len(name) > MAX_VALUE_CHARS
                        or _unusable(st.query_params.get_all(name))}
        if self.surplus or self.dropped:
            internals.drop_link_parameters([*self.surplus, *self.dropped])

    def report(self) -> list[str]:
        """Show one note listing the link's settings that were ignored or changed; return them."""
        problems = self._problems() if self.fresh else []
        st.session_state[_LINK_AFTER_LAST_RUN] = st.query_params.to_dict()
        return problems

    def _problems(self) -> list[str]:
        now = st.query_params.to_dict()
        problems = []
        surplus = set(self.surplus)
        for name, raw in self.asked.items():
            if name in _STREAMLIT_PARAMS or name in surplus:
                continue
            shown = _quoted(name, raw)
            if name in self.dropped:
                problems.append(f"{shown} is not a valid value, so the default is used")
            elif name not in st.session_state:
                # No widget of this page has that key (a stale link, or a setting that does
                # not apply to the other settings): drop it so the URL says what is shown.
                problems.append(f"{shown} is not a setting of this page (or does not apply here), so it was ignored")
                if name in now:  # (st.query_params refuses to delete a parameter bound on an earlier run)
                    internals.drop_link_parameters([name])
            elif name not in now and not _same_value(raw, _url_form(name)):
                problems.append(f"{shown} is not a valid value, so the default is used")
            elif name in now and now[name] != raw:
                problems.append(f"{shown} is out of range, so {escape(_as_text(now[name]))} is used")
        if self.surplus:
            problems.append(f"{len(self.surplus)} more settings were ignored: a link holds at most {MAX_PARAMETERS}")
        if problems:
            shown = problems
            if len(problems) > _MOST_PROBLEMS_SHOWN:  # one line per problem would bury the page
                unlisted = len(problems) - _MOST_PROBLEMS_SHOWN + 1 - (1 if self.surplus else 0) + len(self.surplus)
                shown = [*problems[:_MOST_PROBLEMS_SHOWN - 1], f"{unlisted} more settings were ignored or fell back"]
            self.note.warning(
                "This link asked for settings that cannot be shown as they are: " + "; ".join(shown) + ".",
                icon=":material/link_off:",
            )
        return problems
