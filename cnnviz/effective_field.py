"""The effective receptive field: how strongly each input pixel moves one chosen unit.

Luo, Li, Urtasun and Zemel, "Understanding the Effective Receptive Field in Deep Convolutional
Neural Networks", NIPS 2016, https://arxiv.org/abs/1701.04128: the gradient of one output unit
with respect to the input image. It is zero outside the theoretical field and, inside it, roughly
Gaussian and much smaller: pixels near the field's centre reach the unit along many more paths.

captum's NeuronGradient computes the same gradient, but runs the whole network to the logits;
stopping the forward pass at the chosen layer (below) is what keeps ResNet-18 under a second.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from cnnviz.model_modes import evaluating


class EffectiveFieldError(ValueError):
    """A layer or unit that cannot be probed, said in a sentence."""


@dataclass(frozen=True)
class EffectiveField:
    """The gradient map of one unit.

    Attributes:
        layer: the module path that was probed.
        unit: (row, col) of the unit in the layer's output grid.
        channel: the channel probed, or None for the sum over all channels at that position.
        gradient: (H, W) float32, |d unit / d pixel| summed over the input's colour channels.
        activation: the unit's value for this image.
    """

    layer: str
    unit: tuple[int, int]
    channel: int | None
    gradient: np.ndarray
    activation: float

    def support(self, threshold: float = 0.0) -> tuple[int, int, int, int] | None:
        """(top, left, bottom, right) inclusive box of pixels whose gradient exceeds threshold * max."""
        peak = float(self.gradient.max())
        if peak <= 0:
            return None
        rows, cols = np.nonzero(self.gradient > threshold * peak)
        return (int(rows.min()), int(cols.min()), int(rows.max()), int(cols.max()))

    def mass_pixels(self, fraction: float = 0.9) -> int:
        """How many of the strongest pixels carry ``fraction`` of the total gradient.

        One number to set against the theoretical field's area: Luo et al. find it far smaller,
        because pixels near the centre reach the unit along many more paths than those at the edge.
        """
        values = np.sort(self.gradient.ravel())[::-1]  # strongest first
        total = float(values.sum())
        if total <= 0:
            return 0
        return int(np.searchsorted(np.cumsum(values), fraction * total) + 1)


class _Reached(Exception):
    """Raised inside the hook to stop the forward pass once the probed layer has run."""


@contextlib.contextmanager
def captured_output(model, layer: str) -> Iterator[dict]:
    """Hook ``layer`` so that its output lands in the yielded dict and the forward pass stops there.

    Only the thread that entered the block is affected: a model shared between browser sessions
    (st.cache_resource) keeps working for everyone else while the hook is on. The hook is removed
    in ``finally``, also when the forward pass raises.

    Raises:
        EffectiveFieldError: the model has no module of that name.
    """
    try:
        module = model.get_submodule(layer)
    except AttributeError as err:
        raise EffectiveFieldError(f"This network has no layer named {layer!r}.") from err
    owner = threading.get_ident()
    captured: dict = {}

    def hook(_module, _inputs, output):
        if threading.get_ident() != owner or "output" in captured:
            return None
        captured["output"] = output[0] if isinstance(output, (tuple, list)) else output
        raise _Reached

    handle = module.register_forward_hook(hook)
    try:
        yield captured
    finally:
        handle.remove()




def effective_field(model, image, layer: str, unit: tuple[int, int], channel: int | None = None) -> EffectiveField:
    """Gradient of one unit of ``layer`` with respect to ``image``, for the model's current weights.

    Args:
        model: an nn.Module taking images in [0, 1]. Its parameters' .grad, its train/eval mode and
            its hooks are left as they were.
        image: (1, C, H, W) float tensor in [0, 1].
        layer: module path whose output is a (1, K, h, w) grid (a LayerField's ``module``).
        unit: (row, col) in that grid, 0-based.
        channel: the channel in [0, K), or None for the sum over all K channels at (row, col).

    Returns:
        EffectiveField with an (H, W) gradient map (absolute values, summed over colour channels).

    Raises:
        EffectiveFieldError: unknown layer, a layer without a grid, or a unit outside it.
    """
    import torch

    if image.dim() != 4 or image.shape[0] != 1:
        raise EffectiveFieldError("The image must be one picture, shaped (1, channels, height, width).")
    device = next((p.device for p in model.parameters()), image.device)
    pixels = image.detach().to(device=device, dtype=torch.float32).clone().requires_grad_(True)
    with evaluating(model), captured_output(model, layer) as captured, torch.enable_grad():
        try:
            model(pixels)
        except _Reached:
            pass
    if "output" not in captured:
        raise EffectiveFieldError(f"Layer {layer!r} is not used when this network classifies an image.")
    output = captured["output"]
    if output.dim() != 4:
        raise EffectiveFieldError(f"Layer {layer!r} has no grid of units (its output is {tuple(output.shape[1:])}).")
    row, col = unit
    _, channels, height, width = output.shape  # (1, K, h, w)
    if not (0 <= row < height and 0 <= col < width):
        raise EffectiveFieldError(f"Unit ({row}, {col}) is outside layer {layer!r}, whose grid is {height} x {width}.")
    if channel is not None and not 0 <= channel < channels:
        raise EffectiveFieldError(f"Layer {layer!r} has channels 0 to {channels - 1}, not {channel}.")
    target = output[0, :, row, col].sum() if channel is None else output[0, channel, row, col]
    # autograd.grad (not .backward) writes no parameter .grad and skips weight gradients entirely.
    (gradient,) = torch.autograd.grad(target, pixels)
    gradient_map = gradient[0].abs().sum(0)  # (C, H, W) -> (H, W)
    return EffectiveField(
        layer=layer,
        unit=(int(row), int(col)),
        channel=channel,
        gradient=gradient_map.detach().cpu().numpy().astype(np.float32),
        activation=float(target.detach()),
    )


def modules_before(model, layer: str, input_shape: tuple[int, ...]) -> list[str]:
    """The names of the modules a forward pass runs until ``layer``'s output exists, in call order
    (``layer`` included): the only ones an effective field needs. Found by one pass of a
    shape-only copy (architecture.shape_only_copy), so ``model`` may be part real, part meta."""
    import torch

    from cnnviz.architecture import shape_only_copy

    twin = shape_only_copy(model)
    called: list[str] = []

    def noting(name):
        def note(_module, _inputs):
            if name not in called:
                called.append(name)
        return note

    for name, module in twin.named_modules():
        module.register_forward_pre_hook(noting(name))  # the twin is thrown away, hooks and all
    with captured_output(twin, layer) as captured, torch.no_grad():
        try:
            twin(torch.zeros(1, *input_shape, device="meta"))
        except _Reached:
            pass
    if "output" not in captured:
        raise EffectiveFieldError(f"Layer {layer!r} is not used when this network classifies an image.")
    return called


def materialized_prefix(structure, layer: str, input_shape: tuple[int, ...], seed: int = 0):
    """Give random weights to the layers of a "meta" network (registry.get_structure) that run up
    to ``layer``, and to no others, in place; returns the network.

    effective_field stops the forward pass at its layer, so VGG-16's fully connected layers (124 M
    of its 138 M weights) are never allocated. Convolutions get torchvision's VGG/ResNet
    initialisation (Kaiming normal, fan out), other layers their own reset_parameters, seeded.

    Raises:
        EffectiveFieldError: a layer that runs first but cannot be given weights.
    """
    import torch
    from torch import nn

    from cnnviz.models.normalize import Normalize
    from cnnviz.models.registry import real_normalize

    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        for name in modules_before(structure, layer, input_shape):
            module = structure.get_submodule(name)
            own = [*module.parameters(recurse=False), *module.buffers(recurse=False)]
            if not any(tensor.is_meta for tensor in own):
                continue
            if isinstance(module, Normalize):  # settings, not weights: the model's own mean and std
                module.mean, module.std = (tensor.clone() for tensor in real_normalize(structure).buffers())
                continue
            if not hasattr(module, "reset_parameters"):
                raise EffectiveFieldError(f"{type(module).__name__} in this network cannot be given weights here.")
            module.to_empty(device="cpu", recurse=False)
            with torch.no_grad():
                module.reset_parameters()
                if isinstance(module, nn.Conv2d):
                    nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                    if module.bias is not None:
                        module.bias.zero_()
    finally:
        torch.random.set_rng_state(generator_state)
    return structure.eval()
