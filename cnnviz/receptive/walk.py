"""Walking the graph in forward order: one row per layer that changes the field, merged where
paths meet, each attached to the block it belongs to."""

from __future__ import annotations

from typing import Any, Sequence

from cnnviz.receptive.fields import AxisField, LayerField, ReceptiveFieldError, _NodeField, _whole
from cnnviz.receptive.node_steps import _FLATTENING, _MERGE_NAMES, _function_step, _module_step, _op_name
from cnnviz.receptive.tracing import _input_shape, _traced_with_shapes


def _enclosing(node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path = list(stack.values())[-1]
    return path[0] if isinstance(path, tuple) else str(path)


def receptive_fields(model, input_size: Sequence[int] | None = None) -> list[LayerField]:
    """One row per layer that changes the field, in forward order, for one input size.

    Args:
        model: any nn.Module whose forward pass ``torch.fx`` can trace (all cnnviz and torchvision
            classifiers). It is not modified, run or hooked.
        input_size: (H, W) or (C, H, W); defaults to ``model.input_shape``.

    Returns:
        LayerField rows for convolutions, poolings, paddings, linear layers and merges (residual
        adds, concatenations). Geometry-neutral layers (ReLU, batch norm, dropout) add no row.

    Raises:
        ReceptiveFieldError: the network cannot be traced, or cannot take this input size.

    Example:
        >>> rows = receptive_fields(torchvision.models.vgg16().features, (3, 224, 224))
        >>> rows[-1].size, rows[-1].stride, rows[-1].padding
        ((212, 212), (32, 32), (90, 90))
    """
    return _walk(model, input_size)[0]


def module_fields(model, input_size: Sequence[int] | None = None) -> dict[str, LayerField]:
    """The field of every module's output, named as cnnviz.activations names the leaf outputs.

    receptive_fields keeps only the layers that change the field; a ReLU, a batch norm or the
    normalize step has the field of the tensor it was given, and a module called twice
    (a ResNet block's ReLU, after the residual add the second time) has one field per call:
    "layer1.0.relu (call 2)". A module that fx traces through (cnnviz's Normalize) has the field
    of the last operation inside it.

    Args and Raises: as receptive_fields.
    """
    return _walk(model, input_size)[1]


def _walk(model, input_size) -> tuple[list[LayerField], dict[str, LayerField]]:
    """receptive_fields' rows, and module_fields' field of every module output."""
    if input_size is None:
        input_size = getattr(model, "input_shape", None)
        if input_size is None:
            raise ReceptiveFieldError("Say which input size to use, e.g. (3, 224, 224).")
    input_shape = _input_shape(model, input_size)
    graph_module, shapes = _traced_with_shapes(model, input_shape)
    modules = dict(graph_module.named_modules())

    fields: dict[str, _NodeField] = {}
    rows: list[tuple[Any, LayerField]] = []
    outputs: list[tuple[Any, _NodeField, Any, str | None]] = []  # every node's field, for module_fields
    image = _NodeField(AxisField(1, 1, 0), AxisField(1, 1, 0))
    for node in graph_module.graph.nodes:
        if node.op == "placeholder":
            if not fields:  # the image; any further inputs (flags, masks) carry no pixels
                fields[node.name] = image
            continue
        if node.op in ("get_attr", "output"):
            continue
        inputs = [fields[a.name] for a in node.all_input_nodes if a.name in fields]
        if not inputs or node.name not in shapes:
            continue  # a constant, or a size read off a tensor (x.size(0)): no pixels flow here
        first_input = next(a for a in node.all_input_nodes if a.name in fields)
        in_shape, out_shape = shapes.get(first_input.name, ()), shapes[node.name]
        step = None
        if node.op == "call_module":
            step = _module_step(modules[node.target], inputs[0], in_shape, out_shape)
            name = node.target
            module = node.target
        elif node.op in ("call_function", "call_method"):
            kwargs = _normalized_kwargs(node, shapes)
            if len(inputs) == 1:
                step = _function_step(node, kwargs, inputs[0], in_shape, out_shape)
            enclosing = _enclosing(node)
            op = _op_name(node)
            name = f"{enclosing} ({op})" if enclosing else op
            module = None
        if step is not None:
            field, kind, settings = step
        else:
            field = inputs[0]
            for other in inputs[1:]:
                field = field.union(other)
            kind, settings = None, ()
            op = _op_name(node)
            if len(inputs) > 1:
                kind = _MERGE_NAMES.get(op.strip("_"), "merge")
                if kind == "concat" and _concat_dim(node, out_shape) in (-1, -2, 2, 3) and len(out_shape) == 4:
                    raise ReceptiveFieldError(
                        f"{name}: joining feature maps side by side (along height or width) has no single receptive field."
                    )
            elif len(out_shape) < len(in_shape) and field.spatial:
                if op in _FLATTENING:  # the grid is gone, each value still sees its own field
                    field = _NodeField(field.rows, field.cols, field.whole_input, spatial=False)
                else:  # x.mean((2, 3)) and the like: a global pool
                    field, kind = _whole(field), "global pool"
            elif len(out_shape) == 4 and len(in_shape) == 4 and out_shape[-2:] != in_shape[-2:]:
                raise ReceptiveFieldError(
                    f"{name}: cnnviz does not know how '{op}' changes the field, so it cannot follow this network."
                )
        fields[node.name] = field
        outputs.append((node, field, out_shape, kind))
        if kind is not None:
            rows.append((node, _row(name, kind, out_shape, field, input_shape, module, settings)))

    return _attach_block_modules(rows, graph_module, fields), _module_outputs(outputs, input_shape)


def _module_outputs(outputs, input_shape) -> dict[str, LayerField]:
    """Each module call's output field, labelled "name" or "name (call N)" like activations' hooks."""
    called = {node.target for node, _, _, _ in outputs if node.op == "call_module"}
    calls: dict[str, int] = {}
    result: dict[str, LayerField] = {}
    for node, field, out_shape, kind in outputs:
        if node.op == "call_module":
            calls[node.target] = calls.get(node.target, 0) + 1
            label = node.target if calls[node.target] == 1 else f"{node.target} (call {calls[node.target]})"
        elif (label := _enclosing(node)) in called or not label:
            continue  # inside a module hooked as a whole (its own node says its field), or at the top
        # A traced-through module's label is overwritten node by node: its last operation's field stays.
        result[label] = _row(label, kind or "pointwise", out_shape, field, input_shape, label, ())
    return result


def _concat_dim(node, out_shape) -> int:
    dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
    return int(dim) if isinstance(dim, int) else 0


# Positional parameters of the functional layers we follow, as torch.nn.functional names them.
_SIGNATURES = {
    "conv2d": ("input", "weight", "bias", "stride", "padding", "dilation", "groups"),
    "max_pool2d": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    "avg_pool2d": ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
    "adaptive_avg_pool2d": ("input", "output_size"),
    "adaptive_max_pool2d": ("input", "output_size", "return_indices"),
    "pad": ("input", "pad", "mode", "value"),
}
_SIGNATURES["max_pool2d_with_indices"] = _SIGNATURES["_max_pool2d"] = _SIGNATURES["max_pool2d"]
_SIGNATURES["adaptive_max_pool2d_with_indices"] = _SIGNATURES["adaptive_max_pool2d"]


def _normalized_kwargs(node, shapes) -> dict:
    """Arguments of a functional call by their names (F.max_pool2d(x, 3, 2) -> kernel_size=3, stride=2)."""
    names = _SIGNATURES.get(_op_name(node), ())
    kwargs = dict(zip(names, node.args))
    kwargs.update(node.kwargs)
    if _op_name(node) == "conv2d" and len(node.all_input_nodes) > 1:
        kwargs["_weight_shape"] = shapes.get(node.all_input_nodes[1].name)
    return kwargs


def _row(name, kind, out_shape, field: _NodeField, input_shape, module, settings) -> LayerField:
    shape = tuple(int(v) for v in out_shape[1:])
    if field.whole_input:
        size, stride, padding = tuple(input_shape[1:]), (field.rows.jump, field.cols.jump), (0, 0)
    else:
        size = (field.rows.size, field.cols.size)
        stride = (field.rows.jump, field.cols.jump)
        padding = (-field.rows.start, -field.cols.start)
    return LayerField(
        name=name,
        kind=kind,
        output_shape=shape,
        size=size,  # type: ignore[arg-type]
        stride=stride,
        padding=padding,  # type: ignore[arg-type]
        whole_input=field.whole_input,
        module=module,
        settings=settings,
    )


def _attach_block_modules(rows, graph_module, fields) -> list[LayerField]:
    """Give merge rows the block whose output they are, so hooks (the effective field) can find them.

    A residual add inside ``layer1.0`` is followed only by a ReLU, so the output of module
    ``layer1.0`` has the add's field; that is checked, not assumed.
    """
    import dataclasses

    nodes = list(graph_module.graph.nodes)
    last_node: dict[str, Any] = {}
    for node in nodes:
        path = node.target if node.op == "call_module" else _enclosing(node)
        while path:
            last_node[path] = node
            path = path.rpartition(".")[0]
    result = []
    for node, row in rows:
        if row.module is None:
            block = _enclosing(node)
            tail = last_node.get(block)
            if block and tail is not None and fields.get(tail.name) == fields[node.name]:
                row = dataclasses.replace(row, module=block)
        result.append(row)
    return result
