"""Each use of Streamlit's private APIs (dashboard.internals, and the upload manager that extends
Streamlit's own) checked against the installed Streamlit: an upgrade that moves one fails here,
loudly, instead of silently switching a protection off."""

import inspect
from types import SimpleNamespace

import pytest


def test_session_alive_finds_a_session_kept_for_its_tab_to_come_back(monkeypatch):
    from streamlit import runtime
    from streamlit.runtime import Runtime
    from streamlit.runtime.memory_session_storage import MemorySessionStorage
    from streamlit.runtime.session_manager import SessionInfo
    from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

    from dashboard import internals

    assert "self._session_mgr" in inspect.getsource(Runtime.__init__)
    storage = MemorySessionStorage()
    manager = WebsocketSessionManager(storage, None, None, None)
    storage.save(SessionInfo(client=None, session=SimpleNamespace(id="waiting")))
    instance = SimpleNamespace(is_active_session=lambda session: False, _session_mgr=manager)
    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "get_instance", lambda: instance)
    assert internals.session_alive("waiting")
    assert not internals.session_alive("forgotten")


@pytest.fixture
def restored_upload_internals(monkeypatch):
    """Undo install_upload_manager after the test."""
    from streamlit.runtime.app_session import AppSession
    from streamlit.web.server import server

    monkeypatch.setattr(server, "MemoryUploadedFileManager", server.MemoryUploadedFileManager)
    monkeypatch.setattr(AppSession, "_handle_file_urls_request", AppSession._handle_file_urls_request)


def test_the_server_builds_its_upload_manager_from_the_name_install_replaces(restored_upload_internals):
    from streamlit.web.server import server

    from dashboard import internals
    from dashboard.upload_quota import QuotaUploadedFileManager

    assert "MemoryUploadedFileManager(UPLOAD_FILE_ENDPOINT)" in inspect.getsource(server.Server.__init__)
    internals.install_upload_manager(QuotaUploadedFileManager)
    internals.install_upload_manager(QuotaUploadedFileManager)  # idempotent
    assert server.MemoryUploadedFileManager is QuotaUploadedFileManager


def test_a_refused_file_url_request_answers_with_the_sentence(restored_upload_internals):
    from streamlit.proto.Common_pb2 import FileURLsRequest
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.uploaded_file_manager import UploadFileUrlInfo

    from cnnviz.upload_store import UploadRefused
    from dashboard import internals
    from dashboard.upload_quota import QuotaUploadedFileManager

    internals.install_upload_manager(QuotaUploadedFileManager)
    sent = []

    class Manager:
        refuse = True

        def get_upload_urls(self, session_id, file_names):
            if self.refuse:
                raise UploadRefused("The server is full.")
            return [UploadFileUrlInfo("f1", "/up/s/f1", "/up/s/f1")]

    session = SimpleNamespace(id="s", _uploaded_file_mgr=Manager(), _enqueue_forward_msg=sent.append)
    request = FileURLsRequest(request_id="r1", file_names=["photo.png"], session_id="s")
    AppSession._handle_file_urls_request(session, request)
    assert sent[-1].file_urls_response.response_id == "r1"
    assert sent[-1].file_urls_response.error_msg == "The server is full."
    session._uploaded_file_mgr.refuse = False
    AppSession._handle_file_urls_request(session, request)
    assert [u.file_id for u in sent[-1].file_urls_response.file_urls] == ["f1"]
    assert not sent[-1].file_urls_response.error_msg


def test_the_browser_shows_a_file_url_error_and_the_upload_route_uses_the_runtimes_manager():
    from pathlib import Path

    import streamlit
    from streamlit.web.server.starlette import starlette_app, starlette_routes

    bundle = "".join(p.read_text(errors="ignore") for p in
                     (Path(streamlit.__file__).parent / "static" / "static" / "js").glob("index.*.js"))
    assert "errorMsg?" in bundle and "reject(e.errorMsg)" in bundle  # onFileURLsResponse
    assert "runtime.uploaded_file_mgr" in inspect.getsource(starlette_app)
    assert "upload_mgr.add_file(" in inspect.getsource(starlette_routes.create_upload_routes)


def test_the_upload_manager_overrides_what_streamlit_calls():
    from streamlit.elements.widgets import file_uploader
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    from dashboard.upload_quota import QuotaUploadedFileManager

    expected = {
        "__init__": ["self", "upload_endpoint"],
        "get_files": ["self", "session_id", "file_ids"],
        "add_file": ["self", "session_id", "file"],
        "remove_file": ["self", "session_id", "file_id"],
        "remove_session_files": ["self", "session_id"],
        "get_upload_urls": ["self", "session_id", "file_names"],
    }
    for name, parameters in expected.items():
        assert list(inspect.signature(getattr(MemoryUploadedFileManager, name)).parameters) == parameters, name
        assert name in QuotaUploadedFileManager.__dict__, name
    # "Last fetched" means "a widget still refers to it": the uploader fetches on every run.
    assert "uploaded_file_mgr.get_files(" in inspect.getsource(file_uploader._get_upload_files)


def test_session_id_and_session_connected_read_what_streamlit_keeps_for_a_run(monkeypatch):
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    from dashboard import internals

    assert get_script_run_ctx(suppress_warning=True) is None
    assert internals.session_id() is None  # outside a script run
    # Inside a run, the context carries the session id (AppTest runs the script for real).
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("from dashboard import internals\nimport streamlit as st\nst.write(internals.session_id())")
    at.run()
    assert not at.exception and at.markdown[0].value not in ("", "None")
    assert callable(add_script_run_ctx)
    instance = SimpleNamespace(is_active_session=lambda session: session == "open tab")
    monkeypatch.setattr(runtime, "exists", lambda: True)
    monkeypatch.setattr(runtime, "get_instance", lambda: instance)
    assert internals.session_connected("open tab") and not internals.session_connected("closed tab")


