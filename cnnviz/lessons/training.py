"""The Training page's lesson: the settings its two forms build, and every number and sentence
its live views show, folded from a run's snapshot (cnnviz.runs.RunStatus).

pages/training.py only draws what is computed here: the forms read the option lists and ranges
declared below, turn their values into Settings / LrSettings and submit ``config()``; the live
views draw ``single_run(status)`` and ``comparison(status)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz import data, devices
from cnnviz.lessons.metric import Metric
from cnnviz.models import model_spec
from cnnviz.runs import DEFAULT_LRS, RunStatus
from cnnviz.train import OPTIMIZERS, SCHEDULES, Augmentation, RunSummary, TrainConfig

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
RUN_IDLE = "Choose the settings above and press Start; the curves appear here while it trains."
COMPARISON_IDLE = "Pick the learning rates and press Compare; their loss curves are drawn on top of each other."
STARTING = "Starting: loading the data and building the model..."
STOP_HELP = "Ends the run after the current batch and keeps what it learned."
NO_RATES = "Pick at least one learning rate."
ADVERSARIAL_HELP = ("Half of every batch is replaced by attacked images, so the model learns to resist "
                    "the attack. Compare it with a normal model on the Adversarial lab page.")
MOMENTUM_HELP = "0 is plain SGD, as in the original LeNet lesson."

# What the forms offer, declared once: the page's widgets read these (and OPTIMIZERS and SCHEDULES,
# the trainer's own, imported above). Ranges are (lowest, highest).
MODELS = ("lenet5", "small_cnn", "tinyvgg", "cifar_cnn")  # the ones that train in minutes
OPTIMIZER_LABELS = {"sgd": "SGD with momentum", "adam": "Adam", "adamw": "AdamW"}
LEARNING_RATES = (3.0, 1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001)
BATCH_SIZES = (16, 32, 64, 128, 256, 512, 1024)
EPOCHS = (1, 50)
WEIGHT_DECAYS = (0.0, 1e-5, 1e-4, 5e-4, 1e-3, 1e-2)
MODEL_DEFAULT = "model default"  # keep the model's own dropout / batch norm
DROPOUTS = (MODEL_DEFAULT, 0.0, 0.1, 0.2, 0.3, 0.5)
# Over- and underfitting on purpose: few training images, or a narrower / wider network.
ALL_IMAGES = "all"
TRAIN_IMAGE_COUNTS = (ALL_IMAGES, 100, 500, 2000, 10000)
TRAIN_IMAGES_HELP = ("Train on this many training images only (the same random ones every epoch). With 500, "
                     "a network soon gets nearly all of them right while the test accuracy stays behind: "
                     "the gap on the accuracy chart is overfitting.")
WIDTHS = {"as designed": 1.0, "x 1/4": 0.25, "x 1/2": 0.5, "x 2": 2.0}  # menu entry -> channel factor
WIDTH_HELP = ("Every convolution's channels times this factor (the Configurable CNN and TinyVGG): a narrow "
              "network may underfit, a wide one on few images overfits faster.")
# model -> (its option, the designed value) that a width scales
_WIDTH_OPTIONS = {"small_cnn": ("channels", (32, 64, 128)), "tinyvgg": ("hidden", 10)}
BATCH_NORMS = (MODEL_DEFAULT, "on", "off")
LABEL_SMOOTHINGS = (0.0, 0.3)
LABEL_SMOOTHING_STEP = 0.05
ADVERSARIAL_LABELS = {"none": "off", "fgsm": "FGSM examples", "pgd": "PGD examples (slower)"}
ATTACK_EPSILONS = (0.05, 0.1, 0.15, 0.2, 0.3)
SEEDS = (0, 2**31 - 1)
# Each augmentation checkbox switches on one change at this strength (pixel units of [0, 1]).
CROP_PADDING, ROTATION, TRANSLATE, SCALE = 2, 15.0, 0.1, 0.15
NOISE_SIGMA, SALT_PEPPER, COLOUR_JITTER = 0.05, 0.02, 0.3
# Settings field -> checkbox label, in the form's order. One or two words, so no label is cut at
# 1024 px or on a projector ("Crop (pa..."); the strength is in the checkbox's help.
AUGMENTATIONS = {"flip": "Flip", "vflip": "Flip up-down", "crop": "Crop", "rotate": "Rotate", "scale": "Scale",
                 "shift": "Shift", "noise": "Noise", "salt_pepper": "Salt & pepper", "jitter": "Colour jitter"}
AUGMENTATION_HELP = {
    "flip": "Mirror each image left to right at random (half the time).",
    "vflip": "Turn each image upside down at random (half the time): right for some images, wrong for clothes.",
    "crop": f"Pad by {CROP_PADDING} pixels, then crop back to the image's size at a random place.",
    "rotate": f"Rotate by a random angle of up to {ROTATION:g} degrees either way.",
    "scale": f"Zoom each image in or out about its centre by up to {SCALE:.0%}.",
    "shift": f"Shift by up to {TRANSLATE:.0%} of the width and height.",
    "noise": f"Add Gaussian noise of standard deviation {NOISE_SIGMA:g} to every pixel.",
    "salt_pepper": f"Set {SALT_PEPPER:.0%} of the pixels to black or white.",
    "jitter": f"Scale brightness and contrast (and a colour image's saturation) by up to {COLOUR_JITTER:.0%}.",
}
AUGMENTATION_COLUMNS = 3  # "Salt & pepper" and its help icon fit a column at 1024 px (not in 4)
METRIC_COLUMNS = 2  # "after epoch 1" at a metric's size fits half the page at 1024 px (not a quarter)


def single_augmentations() -> dict:
    """Each form checkbox alone: key -> (label, its help, the Augmentation a run would use), for
    the Regularisation tab's previews."""
    return {key: (label, AUGMENTATION_HELP[key], Settings(**{key: True}).augmentation())
            for key, label in AUGMENTATIONS.items()}


