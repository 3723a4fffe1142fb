"""The network's fx graph and its tensor shapes, from one forward pass on a weightless copy."""

from __future__ import annotations

import threading
from typing import Sequence

from cnnviz.receptive.fields import ReceptiveFieldError


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
