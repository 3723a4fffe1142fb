"""The Layer outputs view's "How one unit was computed": the unit to explain (clicked on the channel
or typed), and everything shown of it, from cnnviz.unit_explanation: the rule, the rule in this
unit's numbers, the window, kernel and products of its strongest input channels, a table of every
channel's share (or a linear unit's strongest inputs), and that the hand value is the network's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnviz.lessons.conv_lab import settings as lab
from cnnviz.unit_explanation import UnitExplanation

UNIT_HEADING = "How one unit was computed"
UNIT_INTRO = ("Click a unit on the channel above, or type its row and column: here it is recomputed by hand "
              "from the previous step's output and this step's own weights.")
VECTOR_INTRO = "Choose one of the values: here it is recomputed by hand from the previous step's output."
SHOWN_CHANNELS = 4  # input channels whose window, kernel and products are drawn (the strongest)


@dataclass(frozen=True)
class UnitView:
    """What the section shows of one explained unit, top to bottom.

    Attributes:
        heading: which unit of which step.
        formula: the step's rule; worked: the rule in this unit's numbers.
        agreement: the hand value beside the network's, said in a sentence.
        window, kernel, products: (C, F_h, F_w) of the strongest SHOWN_CHANNELS input channels
            (a pooling: the window only), or None for a step without a window.
        window_names: those channels' names ("k = 4"); window_caption: what the picture shows.
        table: rows of every input channel's sum (a convolution) or the strongest inputs (linear).
        table_caption: what the table lists.
    """

    heading: str
    formula: str
    worked: str
    agreement: str
    window: np.ndarray | None = None
    kernel: np.ndarray | None = None
    products: np.ndarray | None = None
    window_names: tuple[str, ...] = ()
    window_caption: str = ""
    table: tuple[dict[str, Any], ...] = ()
    table_caption: str = ""


def centre_unit(shape: tuple[int, ...]) -> tuple[int, int]:
    """The (row, column) explained first: the centre of an H x W map."""
    return shape[-2] // 2, shape[-1] // 2


def chosen_unit(row: int, col: int, shape: tuple[int, int]) -> tuple[int, int]:
    """(row, col) kept inside an H x W map (a link or a map of another size may ask for more)."""
    height, width = shape
    return min(max(int(row), 0), height - 1), min(max(int(col), 0), width - 1)


def _where(unit: tuple[int, ...]) -> str:
    return f"channel {unit[0]}, row {unit[1]}, column {unit[2]}" if len(unit) == 3 else f"value {unit[0]}"


def unit_view(explained: UnitExplanation) -> UnitView:
    """Everything shown of one explained unit."""
    same = "the same" if explained.agrees else "they differ"
    agreement = (f"By hand: **{explained.value:.6g}**. The network computed **{explained.network_value:.6g}**: "
                 f"{same}.")
    heading = f"{explained.kind} {explained.layer}, {_where(explained.unit)}"
    view = dict(heading=heading, formula=explained.formula, worked=explained.worked, agreement=agreement)
    cell = explained.cell
    if cell is not None and cell.kernel is not None:  # a convolution: its strongest channels drawn
        strongest = [channel for channel, _ in explained.channel_sums[:SHOWN_CHANNELS]]
        rows = [cell.in_channels.index(channel) for channel in strongest]
        total = len(cell.in_channels)
        caption = ("The window under the kernel, the kernel, and their products." if total == 1 else
                   f"The {len(rows)} input channels k (of {total}) whose products add up to the most: the window "
                   "under the kernel in each, the kernel's slice for it, and their products.")
        # "k = 4", the formula's letter: "channel 4" was cut at the picture's left edge on a projector.
        view.update(window=cell.window[rows], kernel=cell.kernel[rows], products=cell.products[rows],
                    window_names=tuple(f"k = {c}" for c in strongest), window_caption=caption)
        if total > 1:  # one channel's sum is the total already said
            view.update(table=tuple({"Input channel": channel, "Sum of its products": round(value, 6)}
                                    for channel, value in explained.channel_sums),
                        table_caption="Every input channel's share of the sum, largest first (by size).")
    elif cell is not None:  # a pooling: the window
        view.update(window=cell.window, window_names=(f"channel {explained.unit[0]}",),
                    window_caption="The window of the previous step's channel that this unit pools.")
    elif explained.contributions:
        view.update(table=tuple({"Input": index, "x": round(x, 6), "w": round(w, 6), "x · w": round(product, 6)}
                                for index, x, w, product in explained.contributions),
                    table_caption=f"The {len(explained.contributions)} inputs with the largest products x · w.")
    return UnitView(**view)


CONV_LAB_LABEL = "Step through this layer's sliding window in the Convolution lab"
_LAB_OPERATIONS = {"Conv2d": "Convolution", "MaxPool2d": "Max pooling", "AvgPool2d": "Average pooling"}


def conv_lab_link(explained: UnitExplanation) -> dict[str, str] | None:
    """The Convolution lab's link parameters for this step's operation, kernel, stride, padding and
    dilation on its numeric grid, or None for a step without a window or with a setting the lab
    does not offer (different rows and columns, a stride past its slider)."""
    operation = _LAB_OPERATIONS.get(explained.kind)
    if explained.window_settings is None or operation is None:
        return None
    (fh, fw), stride, padding, dilation = explained.window_settings
    padding = padding if isinstance(padding, str) else str(padding[0]) if padding[0] == padding[1] else ""
    low, high = lab.KERNEL_SIDES
    fits = (low <= fh <= high and low <= fw <= high and stride[0] == stride[1] and dilation[0] == dilation[1]
            and padding in lab.PADDINGS and lab.STRIDES[0] <= stride[0] <= lab.STRIDES[1]
            and lab.DILATIONS[0] <= dilation[0] <= lab.DILATIONS[1])
    if not fits:
        return None
    return {"conv_source": lab.SOURCES[0], "conv_operation": operation, "conv_kh": str(fh), "conv_kw": str(fw),
            "conv_stride": str(stride[0]), "conv_padding": padding, "conv_dilation": str(dilation[0])}
