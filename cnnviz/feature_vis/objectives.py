"""What the pictures are made to do, each a call of ``ascent.ascend``:

- ``maximise_classes``: one picture per class, each raising that class's score (the logit before
  the softmax: raising a probability can also be done by lowering the other classes' scores);
- ``maximise_channels``: one picture per channel of a layer, each raising that channel's mean over
  positions (a vector layer: that one value);
- ``deep_dream``: a photo whose layer activations are made larger (their mean square), so what
  the layer half-sees in it grows into what it sees;
- ``invert``: for each of several layers, a picture whose features at that layer match an image's
  (minus the squared distance, relative to the image's own features), to see what each depth keeps.

Every one runs the network in eval mode and puts its own mode back.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from cnnviz.devices import model_device
from cnnviz.feature_vis.ascent import Ascent, ascend
from cnnviz.feature_vis.taps import LOGITS, FeatureVisError, taps
from cnnviz.model_modes import evaluating

__all__ = ["FeatureVisError", "deep_dream", "invert", "maximise_channels", "maximise_classes", "start_pictures"]


def centre_of(model: nn.Module) -> torch.Tensor:
    """The dataset's mean grey (C, 1, 1) from the model's Normalize step, else 0.5 per channel."""
    normalize = getattr(model, "normalize", None)
    mean = getattr(normalize, "mean", None)
    channels = int(getattr(model, "input_shape", (1,))[0])
    return mean.detach().float().cpu().view(-1, 1, 1) if mean is not None else torch.full((channels, 1, 1), 0.5)


def start_pictures(model: nn.Module, count: int, shape: Sequence[int], seed: int) -> torch.Tensor:
    """``count`` pictures of ``shape`` (C, H, W): the mean grey plus a little seeded noise."""
    generator = torch.Generator().manual_seed(seed)
    noise = 0.05 * torch.randn((count, *shape), generator=generator)
    return (centre_of(model) + noise).clamp(0, 1)


def _input_shape(model: nn.Module) -> tuple[int, ...]:
    shape = getattr(model, "input_shape", None)
    if shape is None:
        raise FeatureVisError("This network does not say what size of image it takes.")
    return tuple(int(n) for n in shape)


def maximise_classes(model: nn.Module, classes: Sequence[int], **options) -> Ascent:
    """One picture per entry of ``classes`` (indices), each raising that class's score.

    ``options`` go to ``ascend`` (steps, lr, regularisation, seed, on_progress, should_stop), except
    ``start``: the (N, C, H, W) pictures to start from instead of grey noise (here and in the
    other functions that start from noise).
    """
    shape = _input_shape(model)
    with torch.no_grad(), evaluating(model):
        count = int(model(torch.zeros(1, *shape, device=model_device(model))).shape[1])
    if not classes or any(not 0 <= int(c) < count for c in classes):
        raise FeatureVisError(f"This network has classes 0 to {count - 1}; {list(classes)} is not among them.")
    wanted = torch.tensor([int(c) for c in classes], device=model_device(model))
    rows = torch.arange(len(wanted), device=wanted.device)

    def score(net, pictures):
        return taps(net, pictures, [LOGITS])[LOGITS][rows, wanted]

    return _run(model, _start(model, len(wanted), shape, options), score, options)


def maximise_channels(model: nn.Module, layer: str, channels: Sequence[int], **options) -> Ascent:
    """One picture per entry of ``channels``, each raising that channel's mean over positions at
    ``layer`` (a cnnviz.activations label)."""
    shape = _input_shape(model)
    with torch.no_grad(), evaluating(model):
        probe = taps(model, torch.zeros(1, *shape, device=model_device(model)), [layer])[layer]
    count = int(probe.shape[1])
    if not channels or any(not 0 <= int(c) < count for c in channels):
        raise FeatureVisError(f"Layer {layer} has channels 0 to {count - 1}; {list(channels)} is not among them.")
    wanted = torch.tensor([int(c) for c in channels], device=model_device(model))
    rows = torch.arange(len(wanted), device=wanted.device)

    def score(net, pictures):
        output = taps(net, pictures, [layer])[layer][rows, wanted]
        return output.flatten(1).mean(1) if output.dim() > 1 else output

    return _run(model, _start(model, len(wanted), shape, options), score, options)


def deep_dream(model: nn.Module, photo: torch.Tensor, layer: str, channel: int | None = None, **options) -> Ascent:
    """The photo (1, C, H, W) in [0, 1] changed so that ``layer``'s activations (one ``channel``'s,
    if given) grow: half their mean square is what rises. Any size of photo works for a layer in
    the convolutional part, since the pass stops there."""
    if photo.dim() != 4 or photo.shape[0] != 1 or photo.shape[1] != _input_shape(model)[0]:
        raise FeatureVisError(f"DeepDream takes one photo with {_input_shape(model)[0]} channel(s), "
                              f"not a tensor of shape {tuple(photo.shape)}.")
    with torch.no_grad(), evaluating(model):
        probe = taps(model, photo.to(model_device(model)), [layer])[layer]
    if channel is not None and not 0 <= channel < probe.shape[1]:
        raise FeatureVisError(f"Layer {layer} has channels 0 to {probe.shape[1] - 1}; {channel} is not among them.")

    def energy(net, pictures):
        output = taps(net, pictures, [layer])[layer]
        if channel is not None:
            output = output[:, channel]
        return 0.5 * output.pow(2).flatten(1).mean(1)

    return _run(model, photo, energy, options)


def invert(model: nn.Module, image: torch.Tensor, layers: Sequence[str], **options) -> Ascent:
    """One picture per layer in ``layers``, each started from grey noise and made to have the same
    features at that layer as ``image`` (1, C, H, W). A picture's objective is minus its relative
    squared error, ||f(x) - f(image)||^2 / ||f(image)||^2: 0 is a perfect match."""
    shape = _input_shape(model)
    if image.dim() != 4 or tuple(image.shape[1:]) != shape or image.shape[0] != 1:
        raise FeatureVisError(f"Inversion takes one image of {' x '.join(map(str, shape))}, "
                              f"not a tensor of shape {tuple(image.shape)}.")
    if not layers:
        raise FeatureVisError("Choose at least one layer to reconstruct the image from.")
    with torch.no_grad(), evaluating(model):
        targets = taps(model, image.to(model_device(model)), list(layers))
    scales = {label: targets[label].pow(2).sum().clamp_min(1e-12) for label in layers}

    def match(net, pictures):
        outputs = taps(net, pictures, list(dict.fromkeys(layers)))
        errors = [(outputs[label][i] - targets[label][0]).pow(2).sum() / scales[label] for i, label in enumerate(layers)]
        return -torch.stack(errors)

    return _run(model, _start(model, len(layers), shape, options), match, options)


def _start(model: nn.Module, count: int, shape: tuple[int, ...], options: dict) -> torch.Tensor:
    """``options["start"]`` (popped) when given, checked against the batch; else grey noise."""
    start = options.pop("start", None)
    if start is None:
        return start_pictures(model, count, shape, options.get("seed", 0))
    if tuple(start.shape) != (count, *shape):
        raise FeatureVisError(f"The start pictures are {tuple(start.shape)}, not {(count, *shape)}.")
    return start


def _run(model: nn.Module, start: torch.Tensor, objective, options: dict) -> Ascent:
    with evaluating(model):
        return ascend(model, start, objective, centre=centre_of(model).to(model_device(model)), **options)