def in_rows(items, columns: int) -> list[list]:
    """``items`` in rows of ``columns``, in order: a form drawn row by row reads left to right."""
    items = list(items)
    return [items[start : start + columns] for start in range(0, len(items), columns)]


def augmentation_rows() -> list[list[str]]:
    """The augmentation checkboxes' fields, AUGMENTATION_COLUMNS a row, in the form's order."""
    return in_rows(AUGMENTATIONS, AUGMENTATION_COLUMNS)
# The learning-rate comparison: plain SGD with an optional momentum, a few short fits.
COMPARISON_EPOCHS = (1, 10)
MOMENTA = (0.0, 0.5, 0.9)
MAX_RATES = 6


def dataset_labels() -> dict[str, str]:
    """Each dataset's menu text; one that is not on this machine says so."""
    return {s.name: s.title if s.available else f"{s.title} (not on this machine)" for s in data.dataset_status()}


def model_titles() -> dict[str, str]:
    """Each offered model's menu text."""
    return {name: model_spec(name).title for name in MODELS}


def device_options() -> list[str]:
    """The Device menu: "auto", then every device torch can use here."""
    return devices.available_devices()


@dataclass(frozen=True)
class Settings:
    """The Train form's values; each field is the widget key without its ``train_`` prefix, and
    each default is the form's."""

    dataset: str = data.DEFAULT_DATASET
    model: str = MODELS[0]
    optimizer: str = "adam"
    lr: float = 0.003
    schedule: str = "one-cycle"
    batch: int = 128
    epochs: int = 3
    train_images: int | str = ALL_IMAGES
    width: str = next(iter(WIDTHS))
    weight_decay: float = 0.0
    dropout: float | str = MODEL_DEFAULT
    batch_norm: str = MODEL_DEFAULT
    label_smoothing: float = 0.0
    flip: bool = False
    vflip: bool = False
    crop: bool = False
    rotate: bool = False
    scale: bool = False
    shift: bool = False
    noise: bool = False
    salt_pepper: bool = False
    jitter: bool = False
    adversarial: str = "none"
    attack_eps: float = 0.1
    seed: int = 0
    device: str = "auto"

    def augmentation(self) -> Augmentation:
        """The checked augmentations at their strengths."""
        return Augmentation(
            flip=self.flip, vertical_flip=self.vflip, crop_padding=CROP_PADDING if self.crop else 0,
            rotation=ROTATION if self.rotate else 0.0, scale=SCALE if self.scale else 0.0,
            translate=TRANSLATE if self.shift else 0.0, gaussian_noise=NOISE_SIGMA if self.noise else 0.0,
            salt_pepper=SALT_PEPPER if self.salt_pepper else 0.0, color_jitter=COLOUR_JITTER if self.jitter else 0.0)

    def refusal(self) -> str | None:
        """The sentence that stops these settings before they are submitted, or None."""
        if WIDTHS.get(self.width, 1.0) != 1.0 and self.model not in _WIDTH_OPTIONS:
            return (f"{model_spec(self.model).title} has a fixed size: choose the Configurable CNN or TinyVGG to "
                    "change the width, or keep it as designed.")
        return None

    def model_options(self) -> dict:
        """The model settings the width asks for: {} as designed."""
        factor = WIDTHS.get(self.width, 1.0)
        if factor == 1.0 or self.model not in _WIDTH_OPTIONS:
            return {}
        option, designed = _WIDTH_OPTIONS[self.model]
        if isinstance(designed, tuple):
            return {option: [max(1, round(channels * factor)) for channels in designed]}
        return {option: max(1, round(designed * factor))}

    def config(self) -> TrainConfig:
        """The run these settings ask for (unchecked: the manager refuses bad ones with a sentence)."""
        return TrainConfig(
            dataset=self.dataset, model=self.model, model_options=self.model_options(), optimizer=self.optimizer,
            lr=float(self.lr), schedule=self.schedule, batch_size=int(self.batch), epochs=int(self.epochs),
            train_images=None if self.train_images == ALL_IMAGES else int(self.train_images),
            weight_decay=float(self.weight_decay),
            dropout=None if self.dropout == MODEL_DEFAULT else float(self.dropout),
            batch_norm=None if self.batch_norm == MODEL_DEFAULT else self.batch_norm == "on",
            label_smoothing=float(self.label_smoothing), augment=self.augmentation(),
            adversarial=self.adversarial, adversarial_eps=float(self.attack_eps),
            seed=int(self.seed), device=self.device,
        )


