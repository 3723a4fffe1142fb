"""One fit's events as they arrive, compacted to a bound and folded into its summary on the way.

A live view polls its run every second for as long as the run lasts. Re-summarising every kept
event on each poll would repeat the same walk thousands of times, so FitHistory keeps the
summary (the start, the progress points, the epochs, the end) up to date as each event arrives,
changing it in step with the compaction. ``summary()`` then equals ``summarize(events)`` at every
moment, without walking the events.
"""

from __future__ import annotations

from dataclasses import replace

from cnnviz.train.events import EndEvent, EpochEvent, Event, RunSummary, StartEvent, StepEvent

# Progress points kept per fit: finer than any chart draws them, and a bound on the memory of an
# hour-long run (4 events a second would otherwise be 14,400 of them, copied on every poll).
MAX_STEP_EVENTS = 1000


class FitHistory:
    """One fit's events as they arrive, compacted so that an hour-long run stays small.

    - Progress points (StepEvents): once more than ``max_steps`` are kept, every other one is
      dropped and from then on only every 2nd (then 4th, ...) arriving one is kept, so the loss
      curve keeps its shape, evenly spaced, at a bounded resolution. The latest always stays:
      progress, speed and elapsed time are read from it.
    - A new EpochEvent empties the previous epochs' kernel, confusion and live snapshots (pages draw
      the latest only); their numbers (losses, accuracies, seconds) stay.

    Args:
        max_steps: the most StepEvents kept; at least 2.

    Example:
        history = FitHistory()
        for event in events: history.add(event)
        history.summary()  # == summarize(history.events)
    """

    def __init__(self, max_steps: int = MAX_STEP_EVENTS) -> None:
        self.max_steps = max(2, max_steps)
        self.events: list[Event] = []
        self._stride = 1  # keep every stride-th arriving StepEvent
        self._arrived = 0  # StepEvents received
        self._latest_is_extra = False  # the last event is a StepEvent kept only for being the latest
        # The fold: what summarize(self.events) would return, kept in step with self.events.
        self._started: StartEvent | None = None
        self._steps: list[StepEvent] = []
        self._epochs: list[EpochEvent] = []
        self._end: EndEvent | None = None

    def add(self, event: Event) -> None:
        if isinstance(event, StepEvent):
            self._add_step(event)
            return
        if isinstance(event, EpochEvent):
            self._forget_old_snapshots()
            self._epochs.append(event)
        elif isinstance(event, StartEvent):
            self._started = event
        elif isinstance(event, EndEvent):
            self._end = event
        self.events.append(event)
        self._latest_is_extra = False  # a step followed by something else stays, as a plain point

    def summary(self) -> RunSummary:
        """The summary of the events so far, equal to ``summarize(self.events)``; a fresh copy."""
        return RunSummary(self._started, list(self._steps), list(self._epochs), self._end)

    def fold(self) -> tuple:
        """(started, steps, epochs, end) as immutable values, for a snapshot read without a lock."""
        return self._started, tuple(self._steps), tuple(self._epochs), self._end

    def _add_step(self, event: StepEvent) -> None:
        self._arrived += 1
        if self._latest_is_extra:  # the previous step was kept only as the latest: this one is
            self.events.pop()
            self._steps.pop()
        self.events.append(event)
        self._steps.append(event)
        self._latest_is_extra = self._arrived % self._stride != 0
        if len(self._steps) > self.max_steps:
            positions = [i for i, e in enumerate(self.events) if isinstance(e, StepEvent)]
            dropped = set(positions[1:-1:2])  # the 2nd, 4th, ... (never the first or the latest)
            self.events = [e for i, e in enumerate(self.events) if i not in dropped]
            last = len(self._steps) - 1
            self._steps = [s for i, s in enumerate(self._steps) if i % 2 == 0 or i == last]
            self._stride *= 2

    def _forget_old_snapshots(self) -> None:
        # The latest EpochEvent in the events is the last one in the fold: both are emptied.
        for position in range(len(self.events) - 1, -1, -1):
            previous = self.events[position]
            if isinstance(previous, EpochEvent):
                if previous.kernels or previous.confusion or previous.live:
                    self.events[position] = self._epochs[-1] = replace(previous, kernels=[], confusion=[],
                                                                       live=None)
                return
