"""From early to late layers: deeper units see larger, more abstract parts of the image.

For each convolution of the network, in order: its strongest channel on this image (the largest
mean), the unit where that channel is highest, and the part of the input that unit can see (its
receptive field, cnnviz.receptive) cut out of the image. Early layers' windows are a few pixels
(an edge, a dot); late layers' cover most of the image (a shape, a part of the object).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz.images import stretched_grey

DEPTH_TITLE = "From early to late layers"
DEPTH_INTRO = (
    "Each convolution's strongest channel on this image (below), the unit where it is highest, and the part of "
    "the image that unit can see (its receptive field, the red box). The box grows with depth: the first layer's units "
    "see a few pixels (an edge, a dot), the last ones most of the image (a shape, a part of the object)."
)
DEPTH_COLUMNS = 4  # at least this many columns, so three steps are not each a third of the page
MAX_STEPS = 6  # columns side by side; a deep network shows its first, last and evenly spaced ones between
OUTLINE_SIDE = 112  # a 28 x 28 input drawn 4 times as large; a 224 x 224 photo as it is
OUTLINE_COLOUR = (255, 64, 64)
NO_FIELDS = "The receptive fields of this network cannot be worked out, so this comparison is off: {error}"


@dataclass(frozen=True)
class DepthStep:
    """One convolution: its strongest channel, the unit, and the window that unit sees.

    Attributes:
        name: the layer; size: its receptive field (rows, cols) in input pixels.
        channel, unit: the strongest channel and the (row, col) of its highest value.
        window: (top, left, bottom, right) of the field in input pixels, clipped to the image
            (bottom and right exclusive).
        map_picture: the channel in grey from its lowest to its highest value.
        crop: the window cut out of the image the model sees.
        outlined: the whole image, enlarged by a whole factor to about OUTLINE_SIDE pixels, with the
            window drawn on it: every step at one scale, so the window is seen to grow.
        caption: "features.c1: field 5 x 5 px; channel 3 of 6, a 28 x 28 map".
    """

    name: str
    size: tuple[int, int]
    channel: int
    unit: tuple[int, int]
    window: tuple[int, int, int, int]
    map_picture: Image.Image
    crop: Image.Image
    outlined: Image.Image
    caption: str


def field_window(field, unit: tuple[int, int], height: int, width: int) -> tuple[int, int, int, int]:
    """The input pixels unit (row, col) of a layer sees: (top, left, bottom, right), clipped to the image.

    Unit (i, j) sees rows -P + i*S ... -P + i*S + size - 1 (cnnviz.receptive.LayerField).
    """
    (size_h, size_w), (stride_h, stride_w), (pad_h, pad_w) = field.size, field.stride, field.padding
    top, left = -pad_h + unit[0] * stride_h, -pad_w + unit[1] * stride_w
    return max(top, 0), max(left, 0), min(top + size_h, height), min(left + size_w, width)


def _outlined(picture: Image.Image, window: tuple[int, int, int, int]) -> Image.Image:
    """The picture enlarged (nearest) by a whole factor to about OUTLINE_SIDE, with the window's border in red."""
    from PIL import ImageDraw

    scale = max(1, OUTLINE_SIDE // max(picture.size))
    big = picture.convert("RGB").resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)
    top, left, bottom, right = window
    ImageDraw.Draw(big).rectangle((left * scale, top * scale, right * scale - 1, bottom * scale - 1),
                                  outline=OUTLINE_COLOUR, width=2)
    return big


def depth_steps(fields, captured, picture: Image.Image) -> tuple[DepthStep, ...]:
    """One DepthStep per convolution with a spatial output, early to late, along the main path (a
    residual shortcut's projection, whose field is smaller than the layer before it, is left out).

    Args:
        fields: cnnviz.receptive.receptive_fields(model) rows.
        captured: the image's activations.CapturedForward.
        picture: the image the model sees (PIL, its input size).
    """
    names = set(captured.names())
    steps = []
    for field in fields:
        if field.kind != "conv" or not field.spatial or field.name not in names:
            continue
        if steps and field.size[0] < steps[-1].size[0]:
            continue  # a shortcut's 1x1 projection (ResNet's downsample): off the main path
        output = captured.layer(field.name).output.numpy()  # (C, H, W)
        channel = int(output.reshape(output.shape[0], -1).mean(axis=1).argmax())
        row, col = np.unravel_index(int(output[channel].argmax()), output[channel].shape)
        window = field_window(field, (int(row), int(col)), picture.height, picture.width)
        crop = picture.crop((window[1], window[0], window[3], window[2]))
        caption = (f"{field.name}: field {field.size[0]} x {field.size[1]} px; channel {channel} of "
                   f"{output.shape[0]}, a {output.shape[1]} x {output.shape[2]} map")
        steps.append(DepthStep(field.name, tuple(field.size), channel, (int(row), int(col)), window,
                               stretched_grey(output[channel]), crop, _outlined(picture, window), caption))
    return tuple(steps)


def depth_sentence(steps) -> str:
    """The fields' growth in the network's numbers: "The field grows 5 → 14 → 32 px (rows) over ..."."""
    if not steps:
        return "This network has no convolution with a spatial output to compare."
    sizes = " → ".join(f"{step.size[0]}" for step in steps)
    return (f"The field grows {sizes} px (rows) over these {len(steps)} convolutions: each layer combines "
            "windows of the layer before it, so it can respond to larger patterns made of the smaller ones.")


def spaced(steps, at_most: int = MAX_STEPS) -> tuple:
    """At most ``at_most`` of the steps: the first, the last and evenly spaced ones between."""
    if len(steps) <= at_most:
        return tuple(steps)
    picks = sorted({round(i * (len(steps) - 1) / (at_most - 1)) for i in range(at_most)})
    return tuple(steps[i] for i in picks)
