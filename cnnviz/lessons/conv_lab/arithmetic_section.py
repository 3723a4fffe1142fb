"""The 2-D tab's Arithmetic section: the output-size formulas with the student's numbers, the
equivalent torch layer, and the counts (output shape, parameters, multiply-adds or values read)."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz import conv
from cnnviz.lessons.metric import Metric


@dataclass(frozen=True)
class Arithmetic:
    """The Arithmetic section: the size formulas, the torch layer and the counts.

    Attributes:
        formula_lines: the H_out and W_out formulas with the student's numbers (LaTeX); for refused
            settings the formulas in letters, which claim no size (the numbers would be made up:
            'same' padding with stride 2 has no P that torch accepts).
        torch_line: the equivalent torch layer.
        metrics: output shape, parameters, multiply-adds or values read; empty when refused.
    """

    formula_lines: tuple[str, str]
    torch_line: str
    metrics: tuple[Metric, ...]

    @property
    def display_lines(self) -> tuple[str, ...]:
        """formula_lines as shown: the formula, then its evaluation on a second line (aligned at the =
        sign), so a photo's numbers do not run off a projector's screen."""
        return tuple(broken(line) for line in self.formula_lines)


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
    return Arithmetic(lines, settings.torch_line(), metrics)


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

