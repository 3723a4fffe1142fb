"""The diagrams the page offers: a network by its registry name, or one block of it by its path."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.block_diagram.boxes import BlockDiagram
from cnnviz.block_diagram.tracing import block_diagram, block_input_shape, network_diagram


@dataclass(frozen=True)
class DiagramSource:
    """Where one diagram of the menu comes from.

    Attributes:
        model: registry name (cnnviz.models.registry). block: submodule path, or None for the whole network.
    """

    model: str
    block: str | None = None

    def draw(self, model=None) -> BlockDiagram:
        """The diagram, from ``model`` (default: the registry's structure of ``self.model``); a
        block's input shape comes from the whole network's shape pass."""
        if model is None:
            from cnnviz.models.registry import get_structure

            model = get_structure(self.model)
        if self.block is None:
            return network_diagram(model)
        return block_diagram(model.get_submodule(self.block), block_input_shape(model, self.block))


DIAGRAMS: dict[str, DiagramSource] = {
    "AlexNet": DiagramSource("alexnet"),
    "VGG-16": DiagramSource("vgg16"),
    "NiN": DiagramSource("nin"),
    "GoogLeNet: one Inception block (3a)": DiagramSource("googlenet", "net.inception3a"),
    "ResNet-18: one residual block (with downsample)": DiagramSource("resnet18", "net.layer2.0"),
    # layer2.0, not layer1.0: there the first 1x1 really narrows (256 to 128 channels) and the shortcut strides.
    "ResNet-50: one bottleneck block": DiagramSource("resnet50", "net.layer2.0"),
}
