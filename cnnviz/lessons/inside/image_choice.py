"""The image the Inside page runs through the network: the sources offered, the test set and its
image-number box and class filter, a random test image, and the picture prepared for the model
with the caption under "What the model sees"."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz import data, images

SOURCES = ("Test-set image", "Bundled photo", "Upload a photo", "Draw your own")
ANY_CLASS = "any class"
INVERT_CHOICES = {"auto": "auto", "yes": True, "no": False}  # menu entry -> images.prepare_for_model's invert
INVERT_HELP = ("Fashion-MNIST and MNIST show light objects on black; a photo of a dark object on "
               "white paper must be inverted to look like them. 'auto' inverts when the border is bright.")
UPLOAD_WAITING = "Upload a photo to see what the network makes of it."
SEEN_SIDE = 224  # pixels of the enlarged "what the model sees" picture


def load_test_set(name: str) -> tuple[data.ImageDataset | None, str | None]:
    """The test set a network was trained for, or None and the sentence saying why it is off.

    Args:
        name: the dataset the checkpoint names ("" for none: no sentence). The sentence may quote
            it, and a checkpoint is anyone's file: escape it where markup shows it.
    """
    if not name:
        return None, None
    try:
        return data.load_dataset(name), None
    except (data.DatasetUnavailable, ValueError) as error:
        return None, ("The test set of this model is not available here, so the confusion matrix and test "
                      f"images are off: {error}")


def image_numbers(dataset: data.ImageDataset) -> tuple[int, int]:
    """The "test image number" box: (0, the last index)."""
    return 0, len(dataset.test_labels) - 1


def sources(has_test_set: bool) -> tuple[str, ...]:
    """The image sources offered: test images only when the network's test set is here."""
    return SOURCES if has_test_set else SOURCES[1:]


def invert_default(white_on_black: bool) -> str:
    """The first "swap black and white" entry: "auto" for a light-on-black dataset, else "no"."""
    return "auto" if white_on_black else "no"


def class_filter_options(classes: Sequence[str]) -> list[str]:
    """The "class to pick from" menu: any class, then each class of the test set."""
    return [ANY_CLASS, *classes]


def random_test_index(labels: Sequence[int], classes: Sequence[str], class_filter: str,
                      rng: random.Random | None = None) -> int:
    """A test image drawn at random from the chosen class (or from all of them).

    Args:
        labels: (N,) the test set's labels.
        classes: the test set's class names, indexed by label.
        class_filter: ANY_CLASS or one of ``classes``.
        rng: the random source (default: the module's).

    Returns:
        An index into the test set whose label is the chosen class.
    """
    labels = np.asarray(labels)
    pool = (np.arange(len(labels)) if class_filter == ANY_CLASS
            else np.flatnonzero(labels == list(classes).index(class_filter)))
    return int((rng or random).choice(pool.tolist()))


def to_picture(picture) -> Image.Image:
    """A (C, H, W) uint8 image tensor as a PIL picture: mode "L" for one channel, "RGB" for three."""
    array = np.asarray(picture).transpose(1, 2, 0)  # (C, H, W) -> (H, W, C)
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)


def enlarged(picture: Image.Image, side: int = SEEN_SIDE) -> Image.Image:
    """Nearest-neighbour enlargement by a whole factor, so 28 x 28 pixels stay crisp squares on a
    projector: the longer side grows to at most ``side`` (never shrinks)."""
    scale = max(1, side // max(picture.size))
    return picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)


@dataclass(frozen=True)
class Input:
    """The image the page runs through the network.

    Attributes:
        original: the picture as chosen (PIL).
        prepared: what the model receives, and the sentence saying what was done to it.
        true_label: its class for a test image, else None.
        seen_caption: the caption under "What the model sees".
    """

    original: Image.Image
    prepared: images.PreparedImage
    true_label: int | None
    seen_caption: str


def _seen_caption(input_shape: tuple[int, int, int], prepared: images.PreparedImage) -> str:
    channels, height, width = input_shape
    return f"{width} x {height}, {'grayscale' if channels == 1 else 'RGB'}. {prepared.note}"


def dataset_input(dataset: data.ImageDataset, index: int, input_shape: tuple[int, int, int]) -> Input:
    """Test image ``index`` prepared for a model taking (C, H, W) = ``input_shape``: as it is
    when it has that shape (what the model was trained on), else fitted like a photo."""
    picture = dataset.test_images[int(index)]  # (C, H, W) uint8
    original = to_picture(picture)
    channels, height, width = input_shape
    if tuple(picture.shape) == tuple(input_shape):
        prepared = images.PreparedImage(data.to_float(picture).unsqueeze(0), original, False,
                                        "A test image: exactly what the model was trained on, used as it is.")
    else:
        prepared = images.prepare_for_model(original, channels=channels, size=(height, width))
    return Input(original, prepared, int(dataset.test_labels[int(index)]), _seen_caption(input_shape, prepared))


def photo_input(photo: Image.Image, input_shape: tuple[int, int, int], invert: str) -> Input:
    """A photo fitted to the model's (C, H, W) input, inverted as the INVERT_CHOICES entry says."""
    channels, height, width = input_shape
    prepared = images.prepare_for_model(photo, channels=channels, size=(height, width), invert=INVERT_CHOICES[invert])
    return Input(photo, prepared, None, _seen_caption(input_shape, prepared))
