"""The real dashboard as a child process: `python -m dashboard.serve` on a free loopback port.

Its log goes to test-artifacts/server-<port>.log at the repository root, so that a failed test or
benchmark leaves the server's side of the story behind.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A loopback port that was free a moment ago (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DashboardServer:
    """The dashboard (dashboard.serve) on a free loopback port, stopped by its PID."""

    def __init__(self, env: dict[str, str] | None = None):
        """Start the server and wait until it answers its health check.

        Args:
            env: variables added to this process's environment for the server (CNNVIZ_HOME, limits).
        """
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
