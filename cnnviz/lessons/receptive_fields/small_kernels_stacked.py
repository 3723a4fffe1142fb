"""The "Small kernels, stacked" tab: three 3x3 convolutions against one 7x7 and three dilated 3x3,
with C channels: the tab's text, its C input, and the stacks' chart data and table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from cnnviz import stack_builder

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
