"""Training runs in the background, for a web server that many students share.

One ``RunManager`` per server (the app keeps it in ``st.cache_resource``). Each run is a separate
process (multiprocessing "spawn"), not a thread of the server: a training thread would compete
with page rendering for the GIL and for torch's threads, and a process returns all its memory
when it exits. The process runs cnnviz.train.fit and sends its events back through a
multiprocessing queue; a stop request is a multiprocessing Event that fit polls before every batch.

A pump thread in the server drains every queue into the run's history (under one lock), starts
queued runs when a slot frees, and stops runs whose page has gone quiet (the tab was closed: no
heartbeat for ``CNNVIZ_ORPHAN_SECONDS``) or that ran past ``CNNVIZ_MAX_RUN_SECONDS``. Pages only
read snapshots, so no page ever blocks on a run and no background thread ever calls Streamlit.

The run's process is niced and uses all CPU cores but one (``CNNVIZ_TRAIN_THREADS`` to
change), so the server keeps a core to answer pages with.

Rules for a room of students: each owner (browser session) has at most one active run; so has
each client (a browser with all its tabs, ``CNNVIZ_RUNS_PER_CLIENT``), and each network address
a few more (``CNNVIZ_RUNS_PER_ADDRESS``: a hall may share one address, while a crafted client can
pose as many browsers). At most ``CNNVIZ_MAX_RUNS`` runs train at once (default: one per GPU, or
one on a CPU-only machine); the rest wait in a first-come queue of at most ``CNNVIZ_MAX_QUEUED``
runs and know their place in it.

A shutdown (Ctrl+C, SIGTERM) stops every run the way Stop does: ``close()`` asks each to stop,
and each saves its checkpoint; the run's process also treats SIGINT and SIGTERM as a stop
request, since Ctrl+C and systemd signal the whole process group, not only the server.

Memory stays bounded however long the server runs: a run's process returns everything when it
exits, each run's history is compacted as it grows (FitHistory: at most ``MAX_STEP_EVENTS``
progress points per fit, one kernel and confusion snapshot), and only the latest ``keep_ended``
ended runs are remembered.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue as queue_module
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from cnnviz import environment
from cnnviz.train.config import TrainConfig, TrainConfigError
from cnnviz.train.events import EndEvent, EpochEvent, Event, RunSummary, StartEvent, StepEvent, summarize

log = logging.getLogger(__name__)

MAX_RUNS_ENV = "CNNVIZ_MAX_RUNS"
ORPHAN_SECONDS_ENV = "CNNVIZ_ORPHAN_SECONDS"
MAX_RUN_SECONDS_ENV = "CNNVIZ_MAX_RUN_SECONDS"
RUNS_PER_CLIENT_ENV = "CNNVIZ_RUNS_PER_CLIENT"
RUNS_PER_ADDRESS_ENV = "CNNVIZ_RUNS_PER_ADDRESS"
MAX_QUEUED_ENV = "CNNVIZ_MAX_QUEUED"
DEFAULT_RUNS_PER_CLIENT = 1
DEFAULT_RUNS_PER_ADDRESS = 8
DEFAULT_MAX_QUEUED = 10
TRAIN_THREADS_ENV = "CNNVIZ_TRAIN_THREADS"
DEFAULT_ORPHAN_SECONDS = 300.0
DEFAULT_MAX_RUN_SECONDS = 3600.0
STOP_GRACE_SECONDS = 60.0  # after a stop request: time to finish the batch, evaluate and save
DEFAULT_LRS = (1.0, 0.1, 0.01)  # the seed's comparison: 1 diverges, 0.1 learns, 0.01 crawls
# Progress points kept per fit: finer than any chart draws them, and a bound on the memory of an
# hour-long run (4 events a second would otherwise be 14,400 of them, copied on every poll).
MAX_STEP_EVENTS = 1000

ACTIVE_STATES = ("queued", "starting", "running")
END_STATES = ("finished", "stopped", "diverged", "failed")


class RunRefused(RuntimeError):
    """A run cannot be started; the message is one sentence for the student."""


@dataclass(frozen=True)
class RunMember:
    """One fit() within a run: a single run has one, a learning-rate comparison one per rate.

    Attributes:
        label: e.g. "lr 0.1".
        config: its training settings.
        events: what it emitted so far, in order, compacted by FitHistory (a long run keeps
            evenly spaced progress points; only the latest epoch keeps its kernels and confusion).
    """

    label: str
    config: TrainConfig
    events: tuple[Event, ...]

    @property
    def summary(self) -> RunSummary:
        return summarize(self.events)

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

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def summary(self) -> RunSummary:
        """The first member's summary (the whole story for a single run)."""
        return self.members[0].summary


