"""The frames a run's process and the server talk in over the child's pipes (cnnviz.runs.child).

A frame is an 8-byte big-endian length and that many bytes of pickle; only the server and its own
child write them. A module of its own so that the server's side (cnnviz.runs.process) never imports
the child's module: `python -m cnnviz.runs.child` would then find it imported already and run it twice.
"""

from __future__ import annotations

import pickle
import struct
from typing import BinaryIO, Iterator

STOP_LINE = b"stop\n"
# Pause, resume and step one epoch (cnnviz.runs.pacing): one line each, read by the same watcher as Stop.
PACE_LINES = {b"pause\n": "pause", b"resume\n": "resume", b"step\n": "step"}
_LENGTH = struct.Struct(">Q")


def write_frame(stream: BinaryIO, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    """``size`` bytes, fewer only at the end of the stream (an unbuffered read may return less)."""
    parts, left = [], size
    while left:
        part = stream.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def read_frames(stream: BinaryIO) -> Iterator:
    """Every frame on ``stream`` until it ends (or ends mid-frame: the child died)."""
    while True:
        header = _read_exactly(stream, _LENGTH.size)
        if len(header) < _LENGTH.size:
            return
        (length,) = _LENGTH.unpack(header)
        data = _read_exactly(stream, length)
        if len(data) < length:
            return
        yield pickle.loads(data)
