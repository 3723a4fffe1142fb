"""The layer builder: a stack of convolutions, poolings and fully connected (FC) layers that a
student types into a table, the whole CNN pattern from the input image to the class scores.

Every limit of the builder is declared here, once. The page's table and inputs read their ranges
from these constants, and ``stack_from_records`` and ``check_stack`` enforce the same ranges on
the server: a browser's limits bind only a browser that plays by them, and a crafted client can
send any value. A value out of range becomes one sentence naming the layer and the setting.

Stacks are built on PyTorch's "meta" device: receptive fields and counts need shapes only, so a
stack of 1024-channel 31x31 convolutions (billions of weights) is counted in milliseconds and
takes no memory.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from cnnviz.receptive import LayerField, ReceptiveFieldError, receptive_fields

STACK_KINDS = ("conv", "max pool", "avg pool", "fc")
# The builder's ranges, inclusive: the table's column limits and the server's checks.
SETTING_RANGES = {
    "kernel": (1, 31),
    "stride": (1, 8),
    "padding": (0, 16),
    "dilation": (1, 16),
    "channels": (1, 1024),
}
MAX_LAYERS = 32
INPUT_SIZE_RANGE = (1, 512)  # side of the square input, in pixels
INPUT_CHANNELS = (3, 1)  # colour or grey, colour first as in the menu
LESSON_CHANNELS_RANGE = (1, 512)  # C of the "three 3x3 against one 7x7" lesson

_SETTING_NAMES = {
    "kernel": "the kernel",
    "stride": "the stride",
    "padding": "the padding",
    "dilation": "the dilation",
    "channels": "the number of channels",
}
_SHOWN_CHARACTERS = 24  # a crafted value may be a megabyte of text: quote only its start


@dataclass(frozen=True)
class StackLayer:
    """One row of the page's layer builder.

    Attributes:
        kind: one of STACK_KINDS.
        kernel, stride, padding, dilation: whole numbers within SETTING_RANGES; dilation only for conv,
            none of them for fc.
        channels: output channels of a conv, or units (output features) of an fc; pooling keeps
            the channel count.
        ceil_mode: pooling rounds the output size up instead of down.
    """

    kind: str = "conv"
    kernel: int = 3
    stride: int = 1
    padding: int = 1
    dilation: int = 1
    channels: int = 16
    ceil_mode: bool = False

    def describe(self) -> str:
        if self.kind == "fc":
            return f"fc, {self.channels} units"
        if self.kind == "conv":
            extra = f", dilation {self.dilation}" if self.dilation != 1 else ""
            return f"conv {self.kernel}x{self.kernel}, stride {self.stride}, padding {self.padding}{extra}"
        return f"{self.kind} {self.kernel}x{self.kernel}, stride {self.stride}, padding {self.padding}"


STACK_COLUMNS = ("kind", "kernel", "stride", "padding", "dilation", "channels", "ceil_mode")  # StackLayer's fields


@dataclass(frozen=True)
class StackReport:
    """Fields and counts of one stack at one input size.

    Attributes:
        fields: one LayerField per builder layer, in order.
        parameters: parameters of each builder layer (weights and biases), in order.
        total_parameters, total_mult_adds: for the whole stack and one image.
        diagram: the stack drawn box by box from the built model (cnnviz.block_diagram).
    """

    fields: tuple[LayerField, ...]
    parameters: tuple[int, ...]
    total_parameters: int
    total_mult_adds: int
    diagram: Any = None


# --- reading values a client sent ---------------------------------------------------------------


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= _SHOWN_CHARACTERS else text[: _SHOWN_CHARACTERS - 3] + "..."


def _whole_number(value: Any) -> int | None:
    """``value`` as an int when it is a whole number (3, 3.0, a numpy integer), otherwise None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def _is_empty(value: Any) -> bool:
    """None or NaN: how the table hands over a cell left empty (a new row's cells)."""
    return value is None or (isinstance(value, numbers.Real) and value != value)


def _checked_setting(number: int, setting: str, value: Any, kind: str = "conv") -> int:
    low, high = SETTING_RANGES[setting]
    whole = _whole_number(value)
    if whole is None or not low <= whole <= high:
        name = "the number of units" if kind == "fc" and setting == "channels" else _SETTING_NAMES[setting]
        raise ReceptiveFieldError(
            f"Layer {number}: {name} must be a whole number between {low} and {high}; "
            f"got {_shown(value)}."
        )
    return whole


def _checked_kind(number: int, kind: Any) -> str:
    if not isinstance(kind, str) or kind not in STACK_KINDS:
        raise ReceptiveFieldError(f"Layer {number}: the kind must be one of {', '.join(STACK_KINDS)}; got {_shown(kind)}.")
    return kind


def _checked_ceil_mode(number: int, value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)) or _whole_number(value) in (0, 1):
        return bool(value)
    raise ReceptiveFieldError(f"Layer {number}: 'round up' must be on or off; got {_shown(value)}.")