@dataclass
class _Job:
    run_id: str
    kind: str
    owner: str
    client: str
    address: str
    labels: list[str]
    configs: list[TrainConfig]
    checkpoint_paths: list[str | None]
    submitted_at: float
    last_seen: float
    events: list[FitHistory] = field(default_factory=list)
    state: str = "queued"
    message: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    stop_requested_at: float | None = None
    stop_reason: str = ""
    process: object = None
    events_queue: object = None
    stop_event: object = None
    device: str | None = None


def default_max_runs() -> int:
    """``CNNVIZ_MAX_RUNS`` if set, else one per CUDA GPU, else 1."""
    if os.environ.get(MAX_RUNS_ENV):
        return max(1, int(os.environ[MAX_RUNS_ENV]))
    import torch

    return max(1, torch.cuda.device_count())


def training_threads() -> int:
    """CPU threads for a run's process: ``CNNVIZ_TRAIN_THREADS``, else all cores but one.

    One core stays free for the web server, so pages keep answering while a run trains; and
    fewer threads than cores avoids the stalls of OpenMP threads waiting for a busy core.
    """
    if os.environ.get(TRAIN_THREADS_ENV):
        return max(1, int(os.environ[TRAIN_THREADS_ENV]))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def _child_main(configs, checkpoint_paths, events_queue, stop_event) -> None:
    """The run's process: fit each member in turn, sending (member index, event) back."""
    import signal

    from cnnviz.train.engine import fit

    import torch

    # Ctrl+C and `systemctl stop` signal the whole process group: treat that as Stop (finish the
    # batch, evaluate, save) instead of dying with nothing saved. The server waits for it.
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop_event.set())

    try:
        os.nice(5)  # the web server's threads win the CPU when the machine is busy
    except (AttributeError, OSError):
        pass
    torch.set_num_threads(training_threads())
    parent = os.getppid()

    def should_stop() -> bool:
        # Also stop (and save) if the server died without telling us: we are then re-parented.
        return stop_event.is_set() or os.getppid() != parent

    for index, (config, path) in enumerate(zip(configs, checkpoint_paths)):
        if should_stop():
            break
        fit(config, checkpoint_path=path, on_event=lambda event, i=index: events_queue.put((i, event)),
            should_stop=should_stop)


