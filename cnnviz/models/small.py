"""Small CNNs that train on a laptop CPU: LeNet-5, the tutorial CIFAR-10 CNN, TinyVGG, SmallCNN.

All four share one layout, so that pages can treat them alike:

    model.normalize    Normalize(mean, std): [0, 1] pixels -> standardised values
    model.features     nn.Sequential of named conv / activation / pool layers (e.g. features.c1)
    model.classifier   nn.Sequential from the last feature map to the logits

and carry ``config`` (the settings, such that ``get_model(**model.config)`` rebuilds the same
network), ``input_shape`` (C, H, W) and ``num_classes``. Layers are named, not numbered, so a
page can label a feature map "conv2_1" and a student can find it in the printed model.

Activations are never in-place: hooks and attribution methods (Grad-CAM, captum) need every
layer's output to survive the next layer.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Sequence

import torch
from torch import nn

from cnnviz.models import config_checks as check
from cnnviz.models.normalize import CIFAR10_MEAN, CIFAR10_STD, Normalize, default_mean_std

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}
POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def _conv_output_size(size: int, kernel_size: int, padding: int) -> int:
    """W_out = W_in - F + 2P + 1: the output-size formula of docs/teaching.md at stride 1, dilation 1."""
    return size - kernel_size + 2 * padding + 1


class _SequentialClassifier(nn.Module):
    """normalize -> features -> classifier. Subclasses fill the three parts, in that order."""

    model_name: str = ""
    normalize: Normalize
    features: nn.Sequential
    classifier: nn.Sequential

    def _describe(self, config: dict, input_shape: tuple[int, int, int], num_classes: int) -> None:
        self.config = {"name": self.model_name, **config}
        self.input_shape = input_shape
        self.num_classes = num_classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x (N, C, H, W) floats in [0, 1]. Returns: logits (N, num_classes)."""
        return self.classifier(self.features(self.normalize(x)))


def _resolve_mean_std(model: str, in_channels: int, mean, std) -> tuple[list[float], list[float]]:
    default_mean, default_std = default_mean_std(in_channels)
    mean = check.float_list(model, "mean", default_mean if mean is None else mean, length=in_channels)
    std = check.float_list(model, "std", default_std if std is None else std, length=in_channels, positive=True)
    return mean, std


