"""A crafted client against the real server: it must not stop it, fill it, leak from it or lose
anyone's work.

Each test plays one trick a curious or malicious student can play with the websocket protocol
(dashboard/testing/websocket_client.py speaks it as a browser tab does) or with a link in Chromium, while
other sessions keep being served. Every loop is bounded in count and time, and memory is read
as the server process's peak RSS (VmHWM), which sees torch's and Pillow's buffers too.
Checkpoints, uploads, links and the stack builder have unit and AppTest tests of their own;
here they meet the running server.
"""

from __future__ import annotations

import signal
import statistics
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from browser import exceptions_on, upload, wait_until_idle
from dashboard.testing.server import DashboardServer
from dashboard.testing.websocket_client import StreamlitSession, start_training, stop_training, training_is_shown

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
# A run long enough to be running whenever a test looks, on the digits (no download, no unpacking).
LONG_RUN = "train_dataset=digits&train_model=small_cnn&train_epochs=50"


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _health_seconds(url: str, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=timeout) as response:
        assert response.read() == b"ok"
    return time.perf_counter() - start


def _training_processes(server_pid: int) -> int:
    """The server's live training processes (each run is a child on cnnviz.runs.child)."""
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if _status(int(entry.name), "PPid") != server_pid:
                continue
            command = (entry / "cmdline").read_bytes()
        except (OSError, LookupError):
            continue
        if b"cnnviz.runs.child" in command:
            count += 1
    return count


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the module, limited to one training run at a time."""
    home = tmp_path_factory.mktemp("hostile-home")
    server = DashboardServer(env={"CNNVIZ_HOME": str(home), "CNNVIZ_MAX_RUNS": "1", "OMP_NUM_THREADS": "1"})
    server.home = home
    yield server
    server.stop()


def test_a_flood_of_reruns_from_one_tab_leaves_the_server_answering_everyone_else(server):
    # Streamlit's fast reruns started a script thread per request: 100 requests sent back to back
    # stopped /_stcore/health for ~22 s, and other students' pages waited as long.
    flooder = StreamlitSession(server.url, timeout=300).open("receptive-fields")
    other = StreamlitSession(server.url).open("")
    try:
        assert flooder.visit("receptive-fields").ok
        assert other.visit("").ok
        latencies, done = [], threading.Event()

        def watch() -> None:
            while not done.is_set():
                latencies.append(_health_seconds(server.url))
                time.sleep(0.1)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            flooder.send_reruns(100)
            time.sleep(0.5)
            render = other.visit("")
            time.sleep(3)
        finally:
            done.set()
            watcher.join(timeout=130)
        assert render.ok, render.problems
        assert render.seconds < 10, f"another student's Home took {render.seconds:.1f} s during the flood"
        assert max(latencies) < 5, f"health stalled for {max(latencies):.1f} s (median {statistics.median(latencies):.3f} s)"
        # The flood folded into one script thread: the server still answers and is not piling up.
        assert _status(server.process.pid, "Threads") < 60
    finally:
        flooder.close()
        other.close()


def test_a_clients_clear_cache_request_neither_frees_a_run_slot_nor_hides_a_students_run(server):
    # A crafted "clear cache" replaced the run manager held in st.cache_resource: the run limit
    # was bypassed and the student's run vanished from her page, with no Stop button.
    alice = StreamlitSession(server.url, timeout=300).open("train")
    mallory = StreamlitSession(server.url, timeout=300).open("train")
    try:
        start_training(alice, LONG_RUN)
        mallory.visit("train", LONG_RUN)
        mallory.send_clear_cache()
        mallory.drain(1.0)
        render = mallory.click("Start")
        assert render.ok, render.problems
        assert any("number 1 in the queue" in text for text in render.texts()), render.texts()
        assert _training_processes(server.process.pid) == 1
        render = alice.rerun()
        assert training_is_shown(render) and alice.button_id("Stop")
    finally:
        mallory.rerun()
        mallory.click("Stop")  # her run waits in the queue: no progress bar, but a Stop button
        stop_training(alice)
        alice.close()
        mallory.close()


def test_one_browser_cannot_queue_a_run_from_every_tab(server):
    first = StreamlitSession(server.url, timeout=300).open("train")
    second = StreamlitSession(server.url, timeout=300).open("train", xsrf=first.xsrf)  # another tab
    try:
        start_training(first, LONG_RUN)
        second.visit("train", LONG_RUN)
        render = second.click("Start")
        assert render.finished and not render.exceptions, render.problems
        assert any(error.startswith("This browser already has a run going in another tab") for error in render.errors)
        assert not training_is_shown(render)
    finally:
        stop_training(first)
        first.close()
        second.close()


def test_the_training_page_names_a_run_and_never_shows_a_server_path(server):
    with StreamlitSession(server.url, timeout=300).open("train") as session:
        start_training(session, LONG_RUN)
        render = stop_training(session)
        texts = " ".join(render.texts())
        assert "Saved as run " in texts
        assert str(server.home) not in texts and str(REPO) not in texts and "model.pt" not in texts


@pytest.mark.parametrize("query", [
    "conv_kh=1e400", "conv_kw=" + "9" * 309, "conv_kh=-5", "conv_bias=nan",
])
def test_overflowing_numbers_in_a_link_fall_back_with_the_note(server, query):
    with StreamlitSession(server.url).open("convolution") as session:
        render = session.visit("convolution", query)
        assert not render.exceptions, render.exceptions
        assert render.finished
        name = query.split("=")[0]
        # The note quotes the link escaped (conv\_kh): compare the text it shows.
        assert any(name in warning.replace("\\", "") for warning in render.warnings), render.warnings


def test_no_link_value_becomes_a_link_or_an_image_in_the_note(server, chromium):
    # The note quoted a link's value as markdown: a working link and an image fetched from any host.
    value = "[Log in](http://login.invalid/login) ![t](http://pixel.invalid/p.png) www.evil.invalid :red[x]"
    url = f"{server.url}/convolution?x={urllib.parse.quote(value)}"
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(url)
        page.wait_for_selector('[data-testid="stAlertContentWarning"]', timeout=120_000)
        wait_until_idle(page)
        note = page.locator('[data-testid="stAlertContentWarning"]').first
        assert "Log in" in note.inner_text() and "login.invalid" in note.inner_text()
        assert note.locator("a").count() == 0 and note.locator("img").count() == 0
        hosts = {urllib.parse.urlsplit(address).hostname for address in requested}
        assert hosts == {"127.0.0.1"}, hosts  # no fetch of the link's hosts (nor of any other)
        assert not exceptions_on(page)
    finally:
        page.close()


def _zip_bomb(folder: Path, claimed_bytes: int) -> Path:
    """A real checkpoint whose pickle record is DEFLATE-compressed zeros claiming ``claimed_bytes``."""
    import torch

    from cnnviz.models import get_model, save_checkpoint
    from dashboard.testing.crafted_files import zip_bomb

    torch.manual_seed(0)
    real = save_checkpoint(folder / "real.pt", get_model("small_cnn", channels=[4]),
                           classes=[f"class {i}" for i in range(10)])
    return zip_bomb(real, folder / "homework.pt", claimed_bytes)


def test_a_zip_bomb_checkpoint_uploaded_in_the_browser_gets_a_sentence_and_costs_no_memory(
        server, chromium, tmp_path):
    # torch.load read the whole DEFLATE record before any check: 4.4 MB claiming 4 GiB cost 2.7 GB.
    bomb = _zip_bomb(tmp_path, 2 * 2**30)
    assert bomb.stat().st_size < 5 * 2**20
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    try:
        page.goto(server.url)
        wait_until_idle(page)
        before = _status(server.process.pid, "VmHWM")
        upload(page, bomb)
        page.wait_for_selector('[data-testid="stAlertContentError"]', timeout=120_000)
        error = page.locator('[data-testid="stAlertContentError"]').first.inner_text()
        assert "would unpack to 2.0 GB" in error and "homework" not in error and "/" not in error, error
        assert not exceptions_on(page)
        assert (_status(server.process.pid, "VmHWM") - before) / 1024 < 300  # MB
        assert _health_seconds(server.url) < 5
    finally:
        page.close()


def test_a_shutdown_stops_the_run_in_progress_and_keeps_it_as_stopped(tmp_path):
    # SIGTERM (systemctl stop) ended the server and its run within 3 s, leaving nothing on disk.
    server = DashboardServer(env={"CNNVIZ_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"})
    try:
        with StreamlitSession(server.url, timeout=300).open("train") as session:
            start_training(session, LONG_RUN)
            server.process.send_signal(signal.SIGTERM)
            assert server.process.wait(timeout=90) == 0
    finally:
        if server.process.poll() is None:
            server.stop()
    checkpoints = list((tmp_path / "runs").glob("*/model.pt"))
    assert len(checkpoints) == 1
    from cnnviz.models import load_checkpoint

    meta = load_checkpoint(checkpoints[0]).meta
    assert meta["status"] == "stopped" and meta["steps"] > 0
