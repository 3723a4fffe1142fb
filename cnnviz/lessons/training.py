"""The Training page's lesson: every number and sentence its live views show, folded from a run's
snapshot (cnnviz.runs.RunStatus), and (re-exported from cnnviz.lessons.training_forms) the
settings its two forms build.

pages/training.py only draws what is computed here: the forms read the option lists and ranges,
turn their values into Settings / LrSettings and submit ``config()``; the live views draw
``single_run(status)`` and ``comparison(status)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cnnviz.lessons.live_view import LiveView, live_view
from cnnviz.lessons.metric import Metric
from cnnviz.lessons.run_controls import PaceButton, pace_buttons, pace_note
from cnnviz.lessons.training_forms import (  # the forms' choices and settings, read here as lesson.X
    NO_RATES,
    SEED_RECIPE_HELP,
    SEED_RECIPE_LABEL,
    seed_recipe,
    CROP_PADDING, ROTATION, TRANSLATE, SCALE, NOISE_SIGMA, SALT_PEPPER, COLOUR_JITTER,
    MODELS,
    OPTIMIZER_LABELS,
    LEARNING_RATES,
    BATCH_SIZES,
    EPOCHS,
    WEIGHT_DECAYS,
    MODEL_DEFAULT,
    DROPOUTS,
    ALL_IMAGES,
    TRAIN_IMAGE_COUNTS,
    TRAIN_IMAGES_HELP,
    WIDTHS,
    WIDTH_HELP,
    BATCH_NORMS,
    LABEL_SMOOTHINGS,
    LABEL_SMOOTHING_STEP,
    ADVERSARIAL_LABELS,
    ATTACK_EPSILONS,
    SEEDS,
    AUGMENTATIONS,
    AUGMENTATION_HELP,
    AUGMENTATION_COLUMNS,
    METRIC_COLUMNS,
    single_augmentations,
    in_rows,
    augmentation_rows,
    COMPARISON_EPOCHS,
    MOMENTA,
    MAX_RATES,
    dataset_labels,
    model_titles,
    device_options,
    Settings,
    LrSettings,
)
from cnnviz.runs import RunStatus
from cnnviz.train import OPTIMIZERS, SCHEDULES, RunSummary  # the trainer's own choices, offered as they are

INTRO = (
    "Train a convolutional network here and now. The loss is the cross-entropy "
    "$-\\log p(\\text{true class})$ averaged over a batch; the optimizer moves every weight a small "
    "step against its gradient, $w \\leftarrow w - \\eta \\, \\partial L / \\partial w$, where $\\eta$ is the "
    "learning rate. Watch the training and test curves side by side: when the test curve stops "
    "following the training curve, the network is memorising (overfitting)."
)
TRY_THIS = (
    "**Try this first:** press Start with the defaults (LeNet-5 on Fashion-MNIST, 3 epochs, about a "
    "minute on a laptop) and watch the first-layer kernels turn from noise into edge detectors. Then "
    "open *Compare learning rates* and run 1, 0.1 and 0.01: the first one diverges."
)
LR_INTRO = (
    "Same network, same data, different learning rates $\\eta$. Too high and the steps overshoot: "
    "the loss explodes (diverges). Too low and it crawls. The classic lesson (LeNet, plain SGD, "
    "one epoch): 1 diverges, 0.1 learns fast, 0.01 learns slowly."
)
CRAWLS = "crawls"  # the chart's note for a member that learned far slower than the best
CRAWL_FRACTION = 0.5  # a loss that fell less than half as much as the best one's crawls
RUN_IDLE = "Choose the settings above and press Start; the curves appear here while it trains."
COMPARISON_IDLE = "Pick the learning rates and press Compare; their loss curves are drawn on top of each other."
STARTING = "Starting: loading the data and building the model..."
STOP_HELP = "Ends the run after the current batch and keeps what it learned."
ADVERSARIAL_HELP = ("Half of every batch is replaced by attacked images, so the model learns to resist "
                    "the attack. Compare it with a normal model on the Adversarial lab page.")
MOMENTUM_HELP = "0 is plain SGD, as in the original LeNet lesson."

def clock(seconds: float) -> str:
    """Seconds as minutes:seconds, e.g. 75.4 -> "1:15"."""
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}:{seconds:02d}"


def queued(position: int) -> str:
    return (f"Waiting for a free slot: your run is number {position} in the queue. "
            "Other runs on this server go first; this page updates by itself.")


@dataclass(frozen=True)
class Progress:
    """A progress bar: fraction in [0, 1] and its text."""

    fraction: float
    text: str


@dataclass(frozen=True)
class Banner:
    """How a run ended: kind is "success", "warning" or "error"; quotes_error says the text may
    quote an exception, so it must be escaped before it is drawn as Markdown."""

    kind: str
    text: str
    quotes_error: bool = False


@dataclass(frozen=True)
class RunView:
    """Everything the live view of one run shows, top to bottom.

    Attributes:
        stoppable: the run is queued, starting or training (a Stop button).
        controls: Pause / Resume / Step one epoch beside Stop while it trains (lessons.run_controls).
        notice: a sentence shown alone (no run yet, queued, starting), or None.
        progress: while the run is active.
        banner: once it has ended.
        saved: names the saved run (never the server's path), or None.
        computing: device, parameters and split sizes, once the run has started.
        metrics: test accuracy, train accuracy, latest loss, elapsed time.
        curves: RunSummary.curves() for the loss and accuracy charts (None before the start).
        kernels, kernel_title: the latest first-layer kernels and their chart's title.
        confusion, classes: the latest confusion matrix and its class names.
        live: six test images as the network sees them now (lessons.live_view), or None.
    """

    stoppable: bool = False
    notice: str | None = None
    progress: Progress | None = None
    banner: Banner | None = None
    controls: tuple[PaceButton, ...] = ()
    saved: str | None = None
    computing: str | None = None
    metrics: tuple[Metric, ...] = ()
    curves: dict | None = None
    kernels: list | None = None
    kernel_title: str = ""
    confusion: list | None = None
    classes: tuple[str, ...] = ()
    live: LiveView | None = None


def _notice(status: RunStatus | None, idle: str) -> str | None:
    if status is None:
        return idle
    if status.state == "queued":
        return queued(status.queue_position)
    if status.state == "starting":
        return STARTING
    return None


def _banner(status: RunStatus) -> Banner:
    kind = {"finished": "success", "stopped": "warning"}.get(status.state, "error")
    # A failed run's message can quote an exception's text; the others are the engine's sentences.
    return Banner(kind, status.message, quotes_error=status.state == "failed")


def _run_progress(status: RunStatus, summary: RunSummary) -> Progress:
    epoch = summary.steps[-1].epoch if summary.steps else 1
    speed = f" - {summary.images_per_second:,.0f} images/s" if summary.images_per_second else ""
    eta = f" - about {clock(summary.eta_seconds)} left" if summary.eta_seconds is not None else ""
    if status.pace != "running":  # held: no speed or time left to tell
        speed = eta = ""
    text = f"Epoch {epoch} of {status.members[0].config.epochs}{speed}{eta}{pace_note(status)}"
    return Progress(summary.progress, text)


def _metrics(summary: RunSummary) -> tuple[Metric, ...]:
    last = summary.epochs[-1] if summary.epochs else None
    end = summary.end
    if end is not None and end.test_accuracy is not None:  # a stopped run is evaluated again at the stop
        test = Metric("Final test accuracy", f"{end.test_accuracy:.1%}")
    else:
        test = Metric("Test accuracy", f"{last.test_accuracy:.1%}" if last else "after epoch 1")
    finished = last.epoch if last else 0  # epochs whose EpochEvent arrived
    if end is not None and end.unfinished_train_accuracy is not None and end.epochs > finished:
        # Stopped during an epoch: the engine measured that epoch's batches up to the stop.
        train = Metric(f"Train accuracy, epoch {finished + 1} so far", f"{end.unfinished_train_accuracy:.1%}",
                       f"The mean over epoch {finished + 1}'s training batches up to the stop, measured "
                       "while training (dropout and augmentation on).")
    elif last is None:
        train = Metric("Train accuracy", "after epoch 1" if end is None else "-",
                       None if end is None else "The run ended before its first epoch did.")
    elif end is not None and end.epochs > last.epoch:
        # Ended during a later epoch that no event measures (it diverged, or was stopped at
        # that epoch's first batch): the figure is the last finished epoch's, and says so.
        train = Metric(f"Train accuracy, epoch {last.epoch}", f"{last.train_accuracy:.1%}",
                       f"The mean over epoch {last.epoch}'s training batches; the run ended during "
                       f"epoch {last.epoch + 1}, so that epoch's batches are not in it.")
    else:
        train = Metric("Train accuracy", f"{last.train_accuracy:.1%}",
                       f"The mean over epoch {last.epoch}'s training batches, measured while training "
                       "(dropout and augmentation on).")
    loss = Metric("Latest loss", f"{summary.steps[-1].loss:.3f}" if summary.steps else "-")
    return test, train, loss, Metric("Elapsed", clock(summary.elapsed))


def single_run(status: RunStatus | None, *, quote: Callable[[str], str] = str) -> RunView:
    """What the Train tab's live view shows for a single run's snapshot (None: no run yet); ``quote``
    makes a class name safe as markdown (dashboard.markup.escape on a page)."""
    notice = _notice(status, RUN_IDLE)
    if notice is not None:
        return RunView(stoppable=status is not None and status.active, notice=notice)
    summary = status.summary
    progress = _run_progress(status, summary) if status.active else None
    banner = None if status.active else _banner(status)
    saved = None
    if not status.active and status.checkpoint:
        saved = f"Saved as run {status.run_id}: every page that uses a trained network can pick it now."
    started = summary.started
    if started is None:
        return RunView(status.active, progress=progress, banner=banner, controls=pace_buttons(status), saved=saved)
    last = summary.epochs[-1] if summary.epochs else None
    return RunView(
        stoppable=status.active, progress=progress, banner=banner, controls=pace_buttons(status), saved=saved,
        computing=(f"Computing on {started.device} - {started.num_parameters:,} parameters - "
                   f"{started.train_size:,} training and {started.test_size:,} test images."),
        metrics=_metrics(summary), curves=summary.curves(), kernels=summary.kernels or None,
        kernel_title=f"First-layer kernels, {f'after epoch {last.epoch}' if last else 'before training'}",
        confusion=summary.confusion, classes=started.classes, live=live_view(summary, quote=quote),
    )


@dataclass(frozen=True)
class ComparisonView:
    """Everything the live view of a learning-rate comparison shows.

    Attributes:
        stoppable, notice, progress, banner, controls: as in RunView.
        lines: (label, curves, note) per member that has taken a step; note names an end other
            than "finished" ("diverged", "stopped", ...), else "".
        rows: one table row per member, in the order they train.
    """

    stoppable: bool = False
    notice: str | None = None
    progress: Progress | None = None
    banner: Banner | None = None
    controls: tuple[PaceButton, ...] = ()
    lines: tuple[tuple[str, dict, str], ...] = ()
    rows: tuple[dict[str, str], ...] = ()


def comparison(status: RunStatus | None) -> ComparisonView:
    """What the Compare tab's live view shows for a comparison's snapshot (None: none yet)."""
    notice = _notice(status, COMPARISON_IDLE)
    if notice is not None:
        return ComparisonView(stoppable=status is not None and status.active, notice=notice)
    members = status.members
    done = sum(1 for m in members if m.end is not None)
    progress = banner = None
    if status.active:
        current = next((m for m in members if m.end is None), members[-1])
        fraction = (done + current.summary.progress) / len(members)  # each member is one equal share
        # Every member may have ended a moment before the run's state says so: never "2 of 1".
        position = min(done + 1, len(members))
        progress = Progress(min(fraction, 1.0),
                            f"Training {current.label} ({position} of {len(members)}){pace_note(status)}")
    else:
        banner = _banner(status)
    lines, rows = {}, []
    for index, member in enumerate(members):
        summary, end = member.summary, member.end
        if summary.steps:
            lines[index] = (member.label, summary.curves(), end.status if end and end.status != "finished" else "")
        rows.append({
            "Learning rate": member.label,
            "Status": end.status if end else ("training" if summary.started else "waiting"),
            "Test accuracy": f"{end.test_accuracy:.1%}" if end and end.test_accuracy is not None else "",
            "What happened": end.message if end else "",
        })
    for index, sentence in crawling(members).items():  # named on the chart and in the table
        label, curves, _ = lines[index]
        lines[index] = (label, curves, CRAWLS)
        rows[index]["What happened"] = sentence
    return ComparisonView(status.active, None, progress, banner, pace_buttons(status), tuple(lines.values()),
                          tuple(rows))


def crawling(members) -> dict[int, str]:
    """The finished members whose loss fell less than CRAWL_FRACTION of the best one's fall: member
    index -> the sentence saying so. Empty until two members have finished."""
    falls = {index: member.summary.steps[0].loss - member.summary.steps[-1].loss
             for index, member in enumerate(members)
             if member.end is not None and member.end.status == "finished" and len(member.summary.steps) > 1}
    if len(falls) < 2 or max(falls.values()) <= 0:
        return {}
    best = max(falls, key=falls.get)
    return {index: (f"Crawled: its loss fell by {fall:.2f}, against {falls[best]:.2f} at {members[best].label}; "
                    "a larger learning rate takes larger steps.")
            for index, fall in falls.items() if fall < CRAWL_FRACTION * falls[best]}
