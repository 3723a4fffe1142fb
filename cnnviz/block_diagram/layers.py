"""What one layer is called in a box ("Conv 3×3, 64, stride 2", "Max pool 2×2 /2", "FC 4096"), its kind,
and the word it adds when it is folded into the box before it ("ReLU", "BN")."""

from __future__ import annotations

from dataclasses import dataclass


def _pair(value) -> tuple[int, int]:
    return (int(value[0]), int(value[1])) if isinstance(value, (tuple, list)) else (int(value), int(value))


def _times(pair: tuple[int, int]) -> str:
    return f"{pair[0]}×{pair[1]}"


# Class names of layers that keep (or only flatten) the shape, and the word a folded one adds.
_FOLDED_WORDS = {
    "ReLU": "ReLU", "ReLU6": "ReLU6", "LeakyReLU": "leaky ReLU", "GELU": "GELU", "SiLU": "SiLU", "Sigmoid": "sigmoid",
    "Tanh": "tanh", "BatchNorm1d": "BN", "BatchNorm2d": "BN", "LocalResponseNorm": "LRN", "Dropout": "dropout",
    "Dropout2d": "dropout", "Flatten": "flatten", "Identity": "", "Normalize": "normalise",
}
_FOLDED_FUNCTIONS = {"relu": "ReLU", "relu_": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh", "dropout": "dropout",
                     "flatten": "flatten", "view": "flatten", "reshape": "flatten"}


@dataclass(frozen=True)
class Layer:
    """What one layer is: its box's name and kind, its kernel and stride, and its folded word
    (None when it never folds)."""

    name: str
    kind: str = "other"
    kernel: tuple[int, int] | None = None
    stride: tuple[int, int] | None = None
    folds_as: str | None = None


def module_layer(module, shape: tuple[int, ...]) -> Layer:
    from torch import nn

    kind = type(module).__name__
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        kernel, stride = _pair(module.kernel_size), _pair(module.stride)
        what = "Transposed conv" if isinstance(module, nn.ConvTranspose2d) else "Conv"
        name = f"{what} {_times(kernel)}, {module.out_channels}"
        for setting, value in (("stride", stride), ("dilation", _pair(module.dilation))):
            if value != (1, 1):
                name += f", {setting} {value[0] if value[0] == value[1] else _times(value)}"
        if module.groups > 1:
            name += f", {module.groups} groups"
        return Layer(name, "conv", kernel, stride)
    if isinstance(module, nn.Linear):
        return Layer(f"FC {module.out_features}", "fc")
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kernel, stride = _pair(module.kernel_size), _pair(module.stride or module.kernel_size)
        what = "Max" if isinstance(module, nn.MaxPool2d) else "Avg"
        step = str(stride[0]) if stride[0] == stride[1] else _times(stride)
        return Layer(f"{what} pool {_times(kernel)} /{step}", "pool", kernel, stride)
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        what = "avg" if isinstance(module, nn.AdaptiveAvgPool2d) else "max"
        size = tuple(shape[-2:])
        return Layer(f"Global {what} pool" if size == (1, 1) else f"{what.capitalize()} pool → {_times(size)}", "pool")
    return Layer(kind, folds_as=_FOLDED_WORDS.get(kind))


def function_layer(op: str, tensor_inputs: int, shape: tuple[int, ...]) -> Layer:
    if op in ("cat", "concat", "concatenate"):
        return Layer("Concat", "merge")
    if op in ("add", "iadd", "__add__", "__iadd__") and tensor_inputs > 1:
        return Layer("Add (+)", "merge")
    if op in ("mul", "__mul__") and tensor_inputs > 1:
        return Layer("Multiply (×)", "merge")
    if op == "adaptive_avg_pool2d":
        return Layer("Global avg pool" if tuple(shape[-2:]) == (1, 1) else f"Avg pool → {_times(shape[-2:])}", "pool")
    word = _FOLDED_FUNCTIONS.get(op)
    return Layer(word[0].upper() + word[1:] if word else op, folds_as=word)