class RunManager:
    """Starts, queues, stops and watches background training runs; thread-safe throughout.

    Args:
        max_runs: runs training at once; None -> default_max_runs().
        orphan_seconds: stop a run whose page has not called heartbeat() for this long;
            None -> ``CNNVIZ_ORPHAN_SECONDS`` or 300.
        runs_per_client, runs_per_address: active (queued or training) runs allowed per client
            and per address; None -> ``CNNVIZ_RUNS_PER_CLIENT`` or 1, ``CNNVIZ_RUNS_PER_ADDRESS`` or 8.
        max_queued: runs allowed to wait at once; None -> ``CNNVIZ_MAX_QUEUED`` or 10.
        max_run_seconds: stop any run after this long; None -> ``CNNVIZ_MAX_RUN_SECONDS`` or 3600.
        keep_ended: how many ended runs to remember (oldest forgotten first).
        owner_alive: optional, thread-safe owner -> bool; True counts as a heartbeat. The app
            passes "this browser session is still connected", so a student who reads another
            page during a long run keeps it, while a closed tab still frees the machine.
        start_method: multiprocessing start method; "spawn" (a fresh interpreter: safe with
            the server's threads, unlike "fork").

    Example:
        manager = RunManager()
        run_id = manager.submit(TrainConfig(dataset="digits", model="small_cnn"), owner="me")
        while manager.poll(run_id).active:
            time.sleep(1)
    """

    def __init__(self, *, max_runs: int | None = None, orphan_seconds: float | None = None,
                 max_run_seconds: float | None = None, keep_ended: int = 100,
                 runs_per_client: int | None = None, runs_per_address: int | None = None,
                 max_queued: int | None = None,
                 owner_alive: Callable[[str], bool] | None = None,
                 start_method: str = "spawn", pump_seconds: float = 0.1) -> None:
        import multiprocessing

        self.max_runs = max_runs if max_runs is not None else default_max_runs()
        self.orphan_seconds = orphan_seconds if orphan_seconds is not None else \
            environment.number(ORPHAN_SECONDS_ENV, DEFAULT_ORPHAN_SECONDS)
        self.max_run_seconds = max_run_seconds if max_run_seconds is not None else \
            environment.number(MAX_RUN_SECONDS_ENV, DEFAULT_MAX_RUN_SECONDS)
        self.keep_ended = keep_ended
        self.runs_per_client = runs_per_client or environment.count(RUNS_PER_CLIENT_ENV, DEFAULT_RUNS_PER_CLIENT)
        self.runs_per_address = runs_per_address or environment.count(RUNS_PER_ADDRESS_ENV, DEFAULT_RUNS_PER_ADDRESS)
        self.max_queued = max_queued or environment.count(MAX_QUEUED_ENV, DEFAULT_MAX_QUEUED)
        self.owner_alive = owner_alive
        self.pump_seconds = pump_seconds
        self._context = multiprocessing.get_context(start_method)
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}  # insertion order = submission order = queue order
        self._pump: threading.Thread | None = None
        self._closed = threading.Event()

    # -- submitting -------------------------------------------------------------------------

    def submit(self, config: TrainConfig, *, owner: str, client: str | None = None, address: str = "") -> str:
        """Queue one training run; its checkpoint goes to runs_dir()/<run id>/model.pt.

        Args:
            owner: the browser session (tab) that may watch and stop it.
            client: the browser it belongs to (all its tabs); None -> the owner.
            address: the client's network address ("" when unknown: no per-address limit).

        Returns:
            The run id.

        Raises:
            RunRefused: the owner, its client or its address already has its share of active
                runs, the queue is full, or the dataset is not here.
            TrainConfigError: a setting that cannot work (e.g. a model that does not fit the data).
        """
        from cnnviz.paths import runs_dir

        self._check(config)
        run_id = _new_run_id(config)
        return self._add(run_id, "single", (owner, client or owner, address), [config], ["run"],
                         [str(runs_dir() / run_id / "model.pt")])

    def submit_lr_comparison(self, config: TrainConfig, *, owner: str, client: str | None = None,
                             address: str = "", lrs=DEFAULT_LRS) -> str:
        """Queue one job that trains ``config`` once per learning rate, one after the other.

        The members save no checkpoint: the comparison is about the curves, and a diverged
        member's weights are useless.
        """
        lrs = [float(lr) for lr in lrs]
        if not 1 <= len(lrs) <= 6:
            raise RunRefused("Compare between one and six learning rates at a time.")
        configs = [config.with_lr(lr) for lr in lrs]
        for member in configs:
            self._check(member)
        run_id = _new_run_id(config, "lr-comparison")
        return self._add(run_id, "lr-comparison", (owner, client or owner, address), configs,
                         [f"lr {lr:g}" for lr in lrs],
                         [None] * len(configs))

    def _check(self, config: TrainConfig) -> None:
        """Refuse, with a sentence, a run that would fail at once: bad settings or no data."""
        import torch

        from cnnviz.data import dataset_info, dataset_status
        from cnnviz.train.engine import build_model

        config.check()
        try:
            info = dataset_info(config.dataset)
        except ValueError as error:
            raise TrainConfigError(str(error)) from error
        status = next(s for s in dataset_status() if s.name == config.dataset)
        if not status.available:
            raise RunRefused(f"{status.title} is not on this machine; run `{status.how_to_get}` "
                             f"while online, or pick another dataset.")
        try:
            with torch.device("meta"):  # shapes only, no memory: does the model fit the images?
                build_model(config, info)
        except TrainConfigError:
            raise
        except Exception:  # anything else (a layer meta tensors cannot build): the run reports it
            log.debug("meta-device check of %s skipped", config.model, exc_info=True)

    def _add(self, run_id, kind, who, configs, labels, checkpoint_paths) -> str:
        owner, client, address = who
        now = time.time()
        with self._lock:
            if self._closed.is_set():
                raise RunRefused("The training service is shutting down; try again in a minute.")
            self._check_limits(owner, client, address)
            self._jobs[run_id] = _Job(run_id, kind, owner, client, address, labels, configs, checkpoint_paths,
                                      now, now, events=[FitHistory() for _ in configs])
            self._start_queued()
            self._ensure_pump()
        return run_id

    def _check_limits(self, owner: str, client: str, address: str) -> None:
        """Refuse, with a sentence, a run past a limit of the room. Called with the lock held."""
        active = [job for job in self._jobs.values() if job.state in ACTIVE_STATES]
        if any(job.owner == owner for job in active):
            raise RunRefused("You already have a run going; stop it or wait for it to end before starting another.")
        if sum(job.client == client for job in active) >= self.runs_per_client:
            raise RunRefused(
                "This browser already has a run going in another tab; stop it there, or wait for it to end, "
                "before starting another (one run per student keeps the machine fair for the room)."
            )
        if address and sum(job.address == address for job in active) >= self.runs_per_address:
            raise RunRefused(
                f"{self.runs_per_address} runs from your network address are already training or waiting; "
                "start yours when one of them has ended."
            )
        queued = sum(job.state == "queued" for job in active)
        running = len(active) - queued
        if running >= self.max_runs and queued >= self.max_queued:
            raise RunRefused(
                f"The queue is full ({queued} runs are waiting for the machine); try again when one has ended."
            )

    # -- reading ----------------------------------------------------------------------------

    def status(self, run_id: str) -> RunStatus | None:
        """A snapshot of the run, or None for an unknown (or long forgotten) id."""
        with self._lock:
            job = self._jobs.get(run_id)
            return None if job is None else self._snapshot(job)

    def heartbeat(self, run_id: str) -> None:
        """Say that a page still shows this run (the page calls it on every poll)."""
        with self._lock:
            job = self._jobs.get(run_id)
            if job is not None:
                job.last_seen = time.time()

    def poll(self, run_id: str) -> RunStatus | None:
        """heartbeat() then status(): what a live view calls every second."""
        self.heartbeat(run_id)
        return self.status(run_id)

    def active_run(self, owner: str) -> str | None:
        """The owner's queued or running run id, if any."""
        with self._lock:
            return next((job.run_id for job in self._jobs.values()
                         if job.owner == owner and job.state in ACTIVE_STATES), None)

    def runs(self) -> list[RunStatus]:
        """Snapshots of every remembered run, oldest first."""
        with self._lock:
            return [self._snapshot(job) for job in self._jobs.values()]

    def _snapshot(self, job: _Job) -> RunStatus:
        position = None
        if job.state == "queued":
            queued = [j for j in self._jobs.values() if j.state == "queued"]
            position = queued.index(job) + 1
        members = tuple(RunMember(label, config, tuple(history.events))
                        for label, config, history in zip(job.labels, job.configs, job.events))
        checkpoint = None
        if job.kind == "single" and members[0].end is not None:
            checkpoint = members[0].end.checkpoint
        return RunStatus(job.run_id, job.kind, job.owner, job.client, job.state, position, job.message, members,
                         job.submitted_at, job.started_at, job.ended_at, checkpoint)

    # -- stopping ---------------------------------------------------------------------------

    def stop(self, run_id: str, reason: str = "") -> None:
        """Ask a run to stop: it ends within one batch, is evaluated and saved. Idempotent.

        Args:
            reason: a sentence put before the run's end message, e.g. why it was stopped.
        """
        with self._lock:
            job = self._jobs.get(run_id)
            if job is not None:
                self._request_stop(job, reason)

    def _request_stop(self, job: _Job, reason: str) -> None:
        if job.state == "queued":
            job.stop_reason = reason
            self._end(job, "stopped", f"{reason} It was stopped before it started.".strip())
        elif job.state in ("starting", "running") and job.stop_requested_at is None:
            job.stop_reason = reason
            job.stop_requested_at = time.time()
            job.stop_event.set()

    def close(self, timeout: float = 30.0) -> None:
        """Stop every run, wait up to ``timeout`` seconds for them to save, then end the pump."""
        with self._lock:
            self._closed.set()
            for job in self._jobs.values():
                self._request_stop(job, "The server is shutting down.")
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                self._pump_once()
                if not any(job.state in ACTIVE_STATES for job in self._jobs.values()):
                    break
            time.sleep(self.pump_seconds)
        with self._lock:
            for job in self._jobs.values():
                if job.process is not None and job.process.is_alive():
                    job.process.terminate()
                    self._end(job, "failed", "The server shut down before the run could stop.")

    # -- the pump ---------------------------------------------------------------------------

    def _ensure_pump(self) -> None:
        if self._pump is None or not self._pump.is_alive():
            self._pump = threading.Thread(target=self._pump_forever, name="cnnviz-run-pump", daemon=True)
            self._pump.start()

    def _pump_forever(self) -> None:
        while not self._closed.is_set():
            try:
                self._heartbeat_live_owners()
                with self._lock:
                    self._pump_once()
                    idle = not any(job.state in ACTIVE_STATES for job in self._jobs.values())
                    if idle:
                        self._pump = None  # the next submit starts a new pump
                        return
            except Exception:  # the pump must outlive any one run's trouble
                log.exception("run pump failed")
            time.sleep(self.pump_seconds)

    def _heartbeat_live_owners(self) -> None:
        """Count a connected owner as a heartbeat; the callback runs outside our lock."""
        if self.owner_alive is None:
            return
        with self._lock:
            owners = {job.owner for job in self._jobs.values() if job.state in ACTIVE_STATES}
        alive = set()
        for owner in owners:
            try:
                if self.owner_alive(owner):
                    alive.add(owner)
            except Exception:  # a broken callback must not stop the pump; heartbeats still count
                log.exception("owner_alive failed")
        now = time.time()
        with self._lock:
            for job in self._jobs.values():
                if job.owner in alive and job.state in ACTIVE_STATES:
                    job.last_seen = now

    def _pump_once(self) -> None:
        """Drain events, end finished processes, stop orphans and overruns, start queued runs.
        Called with the lock held."""
        now = time.time()
        for job in list(self._jobs.values()):
            if job.state == "queued" and now - job.last_seen > self.orphan_seconds:
                self._request_stop(job, self._orphan_reason())
            if job.state not in ("starting", "running"):
                continue
            self._drain(job)
            if job.stop_requested_at is None:
                if now - job.last_seen > self.orphan_seconds:
                    self._request_stop(job, self._orphan_reason())
                elif job.started_at is not None and now - job.started_at > self.max_run_seconds:
                    self._request_stop(job, f"The run reached the time limit of {_duration(self.max_run_seconds)}.")
            if not job.process.is_alive():
                job.process.join(timeout=1)
                self._drain(job, wait=0.2)  # the last events may still be in the pipe
                self._finish(job)
            elif job.stop_requested_at is not None and now - job.stop_requested_at > STOP_GRACE_SECONDS:
                job.process.terminate()
                job.process.join(timeout=5)
                self._end(job, "stopped", f"{job.stop_reason} It did not stop in time and was ended.".strip())
        self._start_queued()
        self._forget_old()

    def _orphan_reason(self) -> str:
        return f"Nobody has watched this run for {_duration(self.orphan_seconds)} (the page was closed)."

    def _drain(self, job: _Job, wait: float = 0.0) -> None:
        while True:
            try:
                index, event = job.events_queue.get(timeout=wait) if wait else job.events_queue.get_nowait()
            except (queue_module.Empty, EOFError, OSError):
                return
            job.events[index].add(event)
            if isinstance(event, StartEvent) and job.state == "starting":
                job.state = "running"

    def _finish(self, job: _Job) -> None:
        """The process has exited: decide the run's end state from its members' EndEvents."""
        ends = [h.events[-1] if h.events and isinstance(h.events[-1], EndEvent) else None for h in job.events]
        prefix = f"{job.stop_reason} " if job.stop_reason else ""
        if job.kind == "single":
            end = ends[0]
            if end is None and job.stop_requested_at is not None and job.process.exitcode == 0:
                self._end(job, "stopped", f"{prefix}It was stopped before training began.")
            elif end is None:
                self._end(job, "failed", self._died_message(job))
            else:
                self._end(job, end.status, prefix + end.message)
            return
        if job.stop_requested_at is not None:
            self._end(job, "stopped", (prefix + "The comparison was stopped.").strip())
        elif any(end is None for end in ends):
            self._end(job, "failed", self._died_message(job))
        else:
            parts = []
            for label, end in zip(job.labels, ends):
                if end.status == "finished":
                    parts.append(f"{label} reached {end.test_accuracy:.1%} test accuracy")
                else:
                    parts.append(f"{label} {end.status}")
            self._end(job, "finished", "; ".join(parts) + ".")

    @staticmethod
    def _died_message(job: _Job) -> str:
        code = job.process.exitcode if job.process is not None else None
        if code is not None and code < 0:
            return (f"The training process was killed (signal {-code}); the machine may have run out "
                    f"of memory. Try a smaller batch size or model.")
        return f"The training process ended unexpectedly (exit code {code}); the server log has the details."

    def _end(self, job: _Job, state: str, message: str) -> None:
        job.state, job.message, job.ended_at = state, message, time.time()
        job.events_queue = None
        job.stop_event = None
        job.process = None

    def _start_queued(self) -> None:
        running = [job for job in self._jobs.values() if job.state in ("starting", "running")]
        for job in self._jobs.values():
            if len(running) >= self.max_runs:
                return
            if job.state == "queued":
                self._launch(job, busy_devices={j.device for j in running})
                running.append(job)

    def _launch(self, job: _Job, busy_devices: set) -> None:
        job.device = _pick_gpu(busy_devices)
        configs = job.configs
        if job.device is not None:  # several GPUs: give each run its own
            from dataclasses import replace

            configs = [replace(c, device=job.device) if c.device == "auto" else c for c in configs]
        job.events_queue = self._context.Queue()
        job.stop_event = self._context.Event()
        job.process = self._context.Process(
            target=_child_main, args=(configs, job.checkpoint_paths, job.events_queue, job.stop_event),
            name=f"cnnviz-run-{job.run_id}", daemon=True,  # daemon: never outlives the server
        )
        with _no_script_as_main():
            job.process.start()
        job.state, job.started_at = "starting", time.time()

    def _forget_old(self) -> None:
        ended = [job for job in self._jobs.values() if job.state in END_STATES]
        for job in ended[:max(0, len(ended) - self.keep_ended)]:
            del self._jobs[job.run_id]


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _no_script_as_main():
    """Spawn a child without it re-running the parent's __main__ file.

    A spawned process first re-runs the parent's main script (as __mp_main__). Under Streamlit that
    is the app script itself (Streamlit installs each script run as __main__), so every training
    process would draw the whole dashboard in bare mode before it trained: seconds of CPU and a
    log full of warnings. For the moment of the spawn, __main__ is an empty module.
    """
    import sys
    import types

    with _MAIN_LOCK:
        saved = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")  # no __file__, no __spec__: nothing to re-run
        try:
            yield
        finally:
            if saved is not None:
                sys.modules["__main__"] = saved


