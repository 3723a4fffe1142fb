"""From a model to its boxes: the fx graph (or the leaf modules' calls) walked in forward order, with
the shape-keeping layers folded into the box before them."""

from __future__ import annotations

from typing import Sequence

from cnnviz.block_diagram.boxes import BlockDiagram, BlockDiagramError, Box, Edge
from cnnviz.block_diagram.layers import Layer, function_layer, module_layer
from cnnviz.block_diagram.layout import layered_layout


class _Drafts:
    """The boxes as they are built, in forward order, with the layers folded into them."""

    def __init__(self, input_shape: tuple[int, ...], fold: bool) -> None:
        self.fold = fold
        self.boxes: list[dict] = [{"name": "Input", "kind": "input", "shape": input_shape, "parameters": 0,
                                   "layers": ["input"], "folded": [], "kernel": None, "stride": None}]
        self.sources: list[list[int]] = [[]]
        self.readers: list[int] = [0]  # how many later layers read each box's last output
        self.counted: set[int] = set()  # modules whose parameters a box already holds

    def parameters(self, module) -> int:
        if module is None or id(module) in self.counted:
            return 0
        self.counted.add(id(module))
        return sum(p.numel() for p in module.parameters())

    def add(self, name: str, layer: Layer, sources: list[int], shape: tuple[int, ...], parameters: int,
            readers: int) -> int:
        """Fold the layer into its one source's box where it can, else open a box; returns its box."""
        source = self.boxes[sources[0]]
        if (self.fold and layer.folds_as is not None and len(sources) == 1 and self.readers[sources[0]] == 1
                and (source["kind"] != "input" or layer.folds_as == "normalise")):
            source["shape"], source["parameters"] = shape, source["parameters"] + parameters
            source["layers"].append(name)
            if layer.folds_as:
                source["folded"].append(layer.folds_as)
            self.readers[sources[0]] = readers
            return sources[0]
        self.boxes.append({"name": layer.name, "kind": layer.kind, "shape": shape, "parameters": parameters,
                           "layers": [name], "folded": [], "kernel": layer.kernel, "stride": layer.stride})
        self.sources.append(sources)
        self.readers.append(readers)
        return len(self.boxes) - 1

    def diagram(self, input_shape: tuple[int, ...], traced: bool) -> BlockDiagram:
        rows, columns, paths = layered_layout(self.sources)
        boxes = tuple(
            Box(i, b["name"], b["kind"], tuple(int(v) for v in b["shape"]), int(b["parameters"]), tuple(b["layers"]),
                tuple(b["folded"]), b["kernel"], b["stride"], rows[i], columns[i])
            for i, b in enumerate(self.boxes)
        )
        edges = tuple(Edge(s, t, path) for (s, t), path in paths.items())
        return BlockDiagram(boxes, edges, input_shape, traced)


def _from_fx(model, input_shape: tuple[int, ...], fold: bool) -> BlockDiagram:
    """The diagram of ``model``'s fx graph; raises receptive.ReceptiveFieldError where fx cannot trace it."""
    from cnnviz.receptive.node_steps import _op_name
    from cnnviz.receptive.tracing import _traced_with_shapes

    graph_module, shapes = _traced_with_shapes(model, input_shape)
    modules = dict(graph_module.named_modules())
    drafts, box_of = _Drafts(input_shape, fold), {}

    def readers(node) -> int:
        return sum(1 for user in node.users if user.name in shapes and user.op != "output")

    for node in graph_module.graph.nodes:
        if node.op == "placeholder" and not box_of:  # the image; further inputs (flags) carry no pixels
            box_of[node.name], drafts.readers[0] = 0, readers(node)
            continue
        sources = list(dict.fromkeys(box_of[a.name] for a in node.all_input_nodes if a.name in box_of))
        if node.op in ("placeholder", "get_attr", "output") or node.name not in shapes or not sources:
            continue  # a constant, or a size read off a tensor (x.size(0)): nothing flows here
        shape = shapes[node.name][1:]
        module = modules[node.target] if node.op == "call_module" else None
        layer = module_layer(module, shape) if module is not None else function_layer(_op_name(node), len(sources), shape)
        name = node.target if module is not None else node.name
        box_of[node.name] = drafts.add(name, layer, sources, shape, drafts.parameters(module), readers(node))
    return drafts.diagram(input_shape, traced=True)


