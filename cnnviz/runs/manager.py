"""The training service of one server: the schedule's rules, a lock, real processes, a pump thread.

One ``RunManager`` per server. Pages call it from many threads at once; each call takes one
lock, so the schedule (cnnviz.runs.schedule) is only ever moved by one thread at a time. Pages
only read snapshots (cnnviz.runs.status), so no page ever blocks on a run.

A pump thread drains every run's events into its members' histories, starts queued runs when a
slot frees, and stops runs whose page has gone quiet (the tab was closed: no heartbeat for
``CNNVIZ_ORPHAN_SECONDS``) or that ran past ``CNNVIZ_MAX_RUN_SECONDS``. It never calls Streamlit,
and it ends when no run is left (the next submit starts a new one).

A shutdown (Ctrl+C, SIGTERM) stops every run the way Stop does: ``close()`` asks each to stop,
and each saves its checkpoint; the run's process also treats SIGINT and SIGTERM as a stop
request, since Ctrl+C and systemd signal the whole process group, not only the server.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime
from typing import Callable

from cnnviz import environment
from cnnviz.runs.history import FitHistory
from cnnviz.runs.process import ProcessLauncher, default_max_runs
from cnnviz.runs.schedule import Job, Limits, RunRefused, Schedule
from cnnviz.runs.status import RunMember, RunStatus
from cnnviz.train.config import TrainConfig, TrainConfigError

log = logging.getLogger(__name__)

ORPHAN_SECONDS_ENV = "CNNVIZ_ORPHAN_SECONDS"
MAX_RUN_SECONDS_ENV = "CNNVIZ_MAX_RUN_SECONDS"
RUNS_PER_CLIENT_ENV = "CNNVIZ_RUNS_PER_CLIENT"
RUNS_PER_ADDRESS_ENV = "CNNVIZ_RUNS_PER_ADDRESS"
MAX_QUEUED_ENV = "CNNVIZ_MAX_QUEUED"
DEFAULT_RUNS_PER_CLIENT = 1
DEFAULT_RUNS_PER_ADDRESS = 8
DEFAULT_MAX_QUEUED = 10
DEFAULT_ORPHAN_SECONDS = 300.0
DEFAULT_MAX_RUN_SECONDS = 3600.0
DEFAULT_LRS = (1.0, 0.1, 0.01)  # the seed's comparison: 1 diverges, 0.1 learns, 0.01 crawls


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
                 pump_seconds: float = 0.1) -> None:
        limits = Limits(
            max_runs=max_runs if max_runs is not None else default_max_runs(),
            orphan_seconds=orphan_seconds if orphan_seconds is not None else
            environment.number(ORPHAN_SECONDS_ENV, DEFAULT_ORPHAN_SECONDS),
            max_run_seconds=max_run_seconds if max_run_seconds is not None else
            environment.number(MAX_RUN_SECONDS_ENV, DEFAULT_MAX_RUN_SECONDS),
            runs_per_client=runs_per_client or environment.count(RUNS_PER_CLIENT_ENV, DEFAULT_RUNS_PER_CLIENT),
            runs_per_address=runs_per_address or environment.count(RUNS_PER_ADDRESS_ENV, DEFAULT_RUNS_PER_ADDRESS),
            max_queued=max_queued or environment.count(MAX_QUEUED_ENV, DEFAULT_MAX_QUEUED),
            keep_ended=keep_ended,
        )
        self.owner_alive = owner_alive
        self.pump_seconds = pump_seconds
        self._schedule = Schedule(limits, ProcessLauncher())
        self._lock = threading.Lock()
        self._pump: threading.Thread | None = None

    @property
    def limits(self) -> Limits:
        return self._schedule.limits

    # The limits by their old names, read by the app and the tests.
    max_runs = property(lambda self: self.limits.max_runs)
    orphan_seconds = property(lambda self: self.limits.orphan_seconds)
    max_run_seconds = property(lambda self: self.limits.max_run_seconds)
    runs_per_client = property(lambda self: self.limits.runs_per_client)
    runs_per_address = property(lambda self: self.limits.runs_per_address)
    max_queued = property(lambda self: self.limits.max_queued)
    keep_ended = property(lambda self: self.limits.keep_ended)

    @property
    def _jobs(self) -> dict[str, Job]:
        """The schedule's jobs by run id (read with the lock held)."""
        return self._schedule.jobs

    # -- submitting -------------------------------------------------------------------------

    def submit(self, config: TrainConfig, *, owner: str, client: str | None = None, address: str = "") -> str:
        """Queue one training run; its checkpoint goes to paths.run_checkpoint(<run id>).

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
        from cnnviz.paths import run_checkpoint

        self._check(config)
        run_id = _new_run_id(config)
        return self._add(run_id, "single", (owner, client or owner, address), [config], ["run"],
                         [str(run_checkpoint(run_id))])

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
                         [f"lr {lr:g}" for lr in lrs], [None] * len(configs))

    def submit_transfer_comparison(self, config: TrainConfig, *, owner: str, client: str | None = None,
                                   address: str = "") -> str:
        """Queue one job of two members with the same budget, one after the other: ``config`` (its
        features from ``config.transfer_from``, frozen, and a new head), then the same network from
        scratch (cnnviz.train.transfer.scratch_twin). No checkpoints: the lesson is the curves.

        Raises:
            RunRefused: ``config.transfer_from`` is not a shipped checkpoint's name (a page never
                names a file), or the limits of submit().
            TrainConfigError: a checkpoint that does not fit the model or the dataset's images.
        """
        from cnnviz.train import transfer

        if not transfer.is_shipped(config.transfer_from):
            raise RunRefused(f"Transfer from one of the shipped networks: {', '.join(transfer.SHIPPED)}.")
        configs = [config, transfer.scratch_twin(config)]
        for member in configs:
            self._check(member)
        run_id = _new_run_id(config, "transfer")
        return self._add(run_id, "transfer-comparison", (owner, client or owner, address), configs,
                         list(transfer.member_labels(config)), [None] * len(configs))

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
        if config.transfer_from is not None:  # a small checkpoint: open it and fit its features for real
            from cnnviz.train import transfer

            if not transfer.is_shipped(config.transfer_from):  # a server never opens a file a client names
                raise RunRefused(f"Transfer from one of the shipped networks: {', '.join(transfer.SHIPPED)}.")
            transfer.build_transfer_model(config, info)
            return
        try:
            with torch.device("meta"):  # shapes only, no memory: does the model fit the images?
                build_model(config, info)
        except TrainConfigError:
            raise
        except Exception:  # anything else (a layer meta tensors cannot build): the run reports it
            log.debug("meta-device check of %s skipped", config.model, exc_info=True)

    def _add(self, run_id, kind, who, configs, labels, checkpoint_paths) -> str:
        owner, client, address = who
        now = self._schedule.clock()
        job = Job(run_id, kind, owner, client, address, labels, configs, checkpoint_paths, now, now,
                  histories=[FitHistory() for _ in configs])
        with self._lock:
            self._schedule.admit(job)
            self._ensure_pump()
        return run_id

    # -- reading ----------------------------------------------------------------------------

    def status(self, run_id: str) -> RunStatus | None:
        """A snapshot of the run, or None for an unknown (or long forgotten) id."""
        with self._lock:
            job = self._schedule.jobs.get(run_id)
            return None if job is None else self._snapshot(job)

    def heartbeat(self, run_id: str) -> None:
        """Say that a page still shows this run (the page calls it on every poll)."""
        with self._lock:
            self._schedule.heartbeat(run_id)

    def poll(self, run_id: str) -> RunStatus | None:
        """heartbeat() then status(): what a live view calls every second."""
        self.heartbeat(run_id)
        return self.status(run_id)

    def active_run(self, owner: str) -> str | None:
        """The owner's queued or running run id, if any."""
        with self._lock:
            return self._schedule.active_run(owner)

    def runs(self) -> list[RunStatus]:
        """Snapshots of every remembered run, oldest first."""
        with self._lock:
            return [self._snapshot(job) for job in self._schedule.jobs.values()]

    def _snapshot(self, job: Job) -> RunStatus:
        # Each history keeps its summary folded as events arrive: a snapshot copies references.
        members = tuple(RunMember(label, config, tuple(history.events), history.fold())
                        for label, config, history in zip(job.labels, job.configs, job.histories))
        checkpoint = None
        if job.kind == "single" and members[0].end is not None:
            checkpoint = members[0].end.checkpoint
        pace = job.pace if job.state == "running" and job.stop_requested_at is None else "running"
        return RunStatus(job.run_id, job.kind, job.owner, job.client, job.state, self._schedule.position(job),
                         job.message, members, job.submitted_at, job.started_at, job.ended_at, checkpoint, pace,
                         job.state in ("starting", "running") and job.stop_requested_at is not None)

    # -- stopping ---------------------------------------------------------------------------

    def stop(self, run_id: str, reason: str = "") -> None:
        """Ask a run to stop: it ends within one batch, is evaluated and saved. Idempotent.

        Args:
            reason: a sentence put before the run's end message, e.g. why it was stopped.
        """
        with self._lock:
            self._schedule.stop(run_id, reason)

    def pause(self, run_id: str) -> None:
        """Hold a training run before its next batch (it keeps its slot and its time limit)."""
        self._pace(run_id, "pause")

    def resume(self, run_id: str) -> None:
        """Let a paused (or stepping) run train on."""
        self._pace(run_id, "resume")

    def step_epoch(self, run_id: str) -> None:
        """Train a run to the end of its current epoch, evaluated, then pause it."""
        self._pace(run_id, "step")

    def _pace(self, run_id: str, command: str) -> None:
        with self._lock:
            self._schedule.pace(run_id, command)

    def close(self, timeout: float = 30.0) -> None:
        """Stop every run, wait up to ``timeout`` seconds for them to save, then end the pump."""
        with self._lock:
            self._schedule.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                self._schedule.tick()
                if self._schedule.idle:
                    break
            time.sleep(self.pump_seconds)
        with self._lock:
            self._schedule.abandon()

    # -- the pump ---------------------------------------------------------------------------

    def _ensure_pump(self) -> None:
        if self._pump is None or not self._pump.is_alive():
            self._pump = threading.Thread(target=self._pump_forever, name="cnnviz-run-pump", daemon=True)
            self._pump.start()

    def _pump_forever(self) -> None:
        while not self._schedule.closed:
            try:
                self._heartbeat_live_owners()
                with self._lock:
                    self._schedule.tick()
                    if self._schedule.idle:
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
            owners = self._schedule.active_owners()
        alive = set()
        for owner in owners:
            try:
                if self.owner_alive(owner):
                    alive.add(owner)
            except Exception:  # a broken callback must not stop the pump; heartbeats still count
                log.exception("owner_alive failed")
        with self._lock:
            self._schedule.heartbeat_owners(alive)


def _new_run_id(config: TrainConfig, kind: str = "") -> str:
    """A sortable, readable, unique folder name, e.g. 20261123-140512-lenet5-fashion-mnist-3fa2c1."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    middle = f"{kind}-" if kind else ""
    return f"{stamp}-{middle}{config.model}-{config.dataset}-{uuid.uuid4().hex[:6]}"
