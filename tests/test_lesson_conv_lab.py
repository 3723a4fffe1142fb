"""The Convolution lab's lesson: the player's cell and window, and the texts with the student's numbers.

The window is checked against torch itself: F.unfold lists, per output cell in torch's own order,
the input values F.conv2d multiplies; the window the player highlights must hold exactly those.
Inputs, kernels, strides, dilations and paddings differ per axis and the outputs are not square,
so a swapped row and column, a divmod by the wrong side or an ignored setting shows.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz import conv
from cnnviz.lessons import conv_lab as lesson

# Every setting differs between the axes.
KERNEL, STRIDE, DILATION, PADDING = (3, 2), (2, 3), (1, 2), (1, 0)
# 5x9 as in the lab's worked case (3x3 out), then 5x12 (3 rows of 4) and 7x9 (4 rows of 3).
INPUT_SIZES = ((5, 9), (5, 12), (7, 9))


def non_square_settings() -> conv.ConvSettings:
    return conv.ConvSettings(kernel_size=KERNEL, stride=STRIDE, dilation=DILATION, padding=PADDING)


def distinct_input(height: int, width: int) -> np.ndarray:
    """(1, H, W) of 1 .. H*W shuffled: every input cell tells itself apart, and from padding's 0."""
    values = np.random.default_rng(3).permutation(height * width) + 1
    return values.reshape(1, height, width).astype(np.float32)


def test_output_sizes_are_not_square():
    settings = non_square_settings()
    assert [settings.output_shape(h, w) for h, w in INPUT_SIZES] == [(1, 3, 3), (1, 3, 4), (1, 4, 3)]


@pytest.mark.parametrize("shape", [(1, 3, 4), (2, 4, 3), (1, 1, 7), (1, 6, 1)])
def test_positions_run_in_reading_order(shape):
    """Position p is torch's p-th cell of a row-major (H_out, W_out) output, and back."""
    _, out_h, out_w = shape
    order = torch.arange(out_h * out_w).reshape(out_h, out_w)
    for position in range(out_h * out_w):
        cell = lesson.cell_at(position, shape, channel=shape[0] - 1)
        assert (cell.channel, cell.row, cell.col) == (shape[0] - 1, *np.unravel_index(position, (out_h, out_w)))
        assert int(order[cell.row, cell.col]) == position
        assert lesson.position_of(cell.row, cell.col, out_w) == position
    assert lesson.cell_at(out_h * out_w + 5, shape) == lesson.PlayerCell(0, out_h - 1, out_w - 1)
    assert lesson.cell_at(-1, shape) == lesson.PlayerCell(0, 0, 0)


@pytest.mark.parametrize("size", INPUT_SIZES)
def test_the_highlighted_window_holds_what_torch_multiplies(size):
    height, width = size
    settings = non_square_settings()
    x = distinct_input(height, width)
    output_shape = settings.output_shape(height, width)
    columns = F.unfold(torch.from_numpy(x)[None], KERNEL, dilation=DILATION, padding=PADDING, stride=STRIDE)[0]
    assert columns.shape == (KERNEL[0] * KERNEL[1], output_shape[1] * output_shape[2])
    grid, _ = conv.sliding_grid(x, settings)
    padded = np.pad(x[0], [(p, p) for p in PADDING])
    weight = torch.arange(1.0, 1 + KERNEL[0] * KERNEL[1]).reshape(1, 1, *KERNEL)
    out = F.conv2d(torch.from_numpy(x)[None], weight, stride=STRIDE, padding=PADDING, dilation=DILATION)[0, 0]
    for position in range(columns.shape[1]):
        cell = lesson.cell_at(position, output_shape)
        window = lesson.window_of(settings, cell.row, cell.col)
        expected = columns[:, position].reshape(KERNEL).numpy()
        # The highlight on the sliding grid (the padded input the page draws).
        np.testing.assert_array_equal(grid[0][np.ix_(window.grid_rows, window.grid_cols)], expected)
        # The same taps in input coordinates: outside the input reads padding's 0.
        inside = ((window.input_rows[:, None] >= 0) & (window.input_rows[:, None] < height)
                  & (window.input_cols[None, :] >= 0) & (window.input_cols[None, :] < width))
        read = np.where(inside, x[0][np.clip(window.input_rows, 0, height - 1)][:, np.clip(window.input_cols, 0,
                                                                                       width - 1)], 0)
        np.testing.assert_array_equal(read, expected)
        np.testing.assert_array_equal(padded[np.ix_(window.grid_rows, window.grid_cols)], expected)
        assert float((read * weight[0, 0].numpy()).sum()) == float(out[cell.row, cell.col])


def test_window_of_a_worked_cell():
    """5x9 input, output cell (1, 2): rows 1*2 + 0,1,2 and columns 2*3 + 0,2 on the grid padded by
    one row above; so input rows 1, 2, 3 and columns 6, 8."""
    window = lesson.window_of(non_square_settings(), 1, 2)
    assert window.grid_rows.tolist() == [2, 3, 4] and window.grid_cols.tolist() == [6, 8]
    assert window.input_rows.tolist() == [1, 2, 3] and window.input_cols.tolist() == [6, 8]
    top_left = lesson.window_of(non_square_settings(), 0, 0)
    assert top_left.input_rows.tolist() == [-1, 0, 1] and top_left.input_cols.tolist() == [0, 2]