def _from_module_calls(model, input_shape: tuple[int, ...], fold: bool) -> BlockDiagram:
    """The diagram from the calls of ``model``'s leaf modules on a meta copy, each joined to the
    calls whose outputs it reads. For forward passes fx cannot trace (an ``if`` on a tensor's size);
    one that computes between its layers (``torch.cat``, ``+``) cannot be joined and is refused."""
    import torch

    from cnnviz.architecture import _first_tensor, _recording_leaf_calls, shape_only_copy

    twin = shape_only_copy(model).eval()
    image = torch.zeros(1, *input_shape, device="meta")
    try:
        with _recording_leaf_calls(twin) as calls, torch.no_grad():
            twin(image)
    except Exception as err:
        raise BlockDiagramError(f"This model cannot take an input of {' × '.join(map(str, input_shape))}: "
                                f"{_first_line(err)}") from err
    calls = [(name, module, [t for t in inputs if isinstance(t, torch.Tensor)], _first_tensor(output))
             for name, module, inputs, output in calls]
    readers: dict[int, int] = {id(image): 0}
    for _, _, inputs, _ in calls:
        for tensor in inputs:
            readers[id(tensor)] = readers.get(id(tensor), 0) + 1
    drafts, box_of = _Drafts(input_shape, fold), {id(image): 0}
    drafts.readers[0] = readers[id(image)]
    for name, module, inputs, output in calls:
        if output is None or not inputs:
            continue
        if any(id(t) not in box_of for t in inputs):
            raise BlockDiagramError(
                f"cnnviz cannot follow this model's forward pass step by step: {name} reads a tensor computed "
                "outside its layers, so its arrows cannot be drawn."
            )
        shape = tuple(output.shape[1:])
        sources = list(dict.fromkeys(box_of[id(t)] for t in inputs))
        box_of[id(output)] = drafts.add(name, module_layer(module, shape), sources, shape, drafts.parameters(module),
                                        readers.get(id(output), 0))
    return drafts.diagram(input_shape, traced=False)


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__).rstrip(".") + "."


def network_diagram(model, input_shape: Sequence[int] | None = None, *, fold: bool = True) -> BlockDiagram:
    """The block diagram of a whole network (or of any module taking one image-like tensor).

    Args:
        model: an nn.Module; not modified, run or hooked itself (a meta copy is).
        input_shape: (C, H, W) of one input; defaults to ``model.input_shape``.
        fold: fold ReLU, batch norm, dropout and flatten into the box before them.

    Returns:
        The BlockDiagram, traced with fx, or from its leaf modules' calls where fx cannot trace it.

    Raises:
        BlockDiagramError: the model cannot take this input, or its calls cannot be joined.

    Example:
        >>> diagram = network_diagram(get_structure("vgg16"))
        >>> len(diagram.of_kind("conv")), diagram.output.shape
        (13, (1000,))
    """
    from cnnviz.receptive import ReceptiveFieldError

    if input_shape is None:
        input_shape = getattr(model, "input_shape", None)
        if input_shape is None:
            raise BlockDiagramError("Say which input size to draw for, e.g. (3, 224, 224).")
    shape = tuple(int(v) for v in input_shape)
    try:
        return _from_fx(model, shape, fold)
    except ReceptiveFieldError:  # fx cannot trace it, or the shape pass failed: the calls say which
        return _from_module_calls(model, shape, fold)


def block_diagram(block, input_shape: Sequence[int], *, fold: bool = True) -> BlockDiagram:
    """The block diagram of one block (an Inception module, a residual block) for its input's shape.

    Args:
        block: the nn.Module, e.g. ``resnet.layer2[0]``.
        input_shape: (C, H, W) of the feature map it receives (see block_input_shape).
        fold: as in network_diagram; the branches and the merge always stay.
    """
    return network_diagram(block, input_shape, fold=fold)


def block_input_shape(model, path: str, input_shape: Sequence[int] | None = None) -> tuple[int, ...]:
    """The (C, H, W) the submodule ``path`` receives when ``model`` takes one input, from the whole
    network's shape pass: the shape of the first tensor from outside that the block reads."""
    from cnnviz.receptive.tracing import _traced_with_shapes

    model.get_submodule(path)  # AttributeError names a path that is not there
    shape = tuple(int(v) for v in (input_shape if input_shape is not None else model.input_shape))
    graph_module, shapes = _traced_with_shapes(model, shape)
    inside = set()
    for node in graph_module.graph.nodes:
        if path in (node.meta.get("nn_module_stack") or {}):
            outside = [a for a in node.all_input_nodes if a.name not in inside and a.name in shapes]
            if outside:
                return tuple(int(v) for v in shapes[outside[0].name][1:])
            inside.add(node.name)
    raise BlockDiagramError(f"The forward pass never calls {path}.")
