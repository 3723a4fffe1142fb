"""The small records a training run emits, and the running summary a live view draws from them.

fit() emits, in this order: one StartEvent, StepEvents (at most every ``event_seconds``) mixed
with one EpochEvent per finished epoch, and one EndEvent. They are plain frozen dataclasses of
numbers, strings and lists, so they cross a process boundary (pickled frames on a pipe, cnnviz.runs.child) unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from cnnviz.train.live_probe import LiveProbe, LiveSnapshot

END_STATES = ("finished", "stopped", "diverged", "failed")  # how a fit, and so a run, can end


@dataclass(frozen=True)
class StartEvent:
    """The run is set up and the first step is about to happen.

    Attributes:
        device: a sentence naming the device, e.g. "CPU (2 threads)".
        total_steps: optimisation steps planned (epochs x steps per epoch).
        steps_per_epoch: steps in one pass over the training set.
        train_size, test_size: images in each split.
        num_parameters: trainable parameters of the model.
        frozen_parameters: parameters copied from another network and not trained (transfer
            learning, cnnviz.train.transfer); 0 when every parameter trains.
        classes: class names, indexed by label.
        kernels: the first conv layer's weights before training, (C_out, C_in, F, F) nested lists.
        lr: the configured learning rate (the peak for one-cycle).
        probe: the test images watched as the run trains, or None (a model without a test split).
        live: what the untrained model makes of them, or None.
    """

    device: str
    total_steps: int
    steps_per_epoch: int
    train_size: int
    test_size: int
    num_parameters: int
    classes: tuple[str, ...]
    kernels: list
    lr: float
    probe: LiveProbe | None = None
    live: LiveSnapshot | None = None
    frozen_parameters: int = 0


@dataclass(frozen=True)
class StepEvent:
    """Progress during an epoch.

    Attributes:
        step: optimisation steps done so far (1-based count).
        epoch: the epoch the step belongs to (1-based).
        progress: fraction of the whole run done, in [0, 1].
        loss: mean training loss over the steps since the previous StepEvent.
        lr: the learning rate of the latest step.
        images_per_second: training speed since the previous StepEvent.
        elapsed: seconds since training started.
    """

    step: int
    epoch: int
    progress: float
    loss: float
    lr: float
    images_per_second: float
    elapsed: float


@dataclass(frozen=True)
class EpochEvent:
    """The end of one epoch, after evaluating on the test set.

    Attributes:
        epoch: 1-based epoch number.
        train_loss, train_accuracy: means over the epoch's training batches (accuracy in [0, 1];
            measured while training, with dropout and augmentation on).
        test_loss, test_accuracy: on the whole test set, in eval mode.
        seconds: wall time of the epoch including the evaluation.
        confusion: (K, K) nested lists; confusion[actual][predicted] counts test images.
        kernels: the first conv layer's weights after this epoch, (C_out, C_in, F, F) nested lists.
        live: what the model makes of the probe images after this epoch, or None.
    """

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float
    confusion: list
    kernels: list
    live: LiveSnapshot | None = None


@dataclass(frozen=True)
class EndEvent:
    """How the run ended.

    Attributes:
        status: "finished", "stopped", "diverged" or "failed".
        message: one sentence saying what happened (and what to try, when it went wrong).
        test_accuracy, test_loss: of the final model (None when it was not evaluated).
        epochs: epochs completed, fractional for a stopped run (e.g. 1.5).
        steps: optimisation steps done.
        seconds: wall time of the whole run.
        images_per_second: mean training speed (training steps only).
        checkpoint: where the model was saved, or None (diverged, failed, or no path given).
        unfinished_train_accuracy: for a run stopped during an epoch, the accuracy over that
            epoch's training batches so far (no EpochEvent measures them); None otherwise.
    """

    status: str
    message: str
    test_accuracy: float | None = None
    test_loss: float | None = None
    epochs: float = 0.0
    steps: int = 0
    seconds: float = 0.0
    images_per_second: float = 0.0
    checkpoint: str | None = None
    unfinished_train_accuracy: float | None = None


Event = StartEvent | StepEvent | EpochEvent | EndEvent


@dataclass
class RunSummary:
    """Everything a live view shows, folded from the events so far (see summarize)."""

    started: StartEvent | None = None
    steps: list[StepEvent] = field(default_factory=list)
    epochs: list[EpochEvent] = field(default_factory=list)
    end: EndEvent | None = None

    @property
    def progress(self) -> float:
        """Fraction of the run done, in [0, 1]."""
        if self.end is not None and self.end.status == "finished":
            return 1.0
        return self.steps[-1].progress if self.steps else 0.0

    @property
    def elapsed(self) -> float:
        if self.end is not None:
            return self.end.seconds
        return self.steps[-1].elapsed if self.steps else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left at the speed so far, or None before the first step or after the end.

        Assumes the remaining steps take as long as the ones so far (evaluation included).
        """
        if self.end is not None or not self.steps or self.progress <= 0:
            return None
        return self.elapsed * (1 - self.progress) / self.progress

    @property
    def images_per_second(self) -> float | None:
        if self.end is not None:
            return self.end.images_per_second
        return self.steps[-1].images_per_second if self.steps else None

    @property
    def kernels(self) -> list | None:
        """The latest snapshot of the first layer's kernels (before training when no epoch ended)."""
        if self.epochs:
            return self.epochs[-1].kernels
        return self.started.kernels if self.started else None

    @property
    def live(self) -> LiveSnapshot | None:
        """The latest snapshot of the probe images (before training when no epoch ended)."""
        if self.epochs:
            return self.epochs[-1].live
        return self.started.live if self.started else None

    @property
    def confusion(self) -> list | None:
        return self.epochs[-1].confusion if self.epochs else None

    def curves(self) -> dict[str, list[float]]:
        """Curve data keyed by name; x values are in epochs (step 150 of 300 per epoch -> 0.5).

        Returns:
            {"step_x", "step_loss", "step_lr", "epoch_x", "train_loss", "test_loss",
             "train_accuracy", "test_accuracy"}.
        """
        per_epoch = self.started.steps_per_epoch if self.started else 1
        return {
            "step_x": [e.step / per_epoch for e in self.steps],
            "step_loss": [e.loss for e in self.steps],
            "step_lr": [e.lr for e in self.steps],
            "epoch_x": [float(e.epoch) for e in self.epochs],
            "train_loss": [e.train_loss for e in self.epochs],
            "test_loss": [e.test_loss for e in self.epochs],
            "train_accuracy": [e.train_accuracy for e in self.epochs],
            "test_accuracy": [e.test_accuracy for e in self.epochs],
        }


def summarize(events: Iterable[Event]) -> RunSummary:
    """Fold a run's events (in the order they were emitted) into a RunSummary."""
    summary = RunSummary()
    for event in events:
        if isinstance(event, StartEvent):
            summary.started = event
        elif isinstance(event, StepEvent):
            summary.steps.append(event)
        elif isinstance(event, EpochEvent):
            summary.epochs.append(event)
        elif isinstance(event, EndEvent):
            summary.end = event
    return summary
