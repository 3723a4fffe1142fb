"""What a layer costs: learnable parameters, multiply-adds, and the values pooling reads."""

from __future__ import annotations

import numpy as np

from cnnviz.conv.settings import ConvSettings


def parameter_count(settings: ConvSettings) -> int:
    """Learnable numbers in the layer: C_out * (C_in/groups) * F_h * F_w + C_out (bias); 0 for pooling.

    >>> parameter_count(ConvSettings(kernel_size=5, in_channels=3))
    76
    """
    shape = settings.weight_shape()
    if shape is None:
        return 0
    return int(np.prod(shape)) + (settings.out_channels if settings.bias else 0)


def multiply_adds(settings: ConvSettings, height: int, width: int) -> int:
    """Multiply-adds for one input image of height x width (0 for pooling, which only compares
    or adds). A direct convolution does C_in/groups * F_h * F_w per output value; a transposed one
    scatters every input value through C_out/groups * F_h * F_w taps.
    """
    shape = settings.weight_shape()
    if shape is None:
        return 0
    if settings.is_transposed:
        return height * width * int(np.prod(shape))
    _, out_h, out_w = settings.output_shape(height, width)
    return out_h * out_w * int(np.prod(shape))


def window_reads(settings: ConvSettings, height: int, width: int) -> int:
    """Input values read by a pooling layer (one comparison or addition each) for one image."""
    c_out, out_h, out_w = settings.output_shape(height, width)
    return c_out * out_h * out_w * settings.kernel_size[0] * settings.kernel_size[1]


def parameter_formula(settings: ConvSettings) -> str | None:
    r"""The parameter count in letters and then in the layer's numbers (LaTeX); None for pooling.

    A convolution's weight is C_out x C_in/groups x F_h x F_w, a transposed one's
    C_in x C_out/groups x F_h x F_w; the bias adds one number per output channel.

    >>> print(parameter_formula(ConvSettings(kernel_size=5, in_channels=3)).split(" = ", 2)[2])
    1 \cdot 3 \cdot 5 \cdot 5 + 1 = 76
    """
    shape = settings.weight_shape()
    if shape is None:
        return None
    c_out, c_in = r"C_{\mathrm{out}}", r"C_{\mathrm{in}}"
    grouped = settings.groups != 1
    if settings.is_transposed:
        letters = [c_in, rf"{c_out}/g" if grouped else c_out]
        numbers = [str(settings.in_channels),
                   rf"{settings.out_channels}/{settings.groups}" if grouped else str(settings.out_channels)]
    else:
        letters = [c_out, rf"{c_in}/g" if grouped else c_in]
        numbers = [str(settings.out_channels),
                   rf"{settings.in_channels}/{settings.groups}" if grouped else str(settings.in_channels)]
    letters += ["F_h", "F_w"]
    numbers += [str(side) for side in settings.kernel_size]
    product = r" \cdot ".join(letters)
    values = r" \cdot ".join(numbers)
    if settings.bias:
        product += f" + {c_out}"
        values += f" + {settings.out_channels}"
    # The thin space: a line that ends in a subscript is drawn 2 px wider than its box where it breaks.
    count = f"{parameter_count(settings):,}".replace(",", "{,}")  # KaTeX: no space after the comma
    return rf"\text{{Parameters}} = {product}\, = {values} = {count}"
