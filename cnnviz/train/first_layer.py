"""The first convolution's kernels, rounded, as the snapshots the training page draws."""

from __future__ import annotations

import torch
from torch import nn


KERNEL_DECIMALS = 4  # snapshots are for pictures; 4 decimals keep the checkpoint's meta small


def first_conv(model: nn.Module) -> nn.Conv2d | None:
    """The model's first Conv2d (in registration order), whose kernels are worth looking at."""
    return next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)


def kernel_snapshot(model: nn.Module) -> list:
    """The first conv layer's weights as nested lists (C_out, C_in, F, F), or [] without one."""
    conv = first_conv(model)
    if conv is None:
        return []
    return torch.round(conv.weight.detach().float().cpu(), decimals=KERNEL_DECIMALS).tolist()
