"""The Training page's two forms: what each offers (declared once: the page's widgets read these,
and the tests walk every value) and the frozen settings each builds, turned into the run's
TrainConfig. cnnviz.lessons.training re-exports every name, so the page reads them as lesson.X.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz import data, devices
from cnnviz.models import model_spec
from cnnviz.runs import DEFAULT_LRS
from cnnviz.train import Augmentation, TrainConfig

NO_RATES = "Pick at least one learning rate."

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


SEED_RECIPE_LABEL = "The classic recipe"
SEED_RECIPE_HELP = "LeNet-5, plain SGD, batch 64, one epoch, learning rates 1, 0.1 and 0.01 (on MNIST when it is here)."


def seed_recipe(available: set[str]) -> tuple[dict, str]:
    """The classic learning-rate lesson as the Compare form's values, and the sentence naming it.

    The recipe is LeNet-5 on MNIST; where MNIST is not on this machine it runs on Fashion-MNIST
    (the same 28 x 28 grey images), and the sentence says so.

    Args:
        available: the names of the datasets on this machine.

    Returns:
        ({widget key: value}, sentence).
    """
    dataset = "mnist" if "mnist" in available else "fashion-mnist"
    values = {"lr_dataset": dataset, "lr_model": "lenet5", "lr_rates": [1.0, 0.1, 0.01], "lr_batch": 64,
              "lr_epochs": 1, "lr_momentum": 0.0}
    where = ("on MNIST, as in the original lesson" if dataset == "mnist" else
             "on Fashion-MNIST: MNIST is not on this machine (`python -m cnnviz.data fetch mnist` gets it), and "
             "Fashion-MNIST has the same 28 x 28 grey images")
    return values, (f"The classic recipe: LeNet-5, plain SGD (no momentum), batch 64, one epoch, learning rates "
                    f"1, 0.1 and 0.01, {where}. Press Compare: 1 diverges, 0.1 learns fast, 0.01 crawls.")