@dataclass(frozen=True)
class LrSettings:
    """The Compare form's values; each field is the widget key without its ``lr_`` prefix."""

    dataset: str = data.DEFAULT_DATASET
    model: str = MODELS[0]
    rates: tuple[float, ...] = tuple(DEFAULT_LRS)
    batch: int = 64
    epochs: int = 1
    momentum: float = 0.0

    def refusal(self) -> str | None:
        """The sentence that stops a comparison before it is submitted, or None."""
        return NO_RATES if not self.rates else None

    def config(self) -> TrainConfig:
        """The settings every member shares (plain SGD); each member then takes its rate."""
        return TrainConfig(dataset=self.dataset, model=self.model, optimizer="sgd", momentum=float(self.momentum),
                           batch_size=int(self.batch), epochs=int(self.epochs))

    def rates_in_order(self) -> list[float]:
        """The rates, highest first: the one most likely to diverge is trained (and ends) first."""
        return sorted((float(rate) for rate in self.rates), reverse=True)


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
        notice: a sentence shown alone (no run yet, queued, starting), or None.
        progress: while the run is active.
        banner: once it has ended.
        saved: names the saved run (never the server's path), or None.
        computing: device, parameters and split sizes, once the run has started.
        metrics: test accuracy, train accuracy, latest loss, elapsed time.
        curves: RunSummary.curves() for the loss and accuracy charts (None before the start).
        kernels, kernel_title: the latest first-layer kernels and their chart's title.
        confusion, classes: the latest confusion matrix and its class names.
    """

    stoppable: bool = False
    notice: str | None = None
    progress: Progress | None = None
    banner: Banner | None = None
    saved: str | None = None
    computing: str | None = None
    metrics: tuple[Metric, ...] = ()
    curves: dict | None = None
    kernels: list | None = None
    kernel_title: str = ""
    confusion: list | None = None
    classes: tuple[str, ...] = ()


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
    return Progress(summary.progress, f"Epoch {epoch} of {status.members[0].config.epochs}{speed}{eta}")


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


def single_run(status: RunStatus | None) -> RunView:
    """What the Train tab's live view shows for a single run's snapshot (None: no run yet)."""
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
        return RunView(status.active, progress=progress, banner=banner, saved=saved)
    last = summary.epochs[-1] if summary.epochs else None
    return RunView(
        stoppable=status.active, progress=progress, banner=banner, saved=saved,
        computing=(f"Computing on {started.device} - {started.num_parameters:,} parameters - "
                   f"{started.train_size:,} training and {started.test_size:,} test images."),
        metrics=_metrics(summary), curves=summary.curves(), kernels=summary.kernels or None,
        kernel_title=f"First-layer kernels, {f'after epoch {last.epoch}' if last else 'before training'}",
        confusion=summary.confusion, classes=started.classes,
    )


@dataclass(frozen=True)
class ComparisonView:
    """Everything the live view of a learning-rate comparison shows.

    Attributes:
        stoppable, notice, progress, banner: as in RunView.
        lines: (label, curves, note) per member that has taken a step; note names an end other
            than "finished" ("diverged", "stopped", ...), else "".
        rows: one table row per member, in the order they train.
    """

    stoppable: bool = False
    notice: str | None = None
    progress: Progress | None = None
    banner: Banner | None = None
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
        progress = Progress(min(fraction, 1.0), f"Training {current.label} ({position} of {len(members)})")
    else:
        banner = _banner(status)
    lines, rows = [], []
    for member in members:
        summary, end = member.summary, member.end
        if summary.steps:
            lines.append((member.label, summary.curves(), end.status if end and end.status != "finished" else ""))
        rows.append({
            "Learning rate": member.label,
            "Status": end.status if end else ("training" if summary.started else "waiting"),
            "Test accuracy": f"{end.test_accuracy:.1%}" if end and end.test_accuracy is not None else "",
            "What happened": end.message if end else "",
        })
    return ComparisonView(status.active, None, progress, banner, tuple(lines), tuple(rows))
