"""The Embeddings view: a sample of the test set where the network's last layer sees it (its
penultimate features, cnnviz.embeddings), drawn with PCA or t-SNE and coloured by class; and the
current image's nearest neighbours in feature space beside its nearest neighbours in pixel space,
with how many of each share its class (cs231n's lesson: the features know what the pixels don't).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz import data
from cnnviz.embeddings import Agreement, FeatureSample, Neighbours, Projection, neighbours
from cnnviz.lessons.inside.confusion_matrix import confusion_refusal
from cnnviz.lessons.inside.image_choice import ANY_CLASS, SOURCES, enlarged, to_picture
from cnnviz.lessons.inside.texts import Quote

EMBED_INTRO = (
    "The last layer turns one vector, the image's **features**, into the class scores; images the network "
    "finds alike have features close together. Here a sample of the test set is drawn where its features lie, "
    "squeezed into two dimensions. Below, this image's nearest neighbours among them, measured on the features "
    "and on the raw pixels: the features know what the pixels don't."
)
PROJECTIONS = {"tsne": "t-SNE", "pca": "PCA"}  # cnnviz.embeddings.METHODS -> the "Projection" radio's labels
NEIGHBOUR_CHOICES = (4, 8, 16)  # the "Neighbours" menu; 8 first
FEATURE_HEADING = "Nearest in feature space"
PIXEL_HEADING = "Nearest in pixel space"
TILE_SIDE = 84  # pixels of a neighbour's tile (28 x 28 three times)
TILE_COLUMNS = 8  # tiles per row; 16 neighbours take two rows
SAME_MARK = "✓"  # on a neighbour's caption when it shares the image's class


def embedding_refusal(classes: Sequence[str], dataset: data.ImageDataset | None,
                      input_shape: tuple[int, ...]) -> str | None:
    """Why the view cannot be drawn (no test set, other classes, other image sizes), or None."""
    if refusal := confusion_refusal(classes, dataset):
        return refusal
    size = tuple(dataset.test_images.shape[1:])
    if size != tuple(input_shape):
        return (f"{dataset.info.title}'s test images are {' x '.join(map(str, size))}, but this network takes "
                f"{' x '.join(map(str, input_shape))}, so their features cannot be compared.")
    return None


@dataclass(frozen=True)
class NeighbourTile:
    """One neighbour: its test-image number, enlarged picture, caption (Markdown), and whether it
    shares the image's class."""

    index: int
    picture: Image.Image
    caption: str
    same: bool


@dataclass(frozen=True, eq=False)
class EmbeddingView:
    """Everything the view shows, top to bottom.

    Attributes:
        summary: what the points are (Markdown); projection_note: what the chosen projection keeps.
        points, labels, indices: the chart's (N, 2) points, classes and test-image numbers.
        axis_titles, show_ticks: the chart's axes (t-SNE's numbers mean nothing, so none).
        current: where this image's star goes on the chart (see placed_note).
        current_index: its test-image number, None for a photo.
        current_caption: under this image beside the chart; placed_note: how a new image's star
            was placed ("" for an image of the sample).
        feature_tiles, pixel_tiles: the nearest sample images in each space, nearest first.
        feature_sentence, pixel_sentence: how many of each share the class ("**7 of 8** ...").
        agreement_sentence: the same count over the whole sample, in both spaces.
        neighbours, agreement: the numbers behind the sentences.
    """

    summary: str
    projection_note: str
    points: np.ndarray
    labels: np.ndarray
    indices: np.ndarray
    axis_titles: tuple[str, str]
    show_ticks: bool
    current: tuple[float, float]
    current_index: int | None
    current_caption: str
    placed_note: str
    feature_tiles: tuple[NeighbourTile, ...]
    pixel_tiles: tuple[NeighbourTile, ...]
    feature_sentence: str
    pixel_sentence: str
    agreement_sentence: str
    neighbours: Neighbours
    agreement: Agreement


def _projection_note(projection: Projection) -> str:
    if projection.method == "pca":
        first, second = projection.explained_variance
        return (f"PCA: the two directions along which the features vary most. They keep **{first:.1%}** and "
                f"**{second:.1%}** of the variance ({first + second:.1%} together); the rest is flattened away.")
    return ("t-SNE: a map that keeps each image near its nearest neighbours in feature space (perplexity 30). "
            "Clusters are real; the distances between them and the axes' numbers are not.")


def _tiles(positions, sample: FeatureSample, test_images, classes: Sequence[str], label: int,
           quote: Quote) -> tuple[NeighbourTile, ...]:
    tiles = []
    for position in np.asarray(positions).tolist():
        index, same = int(sample.indices[position]), int(sample.labels[position]) == label
        caption = f"{SAME_MARK + ' ' if same else ''}{classes[sample.labels[position]]} #{index}"
        tiles.append(NeighbourTile(index, enlarged(to_picture(test_images[index]), TILE_SIDE), quote(caption), same))
    return tuple(tiles)


