"""Transfer learning: start a run from a trained network's feature extractor, with a new head.

A network's first layers learn generic features (edges, strokes, blobs) that other images share;
its last layers map them to its own classes. A transfer run copies ``model.features`` (the
convolutional part of every small cnnviz model) from a checkpoint, initialises ``model.classifier``
afresh with the run's seed, and with ``freeze="features"`` trains the head alone:

- the copied parameters get ``requires_grad=False`` (the optimizer only receives trainable
  parameters: build.make_optimizer), so they stay bit-identical to the checkpoint's;
- the feature extractor stays in eval mode whatever sets the model's mode (the loop's
  ``model.train()`` at each epoch start, the live probe restoring its mode): its ``train`` is
  replaced by one that always means eval, so batch norm keeps the checkpoint's running statistics
  and any dropout in it stays off.

The architecture comes from the checkpoint (its config, less what the dataset sets: channels in,
classes, input size and normalisation), so the features fit; a model name, input shape or layer
that does not fit is refused with one sentence (TrainConfigError).

The Training page may only name the checkpoints shipped in pretrained/ (``SHIPPED``, by name,
never a path from a client); the command line takes any path its user gives.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, replace
from pathlib import Path

from torch import nn

from cnnviz.paths import PRETRAINED_DIR
from cnnviz.train.config import TrainConfig, TrainConfigError

# The shipped Fashion-MNIST networks the page offers, by name (pretrained/<name>.pt).
SHIPPED = ("lenet5-fashion-mnist", "small-cnn-fashion-mnist")
FEATURES = "features"  # the module every small cnnviz model keeps its convolutions under
_FROM_DATASET = ("name", "in_channels", "num_classes", "input_size", "mean", "std")


@dataclass(frozen=True)
class TransferReport:
    """What a transfer run took and what it trains.

    Attributes:
        source: the checkpoint's name, e.g. "lenet5-fashion-mnist" (its file name without .pt).
        freeze: the config's freeze ("features" or "none").
        copied: how many tensors (parameters and buffers) were copied from the checkpoint.
        frozen_parameters, trainable_parameters: parameter counts (numbers, not tensors).
    """

    source: str
    freeze: str
    copied: int
    frozen_parameters: int
    trainable_parameters: int

    def meta(self) -> dict:
        """The checkpoint meta's "transfer" entry."""
        return {"from": self.source, "freeze": self.freeze, "copied_tensors": self.copied,
                "frozen_parameters": self.frozen_parameters, "trainable_parameters": self.trainable_parameters}


def is_shipped(name: str) -> bool:
    """True for the name of a shipped checkpoint the page may offer."""
    return isinstance(name, str) and name in SHIPPED


def source_path(transfer_from: str) -> Path:
    """The checkpoint file: pretrained/<name>.pt for a shipped name, else the path as given."""
    if is_shipped(transfer_from):
        return PRETRAINED_DIR / f"{transfer_from}.pt"
    return Path(transfer_from)


def source_name(transfer_from: str) -> str:
    """The name a page and a model card show: the file name without .pt."""
    return Path(transfer_from).name.removesuffix(".pt")


def load_source(transfer_from: str):
    """The source checkpoint, opened (a cnnviz model with .config and .input_shape).

    Raises:
        TrainConfigError: it cannot be read, or has no feature extractor.
    """
    from cnnviz.models import CheckpointError, load_checkpoint

    path = source_path(transfer_from)
    try:
        source = load_checkpoint(path)
    except (CheckpointError, OSError) as error:
        raise TrainConfigError(f"The network to transfer from ({source_name(transfer_from)}) could not be opened. "
                               f"{str(error).rstrip('.')}.") from error
    if not isinstance(getattr(source, FEATURES, None), nn.Module):
        raise TrainConfigError(f"{source_name(transfer_from)} has no feature extractor (model.features) to reuse; "
                               "pick a small cnnviz network such as lenet5 or small_cnn.")
    return source


def architecture_options(source) -> dict:
    """The source's model settings that are not the dataset's: the new model is built with these."""
    return {key: value for key, value in source.config.items() if key not in _FROM_DATASET}


def _refuse_other_model(config: TrainConfig, source) -> None:
    if source.config.get("name") != config.model:
        raise TrainConfigError(f"{source_name(config.transfer_from)} is a {source.config.get('name')}, not a "
                               f"{config.model}: choose {source.config.get('name')} as the model to reuse its features.")


def _refuse_other_shape(config: TrainConfig, source, shape: tuple[int, ...]) -> None:
    name = source_name(config.transfer_from)
    if tuple(source.input_shape) != tuple(shape):
        have, want = ("x".join(str(v) for v in size) for size in (source.input_shape, shape))
        raise TrainConfigError(f"{name} takes {have} images but this dataset's are {want}; its features only fit "
                               f"images of the size it was trained on (digits-28 for a 28x28 network).")


def _copy_features(config: TrainConfig, source, model: nn.Module) -> int:
    theirs = source.state_dict()
    ours = {key: value for key, value in model.state_dict().items() if key.startswith(f"{FEATURES}.")}
    for key, value in ours.items():
        if key not in theirs or theirs[key].shape != value.shape:
            shape = "x".join(str(v) for v in theirs[key].shape) if key in theirs else "missing"
            raise TrainConfigError(
                f"The features of {source_name(config.transfer_from)} do not fit this {config.model}: {key} is "
                f"{shape} there and {'x'.join(str(v) for v in value.shape)} here; keep the checkpoint's model settings.")
    model.load_state_dict({**model.state_dict(), **{key: theirs[key] for key in ours}})
    return len(ours)


def _always_eval(module: nn.Module, mode: bool = True) -> nn.Module:
    """A frozen module's train(): whatever is asked, it (and every module in it) stays in eval mode."""
    return nn.Module.train(module, False)


def freeze_module(module: nn.Module) -> None:
    """No gradients for ``module``'s parameters, and eval mode for good (see the module docstring)."""
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    module.train = types.MethodType(_always_eval, module)
    module.eval()


def build_transfer_model(config: TrainConfig, info) -> tuple[nn.Module, TransferReport]:
    """The run's model with the source's features copied in (and frozen when asked), and the report.

    Call it after seeding torch: the new head's initial weights come from the run's seed.

    Raises:
        TrainConfigError: the checkpoint cannot be read, or its architecture or input shape does not
            fit the run's model and dataset.
    """
    from cnnviz.train.build import build_model

    source = load_source(config.transfer_from)
    _refuse_other_model(config, source)
    _refuse_other_shape(config, source, (info.channels, info.height, info.width))
    options = {**architecture_options(source), **config.model_options}
    model = build_model(replace(config, model_options=options), info)
    copied = _copy_features(config, source, model)
    if config.freeze == FEATURES:
        freeze_module(getattr(model, FEATURES))
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return model, TransferReport(source_name(config.transfer_from), config.freeze, copied, frozen, trainable)


def scratch_twin(config: TrainConfig) -> TrainConfig:
    """The same run from scratch: the source's architecture, random weights, nothing frozen."""
    source = load_source(config.transfer_from)
    return replace(config, transfer_from=None, freeze="none",
                   model_options={**architecture_options(source), **config.model_options})


FROZEN_LABEL = "Frozen features from {source} + a new head"
SCRATCH_LABEL = "From scratch"


def member_labels(config: TrainConfig) -> tuple[str, str]:
    """The comparison's two members, as its table and legends name them."""
    return FROZEN_LABEL.format(source=source_name(config.transfer_from)), SCRATCH_LABEL
