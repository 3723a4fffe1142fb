"""Walk every page of the dashboard in headless Chromium and record every request that leaves it.

    python tests/offline_walk.py --out DIR

starts the dashboard (dashboard.testing.server's DashboardServer, on an empty CNNVIZ_HOME) and Chromium in
this process tree, opens every page of dashboard.navigation.PAGES, does one real thing on each
(upload a photo, pick a view, start and stop a run), opens two shared links with query
parameters, and writes into DIR a screenshot per step and report.json with:

- pages: each step's url, the stException texts seen, uncaught JavaScript errors, and walk
  errors (a widget that never appeared, a timeout), its screenshots and seconds;
- requests_by_host: every request the pages made (all frames, workers, websockets), by host;
- non_local_requests: those not to 127.0.0.1 / localhost / ::1 and not data: / blob: / about:;
- browser_requested_hosts / browser_dns_lookups / browser_tcp_connects: from Chromium's own
  NetLog, which also sees the browser's background services that never show up as page requests;
- server_network_attempts: every DNS lookup or connect of the server process to anything but
  loopback (a Python audit hook installed with a sitecustomize, see _AUDIT_HOOK);
- server_tracebacks: tracebacks in the server's log.

To walk with the network cut (a user and network namespace holding only loopback, no root):

    unshare -rn sh -c 'ip link set lo up && exec python tests/offline_walk.py --out DIR'

The exit status is 0 when the walk is clean (every step done, no exception, nothing non-local),
1 otherwise; tests/test_offline.py reads report.json either way.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from browser import CHROMIUM, CHROMIUM_ARGS, exceptions_on, upload, upload_photo, wait_until_idle
from dashboard import navigation
from dashboard.testing.server import DashboardServer

REPO = Path(__file__).resolve().parent.parent

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Schemes that never touch the network: inline data, object URLs, blank frames.
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-error", "devtools"}
CHECKPOINT = REPO / "pretrained" / "lenet5-fashion-mnist.pt"
STEP_TIMEOUT_MS = 120_000

# Installed into the server as a sitecustomize (the server is a separate Python process, started
# by DashboardServer): Python's audit events see every DNS lookup and socket connect, whichever
# library makes it (urllib, torch.hub, requests, tornado), so the report can say which code tried.
_AUDIT_HOOK = '''\
"""cnnviz offline walk: log every non-loopback DNS lookup or connect of this process."""
import json, os, socket, sys, sysconfig, threading, traceback

_LOG = os.environ.get("CNNVIZ_NETWORK_AUDIT")
_STDLIB = sysconfig.get_paths()["stdlib"]
_LOCAL = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "", None}
_lock = threading.Lock()


def _record(event, host, port):
    if host in _LOCAL or str(host).startswith("127.") or str(host).startswith("/"):
        return
    frames = [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_stack()[:-2]
              if "site-packages" in f.filename or not f.filename.startswith(_STDLIB)]
    # The innermost project frames say whose code asked; the innermost library frames say how.
    own = [f for f in frames if "site-packages" not in f][-3:]
    where = own + [f for f in frames[-3:] if f not in own]
    line = json.dumps({"event": event, "host": str(host), "port": port, "where": where})
    with _lock, open(_LOG, "a") as log:
        log.write(line + "\\n")


def _hook(event, args):
    try:
        if event == "socket.getaddrinfo":
            _record(event, args[0] if not isinstance(args[0], bytes) else args[0].decode(), args[1])
        elif event == "socket.gethostbyname":
            _record(event, args[0], None)
        elif event == "socket.connect" and isinstance(args[1], tuple) and args[0].type != socket.SOCK_DGRAM:
            # A UDP connect sends nothing (Streamlit uses one to learn the LAN address); TCP does.
            _record(event, args[1][0], args[1][1])
    except Exception:  # an audit hook must never break the code it watches
        pass


if _LOG:
    sys.addaudithook(_hook)
'''


def audit_env(folder: Path, log: Path) -> dict[str, str]:
    """Environment that makes a Python process (and its children) log its network use to ``log``.

    Writes the audit hook as ``folder/audit/sitecustomize.py``; Python imports it at start-up
    from PYTHONPATH. Each line of ``log`` is JSON: event, host, port, where (the calling frames).
    """
    hook_dir = folder / "audit"
    hook_dir.mkdir(parents=True, exist_ok=True)
    (hook_dir / "sitecustomize.py").write_text(_AUDIT_HOOK)
    log.touch()
    python_path = os.pathsep.join(filter(None, [str(hook_dir), os.environ.get("PYTHONPATH")]))
    return {"CNNVIZ_NETWORK_AUDIT": str(log), "PYTHONPATH": python_path}


def read_audit_log(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


@dataclass
class Step:
    """One stop of the walk: open ``path`` (query included), then do ``action`` there."""

    name: str
    path: str
    action: Callable | None = None
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    screenshots: list[str] = field(default_factory=list)
    seconds: float = 0.0


# ---------------------------------------------------------------------------------------------
# One real interaction per page


def _home(page, photo: Path) -> None:
    # A shipped checkpoint, uploaded as a user's own: it goes through the upload path and catalog.
    upload(page, CHECKPOINT)
    page.get_by_text("every page's model menu now offers it").wait_for(timeout=STEP_TIMEOUT_MS)


def _convolution(page, photo: Path) -> None:
    upload_photo(page, "Upload", photo)
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=STEP_TIMEOUT_MS)


def _receptive_fields(page, photo: Path) -> None:
    upload_photo(page, "Upload a photo", photo)
    page.get_by_text("Field size, layer by layer").first.wait_for(timeout=STEP_TIMEOUT_MS)


def _train(page, photo: Path) -> None:
    from playwright.sync_api import Error as PlaywrightError

    # The form's defaults (LeNet-5 on Fashion-MNIST from the Debian files): start, then stop at
    # once; a run to the end would take minutes of a shared CPU and teach the walk nothing more.
    page.get_by_role("button", name="Start").click()
    stop = page.get_by_test_id("stMain").get_by_role("button", name="Stop")
    stop.first.wait_for(timeout=STEP_TIMEOUT_MS)
    stopped = page.get_by_text("Stopped").first
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    # The run's view is redrawn every second; a click that lands during a redraw can be lost.
    while not stopped.is_visible():
        if time.monotonic() > deadline:
            raise TimeoutError("the run did not stop within two minutes of pressing Stop")
        if stop.count():
            try:
                stop.first.click(timeout=5_000)
            except PlaywrightError:  # redrawn away under the pointer: look again
                pass
        page.wait_for_timeout(1_000)
    wait_until_idle(page)


def _inside(page, photo: Path) -> None:
    page.get_by_text("Kernels", exact=True).first.click()
    wait_until_idle(page)
    page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=STEP_TIMEOUT_MS)


def _attacks(page, photo: Path) -> None:
    upload_photo(page, "Your own photo", photo)
    page.get_by_text("Prediction after").first.wait_for(timeout=STEP_TIMEOUT_MS)


def _looks_for(page, photo: Path) -> None:
    page.get_by_role("button", name="Run").click()
    # (not "The network calls": matching ignores case, and the folded intro says "the network calls")
    page.get_by_text("pictures its own class").first.wait_for(timeout=STEP_TIMEOUT_MS)


ACTIONS = {
    "overview": _home,
    "convolution": _convolution,
    "receptive-fields": _receptive_fields,
    "train": _train,
    "inside-a-network": _inside,
    "attacks": _attacks,
    "looks-for": _looks_for,
}
# Shared links a lecturer would hand out; a parameter the page does not know must not break it.
DEEP_LINKS = (
    ("link-convolution", "convolution?conv_source=Photo&conv_stride=2"),
    ("link-present", "?present=true"),
)


def walk_steps() -> list[Step]:
    """Every page (the first one lives at "/"), then the shared links."""
    steps = [
        Step(entry.url_path, "" if i == 0 else entry.url_path, ACTIONS.get(entry.url_path))
        for i, entry in enumerate(navigation.PAGES)
    ]
    return steps + [Step(name, path) for name, path in DEEP_LINKS]


# ---------------------------------------------------------------------------------------------
# Classifying what was seen


def is_local(url: str) -> bool:
    """True for loopback URLs and for schemes that never reach a network (data:, blob:, ...)."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return (parts.hostname or "") in LOOPBACK_HOSTS or (parts.hostname or "").startswith("127.")


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.hostname or f"{parts.scheme}:"


