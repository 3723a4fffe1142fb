"""The rules of the room, as a state machine: which runs wait, which train, which must stop.

Everything a run's life depends on that is not a process lives here: the jobs and their states,
the first-come queue and each run's place in it, the limits per tab, browser, address and
machine with the sentence each refusal says, the orphan and time-limit rules, what to launch
next, and how a run's end is told. It holds no lock, starts no thread and no process, and reads
the time from the clock it is given; processes are the launcher's business (see ``Launcher``).
So the rules are tested with a fake clock and a fake launcher, in milliseconds, and the manager
only adds the lock, the pump thread and the real processes.

A job's states: "queued" -> "starting" (its process launched) -> "running" (its fit began) ->
an end state ("finished", "stopped", "diverged", "failed"); a queued job may end at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

from cnnviz.train.events import END_STATES  # a run ends the way its (last) fit does

ACTIVE_STATES = ("queued", "starting", "running")
TRAINING_STATES = ("starting", "running")  # a process exists
STOP_GRACE_SECONDS = 60.0  # after a stop request: time to finish the batch, evaluate and save
SHUTDOWN_REASON = "The server is shutting down."


class RunRefused(RuntimeError):
    """A run cannot be started; the message is one sentence for the student."""


@dataclass(frozen=True)
class Limits:
    """The room's limits; see RunManager for what each one means and where its default comes from."""

    max_runs: int = 1
    orphan_seconds: float = 300.0
    max_run_seconds: float = 3600.0
    runs_per_client: int = 1
    runs_per_address: int = 8
    max_queued: int = 10
    keep_ended: int = 100
    stop_grace_seconds: float = STOP_GRACE_SECONDS


@dataclass
class Job:
    """One submitted run as the schedule sees it (the manager snapshots it for pages).

    ``histories`` (one per member) and ``process`` (the launcher's handle while it trains) are
    carried for the manager and the launcher; the schedule never looks inside them.
    """

    run_id: str
    kind: str  # "single" or "lr-comparison"
    owner: str
    client: str
    address: str
    labels: list[str]
    configs: list
    checkpoint_paths: list[str | None]
    submitted_at: float
    last_seen: float
    histories: list = field(default_factory=list)
    state: str = "queued"
    message: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    stop_requested_at: float | None = None
    stop_reason: str = ""
    process: object = None
    device: str | None = None
    pace: str = "running"  # as the run's process last said (cnnviz.runs.pacing): running, paused, stepping


class Launcher(Protocol):
    """What the schedule asks of the processes; cnnviz.runs.process has the real one."""

    def choose_device(self, busy: set) -> str | None:
        """The device for the next run, given the ones running jobs use (None: "auto")."""

    def launch(self, job: Job) -> object:
        """Start the job's process (on job.device); return its handle, kept in job.process."""

    def request_stop(self, job: Job) -> None:
        """Ask the job's process to stop, evaluate and save."""

    def request_pace(self, job: Job, command: str) -> None:
        """Ask the job's process to pause, resume or step one epoch (cnnviz.runs.pacing.COMMANDS)."""

    def receive(self, job: Job, wait: float = 0.0) -> bool:
        """Take in the events that arrived; True when a fit's StartEvent was among them."""

    def alive(self, job: Job) -> bool:
        """Whether the job's process still runs."""

    def settle(self, job: Job) -> None:
        """The process has exited: reap it and take in its last events."""

    def ends(self, job: Job) -> list:
        """Each member's EndEvent, None for a member without one."""

    def exit_code(self, job: Job) -> int | None:
        """The exited process's exit code (negative: killed by that signal)."""

    def kill(self, job: Job, wait: float = 0.0) -> None:
        """End the process now; wait up to ``wait`` seconds for it to go."""


