"""The Training page's "Transfer learning" tab: reuse a shipped Fashion-MNIST network's
convolutional features for the 8x8 digits (upsampled to 28x28), against the same network trained
from scratch with the same budget.

pages/training.py draws what is computed here: the form reads the choices below and submits
``TransferSettings(...).config()`` to RunManager.submit_transfer_comparison; the live view draws
``transfer_view(status)``: the two members' curves, a row per member and the sentence with the
result in its numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.lessons.training import ComparisonView, comparison
from cnnviz.runs import RunStatus
from cnnviz.train import TrainConfig
from cnnviz.train import transfer

TAB_TITLE = "Transfer learning"
DATASET = "digits-28"  # scikit-learn's 8x8 digits, upsampled to the 28x28 the sources were trained on
SOURCES = transfer.SHIPPED
SOURCE_LABELS = {"lenet5-fashion-mnist": "LeNet-5, trained on Fashion-MNIST",
                 "small-cnn-fashion-mnist": "Configurable CNN, trained on Fashion-MNIST"}
SOURCE_MODELS = {"lenet5-fashion-mnist": "lenet5", "small-cnn-fashion-mnist": "small_cnn"}
ALL_DIGITS = 1437  # the digits' whole training split
TRAIN_IMAGE_COUNTS = (50, 100, 300, ALL_DIGITS)
EPOCHS = (1, 20)
# The budget both members share: Adam at a learning rate a new head learns at in a few epochs.
OPTIMIZER, LEARNING_RATE, BATCH_SIZE = "adam", 0.01, 16

INTRO = (
    "A network's first layers learn generic features (edges, strokes, blobs) that other images share; its "
    "last layers map them to its own classes. **Transfer learning** keeps a trained network's feature "
    "extractor and trains only a new head on the new task. Here a network trained on Fashion-MNIST's "
    "clothes is reused for handwritten digits (scikit-learn's 8x8 digits, upsampled to 28x28): its "
    "convolutions are copied and frozen, the fully connected head starts from random weights. The same "
    "network trained from scratch, with the same images, epochs, batch size and learning rate, is the "
    "yardstick. With few images, reuse usually wins; with many, scratch catches up."
)
IDLE = "Pick a network and a number of training images and press Compare; both members' curves appear here."
IMAGES_HELP = ("The same random digits for both members. Few images is where reused features shine: a network "
               "from scratch has too little to learn its features from.")
ROW_KEYS = ("Network", "Status", "Trainable parameters", "Frozen parameters", "Test accuracy")
# The members' names in the legends and the table: the run's own labels (the banner's) name the source
# too, which at half of 1280 px pushed the plot aside and the table past the page's edge.
SHORT_LABELS = ("Frozen features + new head", "From scratch")


def images_label(count: int) -> str:
    """The Training images menu's text: "100", or "all 1,437"."""
    return f"all {count:,}" if count == ALL_DIGITS else f"{count:,}"


@dataclass(frozen=True)
class TransferSettings:
    """The tab's form values; each field is the widget key without its ``transfer_`` prefix."""

    source: str = SOURCES[0]
    train_images: int = 100
    epochs: int = 5
    seed: int = 0

    def config(self) -> TrainConfig:
        """The frozen-features member; the manager adds its from-scratch twin (the same budget)."""
        return TrainConfig(
            dataset=DATASET, model=SOURCE_MODELS.get(self.source, "lenet5"), transfer_from=self.source,
            freeze="features", optimizer=OPTIMIZER, lr=LEARNING_RATE, batch_size=BATCH_SIZE,
            epochs=int(self.epochs), train_images=None if int(self.train_images) >= ALL_DIGITS else int(self.train_images),
            seed=int(self.seed),
        )


@dataclass(frozen=True)
class TransferView(ComparisonView):
    """Everything the tab's live view shows: a learning-rate comparison's view (its fields as there;
    rows: one per member, ROW_KEYS named by SHORT_LABELS, frozen features first), and the result.

    Attributes:
        sentence: the result in its numbers once both members finished, else None.
    """

    sentence: str | None = None


def _row(member, label: str) -> dict[str, str]:
    summary, end = member.summary, member.end
    started = summary.started
    return {
        "Network": label,
        "Status": end.status if end else ("training" if started else "waiting"),
        "Trainable parameters": f"{started.num_parameters:,}" if started else "",
        "Frozen parameters": f"{started.frozen_parameters:,}" if started else "",
        "Test accuracy": f"{end.test_accuracy:.1%}" if end and end.test_accuracy is not None else "",
    }


def result_sentence(members) -> str | None:
    """The comparison's outcome in its numbers, honest whichever member won; None until both finished.

    Args:
        members: the run's two RunMembers, frozen features first, then from scratch.
    """
    if len(members) != 2 or any(m.end is None or m.end.status != "finished" or m.summary.started is None
                                for m in members):
        return None
    frozen, scratch = members
    reused, fresh = frozen.end.test_accuracy, scratch.end.test_accuracy
    images, epochs = frozen.summary.started.train_size, frozen.config.epochs
    head = frozen.summary.started.num_parameters
    source = transfer.source_name(frozen.config.transfer_from)
    budget = f"With {images:,} training images and {epochs} epoch{'s' if epochs != 1 else ''}"
    if reused > fresh:
        return (f"{budget}, frozen features reach **{reused:.1%}** against **{fresh:.1%}** from scratch: the "
                f"features {source} learned on clothes also describe digits, so only the head ({head:,} "
                "parameters) had to learn from these images.")
    if reused == fresh:
        return (f"{budget}, frozen features and training from scratch both reach **{reused:.1%}**: here reuse "
                "neither helped nor hurt.")
    return (f"{budget}, training from scratch reaches **{fresh:.1%}** against **{reused:.1%}** for frozen "
            f"features: with this budget the whole network learned features fitted to digits, which beat "
            f"{source}'s features learned on clothes. Try fewer training images.")


def transfer_view(status: RunStatus | None) -> TransferView:
    """What the tab's live view shows for a transfer comparison's snapshot (None: none yet)."""
    shared = comparison(status)  # the notice, progress, banner and pace buttons of any comparison
    if shared.notice is not None:
        notice = IDLE if status is None else shared.notice
        return TransferView(stoppable=shared.stoppable, notice=notice)
    members = status.members
    labels = SHORT_LABELS if len(members) == len(SHORT_LABELS) else tuple(m.label for m in members)
    lines = tuple((label, m.summary.curves(), m.end.status if m.end and m.end.status != "finished" else "")
                  for label, m in zip(labels, members) if m.summary.steps)
    return TransferView(shared.stoppable, None, shared.progress, shared.banner, shared.controls, lines,
                        tuple(_row(m, label) for label, m in zip(labels, members)), result_sentence(members))
