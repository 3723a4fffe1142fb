"""The server's one training-run manager, held outside every Streamlit cache.

It used to live in st.cache_resource, and any cache clear (a crafted client can ask for one)
replaced it with an empty manager: the global run limit no longer counted the runs still
training, and students' runs vanished from their pages with no Stop button. A module global
lives as long as the server process, whatever happens to the caches.

At interpreter exit (after Ctrl+C or SIGTERM has stopped Streamlit's server) every run is
stopped the way Stop does it, so each saves its checkpoint and is listed as stopped.
"""

from __future__ import annotations

import atexit
import threading

from cnnviz.runs import RunManager

# Seconds a shutdown waits for runs to finish their batch, evaluate and save (systemd's default
# stop timeout is 90 s, so this fits inside it).
SHUTDOWN_SECONDS = 45.0

_lock = threading.Lock()
_manager: RunManager | None = None


def run_manager() -> RunManager:
    """The one RunManager of this server process, created on first use (thread-safe)."""
    global _manager
    with _lock:
        if _manager is None:
            from dashboard import internals

            _manager = RunManager(owner_alive=internals.session_connected)
            # At exit, runs are stopped and saved the way Stop does (a run whose server is gone
            # without this still stops and saves: its stdin closes).
            atexit.register(_manager.close, timeout=SHUTDOWN_SECONDS)
        return _manager


def close_for_tests() -> None:
    """Stop every run and forget the manager, so a test starts with a fresh one."""
    global _manager
    with _lock:
        manager, _manager = _manager, None
    if manager is not None:
        atexit.unregister(manager.close)
        manager.close(timeout=20)
