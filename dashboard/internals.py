"""Every use of Streamlit's private APIs, in one module.

Streamlit has no public call for these. Each one is checked by tests/test_streamlit_internals.py,
which fails loudly (rather than a silent fallback here) when an upgrade moves what it relies on.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def session_id() -> str | None:
    """The id of the browser session (one tab) whose script is running, or None outside a run."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.session_id


def session_connected(session: str) -> bool:
    """True while this browser session has a connected websocket; safe from any thread."""
    from streamlit import runtime

    return runtime.exists() and runtime.get_instance().is_active_session(session)


def refuse_client_cache_clearing() -> None:
    """Ignore the "clear cache" request a client can send, instead of clearing every cache.

    The browser's app menu offers it only in development, but the message itself is accepted from
    any client, and it empties st.cache_data and st.cache_resource for the whole server: one
    crafted client could make every student's page recompute from scratch, as often as it likes.
    A lecture server runs one fixed version of the code, so there is nothing stale to clear.
    Idempotent: the router calls it on every run, serve.py before the server starts.
    """
    from streamlit.runtime.app_session import AppSession

    if getattr(AppSession._handle_clear_cache_request, "_cnnviz_refused", False):
        return

    def ignore_clear_cache(self) -> None:
        log.warning("Ignored a client's request to clear the server's caches.")

    ignore_clear_cache._cnnviz_refused = True
    AppSession._handle_clear_cache_request = ignore_clear_cache
