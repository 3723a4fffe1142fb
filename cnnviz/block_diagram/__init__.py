"""Block diagrams of a network, or of one of its blocks, drawn from the model itself.

The boxes and arrows come from the model's own forward pass: ``torch.fx`` traces it (the project's
tracer, cnnviz.receptive.tracing, every module without children kept whole) and the shapes flow
through a weightless "meta" copy, so even GoogLeNet costs milliseconds and no memory. Where fx
cannot follow the forward pass, the calls of its leaf modules are recorded instead and joined by
which call's output each one reads.

Each box is one layer a student names ("Conv 3×3, 64, stride 2", "Max pool 3×3 /2", "FC 4096",
"Concat", "Add (+)"), with its output shape and its parameter count. A layer that keeps the shape
and follows a box on that box's one path (ReLU, batch norm, dropout, flatten) is folded into it
("Conv 3×3, 64 + ReLU"), so VGG-16 is 23 boxes, not 40; branches and merges stay as they are.

The layout is layered, top to bottom: a box's row is the longest path to it from the input, boxes
of one row sit side by side in the order of their branches, and an arrow that skips rows passes
through empty slots of the rows between, so it never crosses a box.

The package is read as one module (cnnviz.block_diagram.X); each idea lives in its own file:

    boxes     Box, Edge, BlockDiagram: what is drawn, and what meets where
    layers    one layer's name in its box, its kind, and the word it adds when folded
    tracing   network_diagram, block_diagram, block_input_shape: a model walked box by box
    layout    layered_layout: rows, columns and the arrows' paths
    menu      DIAGRAMS: the page's diagrams, by registry name and block path
"""

from __future__ import annotations

from cnnviz.block_diagram.boxes import KINDS, BlockDiagram, BlockDiagramError, Box, Edge
from cnnviz.block_diagram.layout import layered_layout
from cnnviz.block_diagram.menu import DIAGRAMS, DiagramSource
from cnnviz.block_diagram.tracing import block_diagram, block_input_shape, network_diagram

__all__ = ["DIAGRAMS", "KINDS", "BlockDiagram", "BlockDiagramError", "Box", "DiagramSource", "Edge", "block_diagram",
           "block_input_shape", "layered_layout", "network_diagram"]
