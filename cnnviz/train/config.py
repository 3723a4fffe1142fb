"""One commented config object for a training run (the airbench / nanoGPT way).

Everything that decides what a run does lives in ``TrainConfig``: the CLI builds one from its
flags, the training page from its form, and the checkpoint keeps ``to_dict()`` of it, so a run can
be repeated from its checkpoint alone.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "cosine", "one-cycle")
ADVERSARIAL = ("none", "fgsm", "pgd")
FREEZE = ("none", "features")  # what a transfer run keeps fixed (cnnviz.train.transfer)


class TrainConfigError(ValueError):
    """A setting that cannot work; the message is one sentence a student understands."""


@dataclass(frozen=True)
class Augmentation:
    """Random changes to each training image (never to test images); all off by default.

    Attributes:
        flip: mirror left-right with probability 1/2.
        vertical_flip: mirror top-bottom with probability 1/2.
        crop_padding: pad by this many pixels, then crop back to the original size at a random
            place (0 = off); 4 is usual for 32x32 CIFAR-10, 2 for 28x28 images.
        rotation: rotate by a random angle in [-rotation, rotation] degrees (0 = off).
        translate: shift by up to this fraction of the width / height in each direction
            (0 = off), e.g. 0.1 = up to 10%.
        scale: zoom by a random factor in [1 - scale, 1 + scale] about the centre (0 = off).
        gaussian_noise: add N(0, sigma^2) noise to every pixel, sigma in pixel units of [0, 1].
        salt_pepper: fraction of pixels set to black or white (half each).
        color_jitter: strength s in [0, 1): brightness, contrast (and saturation for colour
            images) each scaled by a random factor in [1 - s, 1 + s].
    """

    flip: bool = False
    vertical_flip: bool = False
    crop_padding: int = 0
    rotation: float = 0.0
    translate: float = 0.0
    scale: float = 0.0
    gaussian_noise: float = 0.0
    salt_pepper: float = 0.0
    color_jitter: float = 0.0

    @property
    def active(self) -> bool:
        """True when at least one augmentation is switched on."""
        return self != Augmentation()

    def check(self) -> None:
        """Raise TrainConfigError for settings outside their range."""
        if isinstance(self.crop_padding, bool) or not isinstance(self.crop_padding, int) \
                or not 0 <= self.crop_padding <= 16:
            raise TrainConfigError(f"Crop padding must be a whole number of pixels from 0 to 16, not {self.crop_padding!r}.")
        ranges = {"rotation": (0, 180), "translate": (0, 0.5), "scale": (0, 0.5), "gaussian_noise": (0, 1),
                  "salt_pepper": (0, 1), "color_jitter": (0, 0.99)}
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if not _is_number(value) or not low <= value <= high:
                raise TrainConfigError(f"Augmentation '{name}' must be a number from {low} to {high}, not {value!r}.")


@dataclass(frozen=True)
class TrainConfig:
    """What to train, on what, and how.

    Attributes:
        dataset: a cnnviz.data dataset name ("fashion-mnist", "mnist", "cifar10", "digits").
        model: a cnnviz.models registry name ("lenet5", "small_cnn", ...).
        model_options: extra constructor settings for the model, e.g. {"channels": [16, 32]};
            the image size, channels, classes and normalisation come from the dataset.
        optimizer: "sgd" (with momentum), "adam" or "adamw".
        lr: learning rate; for "one-cycle" the peak learning rate.
        momentum: SGD momentum (ignored by Adam / AdamW).
        schedule: "constant", "cosine" (lr decays to 0 along a half cosine over the whole run)
            or "one-cycle" (warm up for the first quarter, then anneal; Smith & Topin 2017).
        batch_size: images per optimisation step.
        epochs: passes over the training set.
        train_images: train on this many training images only (a seeded random subset, the same
            for every epoch), or None for all of them: a small set is how to provoke overfitting.
        weight_decay: L2 penalty lambda (AdamW: decoupled weight decay).
        dropout: dropout rate for models that have one; None keeps the model's default.
        batch_norm: batch norm on / off for models that allow it; None keeps the model's default.
        label_smoothing: cross-entropy label smoothing in [0, 1).
        augment: random changes to the training images.
        adversarial: "none", or "fgsm" / "pgd": adversarial training (Goodfellow et al. 2015,
            Madry et al. 2018), where the second half of every batch is replaced by attacked
            versions of itself, so the model learns from clean and adversarial images alike.
        adversarial_eps: the attack's L-infinity budget in [0, 1] pixel units, e.g. 0.1.
        transfer_from: start from a trained network: the name of a checkpoint shipped in
            pretrained/ (e.g. "lenet5-fashion-mnist") or, from the command line, a checkpoint's path;
            its feature extractor (``model.features``) is copied into the new model, whose head is
            initialised afresh (cnnviz.train.transfer). None trains from scratch.
        freeze: "features": the copied feature extractor is not trained (no gradients, and kept in
            eval mode, so batch norm statistics and dropout in it do not change); "none": every
            weight trains (fine-tuning when transfer_from is set).
        seed: seeds the weights, the batch order and the augmentation.
        device: "auto" (CUDA, then MPS, then CPU) or a device string such as "cpu" or "cuda:0".
        event_seconds: the least time between two step events (progress updates).
    """

    dataset: str = "fashion-mnist"
    model: str = "small_cnn"
    model_options: dict[str, Any] = field(default_factory=dict)
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    schedule: str = "constant"
    batch_size: int = 128
    epochs: int = 2
    train_images: int | None = None
    weight_decay: float = 0.0
    dropout: float | None = None
    batch_norm: bool | None = None
    label_smoothing: float = 0.0
    augment: Augmentation = field(default_factory=Augmentation)
    adversarial: str = "none"
    adversarial_eps: float = 0.1
    transfer_from: str | None = None
    freeze: str = "none"
    seed: int = 0
    device: str = "auto"
    event_seconds: float = 0.25

    def check(self) -> "TrainConfig":
        """Return self, or raise TrainConfigError with a sentence naming the bad setting."""
        if self.optimizer not in OPTIMIZERS:
            raise TrainConfigError(f"The optimizer must be one of {', '.join(OPTIMIZERS)}, not {self.optimizer!r}.")
        if self.schedule not in SCHEDULES:
            raise TrainConfigError(f"The schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}.")
        if not _is_number(self.lr) or not 0 < self.lr < 1e9:
            raise TrainConfigError(f"The learning rate must be a positive number, not {self.lr!r}.")
        for name, value, high in [("batch size", self.batch_size, 65536), ("number of epochs", self.epochs, 1000)]:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
                raise TrainConfigError(f"The {name} must be a whole number from 1 to {high}, not {value!r}.")
        if self.train_images is not None and (isinstance(self.train_images, bool) or not isinstance(self.train_images, int)
                                              or not 1 <= self.train_images <= 10_000_000):
            raise TrainConfigError(
                f"The number of training images must be a whole number of at least 1, or all of them; not {self.train_images!r}.")
        if not _is_number(self.momentum) or not 0 <= self.momentum < 1:
            raise TrainConfigError(f"The momentum must be a number from 0 up to (not including) 1, not {self.momentum!r}.")
        if not _is_number(self.weight_decay) or self.weight_decay < 0:
            raise TrainConfigError(f"The weight decay must be 0 or a positive number, not {self.weight_decay!r}.")
        if not _is_number(self.label_smoothing) or not 0 <= self.label_smoothing < 1:
            raise TrainConfigError(
                f"Label smoothing must be a number from 0 up to (not including) 1, not {self.label_smoothing!r}.")
        if self.dropout is not None and (not _is_number(self.dropout) or not 0 <= self.dropout < 1):
            raise TrainConfigError(f"Dropout must be a number from 0 up to (not including) 1, not {self.dropout!r}.")
        if self.batch_norm is not None and not isinstance(self.batch_norm, bool):
            raise TrainConfigError(f"Batch norm must be on (True), off (False) or the model's default, not {self.batch_norm!r}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TrainConfigError(f"The seed must be a whole number, not {self.seed!r}.")
        if not isinstance(self.model_options, dict):
            raise TrainConfigError("The model options must be a mapping of setting names to values.")
        if self.adversarial not in ADVERSARIAL:
            raise TrainConfigError(
                f"Adversarial training must be one of {', '.join(ADVERSARIAL)}, not {self.adversarial!r}.")
        if not _is_number(self.adversarial_eps) or not 0 < self.adversarial_eps <= 1:
            raise TrainConfigError(
                f"The adversarial epsilon must be a number above 0 and at most 1, not {self.adversarial_eps!r}.")
        if self.transfer_from is not None and (not isinstance(self.transfer_from, str) or not self.transfer_from.strip()):
            raise TrainConfigError(f"The network to transfer from must be a checkpoint's name or path, not {self.transfer_from!r}.")
        if self.freeze not in FREEZE:
            raise TrainConfigError(f"What to freeze must be one of {', '.join(FREEZE)}, not {self.freeze!r}.")
        if self.freeze != "none" and self.transfer_from is None:
            raise TrainConfigError("Freezing the features needs a trained network to take them from (transfer_from).")
        self.augment.check()
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (stored in the checkpoint's meta)."""
        return asdict(self)

    def with_lr(self, lr: float) -> "TrainConfig":
        return replace(self, lr=lr)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
