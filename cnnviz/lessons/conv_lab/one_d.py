"""The 1-D tab: a typed signal and kernel, the cross-correlation nn.Conv1d computes, each output
written out, and how it differs from textbook convolution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnviz import conv, kernels
from cnnviz.figures import conv_figures

# What the 1-D tab's sliders offer, (lowest, highest), and its longest kernel.
SIGNAL_STRIDES = (1, 3)
SIGNAL_PADDINGS = (0, 3)
SIGNAL_DILATIONS = (1, 3)
LONGEST_KERNEL_1D = 9


def number_list(values) -> str:
    """Numbers as the 1-D tab writes them: "1, 0.5, -2"."""
    return ", ".join(conv_figures.format_number(v) for v in values)


# What the 1-D tab's text boxes open with, per example signal and kernel.
SIGNAL_TEXTS = {name: number_list(values) for name, values in kernels.SIGNAL_EXAMPLES.items()}
KERNEL_TEXTS = {name: number_list(values) for name, values in kernels.KERNELS_1D.items()}


@dataclass(frozen=True, eq=False)
class Signal:
    """The 1-D tab for one signal, kernel and layer.

    Attributes:
        signal: (N,); kernel: (K,); stride, padding, dilation: the layer.
        output: (N_out,) the cross-correlation (nn.Conv1d's answer).
        padded: (N + 2P,) the signal with its zero padding, as drawn.
        size_formula: N_out's formula with these numbers.
        comparison: cross-correlation against true convolution at stride 1, no padding; None when
            the kernel is longer than the signal.
    """

    signal: np.ndarray
    kernel: np.ndarray
    stride: int
    padding: int
    dilation: int
    output: np.ndarray
    padded: np.ndarray
    size_formula: str
    comparison: str | None

    @property
    def last_position(self) -> int:
        """The last output's index: N_out - 1."""
        return len(self.output) - 1

    def sum_text(self, position: int) -> str:
        """Output `position` written out."""
        return conv.conv1d_sum_text(self.signal, self.kernel, position, self.stride, self.padding, self.dilation)

    def figure(self, position: int):
        """The padded signal, the kernel at output `position`, and the output (conv_figures)."""
        return conv_figures.signal_figure(self.padded, self.kernel, self.output, position=position,
                                          stride=self.stride, dilation=self.dilation, padding=self.padding)


def signal_lesson(signal_text: str, kernel_text: str, stride: int, padding: int, dilation: int) -> Signal:
    """The 1-D tab from what was typed.

    Raises:
        kernels.KernelPresetError: the signal or the kernel cannot be read (a sentence quoting it).
        conv.ConvSettingsError: the layer has no output.
    """
    signal = kernels.numbers_from_text(signal_text, "signal")
    kernel = kernels.numbers_from_text(kernel_text, "kernel", longest=LONGEST_KERNEL_1D)
    output = conv.conv1d(signal, kernel, stride, padding, dilation)
    comparison = None
    if len(kernel) <= len(signal):
        comparison = ("Stride 1, no padding: cross-correlation (nn.Conv1d) gives "
                      + number_list(conv.conv1d(signal, kernel))
                      + "; true convolution (np.convolve, kernel flipped) gives "
                      + number_list(conv.true_convolution1d(signal, kernel))
                      + ". They agree only when the kernel reads the same backwards.")
    return Signal(signal, kernel, stride, padding, dilation, output, np.pad(signal, padding),
                  conv.output_size_formula(len(signal), len(kernel), stride, padding, dilation, "N"), comparison)
