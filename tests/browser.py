"""Drive the real dashboard in headless Chromium: a server fixture and small page helpers.

Debian's Chromium is used (Playwright's own browser download cannot reach the internet here),
with the flags that keep it from phoning home.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CNNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Debian's Chromium still calls its updater and Google accounts despite the flags above:
    # resolve nothing but the dashboard's own loopback address.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
SCREENSHOTS = REPO / "test-artifacts" / "browser"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DashboardServer:
    """The dashboard (dashboard.serve) on a free loopback port, stopped by its PID."""

    def __init__(self, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = REPO / "test-artifacts" / f"server-{self.port}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "dashboard.serve",
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
        ]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the dashboard exited early:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the dashboard did not start in {timeout:.0f} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wait_until_idle(page, timeout_ms: int = 120_000) -> None:
    """Wait for the app to render and for Streamlit's script run to finish."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_selector('[data-testid="stMain"]', timeout=timeout_ms)
    # Give a rerun time to start, then wait until the script is no longer running.
    page.wait_for_timeout(800)
    page.wait_for_function(
        """() => { const app = document.querySelector('[data-testid="stApp"]');
                   const state = app && app.getAttribute('data-test-script-state');
                   return state === 'notRunning'
                       && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]'); }""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(500)


def exceptions_on(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]


def upload(page, path, index=0) -> None:
    """Put a file into the page's index-th file uploader, as a user's file picker would."""
    page.locator('[data-testid="stFileUploader"] input[type="file"]').nth(index).set_input_files(str(path))
    wait_until_idle(page)


def upload_photo(page, source: str, path) -> None:
    """Choose the page's upload option (a radio labelled `source`, e.g. "Upload a photo"), then upload."""
    page.get_by_text(source, exact=True).first.click()
    wait_until_idle(page)
    upload(page, path)
