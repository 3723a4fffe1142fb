"""A few fixed test images watched while a network trains (ConvNetJS's live view).

At the start and after every epoch the engine runs them through the model: the first one's every
step (its mean over channels, as the Inside page's overview draws it) and all of their class
probabilities travel with the run's events, so a page can show what the network makes of them as
it learns. Rounded, like the kernel snapshots: they are for pictures, and they cross a pipe.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

PROBE_IMAGES = 6  # the first test image of each of the first six classes
MAP_DECIMALS = 3
PROBABILITY_DECIMALS = 4
MAX_FLAT = 512  # a flat step (Flatten, Linear) is drawn as a strip; longer ones are cut to this


@dataclass(frozen=True)
class LiveProbe:
    """Which test images are watched, sent once (with the StartEvent).

    Attributes:
        indices: their positions in the test set, one per class in class order.
        labels: their true classes.
        images: uint8 nested lists (C, H, W) each, for their thumbnails.
    """

    indices: tuple[int, ...]
    labels: tuple[int, ...]
    images: list


@dataclass(frozen=True)
class LiveSnapshot:
    """What the model makes of the probe images at one moment.

    Attributes:
        names, kinds: each recorded step of the first probe image (its module name and class).
        maps: per step, its mean over channels as nested lists, (H, W), or (1, F) for a flat step.
        probabilities: (N probe images, K classes) nested lists, each row summing to ~1.
    """

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    maps: list
    probabilities: list


def probe_indices(labels: torch.Tensor, count: int = PROBE_IMAGES) -> list[int]:
    """The first test image of each of the first ``count`` classes present, in class order."""
    found = []
    for label in sorted(set(labels.tolist()))[:count]:
        found.append(int((labels == label).nonzero()[0]))
    return found


def live_probe(images: torch.Tensor, labels: torch.Tensor) -> LiveProbe:
    """The probe of a test split: uint8 ``images`` (N, C, H, W) and ``labels`` (N,) on any device."""
    indices = probe_indices(labels)
    return LiveProbe(tuple(indices), tuple(int(labels[i]) for i in indices), images[indices].cpu().tolist())


def live_snapshot(model: nn.Module, images: torch.Tensor) -> LiveSnapshot:
    """Every step of ``images[0]`` and the probabilities of all of them, in eval mode (restored).

    Args:
        model: a cnnviz model taking floats in [0, 1].
        images: uint8 (N, C, H, W), the probe images, on the model's device.
    """
    from cnnviz.activations import capture_layer_outputs, channel_mean

    x = images.float() / 255  # (N, C, H, W)
    captured = capture_layer_outputs(model, x[:1])  # eval mode inside, the model's own mode restored
    maps = [torch.from_numpy(channel_mean(layer.output))[:, :MAX_FLAT] for layer in captured.layers]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            probabilities = torch.softmax(model(x).float(), dim=1).cpu()  # (N, K)
    finally:
        model.train(was_training)
    return LiveSnapshot(
        names=tuple(layer.name for layer in captured.layers),
        kinds=tuple(layer.kind for layer in captured.layers),
        maps=[torch.round(m.double(), decimals=MAP_DECIMALS).tolist() for m in maps],
        probabilities=torch.round(probabilities.double(), decimals=PROBABILITY_DECIMALS).tolist(),
    )
