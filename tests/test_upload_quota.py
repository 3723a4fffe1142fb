"""Uploads held in Streamlit's memory: a quota per browser and in total, files no widget uses
evicted least recently used first, a sentence when refused; then the real server under a crafted
client that PUTs files no widget refers to."""

import os
import time
import urllib.request
import uuid

import pytest
from starlette.exceptions import HTTPException
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

from cnnviz.upload_store import UploadRefused
from dashboard.upload_quota import MemoryLimits, QuotaUploadedFileManager

KB = 1024
BROWSERS = {"a1": "alice", "a2": "alice", "b1": "bob", "c1": "carol"}  # session -> browser


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def _manager(clock, client_kb=100, total_kb=250, keep=60.0, orphan=30.0, largest_kb=40):
    return QuotaUploadedFileManager(
        "/_stcore/upload_file",
        limits=MemoryLimits(client_kb * KB, total_kb * KB, keep_seconds=keep, orphan_seconds=orphan),
        client_of=lambda session: BROWSERS.get(session, session), largest_file=largest_kb * KB, clock=clock,
    )


def _add(manager, session, file_id, kb=40):
    manager.add_file(session, UploadedFileRec(file_id, f"{file_id}.png", "image/png", b"x" * (kb * KB)))


def _held(manager) -> set[tuple[str, str]]:
    return {(session, file_id) for session, files in manager.file_storage.items() for file_id in files}


def _assert_one_sentence(message: str) -> None:
    assert message.endswith(".") and ". " not in message, message
    assert "/" not in message and "Error" not in message, message


def test_a_browser_over_its_quota_is_refused_with_a_sentence_while_its_files_are_in_use(clock):
    manager = _manager(clock)
    _add(manager, "a1", "f1")
    _add(manager, "a2", "f2")  # another tab of the same browser counts too
    with pytest.raises(HTTPException) as refused:
        _add(manager, "a1", "f3")
    assert refused.value.status_code == 413
    _assert_one_sentence(refused.value.detail)
    assert "each student" in refused.value.detail
    assert _held(manager) == {("a1", "f1"), ("a2", "f2")}
    assert manager.usage("a1") == 80 * KB
    _add(manager, "b1", "f4")  # another browser has its own quota


def test_files_least_recently_fetched_go_first(clock):
    manager = _manager(clock)
    _add(manager, "a1", "f1")
    _add(manager, "a1", "f2")
    clock.now += 10
    manager.get_files("a1", ["f1", "f2"])
    clock.now += 10
    manager.get_files("a1", ["f1"])  # f1 is still drawn, f2 no longer
    clock.now += 100  # past the keep time
    _add(manager, "a1", "f3")
    assert _held(manager) == {("a1", "f1"), ("a1", "f3")}


def test_a_file_no_widget_fetched_is_dropped_at_the_next_upload(clock):
    manager = _manager(clock)
    _add(manager, "b1", "orphan", kb=1)
    _add(manager, "b1", "drawn", kb=1)
    manager.get_files("b1", ["drawn"])
    clock.now += 31
    _add(manager, "c1", "new", kb=1)
    assert _held(manager) == {("b1", "drawn"), ("c1", "new")}


def test_the_total_quota_takes_the_browsers_own_files_first_then_anyones(clock):
    manager = _manager(clock, client_kb=150, total_kb=200)
    for session, file_id in (("b1", "bob old"), ("a1", "alice old"), ("c1", "carol"), ("a1", "alice new")):
        _add(manager, session, file_id)
        manager.get_files(session, [file_id])
        clock.now += 1
    _add(manager, "b1", "bob new")  # 200 KB: full
    manager.get_files("b1", ["bob new"])
    clock.now += 100
    manager.get_files("a1", ["alice new"])
    _add(manager, "a1", "alice latest")  # her own least recent goes, not bob's older one
    assert ("a1", "alice old") not in _held(manager) and ("b1", "bob old") in _held(manager)
    manager.get_files("a1", ["alice latest"])
    _add(manager, "a1", "alice last")  # hers are all in use: anyone's least recent
    assert ("b1", "bob old") not in _held(manager)
    assert manager.usage() <= 200 * KB


def test_a_full_server_never_evicts_a_file_fetched_recently(clock):
    manager = _manager(clock, total_kb=120)
    for session in ("a1", "b1", "c1"):
        _add(manager, session, "photo")
    clock.now += 20
    for session in ("a1", "b1", "c1"):
        manager.get_files(session, ["photo"])
    with pytest.raises(HTTPException) as refused:
        _add(manager, "x1", "flood")
    _assert_one_sentence(refused.value.detail)
    assert "full" in refused.value.detail
    assert len(_held(manager)) == 3


