"""How the tabs hand their tables and field-size charts to the page: table rows as dicts for a
table widget (records), and the chart's data per layer (SizeChart)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any


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
