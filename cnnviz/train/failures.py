"""The one sentence a failed run ends with."""

from __future__ import annotations

import torch

from cnnviz.train.config import TrainConfigError


def _sentence(error: BaseException) -> str:
    """A one-line sentence from an exception's message."""
    text = str(error).strip().strip("'\"").splitlines()
    line = text[0].strip() if text else type(error).__name__
    return line if line.endswith(".") else line + "."


def _EXPECTED_FAILURES() -> tuple[type[BaseException], ...]:
    """Errors that already carry a sentence for the student (no traceback needed)."""
    from cnnviz.data import DatasetUnavailable

    return (TrainConfigError, DatasetUnavailable)


def _failure_sentence(error: BaseException) -> str:
    from cnnviz.data import DatasetUnavailable

    if isinstance(error, (TrainConfigError, DatasetUnavailable)):
        return _sentence(error)
    if isinstance(error, torch.cuda.OutOfMemoryError) or "out of memory" in str(error).lower() \
            or "can't allocate memory" in str(error).lower():
        return "The machine ran out of memory; try a smaller batch size or a smaller model."
    return f"Training failed ({type(error).__name__}): {_sentence(error)}"