class LeNet5(_SequentialClassifier):
    """LeNet-5: two convolution + subsampling stages, then three fully connected layers.

    Paper: LeCun, Bottou, Bengio, Haffner (1998), "Gradient-based learning applied to document
    recognition", http://yann.lecun.com/exdb/publis/pdf/lecun-01a.pdf

    Shapes for input_size 28 (C1 pads by 2) or 32 (no padding); both give 28 after C1:

        c1  conv 5x5, 6 maps     (N, 1, 28, 28) -> (N, 6, 28, 28)
        s2  pool 2x2             -> (N, 6, 14, 14)
        c3  conv 5x5, 16 maps    -> (N, 16, 10, 10)
        s4  pool 2x2             -> (N, 16, 5, 5)
        c5  conv 5x5, 120 maps   -> (N, 120, 1, 1)   (a conv in the paper; here too)
        f6  linear 120 -> 84, then output 84 -> num_classes

    Unlike the paper, C3 connects every S2 map to every C3 map (the paper's sparse table saved
    computation in 1998), and the output layer is a plain linear layer, not RBF units.

    Args:
        in_channels: image channels (1 for digits / Fashion-MNIST).
        num_classes: number of output logits.
        input_size: 28 or 32 (pixels per side).
        activation: "relu" (modern), "tanh" or "sigmoid" (closer to the original).
        pool: "max" (modern) or "avg" (the original's subsampling).
        mean, std: per-channel normalisation; None -> the default for ``in_channels``.
    """

    model_name = "lenet5"

    def __init__(
        self,
        *,
        in_channels: int = 1,
        num_classes: int = 10,
        input_size: int = 28,
        activation: str = "relu",
        pool: str = "max",
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        name = self.model_name
        in_channels = check.positive_int(name, "in_channels", in_channels)
        num_classes = check.positive_int(name, "num_classes", num_classes)
        input_size = check.choice(name, "input_size", input_size, (28, 32))
        activation = check.choice(name, "activation", activation, ("relu", "tanh", "sigmoid"))
        pool = check.choice(name, "pool", pool, tuple(POOLS))
        mean, std = _resolve_mean_std(name, in_channels, mean, std)

        act, pool_layer = ACTIVATIONS[activation], POOLS[pool]
        # Padding 2 turns a 28x28 image into the 32x32 field the architecture was designed for.
        c1_padding = (32 - input_size) // 2
        self.normalize = Normalize(mean, std)
        self.features = nn.Sequential(OrderedDict([
            ("c1", nn.Conv2d(in_channels, 6, kernel_size=5, padding=c1_padding)),
            ("act1", act()),
            ("s2", pool_layer(kernel_size=2, stride=2)),
            ("c3", nn.Conv2d(6, 16, kernel_size=5)),
            ("act3", act()),
            ("s4", pool_layer(kernel_size=2, stride=2)),
            ("c5", nn.Conv2d(16, 120, kernel_size=5)),
            ("act5", act()),
        ]))
        self.classifier = nn.Sequential(OrderedDict([
            ("flatten", nn.Flatten()),  # (N, 120, 1, 1) -> (N, 120)
            ("f6", nn.Linear(120, 84)),
            ("act6", act()),
            ("output", nn.Linear(84, num_classes)),
        ]))
        self._describe(
            {"in_channels": in_channels, "num_classes": num_classes, "input_size": input_size,
             "activation": activation, "pool": pool, "mean": mean, "std": std},
            (in_channels, input_size, input_size), num_classes,
        )


class CifarCNN(_SequentialClassifier):
    """The tutorial CIFAR-10 CNN: three VGG-style double-conv blocks, then three linear layers.

    Exactly 5,852,170 trainable parameters; 22.33 MiB of fp32 parameters and buffers. All convs
    are 3x3 with padding 1, so only the pools shrink the map:

        block 1  conv1 3->32, bn1, relu, conv2 32->64, relu, pool1    (N, 64, 16, 16)
        block 2  conv3 64->128, bn3, relu, conv4 128->128, relu, pool2, drop2 (Dropout2d 0.05)
                                                                       (N, 128, 8, 8)
        block 3  conv5 128->256, bn5, relu, conv6 256->256, relu, pool3 (N, 256, 4, 4)
        classifier  flatten (N, 4096), dropout 0.1, fc1 4096->1024, relu, fc2 1024->512, relu,
                    dropout 0.1, fc3 512->num_classes

    The architecture is fixed (it is the one whose numbers the course quotes); only the head
    size and the normalisation can change.

    Args:
        num_classes: number of output logits (10 for CIFAR-10).
        mean, std: per-channel normalisation of the RGB input; None -> CIFAR-10 statistics.
    """

    model_name = "cifar_cnn"

    def __init__(
        self,
        *,
        num_classes: int = 10,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        name = self.model_name
        num_classes = check.positive_int(name, "num_classes", num_classes)
        mean = check.float_list(name, "mean", CIFAR10_MEAN if mean is None else mean, length=3)
        std = check.float_list(name, "std", CIFAR10_STD if std is None else std, length=3, positive=True)

        def conv(c_in: int, c_out: int) -> nn.Conv2d:
            return nn.Conv2d(c_in, c_out, kernel_size=3, padding=1)

        self.normalize = Normalize(mean, std)
        self.features = nn.Sequential(OrderedDict([
            ("conv1", conv(3, 32)), ("bn1", nn.BatchNorm2d(32)), ("relu1", nn.ReLU()),
            ("conv2", conv(32, 64)), ("relu2", nn.ReLU()),
            ("pool1", nn.MaxPool2d(2, 2)),
            ("conv3", conv(64, 128)), ("bn3", nn.BatchNorm2d(128)), ("relu3", nn.ReLU()),
            ("conv4", conv(128, 128)), ("relu4", nn.ReLU()),
            ("pool2", nn.MaxPool2d(2, 2)),
            ("drop2", nn.Dropout2d(p=0.05)),
            ("conv5", conv(128, 256)), ("bn5", nn.BatchNorm2d(256)), ("relu5", nn.ReLU()),
            ("conv6", conv(256, 256)), ("relu6", nn.ReLU()),
            ("pool3", nn.MaxPool2d(2, 2)),
        ]))
        self.classifier = nn.Sequential(OrderedDict([
            ("flatten", nn.Flatten()),  # (N, 256, 4, 4) -> (N, 4096)
            ("drop1", nn.Dropout(p=0.1)),
            ("fc1", nn.Linear(4096, 1024)), ("relu1", nn.ReLU()),
            ("fc2", nn.Linear(1024, 512)), ("relu2", nn.ReLU()),
            ("drop2", nn.Dropout(p=0.1)),
            ("fc3", nn.Linear(512, num_classes)),
        ]))
        self._describe({"num_classes": num_classes, "mean": mean, "std": std}, (3, 32, 32), num_classes)


class TinyVGG(_SequentialClassifier):
    """TinyVGG, the network CNN Explainer draws: two blocks of (conv, relu, conv, relu, maxpool).

    Paper: Wang et al. (2020), "CNN Explainer: Learning Convolutional Neural Networks with
    Interactive Visualization", https://arxiv.org/abs/2004.15004

    With CNN Explainer's settings (64x64x3 input, 10 channels, 3x3 kernels, no padding):

        conv1_1, relu1_1  (N, 3, 64, 64) -> (N, 10, 62, 62)
        conv1_2, relu1_2  -> (N, 10, 60, 60);  pool1 -> (N, 10, 30, 30)
        conv2_1, relu2_1  -> (N, 10, 28, 28)
        conv2_2, relu2_2  -> (N, 10, 26, 26);  pool2 -> (N, 10, 13, 13)
        flatten (N, 1690), fc -> (N, num_classes)

    CNN Explainer fed raw [0, 1] pixels, so the default normalisation is the identity
    (mean 0, std 1).

    Args:
        in_channels: image channels.
        input_size: pixels per side (square images).
        hidden: channels of every conv layer.
        num_classes: number of output logits.
        padding: zero padding of every 3x3 conv; 0 ("valid", as CNN Explainer) or 1 ("same").
        mean, std: per-channel normalisation; None -> 0 and 1 (no change).
    """

    model_name = "tinyvgg"

    def __init__(
        self,
        *,
        in_channels: int = 3,
        input_size: int = 64,
        hidden: int = 10,
        num_classes: int = 10,
        padding: int = 0,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        name = self.model_name
        in_channels = check.positive_int(name, "in_channels", in_channels)
        input_size = check.positive_int(name, "input_size", input_size)
        hidden = check.positive_int(name, "hidden", hidden)
        num_classes = check.positive_int(name, "num_classes", num_classes)
        padding = check.choice(name, "padding", padding, (0, 1))
        mean = check.float_list(name, "mean", [0.0] * in_channels if mean is None else mean, length=in_channels)
        std = check.float_list(
            name, "std", [1.0] * in_channels if std is None else std, length=in_channels, positive=True
        )

        # Each block: two 3x3 convs (each changes the size by 2P - 2), then a 2x2 max pool.
        size = input_size
        for _ in range(2):
            size = _conv_output_size(_conv_output_size(size, 3, padding), 3, padding)
            if size < 2:
                raise ValueError(
                    f"{name}: an input of {input_size}x{input_size} pixels is too small for two "
                    f"blocks of 3x3 convolutions and pooling with padding {padding}; use a larger "
                    f"input_size (at least 16 works with padding 0)."
                )
            size //= 2

        def conv(c_in: int) -> nn.Conv2d:
            return nn.Conv2d(c_in, hidden, kernel_size=3, padding=padding)

        self.normalize = Normalize(mean, std)
        self.features = nn.Sequential(OrderedDict([
            ("conv1_1", conv(in_channels)), ("relu1_1", nn.ReLU()),
            ("conv1_2", conv(hidden)), ("relu1_2", nn.ReLU()),
            ("pool1", nn.MaxPool2d(2, 2)),
            ("conv2_1", conv(hidden)), ("relu2_1", nn.ReLU()),
            ("conv2_2", conv(hidden)), ("relu2_2", nn.ReLU()),
            ("pool2", nn.MaxPool2d(2, 2)),
        ]))
        self.classifier = nn.Sequential(OrderedDict([
            ("flatten", nn.Flatten()),  # (N, hidden, size, size) -> (N, hidden * size * size)
            ("fc", nn.Linear(hidden * size * size, num_classes)),
        ]))
        self._describe(
            {"in_channels": in_channels, "input_size": input_size, "hidden": hidden,
             "num_classes": num_classes, "padding": padding, "mean": mean, "std": std},
            (in_channels, input_size, input_size), num_classes,
        )


class SmallCNN(_SequentialClassifier):
    """A configurable CNN: INPUT -> [[CONV -> (BN) -> ACT] * convs_per_block -> POOL] * blocks -> FC.

    Convolutions use "same" padding (P = (F - 1) / 2), so only the 2x2 pools shrink the map.
    The default (channels [32, 64, 128], two 3x3 convs per block, batch norm, dropout 0.3) is a
    strong Fashion-MNIST model: 28 -> 14 -> 7 -> 3 pixels, then flatten (N, 1152) -> 10 logits.

    Layer names: features.conv{b}_{i}, features.bn{b}_{i}, features.act{b}_{i}, features.pool{b}
    (block b and conv i counted from 1); classifier.gap (global_pool only), classifier.flatten,
    classifier.dropout (dropout > 0 only), classifier.fc.

    Args:
        in_channels: image channels.
        input_size: pixels per side (square images).
        num_classes: number of output logits.
        channels: output channels of each block, e.g. [32, 64]; one block per entry.
        convs_per_block: 1 or 2 convolutions before each pool.
        kernel_size: 3 or 5.
        batch_norm: put a BatchNorm2d after every conv (the conv then has no bias: BN's shift
            does that job).
        dropout: dropout rate before the last linear layer, in [0, 1).
        pool: "max" or "avg".
        global_pool: average each final map to one number (N, C, 1, 1) instead of flattening it,
            as NiN and ResNet do; the head then has channels[-1] inputs whatever the image size.
        activation: "relu", "leaky_relu", "gelu", "tanh" or "sigmoid".
        mean, std: per-channel normalisation; None -> the default for ``in_channels``.
    """

    model_name = "small_cnn"

    def __init__(
        self,
        *,
        in_channels: int = 1,
        input_size: int = 28,
        num_classes: int = 10,
        channels: Sequence[int] = (32, 64, 128),
        convs_per_block: int = 2,
        kernel_size: int = 3,
        batch_norm: bool = True,
        dropout: float = 0.3,
        pool: str = "max",
        global_pool: bool = False,
        activation: str = "relu",
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        name = self.model_name
        in_channels = check.positive_int(name, "in_channels", in_channels)
        input_size = check.positive_int(name, "input_size", input_size)
        num_classes = check.positive_int(name, "num_classes", num_classes)
        channels = check.int_list(name, "channels", channels, max_length=6)
        convs_per_block = check.choice(name, "convs_per_block", convs_per_block, (1, 2))
        kernel_size = check.choice(name, "kernel_size", kernel_size, (3, 5))
        batch_norm = check.flag(name, "batch_norm", batch_norm)
        dropout = check.probability(name, "dropout", dropout)
        pool = check.choice(name, "pool", pool, tuple(POOLS))
        global_pool = check.flag(name, "global_pool", global_pool)
        activation = check.choice(name, "activation", activation, tuple(ACTIVATIONS))
        mean, std = _resolve_mean_std(name, in_channels, mean, std)

        # "same" convs keep the size; each 2x2 pool halves it (rounding down) and needs >= 2.
        size = input_size
        for _ in channels:
            if size < 2:
                raise ValueError(
                    f"{name}: an input of {input_size}x{input_size} pixels shrinks to nothing after "
                    f"{len(channels)} pooling steps; use fewer blocks in 'channels' or a larger input_size."
                )
            size //= 2

        layers: list[tuple[str, nn.Module]] = []
        c_in = in_channels
        for block, c_out in enumerate(channels, start=1):
            for index in range(1, convs_per_block + 1):
                tag = f"{block}_{index}"
                layers.append((f"conv{tag}", nn.Conv2d(
                    c_in, c_out, kernel_size, padding=(kernel_size - 1) // 2, bias=not batch_norm)))
                if batch_norm:
                    layers.append((f"bn{tag}", nn.BatchNorm2d(c_out)))
                layers.append((f"act{tag}", ACTIVATIONS[activation]()))
                c_in = c_out
            layers.append((f"pool{block}", POOLS[pool](kernel_size=2, stride=2)))
        self.normalize = Normalize(mean, std)
        self.features = nn.Sequential(OrderedDict(layers))

        head: list[tuple[str, nn.Module]] = []
        if global_pool:
            head.append(("gap", nn.AdaptiveAvgPool2d(1)))  # (N, C, size, size) -> (N, C, 1, 1)
            flat = c_in
        else:
            flat = c_in * size * size
        head.append(("flatten", nn.Flatten()))  # -> (N, flat)
        if dropout > 0:
            head.append(("dropout", nn.Dropout(p=dropout)))
        head.append(("fc", nn.Linear(flat, num_classes)))
        self.classifier = nn.Sequential(OrderedDict(head))
        self._describe(
            {"in_channels": in_channels, "input_size": input_size, "num_classes": num_classes,
             "channels": channels, "convs_per_block": convs_per_block, "kernel_size": kernel_size,
             "batch_norm": batch_norm, "dropout": dropout, "pool": pool, "global_pool": global_pool,
             "activation": activation, "mean": mean, "std": std},
            (in_channels, input_size, input_size), num_classes,
        )
