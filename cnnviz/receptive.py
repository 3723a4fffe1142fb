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
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Sequence


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


# --- reading one graph node -------------------------------------------------------------------

_FLATTENING = {"flatten", "view", "reshape", "squeeze", "unsqueeze"}  # keep the field, lose the grid
_MERGE_NAMES = {"add": "add", "iadd": "add", "sub": "subtract", "mul": "multiply", "cat": "concat"}


def _op_name(node) -> str:
    target = node.target
    return target if isinstance(target, str) else getattr(target, "__name__", str(target))


def _sliding_settings(kind: str, kernel, stride, padding, dilation=(1, 1), ceil_mode=False):
    settings = [("kernel", kernel), ("stride", stride), ("padding", padding)]
    if dilation != (1, 1):
        settings.append(("dilation", dilation))
    if ceil_mode:
        settings.append(("ceil_mode", True))
    return kind, tuple(settings)


def _module_step(module, field: _NodeField, in_shape, out_shape):
    """(new field, kind, settings) for a leaf nn.Module, or None when it leaves geometry alone."""
    from torch import nn

    if isinstance(module, nn.Conv2d):
        kernel, stride, dilation = _pair(module.kernel_size), _pair(module.stride), _pair(module.dilation)
        padding = _conv_padding(module.padding, kernel, dilation)
        return (_window_layer(field, kernel, stride, padding, dilation),
                *_sliding_settings("conv", kernel, stride, padding, dilation))
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kernel = _pair(module.kernel_size)
        stride = _pair(module.stride if module.stride not in (None, ()) else module.kernel_size)
        padding = _pair(module.padding)
        dilation = _pair(getattr(module, "dilation", 1))
        kind = "max pool" if isinstance(module, nn.MaxPool2d) else "avg pool"
        return (_window_layer(field, kernel, stride, padding, dilation),
                *_sliding_settings(kind, kernel, stride, padding, dilation, module.ceil_mode))
    if isinstance(module, nn.LPPool2d):
        kernel = _pair(module.kernel_size)
        stride = _pair(module.stride if module.stride is not None else module.kernel_size)
        return (_window_layer(field, kernel, stride, (0, 0)), *_sliding_settings("lp pool", kernel, stride, (0, 0)))
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return (_adaptive(field, in_shape, out_shape), "adaptive pool", (("output_size", tuple(out_shape[-2:])),))
    if isinstance(module, (nn.ZeroPad2d, nn.ConstantPad2d, nn.ReflectionPad2d, nn.ReplicationPad2d, nn.CircularPad2d)):
        left, _, top, _ = module.padding  # torch stores (left, right, top, bottom)
        return (_window_layer(field, (1, 1), (1, 1), (top, left)), "pad", (("padding", tuple(module.padding)),))
    if isinstance(module, nn.Linear):
        return _whole(field), "linear", (("features", (module.in_features, module.out_features)),)
    if isinstance(module, nn.Flatten):
        return _NodeField(field.rows, field.cols, field.whole_input, spatial=False), None, ()
    if isinstance(module, (nn.ConvTranspose2d, nn.Upsample, nn.PixelShuffle, nn.Fold, nn.Unfold)):
        raise ReceptiveFieldError(
            f"cnnviz computes receptive fields for networks that only shrink or keep the image; "
            f"a {type(module).__name__} layer enlarges it."
        )
    return None


