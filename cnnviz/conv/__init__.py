"""Convolution and pooling arithmetic: output sizes, settings checks, torch outputs, and the
step-by-step account of any output cell.

Deep-learning "convolution" is cross-correlation: each output cell is the sum of the element-wise
products of the kernel and the input window under it, plus a bias (no kernel flip). Sizes follow

    W_out = floor((W_in + P_left + P_right - D*(F-1) - 1) / S) + 1            (convolution, pooling)
    W_out = (W_in - 1)*S - 2*P + D*(F-1) + output_padding + 1               (transposed)

The outputs shown come from torch (F.conv2d, F.conv_transpose2d, F.max_pool2d, F.avg_pool2d);
explain_cell() recomputes one output cell by hand from the window, and the tests check that the two
agree over a grid of settings. The by-hand path exists because torch cannot show the inner steps
(which cells, which taps, which products) that the lesson is about.

A transposed convolution is explained as the direct convolution it equals (Dumoulin & Visin,
"A guide to convolution arithmetic", https://arxiv.org/abs/1603.07285): insert S-1 zeros between
input cells, pad by D*(F-1)-P on each side (plus output_padding at the bottom/right), and slide the
flipped kernel with stride 1. That way every operation has one "sliding grid" with a window on it.

Everything here works on numbers and numpy; torch is imported inside the functions that need it.
The package is read as one module (cnnviz.conv.X); each idea lives in its own file:

    sizes        output sizes along one axis, 'same' padding, and their formulas
    settings     ConvSettings: one layer, its checks, shapes and formula lines
    cost         parameters (with their formula), multiply-adds, values read by pooling
    torch_layer  running the layer through torch; kernels from per-channel ones
    grid         the sliding grid and the window's position on it
    cell         one output cell recomputed by hand
    one_d        1-D and 1x1 convolutions with their sums written out
    im2col       a convolution as one matrix product: X_col, W_row and their shapes
"""

from __future__ import annotations

from cnnviz.conv.cell import CellExplanation, Tap, explain_cell
from cnnviz.conv.cost import multiply_adds, parameter_count, parameter_formula, window_reads
from cnnviz.conv.grid import INPUT_CELL, INSERTED_CELL, PADDING_CELL, sliding_grid, window_position
from cnnviz.conv.im2col import im2col, im2col_shapes
from cnnviz.conv.one_d import conv1d, conv1d_sum_text, pointwise, pointwise_sum_text, true_convolution1d
from cnnviz.conv.settings import OPERATIONS, PADDING_MODES, PADDING_WORDS, ConvSettings
from cnnviz.conv.sizes import (
    ConvSettingsError,
    output_size,
    output_size_formula,
    same_padding,
    same_padding_formula,
    transposed_output_size,
    transposed_output_size_formula,
)
from cnnviz.conv.torch_layer import apply, weight_from_channel_kernels

__all__ = [
    "INPUT_CELL", "INSERTED_CELL", "OPERATIONS", "PADDING_CELL", "PADDING_MODES", "PADDING_WORDS",
    "CellExplanation", "ConvSettings", "ConvSettingsError", "Tap",
    "apply", "conv1d", "im2col", "im2col_shapes", "conv1d_sum_text", "explain_cell", "multiply_adds", "output_size",
    "output_size_formula", "parameter_count", "parameter_formula", "pointwise", "pointwise_sum_text", "same_padding", "same_padding_formula", "sliding_grid",
    "transposed_output_size", "transposed_output_size_formula", "true_convolution1d",
    "weight_from_channel_kernels", "window_position", "window_reads",
]
