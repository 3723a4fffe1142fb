"""The conv lab's im2col section: W_row @ X_col + b is the layer's own output (torch's), for every
padding, stride and dilation; the shapes as printed, and CONCEPTS' AlexNet figures."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz import conv, images, kernels
from cnnviz.lessons import conv_lab as lesson


@pytest.mark.parametrize("kernel, stride, padding, dilation, mode", [
    (3, 1, (0, 0), 1, "zeros"), (3, 2, (1, 1), 1, "zeros"), (4, 1, "same", 1, "zeros"), (3, 1, (2, 2), 2, "reflect"),
    ((2, 5), (1, 2), (1, 2), 1, "replicate"), (5, 1, "same", 2, "circular"),
])
def test_w_row_times_x_col_is_the_layers_output(kernel, stride, padding, dilation, mode):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 11, 13)).astype(np.float32)
    settings = conv.ConvSettings(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation, padding_mode=mode,
                                 in_channels=3, out_channels=4)
    weight = rng.normal(size=settings.weight_shape()).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    x_col = conv.im2col(x, settings)
    (rows, cols), (c_out, taps) = conv.im2col_shapes(settings, 11, 13)
    assert x_col.shape == (rows, cols) and (c_out, taps) == (4, rows)
    product = weight.reshape(4, -1) @ x_col + bias[:, None]
    expected = conv.apply(torch.from_numpy(x)[None], torch.from_numpy(weight), torch.from_numpy(bias), settings)[0]
    assert product.reshape(expected.shape) == pytest.approx(expected.numpy(), abs=1e-4)


def test_each_column_is_one_window_in_reading_order():
    x = np.arange(25, dtype=np.float32).reshape(1, 5, 5)
    x_col = conv.im2col(x, conv.ConvSettings(kernel_size=3))
    assert x_col[:, 0].tolist() == [0, 1, 2, 5, 6, 7, 10, 11, 12]  # output (0, 0): the top-left window
    assert x_col[:, 1].tolist() == [1, 2, 3, 6, 7, 8, 11, 12, 13]  # output (0, 1): one step right
    assert x_col[:, 3].tolist() == [5, 6, 7, 10, 11, 12, 15, 16, 17]  # output (1, 0): the next row


def test_alexnets_first_layer_unrolls_into_363_by_3025():
    assert conv.im2col_shapes(lesson.im2col_section.ALEXNET, 227, 227) == ((363, 3025), (96, 363))
    grid = lesson.grid_input(tuple(map(tuple, kernels.example_grid("Classic 5x5 example").tolist())))
    result = lesson.compute(lesson.DEFAULT, grid, (kernels.make_kernel("Classic X (worked example)").tolist(),))
    shown = lesson.im2col_view(result.layer, result.x, result.weight, result.bias)
    assert "X_col is 363 x 3,025 and W_row 96 x 363" in shown.example


def test_the_lab_grid_shows_both_matrices_and_their_product_is_the_output():
    grid = lesson.grid_input(tuple(map(tuple, kernels.example_grid("Classic 5x5 example").tolist())))
    settings = replace(lesson.DEFAULT, conv_bias=0.5)
    result = lesson.compute(settings, grid, (kernels.make_kernel("Classic X (worked example)").tolist(),))
    shown = lesson.im2col_view(result.layer, result.x, result.weight, result.bias)
    x_col, w_row, product = shown.tables
    assert x_col.shape == (9, 9) and w_row.shape == (1, 9)
    assert product.reshape(result.output.shape) == pytest.approx(result.output)
    assert shown.shape_lines[0].endswith(r"= (1 \cdot 3 \cdot 3) \times (3 \cdot 3) = 9 \times 9")
    assert shown.shape_lines[1].endswith(r"= 1 \times 9")
    assert shown.shape_lines[2].endswith(r"1 \times 9 \;\to\; 1 \times 3 \times 3")
    expected = F.unfold(torch.from_numpy(grid)[None], 3)[0].numpy()
    assert np.array_equal(x_col, expected)


def test_a_photo_is_described_not_drawn_and_other_operations_say_why_not():
    photo = lesson.photo_input(images.load_sample_image("cat"), grey=False)
    settings = replace(lesson.DEFAULT, conv_source="Photo")
    result = lesson.compute(settings, photo, (kernels.make_kernel("Sobel x").tolist(),))
    shown = lesson.im2col_view(result.layer, result.x, result.weight, result.bias)
    assert shown.tables is None  # described, not built: 27 x 133,802 on every rerun would cost
    assert shown.shape_lines[0].endswith(r"= (3 \cdot 3 \cdot 3) \times (298 \cdot 449) = 27 \times 133802")
    depthwise = replace(settings, conv_groups=3)
    result = lesson.compute(depthwise, photo, (kernels.make_kernel("Sobel x").tolist(),))
    assert lesson.im2col_view(result.layer, result.x, result.weight, result.bias) == lesson.im2col_section.NOT_SHOWN
