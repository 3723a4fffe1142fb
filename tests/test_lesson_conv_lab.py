"""The Convolution lab's lesson: the player's cell and window, and the texts with the student's numbers.

The window is checked against torch itself: F.unfold lists, per output cell in torch's own order,
the input values F.conv2d multiplies; the window the player highlights must hold exactly those.
Inputs, kernels, strides, dilations and paddings differ per axis and the outputs are not square,
so a swapped row and column, a divmod by the wrong side or an ignored setting shows.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnviz import conv, images, kernels
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
    assert texts.output_title == "Output 1x3x4"
    assert texts.patch_title == "Row 1, column 2: the window, zoomed"
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


# --- Settings: the page's controls ------------------------------------------------------------------

PAGE = Path(__file__).resolve().parent.parent / "pages" / "conv_lab.py"
# The 3 x 5 grid x[r, c] = 5r + c + 1 and a 2 x 3 kernel: a (1, 2, 3) output, worked by hand below.
GRID_3X5 = tuple(tuple(float(5 * r + c + 1) for c in range(5)) for r in range(3))
KERNEL_2X3 = ((1.0, 0.0, -1.0), (0.0, 1.0, 0.0))


def grid_settings(**fields) -> lesson.Settings:
    return lesson.Settings(**{"conv_kh": 2, "conv_kw": 3, **fields})


def test_settings_fields_are_the_2d_tabs_url_parameters():
    """Every widget whose value the page hands to the lesson (its `ask` calls) is a Settings
    field of the same name, and every field has its widget."""
    asked = set(re.findall(r'\bask\((?:(?!\bask\().)*?key="(conv_[a-z_]+)"', PAGE.read_text(), flags=re.S))
    assert asked == {f.name for f in fields(lesson.Settings)}


def test_settings_defaults_are_the_widgets_defaults():
    settings = lesson.Settings()
    assert (settings.conv_source, settings.conv_operation, settings.conv_grid_size) == ("Numeric grid",
                                                                                        "Convolution", 5)
    assert settings.conv_photo == images.sample_image_names()[1] and settings.kernel_size == (3, 3)
    assert (settings.conv_stride, settings.conv_padding, settings.conv_dilation, settings.conv_groups,
            settings.conv_output_padding, settings.conv_bias, settings.conv_flip) == (1, "0", 1, 1, 0, 0.0, False)


def test_hidden_widgets_values_are_ignored_as_the_page_ignores_them():
    """Groups need 3 channels, output padding a transposed convolution, the padding mode a
    convolution: a value left over from a widget the page no longer shows changes nothing."""
    leftover = lesson.Settings(conv_groups=3, conv_output_padding=2, conv_padding_mode="reflect")
    assert leftover.layer_kwargs(1) == lesson.Settings(conv_padding_mode="reflect").layer_kwargs(1) == dict(
        stride=1, padding=0, padding_mode="reflect", dilation=1, groups=1, output_padding=0, in_channels=1,
        out_channels=1)
    assert leftover.layer_kwargs(3)["groups"] == 3 and leftover.layer_kwargs(3)["out_channels"] == 3
    pool = replace(leftover, conv_operation="Max pooling")
    assert (pool.layer_kwargs(3)["groups"], pool.layer_kwargs(3)["padding_mode"]) == (1, "zeros")
    transposed = replace(leftover, conv_operation="Transposed convolution")
    assert transposed.layer_kwargs(1)["output_padding"] == 2 and transposed.layer_kwargs(1)["padding_mode"] == "zeros"


# --- compute -------------------------------------------------------------------------------------------


def test_compute_a_non_square_grid_by_hand():
    """x[r, c] = 5r + c + 1 (3 x 5), kernel [[1, 0, -1], [0, 1, 0]]: out[i, j] = x[i, j] - x[i, j+2]
    + x[i+1, j+1] = -2 + (5i + j + 7) = 5i + j + 5, plus the bias 0.5; 2 rows of 3."""
    settings = grid_settings(conv_bias=0.5)
    result = lesson.compute(settings, lesson.grid_input(GRID_3X5), (KERNEL_2X3,))
    assert result.playable and result.refusal is None and result.warnings == ()
    np.testing.assert_array_equal(result.output, [[[5.5, 6.5, 7.5], [10.5, 11.5, 12.5]]])
    torch_out = F.conv2d(torch.tensor(GRID_3X5)[None, None], torch.tensor(KERNEL_2X3)[None, None], torch.tensor([0.5]))
    np.testing.assert_allclose(result.output, torch_out[0].numpy())
    assert (result.cell_count, result.last_position, result.in_height, result.in_width) == (6, 5, 3, 5)
    h_line, w_line = result.arithmetic.formula_lines
    assert r"\frac{3 + 2 \cdot 0 - 1 \cdot (2-1) - 1}{1}" in h_line and h_line.endswith("= 2")
    assert r"\frac{5 + 2 \cdot 0 - 1 \cdot (3-1) - 1}{1}" in w_line and w_line.endswith("= 3")
    # 1 * 1 * 2 * 3 weights + 1 bias; 6 outputs of 6 products each.
    assert [(m.label, m.value) for m in result.arithmetic.metrics] == [
        ("Output", "1x2x3"), ("Parameters", "7"), ("Multiply-adds", "36")]
    assert result.arithmetic.torch_line == "nn.Conv2d(1, 1, kernel_size=(2, 3), stride=1, padding=0)"
    assert result.grid.shape == (1, 3, 5) and result.input_layer is None and result.output_layer is None


def test_compute_flips_for_a_true_convolution():
    """Flipped, the kernel is [[0, 1, 0], [-1, 0, 1]]: out[i, j] = x[i, j+1] - x[i+1, j] + x[i+1, j+2]
    = (5i + j + 2) - (5i + j + 6) + (5i + j + 8) = 5i + j + 4."""
    result = lesson.compute(grid_settings(conv_flip=True), lesson.grid_input(GRID_3X5), (KERNEL_2X3,))
    np.testing.assert_array_equal(result.kernels, [[[0, 1, 0], [-1, 0, 1]]])
    np.testing.assert_array_equal(result.output, [[[4, 5, 6], [9, 10, 11]]])


def rgb_input() -> np.ndarray:
    """(3, 2, 3): channel c holds 10^c times 1..6, so each channel's share of a sum shows."""
    base = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    return np.stack([base, 10 * base, 100 * base])


