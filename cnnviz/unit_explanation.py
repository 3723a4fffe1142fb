"""How one unit of a trained network was computed, in its own numbers (CNN Explainer's core).

A unit is one value of one step's output: (channel, row, column) of a feature map, or one entry
of a vector. The step's input is caught with a forward hook as the network runs the image, and the
unit is recomputed by hand from it and the step's own weights:

- a convolution: for each input channel, the window under the kernel, the kernel slice and their
  products; the sum over channels plus the bias (cnnviz.conv.explain_cell, the conv lab's own);
- a pooling: the window and its max or mean; an adaptive average: the mean of its region;
- batch norm: (x - mean) / sqrt(var + eps) * gamma + beta with the running statistics;
- ReLU and the other element-wise activations: f(x) of the one input value;
- a linear layer: the sum of every input times its weight, plus the bias, and which inputs
  contribute most;
- the model's Normalize: (x - mean) / std; flatten, dropout (in evaluation) and identity pass the
  value through (a flattened entry says which (channel, row, column) it came from).

The hand value is returned beside the network's, so a page (and a test) can show they agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from cnnviz.conv.cell import CellExplanation, explain_cell
from cnnviz.conv.settings import ConvSettings

if TYPE_CHECKING:
    import torch
    from torch import nn

TOP_CONTRIBUTIONS = 8  # a linear unit's inputs listed, strongest first
_ACTIVATIONS = {  # class name -> (formula with {x} for the input, function of one value)
    "ReLU": ("max(0, {x})", lambda x: max(0.0, x)),
    "ReLU6": ("min(max(0, {x}), 6)", lambda x: min(max(0.0, x), 6.0)),
    "Sigmoid": ("1 / (1 + e^(-{x}))", lambda x: 1.0 / (1.0 + math.exp(-x))),
    "Tanh": ("tanh({x})", math.tanh),
}
_PASS_THROUGH = ("Dropout", "Dropout2d", "Identity", "Flatten")


class UnitExplanationError(ValueError):
    """A unit that cannot be explained (outside the output, an unknown step), said in a sentence."""


@dataclass(frozen=True)
class UnitExplanation:
    """One unit recomputed by hand.

    Attributes:
        layer, kind: the step's name and class name.
        unit: (channel, row, column) of a feature map, or (index,) of a vector.
        formula: the step's rule in letters, e.g. "y = sum_k sum_m sum_n x[k, ...] w[c, k, m, n] + b[c]".
        worked: the rule with this unit's numbers in it.
        value: the hand result; network_value: what the network computed.
        cell: a convolution's or pooling's window, kernel and products per input channel.
        channel_sums: a convolution's (input channel, sum of its products), strongest first.
        contributions: a linear unit's (input index, x, w, x * w), strongest first (TOP_CONTRIBUTIONS).
        source: where a passed-through value comes from, e.g. (channel, row, column) of a flattened map.
        window_settings: a convolution's or pooling's (kernel, stride, padding, dilation), pairs
            (padding may be "same" or "valid").
    """

    layer: str
    kind: str
    unit: tuple[int, ...]
    formula: str
    worked: str
    value: float
    network_value: float
    cell: CellExplanation | None = None
    channel_sums: tuple[tuple[int, float], ...] = ()
    contributions: tuple[tuple[int, float, float, float], ...] = ()
    source: tuple[int, ...] = field(default=())
    window_settings: tuple | None = None

    @property
    def agrees(self) -> bool:
        """The hand value equals the network's (to float32 rounding)."""
        return math.isclose(self.value, self.network_value, rel_tol=1e-4, abs_tol=1e-4)


def _number(value: float) -> str:
    return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"


def _pair_text(value) -> str:
    """(2, 2) -> "2", (1, 2) -> "(1, 2)", "same" as it is."""
    if isinstance(value, str):
        return value
    return str(value[0]) if value[0] == value[1] else f"({value[0]}, {value[1]})"


def step_input_output(model: nn.Module, image: torch.Tensor, layer: str) -> tuple[torch.Tensor, torch.Tensor, nn.Module]:
    """The input and output of step ``layer`` (a leaf module's name, "(call n)" for its n-th call)
    while ``model`` (in evaluation mode) runs ``image`` ((C, H, W) or (1, C, H, W)); both without the
    batch dimension."""
    import torch

    name, _, call = layer.partition(" (call ")
    wanted = int(call.rstrip(")")) if call else 1
    module = dict(model.named_modules()).get(name)
    if module is None or not name or any(module.children()):
        raise UnitExplanationError(f"The network has no step called {layer!r}.")
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def hook(_module, inputs, output):
        if len(seen) < wanted:
            seen.append((inputs[0].detach().clone(), output.detach().clone()))

    handle = module.register_forward_hook(hook)
    try:
        with torch.no_grad():
            model(image.unsqueeze(0) if image.dim() == 3 else image)
    finally:
        handle.remove()
    if len(seen) < wanted:
        raise UnitExplanationError(f"The step {layer!r} did not run for this image.")
    step_in, step_out = seen[wanted - 1]
    return step_in[0], step_out[0], module


