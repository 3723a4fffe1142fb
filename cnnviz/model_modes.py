"""Running a network as it predicts: eval mode for a block, every module's own mode put back after."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from torch import nn


@contextlib.contextmanager
def evaluating(model: nn.Module) -> Iterator[None]:
    """Eval mode for the block (dropout off, batch norm frozen), each module's own mode restored after.
    A model already in eval (every cached one) is never touched, so a shared model is not written to."""
    modes = [(module, module.training) for module in model.modules()]
    changed = any(training for _, training in modes)
    try:
        if changed:
            model.eval()
        yield
    finally:
        if changed:
            for module, training in modes:
                module.training = training
