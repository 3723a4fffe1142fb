"""The "Count the networks" tab: one network's parameters, multiply-adds, memory and size, and every
zoo network's counts side by side with its final receptive field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cnnviz.lessons.metric import Metric
from cnnviz.lessons.receptive_fields.field_on_your_image import DEFAULT_NETWORK
from cnnviz.lessons.receptive_fields.recurrence import _clickable
from cnnviz.model_ref import ModelRef
from cnnviz.receptive import LayerField

if TYPE_CHECKING:
    from cnnviz.architecture import ArchitectureTable

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
