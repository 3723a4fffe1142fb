"""The Layer outputs view: the layer menu, one step's feature maps or vector with the strip of
every step's mean, the channel to show, and one channel drawn large with its range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnviz import activations

LAYERS_INTRO = (
    "Each step of the network turns the image into new **feature maps**, one per channel. The "
    "strip shows one picture per step: the **mean over its channels**. Convolution, batch norm, "
    "ReLU and pooling are separate steps, so you can see what each one does. Step 1, *Normalize*, "
    "shows how the pixels are standardised before the first convolution."
)
CHANNEL_SCALES = {"channel": "per channel", "layer": "per layer", "global": "global"}  # as the channel grid takes them
CHANNEL_ORDERS = {"index": "number", "activation": "mean activation"}  # as activations.channel_order takes them
GRID_CHANNELS = 64  # channels the grid draws at most


def layer_labels(captured: activations.CapturedForward) -> list[str]:
    """The layer menu: "2. ReLU features.act1 (6 x 28 x 28)", numbered in the order they ran."""
    return [f"{i + 1}. {layer.kind} {layer.name} ({layer.shape_text})" for i, layer in enumerate(captured.layers)]


def first_layer_shown(count: int) -> int:
    """The layer menu's first choice: the second step, or the only one."""
    return min(1, count - 1)


@dataclass(frozen=True)
class LayerView:
    """One step's output, as the Layer outputs view draws it.

    Attributes:
        name, kind: the step's.
        output: float32 (C, H, W) feature maps or an (F,) vector.
        overview: (name, mean over channels) of every step, for the strip; kinds: their classes.
        value_range: (min, max) over every step, for a global colour scale.
        vector_names: the class names when a vector has one value per class, else None.
        vector_title: "fc3: 10 values" (vectors only).
        grid_caption: "The first 64 of 120 channels in this order." when the grid leaves some out.
    """

    name: str
    kind: str
    output: np.ndarray
    overview: list
    kinds: list[str]
    value_range: tuple[float, float]
    vector_names: list[str] | None
    vector_title: str
    grid_caption: str | None

    @property
    def is_spatial(self) -> bool:
        return self.output.ndim == 3

    @property
    def channels(self) -> int:
        return self.output.shape[0] if self.is_spatial else 0

    def channel_order(self, by: str) -> list[int]:
        """Channel indices in display order: by "index" or by mean "activation" (strongest first)."""
        import torch

        return activations.channel_order(torch.from_numpy(self.output), by)


def layer_view(captured: activations.CapturedForward, index: int, classes: Sequence[str]) -> LayerView:
    """Step ``index`` (0-based, as layer_labels counts from 1) of a captured forward pass."""
    layer = captured.layers[index]
    output = layer.output.numpy()
    count = output.size
    vector_names = list(classes) if output.ndim != 3 and count == len(classes) else None
    grid_caption = (f"The first {GRID_CHANNELS} of {output.shape[0]} channels in this order."
                    if output.ndim == 3 and output.shape[0] > GRID_CHANNELS else None)
    return LayerView(layer.name, layer.kind, output, activations.overview(captured),
                     [step.kind for step in captured.layers], activations.value_range(captured),
                     vector_names, f"{layer.name}: {count} values", grid_caption)


def channel_to_show(current: int, clicked: int | None, channels: int) -> int:
    """The channel to show: a newly clicked tile's, else the current one if this layer has it, else 0.

    Args:
        current: the channel box's value.
        clicked: the channel of a new click on the grid, or None.
        channels: the layer's channel count.
    """
    channel = int(current if clicked is None else clicked)
    return channel if 0 <= channel < channels else 0


@dataclass(frozen=True)
class ChannelDetail:
    """One channel drawn large: its (H, W) values and the title with their range."""

    values: np.ndarray
    title: str


def channel_detail(view: LayerView, channel: int) -> ChannelDetail:
    """Channel ``channel`` of a spatial step, titled "features.c1, channel 3: min -0.120, max 0.870"."""
    values = view.output[int(channel)]
    return ChannelDetail(values, f"{view.name}, channel {channel}: min {values.min():.3f}, max {values.max():.3f}")
