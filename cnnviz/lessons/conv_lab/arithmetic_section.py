"""The 2-D tab's Arithmetic section: the output-size formulas with the student's numbers, the
'same' padding this kernel needs, the parameter count worked out, the equivalent torch layer, and
the counts (output shape, parameters, multiply-adds or values read)."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz import conv
from cnnviz.lessons.metric import Metric


@dataclass(frozen=True)
class SamePadding:
    """'same' padding for the chosen kernel: P = D(F-1)/2, and what it does with these settings.

    Attributes:
        lines: P in the kernel's numbers (LaTeX), one line, or P_h and P_w for a kernel that is not
            square.
        note: one sentence (markdown): what 'same' gives here, or why it cannot keep the size (at a
            stride above 1 with the size that padding would give, as code).
    """

    lines: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Arithmetic:
    """The Arithmetic section: the size formulas, the torch layer and the counts.

    Attributes:
        formula_lines: the H_out and W_out formulas with the student's numbers (LaTeX); for refused
            settings the formulas in letters, which claim no size (the numbers would be made up:
            'same' padding with stride 2 has no P that torch accepts).
        torch_line: the equivalent torch layer.
        metrics: output shape, parameters, multiply-adds or values read; empty when refused.
        parameter_line: the parameter count in letters and numbers (LaTeX); None for pooling and
            when refused.
        same_padding: the 'same' padding of this kernel and what it does here; None for a
            transposed convolution, which has no 'same'.
    """

    formula_lines: tuple[str, str]
    torch_line: str
    metrics: tuple[Metric, ...]
    parameter_line: str | None = None
    same_padding: SamePadding | None = None

    @property
    def display_lines(self) -> tuple[str, ...]:
        """formula_lines, then the parameter line, as shown: each formula, then its evaluation on a
        second line, so a photo's numbers do not run off a projector's screen."""
        lines = self.formula_lines if self.parameter_line is None else (*self.formula_lines, self.parameter_line)
        return tuple(broken(line) for line in lines)


def broken(line: str) -> str:
    r"""A LaTeX formula `a = b = c = d` as `a = b \\ = c = d`: two lines. A top-level line break, not an
    aligned block, whose columns KaTeX draws 2 px wider than their box."""
    head, *steps = line.split(" = ")
    if len(steps) < 2:
        return line
    return f"{head} = {steps[0]} \\\\\n= " + " = ".join(steps[1:])


def arithmetic(settings: conv.ConvSettings, height: int, width: int, refused: bool = False) -> Arithmetic:
    """What the Arithmetic section shows for an input of height x width.

    Args:
        settings: the layer.
        height, width: the input's size.
        refused: the settings are refused for this input: formulas only, no counts.

    Returns:
        Arithmetic.
    """
    metrics: tuple[Metric, ...] = ()
    if not refused:
        c_out, out_h, out_w = settings.output_shape(height, width)
        shape = Metric("Output", f"{c_out}x{out_h}x{out_w}", "channels x height x width")
        if settings.is_pool:
            metrics = (shape, Metric("Parameters", "0", "Pooling learns nothing."),
                       Metric("Values read", f"{conv.window_reads(settings, height, width):,}"))
        else:
            metrics = (shape, Metric("Parameters", f"{conv.parameter_count(settings):,}",
                                     "C_out * C_in/groups * F_h * F_w + C_out (bias)"),
                       Metric("Multiply-adds", f"{conv.multiply_adds(settings, height, width):,}"))
    lines = refused_lines(settings) if refused else settings.formula_lines(height, width, latex=True)
    # Refused: no counts, so no parameter line either (the metrics it would sit beside are gone).
    parameters = None if refused else conv.parameter_formula(settings)
    return Arithmetic(lines, settings.torch_line(), metrics, parameters, same_padding(settings, height, width))


def same_padding(settings: conv.ConvSettings, height: int, width: int) -> SamePadding | None:
    """What 'same' padding is for this kernel on a height x width input, and why it fails where it
    does (a stride above 1, an even span in pooling); None for a transposed convolution."""
    if settings.is_transposed:
        return None
    (f_h, f_w), (d_h, d_w) = settings.kernel_size, settings.dilation
    pads = [conv.same_padding(f_h, d_h), conv.same_padding(f_w, d_w)]
    if (f_h, d_h) == (f_w, d_w):
        lines = [conv.same_padding_formula(f_w, d_w)]
    else:
        lines = [conv.same_padding_formula(f_h, d_h, "P_h"), conv.same_padding_formula(f_w, d_w, "P_w")]
    uneven = any(before != after for before, after in pads)
    strided = [axis for axis in (1, 0) if settings.stride[axis] > 1]
    if settings.padding == "same" and strided:  # the refused case, in numbers: it cannot keep the size
        axis = strided[0]
        size, side, stride, name = ((height, f_h, settings.stride[0], "H"),
                                    (width, f_w, settings.stride[1], "W"))[axis]
        dilation = settings.dilation[axis]
        # Plain text in the note, not a formula line: a refused layer's formulas claim no size.
        shrunk = conv.output_size_formula(size, side, stride, pads[axis], dilation, name)
        note = (f"'same' needs stride 1: at stride {stride} even this padding gives `{shrunk}`, not "
                f"{name}_in = {size}, so 'same' is refused here.")
    elif uneven and settings.is_pool:
        note = ("This window's span D(F-1)+1 is even, so it cannot be centred, and pooling cannot pad one "
                "side more than the other: 'same' is refused for it.")
    elif uneven:
        note = ("This kernel's span D(F-1)+1 is even, so it cannot be centred: 'same' pads one cell more "
                "at the bottom or right than before it, as PyTorch does.")
    elif settings.padding == "same":
        note = "'same' pads this much on each side, so the output keeps the input's size."
    elif strided:
        note = (f"'same' would pad this much, but it keeps the size only at stride 1; the stride here is "
                f"{max(settings.stride)}.")
    elif pads[0] == pads[1]:
        note = f"For 'same' padding with this kernel, choose P = {pads[1][0]} (or 'same') under Padding P."
    else:
        note = "For 'same' padding with this kernel choose 'same' under Padding P: rows and columns need different P."
    return SamePadding(tuple(lines), note)


def refused_lines(settings: conv.ConvSettings) -> tuple[str, str]:
    """The H_out and W_out formulas in letters (LaTeX), saying that these settings have no output."""
    lines = []
    for axis in "HW":
        size = rf"{axis}_{{\mathrm{{in}}}}"
        if settings.is_transposed:
            rule = rf"({size} - 1)\,S - 2P + D(F-1) + P_{{\mathrm{{out}}}} + 1"
        else:
            rule = rf"\left\lfloor \frac{{{size} + 2P - D(F-1) - 1}}{{S}} \right\rfloor + 1"
        lines.append(rf"{axis}_{{\mathrm{{out}}}} = {rule}\quad\text{{(no size: these settings are refused)}}")
    return lines[0], lines[1]

