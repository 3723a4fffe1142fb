"""What each dataset is, known without loading it, and the in-memory form it comes back in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where tensors are made, so `status` starts fast
    import torch


DATASET_NAMES = ("fashion-mnist", "mnist", "cifar10", "digits", "digits-28")
# Bundled with scikit-learn: always on this machine once scikit-learn is installed, never downloaded.
SKLEARN_DATASETS = ("digits", "digits-28")
UPSAMPLED_SIZE = 28  # digits-28: the 8x8 digits resized (bilinear) to the size of Fashion-MNIST's images
DEFAULT_DATASET = "fashion-mnist"


class DatasetUnavailable(RuntimeError):
    """A dataset is not on this machine (or could not be fetched); the message says what to run."""


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, known without loading it.

    Attributes:
        name: the key in DATASET_NAMES, e.g. "fashion-mnist".
        title: the name to show people, e.g. "Fashion-MNIST".
        channels, height, width: the shape of one image, C x H x W.
        classes: class names, indexed by label.
        white_on_black: True when objects are light on a dark background (MNIST, Fashion-MNIST,
            digits), so a photo of a dark object on light paper must be inverted before a model
            trained on this dataset sees it.
        mean, std: per-channel mean and standard deviation of the training images in [0, 1].
        source: one line saying where the data comes from.
    """

    name: str
    title: str
    channels: int
    height: int
    width: int
    classes: tuple[str, ...]
    white_on_black: bool
    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str


_DIGIT_CLASSES = tuple(str(d) for d in range(10))

_INFOS = {
    info.name: info
    for info in (
        DatasetInfo(
            name="fashion-mnist",
            title="Fashion-MNIST",
            channels=1,
            height=28,
            width=28,
            classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
            white_on_black=True,
            mean=(0.2860,),
            std=(0.3530,),
            source="Zalando Research (Xiao et al., 2017), github.com/zalandoresearch/fashion-mnist",
        ),
        DatasetInfo(
            name="mnist",
            title="MNIST",
            channels=1,
            height=28,
            width=28,
            classes=_DIGIT_CLASSES,
            white_on_black=True,
            mean=(0.1307,),
            std=(0.3081,),
            source="LeCun, Cortes & Burges, yann.lecun.com/exdb/mnist, downloaded by torchvision",
        ),
        DatasetInfo(
            name="cifar10",
            title="CIFAR-10",
            channels=3,
            height=32,
            width=32,
            classes=("airplane", "automobile", "bird", "cat", "deer",
                     "dog", "frog", "horse", "ship", "truck"),
            white_on_black=False,
            mean=(0.4914, 0.4822, 0.4465),
            std=(0.2470, 0.2435, 0.2616),
            source="Krizhevsky (2009), www.cs.toronto.edu/~kriz/cifar.html, downloaded by torchvision",
        ),
        DatasetInfo(
            name="digits",
            title="Digits (8x8)",
            channels=1,
            height=8,
            width=8,
            classes=_DIGIT_CLASSES,
            white_on_black=True,
            # Measured on the 1437-image training split below, after scaling 0..16 to 0..255.
            mean=(0.3054,),
            std=(0.3760,),
            source="UCI optical handwritten digits, bundled with scikit-learn (load_digits)",
        ),
        DatasetInfo(
            # The same images, split and labels as "digits", resized so that a network trained on
            # 28x28 Fashion-MNIST takes them: the Training page's transfer-learning lesson.
            name="digits-28",
            title="Digits (8x8 upsampled to 28x28)",
            channels=1,
            height=UPSAMPLED_SIZE,
            width=UPSAMPLED_SIZE,
            classes=_DIGIT_CLASSES,
            white_on_black=True,
            # Measured on the 1437-image training split after the bilinear resize (and rounding).
            mean=(0.3054,),
            std=(0.3246,),
            source="UCI optical handwritten digits (scikit-learn's load_digits), resized 8x8 -> 28x28 bilinearly",
        ),
    )
}


def dataset_info(name: str) -> DatasetInfo:
    """Describe a dataset without loading it.

    Raises:
        ValueError: for a name not in DATASET_NAMES.
    """
    try:
        return _INFOS[name]
    except KeyError:
        raise ValueError(
            f"Unknown dataset {name!r}; choose one of: {', '.join(DATASET_NAMES)}."
        ) from None


@dataclass(frozen=True, eq=False)  # eq=False: comparing tensors field by field is ambiguous
class ImageDataset:
    """One whole dataset in memory. Shared between sessions: never modify the tensors in place.

    Attributes:
        info: what the dataset is (classes, mean/std, ...).
        train_images: uint8 (N_train, C, H, W), values 0..255.
        train_labels: int64 (N_train,), values 0..len(classes)-1.
        test_images: uint8 (N_test, C, H, W).
        test_labels: int64 (N_test,).
    """

    info: DatasetInfo
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def classes(self) -> tuple[str, ...]:
        return self.info.classes

    def __repr__(self) -> str:
        return (
            f"ImageDataset({self.name!r}, train={tuple(self.train_images.shape)}, "
            f"test={tuple(self.test_images.shape)}, classes={len(self.classes)})"
        )


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (any shape, values 0..255) -> float32 of the same shape in [0, 1]."""
    return images.float() / 255  # .float() is float32
