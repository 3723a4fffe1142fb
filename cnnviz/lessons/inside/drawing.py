"""Draw your own input: the canvas's strokes, a 28 x 28 grid of ink from 0 to 255, as the Inside
page's image, so a student sees the prediction and every layer follow the pen.

The grid comes from a browser, so it is checked like any client's input: anything but 784 whole
numbers from 0 to 255 gets one sentence, never a traceback.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageOps

from cnnviz import data, images
from cnnviz.lessons.inside.image_choice import SOURCES, Input, _seen_caption

DRAW_SOURCE = SOURCES[3]
GRID_SIDE = 28  # the canvas is read back as GRID_SIDE x GRID_SIDE cells, as MNIST's digits
DRAW_WAITING = "Draw in the box with the mouse or a finger: the prediction and every layer follow your strokes."
DRAW_NOTE = ("White ink on black, as MNIST's and Fashion-MNIST's images are; the strokes are averaged "
             "into a 28 x 28 grid as you draw.")
DRAWING_NOTE = ("A drawing is none of the training images: the network knows only its own classes and "
                "picks the one your strokes look most like, however sure it sounds (softmax confidence is "
                "not knowledge). Take this prediction as a guess.")
BAD_DRAWING = "The drawing could not be read: it must be 28 x 28 values from 0 to 255. Clear it and draw again."


class DrawingError(ValueError):
    """The canvas sent something that is not a 28 x 28 grid of ink."""


def drawn_pixels(value) -> np.ndarray | None:
    """The canvas's value as uint8 (28, 28), or None while nothing is drawn.

    Raises:
        DrawingError: anything but 784 finite numbers from 0 to 255 (a crafted client's message).
    """
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != GRID_SIDE * GRID_SIDE:
        raise DrawingError(BAD_DRAWING)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= 255
               for v in value):
        raise DrawingError(BAD_DRAWING)
    pixels = np.rint(np.asarray(value, dtype=np.float64)).astype(np.uint8).reshape(GRID_SIDE, GRID_SIDE)
    return pixels if pixels.any() else None  # a cleared canvas is nothing drawn


def draws_white_on_black(dataset: str) -> bool:
    """Whether a drawing for a network trained on ``dataset`` is shown white on black (MNIST-like
    data, or data cnnviz does not know) rather than dark ink on white."""
    try:
        return data.dataset_info(dataset).white_on_black
    except ValueError:
        return True


def drawn_input(pixels: np.ndarray, input_shape: tuple[int, int, int], white_on_black: bool) -> Input:
    """The drawing prepared for a model taking (C, H, W) = ``input_shape``.

    Args:
        pixels: uint8 (28, 28), white ink on black (drawn_pixels).
        white_on_black: the network's training images show light objects on black (MNIST,
            Fashion-MNIST); otherwise the drawing is turned into dark ink on white first.
    """
    picture = Image.fromarray(pixels, mode="L")
    if not white_on_black:
        picture = ImageOps.invert(picture)
    channels, height, width = input_shape
    if (channels, height, width) == (1, GRID_SIDE, GRID_SIDE):
        import torch

        grid = torch.from_numpy(np.asarray(picture, dtype=np.uint8).copy())[None]  # (1, 28, 28): used as it is
        prepared = images.PreparedImage(data.to_float(grid).unsqueeze(0), picture, not white_on_black,
                                        "Your drawing, 28 x 28 as the training images: used as it is.")
    else:
        prepared = images.prepare_for_model(picture, channels=channels, size=(height, width), invert=False)
    return Input(picture, prepared, None, _seen_caption(input_shape, prepared))