@pytest.mark.parametrize("per_channel", [True, False])
def test_compute_kernels_per_channel_or_shared(per_channel):
    """1 x 2 kernels R [[1, 0]], G [[0, 1]], B [[1, 1]] on (3, 2, 3): groups 1 sums the channels.
    Per channel: out[i, j] = R[i, j] + G[i, j+1] + B[i, j] + B[i, j+1]; shared, R's kernel reads
    every channel's x[i, j]. A 2 x 2 output of a 2 x 3 input."""
    x = rgb_input()
    settings = lesson.Settings(conv_source="Photo", conv_kh=1, conv_kw=2, conv_per_channel=per_channel)
    tables = (((1.0, 0.0),), ((0.0, 1.0),), ((1.0, 1.0),))
    result = lesson.compute(settings, x, tables if per_channel else tables[:1])
    base = x[0]
    if per_channel:
        expected = base[:, :2] + 10 * base[:, 1:] + 100 * (base[:, :2] + base[:, 1:])
    else:
        expected = 111 * base[:, :2]
    np.testing.assert_array_equal(result.output, expected[None])
    assert result.arithmetic.metrics[1].value == "7"  # 3 channels * 1 * 2 + 1 bias
    assert result.input_layer is not None and result.output_layer is not None
    view = lesson.cell_view(result, 3)  # row 1, column 1 of 2 x 2
    assert (view.cell.row, view.cell.col, view.channel_names) == (1, 1, ["R", "G", "B"])
    assert view.explanation.value == expected[1, 1]


def test_depthwise_groups_give_one_output_per_channel():
    x = rgb_input()
    settings = lesson.Settings(conv_source="Photo", conv_kh=1, conv_kw=2, conv_per_channel=True, conv_groups=3)
    result = lesson.compute(settings, x, (((1.0, 0.0),), ((0.0, 1.0),), ((1.0, 1.0),)))
    np.testing.assert_array_equal(result.output, [x[0][:, :2], x[1][:, 1:], x[2][:, :2] + x[2][:, 1:]])
    assert [lesson.channel_label(c, 3) for c in range(3)] == ["R", "G", "B"] and lesson.channel_label(1, 2) == "1"
    view = lesson.cell_view(result, 2, channel=2)  # B's output, row 1, column 0
    assert (view.cell.channel, view.cell.row, view.cell.col, view.channel_names) == (2, 1, 0, ["B"])
    assert view.texts.sum_line.startswith("**output[2, 1, 0]**") and view.explanation.value == 400 + 500


