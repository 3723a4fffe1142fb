"""Dataset examples: for every channel of one layer, the test images that excite it most.

The test images run through the network in batches, a forward hook on each leaf layer. An image's
score for a channel is the channel's **maximum over positions** (the largest value anywhere on its
feature map: the unit that fired hardest), and that position is kept. Every channel of the layer
is ranked in the same pass, so switching channel costs an index. The top images are then cut to
the receptive field of the unit at that position (cnnviz.receptive.module_fields: size, jump and
start per axis), clipped to the image: the pixels that unit can see, and the only ones that could
have made it fire. A flat layer (after Flatten, a Linear) has no positions: each value sees the
whole image.

top_examples stops the pass as soon as its layer has given its output (the hook raises), so an
early layer costs only the layers before it. every_layer_examples ranks every layer in one whole
pass, each output reduced in its hook (so a later in-place operation cannot change it), at about
1.5 times the cost of the deepest layer alone; after it, any layer of the network is a lookup.
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


def _fields(model: "nn.Module", shape: tuple[int, ...]) -> dict[str, "LayerField"]:
    """The spatial receptive fields of the model's layers from cnnviz.receptive ({} where they
    cannot be worked out)."""
    from cnnviz.receptive import ReceptiveFieldError, module_fields

    try:
        fields = module_fields(model, shape)
    except ReceptiveFieldError:
        return {}
    return {layer: field for layer, field in fields.items() if field is not None and field.spatial}


def top_examples(model: "nn.Module", images: "torch.Tensor", layer: str, k: int = TOP_K,
                 batch: int = BATCH) -> LayerExamples:
    """Every channel's k test images with the largest maximum over positions, in one pass.

    Hooks ``model`` while it runs (call it on a private copy where others share the model); the
    model runs in eval mode without autograd and its own mode is restored.

    Args:
        model: a cnnviz model taking (N, C, H, W) floats in [0, 1].
        images: (N, C, H, W) uint8, e.g. ImageDataset.test_images.
        layer: a leaf module's output as cnnviz.activations names it ("(call 2)" on reuse).
        k: images kept per channel (all of them if there are fewer).
        batch: images per forward pass.

    Raises:
        DatasetExamplesError: no such layer, images that are not what the network takes, or a
            layer whose output is neither feature maps nor a vector.
    """
    return _ranked(model, images, (layer,), k, batch)[layer]


def every_layer_examples(model: "nn.Module", images: "torch.Tensor", k: int = TOP_K,
                         batch: int = BATCH) -> dict[str, LayerExamples]:
    """top_examples for every leaf output that is feature maps or a vector, in ONE pass over the
    images: {label: LayerExamples}, labelled as cnnviz.activations labels them. A page that shows
    one layer at a time caches this once per network, and every later layer costs a lookup
    instead of another pass (the whole pass costs about 1.5 times the deepest layer alone).
    Outputs of other shapes (a tuple, a 3-D sequence) are left out. Raises DatasetExamplesError
    for images the network does not take."""
    return _ranked(model, images, None, k, batch)


def _ranked(model: "nn.Module", images: "torch.Tensor", wanted: tuple[str, ...] | None, k: int,
            batch: int) -> dict[str, LayerExamples]:
    """The top images of the ``wanted`` leaf outputs (None: every one that can be ranked). The pass
    over a batch stops once every wanted output is in hand."""
    import torch

    from cnnviz.activations import leaf_modules
    from cnnviz.data import to_float

    if images.dim() != 4 or images.dtype != torch.uint8 or not len(images):
        raise DatasetExamplesError(f"Dataset examples need uint8 images (N, C, H, W), not {images.dtype} "
                                   f"of shape {tuple(images.shape)}.")
    shape = tuple(getattr(model, "input_shape", images.shape[1:]))
    if tuple(images.shape[1:]) != shape:
        raise DatasetExamplesError(f"The images are {' x '.join(map(str, images.shape[1:]))}, but this network "
                                   f"takes {' x '.join(map(str, shape))}.")
    modules = dict(leaf_modules(model))
    for layer in wanted or ():
        if re.sub(r" \(call \d+\)$", "", layer) not in modules:
            raise DatasetExamplesError(f"This network has no layer called {layer!r}.")
    calls: dict[str, int] = {}
    caught: set[str] = set()  # the wanted outputs this batch has given
    rankings: dict[str, _Ranking] = {}
    seen = [0]  # images that went through before this batch: the first number of the batch

    def make_hook(name: str):
        def hook(_, inputs, output):
            calls[name] = calls.get(name, 0) + 1
            label = name if calls[name] == 1 else f"{name} (call {calls[name]})"
            if wanted is not None and label not in wanted:
                return
            # Reduced here, at once: a later in-place operation (ResNet's `out += identity`) would
            # change a kept output.
            dims = output.dim() if hasattr(output, "dim") else 0
            if dims == 4:  # (B, C, H, W): each channel's max over positions, and where
                best, where = output.detach().float().flatten(2).max(dim=2)  # the first max on ties
                rankings.setdefault(label, _Ranking(k, tuple(output.shape[-2:]))).add(best.cpu(), where.cpu(), seen[0])
            elif dims == 2:  # (B, F): a flat layer, each value is its own "channel"
                rankings.setdefault(label, _Ranking(k, None)).add(output.detach().float().cpu(), None, seen[0])
            elif wanted is not None:
                raise DatasetExamplesError(f"Layer {label} gives a tensor of shape "
                                           f"{tuple(getattr(output, 'shape', ()))[1:]}, neither feature maps nor a vector.")
            caught.add(label)
            if wanted is not None and len(caught) == len(wanted):
                raise _Caught  # every wanted output is in hand: the rest of the network need not run
        return hook

    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    handles = [module.register_forward_hook(make_hook(name)) for name, module in modules.items()]
    try:
        with torch.no_grad():
            for part in images.split(batch):
                calls.clear()
                caught.clear()
                try:
                    model(to_float(part).to(device))
                except _Caught:
                    pass
                for layer in wanted or ():
                    if layer not in caught:
                        raise DatasetExamplesError(f"Layer {layer} did not run when the images went through the network.")
                seen[0] += len(part)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    fields = _fields(model, shape) if any(r.map_size for r in rankings.values()) else {}
    image_size = (int(images.shape[2]), int(images.shape[3]))
    return {layer: ranking.examples(layer, fields.get(layer), image_size) for layer, ranking in rankings.items()}


class _Ranking:
    """One layer's top k images per channel so far, merged batch by batch: memory stays (C, k + B)
    however many images go through, instead of (C, N) scores for the whole set."""

    def __init__(self, k: int, map_size: tuple[int, int] | None):
        self.k, self.map_size = int(k), map_size
        self.values = self.indices = self.places = self.high = self.low = None
        self.searched = 0

    def add(self, scores: "torch.Tensor", places: "torch.Tensor | None", first: int) -> None:
        """A batch's (B, C) scores (and flat positions of the maxima) for images first, first + 1, ..."""
        import torch

        scores = scores.T  # (C, B)
        self.searched += scores.shape[1]
        numbers = torch.arange(first, first + scores.shape[1]).expand_as(scores)
        places = None if places is None else places.T
        high, low = scores.amax(dim=1), scores.amin(dim=1)
        if self.values is not None:  # the kept ones first: they have the lower image numbers
            scores = torch.cat((self.values, scores), dim=1)
            numbers = torch.cat((self.indices, numbers), dim=1)
            places = None if places is None else torch.cat((self.places, places), dim=1)
            high, low = torch.maximum(self.high, high), torch.minimum(self.low, low)
        # A stable sort, not topk: equal scores keep the lower test-image number first, every time.
        order = torch.sort(scores, dim=1, descending=True, stable=True).indices[:, :self.k]
        self.values, self.indices = torch.gather(scores, 1, order), torch.gather(numbers, 1, order)
        self.places = None if places is None else torch.gather(places, 1, order)
        self.high, self.low = high, low

    def examples(self, layer: str, field: "LayerField | None", image_size: tuple[int, int]) -> LayerExamples:
        import torch

        positions = None
        if self.map_size is not None:
            positions = torch.stack((self.places // self.map_size[1], self.places % self.map_size[1]), dim=2)
            positions = positions.numpy().astype(np.int64)
        constant = (self.high == self.low).numpy()  # no image beats another: ranking says nothing
        return LayerExamples(layer, self.indices.numpy().astype(np.int64), self.values.numpy().astype(np.float32),
                             positions, field if self.map_size is not None else None, image_size,
                             self.searched, constant)
