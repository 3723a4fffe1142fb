"""A run's own process: spawning it, what runs inside it, and the launcher the schedule drives.

Each run is a separate process, not a thread of the server: a training thread would compete with
page rendering for the GIL and for torch's threads, and a process returns all its memory when it
exits. The child is a fresh interpreter on cnnviz.runs.child (not a multiprocessing spawn, which
would first re-run the server's main script, the Streamlit app, in the child); it runs
cnnviz.train.fit and sends its events back as frames on its stdout; Stop is a line on its stdin,
which fit polls before every batch. The child is niced and uses all CPU cores but one (``CNNVIZ_TRAIN_THREADS`` to
change), so the server keeps a core to answer pages with; with several GPUs each run gets its own.
"""

from __future__ import annotations

import os
import queue as queue_module
import subprocess
import sys
import threading
from dataclasses import replace
from typing import Iterator

from cnnviz.runs.frames import PACE_LINES, STOP_LINE, read_frames, write_frame
from cnnviz.runs.pacing import PaceEvent
from cnnviz.runs.schedule import Job
from cnnviz.train.events import EndEvent, StartEvent

MAX_RUNS_ENV = "CNNVIZ_MAX_RUNS"
TRAIN_THREADS_ENV = "CNNVIZ_TRAIN_THREADS"


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


def pick_gpu(busy: set) -> str | None:
    """With more than one CUDA GPU, the first one no running job uses; else None (device "auto")."""
    import torch

    count = torch.cuda.device_count()
    if count <= 1:
        return None
    free = [f"cuda:{i}" for i in range(count) if f"cuda:{i}" not in busy]
    return free[0] if free else None


class RunProcess:
    """One started child (cnnviz.runs.child): its process, the events read back from it, its stop request.

    Args:
        configs, checkpoint_paths: the members to fit, in order, and where each saves (or None).
        name: the run's name, e.g. "cnnviz-run-<run id>", for the reader thread and the logs.
    """

    def __init__(self, configs, checkpoint_paths, name: str) -> None:
        self.events: queue_module.Queue = queue_module.Queue()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cnnviz.runs.child"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
        try:
            write_frame(self.process.stdin, (list(configs), list(checkpoint_paths), training_threads()))
        except OSError:  # the child died at once; its exit code tells the schedule
            pass
        threading.Thread(target=self._read, name=f"{name}-events", daemon=True).start()

    def _read(self) -> None:
        for frame in read_frames(self.process.stdout):
            self.events.put(frame)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def exitcode(self) -> int | None:
        return self.process.poll()

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def request_stop(self) -> None:
        self._send_line(STOP_LINE)

    def request_pace(self, command: str) -> None:
        """One of cnnviz.runs.pacing.COMMANDS: pause, resume or step one epoch."""
        self._send_line(next(line for line, known in PACE_LINES.items() if known == command))

    def _send_line(self, line: bytes) -> None:
        try:
            self.process.stdin.write(line)
            self.process.stdin.flush()
        except (OSError, ValueError):  # already gone (or its pipe closed): nothing left to ask
            pass

    def receive(self, wait: float = 0.0) -> Iterator[tuple[int, object]]:
        """(member index, event) pairs that arrived, waiting up to ``wait`` seconds for each."""
        while True:
            try:
                yield self.events.get(timeout=wait) if wait else self.events.get_nowait()
            except queue_module.Empty:
                return

    def join(self, timeout: float) -> None:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass

    def terminate(self, wait: float = 0.0) -> None:
        self.process.terminate()
        if wait:
            self.join(wait)


class ProcessLauncher:
    """The schedule's Launcher with real processes; a job's events go into its members' histories."""

    def choose_device(self, busy: set) -> str | None:
        return pick_gpu(busy)

    def launch(self, job: Job) -> RunProcess:
        configs = job.configs
        if job.device is not None:  # several GPUs: give each run its own
            configs = [replace(c, device=job.device) if c.device == "auto" else c for c in configs]
        return RunProcess(configs, job.checkpoint_paths, name=f"cnnviz-run-{job.run_id}")

    def request_stop(self, job: Job) -> None:
        job.process.request_stop()

    def request_pace(self, job: Job, command: str) -> None:
        job.process.request_pace(command)

    def receive(self, job: Job, wait: float = 0.0) -> bool:
        began = False
        for index, event in job.process.receive(wait):
            if isinstance(event, PaceEvent):  # the pace the run took: the job's, not a fit's history
                job.pace = event.pace
                continue
            job.histories[index].add(event)
            began = began or isinstance(event, StartEvent)
        return began

    def alive(self, job: Job) -> bool:
        return job.process.is_alive()

    def settle(self, job: Job) -> None:
        job.process.join(timeout=1)
        self.receive(job, wait=0.2)

    def ends(self, job: Job) -> list:
        return [h.events[-1] if h.events and isinstance(h.events[-1], EndEvent) else None for h in job.histories]

    def exit_code(self, job: Job) -> int | None:
        return job.process.exitcode

    def kill(self, job: Job, wait: float = 0.0) -> None:
        job.process.terminate(wait)
