"""The Distribution shift view: the network's own test images, changed step by step (rotated,
shifted, inverted, noisy), and its accuracy at each step. A network knows only images like the ones
it was trained on: the further the test images move from them, the lower its accuracy, though
every object is still plainly there to a person. A photo of your own is such a shifted image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz.images import from_unit_floats
from cnnviz.lessons.inside.texts import Quote

SHIFT_INTRO = (
    "A network is only tested fairly on images like its training images. Here its own test images are "
    "changed step by step, and its accuracy is measured again at each step: a person still sees every "
    "object, the network does not. A photo from a phone is changed far more than any of these, which is "
    "why its prediction on *Layer outputs* may be a guess."
)
# kind -> (menu label, the strength's unit, the strengths, in order; the first changes nothing).
SHIFTS: dict[str, tuple[str, str, tuple[float, ...]]] = {
    "rotate": ("Rotate", "degrees", (0, 10, 20, 30, 45, 60, 90, 180)),
    "shift": ("Shift right", "% of the width", (0, 5, 10, 15, 20, 30, 40)),
    "invert": ("Invert (towards 1 - x)", "amount", (0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0)),
    "noise": ("Add noise", "σ", (0, 0.05, 0.1, 0.2, 0.3, 0.5)),
}
TEST_IMAGES = (500, 1000, 2000)  # the "Test images" menu: a second or two on a CPU each
EXAMPLE_INDEX = 0  # the test image drawn at every strength
EXAMPLES_CAPTION = "The first test image at each step, with what the network calls it:"
NOISE_SEED = 0
PHOTO_NOTE = ("A photo is far from the training images (their size, background, lighting and framing): "
              "take this prediction as a guess, and see *Distribution shift* for how fast accuracy falls "
              "on the test images themselves as they change.")


def changed(images, kind: str, strength: float):
    """Test images (N, C, H, W) floats in [0, 1], changed by ``kind`` at ``strength``, as floats in [0, 1].

    rotate: by ``strength`` degrees counter-clockwise about the centre, black where nothing comes in;
    shift: right by ``strength`` % of the width; invert: (1 - a) x + a (1 - x) with a = ``strength``;
    noise: x + N(0, strength^2) per pixel (seed NOISE_SEED), clipped to [0, 1].
    """
    import torch

    from cnnviz.train.augment import affine_at

    n = images.shape[0]
    if kind not in SHIFTS:
        raise ValueError(f"There is no change called {kind!r}; choose one of {', '.join(SHIFTS)}.")
    if kind == "rotate":
        return affine_at(images, torch.full((n,), float(strength)), torch.zeros(n), torch.zeros(n)).clamp(0, 1)
    if kind == "shift":
        return affine_at(images, torch.zeros(n), torch.full((n,), strength / 100), torch.zeros(n)).clamp(0, 1)
    if kind == "invert":
        return (1 - strength) * images + strength * (1 - images)
    noise = torch.randn(images.shape, generator=torch.Generator().manual_seed(NOISE_SEED))
    return (images + strength * noise).clamp(0, 1)


@dataclass(frozen=True)
class ShiftCurve:
    """Accuracy on the changed test images at each strength.

    Attributes:
        kind, strengths, unit: the change.
        correct: images right at each strength (of ``count``); accuracies: correct / count.
        examples: the EXAMPLE_INDEX test image at each strength (PIL), captioned by ``captions``.
        sentence: the fall in words; formula: accuracy = correct / N at the strongest change (LaTeX).
        chance: 1 / K, the accuracy of guessing (the chart's dotted line).
    """

    kind: str
    strengths: tuple[float, ...]
    unit: str
    count: int
    correct: tuple[int, ...]
    accuracies: tuple[float, ...]
    examples: tuple[Image.Image, ...]
    captions: tuple[str, ...]
    sentence: str
    formula: str
    chance: float


def strength_text(kind: str, strength: float) -> str:
    """"45°", "10%", "σ = 0.1", "a = 0.5"."""
    return {"rotate": f"{strength:g}°", "shift": f"{strength:g}%", "noise": f"σ = {strength:g}"}.get(
        kind, f"a = {strength:g}")


def _tex_strength(kind: str, strength: float) -> str:
    """strength_text in LaTeX: "45^\\circ", "10\\%", "\\sigma = 0.1", "a = 0.5"."""
    return {"rotate": rf"{strength:g}^\circ", "shift": rf"{strength:g}\%", "noise": rf"\sigma = {strength:g}"}.get(
        kind, f"a = {strength:g}")


def shift_curve(model, images, labels, classes: Sequence[str], kind: str, count: int,
                quote: Quote = str) -> ShiftCurve:
    """The network's accuracy on its first ``count`` test images at each strength of ``kind``.

    Args:
        model: the network (eval mode), taking (N, C, H, W) floats in [0, 1].
        images: (N, C, H, W) uint8 test images; labels: (N,) their classes.
        classes: the class names.
        kind: one of SHIFTS.
        count: how many test images (at most all of them).
        quote: shows a class name as plain text in markup.
    """
    import torch

    from cnnviz.data import to_float

    label, unit, strengths = SHIFTS[kind]
    count = min(int(count), len(labels))
    x, y = to_float(images[:count]), torch.as_tensor(labels[:count])
    device = next(model.parameters()).device
    correct, examples, captions = [], [], []
    with torch.no_grad():
        for strength in strengths:
            moved = changed(x, kind, strength)
            predictions = torch.cat([model(part.to(device)).argmax(dim=1).cpu() for part in moved.split(500)])
            correct.append(int((predictions == y).sum()))
            examples.append(from_unit_floats(moved[EXAMPLE_INDEX].numpy()))
            captions.append(f"{strength_text(kind, strength)}: {quote(classes[int(predictions[EXAMPLE_INDEX])])}")
    accuracies = tuple(right / count for right in correct)
    worst = int(np.argmin(accuracies))
    sentence = (f"Unchanged, the network gets **{accuracies[0]:.1%}** of these {count:,} test images right; "
                f"at {strength_text(kind, strengths[-1])} it gets **{accuracies[-1]:.1%}**, and its lowest is "
                f"**{accuracies[worst]:.1%}** (at {strength_text(kind, strengths[worst])}). Chance is "
                f"{1 / len(classes):.0%}.")
    formula = (rf"\text{{accuracy at }} {_tex_strength(kind, strengths[-1])} = \frac{{{correct[-1]}}}{{{count}}}"
               rf" = {accuracies[-1] * 100:.1f}\%")
    return ShiftCurve(kind, strengths, unit, count, tuple(correct), accuracies, tuple(examples), tuple(captions),
                      sentence, formula, 1 / len(classes))
