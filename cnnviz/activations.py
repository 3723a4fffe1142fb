"""Every layer's output for one image: what each step of a network makes of the picture.

``capture_layer_outputs`` runs one forward pass with a forward hook on every *leaf* module (a
module without children: a Conv2d, a BatchNorm2d, a ReLU, a MaxPool2d, ...), so convolution,
batch norm, activation and pooling appear as separate steps, in the order they actually ran.

Hooks live only inside a context manager that removes every handle in ``finally``: a forward
pass that raises leaves the model exactly as it was. A later in-place operation (ResNet's
``out += identity`` after its second batch norm, or an in-place ReLU) would overwrite a tensor we
kept, so such outputs are cloned; ``capture_layer_outputs`` finds out which ones from the tensors'
version counters and clones only those, because cloning all of them costs a good part of a
forward pass.

A module called twice in one pass (torchvision ResNet blocks reuse one ReLU) is recorded once per
call, the second as "layer1.0.relu (call 2)".
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import numpy as np

if TYPE_CHECKING:
    import torch
    from torch import nn


@dataclass(frozen=True)
class LayerOutput:
    """One step's output for one image.

    Attributes:
        name: the module's qualified name, e.g. "features.c1" ("(call 2)" added on reuse).
        kind: the module's class name, e.g. "Conv2d", "ReLU", "MaxPool2d".
        output: float32 CPU tensor without the batch dimension: (C, H, W) for feature maps,
            (F,) for flat vectors (after Flatten / Linear).
    """

    name: str
    kind: str
    output: "torch.Tensor"

    @property
    def is_spatial(self) -> bool:
        """True for (C, H, W) feature maps, False for flat vectors."""
        return self.output.dim() == 3

    @property
    def shape_text(self) -> str:
        """e.g. "6 x 28 x 28"."""
        return " x ".join(str(n) for n in self.output.shape)


@dataclass(frozen=True)
class CapturedForward:
    """The outputs of every leaf module for one image, and the final logits.

    Attributes:
        layers: in the order the modules ran.
        logits: (K,) float32 CPU tensor, the model's output.
    """

    layers: tuple[LayerOutput, ...]
    logits: "torch.Tensor"

    def names(self) -> list[str]:
        return [layer.name for layer in self.layers]

    def probabilities(self) -> np.ndarray:
        """Softmax of the logits: float64 (K,) in [0, 1], summing to 1."""
        logits = self.logits.double().numpy()
        exp = np.exp(logits - logits.max())  # shift by the max: same result, no overflow
        return exp / exp.sum()

    def layer(self, name: str) -> LayerOutput:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"No layer called {name!r} was recorded.")


def leaf_modules(model: "nn.Module") -> list[tuple[str, "nn.Module"]]:
    """(qualified name, module) for every module without children, in registration order."""
    return [(name, module) for name, module in model.named_modules() if name and not any(module.children())]


@contextlib.contextmanager
def _recording(
    model: "nn.Module", clone: frozenset[str] | None
) -> Iterator[tuple[list[tuple[str, str, "torch.Tensor"]], list[int | None]]]:
    """Hook every leaf module; yield (records, versions); remove every hook in ``finally``.

    ``clone``: labels whose outputs are copied as they are produced (None: all of them). An
    output kept without a copy has its tensor version counter recorded, so that the caller can
    tell afterwards whether a later in-place operation changed it.
    """
    records: list[tuple[str, str, "torch.Tensor"]] = []
    versions: list[int | None] = []
    calls: dict[str, int] = {}
    handles = []

    def make_hook(name: str, kind: str):
        def hook(module, inputs, output):
            if not hasattr(output, "detach"):  # e.g. a module returning a tuple: not a picture
                return
            calls[name] = calls.get(name, 0) + 1
            label = name if calls[name] == 1 else f"{name} (call {calls[name]})"
            if clone is None or label in clone:
                records.append((label, kind, output.detach().clone()))
                versions.append(None)
            else:
                records.append((label, kind, output.detach()))  # detach() shares the version counter
                versions.append(output._version)

        return hook

    try:
        for name, module in leaf_modules(model):
            handles.append(module.register_forward_hook(make_hook(name, type(module).__name__)))
        yield records, versions
    finally:
        for handle in handles:
            handle.remove()


@contextlib.contextmanager
def recording_leaf_outputs(model: "nn.Module") -> Iterator[list[tuple[str, str, "torch.Tensor"]]]:
    """Record every leaf module's output while the block runs; remove all hooks on leaving.

    Yields:
        A list that fills, in execution order, with (name, kind, output) tuples; ``output`` is a
        detached copy of the module's output (batch dimension kept), so later in-place
        operations (``out += identity``, ``ReLU(inplace=True)``) cannot change it.

    Example:
        >>> with recording_leaf_outputs(model) as records:
        ...     model(x)
        >>> [name for name, _, _ in records][:3]
        ['normalize', 'features.c1', 'features.act1']
    """
    with _recording(model, None) as (records, _):
        yield records


# Architecture -> labels of the leaf outputs that a later in-place operation overwrites (ResNet:
# each block's last batch norm, through `out += identity`). Learned on the first capture, so
# later captures copy only those few outputs instead of all of them (copies cost time).
_OVERWRITTEN: dict[tuple, frozenset[str]] = {}


def _architecture(model: "nn.Module") -> tuple:
    return (type(model).__module__, type(model).__qualname__,
            tuple((name, type(module).__name__) for name, module in leaf_modules(model)))


def capture_layer_outputs(model: "nn.Module", image: "torch.Tensor") -> CapturedForward:
    """Run ``image`` through ``model`` once and keep every leaf module's output.

    The pass runs in eval mode (the model's own mode is restored afterwards) without autograd.
    Outputs are kept without copying where that is safe: each kept tensor's version counter is
    checked after the pass, and if a later in-place operation changed one, the pass is run again
    copying that output as it is produced (and the architecture remembers it). Hooks are added
    to ``model`` for the duration of the call, so do not call this on a model that another
    thread is using at the same moment: pass a copy.

    Args:
        model: a cnnviz model taking (N, C, H, W) floats in [0, 1].
        image: (1, C, H, W) or (C, H, W) floats in [0, 1].

    Returns:
        CapturedForward with every step's output for this one image, on the CPU.
    """
    import torch

    if image.dim() == 3:
        image = image.unsqueeze(0)  # (C, H, W) -> (1, C, H, W)
    if image.dim() != 4 or image.shape[0] != 1:
        raise ValueError(f"capture_layer_outputs takes one image (1, C, H, W), not shape {tuple(image.shape)}.")
    parameter = next(model.parameters(), None)
    if parameter is not None:
        image = image.to(parameter.device)
    architecture = _architecture(model)
    was_training = model.training
    model.eval()
    try:
        # no_grad, not inference_mode: inference tensors carry no version counter to check.
        with torch.no_grad():
            for _ in range(3):
                clone = _OVERWRITTEN.get(architecture, frozenset())
                with _recording(model, clone) as (records, versions):
                    logits = model(image.float())
                overwritten = {
                    label for (label, _, output), version in zip(records, versions)
                    if version is not None and output._version != version
                }
                if not overwritten:
                    break
                _OVERWRITTEN[architecture] = clone | overwritten
            else:  # the in-place pattern changed from pass to pass: copy everything
                with _recording(model, None) as (records, versions):
                    logits = model(image.float())
    finally:
        model.train(was_training)
    layers = tuple(
        LayerOutput(name, kind, output[0].float().cpu())  # drop the batch dimension
        for name, kind, output in records
        if output.dim() >= 2 and output.shape[0] == 1
    )
    return CapturedForward(layers=layers, logits=logits[0].float().cpu())


def channel_mean(output: "torch.Tensor") -> np.ndarray:
    """The overview picture of one step: the mean over channels.

    Args:
        output: (C, H, W) feature maps or an (F,) vector.

    Returns:
        float32 (H, W) for feature maps; for a vector, the vector itself as a (1, F) strip.
    """
    if output.dim() == 3:
        return output.mean(dim=0).numpy().astype(np.float32)
    return output.reshape(1, -1).numpy().astype(np.float32)


def overview(captured: CapturedForward) -> list[tuple[str, np.ndarray]]:
    """(name, channel_mean) for every recorded step, in order: one picture per layer."""
    return [(layer.name, channel_mean(layer.output)) for layer in captured.layers]


def value_range(captured: CapturedForward) -> tuple[float, float]:
    """(min, max) over every recorded output: the range of a "global" colour scale."""
    lows = [float(layer.output.min()) for layer in captured.layers if layer.output.numel()]
    highs = [float(layer.output.max()) for layer in captured.layers if layer.output.numel()]
    return (min(lows), max(highs)) if lows else (0.0, 1.0)


def channel_order(output: "torch.Tensor", by: str = "index") -> list[int]:
    """Channel indices of a (C, H, W) output in display order.

    Args:
        output: (C, H, W) feature maps.
        by: "index" (0, 1, 2, ...) or "activation" (mean activation, strongest first).

    Returns:
        A permutation of range(C).
    """
    import torch

    if by == "index":
        return list(range(output.shape[0]))
    if by == "activation":
        strength = output.reshape(output.shape[0], -1).mean(dim=1)  # (C, H*W) -> (C,)
        return torch.argsort(strength, descending=True, stable=True).tolist()
    raise ValueError(f'Channels can be ordered by "index" or "activation", not {by!r}.')