def test_one_channel_ignores_a_leftover_per_channel_choice():
    result = lesson.compute(grid_settings(conv_per_channel=True), lesson.grid_input(GRID_3X5),
                            (KERNEL_2X3, ((9.0,) * 3,) * 2))
    np.testing.assert_array_equal(result.output, [[[5, 6, 7], [10, 11, 12]]])


def test_refused_settings_and_a_missing_kernel_show_formulas_but_no_output():
    refused = lesson.compute(grid_settings(conv_stride=2, conv_padding="same"), lesson.grid_input(GRID_3X5),
                             (KERNEL_2X3,))
    assert "'same' padding needs stride 1" in refused.refusal and not refused.playable
    assert refused.arithmetic.metrics == () and len(refused.arithmetic.formula_lines) == 2
    assert refused.output is None and refused.grid is None
    for line in refused.arithmetic.formula_lines:  # no made-up size: 'same' has no P with stride 2
        assert "no size" in line and not re.search(r"= \d+$", line)
    unread = lesson.compute(grid_settings(), lesson.grid_input(GRID_3X5), None)
    assert unread.refusal is None and not unread.playable and unread.arithmetic.metrics[0].value == "1x2x3"
    unbuilt = lesson.compute(grid_settings(conv_operation="Average pooling", conv_dilation=2),
                             lesson.grid_input(GRID_3X5))
    assert "Average pooling has no dilation" in unbuilt.refusal and not unbuilt.playable


def test_the_lab_refuses_outputs_over_its_largest_side():
    """Transposed, stride 5, 11 x 11, dilation 4 on 400 x 300: (400-1)*5 + 4*10 + 1 = 2036 rows,
    (300-1)*5 + 41 = 1536 columns; 1536 is allowed, 2036 is not."""
    settings = lesson.Settings(conv_operation="Transposed convolution", conv_stride=5, conv_kh=11, conv_kw=11,
                               conv_dilation=4)
    result = lesson.compute(settings, np.zeros((1, 400, 300), np.float32), ((0.0,) * 11,) * 11)
    assert result.refusal == (f"The output would be 2036 x 1536 pixels; the lab draws outputs up to "
                              f"{lesson.MAX_OUTPUT_SIDE} pixels a side: lower the stride, the dilation or the "
                              "kernel, or use the numeric grid.")
    assert lesson.MAX_OUTPUT_SIDE == 1536 and not result.playable
    assert lesson.too_large(result.layer, 300, 300) is None  # 1536 x 1536: drawn


def test_max_pooling_cell_on_the_padded_grid():
    """Max pool 2 x 3, padding 1 on the 3 x 5 grid: 4 x 5 out. Cell (0, 0) reads input rows -1, 0 and
    columns -1, 0, 1: the max is x[0, 1] = 2, drawn at grid (1, 2); the input sits at (1, 1)."""
    settings = grid_settings(conv_operation="Max pooling", conv_padding="1")
    result = lesson.compute(settings, lesson.grid_input(GRID_3X5))
    assert result.output.shape == (1, 4, 5) and result.weight is None and result.kernels is None
    view = lesson.cell_view(result, 0)
    assert view.explanation.value == 2 and view.argmax == (1, 2)
    assert view.input_box == (1, 1, 3, 5) and view.scatter is None and view.channel_names is None
    assert view.texts.sum_line.endswith("= 2`")
    last = lesson.cell_view(result, 99)  # clipped to the last cell, row 3, column 4: x[2, 4] = 15
    assert (last.position, last.total, last.cell.row, last.cell.col, last.explanation.value) == (19, 20, 3, 4, 15)
    np.testing.assert_array_equal(result.output, F.max_pool2d(torch.tensor(GRID_3X5)[None, None], (2, 3), 1, 1)[0])


