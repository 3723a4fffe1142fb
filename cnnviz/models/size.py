"""How big a model is: parameter counts and bytes, the numbers the course quotes.

Both work on shape-only models built under ``torch.device("meta")``, so a page can show VGG-16's
138 million parameters without allocating them.
"""

from __future__ import annotations

from torch import nn


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of parameter values (weights and biases), e.g. 5,852,170 for the CIFAR-10 CNN.

    Args:
        model: any module.
        trainable_only: count only parameters with ``requires_grad`` (frozen layers left out).
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def model_size_bytes(model: nn.Module) -> int:
    """Bytes of all parameters and buffers at their stored dtypes (fp32: 4 bytes per value).

    Buffers include batch norm's running statistics and its int64 step counter, and the
    normalisation constants. Divide by 2**20 for MiB: the CIFAR-10 CNN gives 22.33.
    """
    tensors = list(model.parameters()) + list(model.buffers())
    return sum(t.numel() * t.element_size() for t in tensors)
