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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

OPERATIONS = ("conv", "transposed", "max_pool", "avg_pool")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
PADDING_WORDS = ("same", "valid")

# Kinds of cell in the sliding grid (what the window reads).
INPUT_CELL = 0  # a real input value
PADDING_CELL = 1  # added around the input (zeros, or copied in reflect/replicate/circular mode)
INSERTED_CELL = 2  # a zero inserted between input values by a transposed convolution's stride

_AXIS_NAMES = ("H", "W")
_AXIS_WORDS = (("row", "rows", "tall"), ("column", "columns", "wide"))


class ConvSettingsError(ValueError):
    """Settings for which no output exists; the message is one sentence with the numbers."""


# --- Output sizes ---------------------------------------------------------------------------------


def _pad_pair(padding: int | Sequence[int]) -> tuple[int, int]:
    """Padding on one axis as (before, after); an int pads both sides equally."""
    if isinstance(padding, (int, np.integer)):
        return int(padding), int(padding)
    before, after = padding
    return int(before), int(after)


def _padding_text(before: int, after: int) -> str:
    return f"2*{before}" if before == after else f"({before}+{after})"


def _require_at_least(*checks: tuple[int, str, int]) -> None:
    """Raise ConvSettingsError for the first (value, label, least) whose value is below least."""
    for value, label, least in checks:
        if value < least:
            raise ConvSettingsError(f"The {label} must be at least {least}; got {value}.")


def output_size(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int | str | Sequence[int] = 0,
    dilation: int = 1,
) -> int:
    """Output length of a convolution or pooling along one axis.

    Args:
        size: input length (pixels), >= 1.
        kernel_size: F, >= 1.
        stride: S, >= 1.
        padding: P added on both sides, a (before, after) pair, 'valid' (no padding) or 'same'
            (output as long as the input; only with stride 1).
        dilation: D, >= 1; the kernel then spans D*(F-1)+1 input cells.

    Returns:
        floor((size + P_before + P_after - D*(F-1) - 1) / S) + 1.

    Raises:
        ConvSettingsError: a value out of range, 'same' with stride > 1, or a kernel wider than
            the padded input (no output exists).

    >>> output_size(28, 5, stride=1, padding=2)
    28
    >>> output_size(227, 11, stride=4)
    55
    """
    _require_at_least((size, "input size", 1), (kernel_size, "kernel size", 1), (stride, "stride", 1),
                      (dilation, "dilation", 1))
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            if stride != 1:
                raise ConvSettingsError(
                    f"'same' padding needs stride 1: with stride {stride} the output cannot "
                    f"keep the input's size of {size}."
                )
            return size
        else:
            raise ConvSettingsError(f"Padding must be a number, 'same' or 'valid'; got {padding!r}.")
    before, after = _pad_pair(padding)
    if before < 0 or after < 0:
        raise ConvSettingsError(f"Padding cannot be negative; got {before} and {after}.")
    span = dilation * (kernel_size - 1) + 1
    padded = size + before + after
    if span > padded:
        how = f"{kernel_size} taps" if dilation == 1 else (
            f"{kernel_size} taps dilated by {dilation}: {dilation}*({kernel_size}-1)+1"
        )
        raise ConvSettingsError(
            f"No output: the kernel spans {span} cells ({how}), but the padded input is only "
            f"{padded} ({size} + {_padding_text(before, after)})."
        )
    return (padded - span) // stride + 1


