"""How batches reach the device fast: a random order cut into batches, uint8 to float on the
device in its preferred memory layout, and bf16 autocast on CUDA."""

from __future__ import annotations

import contextlib
import math

import torch


def _autocast(device: torch.device):
    # bf16 keeps fp32's exponent range, so no loss scaling is needed (unlike fp16).
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


CHANNELS_LAST_DEVICES = ("cuda", "cpu")


def _device_layout(x: torch.Tensor, device: torch.device) -> torch.Tensor:
    """channels_last (N, H, W, C in memory) where the fastest convolutions want it: cuDNN on
    CUDA, oneDNN on the CPU (measured: 1.1-1.5x faster training of the small Fashion-MNIST CNNs
    on two cores; benchmarks/bench_train.py prints both layouts)."""
    if device.type in CHANNELS_LAST_DEVICES:
        return x.contiguous(memory_format=torch.channels_last)
    return x


def _to_float_batch(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float32 in [0, 1], in the device's preferred memory layout."""
    return _device_layout(images.float().div_(255), device)


def _batches(n: int, batch_size: int, generator: torch.Generator, device: torch.device) -> list[torch.Tensor]:
    """A fresh random order of 0..n-1 cut into batches; a last batch of one image is dropped
    (batch norm cannot compute a variance from one value)."""
    perm = torch.randperm(n, device=device, generator=generator)
    batches = list(perm.split(batch_size))
    if len(batches) > 1 and len(batches[-1]) < 2:
        batches.pop()
    return batches


def _steps_per_epoch(n: int, batch_size: int) -> int:
    steps = math.ceil(n / batch_size)
    return steps - 1 if steps > 1 and n % batch_size == 1 else steps
