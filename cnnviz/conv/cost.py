"""What a layer costs: learnable parameters, multiply-adds, and the values pooling reads."""

from __future__ import annotations

import numpy as np

from cnnviz.conv.settings import ConvSettings


def parameter_count(settings: ConvSettings) -> int:
    """Learnable numbers in the layer: C_out * (C_in/groups) * F_h * F_w + C_out (bias); 0 for pooling.

    >>> parameter_count(ConvSettings(kernel_size=5, in_channels=3))
    76
    """
    shape = settings.weight_shape()
    if shape is None:
        return 0
    return int(np.prod(shape)) + (settings.out_channels if settings.bias else 0)


def multiply_adds(settings: ConvSettings, height: int, width: int) -> int:
    """Multiply-adds for one input image of height x width (0 for pooling, which only compares
    or adds). A direct convolution does C_in/groups * F_h * F_w per output value; a transposed one
    scatters every input value through C_out/groups * F_h * F_w taps.
    """
    shape = settings.weight_shape()
    if shape is None:
        return 0
    if settings.is_transposed:
        return height * width * int(np.prod(shape))
    _, out_h, out_w = settings.output_shape(height, width)
    return out_h * out_w * int(np.prod(shape))


def window_reads(settings: ConvSettings, height: int, width: int) -> int:
    """Input values read by a pooling layer (one comparison or addition each) for one image."""
    c_out, out_h, out_w = settings.output_shape(height, width)
    return c_out * out_h * out_w * settings.kernel_size[0] * settings.kernel_size[1]