def _checked_count(count: int) -> None:
    if count == 0:
        raise ReceptiveFieldError("Add at least one layer to the stack.")
    if count > MAX_LAYERS:
        raise ReceptiveFieldError(f"A stack can have at most {MAX_LAYERS} layers; this one has {count:,}.")


def stack_from_records(records: Sequence[Mapping[str, Any]]) -> list[StackLayer]:
    """The builder table's rows as StackLayers, every value checked against the builder's ranges.

    Args:
        records: one mapping per row, keyed by STACK_COLUMNS, as the page's table returns them.
            Values come from the client: anything may arrive. Empty cells (None, NaN) of a new row
            take StackLayer's defaults; other keys are ignored.

    Returns:
        The layers, first layer first.

    Raises:
        ReceptiveFieldError: too many rows, or the first value out of range or not a number,
            naming the layer and the setting.
    """
    _checked_count(len(records))
    defaults = StackLayer()
    layers = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            raise ReceptiveFieldError(f"Layer {number} is not a row of settings; got {_shown(record)}.")
        values = {}
        for column in STACK_COLUMNS:
            value = record.get(column)
            values[column] = getattr(defaults, column) if _is_empty(value) else value
        kind = _checked_kind(number, values["kind"])
        layers.append(StackLayer(
            kind=kind,
            **{setting: _checked_setting(number, setting, values[setting], kind) for setting in SETTING_RANGES},
            ceil_mode=_checked_ceil_mode(number, values["ceil_mode"]),
        ))
    return layers


def _checked_size(input_size: Any) -> int:
    low, high = INPUT_SIZE_RANGE
    size = _whole_number(input_size)
    if size is None or not low <= size <= high:
        raise ReceptiveFieldError(
            f"The input size must be a whole number of pixels between {low} and {high}; got {_shown(input_size)}."
        )
    return size


def check_input(in_channels: Any, input_size: Any) -> tuple[int, int]:
    """(channels, size) of the builder's input image, checked; raises ReceptiveFieldError with a sentence."""
    channels = _whole_number(in_channels)
    if channels not in INPUT_CHANNELS:
        raise ReceptiveFieldError(f"The input has 1 channel (grey) or 3 (colour); got {_shown(in_channels)}.")
    return channels, _checked_size(input_size)


# --- shapes --------------------------------------------------------------------------------------


