"""What the page shows of a finished (or stopped) run: the pictures with their captions, the
sentence a student reads under them, the status line, and the curve's names; every number here is
measured on the pictures shown, by the network they were made for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn

from cnnviz.devices import model_device
from cnnviz.feature_vis import LOGITS, Ascent
from cnnviz.lessons.feature_vis.plan import Plan
from cnnviz.lessons.inside.image_choice import enlarged, to_picture
from cnnviz.lessons.inside.texts import Quote

TILE_SIDE = 140  # pixels of a picture's tile (28 x 28 five times)
TILE_COLUMNS = 5  # in the pictures' column beside the controls: ten classes make two rows
MIN_COLUMNS = 3
TILE_COLUMNS_PRESENTING = 4  # larger text, the same column: fewer, wider tiles
LAYER_NAMES = {LOGITS: "the logits"}


@dataclass(frozen=True)
class Tile:
    picture: Image.Image
    caption: str  # Markdown


@dataclass(frozen=True)
class ResultView:
    """Attributes:
        tiles: the pictures, in the plan's order (a dream: the photo, then the dream).
        sentence: what the pictures show, in their numbers (Markdown).
        status: how far the run got, e.g. "256 steps." or "Stopped after 96 of 256 steps."
        names: one name per curve in Ascent.values (the curve's legend).
        curve_title: the objective's name, for the curve's axis.
    """

    tiles: tuple[Tile, ...]
    sentence: str
    status: str
    names: tuple[str, ...]
    curve_title: str


def as_picture(picture: torch.Tensor, side: int = TILE_SIDE) -> Image.Image:
    """A (C, H, W) float picture in [0, 1], enlarged with crisp pixels for a tile."""
    array = (picture.detach().clamp(0, 1).numpy() * 255).round().astype(np.uint8)
    return enlarged(to_picture(array), side)


def status(ascent: Ascent) -> str:
    if ascent.stopped:
        return f"Stopped after {ascent.steps_done} of {ascent.steps} steps: the pictures as they were then."
    return f"{ascent.steps} steps of gradient ascent."


def layer_name(label: str) -> str:
    return LAYER_NAMES.get(label, label)


def breakable(name: str) -> str:
    """A layer's name that a narrow tile breaks after a dot ("features." / "act1_1"), not mid-word."""
    return name.replace(".", ".\u200b")


def _score(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"


def result_view(model: nn.Module, plan: Plan, ascent: Ascent, classes: Sequence[str], quote: Quote,
                image: torch.Tensor | None = None) -> ResultView:
    """The view of ``ascent`` made for ``plan`` by ``model`` (``image``: the photo or the image
    that was dreamt on or inverted)."""
    kind = plan.kind
    if kind == "class":
        return _class_view(model, plan, ascent, classes, quote)
    if kind == "channel":
        return _channel_view(plan, ascent)
    if kind == "dream":
        return _dream_view(plan, ascent, image)
    return _inversion_view(plan, ascent, image)


def _from(ascent: Ascent, i: int) -> str:
    return "" if ascent.stopped else f" (from {_score(float(ascent.first[i]))})"


def _class_view(model, plan: Plan, ascent: Ascent, classes, quote: Quote) -> ResultView:
    with torch.no_grad():
        probabilities = torch.softmax(model(ascent.pictures.to(model_device(model))).float(), 1).cpu().numpy()
    tiles, right = [], 0
    for i, target in enumerate(plan.targets):
        predicted = int(probabilities[i].argmax())
        right += predicted == target
        tiles.append(Tile(as_picture(ascent.pictures[i]), f"**{quote(classes[target])}**  \n"
                          f"score {_score(float(ascent.final[i]))}, p = {100 * probabilities[i, target]:.1f}%"))
    count = len(plan.targets)
    lowest = min(float(probabilities[i, t]) for i, t in enumerate(plan.targets))
    if count == 1:
        name = quote(classes[plan.targets[0]])
        verdict = (f"The network calls this picture **{name}** with {100 * lowest:.1f}%" if right else
                   f"The network does not call this picture **{name}** yet ({100 * lowest:.1f}%)")
    else:
        verdict = (f"The network calls {right} of these {count} pictures its own class; the least sure of them "
                   f"with {100 * lowest:.1f}%")
    if ascent.stopped:
        started = ""
    elif count == 1:
        started = f" from grey noise that scored {_score(float(ascent.first[0]))}"
    else:
        started = (f" from grey noise that scored between {_score(float(ascent.first.min()))} and "
                   f"{_score(float(ascent.first.max()))}")
    climbed = "it climbed its score" if count == 1 else "each picture climbed its score"
    sentence = (f"{verdict}; {climbed}{started}. They are not pictures a person would draw: they are what "
                "raises each score most, made of the strokes and blobs the network's kernels respond to.")
    return ResultView(tuple(tiles), sentence, status(ascent), tuple(classes[t] for t in plan.targets),
                      "class score (logit)")


def _channel_view(plan: Plan, ascent: Ascent) -> ResultView:
    tiles = tuple(Tile(as_picture(ascent.pictures[i]), f"**channel {c}**  \nmean {_score(float(ascent.final[i]))}"
                       f"{_from(ascent, i)}") for i, c in enumerate(plan.targets))
    best = int(np.argmax(ascent.final))
    sentence = (f"Each picture is what makes one channel of {plan.layer} fire most on average over its positions; "
                f"channel {plan.targets[best]} reaches the highest mean, {_score(float(ascent.final[best]))}. "
                "Early layers' pictures are stripes and edges repeated everywhere, later ones larger shapes.")
    return ResultView(tiles, sentence, status(ascent), tuple(f"channel {c}" for c in plan.targets),
                      "mean activation")


def _dream_view(plan: Plan, ascent: Ascent, photo: torch.Tensor) -> ResultView:
    side = max(photo.shape[-2:])
    before = float(ascent.first[0])
    after = float(ascent.final[0])
    what = f"channel {plan.targets[0]} of {plan.layer}" if plan.targets else plan.layer
    tiles = (Tile(as_picture(photo[0], side), "The photo, as the network takes it"),
             Tile(as_picture(ascent.pictures[0], side), f"Dreamt on by {what}"))
    change = float((ascent.pictures[0] - photo[0].cpu()).abs().mean())
    rise = (f"rose from {_score(before)} to {_score(after)}" + (f", {after / before:.0f} times as much" if before > 0 else "")
            if not ascent.stopped else f"is {_score(after)} now")
    sentence = (f"Half the mean square activation of {what} {rise}; the pixels moved by {change:.3f} on average "
                "(of 1). What you see grow is what that layer looks for, painted wherever the photo already "
                "had a little of it.")
    return ResultView(tiles, sentence, status(ascent), (what,), "½ mean square activation")


def _inversion_view(plan: Plan, ascent: Ascent, image: torch.Tensor) -> ResultView:
    original = image[0].cpu()
    distances = [float((ascent.pictures[i] - original).pow(2).mean().sqrt()) for i in range(len(plan.targets))]
    tiles = [Tile(as_picture(original), "The image")]
    for i, label in enumerate(plan.targets):
        tiles.append(Tile(as_picture(ascent.pictures[i]),
                          f"from **{breakable(layer_name(label))}**  \nfeatures {100 * -float(ascent.final[i]):.1f}% off, "
                          f"pixels {distances[i]:.3f} off"))
    first, last = layer_name(plan.targets[0]), layer_name(plan.targets[-1])
    sentence = (f"Rebuilt from {first} the picture is {distances[0]:.3f} from the image per pixel (root mean square, "
                f"of 1); from {last}, {distances[-1]:.3f}. "
                + ("The deeper the layer, the less of the image it keeps: what is left is what the later layers "
                   "need to tell the classes apart, not how the image looked."
                   if distances[-1] > distances[0] else
                   "Here the deepest layer kept as much as the first: a rare image, or too few steps."))
    return ResultView(tuple(tiles), sentence, status(ascent), tuple(layer_name(t) for t in plan.targets),
                      "minus relative feature error")


def row_length(tiles: int, kind: str, most: int = TILE_COLUMNS) -> int:
    """Tiles per row: a dream's two pictures side by side, else at most ``most``, the rows as even as
    can be (ten classes in rows of at most five: two of five, not eight and two)."""
    if kind == "dream":
        return 2
    rows = math.ceil(tiles / most)
    return max(math.ceil(tiles / rows) if tiles else 1, MIN_COLUMNS)  # one class's picture stays tile-sized



def strip(pictures: torch.Tensor, side: int = TILE_SIDE // 2, gap: int = 4) -> Image.Image:
    """The pictures so far side by side in one image (the live preview while a run goes on): one
    picture to send each report, however many the batch holds."""
    tiles = [as_picture(p, side) for p in pictures[:TILE_COLUMNS * 2]]
    width = sum(t.width for t in tiles) + gap * (len(tiles) - 1)
    canvas = Image.new(tiles[0].mode, (width, max(t.height for t in tiles)), 255 if tiles[0].mode == "L" else (255,) * 3)
    x = 0
    for tile in tiles:
        canvas.paste(tile, (x, 0))
        x += tile.width + gap
    return canvas
