"""The pieces a run is built from: the registry model sized from the dataset, the optimizer and
the learning-rate schedule."""

from __future__ import annotations

import torch
from torch import nn

from cnnviz.train.config import TrainConfig, TrainConfigError
from cnnviz.train.failures import _sentence


def build_model(config: TrainConfig, info) -> nn.Module:
    """The registry model for ``config``, sized for the dataset described by ``info``.

    The image shape, class count and normalisation come from the dataset wherever the model
    has such a setting; ``config.model_options`` come next; dropout and batch norm overrides
    are refused with a sentence for a model that has no such setting.

    Raises:
        TrainConfigError: unknown model, a setting the model does not have, or a model whose
            input shape does not fit the dataset's images.
    """
    from cnnviz.models import get_model, model_spec

    try:
        settings = set(model_spec(config.model).default_config)
    except ValueError as error:
        raise TrainConfigError(_sentence(error)) from error
    from_dataset = {
        "in_channels": info.channels,
        "num_classes": len(info.classes),
        "input_size": info.height,
        "mean": list(info.mean),
        "std": list(info.std),
    }
    options = {key: value for key, value in from_dataset.items() if key in settings}
    options.update(config.model_options)
    for key, value in (("dropout", config.dropout), ("batch_norm", config.batch_norm)):
        if value is None:
            continue
        if key not in settings:
            raise TrainConfigError(
                f"{config.model} has no {key.replace('_', ' ')} setting; leave it at the model's "
                f"default or pick a model that has one, such as small_cnn."
            )
        options[key] = float(value) if key == "dropout" else value
    try:
        model = get_model(config.model, **options)
    except (TypeError, ValueError) as error:
        raise TrainConfigError(_sentence(error)) from error
    wanted = (info.channels, info.height, info.width)
    if tuple(model.input_shape) != wanted:
        shape = "x".join(str(v) for v in model.input_shape)
        raise TrainConfigError(
            f"{config.model} takes {shape} images (channels x height x width), but {info.title} "
            f"images are {'x'.join(str(v) for v in wanted)}; pick another model or dataset."
        )
    return model


def make_optimizer(config: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)


def make_schedule(config: TrainConfig, optimizer: torch.optim.Optimizer, total_steps: int):
    """A per-step learning-rate scheduler, or None for a constant learning rate."""
    if config.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    if config.schedule == "one-cycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=config.lr, total_steps=total_steps, pct_start=0.25,
            cycle_momentum=config.optimizer == "sgd",
        )
    return None
