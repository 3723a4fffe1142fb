"""Count a network layer by layer: output shapes, parameters, activation memory, multiply-adds.

The counts come from one forward pass, with forward hooks on every leaf module, through a
*weightless copy* of the model whose tensors live on PyTorch's "meta" device: shapes flow, no
arithmetic is done and no memory is taken, so ResNet-50 is counted in milliseconds and a model
shared between browser sessions is never hooked or run.

Conventions (stated once, used everywhere):

- Parameters: the tensors a layer owns itself; a module called twice counts them once.
  ``total_parameters`` counts every parameter of the model, also those of parts the forward pass
  skips (GoogLeNet's auxiliary heads in eval mode), which ``unused_parameters`` reports.
- Activation memory: fp32 bytes (4 per value) of each layer's output for ONE image. A layer that
  returns its input or a view of it (Flatten, Identity) stores nothing new and counts 0, and so
  does every layer with an ``inplace`` option (ReLU, dropout): it can overwrite its input, as
  torchvision's ReLU(inplace=True) does, so the count does not depend on how a model set that
  flag. The input image itself is not counted. VGG-16: 15.3 M values (CS231n's tally).
- Multiply-adds (MACs) for one image: Conv2d C_out * (C_in / groups) * Kh * Kw * H_out * W_out
  (dilation changes where the taps are, not how many); Linear in_features * out_features;
  BatchNorm one per output value (in eval it folds to x * a + b); ConvTranspose2d
  C_in * (C_out / groups) * Kh * Kw * H_in * W_in. Pooling, activations and everything else: 0.
  Biases are not counted.
- Model size: parameters plus buffers (BatchNorm running statistics) in their stored dtype, in
  MB of 2**20 bytes (CifarCNN: 22.33 MB).
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass
from typing import Iterator, Sequence

BYTES_PER_VALUE = 4  # fp32
MB = 2**20


class ArchitectureError(ValueError):
    """A network that cannot be counted for this input size, said in a sentence."""


@dataclass(frozen=True)
class LayerRow:
    """One call of one leaf module.

    Attributes:
        name: module path, with " (call 2)" when a module is called again (ResNet reuses its ReLU).
        type: the module's class name, e.g. "Conv2d".
        output_shape: output shape for one image, e.g. (64, 112, 112).
        parameters: parameters owned by this module (0 on a repeated call).
        activation_bytes: fp32 bytes of the output; 0 for views and for layers that can run in place.
        mult_adds: multiply-adds for one image (see the module docstring for the conventions).
    """

    name: str
    type: str
    output_shape: tuple[int, ...]
    parameters: int
    activation_bytes: int
    mult_adds: int


@dataclass(frozen=True)
class ArchitectureTable:
    """Per-layer rows and totals for one network at one input size."""

    rows: tuple[LayerRow, ...]
    input_shape: tuple[int, int, int]
    total_parameters: int
    model_size_bytes: int

    @property
    def total_mult_adds(self) -> int:
        return sum(row.mult_adds for row in self.rows)

    @property
    def total_activation_bytes(self) -> int:
        return sum(row.activation_bytes for row in self.rows)

    @property
    def activation_values(self) -> int:
        """Activation count for one image (bytes / 4)."""
        return self.total_activation_bytes // BYTES_PER_VALUE

    @property
    def unused_parameters(self) -> int:
        """Parameters of modules the forward pass never called (e.g. auxiliary heads in eval mode)."""
        return self.total_parameters - sum(row.parameters for row in self.rows)

    @property
    def model_size_mb(self) -> float:
        return self.model_size_bytes / MB

    def records(self) -> list[dict]:
        """The rows as plain dicts with readable column names, for a table widget."""
        return [
            {
                "Layer": row.name,
                "Type": row.type,
                "Output shape": " x ".join(str(v) for v in row.output_shape),
                "Parameters": row.parameters,
                "Activation memory (KB)": round(row.activation_bytes / 1024, 1),
                "Multiply-adds": row.mult_adds,
            }
            for row in self.rows
        ]


def shape_only_copy(model):
    """A copy of ``model`` whose parameters and buffers are empty "meta" tensors, with no hooks.

    Its forward pass computes output shapes only (no arithmetic, no memory), and hooking it
    leaves the original, which may be shared between sessions, untouched.
    """
    import copy

    import torch
    from torch import nn

    memo: dict[int, object] = {}
    for tensor in itertools.chain(model.parameters(), model.buffers()):
        meta = torch.empty_like(tensor, device="meta")
        memo[id(tensor)] = nn.Parameter(meta, requires_grad=tensor.requires_grad) if isinstance(tensor, nn.Parameter) else meta
    twin = copy.deepcopy(model, memo)  # the memo hands back the meta tensors instead of copying data
    for module in twin.modules():
        module._forward_hooks.clear()
        module._forward_pre_hooks.clear()
        module._backward_hooks.clear()
    return twin


def _first_tensor(value):
    import torch

    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        return next((v for v in value if isinstance(v, torch.Tensor)), None)
    return None


def _stores_nothing(module, output, inputs) -> bool:
    """True when ``output`` needs no new memory: an input, a view of one, or an in-place-able layer."""
    if hasattr(module, "inplace"):
        return True
    for tensor in inputs:
        if output is tensor:
            return True
        base = output._base
        if base is not None and (base is tensor or base is tensor._base):
            return True
    return False


def _mult_adds(module, inputs, output) -> int:
    from torch import nn

    if isinstance(module, nn.Conv2d):
        # weight: (C_out, C_in / groups, Kh, Kw); each output value needs C_in/groups * Kh * Kw.
        return output.numel() // output.shape[0] * module.weight[0].numel()
    if isinstance(module, nn.ConvTranspose2d):
        # weight: (C_in, C_out / groups, Kh, Kw); each input value is spread over C_out/groups * Kh * Kw.
        return inputs[0].numel() // inputs[0].shape[0] * module.weight[0].numel()
    if isinstance(module, nn.Linear):
        return output.numel() // output.shape[0] * module.in_features
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return output.numel() // output.shape[0]
    return 0


@contextlib.contextmanager
def _recording_leaf_calls(model) -> Iterator[list]:
    """Forward hooks on every leaf module that append (name, module, inputs, output); removed in finally."""
    calls: list = []
    handles = []
    try:
        for name, module in model.named_modules():
            if next(module.children(), None) is None and name:

                def hook(module, inputs, output, name=name):
                    calls.append((name, module, inputs, output))

                handles.append(module.register_forward_hook(hook))
        yield calls
    finally:
        for handle in handles:
            handle.remove()


def _input_shape(model, input_size: Sequence[int] | None) -> tuple[int, int, int]:
    if input_size is None:
        input_size = getattr(model, "input_shape", None)
        if input_size is None:
            raise ArchitectureError("Say which input size to count for, e.g. (3, 224, 224).")
    size = tuple(int(v) for v in input_size)
    if len(size) == 2:
        channels = getattr(model, "input_shape", (3,))[0]
        size = (int(channels), *size)
    if len(size) != 3 or min(size) < 1:
        raise ArchitectureError(f"An input size is (channels, height, width), not {input_size!r}.")
    return size  # type: ignore[return-value]


def architecture_table(model, input_size: Sequence[int] | None = None) -> ArchitectureTable:
    """Count every leaf layer of ``model`` for one image of ``input_size``.

    Args:
        model: any nn.Module taking (N, C, H, W) images. Not modified, run or hooked itself.
        input_size: (C, H, W) or (H, W); defaults to ``model.input_shape``.

    Returns:
        ArchitectureTable with one LayerRow per leaf-module call, in forward order, and totals.

    Raises:
        ArchitectureError: the network cannot take an input of this size.

    Example:
        >>> table = architecture_table(torchvision.models.vgg16(), (3, 224, 224))
        >>> table.total_parameters
        138357544
    """
    import torch

    input_shape = _input_shape(model, input_size)
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    twin = shape_only_copy(model)
    twin.eval()  # counts describe inference: dropout off, batch norm on running statistics
    try:
        with _recording_leaf_calls(twin) as calls, torch.no_grad():
            twin(torch.zeros(1, *input_shape, device="meta", dtype=dtype))
    except Exception as err:
        text = str(err).strip().splitlines()
        reason = (text[0] if text else type(err).__name__).rstrip(".")
        raise ArchitectureError(
            f"This network cannot take an input of {' x '.join(map(str, input_shape))} "
            f"(channels x height x width): {reason}."
        ) from err

    rows, seen_calls = [], {}
    for name, module, inputs, output in calls:
        output = _first_tensor(output)
        if output is None:
            continue
        tensors = [t for t in inputs if isinstance(t, torch.Tensor)]
        seen_calls[name] = seen_calls.get(name, 0) + 1
        first_call = seen_calls[name] == 1
        rows.append(
            LayerRow(
                name=name if first_call else f"{name} (call {seen_calls[name]})",
                type=type(module).__name__,
                output_shape=tuple(int(v) for v in output.shape[1:]),
                parameters=sum(p.numel() for p in module.parameters(recurse=False)) if first_call else 0,
                activation_bytes=0 if _stores_nothing(module, output, tensors) else output.numel() * BYTES_PER_VALUE,
                mult_adds=_mult_adds(module, tensors, output),
            )
        )
    stored = itertools.chain(model.parameters(), model.buffers())
    return ArchitectureTable(
        rows=tuple(rows),
        input_shape=input_shape,
        total_parameters=sum(p.numel() for p in model.parameters()),
        model_size_bytes=sum(t.numel() * t.element_size() for t in stored),
    )