class Schedule:
    """The jobs of one server and the rules that move them; not thread-safe (the manager locks).

    Args:
        limits: the room's limits.
        launcher: starts, asks, and ends the processes.
        clock: seconds since the epoch, e.g. time.time; tests pass a fake one.
    """

    def __init__(self, limits: Limits, launcher: Launcher, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self.launcher = launcher
        self.clock = clock
        self.jobs: dict[str, Job] = {}  # insertion order = submission order = queue order
        self.closed = False

    # -- admitting --------------------------------------------------------------------------

    def admit(self, job: Job) -> None:
        """Queue ``job`` (starting it at once when a slot is free).

        Raises:
            RunRefused: the schedule is closed, or the run is past one of the limits.
        """
        if self.closed:
            raise RunRefused("The training service is shutting down; try again in a minute.")
        self.check_limits(job.owner, job.client, job.address)
        self.jobs[job.run_id] = job
        self.start_queued()

    def check_limits(self, owner: str, client: str, address: str) -> None:
        """Refuse, with a sentence, a run past a limit of the room."""
        limits = self.limits
        active = [job for job in self.jobs.values() if job.state in ACTIVE_STATES]
        if any(job.owner == owner for job in active):
            raise RunRefused("You already have a run going; stop it or wait for it to end before starting another.")
        if sum(job.client == client for job in active) >= limits.runs_per_client:
            raise RunRefused(
                "This browser already has a run going in another tab; stop it there, or wait for it to end, "
                "before starting another (one run per student keeps the machine fair for the room)."
            )
        if address and sum(job.address == address for job in active) >= limits.runs_per_address:
            raise RunRefused(
                f"{limits.runs_per_address} runs from your network address are already training or waiting; "
                "start yours when one of them has ended."
            )
        queued = sum(job.state == "queued" for job in active)
        running = len(active) - queued
        if running >= limits.max_runs and queued >= limits.max_queued:
            raise RunRefused(
                f"The queue is full ({queued} runs are waiting for the machine); try again when one has ended."
            )

    # -- reading ----------------------------------------------------------------------------

    def position(self, job: Job) -> int | None:
        """1 for the next queued job to start, 2 after it, ...; None unless ``job`` is queued."""
        if job.state != "queued":
            return None
        return [j for j in self.jobs.values() if j.state == "queued"].index(job) + 1

    def active_run(self, owner: str) -> str | None:
        """The owner's queued or training run id, if any."""
        return next((job.run_id for job in self.jobs.values()
                     if job.owner == owner and job.state in ACTIVE_STATES), None)

    def active_owners(self) -> set[str]:
        return {job.owner for job in self.jobs.values() if job.state in ACTIVE_STATES}

    @property
    def idle(self) -> bool:
        """No job is queued or training."""
        return not any(job.state in ACTIVE_STATES for job in self.jobs.values())

    # -- heartbeats and stops ---------------------------------------------------------------

    def heartbeat(self, run_id: str) -> None:
        """A page still shows this run."""
        job = self.jobs.get(run_id)
        if job is not None:
            job.last_seen = self.clock()

    def heartbeat_owners(self, owners: set[str]) -> None:
        """These owners are still connected: each of their active runs counts as watched."""
        now = self.clock()
        for job in self.jobs.values():
            if job.owner in owners and job.state in ACTIVE_STATES:
                job.last_seen = now

    def stop(self, run_id: str, reason: str = "") -> None:
        """Ask a run to stop (a queued one ends at once); idempotent, unknown ids ignored."""
        job = self.jobs.get(run_id)
        if job is not None:
            self._request_stop(job, reason)

    def pace(self, run_id: str, command: str) -> None:
        """Pass a pause, resume or step command to a training run; ignored for an unknown, queued,
        ended or stopping run (a page's button may arrive a moment after the run ended)."""
        from cnnviz.runs.pacing import COMMANDS

        if command not in COMMANDS:
            raise ValueError(f"Unknown pace command {command!r}; the commands are {', '.join(COMMANDS)}.")
        job = self.jobs.get(run_id)
        if job is not None and job.state in TRAINING_STATES and job.stop_requested_at is None:
            self.launcher.request_pace(job, command)

    def close(self) -> None:
        """Refuse new runs and ask every run to stop the way Stop does."""
        self.closed = True
        for job in self.jobs.values():
            self._request_stop(job, SHUTDOWN_REASON)

    def abandon(self) -> None:
        """After close() and its wait: end every process still alive, as failed."""
        for job in self.jobs.values():
            if job.process is not None and self.launcher.alive(job):
                self.launcher.kill(job)
                self._end(job, "failed", "The server shut down before the run could stop.")

    def _request_stop(self, job: Job, reason: str) -> None:
        if job.state == "queued":
            job.stop_reason = reason
            self._end(job, "stopped", f"{reason} It was stopped before it started.".strip())
        elif job.state in TRAINING_STATES and job.stop_requested_at is None:
            job.stop_reason = reason
            job.stop_requested_at = self.clock()
            self.launcher.request_stop(job)

    # -- one turn of the pump ---------------------------------------------------------------

    def tick(self) -> None:
        """Take in events, end exited runs, stop orphans and overruns, start queued runs."""
        limits = self.limits
        now = self.clock()
        for job in list(self.jobs.values()):
            if job.state == "queued" and now - job.last_seen > limits.orphan_seconds:
                self._request_stop(job, self._orphan_reason())
            if job.state not in TRAINING_STATES:
                continue
            if self.launcher.receive(job) and job.state == "starting":
                job.state = "running"
            if job.stop_requested_at is None:
                if now - job.last_seen > limits.orphan_seconds:
                    self._request_stop(job, self._orphan_reason())
                elif job.started_at is not None and now - job.started_at > limits.max_run_seconds:
                    self._request_stop(job, f"The run reached the time limit of {duration(limits.max_run_seconds)}.")
            if not self.launcher.alive(job):
                self.launcher.settle(job)  # the last events may still be in the pipe
                self._finish(job)
            elif job.stop_requested_at is not None and now - job.stop_requested_at > limits.stop_grace_seconds:
                self.launcher.kill(job, wait=5.0)
                self._end(job, "stopped", f"{job.stop_reason} It did not stop in time and was ended.".strip())
        self.start_queued()
        self.forget_old()

    def start_queued(self) -> None:
        """Launch queued jobs, oldest first, while fewer than max_runs train."""
        running = [job for job in self.jobs.values() if job.state in TRAINING_STATES]
        for job in self.jobs.values():
            if len(running) >= self.limits.max_runs:
                return
            if job.state == "queued":
                job.device = self.launcher.choose_device({j.device for j in running})
                job.process = self.launcher.launch(job)
                job.state, job.started_at = "starting", self.clock()
                running.append(job)

    def forget_old(self) -> None:
        """Remember only the latest keep_ended ended jobs."""
        ended = [job for job in self.jobs.values() if job.state in END_STATES]
        for job in ended[:max(0, len(ended) - self.limits.keep_ended)]:
            del self.jobs[job.run_id]

    def _orphan_reason(self) -> str:
        return f"Nobody has watched this run for {duration(self.limits.orphan_seconds)} (the page was closed)."

    def _finish(self, job: Job) -> None:
        """The process has exited: decide the run's end state from its members' EndEvents."""
        ends = self.launcher.ends(job)
        prefix = f"{job.stop_reason} " if job.stop_reason else ""
        if job.kind == "single":
            end = ends[0]
            if end is None and job.stop_requested_at is not None and self.launcher.exit_code(job) == 0:
                self._end(job, "stopped", f"{prefix}It was stopped before training began.")
            elif end is None:
                self._end(job, "failed", died_message(self.launcher.exit_code(job)))
            else:
                self._end(job, end.status, prefix + end.message)
            return
        if job.stop_requested_at is not None:
            self._end(job, "stopped", (prefix + "The comparison was stopped.").strip())
        elif any(end is None for end in ends):
            self._end(job, "failed", died_message(self.launcher.exit_code(job)))
        else:
            parts = []
            for label, end in zip(job.labels, ends):
                if end.status == "finished":
                    parts.append(f"{label} reached {end.test_accuracy:.1%} test accuracy")
                else:
                    parts.append(f"{label} {end.status}")
            self._end(job, "finished", "; ".join(parts) + ".")

    def _end(self, job: Job, state: str, message: str) -> None:
        job.state, job.message, job.ended_at = state, message, self.clock()
        job.process = None  # the launcher's handle, with its queue and stop event, goes


def died_message(exit_code: int | None) -> str:
    """The sentence for a process that ended without saying how."""
    if exit_code is not None and exit_code < 0:
        return (f"The training process was killed (signal {-exit_code}); the machine may have run out "
                f"of memory. Try a smaller batch size or model.")
    return f"The training process ended unexpectedly (exit code {exit_code}); the server log has the details."


def duration(seconds: float) -> str:
    """3 -> "3 seconds", 300 -> "5 minutes", 5400 -> "1.5 hours"."""
    if seconds < 120:
        return f"{seconds:g} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.3g} minutes"
    return f"{seconds / 3600:.3g} hours"