def test_transposed_cell_names_its_scatter():
    """Transposed, stride 2, kernel 1 x 1 of 3 on the 3 x 5 grid: out[2i, 2j] = 3 x[i, j], zero between.
    Output (1, 5, 9); cell (2, 4) is x[1, 2] = 8 scattered through w[0, 0]; (1, 1) gets nothing."""
    settings = lesson.Settings(conv_operation="Transposed convolution", conv_stride=2, conv_kh=1, conv_kw=1)
    result = lesson.compute(settings, lesson.grid_input(GRID_3X5), (((3.0,),),))
    assert result.output.shape == (1, 5, 9) and result.output[0, 2, 4] == 24
    view = lesson.cell_view(result, lesson.position_of(2, 4, 9))
    assert view.input_box is None and view.grid_title.startswith("Zero-inserted")
    assert view.scatter.endswith("Contributing here: x[1,2] · w[0,0]")
    assert lesson.cell_view(result, lesson.position_of(1, 1, 9)).scatter.endswith(
        "none (only inserted zeros and padding under the window)")


def test_player_figures_draw_grid_cells_and_photo_pictures():
    result = lesson.compute(grid_settings(), lesson.grid_input(GRID_3X5), (KERNEL_2X3,))
    figures = lesson.player_figures(result, lesson.cell_view(result, 5))
    assert figures.output.layout.title.text == "Output 1x2x3"
    assert figures.window.layout.title.text == "Row 1, column 2: the window, zoomed"
    photo = lesson.compute(lesson.Settings(conv_source="Photo", conv_kh=1, conv_kw=2), rgb_input(),
                           (((1.0, 0.0),),))
    assert lesson.player_figures(photo, lesson.cell_view(photo, 0)).input.data[0].source == photo.input_layer.uri


# --- The input ------------------------------------------------------------------------------------------


