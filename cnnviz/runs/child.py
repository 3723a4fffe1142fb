"""What runs inside a run's process (`python -m cnnviz.runs.child`).

The server starts the child as a fresh interpreter on this module, so nothing of the server (its
main script, its threads, its imports) is re-run or inherited. They talk over the child's pipes:

- stdin: one frame with the job (the configs to fit and where each saves), then lines;
  a ``stop`` line asks for Stop (finish the batch, evaluate, save); ``pause``, ``resume`` and
  ``step`` set the run's pace (cnnviz.runs.pacing). End of file means the server is gone, which
  also stops the run, saved, instead of leaving it training for no one.
- stdout: one pickled ``(member index, event)`` frame per event, and a PaceEvent each time the
  pace changes. Anything the training code prints goes to stderr, so nothing but frames reaches
  the server's reader.

The frames themselves are cnnviz.runs.frames.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from cnnviz.runs.frames import PACE_LINES, STOP_LINE, read_frames, write_frame
from cnnviz.runs.pacing import PaceEvent, Pacer


def main() -> None:
    """Fit each member of the job read from stdin in turn, sending (member index, event) frames."""
    frames = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # prints (torch's too) never reach the frames
    # Unbuffered: the watcher below still blocks in a read at exit, and a buffered stdin would
    # then be locked, which the interpreter's shutdown reports as a fatal error.
    server = open(sys.stdin.fileno(), "rb", buffering=0, closefd=False)
    configs, checkpoint_paths, threads = next(read_frames(server))
    lock = threading.Lock()  # the training loop and the watcher below both send frames
    member = 0  # the member fitting now: a PaceEvent goes with its index

    def send(index: int, event) -> None:
        with lock:
            if not frames.closed:  # a pace command may still arrive after the last fit
                write_frame(frames, (index, event))

    pacer = Pacer(on_change=lambda pace: send(member, PaceEvent(pace)))

    def watch_server() -> None:
        for line in server:
            if line == STOP_LINE:
                pacer.stop()
            elif line in PACE_LINES:
                pacer.command(PACE_LINES[line])
        pacer.stop()  # the server closed our stdin: it is gone, or shutting down

    threading.Thread(target=watch_server, daemon=True, name="stop-watch").start()
    # Ctrl+C and `systemctl stop` signal the whole process group: treat that as Stop too.
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: pacer.stop())
    try:
        os.nice(5)  # the web server's threads win the CPU when the machine is busy
    except (AttributeError, OSError):
        pass

    import torch

    from cnnviz.train.engine import fit
    from cnnviz.train.events import EpochEvent

    torch.set_num_threads(threads)

    def on_event(event) -> None:
        send(member, event)
        if isinstance(event, EpochEvent):
            pacer.epoch_ended()  # a run stepping one epoch pauses here, its results sent

    for member, (config, path) in enumerate(zip(configs, checkpoint_paths)):
        if pacer.stopped:
            break
        fit(config, checkpoint_path=path, on_event=on_event, should_stop=pacer.should_stop)
    with lock:
        frames.close()


if __name__ == "__main__":
    main()