def _netlog_events(path: Path):
    """(event type name, params) of each event in a Chromium NetLog.

    A NetLog holds its constants on the first line and one event per line after; reading it line
    by line also copes with a file cut short when Chromium did not exit cleanly.
    """
    if not path.exists():
        return
    with open(path, errors="replace") as log:
        try:
            constants = json.loads(log.readline().rstrip().rstrip(",") + "}")["constants"]
        except (ValueError, KeyError):
            return
        names = {number: name for name, number in constants["logEventTypes"].items()}
        for line in log:
            try:
                event = json.loads(line.rstrip().rstrip(","))
            except ValueError:  # the "events": [ line, the closing lines, a cut-off last line
                continue
            if isinstance(event, dict) and "type" in event:
                yield names.get(event["type"], str(event["type"])), event.get("params") or {}


def browser_traffic(netlog: Path) -> dict[str, list[str]]:
    """What Chromium itself (pages and its own background services) asked of the network.

    Returns:
        dict with "requested_hosts": non-local hosts of every URL request, page or background;
        "dns_lookups": host names sent to a DNS resolver; "tcp_connects": non-loopback
        addresses a TCP connection was tried to. The last two are what actually leaves the
        machine; a UDP "connect" sends nothing (Chromium uses one to probe for IPv6) and is left out.
    """
    requested, lookups, connects = set(), set(), set()
    for name, params in _netlog_events(netlog):
        if name == "REQUEST_ALIVE" and "url" in params and not is_local(params["url"]):
            requested.add(host_of(params["url"]))
        elif name == "DNS_TRANSACTION" and params.get("hostname"):
            lookups.add(params["hostname"])
        elif name == "TCP_CONNECT_ATTEMPT" and params.get("address"):
            address = params["address"].rsplit(":", 1)[0].strip("[]")
            if not (address.startswith("127.") or address == "::1"):
                connects.add(params["address"])
    return {"requested_hosts": sorted(requested), "dns_lookups": sorted(lookups),
            "tcp_connects": sorted(connects)}


