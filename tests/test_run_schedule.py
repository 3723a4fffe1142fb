"""cnnviz.runs.schedule: the rules of the room with a fake clock and a fake launcher, no processes:
queue order and places, every limit and its sentence, the orphan rule, the time limit, stops,
the run limit as slots free, how a run's end is told, and close()."""

import pytest

from cnnviz.runs.schedule import Job, Limits, RunRefused, Schedule
from cnnviz.train.events import EndEvent


class FakeClock:
    def __init__(self, now=1_000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class FakeProcess:
    def __init__(self, device):
        self.device, self.alive, self.exit_code, self.began, self.stop_requested = device, True, None, False, False


class FakeLauncher:
    """Records what the schedule asks; a test plays the processes' part through begin() and exit()."""

    def __init__(self, devices=()):
        self.devices = list(devices)
        self.launched, self.stop_requests, self.killed, self.busy_seen, self.paces = [], [], [], [], []
        self._ends = {}

    def choose_device(self, busy):
        self.busy_seen.append(set(busy))
        return next((d for d in self.devices if d not in busy), None)

    def launch(self, job):
        self.launched.append(job.run_id)
        return FakeProcess(job.device)

    def request_stop(self, job):
        job.process.stop_requested = True
        self.stop_requests.append(job.run_id)

    def request_pace(self, job, command):
        self.paces.append((job.run_id, command))

    def receive(self, job, wait=0.0):
        began, job.process.began = job.process.began, False
        return began

    def alive(self, job):
        return job.process.alive

    def settle(self, job):
        pass

    def ends(self, job):
        return self._ends.get(job.run_id, [None] * len(job.configs))

    def exit_code(self, job):
        return job.process.exit_code

    def kill(self, job, wait=0.0):
        job.process.alive = False
        self.killed.append((job.run_id, wait))

    # the processes' side
    def begin(self, job):
        job.process.began = True

    def exit(self, job, *ends, code=0):
        job.process.alive, job.process.exit_code = False, code
        if ends:
            self._ends[job.run_id] = list(ends)


def _schedule(**limits):
    clock, launcher = FakeClock(), FakeLauncher(limits.pop("devices", ()))
    return Schedule(Limits(**limits), launcher, clock), clock, launcher


def _admit(schedule, run_id, owner=None, client=None, address="", kind="single", members=1):
    now = schedule.clock()
    owner = owner or run_id
    job = Job(run_id, kind, owner, client or owner, address, [f"m{i}" for i in range(members)],
              [object()] * members, [None] * members, now, now)
    schedule.admit(job)
    return job


FINISHED = EndEvent("finished", "Reached 90.0% test accuracy.", test_accuracy=0.9)


def test_runs_start_first_come_and_the_queued_know_their_place():
    schedule, clock, launcher = _schedule(max_runs=1)
    a, b, c = (_admit(schedule, r) for r in "abc")
    assert [a.state, b.state, c.state] == ["starting", "queued", "queued"]
    assert [schedule.position(j) for j in (a, b, c)] == [None, 1, 2]
    assert a.started_at == clock.now and launcher.launched == ["a"]
    launcher.begin(a)
    schedule.tick()
    assert a.state == "running" and schedule.active_run("a") == "a"
    clock.advance(10)
    launcher.exit(a, FINISHED)
    schedule.tick()
    assert a.state == "finished" and a.message == "Reached 90.0% test accuracy." and a.ended_at == clock.now
    assert b.state == "starting" and b.started_at == clock.now and schedule.position(c) == 1
    assert launcher.launched == ["a", "b"] and schedule.active_run("a") is None


def test_every_limit_refuses_with_its_own_sentence():
    schedule, _, _ = _schedule(max_runs=1, runs_per_client=1, runs_per_address=2, max_queued=2)
    _admit(schedule, "tab1", client="alice", address="10.0.0.5")
    with pytest.raises(RunRefused, match=r"^You already have a run going; stop it or wait for it to end"):
        _admit(schedule, "again", owner="tab1", client="alice")
    in_another_tab = r"^This browser already has a run going in another tab; .*fair for the room\)\.$"
    with pytest.raises(RunRefused, match=in_another_tab):
        _admit(schedule, "tab2", client="alice", address="10.0.0.5")
    _admit(schedule, "bob", address="10.0.0.5")
    with pytest.raises(RunRefused, match=r"^2 runs from your network address are already training or waiting; "
                                         r"start yours when one of them has ended\.$"):
        _admit(schedule, "mallory", address="10.0.0.5")
    _admit(schedule, "nobody-knows-where")  # no address: no per-address limit
    with pytest.raises(RunRefused, match=r"^The queue is full \(2 runs are waiting for the machine\); "
                                         r"try again when one has ended\.$"):
        _admit(schedule, "dave", address="10.0.0.7")
    assert list(schedule.jobs) == ["tab1", "bob", "nobody-knows-where"]


def test_the_queue_bound_counts_only_when_every_slot_trains():
    schedule, _, _ = _schedule(max_runs=2, max_queued=1)
    _admit(schedule, "a")
    _admit(schedule, "b")  # a free slot: it trains, it does not wait
    _admit(schedule, "c")
    with pytest.raises(RunRefused, match="The queue is full"):
        _admit(schedule, "d")


def test_an_ended_run_frees_its_owner_browser_and_address():
    schedule, _, launcher = _schedule(max_runs=1, runs_per_address=1)
    first = _admit(schedule, "tab1", client="alice", address="10.0.0.5")
    schedule.stop("tab1", "Stopped from the page.")
    launcher.exit(first, EndEvent("stopped", "Stopped at step 3 of 9."))
    schedule.tick()
    assert first.state == "stopped" and first.message == "Stopped from the page. Stopped at step 3 of 9."
    assert _admit(schedule, "tab1", client="alice", address="10.0.0.5").state == "starting"


def test_a_queued_run_nobody_watches_is_cancelled_and_a_running_one_asked_to_stop():
    schedule, clock, launcher = _schedule(max_runs=1, orphan_seconds=300)
    running, waiting = _admit(schedule, "a"), _admit(schedule, "b")
    clock.advance(300)
    schedule.tick()  # exactly the limit: still watched
    assert launcher.stop_requests == [] and waiting.state == "queued"
    clock.advance(1)
    schedule.tick()
    orphaned = "Nobody has watched this run for 5 minutes (the page was closed)."
    assert waiting.state == "stopped" and waiting.message == f"{orphaned} It was stopped before it started."
    assert waiting.started_at is None and launcher.launched == ["a"]
    assert launcher.stop_requests == ["a"] and running.stop_requested_at == clock.now
    launcher.exit(running, EndEvent("stopped", "Stopped at step 7 of 90."))
    schedule.tick()
    assert running.state == "stopped" and running.message == f"{orphaned} Stopped at step 7 of 90."


def test_a_heartbeat_or_a_connected_owner_keeps_a_run_watched():
    schedule, clock, launcher = _schedule(max_runs=2, orphan_seconds=10)
    polled, connected = _admit(schedule, "a"), _admit(schedule, "b", owner="carol")
    for _ in range(5):
        clock.advance(8)
        schedule.heartbeat("a")
        schedule.heartbeat_owners({"carol"})
        schedule.heartbeat("forgotten-id")  # ignored
        schedule.tick()
    assert launcher.stop_requests == [] and polled.last_seen == connected.last_seen == clock.now


def test_every_run_meets_the_time_limit_and_one_that_does_not_stop_in_time_is_ended():
    schedule, clock, launcher = _schedule(max_run_seconds=3600, stop_grace_seconds=60)
    job = _admit(schedule, "a")
    launcher.begin(job)
    for _ in range(36):
        clock.advance(100)
        schedule.heartbeat("a")
        schedule.tick()
    assert launcher.stop_requests == []
    clock.advance(1)
    schedule.heartbeat("a")
    schedule.tick()
    assert launcher.stop_requests == ["a"] and job.stop_reason == "The run reached the time limit of 60 minutes."
    clock.advance(60)
    schedule.tick()
    assert job.state == "running" and launcher.killed == []
    clock.advance(1)
    schedule.tick()
    assert launcher.killed == [("a", 5.0)] and job.process is None
    assert job.state == "stopped"
    assert job.message == "The run reached the time limit of 60 minutes. It did not stop in time and was ended."


def test_stop_ends_a_queued_run_at_once_asks_a_running_one_once_and_ignores_unknown_ids():
    schedule, _, launcher = _schedule(max_runs=1)
    running, waiting = _admit(schedule, "a"), _admit(schedule, "b")
    schedule.stop("b", "Stopped from the page.")
    assert waiting.state == "stopped" and waiting.message == "Stopped from the page. It was stopped before it started."
    schedule.stop("a")
    schedule.stop("a", "again")
    schedule.stop("no-such-run")
    assert launcher.stop_requests == ["a"] and running.stop_reason == ""
    launcher.exit(running, code=0)  # stopped while loading its data: no EndEvent
    schedule.tick()
    assert running.state == "stopped" and running.message == "It was stopped before training began."
    assert launcher.launched == ["a"]  # b never started


def test_pause_resume_and_step_reach_a_training_run_only_and_an_unknown_command_is_refused():
    schedule, _, launcher = _schedule(max_runs=1)
    running, waiting = _admit(schedule, "running"), _admit(schedule, "waiting")
    launcher.begin(running)
    schedule.tick()
    for command in ("pause", "step", "resume"):
        schedule.pace("running", command)
    schedule.pace("waiting", "pause")  # queued: nothing to hold yet
    schedule.pace("nobody", "pause")
    assert launcher.paces == [("running", "pause"), ("running", "step"), ("running", "resume")]
    with pytest.raises(ValueError, match="Unknown pace command 'rewind'"):
        schedule.pace("running", "rewind")
    schedule.stop("running")
    schedule.pace("running", "pause")  # stopping: Stop wins, the button arrived late
    launcher.exit(running, FINISHED)
    schedule.tick()
    schedule.pace("running", "resume")  # ended
    assert len(launcher.paces) == 3 and waiting.state == "starting"


def test_the_run_limit_launches_the_next_when_a_slot_frees_on_a_free_device():
    schedule, _, launcher = _schedule(max_runs=2, devices=("cuda:0", "cuda:1"))
    a, b, c = (_admit(schedule, r) for r in "abc")
    assert (a.device, b.device, c.state) == ("cuda:0", "cuda:1", "queued")
    schedule.tick()
    assert c.state == "queued"
    launcher.exit(a, FINISHED)
    schedule.tick()
    assert c.state == "starting" and c.device == "cuda:0" and launcher.busy_seen[-1] == {"cuda:1"}


@pytest.mark.parametrize(("code", "sentence"), [
    (-9, "The training process was killed (signal 9); the machine may have run out of memory. "
         "Try a smaller batch size or model."),
    (1, "The training process ended unexpectedly (exit code 1); the server log has the details."),
])
def test_a_process_that_dies_without_an_end_fails_with_a_sentence(code, sentence):
    schedule, _, launcher = _schedule()
    job = _admit(schedule, "a")
    launcher.exit(job, code=code)
    schedule.tick()
    assert job.state == "failed" and job.message == sentence


def test_a_comparison_names_each_member_and_a_stopped_one_says_so():
    schedule, _, launcher = _schedule(max_runs=2)
    compared = _admit(schedule, "a", kind="lr-comparison", members=2)
    compared.labels = ["lr 1000", "lr 0.05"]
    stopped = _admit(schedule, "b", kind="lr-comparison", members=2)
    launcher.exit(compared, EndEvent("diverged", "Too high."), FINISHED)
    schedule.stop("b", "Stopped from the page.")
    launcher.exit(stopped, FINISHED, None)
    schedule.tick()
    assert compared.state == "finished" and compared.message == "lr 1000 diverged; lr 0.05 reached 90.0% test accuracy."
    assert stopped.state == "stopped" and stopped.message == "Stopped from the page. The comparison was stopped."


def test_only_the_latest_ended_runs_are_remembered():
    schedule, _, _ = _schedule(keep_ended=2, max_runs=1)
    for run_id in "abcd":
        _admit(schedule, run_id)
    for run_id in "bcd":
        schedule.stop(run_id)
    schedule.tick()
    assert list(schedule.jobs) == ["a", "c", "d"]


def test_close_stops_every_run_like_stop_refuses_new_ones_and_abandons_what_will_not_stop():
    schedule, _, launcher = _schedule(max_runs=2)
    saving, stuck, waiting = _admit(schedule, "a"), _admit(schedule, "b"), _admit(schedule, "c")
    schedule.close()
    assert schedule.closed and launcher.stop_requests == ["a", "b"]
    assert waiting.state == "stopped"
    assert waiting.message == "The server is shutting down. It was stopped before it started."
    with pytest.raises(RunRefused, match=r"^The training service is shutting down; try again in a minute\.$"):
        _admit(schedule, "d")
    launcher.exit(saving, EndEvent("stopped", "Stopped at step 4 of 9."))
    schedule.tick()
    assert saving.state == "stopped" and saving.message == "The server is shutting down. Stopped at step 4 of 9."
    assert not schedule.idle and launcher.launched == ["a", "b"]  # the freed slot does not start c
    schedule.abandon()
    assert launcher.killed == [("b", 0.0)] and schedule.idle
    assert stuck.state == "failed" and stuck.message == "The server shut down before the run could stop."