def _stack_output_size(layer: StackLayer, size: int) -> int:
    span = layer.dilation * (layer.kernel - 1) + 1 if layer.kind == "conv" else layer.kernel
    numerator = size + 2 * layer.padding - span
    if layer.kind != "conv" and layer.ceil_mode:
        out = -(-numerator // layer.stride) + 1
        # torch drops a last window that would start inside the right padding only.
        if (out - 1) * layer.stride >= size + layer.padding:
            out -= 1
        return out
    return numerator // layer.stride + 1


def check_stack(layers: Sequence[StackLayer], input_size: int) -> None:
    """Raise ReceptiveFieldError naming the first layer whose settings or output are impossible.

    Checks the builder's ranges (the input size, the number of layers, every setting), then that
    every layer's output is at least 1x1.
    """
    size = _checked_size(input_size)
    _checked_count(len(layers))
    flattened = False  # after an fc the image is a vector: only fc layers can follow
    for number, layer in enumerate(layers, start=1):
        _checked_kind(number, layer.kind)
        for setting in SETTING_RANGES:
            _checked_setting(number, setting, getattr(layer, setting), layer.kind)
        _checked_ceil_mode(number, layer.ceil_mode)
        where = f"Layer {number} ({layer.describe()})"
        if layer.kind == "fc":
            flattened = True
            continue
        if flattened:
            raise ReceptiveFieldError(
                f"{where} comes after a fully connected layer, which flattened the image into a vector: "
                "convolutions and poolings come first, the fc layers last."
            )
        if layer.kind != "conv" and 2 * layer.padding > layer.kernel:
            raise ReceptiveFieldError(
                f"{where}: pooling padding can be at most half the window ({layer.kernel // 2}), "
                "otherwise a window could hold nothing but padding."
            )
        span = layer.dilation * (layer.kernel - 1) + 1 if layer.kind == "conv" else layer.kernel
        if size + 2 * layer.padding < span:
            raise ReceptiveFieldError(
                f"{where}: its input is only {size}x{size} (plus padding {layer.padding} on each side), "
                f"smaller than the {span}x{span} window, so its output would be empty."
            )
        size = _stack_output_size(layer, size)


def build_stack(layers: Sequence[StackLayer], in_channels: int = 3, input_size: int = 32, device: Any = "meta"):
    """An nn.Sequential of the builder's layers, checked first: a ReLU after each conv and each fc
    but the last layer (the class scores), and a Flatten before the first fc.

    Args:
        layers: the stack, first layer first.
        in_channels: channels of the input (1 grey, 3 colour; the lesson feeds C channels in).
        input_size: side of the square input in pixels.
        device: where the weights live. "meta" (the default) holds shapes only: enough for
            receptive fields and counts, and free however large the stack; pass "cpu" to run it.

    Raises:
        ReceptiveFieldError: naming the first impossible layer and why.
    """
    import torch
    from torch import nn

    check_stack(layers, input_size)
    # The input's channels obey the bound of a conv's channels (the lesson feeds C channels in).
    low, high = SETTING_RANGES["channels"]
    channels = _whole_number(in_channels)
    if channels is None or not low <= channels <= high:
        raise ReceptiveFieldError(
            f"The input must have a whole number of channels between {low} and {high}; got {_shown(in_channels)}."
        )
    modules, size, features = [], input_size, None  # features: the vector's length once flattened
    with torch.device(device):
        for number, layer in enumerate(layers, start=1):
            if layer.kind == "fc":
                if features is None:
                    modules.append(nn.Flatten())
                    features = channels * size * size
                modules.append(nn.Linear(features, layer.channels))
                features = layer.channels
                if number < len(layers):  # the last layer's outputs are the logits: no ReLU
                    modules.append(nn.ReLU())
                continue
            size = _stack_output_size(layer, size)
            if layer.kind == "conv":
                modules.append(nn.Conv2d(channels, layer.channels, layer.kernel, layer.stride, layer.padding, layer.dilation))
                modules.append(nn.ReLU())
                channels = layer.channels
            elif layer.kind == "max pool":
                modules.append(nn.MaxPool2d(layer.kernel, layer.stride, layer.padding, ceil_mode=layer.ceil_mode))
            else:
                modules.append(nn.AvgPool2d(layer.kernel, layer.stride, layer.padding, ceil_mode=layer.ceil_mode))
    return nn.Sequential(*modules)


def report_stack(layers: Sequence[StackLayer], in_channels: int = 3, input_size: int = 32) -> StackReport:
    """Receptive fields and counts of the builder's stack, from a shape-only (meta) build.

    Args:
        layers: the stack, first layer first.
        in_channels: channels of the input image (1 grey, 3 colour).
        input_size: side of the square input in pixels.

    Returns:
        StackReport with one field and one parameter count per builder layer.

    Raises:
        ReceptiveFieldError: naming the first impossible layer and why.
    """
    from cnnviz.architecture import ArchitectureError, architecture_table
    from cnnviz.block_diagram import BlockDiagramError, network_diagram

    in_channels, input_size = check_input(in_channels, input_size)
    model = build_stack(layers, in_channels, input_size)
    shape = (in_channels, input_size, input_size)
    fields = receptive_fields(model, shape)
    try:
        table = architecture_table(model, shape)
        diagram = network_diagram(model, shape)
    except (ArchitectureError, BlockDiagramError) as error:  # one error type for the builder's callers
        raise ReceptiveFieldError(str(error)) from error
    counted = [row for row in table.rows if row.type not in ("ReLU", "Flatten")]  # one per builder layer, in order
    return StackReport(
        fields=tuple(fields),
        parameters=tuple(row.parameters for row in counted),
        total_parameters=table.total_parameters,
        total_mult_adds=table.total_mult_adds,
        diagram=diagram,
    )


def stacked_versus_single(channels: int = 64, input_size: int = 32) -> dict[str, dict[str, Any]]:
    """The lesson in numbers: three 3x3 convs, one 7x7 conv, and three dilated 3x3 convs.

    Weights are counted without biases, as in the C^2 rule (27 C^2 versus 49 C^2).

    Args:
        channels: C, the channels in and out of every conv, within LESSON_CHANNELS_RANGE.
        input_size: side of the square input in pixels, within INPUT_SIZE_RANGE.

    Returns:
        {name: {"layers": [StackLayer], "fields": [int per layer], "weights": int, "nonlinearities": int}}

    Raises:
        ReceptiveFieldError: channels or input size out of range, said in a sentence.
    """
    low, high = LESSON_CHANNELS_RANGE
    whole = _whole_number(channels)
    if whole is None or not low <= whole <= high:
        raise ReceptiveFieldError(
            f"The number of channels C must be a whole number between {low} and {high}; got {_shown(channels)}."
        )
    channels = whole
    stacks = {
        "three 3x3 convs": [StackLayer("conv", 3, 1, 1, 1, channels)] * 3,
        "one 7x7 conv": [StackLayer("conv", 7, 1, 3, 1, channels)],
        "three 3x3 convs, dilation 1, 2, 4": [
            StackLayer("conv", 3, 1, d, d, channels) for d in (1, 2, 4)
        ],
    }
    lesson = {}
    for name, layers in stacks.items():
        model = build_stack(layers, channels, input_size)  # on meta: shapes only, no weights
        fields = [row.size[0] for row in receptive_fields(model, (channels, input_size, input_size))]
        lesson[name] = {
            "layers": layers,
            "fields": fields,
            "weights": sum(layer.kernel**2 * channels * channels for layer in layers),
            "nonlinearities": len(layers),
        }
    return lesson
