"""A run's own process: spawning it, what runs inside it, and the launcher the schedule drives.

Each run is a separate process (multiprocessing "spawn"), not a thread of the server: a training
thread would compete with page rendering for the GIL and for torch's threads, and a process
returns all its memory when it exits. The child runs cnnviz.train.fit and sends its events back
through a multiprocessing queue; a stop request is a multiprocessing Event that fit polls before
every batch. The child is niced and uses all CPU cores but one (``CNNVIZ_TRAIN_THREADS`` to
change), so the server keeps a core to answer pages with; with several GPUs each run gets its own.
"""

from __future__ import annotations

import contextlib
import os
import queue as queue_module
import threading
from dataclasses import replace
from typing import Iterator

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


class RunProcess:
    """One started child: its process, the queue its events come back on, its stop request.

    Args:
        context: a multiprocessing context ("spawn": a fresh interpreter, safe with the server's threads).
        configs, checkpoint_paths: the members to fit, in order, and where each saves (or None).
        name: the process's name, e.g. "cnnviz-run-<run id>".
    """

    def __init__(self, context, configs, checkpoint_paths, name: str) -> None:
        self.events_queue = context.Queue()
        self.stop_event = context.Event()
        self.process = context.Process(
            target=_child_main, args=(configs, checkpoint_paths, self.events_queue, self.stop_event),
            name=name, daemon=True,  # daemon: never outlives the server
        )
        with _no_script_as_main():
            self.process.start()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def exitcode(self) -> int | None:
        return self.process.exitcode

    def is_alive(self) -> bool:
        return self.process.is_alive()

    def request_stop(self) -> None:
        self.stop_event.set()

    def receive(self, wait: float = 0.0) -> Iterator[tuple[int, object]]:
        """(member index, event) pairs that arrived, waiting up to ``wait`` seconds for each."""
        while True:
            try:
                yield self.events_queue.get(timeout=wait) if wait else self.events_queue.get_nowait()
            except (queue_module.Empty, EOFError, OSError):
                return

    def join(self, timeout: float) -> None:
        self.process.join(timeout=timeout)

    def terminate(self, wait: float = 0.0) -> None:
        self.process.terminate()
        if wait:
            self.process.join(timeout=wait)


class ProcessLauncher:
    """The schedule's Launcher with real processes; a job's events go into its members' histories.

    Args:
        context: the multiprocessing context to spawn with.
    """

    def __init__(self, context) -> None:
        self.context = context

    def choose_device(self, busy: set) -> str | None:
        return pick_gpu(busy)

    def launch(self, job: Job) -> RunProcess:
        configs = job.configs
        if job.device is not None:  # several GPUs: give each run its own
            configs = [replace(c, device=job.device) if c.device == "auto" else c for c in configs]
        return RunProcess(self.context, configs, job.checkpoint_paths, name=f"cnnviz-run-{job.run_id}")

    def request_stop(self, job: Job) -> None:
        job.process.request_stop()

    def receive(self, job: Job, wait: float = 0.0) -> bool:
        began = False
        for index, event in job.process.receive(wait):
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