def _agreement_sentence(agreement: Agreement, count: int) -> str:
    said = (f"Over all {count:,} images of the sample, **{agreement.feature:.1%}** of an image's {agreement.k} "
            f"nearest neighbours share its class in feature space, and **{agreement.pixel:.1%}** in pixel space")
    if agreement.feature > agreement.pixel:
        return said + ": the features know what the pixels don't."
    return said + (": here the features know no more than the pixels, as in a network that has learnt little "
                   "(an untrained one's features are a scrambled copy of its pixels).")


def _placed(projection: Projection, position: int | None, features, found: Neighbours,
            what: str) -> tuple[tuple[float, float], str]:
    """Where the star goes, and the note saying how it was placed ("" for a sample image's own point).

    PCA is a linear map: any image's features have their point. t-SNE has no map for a point it was
    not fitted on, so a new image's star goes to the middle of its feature-space neighbours' points
    (the usual stand-in), and the note says so.
    """
    if position is not None:
        return tuple(float(v) for v in projection.points[position]), ""
    if (placed := projection.place(features)) is not None:
        return placed, f"{what} is not in the sample: its star is placed with the same PCA map."
    x, y = projection.points[found.feature].mean(axis=0)
    return (float(x), float(y)), (
        f"{what} is not in the sample, and t-SNE has no map for a new point: its star is drawn at the middle of its "
        f"{found.k} nearest neighbours in feature space.")


def embedding_view(sample: FeatureSample, projection: Projection, agreement: Agreement, features, pixels,
                   probabilities, true_label: int | None, test_index: int | None, test_images,
                   classes: Sequence[str], dataset_title: str, quote: Quote) -> EmbeddingView:
    """The view of one image against the sample.

    Args:
        sample, projection, agreement: cnnviz.embeddings results for the network (agreement's k is
            the number of neighbours shown).
        features, pixels: this image's penultimate features (F,) and its pixels in [0, 1].
        probabilities: (K,) its class probabilities: a photo's neighbours are compared with the
            class the network gives it, a test image's with its own.
        true_label, test_index: a test image's class and number; None for a photo.
        test_images: the test set's (N, C, H, W) uint8 images (the tiles' pictures).
        classes: K class names; dataset_title: e.g. "Fashion-MNIST".
        quote: shows a class name as plain text in markup.
    """
    label = int(np.argmax(probabilities)) if true_label is None else int(true_label)
    position = sample.position(test_index)
    found = neighbours(sample, features, pixels, label, agreement.k, exclude=position)
    k, name = found.k, quote(classes[label])
    per_class = int(np.bincount(sample.labels).max())
    summary = (f"{len(sample.indices):,} {dataset_title} test images ({per_class} of each class), each drawn at its "
               f"{sample.features.shape[1]} features: the input of *{quote(sample.layer)}*, the layer that turns "
               "them into class scores. The colour is the true class; click a point to open that image.")
    whose = "like this image" if true_label is not None else "the class the network gives your photo"
    feature_sentence = f"**{found.feature_same} of {k}** feature-space neighbours are *{name}*, {whose}."
    pixel_sentence = f"**{found.pixel_same} of {k}** pixel-space neighbours are *{name}*."
    what = "Your photo" if test_index is None else f"Test image #{test_index}"
    current, placed_note = _placed(projection, position, features, found, what)
    current_caption = f"{what}, {name}" + (" (the network's class)" if true_label is None else "") + ": the star."
    if projection.method == "pca":
        first, second = projection.explained_variance
        axes, ticks = (f"PC 1 ({first:.0%} of the variance)", f"PC 2 ({second:.0%})"), True
    else:
        axes, ticks = ("t-SNE 1", "t-SNE 2"), False
    return EmbeddingView(
        summary, _projection_note(projection), projection.points, sample.labels, sample.indices, axes, ticks,
        current, test_index, current_caption, placed_note,
        _tiles(found.feature, sample, test_images, classes, label, quote),
        _tiles(found.pixel, sample, test_images, classes, label, quote),
        feature_sentence, pixel_sentence, _agreement_sentence(agreement, len(sample.indices)), found, agreement)


def clicked_test_image(event) -> int | None:
    """The test-image number of a clicked point in the chart's selection event, or None (nothing
    clicked, or the star of a photo, which has no number)."""
    points = ((event or {}).get("selection") or {}).get("points") or []
    for point in points:
        number = point.get("customdata")
        if isinstance(number, (list, tuple)):
            number = number[0] if number else None
        if isinstance(number, (int, float)) and not isinstance(number, bool) and number >= 0:
            return int(number)
    return None


def opened_test_image(index: int) -> dict:
    """The page's widget values (by key) that make test image ``index`` the page's image, the view
    staying on Embeddings: what a click on a point sets."""
    return {"inside_source": SOURCES[0], "inside_test_index": int(index), "inside_test_class": ANY_CLASS}


def tile_rows(tiles: Sequence[NeighbourTile], per_row: int = TILE_COLUMNS) -> tuple[tuple[NeighbourTile, ...], ...]:
    """The tiles in rows of ``per_row``, for the page's columns (16 neighbours: two rows of 8)."""
    return tuple(tuple(tiles[start:start + per_row]) for start in range(0, len(tiles), per_row))
