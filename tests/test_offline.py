"""Offline: every page works with the network cut, and nothing the dashboard does leaves the machine.

tests/offline_walk.py (a server and Chromium) runs twice, side by side, in subprocesses: once in a
user and network namespace that holds only loopback (`unshare -rn`, no root needed), and once with
the network as it is, where a request that would fail quietly offline (a CDN font with a
fallback, a remote favicon) still shows. A third check starts the server (dashboard.serve) for
a whole room. Screenshots and report.json land in test-artifacts/offline-walk/{cut,online}/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from browser import CHROMIUM, REPO
from dashboard import navigation
from dashboard.testing.server import free_port
from offline_walk import audit_env, browser_traffic, is_local, read_audit_log, server_tracebacks

WALK = REPO / "tests" / "offline_walk.py"
ARTIFACTS = REPO / "test-artifacts" / "offline-walk"
WALK_TIMEOUT_S = 400
EXPECTED_STEPS = {entry.url_path for entry in navigation.PAGES} | {"link-convolution", "link-present"}

browser = pytest.mark.browser


def _ip_command() -> str | None:
    return shutil.which("ip") or next((p for p in ("/usr/sbin/ip", "/sbin/ip") if os.path.exists(p)), None)


def _can_cut_network() -> str:
    """"" when `unshare -rn` works here, else the reason it does not."""
    if shutil.which("unshare") is None:
        return "no unshare command on this machine"
    if _ip_command() is None:
        return "no ip command (iproute2) to bring loopback up inside the namespace"
    done = subprocess.run(["unshare", "-rn", "true"], capture_output=True, text=True)
    if done.returncode != 0:
        return f"unprivileged network namespaces are not allowed here: {done.stderr.strip()}"
    return ""


def _in_cut_network(command: list[str]) -> list[str]:
    """``command`` run inside a new user + network namespace holding only loopback (up)."""
    # "$0" "$@" hands the command through sh without quoting it into a string.
    return ["unshare", "-rn", "sh", "-c", f'{_ip_command()} link set lo up && exec "$0" "$@"', *command]


def _start_walk(name: str, *, cut: bool) -> subprocess.Popen:
    """Start the walk into ARTIFACTS/name in a subprocess; its output goes to ARTIFACTS/name.log."""
    out = ARTIFACTS / name
    shutil.rmtree(out, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(WALK), "--out", str(out)]
    with open(ARTIFACTS / f"{name}.log", "wb") as log:
        return subprocess.Popen(_in_cut_network(command) if cut else command, cwd=REPO,
                                stdout=log, stderr=subprocess.STDOUT)


def _finish_walk(name: str, process: subprocess.Popen, deadline: float) -> dict | str:
    """The walk's report, or a sentence saying why there is none."""
    try:
        process.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    report_file = ARTIFACTS / name / "report.json"
    if not report_file.exists():
        output = (ARTIFACTS / f"{name}.log").read_text(errors="replace")[-4000:]
        return f"the {name} walk wrote no report (exit {process.returncode}):\n{output}"
    return json.loads(report_file.read_text())