def test_a_client_can_no_longer_clear_the_servers_caches_nor_read_its_git_checkout(monkeypatch):
    import streamlit as st
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.runtime.app_session import AppSession

    from dashboard import internals

    # The BackMsg kinds and the handlers they reach, as Streamlit dispatches them.
    assert {"clear_cache", "load_git_info"} <= {field.name for field in BackMsg.DESCRIPTOR.fields}
    dispatch = inspect.getsource(AppSession.handle_backmsg)
    assert "self._handle_clear_cache_request()" in dispatch
    assert "self._handle_git_information_request()" in dispatch
    monkeypatch.setattr(AppSession, "_handle_clear_cache_request", AppSession._handle_clear_cache_request)
    monkeypatch.setattr(AppSession, "_handle_git_information_request", AppSession._handle_git_information_request)

    calls = []

    @st.cache_resource
    def shared_thing():
        calls.append(1)
        return object()

    first = shared_thing()
    internals.refuse_unsafe_client_requests()
    internals.refuse_unsafe_client_requests()  # idempotent
    from streamlit.runtime.app_session import AppSessionState

    session = AppSession.__new__(AppSession)  # a session without a server: only what the handlers use
    session._state = AppSessionState.SHUTDOWN_REQUESTED  # nothing to shut down when it is collected
    session._session_state = SimpleNamespace(clear=lambda: calls.append("state"))
    session._enqueue_forward_msg = calls.append
    session.handle_backmsg_exception = lambda error: calls.append(error)
    message = BackMsg()
    message.clear_cache = True
    AppSession.handle_backmsg(session, message)
    message = BackMsg()
    message.load_git_info = True
    AppSession.handle_backmsg(session, message)
    assert shared_thing() is first and calls == [1]  # nothing cleared, nothing sent back


def test_presentation_mode_restyles_only_elements_the_installed_frontend_has():
    # A renamed element would silently lose its projector style; the names live in internals.
    import re
    from pathlib import Path

    import streamlit

    from dashboard import internals, presentation

    styled = set(re.findall(r'data-testid="(\w+)"', presentation._PROJECTOR_CSS))
    assert styled == set(internals.TEST_IDS)
    bundle = "".join(p.read_text(errors="ignore") for p in (Path(streamlit.__file__).parent / "static").rglob("*.js"))
    assert [name for name in internals.TEST_IDS if f'"{name}"' not in bundle and f"'{name}'" not in bundle
            and name not in bundle] == []


def test_a_widgets_link_form_comes_from_streamlits_own_serializer():
    # The link check compares a link's text with the widget's value as Streamlit writes it into the
    # URL: a menu by its option's label, a multiselect as a list. Without the serializer every
    # labelled menu would look changed.
    from streamlit.testing.v1 import AppTest

    script = """
import streamlit as st
from dashboard import internals
st.selectbox("Menu", [10, 20, 30], format_func=lambda v: f"item {v}", index=1, key="menu", bind="query-params")
st.multiselect("Many", ["a", "b", "c"], default=["c", "a"], key="many", bind="query-params")
st.session_state["forms"] = (internals.widget_link_form("menu", st.session_state["menu"]),
                             internals.widget_link_form("many", st.session_state["many"]))
"""
    at = AppTest.from_string(script).run()
    assert not at.exception
    menu, many = at.session_state["forms"]
    assert menu == "item 20"
    assert list(many) == ["c", "a"]


def test_the_server_start_up_switches_reach_what_streamlit_reads(monkeypatch):
    from streamlit import net_util
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.web import bootstrap

    from dashboard import internals

    monkeypatch.setattr(PagesManager, "uses_pages_directory", PagesManager.uses_pages_directory)
    monkeypatch.setattr(net_util, "get_external_ip", net_util.get_external_ip)
    internals.serve_pages_through_the_router()
    internals.never_look_up_the_public_address()
    assert PagesManager.uses_pages_directory is False
    assert "PagesManager.uses_pages_directory" in inspect.getsource(script_runner)
    assert net_util.get_external_ip() is None
    assert "net_util.get_external_ip()" in inspect.getsource(bootstrap)


STALE_STACK_PAGE = """
import streamlit as st
from streamlit.delta_generator_singletons import context_dg_stack
from dashboard import page_frame

# What a timed fragment rerun leaves behind when the next full run lands on the same script thread
# (Streamlit 1.67): the page's container stack still ends inside the fragment's parent container.
box = st.container()
box.markdown("the fragment's parent")
context_dg_stack.set((*context_dg_stack.get(), box))
page_frame.run(lambda: st.markdown("the next page"))
"""


def test_a_full_run_writes_from_the_top_even_after_a_fragment_left_its_container_open():
    # Unreset, the next page's elements land inside the old container, at paths the browser's new
    # page lacks, and its whole app goes blank (seen in CI: Training -> Home during a run).
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(STALE_STACK_PAGE, default_timeout=60).run()
    assert not at.exception
    top_level = [getattr(node, "value", None) for node in at.main.children.values()]
    assert "the next page" in top_level
    nested = [m.value for m in at.main.children[0].markdown]
    assert nested == ["the fragment's parent"]