def test_photo_input_keeps_rows_and_columns(monkeypatch):
    """A 40 x 10 (wide) photo shrunk to 20 a side: (3, 5, 20), pixel (r, c) from PIL's (c, r)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(10, 40, 3), dtype=np.uint8)  # (H, W, RGB)
    picture = Image.fromarray(pixels)
    monkeypatch.setattr(lesson.inputs, "MAX_PHOTO_SIDE", 40)  # read where photo_input reads it
    x = lesson.photo_input(picture, grey=False)
    assert x.shape == (3, 10, 40) and x.dtype == np.float32
    np.testing.assert_allclose(x[:, 3, 17], pixels[3, 17] / 255, atol=1e-6)
    grey = lesson.photo_input(picture, grey=True)
    assert grey.shape == (1, 10, 40)
    np.testing.assert_allclose(grey[0, 3, 17], picture.convert("L").getpixel((17, 3)) / 255, atol=1e-6)
    monkeypatch.setattr(lesson.inputs, "MAX_PHOTO_SIDE", 20)  # read where photo_input reads it
    assert lesson.photo_input(picture, grey=False).shape == (3, 5, 20)
    assert lesson.grid_input(GRID_3X5).shape == (1, 3, 5)


# --- The player's buttons -------------------------------------------------------------------------------


def test_player_buttons_move_within_the_output():
    """6 cells (2 rows of 3): First, Back, Step, Last from position 4; play wraps at the end."""
    assert [lesson.pressed(key, 4, 6) for key in ("conv_first", "conv_back", "conv_step", "conv_last")] == [0, 3, 5, 5]
    assert (lesson.pressed("conv_step", 5, 6), lesson.pressed("conv_back", 0, 6)) == (5, 0)
    assert (lesson.played(4, 6), lesson.played(5, 6)) == (5, 0)
    assert lesson.stepped(9, 0, 6) == 5
    assert [b[1] for b in lesson.player_buttons(False)] == ["First", "Back", "Play", "Step", "Last"]
    assert lesson.player_buttons(True)[2] == ("conv_play", "Pause", "pause")


def test_a_click_on_the_output_is_its_cell():
    """Targets sit at cell centres: x is the column, y the row; 3 columns a row."""
    assert lesson.clicked_position([{"x": 2, "y": 1}], 3) == 5
    assert lesson.clicked_position([{"x": 0.8, "y": 0.2}], 3) == 1
    assert lesson.clicked_position([{"x": "a"}, {"x": 1, "y": 1}], 4) == 5
    assert lesson.clicked_position([], 3) is None


# --- The 1-D and 1x1 tabs -------------------------------------------------------------------------------


def test_signal_lesson_by_hand():
    """x = 1..5 padded by 1: 0 1 2 3 4 5 0; w = (1, 0, -1), stride 2: floor((5 + 2 - 2 - 1)/2) + 1 = 3
    outputs: 0 - 2 = -2, 2 - 4 = -2, 4 - 0 = 4."""
    line = lesson.signal_lesson("1, 2, 3, 4, 5", "1, 0, -1", 2, 1, 1)
    np.testing.assert_array_equal(line.output, [-2, -2, 4])
    np.testing.assert_array_equal(line.padded, [0, 1, 2, 3, 4, 5, 0])
    assert line.last_position == 2
    assert line.sum_text(2) == "y[2] = x[3]*w[0] + x[4]*w[1] + x[5]*w[2] = 4*1 + 5*0 + 0*(-1) = 4"
    assert line.size_formula.endswith("= 3")
    # Stride 1, no padding: 1 - 3, 2 - 4, 3 - 5; flipped (-1, 0, 1): 3 - 1, 4 - 2, 5 - 3.
    assert line.comparison == ("Stride 1, no padding: cross-correlation (nn.Conv1d) gives -2, -2, -2; true "
                               "convolution (np.convolve, kernel flipped) gives 2, 2, 2. They agree only when "
                               "the kernel reads the same backwards.")
    assert lesson.signal_lesson("1, 2", "1, 1, 1", 1, 1, 1).comparison is None
    assert lesson.number_list([1.0, 0.5, -2.0]) == "1, 0.5, -2"
    with pytest.raises(kernels.KernelPresetError):
        lesson.signal_lesson("1, 2, oops", "1", 1, 0, 1)


def test_pointwise_lesson_by_hand():
    """Pixel (4, 0) of the patch: R 9 (left), G 2, B 8 (bottom); out 0 = 9 + 2 + 8, out 1 = 9 - 8."""
    mixed = lesson.pointwise_lesson(np.array(lesson.POINTWISE_WEIGHTS), 4, 0)
    assert mixed.sum_lines == ("out 0 = 1*R + 1*G + 1*B = 1*9 + 1*2 + 1*8 = 19",
                               "out 1 = 1*R + 0*G + (-1)*B = 1*9 + 0*2 + (-1)*8 = 1")
    assert mixed.output[:, 4, 0].tolist() == [19, 1] and mixed.output.shape == (2, 5, 5)
    assert mixed.torch_line.endswith("# 8 parameters, like nn.Linear(3, 2) at every pixel")  # 2*3 + 2
    three = lesson.pointwise_lesson(np.ones((3, 3)), 0, 4)
    assert "12 parameters, like nn.Linear(3, 3)" in three.torch_line and three.output[:, 0, 4].tolist() == [3, 3, 3]
    assert lesson.PIXEL_ROWS == (0, 4) and lesson.PIXEL_COLS == (0, 4)
    with pytest.raises(conv.ConvSettingsError):
        lesson.pointwise_lesson(np.ones((2, 2)), 0, 0)


# --- The zoom on a photo ------------------------------------------------------------------------------

def zoom_numbers(figure) -> np.ndarray:
    """A grid figure's input cells as numbers: padding (drawn in its own trace, NaN here) as 0."""
    cells = [trace for trace in figure.data if trace.type == "heatmap"][-1]
    return np.nan_to_num(np.asarray(cells.z, dtype=np.float64))


