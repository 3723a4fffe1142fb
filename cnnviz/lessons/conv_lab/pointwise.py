"""The 1x1 tab: a weight table mixing an RGB patch's channels at every pixel, the sums at one
pixel written out, and the torch layer with the nn.Linear it equals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz import conv, kernels
from cnnviz.figures import conv_figures

# The patch the tab mixes, the weights it opens with, and the pixel sliders' ranges.
POINTWISE_PATCH = kernels.example_rgb_patch(5)  # (3, 5, 5)
POINTWISE_WEIGHTS = ((1.0, 1.0, 1.0), (1.0, 0.0, -1.0))  # the weight table the tab opens with
POINTWISE_OUTPUTS = ("out 0", "out 1")
PIXEL_ROWS = (0, POINTWISE_PATCH.shape[1] - 1)
PIXEL_COLS = (0, POINTWISE_PATCH.shape[2] - 1)


@dataclass(frozen=True, eq=False)
class Pointwise:
    """The 1x1 tab at one pixel of POINTWISE_PATCH.

    Attributes:
        weights: (C_out, 3); output: (C_out, H, W); pixel: (row, col).
        sum_lines: one line per output channel, its sum written out.
        torch_line: the torch layer, its parameters, and the nn.Linear it equals.
    """

    weights: np.ndarray
    output: np.ndarray
    pixel: tuple[int, int]
    sum_lines: tuple[str, ...]
    torch_line: str

    def figure(self):
        """The patch, the weights and the output at the pixel (conv_figures)."""
        return conv_figures.pointwise_figure(POINTWISE_PATCH, self.weights, self.output, pixel=self.pixel)


def pointwise_lesson(weight_table, row: int, col: int) -> Pointwise:
    """The 1x1 tab for a weight table (one row per output channel, one column per R, G, B).

    Raises:
        kernels.KernelPresetError, conv.ConvSettingsError: a table that is no weight table.
    """
    weights = kernels.grid_from_table(weight_table, "weight table")
    output = conv.pointwise(POINTWISE_PATCH, weights)
    layer = conv.ConvSettings(kernel_size=1, in_channels=3, out_channels=weights.shape[0])
    torch_line = (f"{layer.torch_line()}  # {conv.parameter_count(layer)} parameters, "
                  f"like nn.Linear(3, {weights.shape[0]}) at every pixel")
    return Pointwise(weights, output, (row, col),
                     tuple(conv.pointwise_sum_text(POINTWISE_PATCH, weights, row, col)), torch_line)