def server_tracebacks(log_text: str) -> list[str]:
    """Each traceback in the server's log, up to its last line."""
    blocks = re.findall(r"Traceback \(most recent call last\):\n(?:[ \t].*\n|\n)*.*", log_text)
    return [block.strip() for block in blocks]


def network_is_cut() -> bool:
    """True inside a network namespace that holds nothing but loopback."""
    return [name for _, name in socket.if_nameindex()] == ["lo"]


# ---------------------------------------------------------------------------------------------
# The walk


def _photo(folder: Path) -> Path:
    """skimage's cat (bundled in the wheel, no download) as the JPEG a user would upload."""
    from PIL import Image
    from skimage import data

    path = folder / "chelsea.jpg"
    Image.fromarray(data.chelsea()).save(path, quality=90)
    return path


def walk(out: Path) -> dict:
    """Run the whole walk; write screenshots and report.json into ``out``; return the report."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    steps = walk_steps()
    requests: list[dict] = []
    websockets: list[str] = []
    failed: list[dict] = []
    now: dict[str, Step | None] = {"step": None}  # the step the listeners file events under
    netlog = out / "chromium-netlog.json"
    audit_log = out / "server-network.jsonl"
    audit_log.unlink(missing_ok=True)

    with tempfile.TemporaryDirectory(prefix="cnnviz-offline-") as scratch:
        scratch = Path(scratch)
        photo = _photo(scratch)
        server = DashboardServer(env={"CNNVIZ_HOME": str(scratch / "home"), **audit_env(scratch, audit_log)})
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=[*CHROMIUM_ARGS, f"--log-net-log={netlog}"]  # CHROMIUM_ARGS resolve only loopback,
                )
                context = browser.new_context(viewport={"width": 1600, "height": 1000})

                def step_name() -> str:
                    return now["step"].name if now["step"] else "start"

                def on_request(request) -> None:
                    requests.append({"url": request.url, "type": request.resource_type, "step": step_name()})

                def on_failed(request) -> None:
                    failed.append({"url": request.url, "error": request.failure, "step": step_name()})

                def on_page_error(error) -> None:
                    if now["step"]:
                        now["step"].page_errors.append(str(error))

                def on_page(page) -> None:
                    page.on("websocket", lambda ws: websockets.append(ws.url))
                    page.on("pageerror", on_page_error)

                # Context-level listeners see every page, popup and frame (and, in Chromium,
                # service workers), including pages opened after this point.
                context.on("request", on_request)
                context.on("requestfailed", on_failed)
                context.on("page", on_page)
                page = context.new_page()
                for step in steps:
                    now["step"] = step
                    _run_step(page, server.url, step, photo, out)
                browser.close()  # a clean close lets Chromium finish its NetLog
        finally:
            server.stop()
            log_text = server.log.read_text(errors="replace") if server.log.exists() else ""
            (out / "server.log").write_text(log_text)

    by_host: dict[str, list[str]] = defaultdict(list)
    for request in requests:
        urls = by_host[host_of(request["url"])]
        if request["url"] not in urls:
            urls.append(request["url"])
    for url in websockets:
        if url not in by_host[host_of(url)]:
            by_host[host_of(url)].append(url)
    browser = browser_traffic(netlog)
    attempts = read_audit_log(audit_log)
    report = {
        "network_cut": network_is_cut(),
        "seconds": round(time.monotonic() - started, 1),
        "pages": [
            {"name": s.name, "url": f"/{s.path}", "exceptions": s.exceptions, "errors": s.errors,
             "page_errors": s.page_errors, "screenshots": s.screenshots, "seconds": round(s.seconds, 1)}
            for s in steps
        ],
        "requests": len(requests),
        "requests_by_host": dict(sorted(by_host.items())),
        "websockets": sorted(set(websockets)),
        "non_local_requests": [r for r in requests if not is_local(r["url"])]
                              + [{"url": url, "type": "websocket"} for url in websockets if not is_local(url)],
        "failed_requests": failed,
        "browser_requested_hosts": browser["requested_hosts"],
        "browser_dns_lookups": browser["dns_lookups"],
        "browser_tcp_connects": browser["tcp_connects"],
        "server_network_attempts": attempts,
        "server_tracebacks": server_tracebacks(log_text),
    }
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def _run_step(page, base_url: str, step: Step, photo: Path, out: Path) -> None:
    """Open the step's page, look for exceptions, act, look again; errors are recorded, not raised."""
    began = time.monotonic()

    def shoot(suffix: str) -> None:
        path = out / f"{step.name}{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        step.screenshots.append(path.name)

    try:
        page.goto(f"{base_url}/{step.path}")
        wait_until_idle(page)
        step.exceptions += exceptions_on(page)
        shoot("")
        if step.action is not None:
            step.action(page, photo)
            step.exceptions += exceptions_on(page)
            shoot("-after")
    except Exception as error:  # a timeout or a missing widget: note it and walk on
        step.errors.append(f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
        try:
            step.exceptions += exceptions_on(page)
            shoot("-failed")
        except Exception:
            pass
    step.seconds = time.monotonic() - began


def is_clean(report: dict) -> bool:
    pages_ok = all(not (p["exceptions"] or p["errors"] or p["page_errors"]) for p in report["pages"])
    left_machine = (report["non_local_requests"] or report["browser_dns_lookups"]
                    or report["browser_tcp_connects"] or report["server_network_attempts"])
    return pages_ok and not left_machine and not report["server_tracebacks"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for screenshots and report.json")
    args = parser.parse_args(argv)
    report = walk(args.out)
    summary = {key: report[key] for key in (
        "network_cut", "seconds", "browser_requested_hosts", "browser_dns_lookups",
        "browser_tcp_connects", "server_network_attempts")}
    summary["non_local_requests"] = sorted({r["url"] for r in report["non_local_requests"]})
    summary["problems"] = {p["name"]: p["exceptions"] + p["errors"] + p["page_errors"]
                           for p in report["pages"] if p["exceptions"] or p["errors"] or p["page_errors"]}
    summary["server_tracebacks"] = len(report["server_tracebacks"])
    print(json.dumps(summary, indent=2))
    return 0 if is_clean(report) else 1


if __name__ == "__main__":
    raise SystemExit(main())
