"""Pause, resume and step one epoch: TensorFlow Playground's controls for a background run.

A lecturer stops time mid-lesson: Pause holds the run before its next batch, Resume lets it go on,
and "Step one epoch" trains to the end of the current epoch (its evaluation and kernels included)
and pauses again. The server sends a command as a line on the run's stdin (cnnviz.runs.frames);
the run's process keeps a ``Pacer`` that its training loop asks before every batch, and tells the
server each pace it takes (a ``PaceEvent`` frame), so a page shows what the run really does.

A paused run keeps its slot, its heartbeat and its time limit: pausing cannot hold the machine
past ``CNNVIZ_MAX_RUN_SECONDS``, and Stop ends a paused run at once, saved, as ever.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

RUNNING, PAUSED, STEPPING = "running", "paused", "stepping"  # stepping: to the end of this epoch, then paused
PACES = (RUNNING, PAUSED, STEPPING)
COMMANDS = ("pause", "resume", "step")
_WAKE_SECONDS = 0.5  # a paused loop looks again this often, so a missed wake-up never hangs it


@dataclass(frozen=True)
class PaceEvent:
    """The run's process took this pace (one of PACES); the server keeps it on the job, not in a history."""

    pace: str


def next_pace(pace: str, command: str) -> str:
    """The pace after ``command``: pause holds it now, resume lets it run, step runs it to the end
    of the current epoch (from a running run too: "pause when this epoch is done")."""
    if command == "pause":
        return PAUSED
    if command == "resume":
        return RUNNING
    if command == "step":
        return STEPPING
    raise ValueError(f"Unknown pace command {command!r}; the commands are {', '.join(COMMANDS)}.")


class Pacer:
    """The gate a run's training loop asks before every batch (thread-safe).

    Args:
        on_change: called with the new pace each time it changes (from the thread that changed it).

    ``should_stop`` is fit()'s hook: it returns at once while running, blocks while paused, and
    returns True once ``stop`` was called (a paused run then ends at once, saved, like any Stop).
    """

    def __init__(self, on_change: Callable[[str], None] = lambda pace: None) -> None:
        # Reentrant: a signal handler (Ctrl+C) calls stop() in the main thread, which may hold it.
        self._condition = threading.Condition(threading.RLock())
        self._on_change = on_change
        self.pace = RUNNING
        self.stopped = False

    def command(self, command: str) -> None:
        """Apply one of COMMANDS (unknown ones are ignored: they come from a pipe)."""
        if command in COMMANDS:
            self._become(next_pace(self.pace, command))

    def epoch_ended(self) -> None:
        """An epoch's results were sent: a stepping run pauses here."""
        with self._condition:
            if self.pace == STEPPING:
                self._become(PAUSED)

    def stop(self) -> None:
        with self._condition:
            self.stopped = True
            self._condition.notify_all()

    def should_stop(self) -> bool:
        """True once stopped; while paused, waits for resume, step or stop first."""
        with self._condition:
            while self.pace == PAUSED and not self.stopped:
                self._condition.wait(_WAKE_SECONDS)
            return self.stopped

    def _become(self, pace: str) -> None:
        with self._condition:
            if pace == self.pace:
                return
            self.pace = pace
            self._condition.notify_all()
            self._on_change(pace)
