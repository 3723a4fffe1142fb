"""Running a layer through torch, and the kernel tensor built from the lab's per-channel kernels."""

from __future__ import annotations

import numpy as np

from cnnviz.conv.settings import ConvSettings
from cnnviz.conv.sizes import ConvSettingsError


def apply(x, weight=None, bias=None, settings: ConvSettings = ConvSettings()):
    """Run the layer through torch.

    Args:
        x: float tensor (N, C_in, H, W).
        weight: tensor of settings.weight_shape() (None for pooling).
        bias: tensor (C_out,) or None.
        settings: the layer; validated first.

    Returns:
        tensor (N, C_out, H_out, W_out), same dtype as x.

    Raises:
        ConvSettingsError: invalid settings, or a weight of the wrong shape.
    """
    import torch.nn.functional as F

    _, channels, height, width = x.shape
    if channels != settings.in_channels:
        raise ConvSettingsError(
            f"The input has {channels} channels but the layer expects {settings.in_channels}."
        )
    settings.validate(height, width)
    if settings.operation == "max_pool":
        return F.max_pool2d(x, settings.kernel_size, settings.stride, settings.symmetric_padding, settings.dilation)
    if settings.operation == "avg_pool":
        # count_include_pad=True (PyTorch's default): zeros in the padding count towards the mean.
        return F.avg_pool2d(x, settings.kernel_size, settings.stride, settings.symmetric_padding)
    expected = settings.weight_shape()
    if weight is None or tuple(weight.shape) != expected:
        got = None if weight is None else tuple(weight.shape)
        raise ConvSettingsError(f"The kernel tensor must have shape {expected}; got {got}.")
    if settings.is_transposed:
        return F.conv_transpose2d(
            x, weight, bias, settings.stride, settings.symmetric_padding,
            settings.output_padding, settings.groups, settings.dilation,
        )
    top, bottom, left, right = settings.padding_amounts()
    if settings.padding_mode == "zeros" and top == bottom and left == right:
        return F.conv2d(x, weight, bias, settings.stride, (top, left), settings.dilation, settings.groups)
    mode = "constant" if settings.padding_mode == "zeros" else settings.padding_mode
    padded = F.pad(x, (left, right, top, bottom), mode=mode)  # (N, C_in, H+top+bottom, W+left+right)
    return F.conv2d(padded, weight, bias, settings.stride, 0, settings.dilation, settings.groups)


def weight_from_channel_kernels(kernels: np.ndarray, settings: ConvSettings) -> np.ndarray:
    """The kernel tensor for the lab's two layouts, from one 2-D kernel per input channel.

    Args:
        kernels: (C_in, F_h, F_w): the kernel that each input channel is filtered with.
        settings: groups=1 with out_channels=1 (every channel feeds one output, summed), or
            groups = in_channels = out_channels (depthwise: each channel gives its own output).

    Returns:
        float32 array of settings.weight_shape().
    """
    kernels = np.asarray(kernels, dtype=np.float32)
    shape = settings.weight_shape()
    c_in = settings.in_channels
    if shape is None:
        raise ConvSettingsError("Pooling has no kernel values.")
    if kernels.shape != (c_in, *settings.kernel_size):
        raise ConvSettingsError(
            f"Expected {c_in} kernels of {settings.kernel_size[0]}x{settings.kernel_size[1]}; "
            f"got an array of shape {kernels.shape}."
        )
    depthwise = settings.groups == c_in == settings.out_channels
    if not (depthwise or (settings.groups == 1 and settings.out_channels == 1)):
        raise ConvSettingsError(
            "Per-channel kernels describe one output channel (groups=1) or a depthwise layer "
            f"(groups = channels); got groups={settings.groups}, {settings.out_channels} outputs."
        )
    if depthwise or settings.is_transposed:
        # conv depthwise: (C, 1, Fh, Fw); transposed: (C_in, C_out/groups = 1, Fh, Fw).
        return kernels[:, None].copy()
    return kernels[None].copy()  # (1, C_in, Fh, Fw)
