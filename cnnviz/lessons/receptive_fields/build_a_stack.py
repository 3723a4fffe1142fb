"""The "Build a stack" tab: the presets, the table editor's columns and limits, and the stack the
student typed, counted layer by layer with its field, its fc layers' parameters worked out, its place
in the CNN pattern (cnnviz.cnn_pattern), its diagram, and its closing sentence."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from cnnviz import cnn_pattern, stack_builder
from cnnviz.lessons.receptive_fields.display import SizeChart
from cnnviz.receptive import LayerField
from cnnviz.stack_builder import StackLayer, StackReport

BUILDER_INTRO = (
    "Stack convolution, pooling and fully connected (fc) layers and watch the shapes, the parameters "
    "and the receptive field change, from the input image to the class scores. Each conv, and each fc "
    "but the last, is followed by a ReLU; an fc's channels are its units, and the first fc flattens "
    "its input into a vector. Edit any cell, add rows at the bottom."
)
PRESETS = {
    "VGG-like: conv, conv, pool, twice, then fc": (
        StackLayer("conv", 3, 1, 1, 1, 16), StackLayer("conv", 3, 1, 1, 1, 16), StackLayer("max pool", 2, 2, 0),
        StackLayer("conv", 3, 1, 1, 1, 32), StackLayer("conv", 3, 1, 1, 1, 32), StackLayer("max pool", 2, 2, 0),
        StackLayer("fc", channels=64), StackLayer("fc", channels=10),
    ),
    "LeNet-5: conv, pool, twice, then three fc": (
        StackLayer("conv", 5, 1, 0, 1, 6), StackLayer("max pool", 2, 2, 0), StackLayer("conv", 5, 1, 0, 1, 16),
        StackLayer("max pool", 2, 2, 0), StackLayer("fc", channels=120), StackLayer("fc", channels=84),
        StackLayer("fc", channels=10),
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
    "dilation": "Dilation (conv)", "channels": "Channels / units", "ceil_mode": "Round up (pool)",
}
CHANNELS_HELP = "A conv's output channels; an fc's units (output features). Pooling keeps the channels."


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
class PatternView:
    """The CNN pattern stated, and the stack's place in it.

    Attributes:
        general: the pattern in letters; letters_meaning: what N, M and K count.
        instance: the stack's own instance (None when it leaves the pattern before its end).
        letters: its N, M and K in numbers (None with instance).
        problem: where it leaves the pattern, or what it lacks (None when it fits).
        brackets: (first box, last box, part) per part of the pattern, for the stack's diagram
            (its box 0 is the input, box n the stack's layer n); none when the stack leaves it.
    """

    general: str
    letters_meaning: str
    instance: str | None
    letters: str | None
    problem: str | None
    brackets: tuple[tuple[int, int, str], ...] = ()


@dataclass(frozen=True)
class BuilderResult:
    """The builder's stack, its table, its fc layers' parameters worked out, its closing sentence,
    its field chart, its place in the CNN pattern and (report.diagram) its diagram."""

    layers: tuple[StackLayer, ...]
    report: StackReport
    table: tuple[BuilderRow, ...]
    fc_notes: tuple[str, ...]
    totals: str
    chart: SizeChart
    pattern: PatternView


def builder_totals_text(total_parameters: int, total_mult_adds: int, last: LayerField, input_size: int) -> str:
    """The builder's closing sentence: its totals and what the last layer's units see (for an fc,
    the class scores it gives, each from the whole input).

    Args:
        total_parameters, total_mult_adds: for the whole stack and one image.
        last: the field of the stack's last layer.
        input_size: side of the square input in pixels.

    Returns:
        The sentence (Markdown).
    """
    counts = f"Total: **{total_parameters:,} parameters**, {total_mult_adds:,} multiply-adds; "
    if last.whole_input:
        return counts + (f"the last layer gives **{last.output_shape[0]:,} class scores** (logits), each computed "
                         f"from the whole {input_size} px input.")
    return counts + f"the last layer's units each see **{last.text(last.size)} px** of the {input_size} px input."


def fc_note(number: int, layer: StackLayer, inputs: tuple[int, ...], parameters: int, last: bool) -> str:
    """One fc layer's parameters in its numbers: its inputs (flattened: C × H × W) times its units,
    plus a bias per unit; the last one's outputs are the class scores.

    Args:
        number: its row. inputs: the shape it reads, (C, H, W) or (features,). parameters: as counted.
        last: it is the stack's last layer.
    """
    features = 1
    for value in inputs:
        features *= value
    read = f"{' × '.join(f'{v:,}' for v in inputs)} = {features:,} inputs" if len(inputs) > 1 else f"{features:,} inputs"
    note = (f"Layer {number} ({layer.describe()}): {read}, so {features:,} × {layer.channels:,} + "
            f"{layer.channels:,} = **{parameters:,} parameters**")
    return note + (f"; its {layer.channels:,} outputs are the class scores (logits)." if last else ".")


def pattern_view(layers: Sequence[StackLayer]) -> PatternView:
    """The stack read against INPUT → [[CONV → RELU] × N → POOL?] × M → [FC → RELU] × K → FC; a stack
    that fits so far but has no fc yet is shown as far as it goes."""
    fit = cnn_pattern.fit_pattern([layer.kind for layer in layers])
    shown = fit.fits or (not fit.ends_in_fc and fit.problem == cnn_pattern.NO_FC)
    brackets = tuple((first + 1, last + 1, part) for first, last, part in fit.spans) if shown else ()
    return PatternView(cnn_pattern.PATTERN, cnn_pattern.PATTERN_LETTERS, fit.formula() if shown else None,
                       fit.letters() if shown else None, fit.problem, brackets)


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
    rows, notes, inputs = [], [], (in_channels, size, size)
    for number, (layer, field, parameters) in enumerate(zip(layers, report.fields, report.parameters), start=1):
        whole = field.whole_input  # an fc: each unit reads the whole input; stride and padding mean nothing
        # "whole", not "whole input": the longer was cut in this column at 1280 px in presentation mode.
        rows.append(BuilderRow(number, layer.describe(), " × ".join(f"{v:,}" for v in field.output_shape),
                               f"{parameters:,}", "whole" if whole else field.text(field.size),
                               "" if whole else field.text(field.stride), "" if whole else field.text(field.padding)))
        if layer.kind == "fc":
            notes.append(fc_note(number, layer, inputs, parameters, number == len(layers)))
        inputs = field.output_shape
    chart = SizeChart(
        tuple(f"{n}. fc {layer.channels}" if layer.kind == "fc" else f"{n}. {layer.kind} {layer.kernel}x{layer.kernel}"
              for n, layer in enumerate(layers, start=1)),
        tuple(max(f.size) for f in report.fields), tuple(max(f.stride) for f in report.fields),
        tuple(f.whole_input for f in report.fields), input_size=size,
    )
    totals = builder_totals_text(report.total_parameters, report.total_mult_adds, report.fields[-1], size)
    return BuilderResult(tuple(layers), report, tuple(rows), tuple(notes), totals, chart, pattern_view(layers))
