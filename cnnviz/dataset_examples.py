"""Dataset examples: for every channel of one layer, the test images that excite it most.

The test images run through the network in batches with ONE forward hook, on the chosen layer.
An image's score for a channel is the channel's **maximum over positions** (the largest value
anywhere on its feature map: the unit that fired hardest), and that position is kept. Every
channel of the layer is ranked in the same pass, so the page caches one result per (model,
layer) and switching channel costs an index. The top images are then cut to the receptive field
of the unit at that position (cnnviz.receptive.module_fields: size, jump and start per axis),
clipped to the image: the pixels that unit can see, and the only ones that could have made it
fire. A flat layer (after Flatten, a Linear) has no positions: each value sees the whole image.

The forward pass stops as soon as the layer has given its output (the hook raises), so an early
layer costs only the layers before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch
    from torch import nn

    from cnnviz.receptive import LayerField

TOP_K = 8
BATCH = 1000  # images per forward pass: 1,000 LeNet-5 inputs are 3 MB, its first conv's output 19 MB


class DatasetExamplesError(ValueError):
    """A layer or a set of images the dataset examples cannot be found for, said in a sentence."""


class _Caught(Exception):
    """Raised by the hook once the layer's output is in hand: the rest of the network need not run."""


@dataclass(frozen=True)
class Example:
    """One top image of one channel.

    Attributes:
        index: its number in the test set.
        value: the channel's maximum over positions on this image.
        position: (row, col) of that maximum on the feature map; None for a flat layer.
        window: (top, left, bottom, right) of the crop in input pixels, bottom and right
            exclusive: the receptive field of the unit at ``position``, clipped to the image (the
            whole image for a flat layer or a unit that sees all of it).
    """

    index: int
    value: float
    position: tuple[int, int] | None
    window: tuple[int, int, int, int]


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays field by field is ambiguous
class LayerExamples:
    """Every channel's top-k test images for one layer.

    Attributes:
        layer: the layer, as cnnviz.activations names it ("features.c1", "layer1.0.relu (call 2)").
        indices: (C, k) int64 test-image numbers, strongest first (ties: the lower number first).
        values: (C, k) float32 the channel's maximum over positions on each of them.
        positions: (C, k, 2) int64 (row, col) of that maximum; None for a flat layer.
        field: the layer's receptive field (cnnviz.receptive.LayerField), or None for a flat layer.
        image_size: (H, W) of the images searched; searched: how many images were searched.
        constant: (C,) True where the channel's maximum over positions is the same on every image
            (a ReLU channel that is always 0): no image excites it more than another, so its "top"
            images are merely the first ones.
    """

    layer: str
    indices: np.ndarray
    values: np.ndarray
    positions: np.ndarray | None
    field: "LayerField | None"
    image_size: tuple[int, int]
    searched: int
    constant: np.ndarray

    @property
    def channels(self) -> int:
        return int(self.indices.shape[0])

    @property
    def spatial(self) -> bool:
        return self.positions is not None

    def channel(self, channel: int) -> tuple[Example, ...]:
        """The top images of one channel, strongest first, each with its crop's window."""
        if not 0 <= int(channel) < self.channels:
            raise DatasetExamplesError(f"Layer {self.layer} has channels 0 to {self.channels - 1}, not {channel}.")
        examples = []
        for rank, index in enumerate(self.indices[channel].tolist()):
            position = None if self.positions is None else tuple(int(v) for v in self.positions[channel, rank])
            examples.append(Example(int(index), float(self.values[channel, rank]), position,
                                    crop_window(self.field, position, *self.image_size)))
        return tuple(examples)


def crop_window(field: "LayerField | None", position: tuple[int, int] | None, height: int,
                width: int) -> tuple[int, int, int, int]:
    """(top, left, bottom, right), bottom and right exclusive: what unit ``position`` sees, clipped
    to an image of ``height`` x ``width``; the whole image without a field or a position."""
    if field is None or position is None or field.whole_input:
        return 0, 0, height, width
    top, left, bottom, right = field.box(*position)  # inclusive, may reach into the padding
    return max(top, 0), max(left, 0), min(bottom + 1, height), min(right + 1, width)


def cropped(image, window: tuple[int, int, int, int]) -> np.ndarray:
    """A (C, H, W) image's pixels inside ``window``: a (C, h, w) array."""
    top, left, bottom, right = window
    return np.asarray(image)[:, top:bottom, left:right]


