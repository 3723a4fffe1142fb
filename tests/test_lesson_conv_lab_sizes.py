"""The conv lab's size and parameter lessons, checked against torch: the parameter count worked out,
'same' padding P = D(F-1)/2 and why it fails, and the worked sizes on inputs of any side.

Every number a student reads is recomputed here from torch itself: a layer built from the torch
line the page prints, its parameters counted, its output shape measured.
"""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F

from cnnviz import conv
from cnnviz.lessons import conv_lab as lesson


def torch_layer(line: str) -> torch.nn.Module:
    """The layer the page prints (e.g. "nn.Conv2d(3, 96, kernel_size=11, stride=4, padding=0)")."""
    return eval(line, {"nn": torch.nn})  # our own text, never a client's


def torch_parameters(line: str) -> int:
    return sum(p.numel() for p in torch_layer(line).parameters())


def worked_value(line: str) -> int:
    """The number a LaTeX line ends in ("... = 34{,}944" -> 34944)."""
    return int(line.rsplit(" = ", 1)[1].replace("{,}", ""))


def substituted_product(line: str) -> Fraction:
    r"""Evaluate the numbers step of a parameter line ("1 \cdot 3/3 \cdot 5 \cdot 5 + 1")."""
    numbers = line.split(" = ")[2]
    assert re.fullmatch(r"[0-9/ +]+", numbers.replace(r"\cdot", "")), numbers
    total = Fraction(0)
    for term in numbers.split(" + "):
        product = Fraction(1)
        for factor in term.split(r" \cdot "):
            top, _, bottom = factor.partition("/")
            product *= Fraction(int(top), int(bottom or 1))
        total += product
    return total


# -- the parameter count in the layer's numbers ---------------------------------------------------

LAYERS = [
    conv.ConvSettings(kernel_size=5, in_channels=3),
    conv.ConvSettings(kernel_size=(2, 3), in_channels=3, out_channels=3, groups=3),
    conv.ConvSettings(kernel_size=(4, 1), in_channels=2, out_channels=6, groups=2, bias=False),
    conv.ConvSettings(operation="transposed", kernel_size=3, stride=2, in_channels=3, out_channels=6, groups=3),
    conv.ConvSettings(operation="transposed", kernel_size=(1, 4), in_channels=1, out_channels=4, bias=False),
]


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.torch_line())
def test_parameter_line_multiplies_out_to_what_torch_counts(layer):
    line = conv.parameter_formula(layer)
    assert worked_value(line) == torch_parameters(layer.torch_line()) == conv.parameter_count(layer)
    assert substituted_product(line) == worked_value(line)
    assert ("+ C_{\\mathrm{out}}" in line) == layer.bias and ("/g" in line) == (layer.groups > 1)


def test_parameter_line_of_the_76_example_and_alexnet():
    """A 5x5 filter on an RGB input: 5*5*3 weights + 1 bias; AlexNet's conv1: 96*3*11*11 + 96."""
    assert conv.parameter_formula(conv.ConvSettings(kernel_size=5, in_channels=3)).endswith(
        r"= 1 \cdot 3 \cdot 5 \cdot 5 + 1 = 76")
    alexnet = conv.ConvSettings(kernel_size=11, stride=4, in_channels=3, out_channels=96)
    assert conv.parameter_formula(alexnet).endswith(r"= 96 \cdot 3 \cdot 11 \cdot 11 + 96 = 34{,}944")


def test_the_arithmetic_section_shows_the_parameter_line_unless_pooling_or_refused():
    shown = lesson.arithmetic(conv.ConvSettings(kernel_size=5, in_channels=3), 32, 32)
    assert shown.parameter_line.endswith("= 76") and shown.display_lines[-1].endswith("= 76")
    assert shown.display_lines[-1].startswith(r"\text{Parameters} = C_{\mathrm{out}}")
    assert "\\\\\n=" in shown.display_lines[-1]  # letters, then the numbers on a second line
    assert len(shown.display_lines) == 3
    pool = lesson.arithmetic(conv.ConvSettings(operation="max_pool", kernel_size=2, stride=2), 4, 4)
    assert pool.parameter_line is None and len(pool.display_lines) == 2
    refused = lesson.arithmetic(conv.ConvSettings(kernel_size=3, stride=2, padding="same"), 9, 9, refused=True)
    assert refused.parameter_line is None and len(refused.display_lines) == 2


