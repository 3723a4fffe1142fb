"""What a page reads about a run: frozen snapshots, safe to keep and read without any lock.

The manager builds them under its lock from a run's job and its members' histories; a page
never touches the live job, so no page can block a run or see it half-updated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnnviz.runs.schedule import ACTIVE_STATES
from cnnviz.train.config import TrainConfig
from cnnviz.train.events import EndEvent, Event, RunSummary, summarize


@dataclass(frozen=True)
class RunMember:
    """One fit() within a run: a single run has one, a learning-rate comparison one per rate.

    Attributes:
        label: e.g. "lr 0.1".
        config: its training settings.
        events: what it emitted so far, in order, compacted by FitHistory (a long run keeps
            evenly spaced progress points; only the latest epoch keeps its kernels and confusion).
        fold: FitHistory.fold() taken with the events, so that ``summary`` need not walk them;
            None (a member built by hand) -> summarised from the events.
    """

    label: str
    config: TrainConfig
    events: tuple[Event, ...]
    fold: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def summary(self) -> RunSummary:
        """summarize(events), a fresh copy on every read."""
        if self.fold is None:
            return summarize(self.events)
        started, steps, epochs, end = self.fold
        return RunSummary(started, list(steps), list(epochs), end)

    @property
    def end(self) -> EndEvent | None:
        return self.events[-1] if self.events and isinstance(self.events[-1], EndEvent) else None


@dataclass(frozen=True)
class RunStatus:
    """A snapshot of one run, safe to read without a lock.

    Attributes:
        run_id: its id, also the folder name under runs_dir() of its checkpoint.
        kind: "single" or "lr-comparison".
        owner: who submitted it (a browser session id).
        client: the browser (all its tabs) that submitted it; the owner when not given.
        state: "queued", "starting" (process launched, loading data), "running", or an end
            state: "finished", "stopped", "diverged", "failed".
        queue_position: 1 for the next run to start, 2 after it, ...; None unless queued.
        message: a sentence on how it ended ("" while active).
        members: one RunMember per fit.
        submitted_at, started_at, ended_at: time.time() stamps (None when not yet).
        checkpoint: the saved model of a single run, or None.
        pace: "paused" or "stepping" (to the end of its epoch, then paused) while a running run is
            held by Pause or "Step one epoch" (cnnviz.runs.pacing); "running" otherwise.
        stopping: Stop was asked (or a limit ended it) and the run is finishing its batch and saving.
    """

    run_id: str
    kind: str
    owner: str
    client: str
    state: str
    queue_position: int | None
    message: str
    members: tuple[RunMember, ...]
    submitted_at: float
    started_at: float | None
    ended_at: float | None
    checkpoint: str | None
    pace: str = "running"
    stopping: bool = False

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def summary(self) -> RunSummary:
        """The first member's summary (the whole story for a single run)."""
        return self.members[0].summary
