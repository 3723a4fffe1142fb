"""Two classic small networks beside the modern ones: LeNet-5 as published in 1998, and Network in
Network (2014), which replaced the fully connected layers with 1x1 convolutions and a global
average.

    model.normalize    Normalize(mean, std)
    model.features     nn.Sequential of named layers (features.c1, features.block1.conv, ...)
    model.classifier   nn.Sequential ending in the logits
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

from torch import nn

from cnnviz.models import config_checks as check
from cnnviz.models.normalize import Normalize
from cnnviz.models.small import LeNet5, _resolve_mean_std, _SequentialClassifier


class LeNet5Published(LeNet5):
    """LeNet-5 as the 1998 paper draws it: a 32x32 input without padding, sigmoid-shaped
    activations and average-pooling subsampling (cnnviz's "lenet5" is the modern variant: ReLU and
    max pooling on a padded 28x28 image).

    Two simplifications remain, as in most re-implementations: the paper's squashing function was
    a scaled tanh and each subsampling unit had a trainable weight and bias; here they are a
    sigmoid and a plain average. The layer shapes and the 61,706 parameters are the paper's
    (with C3 fully connected).

    Args: as LeNet5, with the published defaults.
    """

    model_name = "lenet5_1998"

    def __init__(self, *, in_channels: int = 1, num_classes: int = 10, input_size: int = 32,
                 activation: str = "sigmoid", pool: str = "avg", mean: Sequence[float] | None = None,
                 std: Sequence[float] | None = None) -> None:
        super().__init__(in_channels=in_channels, num_classes=num_classes, input_size=input_size,
                         activation=activation, pool=pool, mean=mean, std=std)


def _mlpconv(in_channels: int, out_channels: int, kernel_size: int, last: int | None = None) -> nn.Sequential:
    """NiN's block: a k x k convolution, then two 1x1 convolutions (an MLP applied at every pixel),
    each followed by ReLU. ``last``: the second 1x1's outputs (default ``out_channels``)."""
    last = out_channels if last is None else last
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)),
        ("relu", nn.ReLU()),
        ("mlp1", nn.Conv2d(out_channels, out_channels, 1)),
        ("relu1", nn.ReLU()),
        ("mlp2", nn.Conv2d(out_channels, last, 1)),
        ("relu2", nn.ReLU()),
    ]))


class NiN(_SequentialClassifier):
    """Network in Network: three mlpconv blocks, then a global average over each class's map.

    Paper: Lin, Chen, Yan (2014), "Network In Network", https://arxiv.org/abs/1312.4400. Its CIFAR-10
    model, at cnnviz's image sizes:

        block1  conv 5x5 -> 96, 1x1 -> 96, 1x1 -> 96     (N, C, H, W) -> (N, 96, H, W)
        pool1   max 3x3 stride 2 (padding 1), dropout 0.5 -> H/2
        block2  conv 5x5 -> 192, 1x1, 1x1                -> (N, 192, H/2, W/2)
        pool2   average 3x3 stride 2 (padding 1), dropout 0.5 -> H/4
        block3  conv 3x3 -> 192, 1x1 -> 192, 1x1 -> num_classes
        gap     global average pooling: one number per class map, the logits (no linear layer)

    Args:
        in_channels: image channels; num_classes: outputs; input_size: pixels per side (8 or more).
        channels: (first block, the other two), default (96, 192) as in the paper.
        dropout: after the first two blocks, in [0, 1).
        mean, std: per-channel normalisation; None -> the default for ``in_channels``.
    """

    model_name = "nin"

    def __init__(self, *, in_channels: int = 1, num_classes: int = 10, input_size: int = 28,
                 channels: Sequence[int] = (96, 192), dropout: float = 0.5, mean: Sequence[float] | None = None,
                 std: Sequence[float] | None = None) -> None:
        super().__init__()
        name = self.model_name
        in_channels = check.positive_int(name, "in_channels", in_channels)
        num_classes = check.positive_int(name, "num_classes", num_classes)
        input_size = check.positive_int(name, "input_size", input_size, minimum=8)
        channels = check.int_list(name, "channels", channels, min_length=2, max_length=2)
        dropout = check.probability(name, "dropout", dropout)
        mean, std = _resolve_mean_std(name, in_channels, mean, std)
        first, rest = channels
        self.normalize = Normalize(mean, std)
        self.features = nn.Sequential(OrderedDict([
            ("block1", _mlpconv(in_channels, first, 5)),
            ("pool1", nn.MaxPool2d(3, stride=2, padding=1)),
            ("drop1", nn.Dropout(dropout)),
            ("block2", _mlpconv(first, rest, 5)),
            ("pool2", nn.AvgPool2d(3, stride=2, padding=1)),
            ("drop2", nn.Dropout(dropout)),
            ("block3", _mlpconv(rest, rest, 3, last=num_classes)),
        ]))
        self.classifier = nn.Sequential(OrderedDict([
            ("gap", nn.AdaptiveAvgPool2d(1)),  # (N, K, h, w) -> (N, K, 1, 1): the average of each class's map
            ("flatten", nn.Flatten()),
        ]))
        self._describe(
            {"in_channels": in_channels, "num_classes": num_classes, "input_size": input_size,
             "channels": list(channels), "dropout": dropout, "mean": mean, "std": std},
            (in_channels, input_size, input_size), num_classes,
        )
