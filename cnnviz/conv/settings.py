"""ConvSettings: one convolution, transposed convolution or pooling layer as the lab configures
it, with its checks, warnings, output shape and formula lines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz.conv.sizes import (
    ConvSettingsError,
    output_size,
    output_size_formula,
    same_padding,
    transposed_output_size,
    transposed_output_size_formula,
)


OPERATIONS = ("conv", "transposed", "max_pool", "avg_pool")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
PADDING_WORDS = ("same", "valid")


_AXIS_NAMES = ("H", "W")
_AXIS_WORDS = (("row", "rows", "tall"), ("column", "columns", "wide"))


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
            (top, bottom), (left, right) = (same_padding(f, d) for f, d in zip(self.kernel_size, self.dilation))
            return top, bottom, left, right
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