@pytest.fixture(scope="module")
def walks() -> dict[str, dict | str]:
    """Both walks, side by side: each spends most of its time waiting on the page, and the cut one
    has a loopback of its own, so their servers cannot clash. Values: a report, or why none."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"CI must install Chromium ({CHROMIUM}); .ci/run does it with apt-get")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    started = {"online": _start_walk("online", cut=False)}
    cannot_cut = _can_cut_network()
    if not cannot_cut:
        started["cut"] = _start_walk("cut", cut=True)
    deadline = time.monotonic() + WALK_TIMEOUT_S
    return {name: _finish_walk(name, process, deadline) for name, process in started.items()}


@pytest.fixture(scope="module")
def cut_report(walks):
    if "cut" not in walks:
        pytest.skip(f"cannot cut the network for the offline walk: {_can_cut_network()}")
    if isinstance(walks["cut"], str):
        pytest.fail(walks["cut"])
    return walks["cut"]


@pytest.fixture(scope="module")
def online_report(walks):
    if isinstance(walks["online"], str):
        pytest.fail(walks["online"])
    return walks["online"]


def _page_problems(report: dict) -> dict[str, list[str]]:
    """Per step: stException texts, uncaught JavaScript errors, and steps the walk could not do."""
    return {page["name"]: page["exceptions"] + page["page_errors"] + page["errors"] for page in report["pages"]
            if page["exceptions"] or page["page_errors"] or page["errors"]}


def _urls(requests: list[dict]) -> list[str]:
    return sorted({request["url"] for request in requests})


@browser
def test_every_page_works_with_the_network_cut(cut_report):
    assert cut_report["network_cut"], "the walk saw network interfaces besides loopback"
    assert {page["name"] for page in cut_report["pages"]} == EXPECTED_STEPS
    assert all(page["screenshots"] for page in cut_report["pages"])
    assert _page_problems(cut_report) == {}
    assert cut_report["server_tracebacks"] == []


@browser
def test_nothing_asks_beyond_loopback_with_the_network_cut(cut_report):
    assert _urls(cut_report["non_local_requests"]) == []
    assert cut_report["server_network_attempts"] == []


@browser
def test_no_request_leaves_the_machine_with_the_network_up(online_report):
    assert _page_problems(online_report) == {}
    assert _urls(online_report["non_local_requests"]) == []
    # Chromium's own traffic: what it looked up or connected to, pages and background alike.
    assert online_report["browser_dns_lookups"] == []
    assert online_report["browser_tcp_connects"] == []
    assert online_report["server_network_attempts"] == []
    assert online_report["server_tracebacks"] == []


def test_a_server_for_the_whole_room_asks_no_one_for_its_address(tmp_path):
    """`python -m dashboard.serve --server.headless true` with no address listens on every
    interface, as a server for forty laptops does; Streamlit then looks up this machine's public
    IP on the internet for its start-up banner unless dashboard.serve stops it."""
    reason = _can_cut_network()
    if reason:  # listening on every interface is only safe inside an empty namespace
        pytest.skip(f"cannot cut the network for the server start: {reason}")
    network_log = tmp_path / "network.jsonl"
    env = {**os.environ, "CNNVIZ_HOME": str(tmp_path / "home"), **audit_env(tmp_path, network_log)}
    command = [sys.executable, "-m", "dashboard.serve", "--server.headless", "true", "--server.port", str(free_port())]
    server_log = tmp_path / "server.log"
    with open(server_log, "wb") as log:
        process = subprocess.Popen(_in_cut_network(command), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        # The banner is printed after the address lookups, so once it is there they are logged.
        while "You can now view" not in server_log.read_text(errors="replace"):
            assert process.poll() is None, f"the server exited:\n{server_log.read_text()}"
            assert time.monotonic() < deadline, "the server printed no banner in 120 s"
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert read_audit_log(network_log) == []


# The walk's classifiers, on worked examples: a classifier that called everything local would
# make the walks above pass whatever the pages did.


def test_is_local_tells_loopback_from_the_internet():
    assert is_local("http://127.0.0.1:8501/_stcore/health")
    assert is_local("ws://localhost:8501/_stcore/stream")
    assert is_local("http://[::1]:8501/")
    assert is_local("data:image/svg+xml;base64,PHN2Zz4=")
    assert is_local("blob:http://127.0.0.1:8501/0f1e")
    assert not is_local("https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/grid_on/default/24px.svg")
    assert not is_local("https://data.streamlit.io/metrics.json")
    assert not is_local("http://192.168.1.10:8501/")


def test_server_tracebacks_are_found_whole():
    log = ("2026-11-23 Uvicorn server started\n"
           "Traceback (most recent call last):\n"
           '  File "pages/conv_lab.py", line 3, in <module>\n'
           "    1 / 0\n"
           "ZeroDivisionError: division by zero\n"
           "2026-11-23 later line\n")
    assert server_tracebacks(log) == [
        'Traceback (most recent call last):\n  File "pages/conv_lab.py", line 3, in <module>\n'
        "    1 / 0\nZeroDivisionError: division by zero"
    ]
    assert server_tracebacks("all quiet\n") == []


def test_browser_traffic_reads_a_netlog(tmp_path):
    # A NetLog as Chromium writes it: constants on line 1, one event per line, here cut short.
    constants = {"logEventTypes": {"REQUEST_ALIVE": 1, "DNS_TRANSACTION": 2, "TCP_CONNECT_ATTEMPT": 3,
                                   "UDP_CONNECT": 4}}
    events = [
        {"type": 1, "params": {"url": "http://127.0.0.1:8501/static/js/index.js"}},
        {"type": 1, "params": {"url": "https://update.googleapis.com/service/update2/json"}},
        {"type": 2, "params": {"hostname": "update.googleapis.com", "query_type": 1}},
        {"type": 3, "params": {"address": "127.0.0.1:8501"}},
        {"type": 3, "params": {"address": "142.250.1.1:443"}},
        {"type": 4, "params": {"address": "[2001:4860:4860::8888]:443"}},
    ]
    text = json.dumps({"constants": constants})[:-1] + ",\n\"events\": [\n"
    text += "".join(json.dumps(event) + ",\n" for event in events) + '{"type": 1, "par'
    netlog = tmp_path / "netlog.json"
    netlog.write_text(text)
    assert browser_traffic(netlog) == {
        "requested_hosts": ["update.googleapis.com"],
        "dns_lookups": ["update.googleapis.com"],
        "tcp_connects": ["142.250.1.1:443"],
    }
