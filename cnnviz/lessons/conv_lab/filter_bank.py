"""Several kernels on the lab's input: C_out kernels give C_out feature maps.

The lab's own layer has one kernel (or one per channel, depthwise); this section takes its stride,
padding, dilation, kernel size and bias and gives the student a bank of kernels instead: its weight
tensor C_out x C_in x F_h x F_w drawn as a grid (one row per kernel, one column per input channel),
each output map, and the layer's line, shape and parameter count in these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz import conv, kernels
from cnnviz.images import stretched_grey
from cnnviz.lessons.conv_lab.settings import Settings

FILTER_BANK_TITLE = "Several kernels: one feature map each"
FILTER_BANK_INTRO = (
    "A convolution layer has $C_{\\mathrm{out}}$ kernels, and each kernel has one $F_h \\times F_w$ slice "
    "per input channel, so its weights form a $C_{\\mathrm{out}} \\times C_{\\mathrm{in}} \\times F_h \\times F_w$ "
    "tensor. Kernel $k$ makes feature map $k$ from every input channel at once. Choose the kernels; the "
    "stride, padding, dilation, size and bias are the lab's above."
)
# Counted from 0, as torch indexes W and as the pictures' tiles are numbered.
SUM_FORMULA = (r"a_k = \sum_{c=0}^{C_{\mathrm{in}}-1} W_{k,c} \star x_c + b_k\,, \qquad "
               r"k = 0, \dots, C_{\mathrm{out}}-1")
MAX_KERNELS = 8
MAPS_CAPTION = "Each map in grey from its own lowest value (black) to its highest (white)."
MAPS_PER_ROW = 2  # in the right two thirds of the page: about 260 px a map at 1280 px
CHANNEL_LETTERS = ("R", "G", "B")

# Kernels that look at colour: one weight per channel on the centre tap (an "Identity" kernel).
# They exist only for a colour input, and show why W has a C_in axis at all.
COLOUR_KERNELS: dict[str, tuple[float, float, float]] = {
    "Red minus green": (1.0, -1.0, 0.0),
    "Blue minus yellow": (-0.5, -0.5, 1.0),
    "Only red": (1.0, 0.0, 0.0),
    "Only green": (0.0, 1.0, 0.0),
    "Only blue": (0.0, 0.0, 1.0),
    "Brightness (mean of R, G, B)": (1 / 3, 1 / 3, 1 / 3),
}
_DEFAULTS = {1: ("Sobel x", "Sobel y", "Laplacian", "Gaussian blur"),
             3: ("Sobel x", "Sobel y", "Red minus green", "Blue minus yellow")}
NO_KERNELS = "Choose at least one kernel to see its feature map."
NOT_A_CONVOLUTION = ("Pooling and transposed convolution are not what this section shows: choose "
                     "**Convolution** as the operation above to see several kernels at work.")
REFUSED = "The layer settings above are refused for this input, so there is no output to show here either."


def kernel_choices(in_channels: int) -> list[str]:
    """The kernel menu: every spatial preset (copied to each channel), and the colour kernels for RGB."""
    return [*kernels.preset_names(), *(COLOUR_KERNELS if in_channels == 3 else ())]


def bank_key(in_channels: int) -> str:
    """The kernel menu's widget key (and URL parameter): one for colour inputs, one for grey."""
    return "conv_bank_rgb" if in_channels == 3 else "conv_bank_grey"


def default_kernels(in_channels: int) -> list[str]:
    """The menu's first choice: edges both ways, then a blur (grey) or two colour opponents (RGB)."""
    return list(_DEFAULTS[3 if in_channels == 3 else 1])


def bank_weight(names, in_channels: int, kernel_size: tuple[int, int], flip: bool = False) -> np.ndarray:
    """The weight tensor of a bank: (C_out, C_in, F_h, F_w) float32, row k the kernel ``names[k]``.

    A spatial preset is the same grid on every input channel (as the lab's one shared kernel is);
    a colour kernel is the centre tap times one weight per channel.

    Raises:
        kernels.KernelPresetError: an unknown name, or a 3x3 preset at a smaller kernel size.
    """
    rows = []
    for name in names:
        if name in COLOUR_KERNELS and in_channels == 3:
            centre = kernels.make_kernel("Identity", *kernel_size)
            rows.append(np.stack([weight * centre for weight in COLOUR_KERNELS[name]]))
        else:
            rows.append(np.repeat(kernels.make_kernel(name, *kernel_size)[None], in_channels, axis=0))
    weight = np.asarray(rows, dtype=np.float32).reshape(len(rows), in_channels, *kernel_size)
    return np.ascontiguousarray(weight[..., ::-1, ::-1] if flip else weight)


