"""Draw your own input (issue 15.9): the canvas's 28 x 28 grid checked like any client's message,
and prepared for the network exactly as its training images are (or fitted like a photo)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cnnviz.lessons import inside as lesson


def _grid(value=0):
    return [value] * 784


@pytest.mark.parametrize("crafted", [
    _grid()[:783],  # a cell short
    _grid() + [0],  # a cell too many
    "0" * 784,  # text, not numbers
    {"pixels": _grid()},
    [[0] * 28] * 28,  # nested rows
    _grid()[:783] + ["255"],
    _grid()[:783] + [math.nan],
    _grid()[:783] + [math.inf],
    _grid()[:783] + [-1],
    _grid()[:783] + [256],
    _grid()[:783] + [True],
    _grid()[:783] + [None],
    12,
])
def test_anything_but_784_values_from_0_to_255_gets_one_sentence(crafted):
    with pytest.raises(lesson.DrawingError) as raised:
        lesson.drawn_pixels(crafted)
    assert str(raised.value) == lesson.BAD_DRAWING


def test_a_grid_is_read_row_by_row_rounded_and_a_blank_one_is_nothing_drawn():
    assert lesson.drawn_pixels(None) is None and lesson.drawn_pixels(_grid(0)) is None
    values = _grid(0)
    values[28 * 3 + 5] = 254.6  # row 3, column 5
    values[783] = 7
    pixels = lesson.drawn_pixels(values)
    assert pixels.dtype == np.uint8 and pixels.shape == (28, 28)
    assert pixels[3, 5] == 255 and pixels[27, 27] == 7 and int(pixels.sum()) == 262


def test_a_drawing_for_a_28x28_grey_network_is_used_as_it_is():
    pixels = np.zeros((28, 28), np.uint8)
    pixels[4:24, 13:15] = 255  # a "1"
    pixels[10, 10] = 51
    drawn = lesson.drawn_input(pixels, (1, 28, 28), white_on_black=True)
    assert drawn.true_label is None and tuple(drawn.prepared.tensor.shape) == (1, 1, 28, 28)
    torch.testing.assert_close(drawn.prepared.tensor[0, 0], torch.from_numpy(pixels).float() / 255)
    assert drawn.prepared.tensor[0, 0, 10, 10].item() == pytest.approx(0.2)
    assert drawn.seen_caption == "28 x 28, grayscale. Your drawing, 28 x 28 as the training images: used as it is."


def test_dark_ink_on_white_for_a_network_of_photos_and_a_colour_network_gets_three_channels():
    pixels = np.zeros((28, 28), np.uint8)
    pixels[:, 0] = 255
    inverted = lesson.drawn_input(pixels, (1, 28, 28), white_on_black=False)
    assert inverted.prepared.tensor[0, 0, 0, 0].item() == 0 and inverted.prepared.tensor[0, 0, 0, 5].item() == 1
    colour = lesson.drawn_input(pixels, (3, 32, 32), white_on_black=False)
    assert tuple(colour.prepared.tensor.shape) == (1, 3, 32, 32)
    assert torch.equal(colour.prepared.tensor[0, 0], colour.prepared.tensor[0, 2])  # grey in three channels
    assert colour.prepared.tensor[0, 0, 16, 0].item() < 0.2 < colour.prepared.tensor[0, 0, 16, 20].item()


def test_which_datasets_are_drawn_white_on_black():
    assert lesson.draws_white_on_black("fashion-mnist") and lesson.draws_white_on_black("mnist")
    assert not lesson.draws_white_on_black("cifar10")
    assert lesson.draws_white_on_black("a checkpoint's own data")  # unknown: as MNIST


def test_draw_your_own_is_offered_with_and_without_a_test_set():
    assert lesson.DRAW_SOURCE in lesson.sources(True) and lesson.DRAW_SOURCE in lesson.sources(False)
