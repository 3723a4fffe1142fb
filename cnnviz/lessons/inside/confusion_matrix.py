"""The Confusion matrix view: whether it can be drawn, the matrix with its accuracy and per-class
scores, the cell to show, the gallery of that cell's test images, and the Explain button's settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz import data, metrics
from cnnviz.lessons.inside.attribution import PREDICTED_CLASS
from cnnviz.lessons.inside.image_choice import ANY_CLASS, SOURCES, enlarged, to_picture
from cnnviz.lessons.inside.texts import Quote

NO_TEST_SET = "The confusion matrix needs the test set the model was trained for; this network does not name one."
CONFUSION_SHOWS = {"counts": "counts", "row": "share of each row"}  # as the confusion heatmap takes them
SCORE_COLUMNS = ("Precision", "Recall", "F1")  # the table's columns of shares, shown to 3 decimals
SCORES_CAPTION = ("Precision: of the images called this class, the share that are. Recall: of the images of "
                  "this class, the share found. F1: their harmonic mean.")
UNDEFINED_SCORES = " A score with nothing to divide by (a class never predicted) is shown as 0."
GALLERY_SIZE = 24  # mistakes shown of one cell
GALLERY_COLUMNS = 6  # per row; 4 in presentation mode (in an eighth of 1024 px "Explain" broke in two)
GALLERY_COLUMNS_PRESENTING = 4
GALLERY_SIDE = 112  # pixels of one enlarged mistake


def confusion_refusal(classes: Sequence[str], dataset: data.ImageDataset | None) -> str | None:
    """The sentence refusing a confusion matrix: no test set, or one whose classes are not the
    network's outputs; None when it can be drawn."""
    if dataset is None:
        return NO_TEST_SET
    if len(dataset.classes) == len(classes):
        return None
    return f"This model has {len(classes)} outputs but {dataset.info.title} has {len(dataset.classes)} classes."


@dataclass(frozen=True)
class Confusion:
    """The confusion matrix view's numbers and sentences.

    Attributes:
        matrix: (K, K) counts, [actual, predicted].
        summary: "All 10,000 Fashion-MNIST test images: accuracy **81.2%**. ..." (Markdown).
        rows: the scores table, one dict per class (Class, Precision, Recall, F1, Test images).
        scores_caption: what the scores mean (and that undefined ones show as 0, when some are).
        largest_mistake: (actual, predicted) of the off-diagonal cell with the most images.
    """

    matrix: np.ndarray
    summary: str
    rows: tuple[dict, ...]
    scores_caption: str
    largest_mistake: tuple[int, int]


def confusion(predictions, targets, classes: Sequence[str], dataset_title: str) -> Confusion:
    """The confusion matrix of a test set's predictions and the per-class scores.

    Args:
        predictions, targets: (N,) predicted and true classes.
        classes: K class names.
        dataset_title: e.g. "Fashion-MNIST" (the dataset registry's, not the checkpoint's).

    Returns:
        Confusion.
    """
    import torch

    targets = torch.as_tensor(targets)
    matrix = metrics.confusion_matrix(torch.as_tensor(predictions), targets, len(classes))
    scores = metrics.per_class_scores(matrix)
    summary = (f"All {len(targets):,} {dataset_title} test images: accuracy **{scores.accuracy:.1%}**. "
               "Row = the actual class, column = what the model predicted; the diagonal is right. "
               "Click a cell to see its images.")
    rows = tuple({"Class": name, "Precision": float(scores.precision[i]), "Recall": float(scores.recall[i]),
                  "F1": float(scores.f1[i]), "Test images": int(scores.support[i])}
                 for i, name in enumerate(classes))
    caption = SCORES_CAPTION + (UNDEFINED_SCORES if bool(scores.undefined.any()) else "")
    return Confusion(matrix.numpy(), summary, rows, caption, metrics.largest_mistake(matrix))


def cell_of(flat_index: int, num_classes: int) -> tuple[int, int]:
    """(actual, predicted) of a clicked heatmap cell, whose flat index is actual * K + predicted."""
    return divmod(int(flat_index), num_classes)


def cell_to_show(clicked: int | None, chosen: bool, largest_mistake: tuple[int, int],
                 num_classes: int) -> tuple[int, int] | None:
    """Where the cell menus must move: to a newly clicked cell, else to the largest mistake (the
    most instructive cell) while no cell is chosen yet; None keeps the student's choice.

    Args:
        clicked: the flat index of a new click on the heatmap, or None.
        chosen: whether the menus already hold a cell.
        largest_mistake: Confusion.largest_mistake.
        num_classes: K.

    Returns:
        (actual, predicted) or None.
    """
    if clicked is not None:
        return cell_of(clicked, num_classes)
    return None if chosen else tuple(largest_mistake)


def explained(index: int) -> dict:
    """The page's widget values (by key) that open test image ``index`` in the attribution view:
    what a gallery tile's "Explain" button sets. It explains the class the network predicted (the
    mistake), not whichever class was chosen for an earlier image."""
    return {"inside_source": SOURCES[0], "inside_test_index": int(index), "inside_test_class": ANY_CLASS,
            "inside_view": "Attribution", "inside_attr_target": PREDICTED_CLASS}


@dataclass(frozen=True)
class Tile:
    """One mistake in the gallery: its test index, its enlarged picture and caption (Markdown)."""

    index: int
    picture: Image.Image
    caption: str


@dataclass(frozen=True)
class Gallery:
    """The test images of one confusion cell: how many, and the first GALLERY_SIZE, most confident first."""

    sentence: str
    tiles: tuple[Tile, ...]


def gallery(probabilities, targets, test_images, classes: Sequence[str], actual: int, predicted: int,
            quote: Quote) -> Gallery:
    """The images of cell (actual, predicted), most confident in ``predicted`` first.

    Args:
        probabilities: (N, K) softmax outputs over the test set.
        targets: (N,) true classes.
        test_images: (N, C, H, W) uint8.
        classes: K class names.
        actual, predicted: the cell's row and column.
        quote: text -> markup showing it as text.

    Returns:
        Gallery.
    """
    indices = metrics.mistakes(probabilities, targets, actual, predicted).tolist()
    sentence = (f"**{len(indices)}** test images of *{quote(classes[actual])}* predicted as "
                f"*{quote(classes[predicted])}*, most confident first.")
    tiles = tuple(
        Tile(index, enlarged(to_picture(test_images[index]), GALLERY_SIDE),
             quote(f"#{index}: {float(probabilities[index, predicted]):.0%} {classes[predicted]}"))
        for index in indices[:GALLERY_SIZE]
    )
    return Gallery(sentence, tiles)
