"""Preparing a picture exactly as a model will see it: converted, fitted, resized, maybe inverted,
with a picture of the very tensor the model receives and a sentence saying what was done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps

from cnnviz.images.arrays import _RESAMPLE, to_tensor
from cnnviz.images.modes import _to_rgb_or_l

if TYPE_CHECKING:
    import torch


_FIT_MODES = ("pad", "crop", "stretch")


@dataclass(frozen=True)
class PreparedImage:
    """A picture prepared for a model, and the record of what was done to it.

    Attributes:
        tensor: float32 (1, C, H, W) in [0, 1]: exactly what the model receives.
        image: a PIL picture of exactly that tensor (mode "L" or "RGB", size W x H), so that
            ``to_tensor(image)`` equals ``tensor``.
        inverted: whether black and white were swapped.
        note: one sentence saying what was done, to show under the picture.
    """

    tensor: "torch.Tensor"
    image: Image.Image
    inverted: bool
    note: str


def prepare_for_model(
    image: Image.Image,
    *,
    channels: int,
    size: tuple[int, int],
    invert: bool | str = False,
    fit: str = "pad",
) -> PreparedImage:
    """Convert, fit, resize and optionally invert an image into the input a model expects.

    Args:
        image: any PIL image (normally from ``decode_image`` or ``load_sample_image``).
        channels: 1 for grayscale models (ITU-R 601 luma, L = 0.299 R + 0.587 G + 0.114 B),
            3 for colour models (grayscale copied into R, G and B).
        size: (H, W) of the model input, e.g. (28, 28).
        invert: True, False or "auto". "auto" inverts when the image's border is mostly bright
            (mean border luminance > 0.5): datasets such as MNIST and Fashion-MNIST show light
            objects on a black background, so a dark object photographed on white paper must be
            inverted to look like them.
        fit: how to reach the target aspect ratio. "pad" keeps the whole image and pads it with
            its own border colour (the median of its border pixels); "crop" cuts the centre;
            "stretch" resizes without keeping the aspect ratio.

    Returns:
        A PreparedImage whose tensor is (1, channels, H, W) float32 in [0, 1].

    Example:
        >>> prepared = prepare_for_model(photo, channels=1, size=(28, 28), invert="auto")
        >>> prepared.tensor.shape
        torch.Size([1, 1, 28, 28])
    """
    if not isinstance(image, Image.Image):
        raise ValueError(f"prepare_for_model expects a PIL image, not {type(image).__name__}.")
    if not isinstance(channels, int) or isinstance(channels, bool) or channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), not {channels!r}.")
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in size)
    ):
        raise ValueError(f"size must be (height, width) in whole pixels >= 1, not {size!r}.")
    if not (isinstance(invert, bool) or invert == "auto"):
        raise ValueError(f'invert must be True, False or "auto", not {invert!r}.')
    if fit not in _FIT_MODES:
        raise ValueError(f'fit must be "pad", "crop" or "stretch", not {fit!r}.')

    height, width = size
    steps = []
    source = _to_rgb_or_l(image)
    target_mode = "L" if channels == 1 else "RGB"
    if source.mode != target_mode:
        steps.append(
            "converted to grayscale" if channels == 1 else "copied grayscale into R, G and B"
        )
    # Never mutated below (pad, fit, resize and invert all return new pictures), so the source
    # itself serves when it is already in the right mode: no full-size copy of a big upload.
    picture = source if source.mode == target_mode else source.convert(target_mode)

    # Decide before fitting: padding repeats the border colour, cropping might cut the border.
    border_is_bright = _border_luminance(picture) > 0.5
    do_invert = border_is_bright if invert == "auto" else bool(invert)

    in_width, in_height = picture.size
    aspect_differs = in_width * height != in_height * width
    shape_words = "a square" if width == height else f"the {width} x {height} shape"
    if fit == "pad":
        fill = _border_colour(picture)
        picture = ImageOps.pad(picture, (width, height), method=_RESAMPLE, color=fill)
        if aspect_differs:
            steps.append(f"padded with its border colour to {shape_words}")
    elif fit == "crop":
        picture = ImageOps.fit(picture, (width, height), method=_RESAMPLE)
        if aspect_differs:
            steps.append(f"centre-cropped to {shape_words}")
    else:
        picture = picture.resize((width, height), _RESAMPLE)
        if aspect_differs:
            steps.append(f"stretched to {shape_words}")
    if (in_width, in_height) != (width, height):
        steps.append(f"resized to {width} x {height}")

    if do_invert:
        picture = ImageOps.invert(picture)
        reason = " because its border is bright" if invert == "auto" else ""
        steps.append(
            f"inverted{reason} (the model expects light objects on a dark background)"
        )

    return PreparedImage(
        tensor=to_tensor(picture),
        image=picture,
        inverted=do_invert,
        note=_sentence(steps, width, height, target_mode),
    )


def _border_pixels(picture: Image.Image) -> np.ndarray:
    """The outer ring of pixels, 2% of the shorter side thick (at least 1): (N,) or (N, 3) uint8.

    Read as four strips (top, bottom, left, right) rather than from a whole-picture array with
    a mask, so a 40-megapixel upload costs a few strips, not three full-size copies. The order
    of the pixels is not the picture's: callers take a mean or a median.
    """
    width, height = picture.size
    band = max(1, round(0.02 * min(width, height)))
    if 2 * band >= height or 2 * band >= width:
        boxes = [(0, 0, width, height)]  # no inside: every pixel is border
    else:
        boxes = [
            (0, 0, width, band),  # top
            (0, height - band, width, height),  # bottom
            (0, band, band, height - band),  # left, between top and bottom
            (width - band, band, width, height - band),  # right
        ]
    strips = [np.asarray(picture.crop(box)) for box in boxes]
    channels = strips[0].shape[2:]  # () for "L", (3,) for "RGB"
    return np.concatenate([strip.reshape(-1, *channels) for strip in strips])  # (N,) or (N, 3)


def _border_luminance(picture: Image.Image) -> float:
    """Mean ITU-R 601 luma of the border ring, in [0, 1]."""
    if picture.mode != "L":
        # Convert only the ring: per-pixel, so the same values as converting the whole picture.
        ring = _border_pixels(picture)  # (N, 3)
        ring_picture = Image.fromarray(ring[None])  # (1, N, 3) -> "RGB"
        return float(np.asarray(ring_picture.convert("L")).mean()) / 255.0
    return float(_border_pixels(picture).mean()) / 255.0


def _border_colour(picture: Image.Image) -> int | tuple[int, ...]:
    """Median border colour (per channel): the background, for padding that does not show."""
    median = np.median(_border_pixels(picture), axis=0)
    if np.ndim(median) == 0:
        return int(round(float(median)))
    return tuple(int(round(float(value))) for value in median)


def _sentence(steps: list[str], width: int, height: int, mode: str) -> str:
    """Join the steps into one sentence: "Converted to grayscale and resized to 28 x 28."."""
    if not steps:
        kind = "grayscale" if mode == "L" else "RGB"
        return f"Used as it is (already {width} x {height} {kind})."
    text = steps[0] if len(steps) == 1 else ", ".join(steps[:-1]) + " and " + steps[-1]
    return text[0].upper() + text[1:] + "."
