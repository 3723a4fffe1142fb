"""Training runs in the background, for a web server that many students share.

One ``RunManager`` per server (dashboard/training_service.py creates it). Each run is its own
process; the server keeps the rules, a lock and a pump thread. In parts, one idea each:

- ``schedule``: the rules of the room as a pure state machine: queue, limits, ownership, the
  orphan and time-limit decisions, what to launch next (a clock and a launcher are given to it).
- ``process``: the run's process from the server's side: starting it, its events, Stop, its GPU.
- ``child``: what runs inside that process; ``frames``: what it and the server send each other.
- ``pacing``: pause, resume and step one epoch, the gate the child's training loop asks.
- ``history``: one fit's events, compacted to a bound and folded into its summary as they arrive.
- ``status``: the frozen snapshots pages read.
- ``manager``: RunManager, the glue: lock, pump thread, real processes.

Rules for a room of students: each owner (browser session) has at most one active run; so has
each client (a browser with all its tabs, ``CNNVIZ_RUNS_PER_CLIENT``), and each network address
a few more (``CNNVIZ_RUNS_PER_ADDRESS``: a hall may share one address, while a crafted client can
pose as many browsers). At most ``CNNVIZ_MAX_RUNS`` runs train at once (default: one per GPU, or
one on a CPU-only machine); the rest wait in a first-come queue of at most ``CNNVIZ_MAX_QUEUED``
runs and know their place in it.

Memory stays bounded however long the server runs: a run's process returns everything when it
exits, each run's history is compacted as it grows (FitHistory: at most ``MAX_STEP_EVENTS``
progress points per fit, one kernel and confusion snapshot), and only the latest ``keep_ended``
ended runs are remembered.
"""

from cnnviz.runs.history import MAX_STEP_EVENTS, FitHistory
from cnnviz.runs.manager import (
    DEFAULT_LRS,
    DEFAULT_MAX_QUEUED,
    DEFAULT_MAX_RUN_SECONDS,
    DEFAULT_ORPHAN_SECONDS,
    DEFAULT_RUNS_PER_ADDRESS,
    DEFAULT_RUNS_PER_CLIENT,
    MAX_QUEUED_ENV,
    MAX_RUN_SECONDS_ENV,
    ORPHAN_SECONDS_ENV,
    RUNS_PER_ADDRESS_ENV,
    RUNS_PER_CLIENT_ENV,
    RunManager,
)
from cnnviz.runs.process import MAX_RUNS_ENV, TRAIN_THREADS_ENV, default_max_runs, training_threads
from cnnviz.runs.schedule import ACTIVE_STATES, END_STATES, STOP_GRACE_SECONDS, RunRefused
from cnnviz.runs.status import RunMember, RunStatus

__all__ = [
    "ACTIVE_STATES", "DEFAULT_LRS", "DEFAULT_MAX_QUEUED", "DEFAULT_MAX_RUN_SECONDS", "DEFAULT_ORPHAN_SECONDS",
    "DEFAULT_RUNS_PER_ADDRESS", "DEFAULT_RUNS_PER_CLIENT", "END_STATES", "FitHistory", "MAX_QUEUED_ENV",
    "MAX_RUNS_ENV", "MAX_RUN_SECONDS_ENV", "MAX_STEP_EVENTS", "ORPHAN_SECONDS_ENV", "RUNS_PER_ADDRESS_ENV",
    "RUNS_PER_CLIENT_ENV", "RunManager", "RunMember", "RunRefused", "RunStatus", "STOP_GRACE_SECONDS",
    "TRAIN_THREADS_ENV", "default_max_runs", "training_threads",
]
