"""The Receptive fields page's lesson: its settings, and every number, row and sentence it shows.

The page draws; this module computes. Each tab has a frozen Settings (its fields are the tab's URL
parameters without the "rf_" prefix), the ranges and menus its widgets offer, and a compute
function returning a frozen Result: the recurrence of one layer undone to the field it received,
the input rows and columns one unit sees, the effective field's share, the field table and charts,
the small-kernels stacks, the builder's rows and totals, and the counts of every zoo network. Rows
and columns are worked out separately, so a non-square kernel, stride, padding or dilation shows
the right numbers on each axis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from cnnviz import images, stack_builder
from cnnviz.model_ref import ModelRef
from cnnviz.models import list_models, model_spec
from cnnviz.receptive import LayerField
from cnnviz.stack_builder import StackLayer, StackReport

if TYPE_CHECKING:
    from cnnviz.architecture import ArchitectureTable
    from cnnviz.effective_field import EffectiveField

PARAMETER_PREFIX = "rf_"  # a Settings field "layer" is the page's widget key and URL parameter "rf_layer"
MERGE_KINDS = ("add", "concat", "subtract", "multiply", "merge")  # layers that join paths

# --- what the page says above its tabs ----------------------------------------------------------

INTRO = (
    "A unit deep inside a CNN computes from a patch of the input image only: its **receptive field**. "
    "Each convolution or pooling layer widens that patch by its kernel, measured in the steps of the "
    "layer before, and each stride makes the following steps longer. Per layer, with kernel $k$, stride "
    "$s$, padding $p$ and dilation $d$ ($k_{eff} = d(k-1)+1$):"
)
RECURRENCE = (
    r"r_{out} = r_{in} + (k_{eff} - 1)\,j_{in} \qquad j_{out} = j_{in}\, s \qquad "
    r"\text{start}_{out} = \text{start}_{in} - p\, j_{in}"
)
NOTATION = (
    "$r$ is the field size, $j$ the jump (effective stride) in input pixels. Unit $i$ sees input rows "
    "$-P + i\\,j \\;\\dots\\; -P + i\\,j + r - 1$, where $P$ = -start is the effective padding. Where paths "
    "meet (a residual add, an Inception concatenation) the field is the union of the paths' fields. The "
    "**effective** field (Luo et al., 2016) is the gradient of the unit with respect to each pixel: "
    "it is far smaller than the theoretical box."
)
TRY_THIS = (
    "**Try this first:** keep ResNet-18 and the cat, pick an early layer (net.layer1.0.conv1), then a "
    "late one (net.layer4.1 (add)), and watch the blue box grow from a patch to more than the whole "
    "picture. Click any square of the unit grid to move the unit."
)
TABS = ("Field on your image", "Small kernels, stacked", "Build a stack", "Count the networks")


def records(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Table rows (dataclasses with a COLUMNS title per field, in order) as dicts for a table widget."""
    return [{title: getattr(row, f.name) for title, f in zip(row.COLUMNS, fields(row))} for row in rows]