def _check_unit(unit: tuple[int, ...], shape: tuple[int, ...], layer: str) -> tuple[int, ...]:
    unit = tuple(int(v) for v in unit)
    if len(unit) != len(shape) or not all(0 <= v < n for v, n in zip(unit, shape)):
        shown = " × ".join(str(n) for n in shape)
        raise UnitExplanationError(f"Unit {unit} is outside {layer}'s {shown} output.")
    return unit


def explain_unit(model: nn.Module, image: torch.Tensor, layer: str, unit: tuple[int, ...]) -> UnitExplanation:
    """Recompute one unit of step ``layer`` for ``image`` by hand.

    Args:
        model: the network, in evaluation mode (batch norm with its running statistics, no dropout).
        image: (C, H, W) or (1, C, H, W), as the network takes it.
        layer: a leaf module's name, as cnnviz.activations names the steps.
        unit: (channel, row, column) of a feature map, or (index,) of a vector.

    Returns:
        The UnitExplanation; its value equals network_value for every step kind listed above.

    Raises:
        UnitExplanationError: no such step, or the unit is outside its output.
    """
    x, y, module = step_input_output(model, image, layer)
    unit = _check_unit(unit, tuple(y.shape), layer)
    kind = type(module).__name__
    network_value = float(y[unit])
    explain = _EXPLAINERS.get(kind)
    if explain is None and kind in _ACTIVATIONS:
        explain = _activation
    if explain is None and kind in _PASS_THROUGH:
        explain = _pass_through
    if explain is None:
        return UnitExplanation(layer, kind, unit, f"{kind}: not worked out here", f"= {_number(network_value)}",
                               network_value, network_value)
    return explain(module, x.double(), unit, layer, kind, network_value)


def _conv_or_pool(module, x, unit, layer, kind, network_value) -> UnitExplanation:
    c, i, j = unit
    if kind == "Conv2d":
        settings = ConvSettings("conv", module.kernel_size, module.stride, module.padding, module.dilation,
                                module.padding_mode, module.groups, module.in_channels, module.out_channels,
                                module.bias is not None)
        weight, bias = module.weight, module.bias
    else:
        operation = "max_pool" if kind == "MaxPool2d" else "avg_pool"
        dilation = module.dilation if operation == "max_pool" else 1
        channels = x.shape[0]
        settings = ConvSettings(operation, module.kernel_size, module.stride or module.kernel_size, module.padding,
                                dilation, in_channels=channels, out_channels=channels, bias=False)
        weight = bias = None
    cell = explain_cell(x, weight, bias, settings, c, i, j)
    fh, fw = settings.kernel_size
    window = (settings.kernel_size, settings.stride, settings.padding, settings.dilation)
    if kind == "Conv2d":
        sums = tuple(sorted(((k, float(cell.products[n].sum())) for n, k in enumerate(cell.in_channels)),
                            key=lambda item: -abs(item[1])))
        count, channels = cell.products.size, len(cell.in_channels)
        letters = ", ".join(f"{letter} = {_pair_text(value)}" for letter, value in
                            (("S", settings.stride), ("D", settings.dilation), ("P", settings.padding)))
        worked = (f"With {letters}: {count:,} products ({channels} input channel{'s' if channels > 1 else ''} × "
                  f"{fh} × {fw} taps) add up to {_number(cell.total)}; + bias {_number(cell.bias)} = {_number(cell.value)}")
        formula = ("y[c, i, j] = sum over input channels k and taps (m, n) of "
                   "x[k, i*S + m*D - P, j*S + n*D - P] * w[c, k, m, n] + b[c]")
        return UnitExplanation(layer, kind, unit, formula, worked, cell.value, network_value, cell, sums,
                               window_settings=window)
    formula = (f"y[c, i, j] = {'max' if kind == 'MaxPool2d' else 'mean'} of the {fh} × {fw} window of channel c "
               "at (i*S - P, j*S - P)")
    return UnitExplanation(layer, kind, unit, formula, cell.sum_text(), cell.value, network_value, cell,
                           window_settings=window)


