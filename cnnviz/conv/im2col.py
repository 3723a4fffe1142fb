"""im2col: a convolution as one matrix product, the way fast libraries compute it.

Every window the kernel visits is unrolled into one column of X_col, (C_in * F_h * F_w) rows by
(H_out * W_out) columns; the kernels are unrolled into the rows of W_row, C_out x (C_in * F_h * F_w).
Then W_row @ X_col (+ the bias) is C_out x (H_out * W_out): the output, one row per output channel,
reshaped to C_out x H_out x W_out.
"""

from __future__ import annotations

import numpy as np

from cnnviz.conv.settings import ConvSettings
from cnnviz.conv.sizes import ConvSettingsError


def im2col_shapes(settings: ConvSettings, height: int, width: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """((rows, cols) of X_col, (rows, cols) of W_row) for a (groups 1) convolution of a height x width input.

    >>> im2col_shapes(ConvSettings(kernel_size=11, stride=4, in_channels=3, out_channels=96), 227, 227)
    ((363, 3025), (96, 363))
    """
    _check(settings)
    _, out_h, out_w = settings.output_shape(height, width)
    taps = settings.in_channels * settings.kernel_size[0] * settings.kernel_size[1]
    return (taps, out_h * out_w), (settings.out_channels, taps)


def im2col(x: np.ndarray, settings: ConvSettings) -> np.ndarray:
    """X_col of input ``x`` ((C_in, H, W)): float32 (C_in * F_h * F_w, H_out * W_out).

    Row c * F_h * F_w + u * F_w + v holds input channel c at kernel tap (u, v); column
    i * W_out + j is output cell (i, j), in reading order. The input is padded as the layer pads it
    (zeros, or the padding mode), so W_row @ X_col is the layer's output exactly.
    """
    import torch
    import torch.nn.functional as F

    _check(settings)
    settings.validate(x.shape[1], x.shape[2])
    top, bottom, left, right = settings.padding_amounts()
    mode = "constant" if settings.padding_mode == "zeros" else settings.padding_mode
    tensor = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))[None]
    padded = F.pad(tensor, (left, right, top, bottom), mode=mode)
    return F.unfold(padded, settings.kernel_size, dilation=settings.dilation, stride=settings.stride)[0].numpy()


def _check(settings: ConvSettings) -> None:
    if settings.operation != "conv" or settings.groups != 1:
        raise ConvSettingsError("im2col is shown for a convolution with groups = 1.")
