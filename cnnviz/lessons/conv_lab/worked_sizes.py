"""Worked sizes: the output-size formula on an input of any size, through a short chain of layers.

The lab's grid is at most 9x9 and its photos 512 px, so the textbook examples (28x28 with F=5, P=2,
then a 2x2 pool; AlexNet's 227 with F=11, S=4) need a calculator of their own: a square input of any
side, the layers of an example (or the lab's own layer), and for each layer its W_out formula, its
parameters worked out, and the shape it hands on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cnnviz import conv

INPUT_SIDES = (1, 4096)  # the input side the calculator accepts (lowest, highest)
YOUR_LAYER = "Your layer (the controls above)"


@dataclass(frozen=True)
class SizeExample:
    """A textbook chain of layers on a square input.

    Attributes:
        name: what the menu shows.
        size: the input's side it is usually worked on.
        channels: the input's channels.
        layers: the layers in order (a pooling layer's channels follow its input).
        note: where the example comes from, one sentence.
    """

    name: str
    size: int
    channels: int
    layers: tuple[conv.ConvSettings, ...]
    note: str


def _conv(c_in: int, c_out: int, side: int, **kwargs) -> conv.ConvSettings:
    return conv.ConvSettings(kernel_size=side, in_channels=c_in, out_channels=c_out, **kwargs)


def _max_pool(side: int, stride: int, padding: int = 0) -> conv.ConvSettings:
    return conv.ConvSettings(operation="max_pool", kernel_size=side, stride=stride, padding=padding)


SIZE_EXAMPLES: tuple[SizeExample, ...] = (
    SizeExample("LeNet-5: C1, then a 2x2 pool", 28, 1, (_conv(1, 6, 5, padding=2), _max_pool(2, 2)),
                "MNIST's 28x28 digits padded by 2 keep their size through C1's 5x5 kernels; the pool halves it."),
    SizeExample("AlexNet: conv1", 227, 3, (_conv(3, 96, 11, stride=4),),
                "AlexNet's first layer: 96 kernels of 11x11x3 at stride 4."),
    SizeExample("One 5x5 filter on a 32x32x3 image", 32, 3, (_conv(3, 1, 5),),
                "5*5*3 = 75 weights and one bias: 76 parameters, whatever the image's size."),
    SizeExample("VGG: two 3x3 'same' convolutions, then a pool", 224, 3,
                (_conv(3, 64, 3, padding="same"), _conv(64, 64, 3, padding="same"), _max_pool(2, 2)),
                "VGG-16's first block: 'same' padding keeps 224 until the pool halves it."),
    SizeExample("ResNet: the 7x7 stem, then a 3x3 pool", 224, 3,
                (_conv(3, 64, 7, stride=2, padding=3, bias=False), _max_pool(3, 2, padding=1)),
                "ResNet-18's stem: 224 -> 112 -> 56 (no bias: a batch norm follows the convolution)."),
)
_BY_NAME = {example.name: example for example in SIZE_EXAMPLES}
SIZE_CHOICES = (YOUR_LAYER, *_BY_NAME)  # the menu: the lab's layer first, then the textbook chains


@dataclass(frozen=True)
class WorkedStep:
    """One layer of the chain.

    Attributes:
        torch_line: the layer as PyTorch writes it.
        size_lines: its output-size formula in numbers (LaTeX): one line when rows and columns
            agree, else H_out and W_out.
        parameter_line: its parameters worked out (LaTeX), or None for pooling.
        shape: (C_out, H_out, W_out) it hands on.
    """

    torch_line: str
    size_lines: tuple[str, ...]
    parameter_line: str | None
    shape: tuple[int, int, int]


@dataclass(frozen=True)
class WorkedSizes:
    """The chain on one input.

    Attributes:
        steps: the layers that have an output, in order.
        chain: the shapes from the input on, e.g. "1x28x28 -> 6x28x28 -> 6x14x14".
        refusal: the sentence for the first layer that has no output on what it gets, or None.
        note: the example's note ("" for the lab's layer).
    """

    steps: tuple[WorkedStep, ...]
    chain: str
    refusal: str | None
    note: str


def size_example(name: str) -> SizeExample | None:
    """The example called `name`, or None for YOUR_LAYER (or a name no example has)."""
    return _BY_NAME.get(name)


def size_chain(layers: tuple[conv.ConvSettings, ...], size: int, channels: int, note: str = "") -> WorkedSizes:
    """The chain `layers` on a size x size input of `channels` channels.

    Args:
        layers: the layers in order; each convolution's in_channels is replaced by what reaches it.
        size: the input's side (INPUT_SIDES bounds it).
        channels: the input's channels.
        note: shown with the chain.

    Returns:
        WorkedSizes; a layer with no output on what it gets ends the chain with its refusal.
    """
    if not INPUT_SIDES[0] <= size <= INPUT_SIDES[1]:
        return WorkedSizes((), "", f"The input side must be between {INPUT_SIDES[0]} and {INPUT_SIDES[1]}; got {size}.", note)
    shape = (channels, size, size)
    shapes, steps, refusal = [shape], [], None
    for layer in layers:
        layer = replace(layer, in_channels=shape[0], out_channels=shape[0] if layer.is_pool else layer.out_channels)
        try:
            layer.validate(shape[1], shape[2])
        except conv.ConvSettingsError as error:
            refusal = f"{layer.torch_line()} has no output on {_shape_text(shape)}: {error}"
            break
        h_line, w_line = layer.formula_lines(shape[1], shape[2], latex=True)
        shape = layer.output_shape(shape[1], shape[2])
        steps.append(WorkedStep(layer.torch_line(), _merged(h_line, w_line), conv.parameter_formula(layer), shape))
        shapes.append(shape)
    return WorkedSizes(tuple(steps), " -> ".join(map(_shape_text, shapes)), refusal, note)


def _shape_text(shape: tuple[int, int, int]) -> str:
    return "x".join(map(str, shape))


def _merged(h_line: str, w_line: str) -> tuple[str, ...]:
    """One line 'H_out = W_out = ...' when both axes are worked the same way, else both."""
    h_head, h_rest = h_line.split(" = ", 1)
    w_head, w_rest = w_line.split(" = ", 1)
    # No spaces around the first "=": a displayed line breaks after its first " = " (broken()).
    return (f"{h_head}={w_line}",) if h_rest == w_rest else (h_line, w_line)
