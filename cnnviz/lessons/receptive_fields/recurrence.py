"""The arithmetic of one layer and one unit, worked out in the sentences the Field tab shows.

The recurrence of a sliding-window layer undone to the field it received (per axis), the input rows
and columns one unit sees, how many of them lie inside the image, the effective field's share, and
which layers have a grid of units to click. Rows and columns are worked out separately, so a
non-square kernel, stride, padding or dilation shows the right numbers on each axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnnviz.receptive import LayerField

MERGE_KINDS = ("add", "concat", "subtract", "multiply", "merge")  # layers that join paths
EFFECTIVE_SHARE = 0.9  # the effective field: the fewest pixels carrying this share of the gradient


def pair_text(values: tuple[int, int]) -> str:
    """"3" when rows and columns agree, "3 x 5" (rows x cols) when they differ, as LayerField.text."""
    return str(values[0]) if values[0] == values[1] else f"{values[0]} x {values[1]}"


@dataclass(frozen=True)
class AxisStep:
    """One sliding-window layer on one axis: the field it received and the field it gives.

    Attributes:
        axis: "rows" or "columns".
        kernel, stride, padding, dilation: the layer's settings on this axis.
        k_eff: the kernel's span with dilation, d(k - 1) + 1.
        r_in, j_in, start_in: field size, jump and start of the layer's input, in input pixels.
        r_out, j_out, start_out: the same for its output (the row's size, stride and -padding).
        formula: "r = r_in + (k_eff − 1) × j_in = **r_out**, j = j_in × s = **j_out**" with the numbers.
    """

    axis: str
    kernel: int
    stride: int
    padding: int
    dilation: int
    k_eff: int
    r_in: int
    j_in: int
    start_in: int
    r_out: int
    j_out: int
    start_out: int
    formula: str


@dataclass(frozen=True)
class RecurrenceStep:
    """What the page says about how one layer grows the field.

    Attributes:
        name, kind: the layer's.
        axes: (rows, columns) steps for a sliding-window layer; empty for a merge or any other layer.
        text: the sentence the page shows (Markdown).
    """

    name: str
    kind: str
    axes: tuple[AxisStep, ...]
    text: str


def axis_step(row: LayerField, axis: int) -> AxisStep:
    """Undo the recurrence of a sliding-window row on one axis (0: rows, 1: columns).

    Args:
        row: a row with kernel and stride in its settings, not seeing the whole input.
        axis: 0 for rows, 1 for columns.

    Returns:
        The step, with r_in, j_in and start_in worked back from the row's output field.
    """
    settings = dict(row.settings)
    kernel, stride = settings["kernel"][axis], settings["stride"][axis]
    padding = settings.get("padding", (0, 0))[axis]
    dilation = settings.get("dilation", (1, 1))[axis]
    k_eff = dilation * (kernel - 1) + 1
    r_out, j_out, start_out = row.size[axis], row.stride[axis], -row.padding[axis]
    # j_out = j_in × s, r_out = r_in + (k_eff − 1) j_in, start_out = start_in − p j_in, read backwards.
    j_in = j_out // stride
    r_in = r_out - (k_eff - 1) * j_in
    start_in = start_out + padding * j_in
    formula = f"r = {r_in} + ({k_eff} − 1) × {j_in} = **{r_out}**, j = {j_in} × {stride} = **{j_out}**"
    return AxisStep(("rows", "columns")[axis], kernel, stride, padding, dilation, k_eff,
                    r_in, j_in, start_in, r_out, j_out, start_out, formula)


def recurrence_step(row: LayerField) -> RecurrenceStep:
    """The recurrence with this layer's own numbers substituted, for both axes.

    Args:
        row: one row of cnnviz.receptive.receptive_fields.

    Returns:
        The step; where rows and columns agree the text shows one axis, else both, named.
    """
    settings = dict(row.settings)
    if row.kind in MERGE_KINDS:
        text = f"**{row.name}** joins paths: its field is the union of theirs, r = {row.text(row.size)} px."
        return RecurrenceStep(row.name, row.kind, (), text)
    if "kernel" not in settings or row.whole_input:
        text = f"**{row.name}** ({row.kind}): field {row.text(row.size)} px, stride {row.text(row.stride)} px."
        return RecurrenceStep(row.name, row.kind, (), text)
    rows, cols = axis_step(row, 0), axis_step(row, 1)
    kernel, stride = (rows.kernel, cols.kernel), (rows.stride, cols.stride)
    dilation = (rows.dilation, cols.dilation)
    head = (f"**{row.name}** ({row.kind}, k = {pair_text(kernel)}, s = {pair_text(stride)}"
            + (f", d = {pair_text(dilation)}" if dilation != (1, 1) else "") + "): ")
    if (rows.formula, rows.kernel, rows.dilation) == (cols.formula, cols.kernel, cols.dilation):
        text = head + rows.formula
    else:
        text = head + f"rows {rows.formula}; columns {cols.formula}"
    return RecurrenceStep(row.name, row.kind, (rows, cols), text)


@dataclass(frozen=True)
class UnitField:
    """The input pixels one unit sees, and the sentence the page says about them.

    Attributes:
        unit: (row, col) of the unit in its layer's grid.
        box: (top, left, bottom, right), inclusive; may reach outside the image (padding).
        reaches_padding: True when part of the box lies outside the image.
        text: the sentence (Markdown).
    """

    unit: tuple[int, int]
    box: tuple[int, int, int, int]
    reaches_padding: bool
    text: str


def unit_field(row: LayerField, unit: tuple[int, int], image_size: tuple[int, int]) -> UnitField:
    """Which input rows and columns unit ``unit`` of ``row`` sees, worked out in a sentence.

    Args:
        row: a spatial row not seeing the whole input.
        unit: (row, col) in the row's output grid.
        image_size: (height, width) of the network's input.

    Returns:
        The box and the sentence, with the rows' sum -P + i j ... + r - 1 (and the columns' where they differ).
    """
    height, width = image_size
    top, left, bottom, right = box = row.box(*unit)
    outside = top < 0 or left < 0 or bottom >= height or right >= width
    sums = f"rows = −{row.padding[0]} + {unit[0]} × {row.stride[0]} … + {row.size[0]} − 1"
    if not row.square:
        sums += f"; columns = −{row.padding[1]} + {unit[1]} × {row.stride[1]} … + {row.size[1]} − 1"
    text = (
        f"Unit ({unit[0]}, {unit[1]}) of **{row.name}** sees input rows {top} … {bottom} and columns "
        f"{left} … {right}: a field of {row.text(row.size)} px, effective stride {row.text(row.stride)} px, "
        f"effective padding {row.text(row.padding)} px ({sums}). "
        + ("The grey part of the box lies outside the image: padding, zeros." if outside else "")
    )
    return UnitField(tuple(unit), box, outside, text)


def visible_pixels(box: tuple[int, int, int, int], image_size: tuple[int, int]) -> int:
    """How many pixels of the box (top, left, bottom, right, inclusive) lie inside the image."""
    top, left, bottom, right = box
    height, width = image_size
    return max(0, min(bottom, height - 1) - max(top, 0) + 1) * max(0, min(right, width - 1) - max(left, 0) + 1)


def effective_field_text(strongest: int, box: tuple[int, int, int, int], image_size: tuple[int, int],
                         untrained: bool) -> str:
    """The sentence comparing the effective field with the theoretical one.

    Args:
        strongest: how many pixels carry EFFECTIVE_SHARE of the gradient.
        box: the unit's theoretical field (top, left, bottom, right), inclusive.
        image_size: (height, width) of the input.
        untrained: whether the network's weights are random.

    Returns:
        The sentence (Markdown).
    """
    visible = visible_pixels(box, image_size)
    return (
        f"**Effective field:** {EFFECTIVE_SHARE:.0%} of the gradient comes from the strongest {strongest:,} pixels, "
        f"{strongest / visible:.0%} of the {visible:,} pixels of the theoretical field inside the image. "
        "Pixels near the centre reach the unit along many more paths than pixels at the edge of the box."
        + (" This network is untrained, so the map shows the architecture, not learned features." if untrained else "")
    )


def _clickable(rows: Sequence[LayerField]) -> list[LayerField]:
    """The layers with a grid of units that do not each see the whole input."""
    return [row for row in rows if row.spatial and not row.whole_input]