# -- 'same' padding ---------------------------------------------------------------------------------

@pytest.mark.parametrize("side", range(1, 12))
@pytest.mark.parametrize("dilation", (1, 2, 3))
def test_same_padding_is_how_torch_pads_same(side, dilation):
    """F.conv2d(padding='same') equals padding (before, after) by hand, the odd cell after."""
    before, after = conv.same_padding(side, dilation)
    assert before + after == dilation * (side - 1) and after - before in (0, 1)
    x, w = torch.randn(1, 1, 1, 23), torch.randn(1, 1, 1, side)
    same = F.conv2d(x, w, padding="same", dilation=(1, dilation))
    by_hand = F.conv2d(F.pad(x, (before, after)), w, dilation=(1, dilation))
    assert same.shape == x.shape and torch.allclose(same, by_hand)


def test_same_padding_formula_worked_examples():
    """F=3 -> P=1, F=5 -> 2, F=7 -> 3; an even F does not halve; dilation spreads the kernel."""
    for side, pad in ((3, 1), (5, 2), (7, 3)):
        assert conv.same_padding_formula(side) == rf"P = \frac{{F-1}}{{2}} = \frac{{{side}-1}}{{2}} = {pad}"
    assert conv.same_padding_formula(4).endswith(r"= 1.5\quad\text{(1 before, 2 after)}")
    assert conv.same_padding_formula(3, 2) == r"P = \frac{D\,(F-1)}{2} = \frac{2 \cdot (3-1)}{2} = 2"


def same(settings: conv.ConvSettings, height: int = 28, width: int = 30) -> lesson.SamePadding:
    """The lesson as the page builds it: refused settings (no output on this input) get no counts."""
    try:
        settings.validate(height, width)
    except conv.ConvSettingsError:
        return lesson.arithmetic(settings, height, width, refused=True).same_padding
    return lesson.arithmetic(settings, height, width).same_padding


def test_same_padding_lesson_says_what_to_choose_and_keeps_the_size():
    shown = same(conv.ConvSettings(kernel_size=5))
    assert shown.lines == (conv.same_padding_formula(5),)
    assert "choose P = 2 (or 'same')" in shown.note
    kept = same(conv.ConvSettings(kernel_size=5, padding="same"))
    assert "keeps the input's size" in kept.note
    assert conv.ConvSettings(kernel_size=5, padding="same").output_shape(28, 30) == (1, 28, 30)
    assert conv.ConvSettings(kernel_size=5, padding=2).output_shape(28, 30) == (1, 28, 30)  # the P it names


def test_same_padding_lesson_at_stride_2_shows_the_size_that_padding_gives():
    """The refusal in numbers: P = 1 at stride 2 gives W_out = 15 on a 30-wide input, as torch says."""
    settings = conv.ConvSettings(kernel_size=3, stride=2, padding="same")
    shown = same(settings)
    assert shown.lines == (conv.same_padding_formula(3),)  # no output size among the formula lines
    shrunk = F.conv2d(torch.zeros(1, 1, 28, 30), torch.zeros(1, 1, 3, 3), stride=2, padding=1).shape[-1]
    assert f"= 14 + 1 = {shrunk}`, not W_in = 30" in shown.note and shrunk == 15
    rows_only = same(conv.ConvSettings(kernel_size=3, stride=(2, 1), padding="same"))
    assert "H_out = floor((28 + 2*1 - 1*(3-1) - 1) / 2) + 1 = floor(27 / 2) + 1 = 13 + 1 = 14`" in rows_only.note
    assert "would pad this much" in same(conv.ConvSettings(kernel_size=3, stride=2)).note


def test_same_padding_lesson_for_even_kernels_and_rectangles():
    uneven = same(conv.ConvSettings(kernel_size=(4, 3), padding="same"))
    assert uneven.lines == (conv.same_padding_formula(4, name="P_h"), conv.same_padding_formula(3, name="P_w"))
    assert "cannot be centred" in uneven.note and "bottom or right" in uneven.note
    pool = same(conv.ConvSettings(operation="max_pool", kernel_size=2))
    assert "pooling cannot pad one side more" in pool.note
    rectangle = same(conv.ConvSettings(kernel_size=(3, 5)))
    assert "rows and columns need different P" in rectangle.note
    assert same(conv.ConvSettings(kernel_size=3, dilation=2)).lines == (conv.same_padding_formula(3, 2),)
    assert lesson.arithmetic(conv.ConvSettings(operation="transposed"), 5, 5).same_padding is None


