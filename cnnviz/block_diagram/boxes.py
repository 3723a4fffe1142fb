"""A diagram's boxes and arrows, and the questions a caption asks of them (what meets where)."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("input", "conv", "pool", "fc", "merge", "other")


class BlockDiagramError(ValueError):
    """A model that cannot be drawn for this input size, said in a sentence."""


@dataclass(frozen=True)
class Box:
    """One box of a diagram: a layer, with the shape-keeping layers folded into it.

    Attributes:
        id: index in BlockDiagram.boxes (forward order; the input is 0).
        name: what the layer is, e.g. "Conv 3×3, 64, stride 2" or "Concat".
        kind: one of KINDS, for the colour.
        shape: output shape for one image, (C, H, W) or (features,).
        parameters: parameters of the layers in the box (a module called twice counts once).
        layers: module paths (or fx op names) drawn in this box, the named layer first.
        folded: the folded layers' short names, e.g. ("BN", "ReLU").
        kernel, stride: (rows, columns) of a convolution or pooling; None otherwise.
        row: depth, the longest path from the input. column: horizontal position, 1 = one box width and a gap.
    """

    id: int
    name: str
    kind: str
    shape: tuple[int, ...]
    parameters: int
    layers: tuple[str, ...]
    folded: tuple[str, ...] = ()
    kernel: tuple[int, int] | None = None
    stride: tuple[int, int] | None = None
    row: int = 0
    column: float = 0.0

    @property
    def label(self) -> str:
        """The name and what is folded in: "Conv 3×3, 64 + ReLU", "Add (+), then ReLU"."""
        if not self.folded:
            return self.name
        return self.name + (", then " if self.kind == "merge" else " + ") + " + ".join(self.folded)

    @property
    def shape_text(self) -> str:
        """The output shape as read: "64 × 224 × 224", or "1,000" for features."""
        return " × ".join(f"{v:,}" for v in self.shape)


@dataclass(frozen=True)
class Edge:
    """An arrow from one box to another.

    Attributes:
        source, target: box ids.
        path: (column, row) points from the source box to the target box, one per row, through
            empty slots of the rows it skips.
    """

    source: int
    target: int
    path: tuple[tuple[float, int], ...]


@dataclass(frozen=True)
class BlockDiagram:
    """A model as boxes and arrows, laid out in rows.

    Attributes:
        boxes: in forward order; boxes[0] is the input.
        edges: arrows, each from a box to one of a later row.
        input_shape: (C, H, W) of one input image (or feature map, for a block).
        traced: True when fx traced the forward pass; False when leaf-module calls were joined.
    """

    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]
    input_shape: tuple[int, ...]
    traced: bool = True

    @property
    def rows(self) -> int:
        return 1 + max(box.row for box in self.boxes)

    @property
    def total_parameters(self) -> int:
        return sum(box.parameters for box in self.boxes)

    @property
    def output(self) -> Box:
        """The last box: the model's output."""
        return self.boxes[-1]

    def of_kind(self, kind: str) -> tuple[Box, ...]:
        return tuple(box for box in self.boxes if box.kind == kind)

    def incoming(self, box: Box) -> tuple[Box, ...]:
        return tuple(self.boxes[e.source] for e in self.edges if e.target == box.id)

    def outgoing(self, box: Box) -> tuple[Box, ...]:
        return tuple(self.boxes[e.target] for e in self.edges if e.source == box.id)

    def branches(self, merge: Box) -> tuple[tuple[Box, ...], ...]:
        """The paths that meet at ``merge``, one per incoming arrow, each from just after the box
        where they split to just before ``merge``, in forward order; () for a skip that carries
        the input as it is (an identity shortcut)."""
        paths = []
        for start in self.incoming(merge):
            path, box = [], start
            while len(self.outgoing(box)) == 1 and len(self.incoming(box)) == 1:
                path.append(box)
                box = self.incoming(box)[0]
            paths.append(tuple(reversed(path)))
        return tuple(paths)
