"""One forward pass that keeps the outputs of chosen layers with their gradients.

Layers are named the way cnnviz.activations labels them: a leaf module's qualified name
("features.c3"), with " (call 2)" for a module's second call in one pass; ``LOGITS`` names the
network's own output. Hooks live only inside the call. When the logits are not wanted the pass
stops right after the last wanted layer, which saves the rest of the network and lets the
convolutional part of a network see pictures of any size (DeepDream on a photo larger than the
28 x 28 the classifier was built for).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch
from torch import nn

from cnnviz.activations import leaf_modules

LOGITS = "logits"


class FeatureVisError(ValueError):
    """A picture that cannot be made: a layer, class or channel the network does not have, an image
    of another shape; the message is one sentence a student can read."""


class _Enough(Exception):
    """Raised by the last wanted layer's hook: the rest of the pass is not needed."""


def _split(label: str) -> tuple[str, int]:
    match = re.fullmatch(r"(.*) \(call (\d+)\)", label)
    return (match.group(1), int(match.group(2))) if match else (label, 1)


def layer_kinds(model: nn.Module, input_shape: Sequence[int]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """{label: (module class name, output shape without the batch)} of every leaf output for one
    ``input_shape`` image, in the order they run (the input's Normalize step left out)."""
    from cnnviz.activations import capture_layer_outputs

    captured = capture_layer_outputs(model, torch.zeros(1, *input_shape))
    return {layer.name: (layer.kind, tuple(layer.output.shape)) for layer in captured.layers if layer.kind != "Normalize"}


def taps(model: nn.Module, x: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
    """Run ``x`` through ``model`` and return {label: output} for each of ``layers``.

    Outputs keep their autograd history (so an objective on them can be differentiated with
    respect to ``x``) and are copies, so a later in-place operation cannot change them.

    Raises:
        FeatureVisError: a label the network has no layer for, or a layer that did not run.
    """
    modules = dict(leaf_modules(model))
    wanted: dict[str, dict[int, str]] = {}
    for label in layers:
        if label == LOGITS:
            continue
        name, call = _split(label)
        if name not in modules:
            raise FeatureVisError(f"This network has no layer called {label!r}.")
        wanted.setdefault(name, {})[call] = label
    needed = {label for label in layers if label != LOGITS}
    caught: dict[str, torch.Tensor] = {}
    calls: dict[str, int] = {}

    def make_hook(name: str):
        def hook(module, inputs, output):
            calls[name] = calls.get(name, 0) + 1
            if (label := wanted[name].get(calls[name])) is not None:
                caught[label] = output.clone()
                if LOGITS not in layers and needed <= caught.keys():
                    raise _Enough

        return hook

    handles = [modules[name].register_forward_hook(make_hook(name)) for name in wanted]
    try:
        try:
            caught_logits = model(x)
            if LOGITS in layers:
                caught[LOGITS] = caught_logits
        except _Enough:
            pass
    finally:
        for handle in handles:
            handle.remove()
    if missing := [label for label in layers if label not in caught]:
        raise FeatureVisError(f"Layer {missing[0]} did not run when the picture went through the network.")
    return caught
