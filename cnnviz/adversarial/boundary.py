"""What every attack checks before it starts (budgets, images, labels), and the eval mode it runs
the model in."""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch
from torch import nn


class AttackError(ValueError):
    """Attack settings or inputs that cannot work; the message is a sentence for a student."""


def _check_eps(eps: float, name: str = "Epsilon") -> float:
    if not isinstance(eps, (int, float)) or isinstance(eps, bool) or not 0 <= eps <= 1:
        raise AttackError(f"{name} must be a number between 0 and 1 (pixel units), not {eps!r}.")
    return float(eps)


def _check_images(model: nn.Module, images: torch.Tensor) -> None:
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or not images.is_floating_point():
        raise AttackError("Images must be a float tensor of shape (N, C, H, W) with values in [0, 1].")
    expected = getattr(model, "input_shape", None)
    if expected is not None and tuple(images.shape[1:]) != tuple(expected):
        c, h, w = expected
        got_c, got_h, got_w = images.shape[1:]
        raise AttackError(
            f"This model expects {c}-channel {h} x {w} images, but these are {got_c}-channel "
            f"{got_h} x {got_w}; pick a model trained on this kind of image."
        )
    if images.numel() and (images.min() < 0 or images.max() > 1):
        raise AttackError("Image values must lie in [0, 1]; divide 8-bit pixels by 255 first.")


def _as_labels(labels, count: int, num_classes: int | None, device: torch.device, what: str) -> torch.Tensor:
    """An int, a sequence or a tensor of class indices -> int64 tensor (count,) on device."""
    labels = torch.as_tensor(labels, device=device).long().reshape(-1)
    if labels.numel() == 1 and count != 1:
        labels = labels.expand(count)
    if labels.numel() != count:
        raise AttackError(f"Give one {what} per image: {count} images but {labels.numel()} {what}s.")
    if num_classes is not None and labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise AttackError(f"Every {what} must be a class index from 0 to {num_classes - 1}.")
    return labels


@contextlib.contextmanager
def attack_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Run a block with the model in eval mode, then put back the mode it had.

    Attacks must see the network as it predicts (dropout off, batch-norm running statistics), and
    a training loop that calls an attack must get its model back in training mode.
    """
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        if was_training:
            model.train()
