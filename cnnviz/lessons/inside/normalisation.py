"""The first step of every cnnviz network, taught: the per-channel mean and std its ``normalize``
layer uses, the formula at one pixel in the image's own numbers, and three pictures side by side:
the pixels the model gets, the normalised values drawn as if they were pixels, and the values
de-normalised back into the picture.

Shown in the Layer outputs view when the chosen step is that layer. The normalised values come
from the captured forward pass (what the network really computed), so the de-normalised picture
matching the input is a check of the formula, not a copy of the input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz.data import DATASET_NAMES, dataset_info
from cnnviz.images import from_unit_floats
from cnnviz.models.normalize import IMAGENET_MEAN, IMAGENET_STD

NORMALIZE_KIND = "Normalize"  # the class name activations records for the step
# The "\," after a subscript ending a numerator, denominator or line, and the "\;" after an aligned
# block: without them KaTeX's box is 2 px narrower than its content, and a projector cuts it.
FORMULA = r"y_c = \frac{x_c - \mu_c\,}{\sigma_c\,}\,, \qquad x_c = y_c\,\sigma_c + \mu_c\,"
PICTURE_TITLES = ("The pixels x (0 to 1)", "Normalised y, drawn as pixels", "De-normalised y·σ + μ")
PICTURES_CAPTION = (
    "The middle picture shows y as if it were pixels: below 0 is black, above 1 is white, which is "
    "why a normalised image looks wrong when it is displayed without undoing the normalisation. "
    "Multiplying by σ and adding μ gives the picture back."
)
_CHANNEL_NAMES = {1: ("grey",), 3: ("red", "green", "blue")}


@dataclass(frozen=True)
class ChannelNumbers:
    """One channel's numbers: the layer's mean and std, the example pixel before and after, and
    this image's mean and std before and after normalising."""

    name: str
    mean: float
    std: float
    pixel: float
    normalised: float
    image_mean: float
    image_std: float
    normalised_mean: float
    normalised_std: float


@dataclass(frozen=True)
class NormalisationView:
    """What the page shows for the normalize step.

    Attributes:
        channels: one ChannelNumbers per input channel.
        row, column: the example pixel (0-based), the image's centre.
        statistics: the sentence naming μ and σ and where they come from.
        formulas: per channel, the formula at the example pixel in numbers (two aligned rows).
        image_sentence: this image's mean and std before and after, per channel.
        pictures: (pixels, normalised drawn as pixels, de-normalised), PIL images of the same size.
        round_trip_error: the largest |y·σ + μ - x| over the image (float32 rounding only).
    """

    channels: tuple[ChannelNumbers, ...]
    row: int
    column: int
    statistics: str
    formulas: tuple[str, ...]
    image_sentence: str
    pictures: tuple[Image.Image, Image.Image, Image.Image]
    round_trip_error: float


def statistics_source(mean, std) -> str | None:
    """Whose training images have this per-channel mean and std: "Fashion-MNIST's", "ImageNet's",
    or None when they match no dataset cnnviz knows (a checkpoint's own)."""
    known = [(dataset_info(name).title, dataset_info(name).mean, dataset_info(name).std) for name in DATASET_NAMES]
    for title, known_mean, known_std in [*known, ("ImageNet", IMAGENET_MEAN, IMAGENET_STD)]:
        if len(known_mean) == len(mean) and np.allclose(known_mean, mean, atol=5e-5) and np.allclose(known_std, std, atol=5e-5):
            return f"{title}'s"
    return None


def _channel_names(count: int) -> tuple[str, ...]:
    return _CHANNEL_NAMES.get(count, tuple(f"channel {c}" for c in range(count)))


def normalisation_view(pixels, normalised, mean, std) -> NormalisationView:
    """The normalize step of one forward pass, in the image's numbers.

    Args:
        pixels: (C, H, W) or (1, C, H, W) floats in [0, 1], what the model was given.
        normalised: (C, H, W), the normalize layer's captured output.
        mean, std: the layer's per-channel values (length C).

    Raises:
        ValueError: when the shapes do not agree.
    """
    x = np.asarray(pixels, dtype=np.float64).reshape(np.shape(normalised))
    y = np.asarray(normalised, dtype=np.float64)
    mu = np.asarray(mean, dtype=np.float64).reshape(-1)
    sigma = np.asarray(std, dtype=np.float64).reshape(-1)
    if y.ndim != 3 or not (len(mu) == len(sigma) == y.shape[0]):
        raise ValueError(f"A normalize step needs (C, H, W) values and C means and stds; got {y.shape}, "
                         f"{len(mu)} mean(s), {len(sigma)} std(s).")
    row, column = y.shape[1] // 2, y.shape[2] // 2
    names = _channel_names(y.shape[0])
    channels = tuple(
        ChannelNumbers(names[c], float(mu[c]), float(sigma[c]), float(x[c, row, column]), float(y[c, row, column]),
                       float(x[c].mean()), float(x[c].std()), float(y[c].mean()), float(y[c].std()))
        for c in range(y.shape[0]))
    restored = y * sigma[:, None, None] + mu[:, None, None]

    source = statistics_source(mu, sigma)
    values = "; ".join(f"{ch.name}: μ = {ch.mean:.4f}, σ = {ch.std:.4f}" for ch in channels)
    statistics = (
        f"The network's first step standardises each channel with a fixed mean μ and standard deviation σ ({values}), "
        + (f"the per-channel mean and std of {source} training images: over those images, "
           "each channel comes out with mean 0 and std 1." if source else "stored with the network (they match no dataset cnnviz knows).")
    )
    formulas = tuple(
        # Two rows, so that a colour channel's line fits a projector's 1280 px in presentation mode.
        f"\\begin{{aligned}}\\text{{{ch.name}}}:\\; y &= \\frac{{{ch.pixel:.4f} - {ch.mean:.4f}}}{{{ch.std:.4f}}}"
        f" = {ch.normalised:.4f}\\, \\\\ x &= {ch.normalised:.4f} \\cdot {ch.std:.4f} + {ch.mean:.4f}"
        f" = {ch.normalised * ch.std + ch.mean:.4f}\\end{{aligned}}\\;"
        for ch in channels)
    image_sentence = (
        f"At the centre pixel (row {row}, column {column}). Over this whole image: "
        + "; ".join(f"{ch.name} mean {ch.image_mean:.3f} → {ch.normalised_mean:.3f}, "
                    f"std {ch.image_std:.3f} → {ch.normalised_std:.3f}" for ch in channels)
        + "."
    )
    pictures = (from_unit_floats(x), from_unit_floats(y), from_unit_floats(restored))
    return NormalisationView(channels, row, column, statistics, formulas, image_sentence, pictures,
                             float(np.abs(restored - x).max()))


def normalize_step(model, name: str, pixels, output) -> NormalisationView | None:
    """The lesson for step ``name`` of ``model`` when that step is a cnnviz Normalize layer, else None.

    Args:
        model: the network the step ran in.
        name: the step's qualified module name ("normalize").
        pixels: what the model was given, (1, C, H, W) in [0, 1].
        output: the step's captured (C, H, W) output.
    """
    from cnnviz.models.normalize import Normalize

    module = dict(model.named_modules()).get(name)
    if not isinstance(module, Normalize):
        return None
    return normalisation_view(pixels, output, module.mean.flatten().tolist(), module.std.flatten().tolist())
