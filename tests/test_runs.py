"""cnnviz.runs: background runs in their own processes: queue, per-owner limit, stop, orphans,
time limit, learning-rate comparison, and checkpoints where the model catalogue finds them."""

import time

import pytest

from cnnviz.runs import RunManager, RunRefused
from cnnviz.train import EndEvent, StepEvent, TrainConfig, TrainConfigError

TINY = {"channels": [8], "convs_per_block": 1}


def _config(**changes):
    values = dict(dataset="digits", model="small_cnn", model_options=TINY, batch_size=64, epochs=2,
                  lr=3e-3, device="cpu")
    values.update(changes)
    return TrainConfig(**values)


LONG = dict(batch_size=8, epochs=50, event_seconds=0.0)  # 180 steps per epoch, an event per step


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the children share two busy cores
    return tmp_path


@pytest.fixture
def make_manager(home):
    managers = []

    def make(**kwargs):
        managers.append(RunManager(**kwargs))
        return managers[-1]

    yield make
    for manager in managers:
        manager.close(timeout=20)


def _wait(condition, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def test_runs_queue_one_at_a_time_stop_within_moments_and_land_in_the_model_catalogue(make_manager, home):
    from cnnviz import catalog, paths
    from cnnviz.models import load_checkpoint

    manager = make_manager(max_runs=1)
    first = manager.submit(_config(**LONG), owner="alice")
    second = manager.submit(_config(seed=1), owner="bob")
    assert manager.status(second).state == "queued" and manager.status(second).queue_position == 1
    assert manager.status(first).queue_position is None
    with pytest.raises(RunRefused, match="You already have a run going"):
        manager.submit(_config(), owner="alice")
    assert manager.active_run("alice") == first

    # alice stops her long run after its first steps: it ends within moments and keeps a checkpoint.
    _wait(lambda: any(isinstance(e, StepEvent) for e in manager.poll(first).members[0].events))
    asked = time.time()
    manager.stop(first, "Stopped from the page.")
    _wait(lambda: not manager.poll(first).active and not manager.poll(second).active)
    a, b = manager.status(first), manager.status(second)
    assert a.state == "stopped", a.message
    assert a.ended_at - asked < 30  # one batch of 8 images, a test-set evaluation and a save
    total = a.summary.started.total_steps
    assert 0 < a.summary.end.steps < total
    assert a.message.startswith("Stopped from the page. Stopped at step") and f"of {total}" in a.message
    assert a.checkpoint == str(paths.run_checkpoint(first)) and paths.run_folder(first).parent == home / "runs"
    stopped = load_checkpoint(a.checkpoint)
    assert stopped.meta["status"] == "stopped" and stopped.meta["steps"] == a.summary.end.steps

    # bob waited for the free slot, then trained to the end.
    assert b.state == "finished", b.message
    assert b.started_at >= a.ended_at
    events = b.members[0].events
    assert isinstance(events[-1], EndEvent) and any(isinstance(e, StepEvent) for e in events)
    assert b.summary.end.test_accuracy == pytest.approx(load_checkpoint(b.checkpoint).meta["test_accuracy"])
    assert "test accuracy" in b.message
    models, problems = catalog.list_trained_models()
    assert sorted(m.path.parent.name for m in models if m.source == "trained here") == sorted([first, second])
    assert not problems
    assert manager.active_run("alice") is None and manager.active_run("bob") is None


def test_unwatched_runs_are_stopped_queued_ones_cancelled_and_every_run_meets_the_time_limit(
        make_manager, monkeypatch):
    monkeypatch.setenv("CNNVIZ_ORPHAN_SECONDS", "3")
    # carol's browser is still connected (she reads another page): her run counts as watched,
    # so it is the time limit, not the orphan rule, that ends it.
    manager = make_manager(max_runs=2, max_run_seconds=8, owner_alive=lambda owner: owner == "carol")
    assert manager.orphan_seconds == 3
    unwatched = manager.submit(_config(**LONG), owner="alice")
    connected = manager.submit(_config(**LONG), owner="carol")
    waiting = manager.submit(_config(**LONG), owner="bob")
    assert manager.status(waiting).queue_position == 1
    # Nobody polls (status() is not a heartbeat).
    _wait(lambda: not any(manager.status(r).active for r in (unwatched, connected, waiting)), timeout=120)
    alice, carol, bob = (manager.status(r) for r in (unwatched, connected, waiting))
    assert alice.state == "stopped" and alice.message.startswith("Nobody has watched this run for 3 seconds")
    assert bob.state == "stopped" and "stopped before it started" in bob.message and bob.started_at is None
    assert carol.state == "stopped" and carol.message.startswith("The run reached the time limit of 8 seconds.")
    assert carol.ended_at - carol.started_at >= 8


def test_a_learning_rate_comparison_overlays_members_and_names_the_diverging_one(make_manager):
    manager = make_manager(max_runs=1)
    base = _config(optimizer="sgd", momentum=0.0, batch_norm=False, epochs=1, lr=0.1)
    run_id = manager.submit_lr_comparison(base, owner="alice", lrs=(1000, 0.05))
    _wait(lambda: not manager.poll(run_id).active)
    status = manager.status(run_id)
    assert status.kind == "lr-comparison" and status.state == "finished", status.message
    assert [m.label for m in status.members] == ["lr 1000", "lr 0.05"]
    assert [m.config.lr for m in status.members] == [1000.0, 0.05]
    diverged, learned = (m.end for m in status.members)
    assert diverged.status == "diverged" and "learning rate 1000 is too high" in diverged.message
    assert learned.status == "finished" and learned.checkpoint is None
    assert status.message.startswith("lr 1000 diverged; lr 0.05 reached")


def test_runs_that_cannot_work_are_refused_at_once_with_a_sentence(make_manager, home):
    manager = make_manager(max_runs=1)
    with pytest.raises(RunRefused, match=r"CIFAR-10 is not on this machine; run `python -m cnnviz.data fetch cifar10`"):
        manager.submit(_config(dataset="cifar10", model="cifar_cnn"), owner="alice")
    with pytest.raises(TrainConfigError, match=r"^lenet5: 'input_size' must be one of 28, 32, not 8\.$"):
        manager.submit(_config(model="lenet5", model_options={}), owner="alice")  # 8 x 8 digits
    with pytest.raises(TrainConfigError, match="learning rate must be a positive number"):
        manager.submit(_config(lr=-1.0), owner="alice")
    assert manager.runs() == [] and manager.active_run("alice") is None


def test_a_run_leaves_one_core_to_the_web_server_unless_told_otherwise(monkeypatch):
    import os

    from cnnviz.runs import training_threads

    monkeypatch.delenv("CNNVIZ_TRAIN_THREADS", raising=False)
    assert training_threads() == max(1, len(os.sched_getaffinity(0)) - 1)
    monkeypatch.setenv("CNNVIZ_TRAIN_THREADS", "3")
    assert training_threads() == 3


def test_a_long_runs_history_stays_bounded_evenly_spaced_and_ends_on_the_latest_progress():
    from cnnviz.runs import FitHistory
    from cnnviz.train import EpochEvent, StartEvent, summarize

    # An hour at 4 progress events a second, 10 epochs: 14,400 StepEvents.
    history = FitHistory(max_steps=1000)
    history.add(StartEvent("CPU", 14_400, 1_440, 100, 10, 5, ("a", "b"), [[[[0.0]]]], 0.1))
    for step in range(1, 14_401):
        history.add(StepEvent(step, (step - 1) // 1_440 + 1, step / 14_400, 1.0 / step, 0.1, 500.0, step / 4))
        if step % 1_440 == 0:
            epoch = step // 1_440
            history.add(EpochEvent(epoch, 0.5, 0.8, 0.6, 0.7, 360.0, [[epoch, 0], [0, epoch]], [[[[float(epoch)]]]]))
    summary = summarize(history.events)
    steps = [e.step for e in summary.steps]
    assert 500 <= len(steps) <= 1000
    assert steps[0] == 1 and steps[-1] == 14_400 and steps == sorted(steps)
    gaps = {b - a for a, b in zip(steps, steps[1:])}
    assert max(gaps) <= 2 * min(gaps) + 1, gaps  # evenly spaced: no stretch thinned more than another
    assert summary.progress == 1.0 and summary.elapsed == 3_600.0
    assert [e.loss for e in summary.steps] == [1.0 / s for s in steps]  # points kept as they were
    # Every epoch's numbers stay; only the latest keeps its kernels and confusion, which pages draw.
    assert [e.epoch for e in summary.epochs] == list(range(1, 11))
    assert summary.kernels == [[[[10.0]]]] and summary.confusion == [[10, 0], [0, 10]]
    assert all(e.kernels == [] and e.confusion == [] for e in summary.epochs[:-1])
    assert summary.started.kernels == [[[[0.0]]]]  # the "before training" snapshot stays


def test_a_run_never_re_runs_the_parents_main_script(make_manager, home, monkeypatch, tmp_path):
    # Under Streamlit, __main__ is the app script; a multiprocessing spawn would run it all again in the child.
    import sys
    import types

    marker = tmp_path / "the app ran again"
    script = tmp_path / "app.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    app_as_main = types.ModuleType("__main__")
    app_as_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", app_as_main)

    manager = make_manager(max_runs=1)
    run = manager.submit(_config(epochs=1), owner="alice")
    _wait(lambda: manager.status(run).state == "finished")
    assert not marker.exists()
    assert sys.modules["__main__"] is app_as_main


def test_the_servers_side_never_imports_the_childs_module():
    # `python -m cnnviz.runs.child` imports the package first; had the package imported the child's
    # module, it would run twice in every run's process (Python warns: "found in sys.modules").
    import subprocess
    import sys

    check = "import sys, dashboard.training_service; print('cnnviz.runs.child' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"


def test_one_browser_cannot_fill_the_queue_from_several_tabs_and_the_queue_has_a_bound(make_manager):
    manager = make_manager(max_runs=1, runs_per_client=1, runs_per_address=2, max_queued=2)
    # Tab 1 of alice's browser trains; tabs 2-4 of the same browser are refused with a sentence.
    first = manager.submit(_config(**LONG), owner="alice-tab-1", client="alice", address="10.0.0.5")
    for tab in (2, 3, 4):
        with pytest.raises(RunRefused, match="This browser already has a run going in another tab"):
            manager.submit(_config(**LONG), owner=f"alice-tab-{tab}", client="alice", address="10.0.0.5")
    # A second browser at the same address queues; a third one there is past the address's share.
    second = manager.submit(_config(**LONG), owner="bob-tab", client="bob", address="10.0.0.5")
    with pytest.raises(RunRefused, match="2 runs from your network address are already training or waiting"):
        manager.submit(_config(**LONG), owner="mallory-tab", client="mallory", address="10.0.0.5")
    # Other addresses queue until the queue holds max_queued runs, then get a sentence too.
    third = manager.submit(_config(**LONG), owner="carol-tab", client="carol", address="10.0.0.6")
    with pytest.raises(RunRefused, match=r"The queue is full \(2 runs are waiting for the machine\)"):
        manager.submit(_config(**LONG), owner="dave-tab", client="dave", address="10.0.0.7")
    assert [manager.status(r).state for r in (second, third)] == ["queued", "queued"]
    assert [s.client for s in manager.runs()] == ["alice", "bob", "carol"]
    # Once alice's run has ended, her browser may start again.
    manager.stop(first, "Stopped from the page.")
    manager.stop(second)
    manager.stop(third)
    _wait(lambda: not manager.status(first).active)
    manager.submit(_config(**LONG), owner="alice-tab-2", client="alice", address="10.0.0.5")


def test_a_run_signalled_with_its_server_by_ctrl_c_stops_and_saves_like_stop(make_manager, home):
    # Ctrl+C (and systemd's stop) signal the whole process group, the run's process included.
    import os
    import signal

    from cnnviz.models import load_checkpoint

    manager = make_manager(max_runs=1)
    run = manager.submit(_config(**LONG), owner="alice")
    _wait(lambda: any(isinstance(e, StepEvent) for e in manager.poll(run).members[0].events))
    with manager._lock:
        pid = manager._jobs[run].process.pid
    os.kill(pid, signal.SIGINT)
    _wait(lambda: not manager.poll(run).active)
    status = manager.status(run)
    assert status.state == "stopped", status.message
    assert load_checkpoint(status.checkpoint).meta["status"] == "stopped"


def test_closing_the_manager_stops_every_run_the_way_stop_does(make_manager, home):
    from cnnviz.models import load_checkpoint

    manager = make_manager(max_runs=1)
    running = manager.submit(_config(**LONG), owner="alice")
    waiting = manager.submit(_config(**LONG), owner="bob")
    _wait(lambda: any(isinstance(e, StepEvent) for e in manager.poll(running).members[0].events))
    manager.close(timeout=60)
    alice, bob = manager.status(running), manager.status(waiting)
    assert alice.state == "stopped" and alice.message.startswith("The server is shutting down. Stopped at step")
    assert load_checkpoint(alice.checkpoint).meta["status"] == "stopped"
    assert bob.state == "stopped" and "stopped before it started" in bob.message
    with pytest.raises(RunRefused, match=r"^The training service is shutting down; try again in a minute\.$"):
        manager.submit(_config(), owner="carol")


def test_the_summary_folded_as_events_arrive_equals_summarizing_them_all():
    import random

    from cnnviz.runs import FitHistory
    from cnnviz.runs.status import RunMember
    from cnnviz.train import EpochEvent, StartEvent, summarize

    rng = random.Random(7)
    # A small bound compacts many times; restarts and early ends stress "the latest wins".
    history = FitHistory(max_steps=7)
    step = epoch = 0
    for index in range(20_000):
        kind = rng.choices(["step", "epoch", "start", "end"], weights=[90, 6, 2, 2])[0]
        if kind == "step":
            step += 1
            history.add(StepEvent(step, epoch + 1, rng.random(), rng.random(), 0.1, 100.0, step / 4))
        elif kind == "epoch":
            epoch += 1
            snapshot = [[epoch]] if rng.random() < 0.8 else []
            history.add(EpochEvent(epoch, rng.random(), rng.random(), rng.random(), rng.random(), 1.0,
                                   snapshot, snapshot))
        elif kind == "start":
            history.add(StartEvent("CPU", 100, 10, 100, 10, 5, ("a", "b"), [[[[float(index)]]]], 0.1))
        else:
            history.add(EndEvent("stopped", f"Stopped at step {step}.", steps=step))
        if index % 97 == 0 or index > 19_900:
            assert history.summary() == summarize(history.events), index
            member = RunMember("run", None, tuple(history.events), history.fold())
            assert member.summary == summarize(member.events), index
    assert len([e for e in history.events if isinstance(e, StepEvent)]) <= 7
    assert history.summary() is not history.summary()  # a fresh copy: a reader cannot change the fold


def test_a_run_pauses_steps_one_epoch_resumes_and_stops_while_paused(make_manager, home):
    """TensorFlow Playground's controls: Pause holds the run before its next batch, "Step one epoch"
    trains to the end of the epoch (evaluated) and pauses again, Resume lets it go on; the pause is
    not counted as training time, and Stop ends a paused run at once, saved."""
    from cnnviz.train import EpochEvent

    manager = make_manager(max_runs=1)
    run_id = manager.submit(_config(batch_size=8, epochs=6, event_seconds=0.0), owner="alice")

    def steps():
        return [e.step for e in manager.poll(run_id).members[0].events if isinstance(e, StepEvent)]

    def epochs():
        return [e.epoch for e in manager.poll(run_id).members[0].events if isinstance(e, EpochEvent)]

    _wait(lambda: len(steps()) >= 3)
    manager.pause(run_id)
    _wait(lambda: manager.poll(run_id).pace == "paused", timeout=30)
    held = steps()[-1]
    time.sleep(1.5)
    assert steps()[-1] <= held + 1  # at most the batch that was under way when the pace changed
    done = len(epochs())
    assert done < 5, "the run trained too fast for the test: it must pause before its last epoch"

    manager.step_epoch(run_id)
    _wait(lambda: len(epochs()) > done and manager.poll(run_id).pace == "paused", timeout=60)
    per_epoch = manager.poll(run_id).summary.started.total_steps // 6
    end_of_epoch = (done + 1) * per_epoch
    assert steps()[-1] == end_of_epoch > held and epochs() == list(range(1, done + 2))  # that epoch, no further
    time.sleep(3.0)
    assert steps()[-1] == end_of_epoch and len(epochs()) == done + 1

    manager.resume(run_id)
    _wait(lambda: steps()[-1] > end_of_epoch and manager.poll(run_id).pace == "running", timeout=30)
    events = manager.poll(run_id).members[0].events
    last_before = next(e for e in events if isinstance(e, StepEvent) and e.step == end_of_epoch)
    first_after = next(e for e in events if isinstance(e, StepEvent) and e.step > end_of_epoch)
    # Over 3 s were spent paused between them; the run's clock left them out (an evaluation and a
    # batch remain).
    assert first_after.elapsed - last_before.elapsed < 1.5

    manager.pause(run_id)
    _wait(lambda: manager.poll(run_id).pace == "paused", timeout=30)
    asked = time.time()
    manager.stop(run_id, "Stopped from the page.")
    assert manager.status(run_id).stopping  # saving: the page offers no pace buttons now
    _wait(lambda: not manager.poll(run_id).active, timeout=60)
    status = manager.status(run_id)
    assert status.state == "stopped" and status.pace == "running" and not status.stopping, status.message
    assert status.ended_at - asked < 30 and status.checkpoint
    assert end_of_epoch < status.summary.end.steps < 6 * per_epoch