@dataclass(frozen=True)
class FilterBank:
    """What the section shows for one bank.

    Attributes:
        names: the kernels, in order (map k is names[k]).
        layer: the layer with C_out = len(names), groups 1.
        weight: (C_out, C_in, F_h, F_w); bias: (C_out,) or None; output: (C_out, H_out, W_out).
        torch_line: "nn.Conv2d(3, 4, kernel_size=3, stride=1, padding=1)".
        shape_line: the weight and output shapes (LaTeX).
        parameter_line: conv.parameter_formula of the layer (LaTeX).
        kernel_title: the weight picture's title.
        maps: one (picture, caption) per output map: grey from the map's lowest to its highest
            value, captioned "map 0: Sobel x, -2.93 to 3.10".
    """

    names: tuple[str, ...]
    layer: conv.ConvSettings
    weight: np.ndarray
    bias: np.ndarray | None
    output: np.ndarray
    torch_line: str
    shape_line: str
    parameter_line: str
    kernel_title: str
    maps: tuple[tuple[Image.Image, str], ...]


def _channel_names(in_channels: int) -> str:
    return ", ".join(CHANNEL_LETTERS) if in_channels == 3 else "the one grey channel"


def filter_bank(settings: Settings, layer: conv.ConvSettings | None, refused: bool, x: np.ndarray,
                names) -> FilterBank | str:
    """The lab's layer with a bank of kernels on input ``x``, or the sentence saying why not.

    Args:
        settings: the lab's controls (the bias and flip).
        layer: the lab's layer (its stride, padding, dilation, padding mode, size and bias).
        refused: whether the lab refused its settings for this input.
        x: (C_in, H, W) the lab's input.
        names: the chosen kernels, at most MAX_KERNELS.
    """
    import torch

    names = tuple(names)[:MAX_KERNELS]
    if layer is None or refused:
        return REFUSED
    if layer.operation != "conv":
        return NOT_A_CONVOLUTION
    if not names:
        return NO_KERNELS
    in_channels = x.shape[0]
    try:
        weight = bank_weight(names, in_channels, layer.kernel_size, settings.conv_flip)
    except kernels.KernelPresetError as error:
        return str(error)
    bank = conv.ConvSettings(operation="conv", kernel_size=layer.kernel_size, stride=layer.stride,
                             padding=layer.padding, dilation=layer.dilation, padding_mode=layer.padding_mode,
                             in_channels=in_channels, out_channels=len(names), bias=layer.bias)
    bias = np.full(len(names), settings.conv_bias, dtype=np.float32) if bank.bias else None
    with torch.inference_mode():
        output = conv.apply(torch.from_numpy(np.ascontiguousarray(x))[None], torch.from_numpy(weight),
                            None if bias is None else torch.from_numpy(bias), bank)[0].numpy()
    c_out, out_h, out_w = output.shape
    f_h, f_w = layer.kernel_size
    shape_line = (rf"W:\ {c_out} \times {in_channels} \times {f_h} \times {f_w}\,, \qquad "
                  rf"\text{{output}}:\ {c_out} \times {out_h} \times {out_w}")
    kernel_title = (f"W: {c_out} x {in_channels} x {f_h} x {f_w}. Row k is kernel k, "
                    f"column c its slice for input channel c ({_channel_names(in_channels)})")
    maps = tuple((stretched_grey(values, flat=0.0), f"map {k}: {name}, {values.min():.2f} to {values.max():.2f}")
                 for k, (name, values) in enumerate(zip(names, output)))
    return FilterBank(names, bank, weight, bias, output, bank.torch_line(), shape_line,
                      conv.parameter_formula(bank), kernel_title, maps)

