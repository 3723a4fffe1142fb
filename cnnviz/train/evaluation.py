"""Loss, accuracy and confusion matrix of a model on a whole split."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.train.device_batches import _autocast, _to_float_batch


@dataclass(frozen=True)
class Evaluation:
    """Test-set results.

    Attributes:
        loss: mean cross-entropy (without label smoothing).
        accuracy: fraction correct, in [0, 1].
        confusion: (K, K) int64 tensor on the CPU; confusion[actual, predicted] counts images.
    """

    loss: float
    accuracy: float
    confusion: torch.Tensor


def evaluate(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    num_classes: int,
    batch_size: int = 1024,
) -> Evaluation:
    """Loss, accuracy and confusion matrix of ``model`` on a whole split, in eval mode.

    Args:
        model: a classifier taking floats in [0, 1]; put in eval mode here (the caller puts it
            back in train mode if it trains on).
        images: uint8 (N, C, H, W) on the model's device.
        labels: int64 (N,) on the same device, values in [0, num_classes).
        num_classes: K, the confusion matrix's size.
        batch_size: images per forward pass.

    Returns:
        Evaluation with loss (mean cross-entropy), accuracy in [0, 1] and a (K, K) confusion matrix.
    """
    device = images.device
    model.eval()
    loss_sum = torch.zeros((), device=device)
    confusion = torch.zeros(num_classes * num_classes, dtype=torch.int64, device=device)
    with torch.inference_mode(), _autocast(device):
        for start in range(0, len(images), batch_size):
            x = _to_float_batch(images[start:start + batch_size], device)
            y = labels[start:start + batch_size]
            logits = model(x).float()
            loss_sum += F.cross_entropy(logits, y, reduction="sum")
            # Row = actual, column = predicted: index y * K + p, counted in one bincount.
            confusion += torch.bincount(y * num_classes + logits.argmax(1), minlength=num_classes ** 2)
    confusion = confusion.view(num_classes, num_classes).cpu()  # (K, K)
    n = max(len(images), 1)
    return Evaluation(loss_sum.item() / n, confusion.diagonal().sum().item() / n, confusion)
