"""compute(): the 2-D tab's settings and input -> its frozen Result: the layer, its arithmetic,
the kernels as applied, the output, the sliding grid and the photos' pictures."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cnnviz import conv
from cnnviz.figures import conv_figures
from cnnviz.lessons.conv_lab.arithmetic_section import Arithmetic, arithmetic
from cnnviz.lessons.conv_lab.layer import checked_layer
from cnnviz.lessons.conv_lab.settings import Settings, offers_per_channel


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the 2-D tab shows for one set of settings and one input.

    Attributes:
        settings: the controls.
        x: (C_in, H, W) the input.
        layer: the layer built, or None when the settings build none.
        arithmetic: its formulas and counts, or None with the layer.
        warnings: sentences about settings that work but waste something.
        refusal: the sentence refusing the settings for this input, or None.
        kernels: (C_in, F_h, F_w) the grids as applied (flipped for a true convolution), or None.
        weight: (layer.weight_shape()) or None; bias: (C_out,) or None.
        output: (C_out, H_out, W_out), or None when nothing can be drawn.
        grid, kinds: the sliding grid (C, H_g, W_g) and its cell kinds, as cnnviz.conv.sliding_grid.
        input_layer, output_layer: the encoded pictures of a photo (conv_figures.PhotoLayer).
    """

    settings: Settings
    x: np.ndarray
    layer: conv.ConvSettings | None
    arithmetic: Arithmetic | None
    warnings: tuple[str, ...] = ()
    refusal: str | None = None
    kernels: np.ndarray | None = None
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    output: np.ndarray | None = None
    grid: np.ndarray | None = None
    kinds: np.ndarray | None = None
    input_layer: conv_figures.PhotoLayer | None = None
    output_layer: conv_figures.PhotoLayer | None = None

    @property
    def playable(self) -> bool:
        """There is an output to step through."""
        return self.output is not None

    @property
    def cell_count(self) -> int:
        """Cells per output channel, H_out * W_out: the player's positions."""
        return self.output.shape[1] * self.output.shape[2]

    @property
    def last_position(self) -> int:
        """The player's last position: the bottom-right output cell."""
        return self.cell_count - 1

    @property
    def in_channels(self) -> int:
        return self.x.shape[0]

    @property
    def in_height(self) -> int:
        return self.x.shape[1]

    @property
    def in_width(self) -> int:
        return self.x.shape[2]


def applied_kernels(settings: Settings, tables, channels: int) -> np.ndarray:
    """The kernel editors' grids -> float32 (C_in, F_h, F_w) as the layer applies them.

    Args:
        settings: the controls (per channel? flipped?).
        tables: the editors' grids as typed: one per input channel when a kernel per channel is
            offered and chosen, else one shared by every channel.
        channels: C_in.
    """
    grids = np.asarray(tables, dtype=np.float32)  # (editors, F_h, F_w)
    if not (settings.conv_per_channel and offers_per_channel(settings.operation, channels)):
        grids = np.repeat(grids[:1], channels, axis=0)  # one kernel, copied to every channel
    if settings.conv_flip:
        grids = grids[:, ::-1, ::-1]  # a true convolution turns the kernel by 180 degrees
    return np.ascontiguousarray(grids)


def compute(settings: Settings, x: np.ndarray, kernel_tables=None) -> Result:
    """The 2-D tab for one input: the layer, its arithmetic, and (when it works) the output.

    Args:
        settings: the controls.
        x: (C_in, H, W) float32, from grid_input or photo_input.
        kernel_tables: the kernel editors' grids as typed (see applied_kernels); None for pooling,
            or when an editor's grid could not be read (then the formulas but no output).

    Returns:
        Result; its output is None when the settings are refused or a convolution has no kernel.
    """
    import torch

    channels, height, width = x.shape
    layer, warnings, refusal = checked_layer(settings, channels, height, width)
    shown = None if layer is None else arithmetic(layer, height, width, refused=refusal is not None)
    result = Result(settings, x, layer, shown, tuple(warnings), refusal)
    if refusal is not None or (not layer.is_pool and kernel_tables is None):
        return result
    grids = weight = bias = None
    if not layer.is_pool:
        grids = applied_kernels(settings, kernel_tables, channels)
        weight = conv.weight_from_channel_kernels(grids, layer)
        if layer.bias:
            bias = np.full(layer.out_channels, settings.conv_bias, dtype=np.float32)
    with torch.inference_mode():
        output = conv.apply(
            torch.from_numpy(x)[None],  # (1, C_in, H, W)
            None if weight is None else torch.from_numpy(weight),
            None if bias is None else torch.from_numpy(bias),
            layer,
        )[0].numpy()  # (C_out, H_out, W_out)
    values, kinds = conv.sliding_grid(x, layer)
    pictures = {}
    if not settings.is_grid:
        pictures = dict(input_layer=conv_figures.photo_layer(values),
                        output_layer=conv_figures.photo_layer(output if output.shape[0] in (1, 3) else output[:1]))
    return replace(result, kernels=grids, weight=weight, bias=bias, output=output, grid=values, kinds=kinds,
                   **pictures)
