"""Build any cnnviz model by name: get_model("lenet5", activation="tanh"), list_models(), model_spec().

The registry is one table: a ModelSpec (what the model is and teaches, its default settings)
and the constructor that builds it. ``default_config`` holds the constructor's defaults as
JSON values; None there means "chosen from the other settings" (e.g. a small model's mean and
std follow in_channels), and the built model's ``config`` shows what was chosen.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from typing import Any, Callable

from torch import nn

from cnnviz.models.classic import LeNet5Published, NiN
from cnnviz.models.imagenet import ImageNetClassifier
from cnnviz.models.small import CifarCNN, LeNet5, SmallCNN, TinyVGG


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What a registered model is, for menus and help text.

    Attributes:
        name: registry key, e.g. "resnet18".
        title: display name, e.g. "ResNet-18".
        description: one line on what the model teaches.
        family: "small" (trains on a CPU in minutes) or "imagenet" (torchvision, 224x224).
        default_config: constructor defaults; ``get_model(name, **default_config)`` equals
            ``get_model(name)``.
        paper: URL of the paper that introduced the architecture, or "".
    """

    name: str
    title: str
    description: str
    family: str
    default_config: dict = dataclasses.field(hash=False)  # a dict cannot be hashed; the name suffices
    paper: str = ""


def _imagenet_defaults(**extra: Any) -> dict:
    return {"num_classes": 1000, "weights": None, **extra}


_REGISTRY: dict[str, tuple[ModelSpec, Callable[..., nn.Module]]] = {
    spec.name: (spec, builder)
    for spec, builder in [
        (ModelSpec(
            "lenet5", "LeNet-5",
            "The first successful CNN: two conv + pool stages, then fully connected layers, for 28x28 or 32x32 digits.",
            "small",
            {"in_channels": 1, "num_classes": 10, "input_size": 28, "activation": "relu", "pool": "max",
             "mean": None, "std": None},
            "http://yann.lecun.com/exdb/publis/pdf/lecun-01a.pdf",
        ), LeNet5),
        (ModelSpec(
            "cifar_cnn", "CIFAR-10 CNN",
            "A tutorial VGG-style CNN for 32x32 colour images: three double-conv blocks with batch norm "
            "and dropout, 5.85 M parameters.",
            "small",
            {"num_classes": 10, "mean": None, "std": None},
            "",
        ), CifarCNN),
        (ModelSpec(
            "tinyvgg", "TinyVGG",
            "CNN Explainer's network: two blocks of conv-relu-conv-relu-maxpool on 64x64 images, small "
            "enough to draw every neuron.",
            "small",
            {"in_channels": 3, "input_size": 64, "hidden": 10, "num_classes": 10, "padding": 0,
             "mean": None, "std": None},
            "https://arxiv.org/abs/2004.15004",
        ), TinyVGG),
        (ModelSpec(
            "small_cnn", "Configurable CNN",
            "Build your own CNN (blocks, kernel size, batch norm, dropout, pooling); the default is a "
            "strong Fashion-MNIST model.",
            "small",
            {"in_channels": 1, "input_size": 28, "num_classes": 10, "channels": [32, 64, 128],
             "convs_per_block": 2, "kernel_size": 3, "batch_norm": True, "dropout": 0.3, "pool": "max",
             "global_pool": False, "activation": "relu", "mean": None, "std": None},
            "",
        ), SmallCNN),
        (ModelSpec(
            "lenet5_1998", "LeNet-5 (1998)",
            "LeNet-5 as published: a 32x32 input, sigmoid-shaped activations and average-pooling subsampling, "
            "the same 61,706 parameters as the modern variant.",
            "small",
            {"in_channels": 1, "num_classes": 10, "input_size": 32, "activation": "sigmoid", "pool": "avg",
             "mean": None, "std": None},
            "http://yann.lecun.com/exdb/publis/pdf/lecun-01a.pdf",
        ), LeNet5Published),
        (ModelSpec(
            "nin", "Network in Network",
            "Convolutions followed by 1x1 convolutions (a small MLP at every pixel), and a global average "
            "over each class's map instead of fully connected layers.",
            "small",
            {"in_channels": 1, "num_classes": 10, "input_size": 28, "channels": [96, 192], "dropout": 0.5,
             "mean": None, "std": None},
            "https://arxiv.org/abs/1312.4400",
        ), NiN),
        (ModelSpec(
            "alexnet", "AlexNet",
            "The 2012 ImageNet winner that started deep learning's rise: large early kernels, ReLU, "
            "dropout, 61 M parameters.",
            "imagenet", _imagenet_defaults(),
            "https://arxiv.org/abs/1404.5997",
        ), functools.partial(ImageNetClassifier, "alexnet")),
        (ModelSpec(
            "vgg16", "VGG-16",
            "Depth from stacked 3x3 convolutions only; 138 M parameters, most of them in the first "
            "fully connected layer.",
            "imagenet", _imagenet_defaults(),
            "https://arxiv.org/abs/1409.1556",
        ), functools.partial(ImageNetClassifier, "vgg16")),
        (ModelSpec(
            "googlenet", "GoogLeNet",
            "Inception blocks: parallel 1x1, 3x3 and 5x5 convolutions with 1x1 bottlenecks, then "
            "global average pooling.",
            "imagenet", _imagenet_defaults(transform_input=None),
            "https://arxiv.org/abs/1409.4842",
        ), functools.partial(ImageNetClassifier, "googlenet")),
        (ModelSpec(
            "resnet18", "ResNet-18",
            "Residual connections let very deep networks train: each block learns a correction "
            "added to its input.",
            "imagenet", _imagenet_defaults(),
            "https://arxiv.org/abs/1512.03385",
        ), functools.partial(ImageNetClassifier, "resnet18")),
        (ModelSpec(
            "resnet50", "ResNet-50",
            "A deeper ResNet with 1x1 bottleneck blocks: 25.6 M parameters, a standard ImageNet "
            "baseline.",
            "imagenet", _imagenet_defaults(),
            "https://arxiv.org/abs/1512.03385",
        ), functools.partial(ImageNetClassifier, "resnet50")),
    ]
}


