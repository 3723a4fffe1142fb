"""The field arithmetic: one axis's size, jump and start carried through a layer, the union where
paths meet, and the per-layer row the pages show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ReceptiveFieldError(ValueError):
    """A network or a layer stack whose receptive fields cannot be computed, said in a sentence."""


@dataclass(frozen=True)
class AxisField:
    """The field along one spatial axis: size, jump (effective stride) and start (= -padding)."""

    size: int
    jump: int
    start: int

    def through(self, kernel: int, stride: int, padding: int, dilation: int = 1) -> "AxisField":
        """The field after a sliding-window layer (convolution or pooling) on this axis."""
        kernel_span = dilation * (kernel - 1) + 1
        return AxisField(
            size=self.size + (kernel_span - 1) * self.jump,
            jump=self.jump * stride,
            start=self.start - padding * self.jump,
        )

    def union(self, other: "AxisField") -> "AxisField":
        """The smallest field that holds both (where two paths meet)."""
        start = min(self.start, other.start)
        end = max(self.start + self.size, other.start + other.size)
        # Paths that meet have equal output shapes, so their jumps agree in every real network.
        return AxisField(size=end - start, jump=max(self.jump, other.jump), start=start)


@dataclass(frozen=True)
class _NodeField:
    """What flows along one edge of the graph: the field per axis, and whether it is spatial."""

    rows: AxisField
    cols: AxisField
    whole_input: bool = False  # the tensor mixes every input pixel (global pool, linear layer)
    spatial: bool = True  # False once flattened: a later linear layer mixes everything

    def union(self, other: "_NodeField") -> "_NodeField":
        return _NodeField(
            self.rows.union(other.rows),
            self.cols.union(other.cols),
            self.whole_input or other.whole_input,
            self.spatial and other.spatial,
        )


@dataclass(frozen=True)
class LayerField:
    """The receptive field of one layer's units.

    Attributes:
        name: module path (e.g. ``"features.28"``), or ``"layer1.0 (add)"`` for a merge inside a block.
        kind: "conv", "max pool", "avg pool", "adaptive pool", "pad", "linear", "add", "concat".
        output_shape: (C, H, W) of the layer's output for one image, or (F,) after flattening.
        size: (rows, cols) receptive field size in input pixels.
        stride: (rows, cols) effective stride (jump) in input pixels.
        padding: (rows, cols) effective padding: unit (i, j) sees input rows
            ``-padding[0] + i*stride[0] ... -padding[0] + i*stride[0] + size[0] - 1``.
        whole_input: True where every unit sees the whole input (global pooling, linear layers);
            size then holds the input size.
        module: the module whose forward output is this tensor (for hooks), or None.
        settings: the layer's kernel/stride/padding/dilation/ceil_mode as (rows, cols) pairs, for display.
    """

    name: str
    kind: str
    output_shape: tuple[int, ...]
    size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    whole_input: bool = False
    module: str | None = None
    settings: tuple[tuple[str, Any], ...] = ()

    @property
    def spatial(self) -> bool:
        """True when the output is a (C, H, W) grid of units that a page can click."""
        return len(self.output_shape) == 3

    @property
    def square(self) -> bool:
        return self.size[0] == self.size[1] and self.stride[0] == self.stride[1] and self.padding[0] == self.padding[1]

    def box(self, row: int, col: int) -> tuple[int, int, int, int]:
        """Input pixels seen by unit (row, col): (top, left, bottom, right), inclusive.

        May reach outside the image (negative, or past its size): that part is padding.
        """
        if self.whole_input:
            return (0, 0, self.size[0] - 1, self.size[1] - 1)
        top = -self.padding[0] + row * self.stride[0]
        left = -self.padding[1] + col * self.stride[1]
        return (top, left, top + self.size[0] - 1, left + self.size[1] - 1)

    def text(self, values: tuple[int, int]) -> str:
        """"212" when rows and columns agree, "7 x 11" (rows x cols) when they differ."""
        return str(values[0]) if values[0] == values[1] else f"{values[0]} x {values[1]}"


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        return (int(value[0]), int(value[-1])) if len(value) else (0, 0)
    return (int(value), int(value))


def _conv_padding(module_or_kwargs: Any, kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    """Left/top padding, also for the string settings 'valid' and 'same' (torch pads 'same' extra at the end)."""
    padding = module_or_kwargs
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))  # type: ignore[return-value]
    return _pair(padding)


def _window_layer(field: _NodeField, kernel, stride, padding, dilation=(1, 1)) -> _NodeField:
    if field.whole_input:
        return field
    return _NodeField(
        field.rows.through(kernel[0], stride[0], padding[0], dilation[0]),
        field.cols.through(kernel[1], stride[1], padding[1], dilation[1]),
    )


def _whole(field: _NodeField) -> _NodeField:
    return _NodeField(field.rows, field.cols, whole_input=True, spatial=False)
