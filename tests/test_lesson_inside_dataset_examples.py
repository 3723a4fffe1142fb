"""The dataset examples section: its sentences and captions carry cnnviz.dataset_examples' numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnviz.dataset_examples import LayerExamples
from cnnviz.lessons import inside as lesson
from cnnviz.receptive import module_fields
from dashboard.markup import escape

CLASSES = ["Cat", "Dog <b>", "Bird"]


def _examples(indices, values, positions=None, field=None, constant=False, searched=12) -> LayerExamples:
    return LayerExamples("layer", np.array([indices]), np.array([values], dtype=np.float32),
                         None if positions is None else np.array([positions]), field, (28, 28), searched,
                         np.array([constant]))


@pytest.fixture(scope="module")
def c1_field():
    from cnnviz.models import get_model

    return module_fields(get_model("lenet5"))["features.c1"]  # 5 x 5, padding 2


@pytest.fixture(scope="module")
def pictures():
    images = torch.arange(12 * 28 * 28, dtype=torch.int64).remainder(256).to(torch.uint8).reshape(12, 1, 28, 28)
    labels = torch.tensor([1, 1, 1, 0, 1, 2, 1, 1, 0, 1, 2, 1])
    return images, labels


def test_tiles_are_the_crops_enlarged_with_class_number_value_and_position(c1_field, pictures):
    images, labels = pictures
    found = _examples([3, 0, 5], [4.5, 2.25, 1.0], [(10, 12), (0, 27), (27, 0)], c1_field)
    shown = lesson.top_images_view(found, 0, images, labels, CLASSES, quote=escape)
    assert [tile.index for tile in shown.tiles] == [3, 0, 5]
    assert [tile.caption for tile in shown.tiles] == [
        escape("Cat #3: 4.5") + " " + escape("at (10,") + "\u00a0" + escape("12)"),
        escape("Dog <b> #0: 2.25") + " " + escape("at (0,") + "\u00a0" + escape("27)"),
        escape("Bird #5: 1") + " " + escape("at (27,") + "\u00a0" + escape("0)")]
    assert shown.tiles[0].picture.size == (110, 110)  # a 5 x 5 crop, 22 times
    assert shown.tiles[1].picture.size == (111, 111)  # clipped at the corner: 3 x 3, 37 times
    assert np.array_equal(np.asarray(shown.tiles[0].picture)[::22, ::22], images[3, 0, 8:13, 10:15].numpy())
    assert shown.field_sentence.startswith("Each crop is the 5 x 5 px this unit sees (its receptive field)")
    assert shown.intro.startswith("All 12 test images went through the network; for each, this channel's largest "
                                  "value over all positions (max over positions) was kept. These **3** have")


def test_the_class_sentence_counts_the_commonest_class(pictures):
    images, labels = pictures
    most = lesson.top_images_view(_examples([0, 1, 2, 3, 4, 5, 6, 7], [8, 7, 6, 5, 4, 3, 2, 1]), 0, images, labels,
                                  CLASSES, quote=escape)
    name = escape("Dog <b>")
    assert most.class_sentence == (f"**6 of 8** are *{name}*: this value has learned something that {name} "
                                   "images often have.")
    every = lesson.top_images_view(_examples([0, 1, 2], [3, 2, 1]), 0, images, labels, CLASSES, quote=escape)
    assert every.class_sentence.startswith(f"**All 3** are *{name}*")
    mixed = lesson.top_images_view(_examples([3, 5, 0, 8, 10], [5, 4, 3, 2, 1]), 0, images, labels, CLASSES,
                                   quote=escape)  # Cat, Bird, Dog, Cat, Bird: 2 of 5 at most
    assert mixed.class_sentence.startswith("No class has most of them (the commonest, *Cat*, has **2 of 5**)")


def test_a_flat_layer_shows_whole_images_and_a_dead_channel_says_so(pictures):
    images, labels = pictures
    flat = lesson.top_images_view(_examples([2, 4], [1.5, 0.5]), 0, images, labels, CLASSES, quote=escape)
    assert flat.tiles[0].picture.size == (112, 112)  # the whole 28 x 28 image, 4 times
    assert flat.tiles[0].caption == escape("Dog <b> #2: 1.5")
    assert "no position" in flat.field_sentence and "the whole 28 x 28 test images" in flat.field_sentence
    dead = lesson.top_images_view(_examples([0, 1], [0, 0], [(0, 0), (0, 0)], constant=True, searched=10_000), 0,
                                  images, labels, CLASSES, quote=escape)
    assert dead.class_sentence.startswith("This channel has the same largest value on all 10,000 test images")


def test_a_unit_that_sees_the_whole_image_says_so(pictures):
    from cnnviz.models import get_model

    images, labels = pictures
    c5 = module_fields(get_model("lenet5"))["features.c5"]  # 32 x 32 on a 28 x 28 image
    shown = lesson.top_images_view(_examples([1], [2.0], [(0, 0)], c5), 0, images, labels, CLASSES, quote=escape)
    assert shown.tiles[0].picture.size == (112, 112)
    assert shown.field_sentence.startswith("A unit of this layer sees 32 x 32 px (its receptive field), all of the "
                                           "28 x 28 image")


def test_opening_a_tile_sets_the_test_image_and_asks_for_a_whole_page_rerun():
    assert lesson.opened_top_image(42) == {"inside_source": "Test-set image", "inside_test_index": 42,
                                           "inside_test_class": lesson.ANY_CLASS, "inside_top_opened": True}