def test_formula_text_same_padding_worked_example():
    """28x28 input, F=5, P=2, S=1: (28 + 4 - 4 - 1)/1 + 1 = 28; 25 weights and a bias."""
    shown = lesson.arithmetic(conv.ConvSettings(kernel_size=5, padding=2), 28, 28)
    assert shown.formula_lines[1] == (r"W_{\mathrm{out}} = \left\lfloor \frac{28 + 2 \cdot 2 - 1 \cdot (5-1) - 1}{1}"
                                      r" \right\rfloor + 1 = \left\lfloor \frac{27}{1} \right\rfloor + 1 = 27 + 1 = 28")
    assert shown.formula_lines[0].startswith("H_") and shown.formula_lines[0].endswith("= 28")
    assert [(m.label, m.value) for m in shown.metrics] == [
        ("Output", "1x28x28"), ("Parameters", "26"), ("Multiply-adds", f"{28 * 28 * 25:,}")]


def test_formula_text_alexnet_worked_example():
    """AlexNet's first layer: 227, F=11, S=4 -> (227 - 10 - 1)/4 + 1 = 55; 96 x 3 x 11 x 11 + 96."""
    settings = conv.ConvSettings(kernel_size=11, stride=4, in_channels=3, out_channels=96)
    shown = lesson.arithmetic(settings, 227, 227)
    for line in shown.formula_lines:
        assert r"\frac{227 + 2 \cdot 0 - 1 \cdot (11-1) - 1}{4}" in line and line.endswith("= 54 + 1 = 55")
    assert shown.torch_line == "nn.Conv2d(3, 96, kernel_size=11, stride=4, padding=0)"
    assert [(m.label, m.value) for m in shown.metrics] == [
        ("Output", "96x55x55"), ("Parameters", "34,944"), ("Multiply-adds", f"{55 * 55 * 96 * 3 * 11 * 11:,}")]
    layer = torch.nn.Conv2d(3, 96, kernel_size=11, stride=4)
    assert tuple(layer(torch.zeros(1, 3, 227, 227)).shape[1:]) == (96, 55, 55)
    assert sum(p.numel() for p in layer.parameters()) == 34944


def test_formula_texts_keep_the_axes_apart():
    """Non-square: H uses F_h, S_h, D_h, P_h; W uses F_w, S_w, D_w, P_w; torch agrees on the sizes."""
    settings = non_square_settings()
    shown = lesson.arithmetic(settings, 5, 12, refused=False)
    h_line, w_line = shown.formula_lines
    assert r"\frac{5 + 2 \cdot 1 - 1 \cdot (3-1) - 1}{2}" in h_line and h_line.endswith("= 3")
    assert r"\frac{12 + 2 \cdot 0 - 2 \cdot (2-1) - 1}{3}" in w_line and w_line.endswith("= 4")
    out = F.conv2d(torch.zeros(1, 1, 5, 12), torch.zeros(1, 1, *KERNEL), stride=STRIDE, padding=PADDING,
                   dilation=DILATION)
    assert shown.metrics[0].value == "1x{}x{}".format(*out.shape[2:])
    assert shown.metrics[2].value == f"{out.numel() * KERNEL[0] * KERNEL[1]:,}"
    assert lesson.arithmetic(settings, 5, 12, refused=True).metrics == ()


def test_pooling_counts():
    shown = lesson.arithmetic(conv.ConvSettings(operation="max_pool", kernel_size=(2, 3), stride=(2, 3)), 4, 9)
    assert [(m.label, m.value) for m in shown.metrics] == [("Output", "1x2x3"), ("Parameters", "0"),
                                                            ("Values read", "36")]


def test_cell_texts_name_the_cell():
    settings = non_square_settings()
    x = distinct_input(5, 12)
    weight = torch.ones(1, 1, *KERNEL)
    shape = settings.output_shape(5, 12)
    cell = lesson.cell_at(6, shape)  # row 1, column 2 of 3 rows of 4
    explanation = conv.explain_cell(x, weight, None, settings, 0, cell.row, cell.col)
    texts = lesson.cell_texts(shape, cell, explanation)
    assert texts.output_title == "Output 1x3x4 (click a cell to jump to its window)"
    assert texts.patch_title == "Output row 1, column 2: the window, zoomed"
    assert texts.sum_line == f"**output[0, 1, 2]** = `{explanation.sum_text()}`"


def test_settings_from_the_controls():
    assert lesson.settings_kwargs("conv", 3, 2, "same", "reflect", 3, 3, 0) == dict(
        stride=2, padding="same", padding_mode="reflect", dilation=3, groups=3, output_padding=0,
        in_channels=3, out_channels=3)
    pool = lesson.settings_kwargs("max_pool", 1, 1, "4", "reflect", 1, 1, 0)
    assert pool["padding"] == 4 and pool["padding_mode"] == "zeros" and pool["out_channels"] == 1
    settings, warnings, error = lesson.lab_settings("conv", (3, 3), lesson.settings_kwargs(
        "conv", 1, 2, "same", "zeros", 1, 1, 0), 5, 5)
    assert settings is not None and warnings == [] and error.endswith(".") and "stride" in error
    settings, _, error = lesson.lab_settings("conv", (3, 2), lesson.settings_kwargs(
        "conv", 1, 1, "1", "zeros", 1, 1, 0), 5, 9)
    assert error is None and settings.output_shape(5, 9) == (1, 5, 10)
