"""The first layer of every cnnviz model: per-channel standardisation of [0, 1] pixels.

Putting normalisation inside the model (instead of in the data pipeline) means that everything
outside it (attacks, attributions, pictures) works in plain pixel space: an FGSM step of 0.005
is 0.005 of the pixel range, and a saliency map lines up with the image the student sees.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

# Per-channel statistics of the training images, as fractions of the [0, 1] pixel range.
FASHION_MNIST_MEAN = (0.2860,)
FASHION_MNIST_STD = (0.3530,)
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def default_mean_std(in_channels: int) -> tuple[list[float], list[float]]:
    """The mean and std a small model uses when none are given.

    Args:
        in_channels: 1 (grey images: Fashion-MNIST statistics), 3 (colour: CIFAR-10 statistics)
            or any other count (0.5 and 0.5, which maps [0, 1] to [-1, 1]).

    Returns:
        (mean, std) as lists of ``in_channels`` floats.
    """
    if in_channels == 1:
        return list(FASHION_MNIST_MEAN), list(FASHION_MNIST_STD)
    if in_channels == 3:
        return list(CIFAR10_MEAN), list(CIFAR10_STD)
    return [0.5] * in_channels, [0.5] * in_channels


class Normalize(nn.Module):
    """y = (x - mean[c]) / std[c] for each channel c.

    ``mean`` and ``std`` are buffers, so ``model.to(device)`` moves them, but non-persistent
    ones: they are settings (kept in ``model.config``), not learned weights, so they stay out of
    the state_dict and a checkpoint cannot contradict its own config.

    Args:
        mean: one value per channel, in pixel units ([0, 1]).
        std: one value per channel, each > 0.

    Shapes:
        input (N, C, H, W) or (C, H, W) floats in [0, 1]; output the same shape.

    Example:
        >>> Normalize([0.5], [0.25])(torch.ones(1, 1, 2, 2))[0, 0, 0, 0].item()
        2.0
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        if len(mean) == 0 or len(mean) != len(std):
            raise ValueError(
                f"Normalize needs one mean and one std per channel; got {len(mean)} mean(s) "
                f"and {len(std)} std(s)."
            )
        if not all(math.isfinite(s) and s > 0 for s in std):
            raise ValueError(f"Every std in Normalize must be a positive number; got {list(std)}.")
        # (C, 1, 1) so that it broadcasts over (N, C, H, W) and (C, H, W) alike.
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(-1, 1, 1), persistent=False)

    @property
    def channels(self) -> int:
        return self.mean.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 3 or x.shape[-3] != self.channels:
            raise ValueError(
                f"This model expects images with {self.channels} channel(s) as (N, C, H, W); "
                f"it got a tensor of shape {tuple(x.shape)}."
            )
        return (x - self.mean) / self.std

    def extra_repr(self) -> str:
        if self.mean.is_meta:  # a shape-only model (torch.device("meta")) has no numbers to show
            return f"channels={self.channels}"
        mean = ", ".join(f"{v:.4g}" for v in self.mean.flatten().tolist())
        std = ", ".join(f"{v:.4g}" for v in self.std.flatten().tolist())
        return f"mean=({mean}), std=({std})"