def test_a_file_too_large_for_any_quota_is_refused(clock):
    manager = _manager(clock)
    with pytest.raises(HTTPException) as refused:
        _add(manager, "a1", "huge", kb=101)
    _assert_one_sentence(refused.value.detail)
    assert manager.usage() == 0


def test_a_full_browser_is_refused_before_it_sends_a_file_and_nothing_is_evicted(clock):
    manager = _manager(clock)
    _add(manager, "a1", "f1")
    assert len(manager.get_upload_urls("a1", ["next.png"])) == 1  # 40 KB more still fit
    _add(manager, "a1", "f2")
    with pytest.raises(UploadRefused) as refused:
        manager.get_upload_urls("a2", ["next.png"])
    _assert_one_sentence(str(refused.value))
    assert _held(manager) == {("a1", "f1"), ("a1", "f2")}
    clock.now += 100  # now they could be evicted to make room, so the URLs are given
    assert len(manager.get_upload_urls("a2", ["next.png"])) == 1
    assert _held(manager) == {("a1", "f1"), ("a1", "f2")}


def test_replacing_a_file_and_ending_a_session_keep_the_account_right(clock):
    manager = _manager(clock)
    _add(manager, "a1", "f1")
    _add(manager, "a1", "f1")
    _add(manager, "a1", "f2")  # f1 counted once
    manager.remove_file("a1", "f2")
    assert manager.usage("a1") == 40 * KB
    manager.remove_session_files("a1")
    assert manager.usage() == 0 and _held(manager) == set()


def test_the_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CNNVIZ_UPLOAD_MEMORY_CLIENT_MB", "3")
    monkeypatch.setenv("CNNVIZ_UPLOAD_MEMORY_TOTAL_MB", "8")
    monkeypatch.setenv("CNNVIZ_UPLOAD_MEMORY_KEEP_S", "5")
    limits = MemoryLimits.from_env()
    assert (limits.client_bytes, limits.total_bytes) == (3 * 1024 * 1024, 8 * 1024 * 1024)
    assert limits.keep_seconds == 5 and limits.orphan_seconds == 5


# ---------------------------------------------------------------------------------------------
# The real server, as a crafted client sees it
# ---------------------------------------------------------------------------------------------

MB = 1024 * 1024


def _peak_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def _session_with_id(base_url):
    """A StreamlitSession that remembers its session id (from the new_session message)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from dashboard.testing.websocket_client import StreamlitSession

    session = StreamlitSession(base_url).open()
    receive = session._socket.recv

    def recv(*args, **kwargs):
        data = receive(*args, **kwargs)
        message = ForwardMsg()
        message.ParseFromString(data)
        if message.WhichOneof("type") == "new_session":
            session.session_id = message.new_session.initialize.session_id
        return data

    session._socket.recv = recv
    return session


def _put(base_url, session_id, data: bytes) -> int:
    """PUT one file to the upload endpoint as the frontend does; the HTTP status."""
    from dashboard.testing.websocket_client import XSRF_COOKIE, _cookie

    with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=30) as response:
        xsrf = _cookie(response.headers.get_all("Set-Cookie") or [], XSRF_COOKIE)
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo.png\"; filename=\"photo.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{base_url}/_stcore/upload_file/{session_id}/{uuid.uuid4()}", data=body, method="PUT",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": xsrf,
                 "Cookie": f"{XSRF_COOKIE}={xsrf}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def small_quota_server(tmp_path_factory):
    from dashboard.testing.server import DashboardServer

    server = DashboardServer(env={
        "CNNVIZ_HOME": str(tmp_path_factory.mktemp("cnnviz-home")),
        "CNNVIZ_UPLOAD_MEMORY_CLIENT_MB": "12", "CNNVIZ_UPLOAD_MEMORY_TOTAL_MB": "24",
    })
    yield server
    server.stop()


def test_files_no_widget_refers_to_do_not_grow_the_servers_memory(small_quota_server):
    base = small_quota_server.url
    crafted = _session_with_id(base)
    assert crafted.visit("").ok  # a page view: the server knows the session's browser
    before = _peak_rss(small_quota_server.process.pid)
    statuses = [_put(base, crafted.session_id, os.urandom(4 * MB)) for _ in range(30)]  # 120 MB
    growth = _peak_rss(small_quota_server.process.pid) - before
    assert growth < 60 * MB, f"the server grew by {growth / MB:.0f} MB for 12 MB of uploads"
    assert statuses[:3] == [204, 204, 204] and set(statuses[3:]) == {413}, statuses
    with _session_with_id(base) as student:  # another student's page still renders
        render = student.visit("")
        assert render.ok, render.problems
    crafted.close()