@dataclass(frozen=True)
class SizeChart:
    """The field-size chart's data: field_size_chart's arguments, one entry per layer."""

    names: tuple[str, ...]
    sizes: tuple[int, ...]  # the larger of the rows' and the columns' field
    strides: tuple[int, ...]  # the larger of the two effective strides
    whole: tuple[bool, ...]  # drawn grey: no finite field
    input_size: int  # the input's larger side
    highlight: str | None = None  # the chosen layer, drawn red

    def kwargs(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# --- one layer's recurrence, one unit's field, the effective field ------------------------------


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
        strongest: how many pixels carry 90% of the gradient.
        box: the unit's theoretical field (top, left, bottom, right), inclusive.
        image_size: (height, width) of the input.
        untrained: whether the network's weights are random.

    Returns:
        The sentence (Markdown).
    """
    visible = visible_pixels(box, image_size)
    return (
        f"**Effective field:** 90% of the gradient comes from the strongest {strongest:,} pixels, "
        f"{strongest / visible:.0%} of the {visible:,} pixels of the theoretical field inside the image. "
        "Pixels near the centre reach the unit along many more paths than pixels at the edge of the box."
        + (" This network is untrained, so the map shows the architecture, not learned features." if untrained else "")
    )


def builder_totals_text(total_parameters: int, total_mult_adds: int, last: LayerField, input_size: int) -> str:
    """The builder's closing sentence: its totals and what the last layer's units see.

    Args:
        total_parameters, total_mult_adds: for the whole stack and one image.
        last: the field of the stack's last layer.
        input_size: side of the square input in pixels.

    Returns:
        The sentence (Markdown).
    """
    return (
        f"Total: **{total_parameters:,} parameters**, {total_mult_adds:,} multiply-adds; the last "
        f"layer's units each see **{last.text(last.size)} px** of the {input_size} px input."
    )


# --- Field on your image ------------------------------------------------------------------------

DEFAULT_NETWORK = "resnet18"  # the registry name both Network menus start on
SOURCES = ("Bundled photo", "Upload a photo")
UPLOAD_WAITING = "Upload a photo to draw fields on it."
EFFECTIVE_SHARE = 0.9  # the effective field: the fewest pixels carrying this share of the gradient
MOST_STAGES = 6  # boxes on the growth figure, one colour each
GROWTH_TITLE = "The centre unit's field at the end of each stage"
SIZE_CHART_CAPTION = (
    "Bars: field size per layer in forward order (red: the chosen layer, grey: sees the whole input). "
    "Dips are shortcut paths, which skip convolutions and see less. Line: effective stride."
)


def network_titles() -> dict[str, str]:
    """Registry name -> title of every zoo network, in the zoo's order: the menus' options."""
    return {name: model_spec(name).title for name in list_models()}


@dataclass(frozen=True)
class NetworkMenu:
    """The Network menu: the zoo in its order, then trained checkpoints, labelled as links name them."""

    refs: tuple[ModelRef, ...]
    default: str  # the label of DEFAULT_NETWORK

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(ref.label for ref in self.refs)


def network_menu(trained: Sequence[tuple[Any, ModelRef]]) -> NetworkMenu:
    """The menu for the (catalog entry, ModelRef) pairs of dashboard.widgets.trained_networks."""
    zoo = tuple(ModelRef.zoo(name) for name in network_titles())
    checkpoints = tuple(replace(ref, label=f"trained: {entry.label}") for entry, ref in trained)
    return NetworkMenu(zoo + checkpoints, ModelRef.zoo(DEFAULT_NETWORK).label)


@dataclass(frozen=True)
class FieldSettings:
    """The unit the Field tab shows (rf_layer, rf_row, rf_col, rf_effective).

    rf_network and rf_source with rf_photo or rf_upload choose the inputs (the network's rows and
    the picture), which the page fetches through its caches.
    """

    layer: str
    row: int
    col: int
    effective: bool = True

    @property
    def unit(self) -> tuple[int, int]:
        """(row, col) as plain ints (a widget may hand over another number type)."""
        return (int(self.row), int(self.col))


def prepare(picture: Any, input_shape: tuple[int, int, int]) -> images.PreparedImage:
    """The PIL picture cropped and resized to the network's (C, H, W) input: an images.PreparedImage."""
    channels, height, width = input_shape
    return images.prepare_for_model(picture, channels=channels, size=(height, width), fit="crop")


def _clickable(rows: Sequence[LayerField]) -> list[LayerField]:
    """The layers with a grid of units that do not each see the whole input."""
    return [row for row in rows if row.spatial and not row.whole_input]


@dataclass(frozen=True)
class LayerMenu:
    """The Layer menu: its options in forward order and the one a network starts on."""

    names: tuple[str, ...]
    default: str  # a third of the way in: a field neither a patch nor the whole image


def layer_menu(rows: Sequence[LayerField]) -> LayerMenu:
    names = tuple(row.name for row in _clickable(rows))
    return LayerMenu(names, names[min(len(names) - 1, len(names) // 3)] if names else "")


@dataclass(frozen=True)
class ChosenLayer:
    """One layer of the menu and its grid of units.

    Attributes:
        row: the layer's field.
        grid: (rows, cols) of its units.
        centre: the unit a newly chosen layer starts on.
        heading: the grid's heading (Markdown).
        has_effective: whether a module's output is this layer, so its effective field exists.
    """

    row: LayerField
    grid: tuple[int, int]
    centre: tuple[int, int]
    heading: str
    has_effective: bool

    @property
    def row_input(self) -> tuple[int, int, int]:
        """The Unit row input's (lowest, highest, default): the default is the centre, so a link
        leaves out the centre and keeps 0."""
        return (0, self.grid[0] - 1, self.centre[0])

    @property
    def col_input(self) -> tuple[int, int, int]:
        """The Unit column input's (lowest, highest, default)."""
        return (0, self.grid[1] - 1, self.centre[1])


def _centre(row: LayerField) -> tuple[int, int]:
    """The unit at the middle of a layer's grid (rounded down on an even side)."""
    return (row.output_shape[1] // 2, row.output_shape[2] // 2)


def chosen_layer(rows: Sequence[LayerField], name: str) -> ChosenLayer:
    """The layer ``name`` of the menu; raises KeyError for a name the menu does not offer."""
    row = {row.name: row for row in _clickable(rows)}[name]
    channels, height, width = row.output_shape
    heading = f"**Units of {name}** ({height} × {width} grid, {channels} channels): click one"
    return ChosenLayer(row, (height, width), _centre(row), heading, row.module is not None)


def clicked_unit(event: Any) -> tuple[int, int] | None:
    """The unit a grid selection event names (its point's customdata: [row, col]), or None.

    The browser sends an array as a list, or as an object keyed "0", "1"; anything else is not a
    click a browser sends and is ignored.
    """
    try:
        customdata = event["selection"]["points"][0]["customdata"]
        if isinstance(customdata, dict):
            customdata = [customdata[k] for k in sorted(customdata, key=int)]
        values = list(customdata)
        return (int(values[0]), int(values[1]))
    except (TypeError, KeyError, IndexError, ValueError, OverflowError):
        return None


def clamp_unit(unit: tuple[Any, Any], grid: tuple[int, int]) -> tuple[int, int]:
    """The unit of the grid nearest to ``unit`` (a link or a click may name one off the grid)."""
    return tuple(min(max(int(value), 0), side - 1) for value, side in zip(unit, grid))  # type: ignore[return-value]


def stage_ends(rows: Sequence[LayerField], most: int = MOST_STAGES) -> list[LayerField]:
    """The last layer at each effective stride (the end of each stage), at most ``most`` of them:
    the first, the last and evenly spaced ones between."""
    ends: dict[tuple[int, int], LayerField] = {}
    for row in rows:
        ends[row.stride] = row  # later rows at the same stride replace earlier ones
    stages = list(ends.values())
    if len(stages) > most:
        stages = [stages[round(i * (len(stages) - 1) / (most - 1))] for i in range(most)]
    return stages


@dataclass(frozen=True)
class FieldTableRow:
    """One layer of the field table, as shown."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("Layer", "Kind", "Output", "Field (px)", "Stride (px)", "Padding (px)")
    layer: str
    kind: str
    output: str
    field: str
    stride: str
    padding: str


@dataclass(frozen=True)
class FieldResult:
    """Everything the Field tab shows for one unit of one layer.

    Attributes:
        layer: the chosen layer and its grid.
        unit: (row, col), on the grid.
        box: the unit's theoretical field (top, left, bottom, right), inclusive; may reach past the image.
        title: the field figure's title.
        pixels: the picture as the network sees it, (H, W) or (H, W, 3) in [0, 1], for the figures.
        unit_field, recurrence: the unit's rows and columns, and the layer's recurrence, worked out.
        effective_text: the effective field's share, or "" when it is not shown.
        effective_map: the (H, W) gradient to overlay, or None.
        stages: (legend label, box) of the centre unit at the end of each stage: the growth figure.
        chart: field size and stride per layer.
        table: one row per layer.
    """

    layer: ChosenLayer
    unit: tuple[int, int]
    box: tuple[int, int, int, int]
    title: str
    pixels: np.ndarray
    unit_field: UnitField
    recurrence: RecurrenceStep
    effective_text: str
    effective_map: np.ndarray | None
    stages: tuple[tuple[str, tuple[int, int, int, int]], ...]
    chart: SizeChart
    table: tuple[FieldTableRow, ...]

    @property
    def sentences(self) -> tuple[str, ...]:
        """The Markdown under the figures, in order."""
        return (self.unit_field.text, self.recurrence.text) + ((self.effective_text,) if self.effective_text else ())


def field_view(settings: FieldSettings, rows: Sequence[LayerField], picture: images.PreparedImage,
               effective: EffectiveField | None = None, untrained: bool = False) -> FieldResult:
    """The Field tab for one unit.

    Args:
        settings: the layer (one of layer_menu's) and the unit (moved onto the grid if off it).
        rows: cnnviz.receptive.receptive_fields of the network, in forward order.
        picture: prepare's images.PreparedImage: the network's input.
        effective: the unit's effective_field.EffectiveField, or None when not computed.
        untrained: whether the network's weights are random, which the effective field's sentence says.

    Returns:
        The result; the effective field is shown only when asked for, computed and available.
    """
    pixels = images.to_array(picture.image)
    image_size = pixels.shape[:2]
    chosen = chosen_layer(rows, settings.layer)
    row, unit = chosen.row, clamp_unit(settings.unit, chosen.grid)
    box = row.box(*unit)
    shown = effective if settings.effective and chosen.has_effective else None
    effective_text = "" if shown is None else effective_field_text(
        shown.mass_pixels(EFFECTIVE_SHARE), box, image_size, untrained)
    stages = tuple(
        (f"{stage.name}: {stage.text(stage.size)} px", stage.box(*_centre(stage)))
        for stage in stage_ends(_clickable(rows))
    )
    chart = SizeChart(
        tuple(r.name for r in rows), tuple(max(r.size) for r in rows), tuple(max(r.stride) for r in rows),
        tuple(r.whole_input for r in rows), input_size=max(image_size), highlight=row.name,
    )
    table = tuple(
        FieldTableRow(r.name, r.kind, " × ".join(str(v) for v in r.output_shape),
                      "whole input" if r.whole_input else r.text(r.size), r.text(r.stride),
                      "" if r.whole_input else r.text(r.padding))
        for r in rows
    )
    title = f"{row.name}, unit ({unit[0]}, {unit[1]}): field {row.text(row.size)} px"
    return FieldResult(chosen, unit, box, title, pixels, unit_field(row, unit, image_size), recurrence_step(row),
                       effective_text, None if shown is None else shown.gradient, stages, chart, table)


# --- Small kernels, stacked ---------------------------------------------------------------------

# Three stacked 3x3 convs against one 7x7, C channels in and out: weights per C².
STACKED_WEIGHTS_PER_C2 = 3 * 3 * 3
SINGLE_WEIGHTS_PER_C2 = 7 * 7
SMALL_KERNELS_TEXT = (
    "Three stacked 3×3 convolutions see a 7×7 patch, exactly like one 7×7 convolution, but with "
    f"{STACKED_WEIGHTS_PER_C2} C² weights instead of {SINGLE_WEIGHTS_PER_C2} C² (C channels in and out), and three "
    "non-linearities instead of one. That is why VGG and ResNet use 3×3 kernels. Dilation spaces a kernel's taps, "
    f"so the same {STACKED_WEIGHTS_PER_C2} C² weights reach much further."
)
LESSON_CHANNELS_RANGE = stack_builder.LESSON_CHANNELS_RANGE  # the Channels C input's limits
LESSON_CHANNELS_DEFAULT, LESSON_CHANNELS_STEP = 64, 16
LESSON_CHANNELS_INPUT = (*LESSON_CHANNELS_RANGE, LESSON_CHANNELS_DEFAULT)  # the input's (lowest, highest, default)
LESSON_INPUT_SIZE = 32  # px: the three stacks' input


@dataclass(frozen=True)
class SmallKernelsSettings:
    """The small-kernels lesson's C (rf_lesson_channels)."""

    lesson_channels: int = LESSON_CHANNELS_DEFAULT


@dataclass(frozen=True)
class StackRow:
    """One stack of the small-kernels table, as shown."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("Stack", "Layers", "Field after each layer (px)", "Weights",
                                          "Non-linearities")
    stack: str
    layers: str
    field_sizes: str
    weights: str
    nonlinearities: int


@dataclass(frozen=True)
class SmallKernelsResult:
    """The lesson's chart data (stack_builder.stacked_versus_single's) and its table."""

    stacks: Mapping[str, Mapping[str, Any]]
    table: tuple[StackRow, ...]


def small_kernels(settings: SmallKernelsSettings) -> SmallKernelsResult:
    """Three 3x3 convs, one 7x7 and three dilated 3x3 with C channels; raises ReceptiveFieldError
    for a C out of LESSON_CHANNELS_RANGE, with a sentence."""
    stacks = stack_builder.stacked_versus_single(channels=settings.lesson_channels, input_size=LESSON_INPUT_SIZE)
    table = tuple(
        StackRow(name, " → ".join(layer.describe() for layer in stack["layers"]),
                 " → ".join(str(size) for size in stack["fields"]), f"{stack['weights']:,}", stack["nonlinearities"])
        for name, stack in stacks.items()
    )
    return SmallKernelsResult(stacks, table)


# --- Build a stack ------------------------------------------------------------------------------

BUILDER_INTRO = (
    "Stack convolution and pooling layers and watch the shapes, the parameters and the receptive "
    "field change. Each conv is followed by a ReLU. Edit any cell, add rows at the bottom."
)
PRESETS = {
    "VGG-like: conv, conv, pool, twice": (
        StackLayer("conv", 3, 1, 1, 1, 16), StackLayer("conv", 3, 1, 1, 1, 16), StackLayer("max pool", 2, 2, 0),
        StackLayer("conv", 3, 1, 1, 1, 32), StackLayer("conv", 3, 1, 1, 1, 32), StackLayer("max pool", 2, 2, 0),
    ),
    "Dilated: 3x3 convs with dilation 1, 2, 4, 8": tuple(StackLayer("conv", 3, 1, d, d, 16) for d in (1, 2, 4, 8)),
    "Too many poolings (invalid on 32 x 32)": (
        StackLayer("conv", 5, 1, 0, 1, 8), StackLayer("max pool", 2, 2, 0), StackLayer("conv", 5, 1, 0, 1, 16),
        StackLayer("max pool", 2, 2, 0), StackLayer("conv", 5, 1, 0, 1, 32), StackLayer("max pool", 2, 2, 0),
    ),
}
EDITS_UNREADABLE = "The table's edits could not be read, so it starts again from the preset."
INPUT_SIZE_RANGE, INPUT_SIZE_DEFAULT = stack_builder.INPUT_SIZE_RANGE, 32  # px, the square input's side
INPUT_SIZE_INPUT = (*INPUT_SIZE_RANGE, INPUT_SIZE_DEFAULT)  # the Input size input's (lowest, highest, default)
INPUT_CHANNELS = stack_builder.INPUT_CHANNELS  # the Input channels menu, colour first
STACK_KINDS = stack_builder.STACK_KINDS  # the Kind column's options
SETTING_RANGES = stack_builder.SETTING_RANGES  # the number columns' limits (the server checks them again)
EDITOR_LABELS = {  # the table's column titles, per StackLayer field
    "kind": "Kind", "kernel": "Kernel", "stride": "Stride", "padding": "Padding",
    "dilation": "Dilation (conv)", "channels": "Channels (conv)", "ceil_mode": "Round up (pool)",
}


@dataclass(frozen=True)
class BuilderSettings:
    """The builder's preset and input image (rf_builder_preset, rf_builder_size, rf_builder_channels)."""

    builder_preset: str = next(iter(PRESETS))
    builder_size: int = INPUT_SIZE_DEFAULT
    builder_channels: int = INPUT_CHANNELS[0]


def preset_records(preset: str) -> list[dict[str, Any]]:
    """The preset's layers as the table's rows, one dict of StackLayer's fields per layer."""
    return [{column: getattr(layer, column) for column in stack_builder.STACK_COLUMNS} for layer in PRESETS[preset]]


@dataclass(frozen=True)
class BuilderRow:
    """One layer of the builder's table, as shown."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("#", "Layer", "Output (C × H × W)", "Parameters", "Field (px)",
                                          "Stride (px)", "Padding (px)")
    number: int
    layer: str
    output: str
    parameters: str
    field: str
    stride: str
    padding: str


@dataclass(frozen=True)
class BuilderResult:
    """The builder's stack, its table, its closing sentence and its field chart."""

    layers: tuple[StackLayer, ...]
    report: StackReport
    table: tuple[BuilderRow, ...]
    totals: str
    chart: SizeChart


def builder(settings: BuilderSettings, edited: Sequence[Mapping[str, Any]],
            report_stack: Callable[[list[StackLayer], int, int], StackReport] = stack_builder.report_stack,
            ) -> BuilderResult:
    """The stack the student typed, counted and followed layer by layer.

    Args:
        settings: the input image's size and channels (as the client sent them: checked here).
        edited: the table's rows as the client sent them (checked here).
        report_stack: stack_builder.report_stack, or a cached call of it.

    Returns:
        The result.

    Raises:
        ReceptiveFieldError: the first row, setting or input that cannot be, in a sentence.
    """
    layers = stack_builder.stack_from_records(edited)
    in_channels, size = stack_builder.check_input(settings.builder_channels, settings.builder_size)
    report = report_stack(layers, in_channels, size)
    table = tuple(
        BuilderRow(number, layer.describe(), " × ".join(str(v) for v in field.output_shape), f"{parameters:,}",
                   field.text(field.size), field.text(field.stride), field.text(field.padding))
        for number, (layer, field, parameters) in enumerate(zip(layers, report.fields, report.parameters), start=1)
    )
    chart = SizeChart(
        tuple(f"{n}. {layer.kind} {layer.kernel}x{layer.kernel}" for n, layer in enumerate(layers, start=1)),
        tuple(max(f.size) for f in report.fields), tuple(max(f.stride) for f in report.fields),
        (False,) * len(report.fields), input_size=size,
    )
    totals = builder_totals_text(report.total_parameters, report.total_mult_adds, report.fields[-1], size)
    return BuilderResult(tuple(layers), report, table, totals, chart)


# --- Count the networks -------------------------------------------------------------------------

COUNT_CONVENTIONS = (
    "Multiply-adds: conv C_out·(C_in/groups)·Kh·Kw·H_out·W_out, linear in·out, batch norm one per value, "
    "pooling and ReLU none. Activation memory counts each layer's output once (ReLU and dropout can work in "
    "place). Size: parameters and buffers, MB = 2^20 bytes."
)
MB = 2**20


@dataclass(frozen=True)
class CountSettings:
    """The network the Count tab counts (rf_count_network): a registry name."""

    count_network: str = DEFAULT_NETWORK

    @property
    def ref(self) -> ModelRef:
        return ModelRef.zoo(self.count_network)


@dataclass(frozen=True)
class Metric:
    """One number above the table: its label, its value as shown, and its tooltip."""

    label: str
    value: str
    help: str | None = None


@dataclass(frozen=True)
class NetworkSummary:
    """One zoo network's counts at its own input size; the field names are comparison_chart's keys.

    Attributes:
        name: the network's title. input: its input shape, "3 x 224 x 224".
        parameters, mult_adds: counts for one image.
        activation_mb: fp32 activation memory for one image, in MB of 2^20 bytes.
        size_mb: parameters and buffers, in MB.
        final_field: the last finite field's larger side, in px (0 when no layer has one).
    """

    name: str
    input: str
    parameters: int
    mult_adds: int
    activation_mb: float
    size_mb: float
    final_field: int


def network_summary(title: str, table: ArchitectureTable, rows: Sequence[LayerField]) -> NetworkSummary:
    """A network's summary from its architecture.ArchitectureTable and its receptive-field rows."""
    finite = _clickable(rows)
    return NetworkSummary(
        name=title, input=" x ".join(str(v) for v in table.input_shape), parameters=table.total_parameters,
        mult_adds=table.total_mult_adds, activation_mb=table.total_activation_bytes / MB, size_mb=table.model_size_mb,
        final_field=max(finite[-1].size) if finite else 0,
    )


@dataclass(frozen=True)
class ComparisonRow:
    """One network of the side-by-side table, as shown."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("Network", "Input", "Parameters", "Multiply-adds", "Activation memory",
                                          "Model size", "Final receptive field")
    network: str
    input: str
    parameters: str
    mult_adds: str
    activation_memory: str
    model_size: str
    final_field: str


@dataclass(frozen=True)
class CountResult:
    """Everything the Count tab shows.

    Attributes:
        metrics: the four numbers above the table.
        captions: the input and the counting conventions, then (if any) the parameters the forward
            pass does not use.
        layers: the per-layer table (architecture.ArchitectureTable.records()).
        comparison: one row per zoo network.
        chart: the summaries as comparison_chart's mappings.
    """

    metrics: tuple[Metric, ...]
    captions: tuple[str, ...]
    layers: list[dict[str, Any]]
    comparison: tuple[ComparisonRow, ...]
    chart: tuple[dict[str, Any], ...]


def count(table: ArchitectureTable, summaries: Sequence[NetworkSummary]) -> CountResult:
    """The Count tab for one network's architecture.ArchitectureTable and every zoo network's summary."""
    metrics = (
        Metric("Parameters", f"{table.total_parameters:,}"),
        Metric("Model size", f"{table.model_size_mb:.2f} MB"),
        Metric("Multiply-adds", f"{table.total_mult_adds / 1e9:.2f} G"),
        Metric("Activations (one image)", f"{table.activation_values / 1e6:.2f} M values",
               f"{table.total_activation_bytes / MB:.1f} MB in fp32; roughly double that to train."),
    )
    caption = f"For one {' × '.join(str(v) for v in table.input_shape)} image. {COUNT_CONVENTIONS}"
    unused = (f"{table.unused_parameters:,} parameters belong to parts this forward pass does not use."
              if table.unused_parameters else "")
    comparison = tuple(
        ComparisonRow(s.name, s.input, f"{s.parameters:,}", f"{s.mult_adds / 1e9:.2f} G", f"{s.activation_mb:.1f} MB",
                      f"{s.size_mb:.2f} MB", f"{s.final_field} px")
        for s in summaries
    )
    captions = (caption, unused) if unused else (caption,)
    return CountResult(metrics, captions, table.records(), comparison, tuple(asdict(s) for s in summaries))