def _adaptive(field: _NodeField, in_shape, out_shape) -> _NodeField:
    """Adaptive pooling: exact when the windows are regular, otherwise it sees the whole input."""
    if field.whole_input or len(in_shape) < 4:
        return _whole(field)
    (h_in, w_in), (h_out, w_out) = in_shape[-2:], out_shape[-2:]
    if h_in == h_out and w_in == w_out:
        return field  # e.g. VGG's 7x7 -> 7x7 avgpool at 224x224: no change at all
    if h_out > 1 and w_out > 1 and h_in % h_out == 0 and w_in % w_out == 0:
        kernel = (h_in // h_out, w_in // w_out)
        return _window_layer(field, kernel, kernel, (0, 0))
    # Global pooling, or windows of varying size that no single (size, stride) describes.
    return _whole(field)


def _function_step(node, kwargs: dict, field: _NodeField, in_shape, out_shape):
    """(new field, kind, settings) for a torch.nn.functional sliding-window call, or None."""
    name = _op_name(node)
    if name in ("conv2d",):
        weight_shape = kwargs.get("_weight_shape")
        kernel = tuple(weight_shape[-2:]) if weight_shape else (1, 1)
        stride, dilation = _pair(kwargs.get("stride", 1)), _pair(kwargs.get("dilation", 1))
        padding = _conv_padding(kwargs.get("padding", 0), kernel, dilation)
        return (_window_layer(field, kernel, stride, padding, dilation),
                *_sliding_settings("conv", kernel, stride, padding, dilation))
    if name in ("max_pool2d", "avg_pool2d", "max_pool2d_with_indices", "_max_pool2d"):
        kernel = _pair(kwargs["kernel_size"])
        stride = kwargs.get("stride")
        stride = _pair(stride if stride not in (None, [], ()) else kernel)
        padding, dilation = _pair(kwargs.get("padding", 0)), _pair(kwargs.get("dilation", 1))
        kind = "avg pool" if name.startswith("avg") else "max pool"
        return (_window_layer(field, kernel, stride, padding, dilation),
                *_sliding_settings(kind, kernel, stride, padding, dilation, bool(kwargs.get("ceil_mode", False))))
    if name in ("adaptive_avg_pool2d", "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices"):
        return _adaptive(field, in_shape, out_shape), "adaptive pool", (("output_size", tuple(out_shape[-2:])),)
    if name == "pad":
        pad = list(kwargs.get("pad", ()))
        left, top = (pad + [0, 0, 0, 0])[0], (pad + [0, 0, 0, 0])[2]
        return _window_layer(field, (1, 1), (1, 1), (top, left)), "pad", (("padding", tuple(pad)),)
    if name == "linear":
        return _whole(field), "linear", ()
    return None


# --- walking the graph ------------------------------------------------------------------------


def _input_shape(model, input_size: Sequence[int]) -> tuple[int, int, int]:
    size = tuple(int(v) for v in input_size)
    if len(size) == 3:
        return size  # type: ignore[return-value]
    if len(size) == 2:
        channels = getattr(model, "input_shape", (None,))[0]
        if channels is None:
            from torch import nn

            first_conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
            channels = first_conv.in_channels if first_conv is not None else 3
        return (int(channels), *size)  # type: ignore[return-value]
    raise ReceptiveFieldError(f"An input size is (height, width) or (channels, height, width), not {input_size!r}.")


# torch.fx patches torch.nn.Module.__call__ and __getattr__ for the whole process while it traces,
# and Streamlit serves sessions from threads: one trace at a time (see _trace).
_TRACE_LOCK = threading.Lock()


def _trace(model):
    """The fx graph of ``model``; every module without children is kept whole as one node.

    Custom childless modules (cnnviz's Normalize checks its input's shape with an ``if``) are
    black boxes to fx that way; the walk below accepts them when they keep the image size.
    """
    import torch.fx

    class _ChildlessLeaves(torch.fx.Tracer):
        def __init__(self):
            super().__init__()
            self._thread = threading.get_ident()

        def is_leaf_module(self, module, qualified_name):
            return next(module.children(), None) is None or super().is_leaf_module(module, qualified_name)

        # While it traces, fx routes every torch.nn.Module call and attribute read of the whole
        # process through this tracer: other threads' (other sessions') models pass straight through.
        def call_module(self, module, forward, args, kwargs):
            if threading.get_ident() != self._thread:
                return forward(*args, **kwargs)
            return super().call_module(module, forward, args, kwargs)

        def getattr(self, attr, attr_val, parameter_proxy_cache):
            if threading.get_ident() != self._thread:
                return attr_val
            return super().getattr(attr, attr_val, parameter_proxy_cache)

    try:
        with _TRACE_LOCK:  # two traces at once would undo each other's patches of torch.nn.Module
            tracer = _ChildlessLeaves()
            graph = tracer.trace(model)
        return torch.fx.GraphModule(tracer.root, graph, type(model).__name__)
    except Exception as err:  # fx raises many types (TraceError, TypeError, ...) for dynamic code
        raise ReceptiveFieldError(
            f"cnnviz could not follow this network's forward pass step by step ({type(err).__name__}), "
            "so it cannot compute its receptive fields."
        ) from err


_SHAPE_KEEPING = (
    "BatchNorm1d", "BatchNorm2d", "ReLU", "ReLU6", "LeakyReLU", "GELU", "SiLU", "Sigmoid", "Tanh",
    "Dropout", "Dropout2d", "Identity", "LocalResponseNorm", "Normalize",
)


def _traced_with_shapes(model, input_shape):
    """The fx graph of ``model`` and every node's output shape.

    Shapes come from a pass over a weightless meta copy; layers that keep their input's shape
    (batch norm, activations) are skipped rather than run, since meta batch norm is slow.
    """
    import torch
    import torch.fx

    from cnnviz.architecture import shape_only_copy

    shapes: dict[str, tuple[int, ...]] = {}

    class _Shapes(torch.fx.Interpreter):
        def run_node(self, n):
            if n.op == "call_module" and type(self.module.get_submodule(n.target)).__name__ in _SHAPE_KEEPING:
                result = self.env[n.all_input_nodes[0]]
            else:
                result = super().run_node(n)
            if isinstance(result, torch.Tensor):
                shapes[n.name] = tuple(result.shape)
            elif isinstance(result, (tuple, list)) and result and isinstance(result[0], torch.Tensor):
                shapes[n.name] = tuple(result[0].shape)
            return result

    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    graph_module = _trace(shape_only_copy(model))
    try:
        with torch.no_grad():
            _Shapes(graph_module).run(torch.zeros(1, *input_shape, device="meta", dtype=dtype))
        return graph_module, shapes
    except Exception:
        pass
    # A few ops have no meta kernel; a real pass on zeros gives the same shapes, just slower.
    shapes.clear()
    graph_module = _trace(model)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    try:
        with torch.inference_mode():
            _Shapes(graph_module).run(torch.zeros(1, *input_shape, device=device, dtype=dtype))
    except Exception as err:
        raise ReceptiveFieldError(
            f"This network cannot take an input of {input_shape[0]} x {input_shape[1]} x {input_shape[2]} "
            f"(channels x height x width): {_first_line(err)}"
        ) from err
    return graph_module, shapes


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__).rstrip(".") + "."


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
    if input_size is None:
        input_size = getattr(model, "input_shape", None)
        if input_size is None:
            raise ReceptiveFieldError("Say which input size to use, e.g. (3, 224, 224).")
    input_shape = _input_shape(model, input_size)
    graph_module, shapes = _traced_with_shapes(model, input_shape)
    modules = dict(graph_module.named_modules())

    fields: dict[str, _NodeField] = {}
    rows: list[tuple[Any, LayerField]] = []
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
        if kind is not None:
            rows.append((node, _row(name, kind, out_shape, field, input_shape, module, settings)))

    return _attach_block_modules(rows, graph_module, fields)


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


# --- the builder and the lesson ---------------------------------------------------------------

# They live in cnnviz.stack_builder, which imports this module; their old names here still work,
# looked up on first use so that neither module needs the other half-imported.
_STACK_BUILDER_NAMES = frozenset({"StackLayer", "STACK_KINDS", "check_stack", "build_stack", "stacked_versus_single"})


def __getattr__(name: str):
    if name in _STACK_BUILDER_NAMES:
        from cnnviz import stack_builder

        return getattr(stack_builder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
