"""Output sizes of convolution, transposed convolution and pooling along one axis, and the
formulas with the user's numbers substituted.

    W_out = floor((W_in + P_left + P_right - D*(F-1) - 1) / S) + 1            (convolution, pooling)
    W_out = (W_in - 1)*S - 2*P + D*(F-1) + output_padding + 1               (transposed)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


class ConvSettingsError(ValueError):
    """Settings for which no output exists; the message is one sentence with the numbers."""


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


def same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """'same' padding along one axis as (before, after): D*(F-1) cells in all, the odd one after (as
    PyTorch pads an even kernel).

    >>> same_padding(5), same_padding(4), same_padding(3, dilation=2)
    ((2, 2), (1, 2), (2, 2))
    """
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


def same_padding_formula(kernel_size: int, dilation: int = 1, name: str = "P") -> str:
    r"""P = (F-1)/2 (with dilation D(F-1)/2) in the layer's numbers (LaTeX); a total that does not
    halve says how it is split.

    >>> print(same_padding_formula(5))
    P = \frac{F-1}{2} = \frac{5-1}{2} = 2
    >>> print(same_padding_formula(4, name="P_w"))
    P_w = \frac{F-1}{2} = \frac{4-1}{2} = 1.5\quad\text{(1 before, 2 after)}
    """
    before, after = same_padding(kernel_size, dilation)
    if dilation == 1:
        letters, numbers = r"\frac{F-1}{2}", rf"\frac{{{kernel_size}-1}}{{2}}"
    else:
        letters, numbers = r"\frac{D\,(F-1)}{2}", rf"\frac{{{dilation} \cdot ({kernel_size}-1)}}{{2}}"
    value = str(before) if before == after else rf"{(before + after) / 2:g}\quad\text{{({before} before, {after} after)}}"
    return f"{name} = {letters} = {numbers} = {value}"


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
