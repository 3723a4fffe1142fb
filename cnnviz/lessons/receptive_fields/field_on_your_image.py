"""The "Field on your image" tab: the Network and Layer menus, the chosen layer's grid of units, and
everything the tab shows of one unit (its box on the picture, its sentences, the effective field,
the growth figure, the field-size chart and the field table)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from cnnviz import images
from cnnviz.lessons.receptive_fields.display import SizeChart
from cnnviz.lessons.receptive_fields.recurrence import (
    EFFECTIVE_SHARE,
    RecurrenceStep,
    UnitField,
    _clickable,
    effective_field_text,
    recurrence_step,
    unit_field,
)
from cnnviz.model_ref import ModelRef
from cnnviz.models import list_models, model_spec
from cnnviz.receptive import LayerField

if TYPE_CHECKING:
    from cnnviz.effective_field import EffectiveField

DEFAULT_NETWORK = "resnet18"  # the registry name both Network menus start on
SOURCES = ("Bundled photo", "Upload a photo")
UPLOAD_WAITING = "Upload a photo to draw fields on it."
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
