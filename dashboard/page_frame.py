"""What the router wraps around every page: the shared-link check and the presentation switch.

One function, so that the router and the tests that open a page from a link run the same frame.
It is also the last line between a page's bugs and a student: a page that raises shows one
sentence, and the traceback goes to the server log only.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import streamlit as st

from dashboard import internals, links, presentation

log = logging.getLogger(__name__)

PAGE_FAILED = ("Something went wrong while drawing this page; change a setting or reload it to try "
               "again. The server log has the details.")


def guarded(body: Callable[..., None]) -> Callable[..., None]:
    """``body`` that shows PAGE_FAILED instead of raising: for the page and for each fragment,
    whose reruns (a player's step, a live view's poll) run outside the page's own guard."""

    @functools.wraps(body)
    def run_guarded(*args, **kwargs) -> None:
        try:
            body(*args, **kwargs)
        # Exception, not BaseException: st.rerun and st.stop raise Streamlit's control-flow
        # exceptions (BaseException), which must pass through to end the run as they mean to.
        except Exception:
            log.exception("A page raised while drawing.")
            st.error(PAGE_FAILED, icon=":material/error:")

    return run_guarded


def run(page_body: Callable[[], None]) -> list[str]:
    """Draw the presentation switch, run the page, then say what of its link could not be used.

    Returns the link's problems (empty for a clean link), as shown in the note above the page.
    """
    internals.write_from_the_top_of_the_page()
    link = links.LinkCheck()
    presentation.switch()
    guarded(page_body)()
    return link.report()
