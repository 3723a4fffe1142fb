"""Every use of Streamlit's private APIs, in one module.

Streamlit has no public call for these. Each one is checked by tests/test_streamlit_internals.py,
which fails loudly (rather than a silent fallback here) when an upgrade moves what it relies on.
"""

from __future__ import annotations

import logging

from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec, UploadFileUrlInfo

log = logging.getLogger(__name__)

# Streamlit's in-memory upload store and its records: dashboard.upload_quota extends the store
# (install_upload_manager puts it in the server's place).
__all__ = ["MemoryUploadedFileManager", "UploadFileUrlInfo", "UploadedFileRec"]

# The data-testid names of Streamlit's page elements that presentation mode restyles (its
# stylesheet is in dashboard.presentation); the test finds each in Streamlit's frontend bundle.
TEST_IDS = ("stMainBlockContainer", "stToolbar", "stWidgetLabel", "stTooltipIcon", "stMarkdownContainer",
            "stLayoutWrapper", "stHorizontalBlock", "stColumn")


def session_id() -> str | None:
    """The id of the browser session (one tab) whose script is running, or None outside a run."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.session_id


def write_from_the_top_of_the_page() -> None:
    """Point Streamlit's element cursor at the top of the page, as a full run must start.

    Streamlit 1.67 restores a fragment's containers when a timed rerun draws it and never restores
    the page's: when the next request (a click on another page) is picked up by the same script
    thread just as that rerun ends, the whole next run writes inside the fragment's old container,
    at paths the new page lacks, and the browser's app goes blank ("Bad delta path index").
    Called first in every full run; there it is a no-op unless that happened.
    """
    from streamlit.delta_generator_singletons import context_dg_stack, get_default_dg_stack_value

    context_dg_stack.set(get_default_dg_stack_value())


def session_connected(session: str) -> bool:
    """True while this browser session has a connected websocket; safe from any thread."""
    from streamlit import runtime

    return runtime.exists() and runtime.get_instance().is_active_session(session)


def refuse_unsafe_client_requests() -> None:
    """Ignore the two requests a client can send that act on the whole server, not its own tab.

    - "Clear cache": the browser's app menu offers it only in development, but the message is
      accepted from any client, and it empties st.cache_data and st.cache_resource for everyone:
      one crafted client could make every student's page recompute from scratch, as often as it
      likes. A lecture server runs one fixed version of the code, so there is nothing to clear.
    - "Load git info": it runs git on the server and answers with the checkout's remote, branch,
      and the names of its uncommitted and untracked files: a leak, and a git process per request.

    Idempotent: the router calls it on every run, dashboard.serve before the server starts.
    """
    from streamlit.runtime.app_session import AppSession

    if getattr(AppSession._handle_clear_cache_request, "_cnnviz_refused", False):
        return

    def ignore_clear_cache(self) -> None:
        log.warning("Ignored a client's request to clear the server's caches.")

    def ignore_git_information(self) -> None:
        log.info("Ignored a client's request for the server's git information.")

    for handler in (ignore_clear_cache, ignore_git_information):
        handler._cnnviz_refused = True
    AppSession._handle_clear_cache_request = ignore_clear_cache
    AppSession._handle_git_information_request = ignore_git_information


def drop_link_parameters(names) -> None:
    """Remove these parameters from the page's link before any widget is seeded from it.

    st.query_params cannot do it: widgets are seeded from Streamlit's own copy of the link as the
    run began, and a parameter bound to a widget of an earlier run cannot be deleted. The browser
    is told the shorter URL, so the address bar says what is shown.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return
    with ctx.session_state.query_params() as query_params:
        for name in names:
            query_params.remove_param(name)
            query_params._initial_query_params.pop(name, None)


def session_alive(session: str) -> bool:
    """True while the server keeps this browser session: connected, or kept for its tab to come
    back (server.disconnectedSessionTTL). Outside a server (AppTest, a script) nothing is ever
    forgotten, so True. Safe from any thread."""
    from streamlit import runtime

    if not runtime.exists():
        return True
    instance = runtime.get_instance()
    if instance.is_active_session(session):
        return True
    return instance._session_mgr.get_session_info(session) is not None


def install_upload_manager(manager_class) -> None:
    """Make the server hold uploaded files in ``manager_class`` instead of Streamlit's
    MemoryUploadedFileManager, and let it refuse a file before the browser sends it.

    Streamlit's Server builds its upload manager from the name MemoryUploadedFileManager in
    streamlit.web.server.server, so replacing that name before the server starts (dashboard.serve) is
    enough; the upload routes and every session then use ``manager_class``. The file uploader
    asks for upload URLs before it sends a file (AppSession._handle_file_urls_request): when the
    manager's get_upload_urls raises UploadRefused, the answer carries its sentence as error_msg,
    which the browser shows beside the file. Idempotent.

    Args:
        manager_class: called with the upload endpoint, as Streamlit calls its own class.
    """
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.app_session import AppSession
    from streamlit.web.server import server

    from cnnviz.upload_store import UploadRefused

    server.MemoryUploadedFileManager = manager_class
    if getattr(AppSession._handle_file_urls_request, "_cnnviz_refusals", False):
        return
    streamlit_handler = AppSession._handle_file_urls_request

    def handle_file_urls_request(self, file_urls_request) -> None:
        try:
            streamlit_handler(self, file_urls_request)
        except UploadRefused as refused:
            msg = ForwardMsg()
            msg.file_urls_response.response_id = file_urls_request.request_id
            msg.file_urls_response.error_msg = str(refused)
            self._enqueue_forward_msg(msg)

    handle_file_urls_request._cnnviz_refusals = True
    AppSession._handle_file_urls_request = handle_file_urls_request


def widget_link_form(name: str, value):
    """How Streamlit writes the widget ``name``'s ``value`` into a link: a menu's option label, a
    slider's [x]. Its widget metadata holds the serializer; no public call gives it.

    Outside a run with that widget (or if an upgrade moved the metadata: the test of this module
    fails then) the plain value, with a warning in the log.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    try:
        state = get_script_run_ctx().session_state._state
        widget_id = state._key_id_mapper.get_id_from_key(name)
        return state._new_widget_state.widget_metadata[widget_id].serializer(value)
    except (AttributeError, KeyError, TypeError) as error:
        log.warning("No link form for widget %r (%s); comparing its plain value.", name, error)
        return value


def serve_pages_through_the_router() -> None:
    """Tell Streamlit, before its server starts, that app.py routes with st.navigation.

    Until a session has run st.navigation, Streamlit serves the pages/ folder the legacy way, so
    the first visitor of a bookmarked page would get "Page not found".
    """
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def never_look_up_the_public_address() -> None:
    """Keep a headless server from asking checkip.amazonaws.com for the machine's public address
    (at start-up, and when a browser from another machine connects): students reach it by its
    LAN address, which Streamlit finds without sending anything."""
    from streamlit import net_util

    net_util.get_external_ip = lambda: None