def transposed_output_size(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output length of a transposed convolution along one axis (nn.ConvTranspose2d).

    Args:
        size: input length, >= 1.
        kernel_size, stride, dilation: F, S, D, each >= 1.
        padding: P >= 0; it removes P cells from each end of the full output.
        output_padding: extra cells at the end, 0 <= output_padding < max(S, D) (it only picks
            which of the input sizes that map to the same output size is meant).

    Returns:
        (size - 1)*S - 2*P + D*(F-1) + output_padding + 1.

    Raises:
        ConvSettingsError: a value out of range, or no output left after removing the padding.

    >>> transposed_output_size(55, 11, stride=4)
    227
    """
    _require_at_least((size, "input size", 1), (kernel_size, "kernel size", 1), (stride, "stride", 1),
                      (dilation, "dilation", 1), (padding, "padding", 0), (output_padding, "output padding", 0))
    if output_padding >= stride and output_padding >= dilation:
        raise ConvSettingsError(
            f"Output padding {output_padding} must be smaller than the stride ({stride}) or the "
            f"dilation ({dilation}); it only chooses between input sizes that give the same output."
        )
    result = (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if result < 1:
        raise ConvSettingsError(
            f"No output: ({size}-1)*{stride} - 2*{padding} + {dilation}*({kernel_size}-1) + "
            f"{output_padding} + 1 = {result}; padding {padding} removes more than the "
            f"transposed convolution produces."
        )
    return result


def output_size_formula(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int | Sequence[int] = 0,
    dilation: int = 1,
    name: str = "W",
    latex: bool = False,
) -> str:
    """The output-size formula with the numbers substituted and the floor division shown.

    Never raises: when no output exists the result is <= 0, and the text shows why.

    Args:
        size, kernel_size, stride, padding, dilation: as in output_size (padding a number or a
            (before, after) pair).
        name: the axis letter, "H" or "W".
        latex: LaTeX for st.latex instead of plain text.

    >>> output_size_formula(512, 3, stride=2, padding=1, dilation=2)
    'W_out = floor((512 + 2*1 - 2*(3-1) - 1) / 2) + 1 = floor(509 / 2) + 1 = 254 + 1 = 255'
    """
    before, after = _pad_pair(padding)
    numerator = size + before + after - dilation * (kernel_size - 1) - 1
    quotient = numerator // stride
    if latex:
        pad = rf"2 \cdot {before}" if before == after else f"({before}+{after})"
        return (
            rf"{name}_{{\mathrm{{out}}}} = \left\lfloor \frac{{{size} + {pad} - "
            rf"{dilation} \cdot ({kernel_size}-1) - 1}}{{{stride}}} \right\rfloor + 1 "
            rf"= \left\lfloor \frac{{{numerator}}}{{{stride}}} \right\rfloor + 1 "
            rf"= {quotient} + 1 = {quotient + 1}"
        )
    return (
        f"{name}_out = floor(({size} + {_padding_text(before, after)} - "
        f"{dilation}*({kernel_size}-1) - 1) / {stride}) + 1 = floor({numerator} / {stride}) + 1 "
        f"= {quotient} + 1 = {quotient + 1}"
    )


def transposed_output_size_formula(
    size: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
    name: str = "W",
    latex: bool = False,
) -> str:
    """The transposed output-size formula with the numbers substituted (never raises).

    >>> transposed_output_size_formula(4, 3, stride=2, padding=1, output_padding=1)
    'W_out = (4-1)*2 - 2*1 + 1*(3-1) + 1 + 1 = 6 - 2 + 2 + 1 + 1 = 8'
    """
    grown = (size - 1) * stride
    reach = dilation * (kernel_size - 1)
    result = grown - 2 * padding + reach + output_padding + 1
    times, label = (r" \cdot ", rf"{name}_{{\mathrm{{out}}}}") if latex else ("*", f"{name}_out")
    return (
        f"{label} = ({size}-1){times}{stride} - 2{times}{padding} + {dilation}{times}({kernel_size}-1)"
        f" + {output_padding} + 1 = {grown} - {2 * padding} + {reach} + {output_padding} + 1 "
        f"= {result}"
    )


# --- Settings ---------------------------------------------------------------------------------------


def _as_pair(value, label: str) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    try:
        first, second = value
        return int(first), int(second)
    except (TypeError, ValueError):
        raise ConvSettingsError(f"The {label} must be a whole number or a pair; got {value!r}.") from None


@dataclass(frozen=True)
class ConvSettings:
    """One convolution, transposed convolution or pooling layer, as the lab configures it.

    Ints given for the pair fields are turned into (height, width) pairs.

    Attributes:
        operation: 'conv', 'transposed', 'max_pool' or 'avg_pool'.
        kernel_size: (F_h, F_w), each >= 1.
        stride: (S_h, S_w), each >= 1.
        padding: (P_h, P_w) added on both sides, or 'same' / 'valid'.
        dilation: (D_h, D_w), each >= 1 (average pooling has none in PyTorch).
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular' (convolution only).
        groups: input and output channels split into this many independent groups;
            groups == in_channels is depthwise convolution.
        in_channels, out_channels: C_in, C_out (pooling keeps the channel count: C_out = C_in).
        bias: whether a convolution adds a learnable bias per output channel.
        output_padding: (OP_h, OP_w), transposed convolution only.
    """

    operation: str = "conv"
    kernel_size: tuple[int, int] = (3, 3)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] | str = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    padding_mode: str = "zeros"
    groups: int = 1
    in_channels: int = 1
    out_channels: int = 1
    bias: bool = True
    output_padding: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        if self.operation not in OPERATIONS:
            raise ConvSettingsError(
                f"The operation must be one of {', '.join(OPERATIONS)}; got {self.operation!r}."
            )
        # Frozen dataclass: normalising in place needs object.__setattr__.
        for name in ("kernel_size", "stride", "dilation", "output_padding"):
            object.__setattr__(self, name, _as_pair(getattr(self, name), name.replace("_", " ")))
        if isinstance(self.padding, str):
            if self.padding not in PADDING_WORDS:
                raise ConvSettingsError(
                    f"Padding must be a number, 'same' or 'valid'; got {self.padding!r}."
                )
        else:
            object.__setattr__(self, "padding", _as_pair(self.padding, "padding"))
        if self.padding_mode not in PADDING_MODES:
            raise ConvSettingsError(
                f"The padding mode must be one of {', '.join(PADDING_MODES)}; "
                f"got {self.padding_mode!r}."
            )
        if self.is_pool and self.out_channels != self.in_channels:
            object.__setattr__(self, "out_channels", self.in_channels)
        checks = [
            (self.kernel_size, "kernel size", 1),
            (self.stride, "stride", 1),
            (self.dilation, "dilation", 1),
            (self.output_padding, "output padding", 0),
            ((self.groups,), "number of groups", 1),
            ((self.in_channels, self.out_channels), "number of channels", 1),
        ]
        if not isinstance(self.padding, str):
            checks.append((self.padding, "padding", 0))
        for values, label, least in checks:
            for value in values:
                if value < least:
                    raise ConvSettingsError(f"The {label} must be at least {least}; got {value}.")

    # -- what kind of layer --
    @property
    def is_pool(self) -> bool:
        return self.operation in ("max_pool", "avg_pool")

    @property
    def is_transposed(self) -> bool:
        return self.operation == "transposed"

    @property
    def span(self) -> tuple[int, int]:
        """Cells the (dilated) kernel covers: D*(F-1)+1 per axis."""
        return tuple(d * (f - 1) + 1 for d, f in zip(self.dilation, self.kernel_size))  # type: ignore[return-value]

    @property
    def symmetric_padding(self) -> tuple[int, int]:
        """(P_h, P_w) for the formulas and nn lines; for 'same' with an even span, the smaller side."""
        top, _, left, _ = self.padding_amounts()
        return top, left

    def padding_amounts(self) -> tuple[int, int, int, int]:
        """Padding in cells as (top, bottom, left, right).

        'same' pads D*(F-1) in total per axis, the odd cell (even kernels) at the bottom/right,
        as PyTorch does.
        """
        if self.padding == "valid":
            return 0, 0, 0, 0
        if self.padding == "same":
            amounts = []
            for span in self.span:
                total = span - 1
                amounts += [total // 2, total - total // 2]
            return amounts[0], amounts[1], amounts[2], amounts[3]
        ph, pw = self.padding  # type: ignore[misc]
        return ph, ph, pw, pw

    # -- shapes --
    def weight_shape(self) -> tuple[int, int, int, int] | None:
        """Kernel tensor shape: (C_out, C_in/groups, F_h, F_w) for conv,
        (C_in, C_out/groups, F_h, F_w) for transposed, None for pooling."""
        fh, fw = self.kernel_size
        if self.is_pool:
            return None
        if self.is_transposed:
            return self.in_channels, self.out_channels // self.groups, fh, fw
        return self.out_channels, self.in_channels // self.groups, fh, fw

    def output_shape(self, height: int, width: int) -> tuple[int, int, int]:
        """(C_out, H_out, W_out) for an input of height x width; raises ConvSettingsError."""
        self.validate(height, width)
        return (self.out_channels, *self._spatial_output(height, width))

    def _spatial_output(self, height: int, width: int) -> tuple[int, int]:
        sizes = []
        top, bottom, left, right = self.padding_amounts()
        for axis, (size, before, after) in enumerate(((height, top, bottom), (width, left, right))):
            k, s, d = self.kernel_size[axis], self.stride[axis], self.dilation[axis]
            if self.is_transposed:
                sizes.append(
                    transposed_output_size(size, k, s, before, self.output_padding[axis], d)
                )
            else:
                sizes.append(output_size(size, k, s, (before, after), d))
        return sizes[0], sizes[1]

    def grid_shape(self, height: int, width: int) -> tuple[int, int]:
        """Size of the sliding grid: the padded input (transposed: zero-inserted and padded)."""
        if self.is_transposed:
            return tuple(  # type: ignore[return-value]
                (n - 1) * s + 1 + 2 * (d * (k - 1) - p) + op
                for n, s, d, k, p, op in zip(
                    (height, width), self.stride, self.dilation, self.kernel_size,
                    self.symmetric_padding, self.output_padding,
                )
            )
        top, bottom, left, right = self.padding_amounts()
        return height + top + bottom, width + left + right

    def input_origin(self) -> tuple[int, int]:
        """Grid (row, col) where input cell (0, 0) sits in the sliding grid."""
        if self.is_transposed:
            return tuple(  # type: ignore[return-value]
                d * (k - 1) - p
                for d, k, p in zip(self.dilation, self.kernel_size, self.symmetric_padding)
            )
        top, _, left, _ = self.padding_amounts()
        return top, left

    # -- checks --
    def validate(self, height: int, width: int) -> list[str]:
        """Check the settings against an input of height x width.

        Returns:
            Warnings (sentences) for settings that work but lose or skip input cells.

        Raises:
            ConvSettingsError: settings for which PyTorch has no output, with one sentence saying
                why ('same' with stride > 1, groups that do not divide the channels, a dilated
                kernel wider than the padded input, output padding too large, ...).
        """
        if height < 1 or width < 1:
            raise ConvSettingsError(f"The input must be at least 1x1; got {height}x{width}.")
        self._check_operation_options()
        self._check_padding(height, width)
        self._spatial_output(height, width)  # raises when no output exists
        return self._warnings(height, width)

    def _check_operation_options(self) -> None:
        if self.padding == "same" and max(self.stride) > 1:
            raise ConvSettingsError(
                f"'same' padding needs stride 1: with stride {max(self.stride)} the output is "
                f"about 1/{max(self.stride)} of the input, so it cannot keep the input's size."
            )
        if self.is_transposed:
            if self.padding == "same":
                raise ConvSettingsError(
                    "'same' padding is not defined for a transposed convolution: pick a number "
                    "(it crops that many cells from each side of the output)."
                )
            if self.padding_mode != "zeros":
                raise ConvSettingsError(
                    f"A transposed convolution only pads with zeros in PyTorch; padding mode "
                    f"{self.padding_mode!r} is not available."
                )
        elif any(self.output_padding):
            raise ConvSettingsError(
                "Output padding only exists for a transposed convolution; set it to 0."
            )
        if self.is_pool:
            if self.operation == "avg_pool" and max(self.dilation) > 1:
                raise ConvSettingsError(
                    f"Average pooling has no dilation in PyTorch (nn.AvgPool2d); dilation "
                    f"{max(self.dilation)} only works with max pooling."
                )
            top, bottom, left, right = self.padding_amounts()
            if top != bottom or left != right:
                raise ConvSettingsError(
                    f"'same' pooling with an even {self.kernel_size[0]}x{self.kernel_size[1]} "
                    f"window would pad one side more than the other, which PyTorch pooling cannot do."
                )
            for axis, pad in enumerate((top, left)):
                limit = self.kernel_size[axis] // 2
                if pad > limit:
                    raise ConvSettingsError(
                        f"Pooling padding {pad} is more than half the {self.kernel_size[axis]}-cell "
                        f"window: PyTorch allows at most {limit}, so that no window is mostly padding."
                    )
            return
        channels = (("input", self.in_channels), ("output", self.out_channels))
        for label, count in channels:
            if count % self.groups:
                raise ConvSettingsError(
                    f"groups={self.groups} must divide the {count} {label} channels, but "
                    f"{count} / {self.groups} is not a whole number."
                )

    def _check_padding(self, height: int, width: int) -> None:
        if self.padding_mode in ("zeros",) or self.is_pool or self.is_transposed:
            return
        top, bottom, left, right = self.padding_amounts()
        for size, pad, words in ((height, max(top, bottom), _AXIS_WORDS[0]), (width, max(left, right), _AXIS_WORDS[1])):
            if self.padding_mode == "reflect" and pad >= size:
                raise ConvSettingsError(
                    f"Reflect padding of {pad} mirrors the input without repeating its edge, so it "
                    f"needs more than {pad} {words[1]}; the input is {size} {words[2]}."
                )
            if self.padding_mode == "circular" and pad > size:
                raise ConvSettingsError(
                    f"Circular padding of {pad} would wrap around the input more than once; the "
                    f"input is only {size} {words[2]}."
                )

    def _warnings(self, height: int, width: int) -> list[str]:
        warnings = []
        if self.is_pool and self.padding_mode != "zeros":
            warnings.append(
                f"Pooling ignores padding mode {self.padding_mode!r}: max pooling pads with "
                f"-infinity (padding never wins) and average pooling with zeros."
            )
        if self.padding == "same" and any(s % 2 == 0 for s in self.span):
            top, bottom, left, right = self.padding_amounts()
            warnings.append(
                f"An even kernel span cannot be centred: 'same' pads {top} on top and {bottom} at "
                f"the bottom, {left} on the left and {right} on the right."
            )
        if self.is_transposed:
            for axis, k, s in zip(_AXIS_WORDS, self.kernel_size, self.stride):
                if s > 1 and k % s:
                    warnings.append(
                        f"Kernel {k} is not a multiple of stride {s}: neighbouring output "
                        f"{axis[1]} get different numbers of contributions, the cause of "
                        f"checkerboard patterns in generated images."
                    )
                    break
            return warnings
        top, bottom, left, right = self.padding_amounts()
        for axis, size, before, after in ((0, height, top, bottom), (1, width, left, right)):
            word, words, _ = _AXIS_WORDS[axis]
            s, span = self.stride[axis], self.span[axis]
            leftover = (size + before + after - span) % s
            lost = leftover - after  # the unvisited cells at the end that are real input
            if lost > 0:
                warnings.append(
                    f"Stride {s} does not divide evenly: the last {lost} input "
                    f"{word if lost == 1 else words} {'is' if lost == 1 else 'are'} never visited "
                    f"({_AXIS_NAMES[axis]}_in + padding - span = {size + before + after - span}, "
                    f"not a multiple of {s})."
                )
            if s > span:
                warnings.append(
                    f"Stride {s} is larger than the {span}-cell window: {s - span} of every {s} "
                    f"input {words} are skipped entirely."
                )
        return warnings

    # -- text for the page --
    def formula_lines(self, height: int, width: int, latex: bool = False) -> tuple[str, str]:
        """The output-size formula for H and W with the numbers substituted (never raises)."""
        top, bottom, left, right = self.padding_amounts()
        lines = []
        for axis, (size, before, after) in enumerate(((height, top, bottom), (width, left, right))):
            k, s, d = self.kernel_size[axis], self.stride[axis], self.dilation[axis]
            if self.is_transposed:
                lines.append(
                    transposed_output_size_formula(
                        size, k, s, before, self.output_padding[axis], d, _AXIS_NAMES[axis], latex
                    )
                )
            else:
                lines.append(
                    output_size_formula(size, k, s, (before, after), d, _AXIS_NAMES[axis], latex)
                )
        return lines[0], lines[1]

    def torch_line(self) -> str:
        """The equivalent PyTorch layer, e.g. "nn.Conv2d(3, 1, kernel_size=3, stride=1, padding=1)"."""

        def show(pair) -> str:
            return str(pair[0]) if pair[0] == pair[1] else str(tuple(pair))

        if isinstance(self.padding, str) and not (self.is_pool and self.padding == "same"):
            padding = repr(self.padding)
        else:
            padding = show(self.symmetric_padding)
        args = [f"kernel_size={show(self.kernel_size)}", f"stride={show(self.stride)}", f"padding={padding}"]
        if self.operation == "max_pool":
            if self.dilation != (1, 1):
                args.append(f"dilation={show(self.dilation)}")
            return f"nn.MaxPool2d({', '.join(args)})"
        if self.operation == "avg_pool":
            return f"nn.AvgPool2d({', '.join(args)})"
        if self.is_transposed and self.output_padding != (0, 0):
            args.append(f"output_padding={show(self.output_padding)}")
        if self.dilation != (1, 1):
            args.append(f"dilation={show(self.dilation)}")
        if self.groups != 1:
            args.append(f"groups={self.groups}")
        if not self.bias:
            args.append("bias=False")
        if self.padding_mode != "zeros":
            args.append(f"padding_mode={self.padding_mode!r}")
        layer = "nn.ConvTranspose2d" if self.is_transposed else "nn.Conv2d"
        return f"{layer}({self.in_channels}, {self.out_channels}, {', '.join(args)})"


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


# --- Computing through torch ------------------------------------------------------------------------


def apply(x, weight=None, bias=None, settings: ConvSettings = ConvSettings()):
    """Run the layer through torch.

    Args:
        x: float tensor (N, C_in, H, W).
        weight: tensor of settings.weight_shape() (None for pooling).
        bias: tensor (C_out,) or None.
        settings: the layer; validated first.

    Returns:
        tensor (N, C_out, H_out, W_out), same dtype as x.

    Raises:
        ConvSettingsError: invalid settings, or a weight of the wrong shape.
    """
    import torch.nn.functional as F

    _, channels, height, width = x.shape
    if channels != settings.in_channels:
        raise ConvSettingsError(
            f"The input has {channels} channels but the layer expects {settings.in_channels}."
        )
    settings.validate(height, width)
    if settings.operation == "max_pool":
        return F.max_pool2d(x, settings.kernel_size, settings.stride, settings.symmetric_padding, settings.dilation)
    if settings.operation == "avg_pool":
        # count_include_pad=True (PyTorch's default): zeros in the padding count towards the mean.
        return F.avg_pool2d(x, settings.kernel_size, settings.stride, settings.symmetric_padding)
    expected = settings.weight_shape()
    if weight is None or tuple(weight.shape) != expected:
        got = None if weight is None else tuple(weight.shape)
        raise ConvSettingsError(f"The kernel tensor must have shape {expected}; got {got}.")
    if settings.is_transposed:
        return F.conv_transpose2d(
            x, weight, bias, settings.stride, settings.symmetric_padding,
            settings.output_padding, settings.groups, settings.dilation,
        )
    top, bottom, left, right = settings.padding_amounts()
    if settings.padding_mode == "zeros" and top == bottom and left == right:
        return F.conv2d(x, weight, bias, settings.stride, (top, left), settings.dilation, settings.groups)
    mode = "constant" if settings.padding_mode == "zeros" else settings.padding_mode
    padded = F.pad(x, (left, right, top, bottom), mode=mode)  # (N, C_in, H+top+bottom, W+left+right)
    return F.conv2d(padded, weight, bias, settings.stride, 0, settings.dilation, settings.groups)


def weight_from_channel_kernels(kernels: np.ndarray, settings: ConvSettings) -> np.ndarray:
    """The kernel tensor for the lab's two layouts, from one 2-D kernel per input channel.

    Args:
        kernels: (C_in, F_h, F_w): the kernel that each input channel is filtered with.
        settings: groups=1 with out_channels=1 (every channel feeds one output, summed), or
            groups = in_channels = out_channels (depthwise: each channel gives its own output).

    Returns:
        float32 array of settings.weight_shape().
    """
    kernels = np.asarray(kernels, dtype=np.float32)
    shape = settings.weight_shape()
    c_in = settings.in_channels
    if shape is None:
        raise ConvSettingsError("Pooling has no kernel values.")
    if kernels.shape != (c_in, *settings.kernel_size):
        raise ConvSettingsError(
            f"Expected {c_in} kernels of {settings.kernel_size[0]}x{settings.kernel_size[1]}; "
            f"got an array of shape {kernels.shape}."
        )
    depthwise = settings.groups == c_in == settings.out_channels
    if not (depthwise or (settings.groups == 1 and settings.out_channels == 1)):
        raise ConvSettingsError(
            "Per-channel kernels describe one output channel (groups=1) or a depthwise layer "
            f"(groups = channels); got groups={settings.groups}, {settings.out_channels} outputs."
        )
    if depthwise or settings.is_transposed:
        # conv depthwise: (C, 1, Fh, Fw); transposed: (C_in, C_out/groups = 1, Fh, Fw).
        return kernels[:, None].copy()
    return kernels[None].copy()  # (1, C_in, Fh, Fw)


def sliding_grid(x: np.ndarray, settings: ConvSettings) -> tuple[np.ndarray, np.ndarray]:
    """The grid the window slides over: the padded input (transposed: zero-inserted and padded).

    Args:
        x: input (C, H, W).
        settings: validated settings.

    Returns:
        values: float32 (C, H_grid, W_grid). Max pooling pads with -inf (padding never wins).
        kinds: int8 (H_grid, W_grid) of INPUT_CELL, PADDING_CELL, INSERTED_CELL.
    """
    x = np.asarray(x, dtype=np.float32)
    channels, height, width = x.shape
    grid_h, grid_w = settings.grid_shape(height, width)
    rows, row_kinds = _grid_axis(np.arange(grid_h), height, 0, settings)
    cols, col_kinds = _grid_axis(np.arange(grid_w), width, 1, settings)
    values = x[:, np.clip(rows, 0, None)][:, :, np.clip(cols, 0, None)]  # (C, H_grid, W_grid)
    empty = (rows[:, None] < 0) | (cols[None, :] < 0)
    values = np.where(empty[None], _pad_value(settings), values).astype(np.float32)
    kinds = np.maximum(row_kinds[:, None], col_kinds[None, :]).astype(np.int8)
    return values, kinds


def _pad_value(settings: ConvSettings) -> float:
    return -np.inf if settings.operation == "max_pool" else 0.0


def _grid_axis(grid_index: np.ndarray, size: int, axis: int, settings: ConvSettings):
    """Map grid positions on one axis to input positions.

    Returns:
        source: int array, the input index each grid position reads, -1 where it reads a
            constant (zero padding or an inserted zero).
        kind: int array of INPUT_CELL / PADDING_CELL / INSERTED_CELL.
    """
    origin = settings.input_origin()[axis]
    offset = grid_index - origin
    if settings.is_transposed:
        stride = settings.stride[axis]
        inside = (offset >= 0) & (offset <= (size - 1) * stride)
        on_lattice = inside & (offset % stride == 0)
        source = np.where(on_lattice, offset // stride, -1)
        kind = np.where(on_lattice, INPUT_CELL, np.where(inside, INSERTED_CELL, PADDING_CELL))
        return source, kind
    inside = (offset >= 0) & (offset < size)
    kind = np.where(inside, INPUT_CELL, PADDING_CELL)
    mode = "zeros" if settings.is_pool else settings.padding_mode
    if mode == "zeros":
        source = np.where(inside, offset, -1)
    elif mode == "reflect":  # mirror without repeating the edge: -1 -> 1, size -> size-2
        source = np.where(offset < 0, -offset, np.where(offset >= size, 2 * (size - 1) - offset, offset))
    elif mode == "replicate":
        source = np.clip(offset, 0, size - 1)
    else:  # circular
        source = np.mod(offset, size)
    return source, kind


# --- One output cell, step by step ------------------------------------------------------------------


@dataclass(frozen=True)
class Tap:
    """One kernel tap's contribution to an output cell (original, unflipped kernel indices)."""

    channel: int
    input_row: int  # -1 when the tap reads a constant (zero padding, an inserted zero)
    input_col: int
    kernel_row: int
    kernel_col: int
    input_value: float
    weight: float
    product: float


@dataclass(frozen=True)
class CellExplanation:
    """How one output cell is computed, in the numbers the page shows.

    The window is described on the sliding grid (see sliding_grid): the padded input, or for a
    transposed convolution the zero-inserted, padded input with the flipped kernel.

    Attributes:
        operation: as in ConvSettings.
        out_channel, row, col: the output cell.
        in_channels: input channels read (the output channel's group; pooling: the channel itself).
        grid_rows, grid_cols: (F_h,), (F_w,) sliding-grid coordinates of the window's taps.
        source_rows, source_cols: (F_h,), (F_w,) the input row/column each tap reads, -1 for a
            constant (zero padding, an inserted zero).
        kinds: (F_h, F_w) INPUT_CELL / PADDING_CELL / INSERTED_CELL.
        window: (C_g, F_h, F_w) values under the window (padding included).
        kernel: (C_g, F_h, F_w) weights as applied (flipped for transposed), None for pooling.
        products: (C_g, F_h, F_w) window * kernel, None for pooling.
        total: sum of the products (avg pool: sum of the window; max pool: the max).
        bias: added bias (0 when there is none).
        value: the output cell: total + bias, the max, or the mean.
        argmax: (channel index in window, row, col) of the max for max pooling, else None.
    """

    operation: str
    out_channel: int
    row: int
    col: int
    in_channels: tuple[int, ...]
    grid_rows: np.ndarray
    grid_cols: np.ndarray
    source_rows: np.ndarray
    source_cols: np.ndarray
    kinds: np.ndarray
    window: np.ndarray
    kernel: np.ndarray | None
    products: np.ndarray | None
    total: float
    bias: float
    value: float
    argmax: tuple[int, int, int] | None = None
    transposed: bool = field(default=False, repr=False)

    def taps(self) -> list[Tap]:
        """Every tap as (input cell, kernel tap, product); for transposed convolution the kernel
        indices are those of the original (unflipped) kernel, so input (i, j) and tap (a, b) satisfy
        out_row = i*S - P + a*D."""
        result = []
        fh, fw = self.kinds.shape
        for c_index, channel in enumerate(self.in_channels):
            for a in range(fh):
                for b in range(fw):
                    reads_input = self.source_rows[a] >= 0 and self.source_cols[b] >= 0
                    ka, kb = (fh - 1 - a, fw - 1 - b) if self.transposed else (a, b)
                    weight = float(self.kernel[c_index, a, b]) if self.kernel is not None else 1.0
                    result.append(
                        Tap(
                            channel=channel,
                            input_row=int(self.source_rows[a]) if reads_input else -1,
                            input_col=int(self.source_cols[b]) if reads_input else -1,
                            kernel_row=ka,
                            kernel_col=kb,
                            input_value=float(self.window[c_index, a, b]),
                            weight=weight,
                            product=float(self.window[c_index, a, b]) * weight,
                        )
                    )
        return result

    def sum_text(self, max_terms: int = 9) -> str:
        """The arithmetic of this cell in one line, e.g.
        "1*1 + 1*0 + 1*1 + ... (9 products) = 4 + bias 0 = 4".

        Args:
            max_terms: write out at most this many products, then "...".
        """

        show, plain = _term_text, _number_text

        count = self.window.size
        if self.operation == "max_pool":
            values = ", ".join(show(v) for v in self.window.reshape(-1)[:max_terms])
            more = ", ..." if count > max_terms else ""
            return f"max({values}{more}) = {plain(self.value)}"
        if self.operation == "avg_pool":
            values = " + ".join(show(v) for v in self.window.reshape(-1)[:max_terms])
            more = " + ..." if count > max_terms else ""
            return f"({values}{more}) / {count} = {plain(self.total)} / {count} = {plain(self.value)}"
        terms = [
            f"{show(x)}*{show(w)}"
            for x, w in zip(self.window.reshape(-1)[:max_terms], self.kernel.reshape(-1)[:max_terms])
        ]
        more = f" + ... ({count} products)" if count > max_terms else ""
        return f"{' + '.join(terms)}{more} = {plain(self.total)} + bias {show(self.bias)} = {plain(self.value)}"

    def contributions(self) -> list[Tap]:
        """Only the taps that read an input value (for transposed convolution: the input cells
        that scatter into this output cell, each through one kernel tap)."""
        return [tap for tap in self.taps() if tap.input_row >= 0]


def window_position(settings: ConvSettings, row: int, col: int) -> tuple[np.ndarray, np.ndarray]:
    """Sliding-grid rows (F_h,) and columns (F_w,) of the window for output cell (row, col).

    Cheap: this is all the page needs to draw the highlight while stepping.
    """
    # Transposed: the equivalent direct convolution slides with stride 1 over the expanded grid.
    stride = (1, 1) if settings.is_transposed else settings.stride
    rows = row * stride[0] + np.arange(settings.kernel_size[0]) * settings.dilation[0]
    cols = col * stride[1] + np.arange(settings.kernel_size[1]) * settings.dilation[1]
    return rows, cols


def explain_cell(x, weight, bias, settings: ConvSettings, out_channel: int, row: int, col: int) -> CellExplanation:
    """Recompute one output cell by hand, keeping every intermediate number.

    Args:
        x: input, array or tensor (C_in, H, W) or (1, C_in, H, W).
        weight: kernel tensor of settings.weight_shape() (ignored for pooling).
        bias: (C_out,) or None.
        settings: the layer.
        out_channel, row, col: the output cell, inside output_shape().

    Returns:
        CellExplanation whose .value equals torch's output at that cell (to float rounding).

    Raises:
        ConvSettingsError: invalid settings, or a cell outside the output.
    """
    x = _as_numpy(x)
    if x.ndim == 4:
        x = x[0]  # (C_in, H, W)
    channels, height, width = x.shape
    c_out, out_h, out_w = settings.output_shape(height, width)
    if not (0 <= out_channel < c_out and 0 <= row < out_h and 0 <= col < out_w):
        raise ConvSettingsError(
            f"Output cell (channel {out_channel}, row {row}, column {col}) is outside the "
            f"{c_out}x{out_h}x{out_w} output."
        )
    grid_rows, grid_cols = window_position(settings, row, col)
    source_rows, row_kinds = _grid_axis(grid_rows, height, 0, settings)
    source_cols, col_kinds = _grid_axis(grid_cols, width, 1, settings)
    kinds = np.maximum(row_kinds[:, None], col_kinds[None, :]).astype(np.int8)  # (F_h, F_w)

    if settings.is_pool:
        in_channels: tuple[int, ...] = (out_channel,)
    else:
        per_group_in = settings.in_channels // settings.groups
        group = out_channel // (settings.out_channels // settings.groups)
        in_channels = tuple(range(group * per_group_in, (group + 1) * per_group_in))

    picked = x[list(in_channels)]  # (C_g, H, W)
    window = picked[:, np.clip(source_rows, 0, None)][:, :, np.clip(source_cols, 0, None)]
    constant = (source_rows[:, None] < 0) | (source_cols[None, :] < 0)  # (F_h, F_w)
    window = np.where(constant[None], _pad_value(settings), window)  # (C_g, F_h, F_w)

    bias_value = 0.0
    kernel = products = None
    argmax = None
    if settings.operation == "max_pool":
        flat = int(np.argmax(window))
        argmax = tuple(int(i) for i in np.unravel_index(flat, window.shape))  # type: ignore[assignment]
        total = value = float(window.reshape(-1)[flat])
    elif settings.operation == "avg_pool":
        total = float(window.sum())
        value = total / window.size
    else:
        w = _as_numpy(weight)
        if settings.is_transposed:
            local_out = out_channel % (settings.out_channels // settings.groups)
            kernel = w[list(in_channels), local_out, ::-1, ::-1]  # (C_g, F_h, F_w), flipped
        else:
            kernel = w[out_channel]  # (C_g, F_h, F_w)
        products = window * kernel
        total = float(products.sum())
        if bias is not None:
            bias_value = float(_as_numpy(bias).reshape(-1)[out_channel])
        value = total + bias_value
    return CellExplanation(
        operation=settings.operation,
        out_channel=out_channel,
        row=row,
        col=col,
        in_channels=in_channels,
        grid_rows=grid_rows,
        grid_cols=grid_cols,
        source_rows=source_rows,
        source_cols=source_cols,
        kinds=kinds,
        window=window,
        kernel=None if kernel is None else np.ascontiguousarray(kernel),
        products=products,
        total=total,
        bias=bias_value,
        value=value,
        argmax=argmax,
        transposed=settings.is_transposed,
    )


def _number_text(value: float) -> str:
    """3 significant digits, whole numbers without a decimal point, -inf spelled out."""
    if not np.isfinite(value):
        return "-inf" if value < 0 else "inf"
    return str(int(round(value))) if abs(value - round(value)) < 1e-9 else f"{value:.3g}"


def _term_text(value: float) -> str:
    """A number inside a sum: negative ones in brackets, "3*(-1)"."""
    text = _number_text(value)
    return f"({text})" if value < 0 else text


def _as_numpy(values) -> np.ndarray:
    """float64 numpy copy of an array or tensor (float64 so that hand sums match torch's closely)."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64)


# --- 1-D and 1x1 --------------------------------------------------------------------------------


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
