"""The Layer outputs view's "Test images that excite this channel most": for the chosen channel,
the test images whose maximum over positions is largest (cnnviz.dataset_examples), each cut to the
receptive field of the unit where it fired, with its class, number and value, and how many of
them share one class: what the channel responds to, in the test set's own pictures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz import data
from cnnviz.dataset_examples import LayerExamples, cropped
from cnnviz.lessons.inside.confusion_matrix import confusion_refusal
from cnnviz.lessons.inside.embeddings import opened_test_image
from cnnviz.lessons.inside.image_choice import enlarged, to_picture
from cnnviz.lessons.inside.texts import Quote

TOP_HEADING = "Test images that excite this channel most"
TOP_SIDE = 112  # pixels of one enlarged crop: a 5 x 5 crop 22 times, a whole 28 x 28 image 4 times
TOP_COLUMNS = 4  # tiles per row, two rows of 4: in one row of 8 the Open buttons broke "Op-en" at 1024 px
OPEN_HELP = "Make this test image the page's image (the layer and channel stay)"


@dataclass(frozen=True)
class TopTile:
    """One of the channel's top images: its test-image number, class, the enlarged crop and its
    caption (markup, the class name quoted)."""

    index: int
    label: int
    picture: Image.Image
    caption: str


@dataclass(frozen=True)
class TopImagesView:
    """What the section shows for one channel, top to bottom.

    Attributes:
        intro: how the images were chosen (markup); tiles: the top images, strongest first.
        class_sentence: how many of them share the most common class, and what that suggests.
        field_sentence: what each crop is (the receptive field's size, or the whole image).
    """

    intro: str
    tiles: tuple[TopTile, ...]
    class_sentence: str
    field_sentence: str


def top_images_refusal(classes: Sequence[str], dataset: data.ImageDataset | None,
                       input_shape: tuple[int, ...]) -> str | None:
    """Why the section cannot be drawn (no test set, other classes, other image sizes), or None."""
    if refusal := confusion_refusal(classes, dataset):
        return refusal
    if (size := tuple(dataset.test_images.shape[1:])) != tuple(input_shape):
        return (f"{dataset.info.title}'s test images are {' x '.join(map(str, size))}, but this network takes "
                f"{' x '.join(map(str, input_shape))}, so they cannot be run through it.")
    return None


def opened_top_image(index: int) -> dict:
    """The page's widget values (by key) that make test image ``index`` the page's image, the view,
    layer and channel staying; "inside_top_opened" asks the Layer outputs fragment to rerun the
    whole page, since the image and prediction above it are outside the fragment."""
    return {**opened_test_image(index), "inside_top_opened": True}


def _caption(name: str, example, quote: Quote) -> str:
    """ "Coat #5661: 5.96 at (23, 21)", quoted; a no-break space inside the brackets, outside quote
    (which folds every space): an eighth of the page wrapped "(23," and "21)" onto two lines."""
    said = quote(f"{name} #{example.index}: {example.value:.3g}")
    if example.position is None:
        return said
    row, col = example.position
    return f"{said} {quote(f'at ({row},')}\u00a0{quote(f'{col})')}"


def _class_sentence(labels: list[int], classes: Sequence[str], constant: bool, searched: int, what: str,
                    quote: Quote) -> str:
    if constant:
        return (f"This {what} has the same largest value on all {searched:,} test images (a unit that never "
                "fires): no image excites it more than another, so these are merely the first ones.")
    counts = np.bincount(labels, minlength=len(classes))
    top = int(counts.argmax())  # ties: the lower class number
    same, k, name = int(counts[top]), len(labels), quote(classes[top])
    if same == k:
        return f"**All {k}** are *{name}*: this {what} has learned something that {name} images have."
    if same * 2 > k:
        return f"**{same} of {k}** are *{name}*: this {what} has learned something that {name} images often have."
    return (f"No class has most of them (the commonest, *{name}*, has **{same} of {k}**): this {what} responds to "
            "a pattern that several classes share, such as an edge or a stroke of one direction.")


def _field_sentence(examples: LayerExamples) -> str:
    height, width = examples.image_size
    if not examples.spatial:
        return ("A value of this layer has no position: it is computed from the whole image, so the whole "
                f"{height} x {width} test images are shown.")
    if examples.field is None:
        return "The receptive field of this layer cannot be worked out, so the whole test images are shown."
    rows, cols = examples.field.size
    if rows >= height and cols >= width:
        return (f"A unit of this layer sees {rows} x {cols} px (its receptive field), all of the {height} x {width} "
                "image, so the whole test images are shown.")
    return (f"Each crop is the {rows} x {cols} px this unit sees (its receptive field), around the position where "
            "the channel is highest; a crop at the border is cut by the image's edge.")


def top_images_view(examples: LayerExamples, channel: int, test_images, test_labels, classes: Sequence[str],
                    quote: Quote) -> TopImagesView:
    """The chosen channel's top images as tiles, with the sentences about them.

    Args:
        examples: cnnviz.dataset_examples.top_examples for the layer.
        channel: the channel (a flat layer: the value) chosen on the page.
        test_images: the (N, C, H, W) uint8 images searched; test_labels: (N,) their classes.
        classes: K class names; quote: shows a class name as plain text in markup.
    """
    found = examples.channel(channel)
    labels = [int(test_labels[example.index]) for example in found]
    what = "channel" if examples.spatial else "value"
    tiles = tuple(
        TopTile(example.index, label, enlarged(to_picture(cropped(test_images[example.index], example.window)), TOP_SIDE),
                _caption(classes[label], example, quote))
        for example, label in zip(found, labels))
    score = "largest value over all positions (max over positions)" if examples.spatial else "value"
    intro = (f"All {examples.searched:,} test images went through the network; for each, this {what}'s "
             f"{score} was kept. These **{len(found)}** have the largest, strongest first; under each, its class, "
             "test-image number and that value" + (" at (row, column)." if examples.spatial else "."))
    return TopImagesView(intro, tiles, _class_sentence(labels, classes, bool(examples.constant[channel]),
                                                       examples.searched, what, quote), _field_sentence(examples))
