"""Spotting a run that blew up (a NaN, infinite or exploded loss) at the exact step, while reading
the losses back from the device only when an event is due."""

from __future__ import annotations

import math

import torch


class Diverged(Exception):
    """The loss became NaN, infinite or exploded; the message says at which step and what to try.

    Attributes:
        step: the first bad step (1-based); value: its loss.
    """

    def __init__(self, message: str, step: int, value: float) -> None:
        super().__init__(message)
        self.step, self.value = step, value


EXPLODED_FACTOR = 10  # a batch loss this many times ln(K) (random guessing) means the run blew up


def _divergence_message(what: str, step: int, lr: float, note: str = "") -> str:
    return (
        f"The loss {what} at step {step}{note}: the learning rate {lr:g} is too high for this "
        f"model; try {lr / 10:g} or lower."
    )


class _LossMeter:
    """Keeps the per-step losses on the device and reads them back in one go when asked.

    Reading a loss with .item() makes the CPU wait for the GPU; doing it once per event
    instead of once per step keeps the GPU busy. On the CPU it costs the same either way.

    A run has diverged when a batch loss is NaN or infinite, or when it explodes above
    EXPLODED_FACTOR x ln(K): a network guessing at random scores ln(K) (2.30 for 10 classes), so
    such a loss means the weights were thrown far off, as a too-large learning rate does even
    when ReLUs then die and the loss settles back at ln(K) instead of becoming NaN.
    """

    def __init__(self, num_classes: int) -> None:
        self.pending: list[torch.Tensor] = []
        self.first_step = 1
        self.chance_loss = math.log(max(num_classes, 2))
        self.limit = EXPLODED_FACTOR * self.chance_loss

    def add(self, loss: torch.Tensor) -> None:
        self.pending.append(loss.detach())

    def flush(self, lr: float) -> float | None:
        """Mean of the pending losses (None if none); raises Diverged at the first bad one."""
        if not self.pending:
            return None
        values = torch.stack(self.pending).float().tolist()
        for offset, value in enumerate(values):
            step = self.first_step + offset
            if math.isnan(value):
                raise Diverged(_divergence_message("became NaN", step, lr), step, value)
            if math.isinf(value):
                raise Diverged(_divergence_message("became infinite", step, lr), step, value)
            if value > self.limit:
                raise Diverged(_divergence_message(
                    f"exploded to {value:.3g}", step, lr,
                    f" (a network guessing at random scores {self.chance_loss:.2f})"), step, value)
        self.first_step += len(values)
        self.pending = []
        return sum(values) / len(values)