def _module(model: "nn.Module", layer: str) -> tuple["nn.Module", int]:
    """The leaf module behind an activations label, and which of its calls it names (1 for the first)."""
    from cnnviz.activations import leaf_modules

    match = re.fullmatch(r"(.*) \(call (\d+)\)", layer)
    name, call = (match.group(1), int(match.group(2))) if match else (layer, 1)
    modules = dict(leaf_modules(model))
    if name not in modules:
        raise DatasetExamplesError(f"This network has no layer called {layer!r}.")
    return modules[name], call


def _field(model: "nn.Module", layer: str, shape: tuple[int, ...]):
    """The layer's receptive field from cnnviz.receptive, or None where it cannot be worked out."""
    from cnnviz.receptive import ReceptiveFieldError, module_fields

    try:
        field = module_fields(model, shape).get(layer)
    except ReceptiveFieldError:
        return None
    return field if field is not None and field.spatial else None


def top_examples(model: "nn.Module", images: "torch.Tensor", layer: str, k: int = TOP_K,
                 batch: int = BATCH) -> LayerExamples:
    """Every channel's k test images with the largest maximum over positions, in one pass.

    Hooks ``model`` while it runs (call it on a private copy where others share the model); the
    model runs in eval mode without autograd and its own mode is restored.

    Args:
        model: a cnnviz model taking (N, C, H, W) floats in [0, 1].
        images: (N, C, H, W) uint8, e.g. ImageDataset.test_images.
        layer: a leaf module's name as cnnviz.activations names its output.
        k: images kept per channel (all of them if there are fewer).
        batch: images per forward pass.

    Raises:
        DatasetExamplesError: no such layer, images that are not what the network takes, or a
            layer whose output is neither feature maps nor a vector.
    """
    import torch

    from cnnviz.data import to_float

    if images.dim() != 4 or images.dtype != torch.uint8 or not len(images):
        raise DatasetExamplesError(f"Dataset examples need uint8 images (N, C, H, W), not {images.dtype} "
                                   f"of shape {tuple(images.shape)}.")
    shape = tuple(getattr(model, "input_shape", images.shape[1:]))
    if tuple(images.shape[1:]) != shape:
        raise DatasetExamplesError(f"The images are {' x '.join(map(str, images.shape[1:]))}, but this network "
                                   f"takes {' x '.join(map(str, shape))}.")
    module, call = _module(model, layer)
    calls, caught = [0], []

    def hook(_, inputs, output):
        calls[0] += 1
        if calls[0] == call:
            caught.append(output.detach())
            raise _Caught  # the layer's output is all we need of this batch

    scores, places = [], []
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    handle = module.register_forward_hook(hook)
    try:
        with torch.no_grad():
            for part in images.split(batch):
                calls[0], caught[:] = 0, []
                try:
                    model(to_float(part).to(device))
                except _Caught:
                    pass
                if not caught:
                    raise DatasetExamplesError(f"Layer {layer} did not run when the images went through the network.")
                output = caught[0].float().cpu()
                if output.dim() == 4:  # (B, C, H, W): each channel's max over positions, and where
                    best, where = output.flatten(2).max(dim=2)  # the first position of the max on ties
                    scores.append(best)
                    places.append(where)
                    map_size = output.shape[-2:]
                elif output.dim() == 2:  # (B, F): a flat layer, each value is its own "channel"
                    scores.append(output)
                else:
                    raise DatasetExamplesError(f"Layer {layer} gives a tensor of shape {tuple(output.shape[1:])}, "
                                               "neither feature maps nor a vector.")
    finally:
        handle.remove()
        model.train(was_training)
    score = torch.cat(scores).T.contiguous()  # (C, N)
    k = min(int(k), score.shape[1])
    # A stable sort, not topk: equal scores keep the lower test-image number first, every time.
    order = torch.sort(score, dim=1, descending=True, stable=True).indices[:, :k]
    values = torch.gather(score, 1, order)
    positions = None
    if places:
        flat = torch.gather(torch.cat(places).T, 1, order)  # (C, k) positions in the flattened map
        positions = torch.stack((flat // map_size[1], flat % map_size[1]), dim=2).numpy()
    constant = (score.amax(dim=1) == score.amin(dim=1)).numpy()  # no image beats another: ranking says nothing
    field = _field(model, layer, shape) if places else None
    return LayerExamples(layer, order.numpy().astype(np.int64), values.numpy().astype(np.float32),
                         None if positions is None else positions.astype(np.int64), field,
                         (int(images.shape[2]), int(images.shape[3])), int(len(images)), constant)