class FitHistory:
    """One fit's events as they arrive, compacted so that an hour-long run stays small.

    - Progress points (StepEvents): once more than ``max_steps`` are kept, every other one is
      dropped and from then on only every 2nd (then 4th, ...) arriving one is kept, so the loss
      curve keeps its shape, evenly spaced, at a bounded resolution. The latest always stays:
      progress, speed and elapsed time are read from it.
    - A new EpochEvent empties the previous epochs' kernel and confusion snapshots (pages draw
      the latest only); their numbers (losses, accuracies, seconds) stay.

    Args:
        max_steps: the most StepEvents kept; at least 2.

    Example:
        history = FitHistory()
        for event in events: history.add(event)
        summarize(history.events)
    """

    def __init__(self, max_steps: int = MAX_STEP_EVENTS) -> None:
        self.max_steps = max(2, max_steps)
        self.events: list[Event] = []
        self._stride = 1  # keep every stride-th arriving StepEvent
        self._arrived = 0  # StepEvents received
        self._kept = 0  # StepEvents in self.events
        self._latest_is_extra = False  # the last event is a StepEvent kept only for being the latest

    def add(self, event: Event) -> None:
        if isinstance(event, StepEvent):
            self._add_step(event)
            return
        if isinstance(event, EpochEvent):
            self._forget_old_snapshots()
        self.events.append(event)
        self._latest_is_extra = False  # a step followed by something else stays, as a plain point

    def _add_step(self, event: StepEvent) -> None:
        self._arrived += 1
        if self._latest_is_extra:  # the previous step was kept only as the latest: this one is
            self.events.pop()
            self._kept -= 1
        self.events.append(event)
        self._kept += 1
        self._latest_is_extra = self._arrived % self._stride != 0
        if self._kept > self.max_steps:
            positions = [i for i, e in enumerate(self.events) if isinstance(e, StepEvent)]
            dropped = set(positions[1:-1:2])  # the 2nd, 4th, ... (never the first or the latest)
            self.events = [e for i, e in enumerate(self.events) if i not in dropped]
            self._kept -= len(dropped)
            self._stride *= 2

    def _forget_old_snapshots(self) -> None:
        for position in range(len(self.events) - 1, -1, -1):
            previous = self.events[position]
            if isinstance(previous, EpochEvent):
                if previous.kernels or previous.confusion:
                    self.events[position] = replace(previous, kernels=[], confusion=[])
                return


def _duration(seconds: float) -> str:
    """3 -> "3 seconds", 300 -> "5 minutes", 5400 -> "1.5 hours"."""
    if seconds < 120:
        return f"{seconds:g} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.3g} minutes"
    return f"{seconds / 3600:.3g} hours"


def _pick_gpu(busy: set) -> str | None:
    """With more than one CUDA GPU, the first one no running job uses; else None (device "auto")."""
    import torch

    count = torch.cuda.device_count()
    if count <= 1:
        return None
    free = [f"cuda:{i}" for i in range(count) if f"cuda:{i}" not in busy]
    return free[0] if free else None


def _new_run_id(config: TrainConfig, kind: str = "") -> str:
    """A sortable, readable, unique folder name, e.g. 20261123-140512-lenet5-fashion-mnist-3fa2c1."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    middle = f"{kind}-" if kind else ""
    return f"{stamp}-{middle}{config.model}-{config.dataset}-{uuid.uuid4().hex[:6]}"


def checkpoint_folder(run_id: str) -> Path:
    """Where a run's files live: runs_dir()/<run id>."""
    from cnnviz.paths import runs_dir

    return runs_dir() / run_id
