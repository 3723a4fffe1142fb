"""cnnviz.runs.pacing: the gate a run's training loop asks before every batch, on threads."""

import threading
import time

import pytest

from cnnviz.runs.pacing import PAUSED, RUNNING, STEPPING, Pacer, next_pace


def test_each_command_moves_the_pace_and_an_unknown_one_is_refused():
    assert [next_pace(RUNNING, c) for c in ("pause", "step", "resume")] == [PAUSED, STEPPING, RUNNING]
    assert next_pace(PAUSED, "step") == STEPPING and next_pace(STEPPING, "pause") == PAUSED
    with pytest.raises(ValueError, match="the commands are pause, resume, step"):
        next_pace(RUNNING, "rewind")


def test_a_paused_loop_waits_a_step_runs_to_the_epochs_end_and_stop_wakes_it():
    changes = []
    pacer = Pacer(on_change=changes.append)
    assert pacer.should_stop() is False  # running: at once
    pacer.command("pause")
    pacer.command("pause")  # no change, no second report
    pacer.command("fast-forward")  # from a pipe: ignored
    answers = []
    loop = threading.Thread(target=lambda: answers.append(pacer.should_stop()))
    loop.start()
    loop.join(0.3)
    assert loop.is_alive() and not answers  # held before its next batch
    pacer.command("step")
    loop.join(2)
    assert answers == [False] and pacer.pace == STEPPING
    pacer.epoch_ended()
    assert pacer.pace == PAUSED
    loop = threading.Thread(target=lambda: answers.append(pacer.should_stop()))
    loop.start()
    time.sleep(0.2)
    pacer.stop()
    loop.join(2)
    assert answers == [False, True]  # Stop ends a paused run at once
    assert changes == [PAUSED, STEPPING, PAUSED]
    pacer.epoch_ended()  # paused, not stepping: nothing changes
    assert changes == [PAUSED, STEPPING, PAUSED]