# -- worked sizes on any input ----------------------------------------------------------------------

@pytest.mark.parametrize("example", lesson.SIZE_EXAMPLES, ids=lambda example: example.name)
def test_every_worked_chain_is_what_torch_computes(example):
    """Each step's torch line, run by torch, gives the shape and parameters the step shows."""
    chain = lesson.size_chain(example.layers, example.size, example.channels, example.note)
    assert chain.refusal is None and len(chain.steps) == len(example.layers)
    x = torch.zeros(1, example.channels, example.size, example.size)
    shapes = [tuple(x.shape[1:])]
    for step in chain.steps:
        x = torch_layer(step.torch_line)(x)
        assert tuple(x.shape[1:]) == step.shape
        assert [worked_value(line) for line in step.size_lines] == [step.shape[2]]  # square: one line
        assert step.size_lines[0].startswith(r"H_{\mathrm{out}}=W_{\mathrm{out}} = ")
        if step.parameter_line is None:
            assert torch_parameters(step.torch_line) == 0
        else:
            assert worked_value(step.parameter_line) == torch_parameters(step.torch_line)
        shapes.append(step.shape)
    assert chain.chain == " -> ".join("x".join(map(str, shape)) for shape in shapes)


def test_the_textbook_figures():
    """28, F=5, P=2 -> 28, then a 2x2 pool -> 14; 227, F=11, S=4 -> 55; 76 parameters; ResNet's stem."""
    def chain(name, side=None):
        example = lesson.size_example(name)
        return lesson.size_chain(example.layers, side or example.size, example.channels)

    assert chain("LeNet-5: C1, then a 2x2 pool").chain == "1x28x28 -> 6x28x28 -> 6x14x14"
    assert chain("LeNet-5: C1, then a 2x2 pool", 32).chain == "1x32x32 -> 6x32x32 -> 6x16x16"
    alexnet = chain("AlexNet: conv1")
    assert alexnet.chain == "3x227x227 -> 96x55x55"
    assert alexnet.steps[0].size_lines[0].endswith(r"\left\lfloor \frac{216}{4} \right\rfloor + 1 = 54 + 1 = 55")
    assert chain("One 5x5 filter on a 32x32x3 image").steps[0].parameter_line.endswith("= 76")
    assert chain("ResNet: the 7x7 stem, then a 3x3 pool").chain == "3x224x224 -> 64x112x112 -> 64x56x56"
    assert lesson.size_example(lesson.YOUR_LAYER) is None and lesson.SIZE_CHOICES[0] == lesson.YOUR_LAYER


def test_your_layer_on_any_side_and_rectangular_kernels():
    layer = conv.ConvSettings(kernel_size=(3, 5), stride=(1, 2), in_channels=3)
    chain = lesson.size_chain((layer,), 100, 3)
    h_line, w_line = chain.steps[0].size_lines  # the axes differ: both lines
    out = F.conv2d(torch.zeros(1, 3, 100, 100), torch.zeros(1, 3, 3, 5), stride=(1, 2))
    assert (worked_value(h_line), worked_value(w_line)) == tuple(out.shape[2:]) == (98, 48)
    assert chain.chain == "3x100x100 -> 1x98x48"


def test_a_chain_that_runs_out_of_input_stops_with_one_sentence():
    alexnet = lesson.size_example("AlexNet: conv1")
    chain = lesson.size_chain(alexnet.layers, 10, 3)
    assert chain.steps == () and chain.chain == "3x10x10"
    assert chain.refusal.startswith("nn.Conv2d(3, 96, kernel_size=11, stride=4, padding=0) has no output on 3x10x10:")
    lenet = lesson.size_example("LeNet-5: C1, then a 2x2 pool")
    tiny = lesson.size_chain(lenet.layers, 1, 1)  # C1 keeps 1x1, then the 2x2 pool has nothing to pool
    assert len(tiny.steps) == 1 and tiny.chain == "1x1x1 -> 6x1x1" and "MaxPool2d" in tiny.refusal
    for side in (0, lesson.INPUT_SIDES[1] + 1):
        assert lesson.size_chain(lenet.layers, side, 1).refusal.startswith("The input side must be between")
