"""The Train tab's live view of a run, after ConvNetJS's: six fixed test images, what every layer
makes of the first and what the network predicts for all six, at the start and after each epoch.

The numbers come from the run itself (cnnviz.train.live_probe, sent with its events); this module
only words them and shapes the pictures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz.lessons.inside.image_choice import enlarged, to_picture
from cnnviz.train import RunSummary

LIVE_HEADING = "Six test images, as the network learns"
LIVE_INTRO = (
    "The first test image of each of the first six classes goes through the network before training "
    "and after every epoch: first, every step of one of them (each step's mean over its channels, "
    "each on its own colour scale), as *Inside a network* draws it; then what the network says about "
    "all six, its most likely class and how sure it is."
)
TILE_SIDE = 112  # the thumbnails' side on screen: 28 x 28 pixels as 4 x 4 squares


@dataclass(frozen=True)
class LiveTile:
    """One watched test image: its picture (enlarged) and what the network says about it."""

    picture: Image.Image
    caption: str
    right: bool


@dataclass(frozen=True)
class LiveView:
    """What the live view shows at one moment of a run.

    Attributes:
        when: "before training" or "after epoch 3".
        title: the overview's title, naming the first image and the moment.
        overview: (step title, (H, W) array) per recorded step, for inside_figures.activation_overview.
        kinds: each step's module class ("Conv2d", "ReLU", ...).
        tiles: the six images with their predictions.
        sentence: how many are right, in words.
    """

    when: str
    title: str
    overview: tuple[tuple[str, np.ndarray], ...]
    kinds: tuple[str, ...]
    tiles: tuple[LiveTile, ...]
    sentence: str


def live_view(summary: RunSummary, *, quote: Callable[[str], str] = str) -> LiveView | None:
    """The live view of a run's latest snapshot, or None before its start (or for a run without one).

    Args:
        summary: the run's events so far, folded.
        quote: makes a class name safe to show as markdown (dashboard.markup.escape on a page).
    """
    started, live = summary.started, summary.live
    if started is None or started.probe is None or live is None:
        return None
    probe, classes = started.probe, started.classes
    when = f"after epoch {summary.epochs[-1].epoch}" if summary.epochs else "before training"
    tiles = []
    for image, label, probabilities in zip(probe.images, probe.labels, live.probabilities):
        guess = int(np.argmax(probabilities))
        tiles.append(LiveTile(
            picture=enlarged(to_picture(np.asarray(image, dtype=np.uint8)), TILE_SIDE),
            caption=(f"{quote(classes[guess])} {probabilities[guess]:.0%}, "
                     + ("right" if guess == label else f"wrong (true: {quote(classes[label])})")),
            right=guess == label,
        ))
    right = sum(tile.right for tile in tiles)
    return LiveView(
        when=when,
        title=f"Test image #{probe.indices[0]} ({classes[probe.labels[0]]}) at every step, {when}",
        overview=tuple((name, np.asarray(picture, dtype=np.float32)) for name, picture in zip(live.names, live.maps)),
        kinds=live.kinds,
        tiles=tuple(tiles),
        sentence=(f"{when[0].upper()}{when[1:]}: **{right} of {len(tiles)}** of these test images are "
                  f"classified right (guessing among {len(classes)} classes would get {len(tiles) / len(classes):.1f} on average)."),
    )