@pytest.mark.parametrize("stride, padding, dilation, operation", [
    (1, "1", 1, "Convolution"), (2, "2", 1, "Convolution"), (1, "same", 2, "Convolution"), (3, "0", 1, "Convolution"),
])
def test_the_photo_zoom_shows_the_numbers_torch_computes(stride, padding, dilation, operation):
    """A 37 x 53 grey 'photo', Sobel-like 3x3 kernel, bias 0.5: at each visited cell the output zoom
    holds F.conv2d's value, and the input zoom's window times the kernel adds up to it."""
    x = np.random.default_rng(3).random((1, 37, 53), dtype=np.float32)
    kernel = ((1.0, 0.0, -1.0), (2.0, 0.0, -2.0), (1.0, 0.0, -1.0))
    settings = lesson.Settings(conv_source="Photo", conv_stride=stride, conv_padding=padding, conv_dilation=dilation,
                               conv_bias=0.5, conv_operation=operation)
    result = lesson.compute(settings, x, (kernel,))
    pad = {"same": dilation, "valid": 0}.get(padding, None)
    expected = F.conv2d(torch.from_numpy(x)[None], torch.tensor(kernel)[None, None], torch.tensor([0.5]),
                        stride=stride, padding=int(padding) if pad is None else pad, dilation=dilation)[0, 0].numpy()
    assert result.output.shape[1:] == expected.shape
    out_h, out_w = expected.shape
    for row, col in [(0, 0), (out_h - 1, out_w - 1), (out_h // 2, out_w // 3), (7, 8), (8, 7)]:
        row, col = min(row, out_h - 1), min(col, out_w - 1)
        view = lesson.cell_view(result, lesson.position_of(row, col, out_w))
        crop, figures = view.crop, lesson.player_figures(result, view)
        (top, bottom), (left, right) = crop.out_rows, crop.out_cols
        assert top <= row < bottom <= top + lesson.MAX_TILE and left <= col < right <= left + lesson.MAX_TILE
        shown_out = zoom_numbers(figures.output_zoom)
        numbered = figures.output_zoom.layout  # the axes name the cells as the whole output does
        assert (numbered.yaxis.ticktext[0], numbered.xaxis.ticktext[0]) == (str(top), str(left))
        in_top, in_left = crop.input_start()
        assert figures.input_zoom.layout.yaxis.ticktext[-1] == str(in_top + (crop.grid_rows[1] - crop.grid_rows[0]) - 1)
        assert int(figures.input_zoom.layout.xaxis.ticktext[0]) == in_left == crop.grid_cols[0] - result.layer.input_origin()[1]
        assert shown_out.shape == (bottom - top, right - left)
        assert shown_out[crop.on_output(row, col)] == pytest.approx(expected[row, col], abs=1e-5)
        np.testing.assert_allclose(shown_out, expected[top:bottom, left:right], atol=1e-5)
        rows, cols = crop.on_grid(view.window.grid_rows, view.window.grid_cols)
        window = zoom_numbers(figures.input_zoom)[np.ix_(rows, cols)]
        assert (window * np.array(kernel)).sum() + 0.5 == pytest.approx(expected[row, col], abs=1e-5)


def test_the_whole_photos_change_only_when_the_zoom_moves_to_another_tile():
    """Stepping inside a tile redraws the zooms only: the whole pictures (the heavy part) are the same
    figure, so Streamlit can send them as a reference to what the browser holds."""
    x = np.random.default_rng(4).random((3, 30, 40), dtype=np.float32)
    result = lesson.compute(lesson.Settings(conv_source="Photo", conv_padding="1"), x, (((1.0,) * 3,) * 3,))
    side = lesson.tile_side(result.layer, 1)
    assert side == lesson.MAX_TILE

    def shown(position):
        figures = lesson.player_figures(result, lesson.cell_view(result, position))
        return figures.input.to_json(), figures.output.to_json(), figures.input_zoom.to_json()

    first, second, next_tile = shown(side // 2), shown(side // 2 + 1), shown(side)  # mid-tile, next tile
    assert first[:2] == second[:2] and first[2] != second[2]
    assert first[0] != next_tile[0] and first[1] != next_tile[1]


def test_photo_sized_formulas_are_shown_on_two_lines():
    """512 px numbers made the H_out line ~650 px wide, cut on a 1024 px projector: the formula, then
    its evaluation on a line of its own; the evaluation still ends in the output size."""
    shown = lesson.arithmetic(conv.ConvSettings(kernel_size=3, stride=2, padding=1), 300, 451)
    for line, size in zip(shown.display_lines, (150, 226)):
        formula, evaluation = line.split(" \\\\\n")
        assert formula.count(" = ") == 1 and r"\frac{" in formula
        assert evaluation.startswith("= ") and evaluation.endswith(f"= {size}")
    assert " \\\\" in lesson.FORMULA and lesson.SIZE_FORMULA not in lesson.FORMULA