def _adaptive_average(module, x, unit, layer, kind, network_value) -> UnitExplanation:
    c, i, j = unit
    (height, width), out = x.shape[1:], module.output_size
    out_h, out_w = (out, out) if isinstance(out, int) else (out[0] or height, out[1] or width)
    rows = (i * height // out_h, -(-(i + 1) * height // out_h))  # torch's start = floor, end = ceil
    cols = (j * width // out_w, -(-(j + 1) * width // out_w))
    region = x[c, rows[0]:rows[1], cols[0]:cols[1]].numpy()
    value = float(region.mean())
    worked = (f"mean of rows {rows[0]}-{rows[1] - 1} and columns {cols[0]}-{cols[1] - 1} of channel {c}: "
              f"{_number(float(region.sum()))} / {region.size} = {_number(value)}")
    return UnitExplanation(layer, kind, unit, "y[c, i, j] = mean of channel c over the unit's region", worked,
                           value, network_value)


def _batch_norm(module, x, unit, layer, kind, network_value) -> UnitExplanation:
    c = unit[0]
    value_in = float(x[unit])
    mean, var = float(module.running_mean[c]), float(module.running_var[c])
    gamma = float(module.weight.detach()[c]) if module.weight is not None else 1.0
    beta = float(module.bias.detach()[c]) if module.bias is not None else 0.0
    value = (value_in - mean) / math.sqrt(var + module.eps) * gamma + beta
    worked = (f"({_number(value_in)} - {_number(mean)}) / sqrt({_number(var)} + {module.eps:g}) * {_number(gamma)} "
              f"+ {_number(beta)} = {_number(value)}")
    return UnitExplanation(layer, kind, unit, "y = (x - mean[c]) / sqrt(var[c] + eps) * gamma[c] + beta[c]", worked,
                           value, network_value)


def _activation(module, x, unit, layer, kind, network_value) -> UnitExplanation:
    formula, function = _ACTIVATIONS[kind]
    value_in = float(x[unit])
    value = function(value_in)
    shown = formula.format(x=_number(value_in) if value_in >= 0 else f"({_number(value_in)})")
    return UnitExplanation(layer, kind, unit, f"y = {formula.format(x='x')}", f"{shown} = {_number(value)}", value,
                           network_value)


def _linear(module, x, unit, layer, kind, network_value) -> UnitExplanation:
    k = unit[-1]
    inputs = x.reshape(-1).numpy()
    weights = module.weight[k].detach().double().numpy()
    products = inputs * weights
    bias = float(module.bias.detach()[k]) if module.bias is not None else 0.0
    total = float(products.sum())
    order = np.argsort(-np.abs(products))[:TOP_CONTRIBUTIONS]
    contributions = tuple((int(n), float(inputs[n]), float(weights[n]), float(products[n])) for n in order)
    worked = (f"{inputs.size:,} products x[i] * w[{k}, i] add up to {_number(total)}; + bias {_number(bias)} = "
              f"{_number(total + bias)}")
    return UnitExplanation(layer, kind, unit, "y[k] = sum over inputs i of x[i] * w[k, i] + b[k]", worked,
                           total + bias, network_value, contributions=contributions)


def _normalize(module, x, unit, layer, kind, network_value) -> UnitExplanation:
    c = unit[0]
    value_in, mean, std = float(x[unit]), float(module.mean.reshape(-1)[c]), float(module.std.reshape(-1)[c])
    value = (value_in - mean) / std
    return UnitExplanation(layer, kind, unit, "y = (x - mean[c]) / std[c]",
                           f"({_number(value_in)} - {_number(mean)}) / {_number(std)} = {_number(value)}", value,
                           network_value)


def _pass_through(module, x, unit, layer, kind, network_value) -> UnitExplanation:
    if kind == "Flatten" and x.dim() == 3:
        source = tuple(int(v) for v in np.unravel_index(unit[0], tuple(x.shape)))
        value = float(x[source])
        worked = (f"entry {unit[0]} of the flat vector is channel {source[0]}, row {source[1]}, column {source[2]} "
                  f"of the {' × '.join(str(n) for n in x.shape)} maps: {_number(value)}")
        return UnitExplanation(layer, kind, unit, "y[(c * H + i) * W + j] = x[c, i, j]", worked, value, network_value,
                               source=source)
    value = float(x[unit])
    return UnitExplanation(layer, kind, unit, "y = x (in evaluation mode)", f"= {_number(value)}", value, network_value,
                           source=unit)


_EXPLAINERS = {
    "Conv2d": _conv_or_pool, "MaxPool2d": _conv_or_pool, "AvgPool2d": _conv_or_pool,
    "AdaptiveAvgPool2d": _adaptive_average, "BatchNorm2d": _batch_norm, "BatchNorm1d": _batch_norm,
    "Linear": _linear, "Normalize": _normalize,
}