def list_models() -> list[str]:
    """Names of every registered model, small ones first."""
    return list(_REGISTRY)


def model_spec(name: str) -> ModelSpec:
    """The ModelSpec of ``name``; raises ValueError (with the list of names) for an unknown one."""
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(f"There is no model called {name!r}. The models are: {', '.join(_REGISTRY)}.")
    spec = _REGISTRY[name][0]
    # A copy, so that a caller editing default_config cannot change the registry.
    return dataclasses.replace(spec, default_config=copy.deepcopy(spec.default_config))


def get_model(name: str, **config: Any) -> nn.Module:
    """Build a fresh model by name, in train mode, on the current default device.

    Args:
        name: one of ``list_models()``.
        **config: settings to change from ``model_spec(name).default_config``.

    Returns:
        The model, taking (N, *model.input_shape) floats in [0, 1] and returning logits
        (N, model.num_classes). ``get_model(**model.config)`` rebuilds the same architecture.

    Raises:
        ValueError: unknown name, unknown setting or a bad value, with a sentence saying which.
        WeightsUnavailable (a ValueError): weights="imagenet" on a machine that has not got them.

    Example:
        >>> get_model("lenet5", input_size=32).input_shape
        (1, 32, 32)
    """
    spec, build = _REGISTRY[model_spec(name).name]
    unknown = [key for key in config if key not in spec.default_config]
    if unknown:
        raise ValueError(
            f"{name} has no setting {unknown[0]!r}. Its settings are: {', '.join(spec.default_config)}."
        )
    return build(**config)


def get_structure(name: str, **config: Any) -> nn.Module:
    """``get_model(name, **config)`` built on PyTorch's "meta" device: every shape, no weights.

    For counting and tracing (parameters, shapes, receptive fields): VGG-16's 138 M weights are
    never allocated, so it builds in milliseconds. The layers an effective field needs can be
    given weights afterwards (effective_field.materialized_prefix).
    """
    import torch

    with torch.device("meta"):
        return get_model(name, **config)


def real_normalize(model: nn.Module):
    """A real copy of a structure's (get_structure) ``normalize`` layer: the model's mean and std
    (a small model records the ones it chose, a torchvision one uses ImageNet's)."""
    import torch

    from cnnviz.models.normalize import IMAGENET_MEAN, IMAGENET_STD, Normalize

    config = getattr(model, "config", {})
    with torch.device("cpu"):
        return Normalize(config.get("mean") or IMAGENET_MEAN, config.get("std") or IMAGENET_STD)
