"""The "Build a stack" tab: the presets, the table editor's columns and limits, and the stack the
student typed, counted layer by layer with its field, and its closing sentence."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from cnnviz import stack_builder
from cnnviz.lessons.receptive_fields.display import SizeChart
from cnnviz.receptive import LayerField
from cnnviz.stack_builder import StackLayer, StackReport

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
