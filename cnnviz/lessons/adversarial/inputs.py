"""The image the Adversarial lab attacks: a test image of the model's own dataset, or a photo.

Finds the model's test set (or says why there is none), picks an image of a class, and makes
either into the attack's input with a sentence about where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from cnnviz import data, images

from .texts import PHOTO_NOTE


@dataclass(frozen=True)
class ModelTestSet:
    """A model's test set, or the sentence saying why there is none (``problem``)."""

    dataset: data.ImageDataset | None
    problem: str = ""


def shape_words(shape: Sequence[int]) -> str:
    """(C, H, W) as "C x H x W"."""
    return " x ".join(str(int(n)) for n in shape)


def load_test_set(dataset: str, input_shape: tuple[int, int, int]) -> ModelTestSet:
    """The test set of the model's dataset, when it is on this machine and fits the model.

    Args:
        dataset: the checkpoint's dataset name, "" when it does not say.
        input_shape: the model's (C, H, W).
    """
    unavailable = "The test set is not available: "
    if not dataset:
        return ModelTestSet(None, unavailable + "This checkpoint does not say which dataset it was trained on.")
    try:
        found = data.load_dataset(dataset)
    except (data.DatasetUnavailable, ValueError) as err:
        return ModelTestSet(None, unavailable + str(err))
    if tuple(found.test_images.shape[1:]) != tuple(input_shape):
        return ModelTestSet(None, f"{unavailable}This model takes {shape_words(input_shape)} images but its "
                                  f"dataset's are {shape_words(found.test_images.shape[1:])}; use a photo instead.")
    return ModelTestSet(found)


def class_positions(labels, wanted: int) -> list[int]:
    """The test-set indices of every image of class ``wanted``, in order."""
    return [int(i) for i in np.flatnonzero(np.asarray(labels) == wanted)]


def which_label(class_name: str, count: int) -> str:
    """The label of the number input choosing one of ``count`` images of a class."""
    return f"Which {class_name} (0 to {count - 1})"


def no_images_of(class_name: str) -> str:
    """What the page says when the test set holds no image of the chosen class."""
    return f"The test set has no {class_name}; pick another class."


@dataclass(frozen=True)
class AttackInput:
    """The image to attack and what the page says about it.

    Attributes:
        image: (1, C, H, W) float tensor in [0, 1].
        label: its true class, or None for a photo (the attack then pushes away from the
            network's own prediction).
        note: one sentence about where it came from (names a class of the checkpoint: escape it).
    """

    image: object
    label: int | None
    note: str


def image_from_test_set(test_set: data.ImageDataset, index: int, classes: Sequence[str]) -> AttackInput:
    """Test image ``index`` (of the whole test set) as the attack's input."""
    label = int(test_set.test_labels[index])
    return AttackInput(
        data.to_float(test_set.test_images[index : index + 1]), label,
        f"Test image {index} of {len(test_set.test_labels):,}; its true class is {classes[label]}.",
    )


def photo_input(photo, input_shape: tuple[int, int, int], dataset: str) -> AttackInput:
    """A photo made into the model's input: its channels and H x W, inverted when the dataset
    shows light objects on black and the photo's border is bright."""
    white_on_black = False
    if dataset:
        try:
            white_on_black = data.dataset_info(dataset).white_on_black
        except ValueError:
            pass
    channels, height, width = input_shape
    prepared = images.prepare_for_model(photo, channels=channels, size=(height, width),
                                        invert="auto" if white_on_black else False)
    return AttackInput(prepared.tensor, None, prepared.note + PHOTO_NOTE)
