"""Training: one config dataclass, batched on-device augmentation, fit() emitting events.

    python -m cnnviz.train --dataset fashion-mnist --model lenet5 --epochs 5 --out lenet5.pt --json
"""

from cnnviz.train.config import OPTIMIZERS, SCHEDULES, Augmentation, TrainConfig, TrainConfigError
from cnnviz.train.engine import Evaluation, build_model, evaluate, fit, kernel_snapshot
from cnnviz.train.events import (
    EndEvent,
    EpochEvent,
    Event,
    RunSummary,
    StartEvent,
    StepEvent,
    summarize,
)

__all__ = [
    "Augmentation", "EndEvent", "EpochEvent", "Evaluation", "Event", "OPTIMIZERS",
    "RunSummary", "SCHEDULES", "StartEvent", "StepEvent", "TrainConfig", "TrainConfigError",
    "build_model", "evaluate", "fit", "kernel_snapshot", "summarize",
]
