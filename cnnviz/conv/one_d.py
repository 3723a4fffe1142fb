"""1-D convolution (and the textbook, flipped one) and the 1x1 (pointwise) convolution, each with
its sum written out."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from cnnviz.conv.number_text import _number_text, _term_text
from cnnviz.conv.sizes import ConvSettingsError, output_size


def conv1d(signal, kernel, stride: int = 1, padding: int = 0, dilation: int = 1) -> np.ndarray:
    """1-D cross-correlation y[n] = sum_m x[n*S + m*D] w[m] (zero padding), through F.conv1d.

    Args:
        signal: (N,) numbers. kernel: (K,) numbers.

    Returns:
        float64 array (N_out,), N_out from output_size().
    """
    import torch
    import torch.nn.functional as F

    signal = np.ascontiguousarray(signal, dtype=np.float64)
    kernel = np.ascontiguousarray(kernel, dtype=np.float64)  # a flipped view has negative strides
    output_size(len(signal), len(kernel), stride, padding, dilation)  # raises with a sentence
    result = F.conv1d(
        torch.from_numpy(signal)[None, None],  # (1, 1, N)
        torch.from_numpy(kernel)[None, None],  # (1, 1, K)
        stride=stride, padding=padding, dilation=dilation,
    )
    return result[0, 0].numpy()


def conv1d_sum_text(signal, kernel, position: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> str:
    """One output of conv1d written out, indices in the unpadded signal (negative or past the end:
    padding, value 0), e.g. "y[1] = x[1]*w[0] + x[2]*w[1] = 3*1 + 2*(-1) = 1".
    """
    signal = np.asarray(signal, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    padded = np.pad(signal, padding)
    taps = position * stride + np.arange(len(kernel)) * dilation  # indices into padded
    names = " + ".join(f"x[{int(t) - padding}]*w[{m}]" for m, t in enumerate(taps))
    numbers = " + ".join(f"{_term_text(padded[t])}*{_term_text(w)}" for t, w in zip(taps, kernel))
    total = float(np.dot(padded[taps], kernel))
    return f"y[{position}] = {names} = {numbers} = {_number_text(total)}"


def true_convolution1d(signal, kernel) -> np.ndarray:
    """Textbook convolution y[n] = sum_m x[n-m] w[m], 'valid' part: cross-correlation with the
    kernel flipped. Returns float64 (N - K + 1,)."""
    return np.convolve(np.asarray(signal, float), np.asarray(kernel, float), mode="valid")


def pointwise(x, weights, bias=None) -> np.ndarray:
    """1x1 convolution: mixes channels at every pixel, nothing else (a fully connected layer
    applied at each pixel).

    Args:
        x: (C_in, H, W). weights: (C_out, C_in). bias: (C_out,) or None.

    Returns:
        float64 (C_out, H, W), computed with F.conv2d and a (C_out, C_in, 1, 1) kernel.
    """
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(np.asarray(x, dtype=np.float64))
    weights = torch.as_tensor(np.asarray(weights, dtype=np.float64))
    if weights.ndim != 2 or weights.shape[1] != x.shape[0]:
        raise ConvSettingsError(
            f"A 1x1 kernel on {x.shape[0]} channels needs {x.shape[0]} weights per output; "
            f"got a {tuple(weights.shape)} weight table."
        )
    b = None if bias is None else torch.as_tensor(np.asarray(bias, dtype=np.float64))
    return F.conv2d(x[None], weights[:, :, None, None], b)[0].numpy()  # (C_out, H, W)


def pointwise_sum_text(x, weights, row: int, col: int, names: Sequence[str] = ("R", "G", "B")) -> list[str]:
    """Each output channel of a 1x1 convolution at one pixel, written out, e.g.
    "out 0 = 1*R + 1*G + 1*B = 1*9 + 1*2 + 1*0 = 11" (one line per output channel)."""
    x = np.asarray(x, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    pixel = x[:, row, col]  # (C_in,)
    lines = []
    for index, row_weights in enumerate(weights):
        symbols = " + ".join(f"{_term_text(w)}*{n}" for w, n in zip(row_weights, names))
        numbers = " + ".join(f"{_term_text(w)}*{_term_text(v)}" for w, v in zip(row_weights, pixel))
        lines.append(f"out {index} = {symbols} = {numbers} = {_number_text(float(row_weights @ pixel))}")
    return lines
