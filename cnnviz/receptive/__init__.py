"""Theoretical receptive fields of every layer of a network, plain or branched.

For each layer we track, per spatial axis, three numbers (Araujo et al., "Computing receptive
fields of convolutional neural networks", Distill 2019, https://distill.pub/2019/computing-receptive-fields/):

- size ``r``: how many input pixels one unit can see,
- jump ``j`` (effective stride): how far apart, in input pixels, two neighbouring units look,
- start: the input coordinate of the first pixel that unit 0 sees (minus the effective padding).

A layer with kernel ``k``, stride ``s``, padding ``p`` and dilation ``d`` (k_eff = d(k-1)+1) maps
them as::

    r_out = r_in + (k_eff - 1) * j_in
    j_out = j_in * s
    start_out = start_in - p * j_in

so a unit at index i sees input rows ``start + i*j ... start + i*j + r - 1`` (the convention the
page draws). Where two paths meet (a residual add, an Inception concatenation) the field is the
union of the paths' fields. Adaptive and global pooling, and fully connected layers, see the whole
input.

The graph comes from ``torch.fx.symbolic_trace`` (every torchvision classifier and every cnnviz
model traces), and the tensor shapes from one forward pass on a weightless "meta" copy of the
model, so even ResNet-50 costs a few milliseconds and no memory. torchscan and the
``receptive_field`` package stop at branched networks; following the fx graph is what lets us do
ResNet and GoogLeNet, so this is written here rather than borrowed.

The package is read as one module (cnnviz.receptive.X); each idea lives in its own file:

    fields      one axis's field through a layer, unions, the per-layer row
    node_steps  what one graph node does to the field
    tracing     the fx graph and its shapes
    walk        receptive_fields(): the graph walked in forward order; module_fields(): every module's
"""

from __future__ import annotations

from cnnviz.receptive.fields import AxisField, LayerField, ReceptiveFieldError
from cnnviz.receptive.walk import module_fields, receptive_fields

__all__ = ["AxisField", "LayerField", "ReceptiveFieldError", "module_fields", "receptive_fields"]

# They live in cnnviz.stack_builder, which imports this module; their old names here still work,
# looked up on first use so that neither module needs the other half-imported.
_STACK_BUILDER_NAMES = frozenset({"StackLayer", "STACK_KINDS", "check_stack", "build_stack", "stacked_versus_single"})


def __getattr__(name: str):
    if name in _STACK_BUILDER_NAMES:
        from cnnviz import stack_builder

        return getattr(stack_builder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
