"""The conv lab's bank of kernels, checked against torch: the weight tensor as the menu names it,
each feature map as nn.Conv2d (built from the printed line) computes it, the printed shapes and
parameter count, and the sentences where no bank can be shown."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
import torch

from cnnviz import images, kernels
from cnnviz.lessons import conv_lab as lesson
from test_lesson_conv_lab_sizes import substituted_product, torch_layer, worked_value


@pytest.fixture(scope="module")
def photo():
    return lesson.photo_input(images.load_sample_image("cat"), grey=False)  # (3, H, W) in [0, 1]


def _bank(settings, x, names):
    result = lesson.compute(settings, x, ((kernels.make_kernel("Sobel x", *settings.kernel_size).tolist()),))
    return lesson.filter_bank(settings, result.layer, result.refusal is not None, x, names)


def test_the_weight_tensor_has_one_row_per_kernel_and_one_slice_per_channel():
    weight = lesson.bank_weight(["Sobel x", "Red minus green", "Blue minus yellow"], 3, (3, 3))
    assert weight.shape == (3, 3, 3, 3)
    sobel = kernels.make_kernel("Sobel x")
    assert all(np.array_equal(weight[0, c], sobel) for c in range(3))  # a spatial preset on every channel
    centre = kernels.make_kernel("Identity")
    assert np.array_equal(weight[1], np.stack([centre, -centre, 0 * centre]))
    assert np.allclose(weight[2], np.stack([-0.5 * centre, -0.5 * centre, centre]))
    assert lesson.bank_weight(["Sobel y"], 1, (5, 5)).shape == (1, 1, 5, 5)
    flipped = lesson.bank_weight(["Emboss"], 1, (3, 3), flip=True)[0, 0]
    assert np.array_equal(flipped, kernels.make_kernel("Emboss")[::-1, ::-1])


@pytest.mark.parametrize("stride, padding, dilation, size", [(1, "1", 1, 3), (2, "2", 2, 3), (3, "valid", 1, 5),
                                                             (1, "same", 1, 5)])
def test_each_map_is_what_torch_computes_with_the_printed_layer(photo, stride, padding, dilation, size):
    settings = replace(lesson.DEFAULT, conv_source="Photo", conv_stride=stride, conv_padding=padding,
                       conv_dilation=dilation, conv_kh=size, conv_kw=size, conv_bias=0.5)
    names = ["Sobel x", "Laplacian", "Red minus green", "Only blue", "Gaussian blur"]
    bank = _bank(settings, photo, names)
    lab_line = lesson.compute(settings, photo).layer.torch_line()  # the lab's own layer: one kernel
    assert bank.torch_line == lab_line.replace("nn.Conv2d(3, 1,", "nn.Conv2d(3, 5,"), "the lab's stride, padding, dilation"
    layer = torch_layer(bank.torch_line)
    assert (layer.in_channels, layer.out_channels, layer.kernel_size) == (3, 5, (size, size))
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(lesson.bank_weight(names, 3, (size, size))))
        layer.bias.fill_(0.5)
        expected = layer(torch.from_numpy(photo)[None])[0].numpy()
    assert bank.output.shape == expected.shape
    assert np.allclose(bank.output, expected, atol=1e-5)

    # The shapes and the parameter count as printed.
    c_out, out_h, out_w = expected.shape
    assert bank.shape_line == (rf"W:\ 5 \times 3 \times {size} \times {size}\,, \qquad "
                               rf"\text{{output}}:\ {c_out} \times {out_h} \times {out_w}")
    parameters = sum(p.numel() for p in layer.parameters())
    assert worked_value(bank.parameter_line) == parameters == substituted_product(bank.parameter_line)
    assert f"W: 5 x 3 x {size} x {size}" in bank.kernel_title and "(R, G, B)" in bank.kernel_title

    # Each map's caption: its kernel and its range, as torch's numbers round.
    for k, (name, (picture, caption)) in enumerate(zip(names, bank.maps)):
        assert caption == f"map {k}: {name}, {expected[k].min():.2f} to {expected[k].max():.2f}"
        assert picture.size == (out_w, out_h)
        pixels = np.asarray(picture)
        assert (pixels.min(), pixels.max()) == (0, 255)
        assert pixels.flat[np.argmax(expected[k])] == 255 and pixels.flat[np.argmin(expected[k])] == 0


def test_the_four_default_kernels_on_a_photo_make_112_parameters(photo):
    settings = replace(lesson.DEFAULT, conv_source="Photo", conv_padding="1")
    bank = _bank(settings, photo, lesson.default_kernels(3))
    assert bank.parameter_line.endswith(r"4 \cdot 3 \cdot 3 \cdot 3 + 4 = 112")
    assert bank.torch_line == "nn.Conv2d(3, 4, kernel_size=3, stride=1, padding=1)"


def test_the_menus_offer_colour_kernels_for_colour_inputs_only():
    assert lesson.kernel_choices(1) == kernels.preset_names()
    assert lesson.kernel_choices(3) == [*kernels.preset_names(), *lesson.COLOUR_KERNELS]
    assert set(lesson.default_kernels(1)) <= set(lesson.kernel_choices(1))
    assert set(lesson.default_kernels(3)) <= set(lesson.kernel_choices(3))
    assert any(name in lesson.COLOUR_KERNELS for name in lesson.default_kernels(3))
    assert lesson.bank_key(1) != lesson.bank_key(3)


def test_where_no_bank_can_be_shown_one_sentence_says_why(photo):
    grid = lesson.grid_input(tuple(map(tuple, kernels.example_grid("Classic 5x5 example").tolist())))
    for operation in ("Max pooling", "Average pooling", "Transposed convolution"):
        other = replace(lesson.DEFAULT, conv_operation=operation)
        assert "choose **Convolution**" in lesson.filter_bank(other, lesson.compute(other, grid).layer, False, grid,
                                                              ["Sobel x"])
    assert lesson.filter_bank(lesson.DEFAULT, None, True, grid, ["Sobel x"]).startswith("The layer settings above are refused")
    too_big = replace(lesson.DEFAULT, conv_kh=7, conv_kw=7)  # a 7x7 kernel on a 5x5 grid without padding
    assert "refused" in _bank(too_big, grid, ["Box blur"])
    assert _bank(lesson.DEFAULT, grid, []) == "Choose at least one kernel to see its feature map."
    small = replace(lesson.DEFAULT, conv_kh=2, conv_kw=2)
    sentence = lesson.filter_bank(small, lesson.compute(small, grid, (((1, 0), (0, 1)),)).layer, False, grid, ["Sobel x"])
    assert sentence == "Sobel x is a 3x3 kernel: choose at least 3x3 (you chose 2x2)."


def test_at_most_eight_kernels_are_used(photo):
    settings = replace(lesson.DEFAULT, conv_source="Photo", conv_padding="1")
    bank = _bank(settings, photo, lesson.kernel_choices(3))
    assert len(bank.maps) == bank.output.shape[0] == lesson.MAX_KERNELS == 8
    assert re.search(r"nn\.Conv2d\(3, 8,", bank.torch_line)
