"""Which uploaded checkpoints live sessions use, so the upload store never deletes one of them.

Each session keeps its uploaded checkpoints in its own st.session_state, which other sessions
cannot read; the Home page, which stores every upload, tells this module too. A session the
server has forgotten (its tab closed, past the reconnection window) no longer holds anything.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Iterable

from dashboard import internals

_REMEMBERED = 10_000  # sessions remembered (oldest forgotten first), as for clients

_lock = threading.Lock()
_by_session: OrderedDict[str, set[str]] = OrderedDict()


def remember(session: str, paths: Iterable[str | Path]) -> None:
    """Note that ``session`` uses these uploaded checkpoints (adds to what it already uses)."""
    with _lock:
        used = _by_session.setdefault(session, set())
        used.update(str(path) for path in paths)
        _by_session.move_to_end(session)
        while len(_by_session) > _REMEMBERED:
            _by_session.popitem(last=False)


def in_use() -> set[Path]:
    """The uploaded checkpoints of every session the server still keeps."""
    with _lock:
        sessions = list(_by_session.items())
    gone = [session for session, _ in sessions if not internals.session_alive(session)]
    with _lock:
        for session in gone:
            _by_session.pop(session, None)
    return {Path(path) for session, used in sessions if session not in gone for path in used}
