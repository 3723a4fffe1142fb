"""A trained network's convolution kernels as pictures, ready to draw.

A conv layer's weight has shape (C_out, C_in, F, F): one F x F kernel per (output, input) channel
pair. The first layer of a colour network has C_in = 3, so each of its kernels *is* a tiny RGB
image, and after training they look like edge and colour detectors. Deeper kernels mix many input
channels, so they are drawn as a grid: one row per output channel, one column per input channel.

Weights are signed and tiny, so they must be rescaled to be seen; how is a choice:

- "per_kernel": each kernel stretched to [0, 1] on its own (shows every kernel's shape, hides
  which kernels are strong);
- "per_layer": one min..max for the whole layer, mapped to [0, 1] (strengths comparable);
- "symmetric": divided by the layer's largest |weight|, into [-1, 1], so that 0 stays 0 (the
  honest view of sign: show it with a diverging colour scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:
    import torch
    from torch import nn

NORMALISATIONS = ("per_kernel", "per_layer", "symmetric")


@dataclass(frozen=True)
class KernelPictures:
    """One conv layer's kernels, rescaled for display.

    Attributes:
        values: float32, (C_out, F, F, 3) when ``rgb`` (each kernel one colour picture), else
            (C_out, C_in, F, F). Range [0, 1], except "symmetric" without rgb: [-1, 1] with 0
            meaning a zero weight. RGB kernels under "symmetric" are 0.5 + 0.5 * w / max|w|, so
            mid-grey is a zero weight.
        rgb: whether each kernel is drawn as one colour picture.
        normalisation: one of NORMALISATIONS.
        weight_range: (min, max) of the raw weights, for the caption.
    """

    values: np.ndarray
    rgb: bool
    normalisation: str
    weight_range: tuple[float, float]

    @property
    def value_range(self) -> tuple[float, float]:
        """The range ``values`` may take: (-1, 1) for signed grids, else (0, 1)."""
        return (-1.0, 1.0) if self.normalisation == "symmetric" and not self.rgb else (0.0, 1.0)


def conv_layers(model: "nn.Module") -> list[tuple[str, "nn.Module"]]:
    """(qualified name, module) of every 2-D convolution, in registration order."""
    from torch import nn

    return [(name, module) for name, module in model.named_modules() if isinstance(module, nn.Conv2d)]


def _stretch(values: np.ndarray, axes: tuple[int, ...] | None) -> np.ndarray:
    """Map values to [0, 1] with min and max taken over ``axes`` (None: everything)."""
    low = values.min(axis=axes, keepdims=axes is not None)
    high = values.max(axis=axes, keepdims=axes is not None)
    span = np.where(high - low > 0, high - low, 1.0)  # a constant kernel becomes all 0
    return ((values - low) / span).astype(np.float32)


def kernel_pictures(weight: "torch.Tensor | np.ndarray", normalisation: str = "per_kernel", rgb: bool | None = None) -> KernelPictures:
    """Turn a conv weight into display-ready arrays.

    Args:
        weight: (C_out, C_in, F, F) conv weights (a tensor, an array or nested lists).
        normalisation: "per_kernel", "per_layer" or "symmetric" (see the module docstring).
        rgb: draw each kernel as one colour picture; None means "when C_in is 3".

    Returns:
        KernelPictures.

    Example:
        >>> pictures = kernel_pictures(model.features.c1.weight, "symmetric")
        >>> pictures.values.shape   # LeNet-5 on grey images
        (6, 1, 5, 5)
    """
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"Kernels can be normalised {', '.join(NORMALISATIONS)}, not {normalisation!r}.")
    if hasattr(weight, "detach"):
        weight = weight.detach().float().cpu().numpy()
    values = np.asarray(weight, dtype=np.float32)
    if values.ndim != 4:
        raise ValueError(f"Conv weights have shape (C_out, C_in, F, F), not {values.shape}.")
    rgb = values.shape[1] == 3 if rgb is None else bool(rgb)
    if rgb and values.shape[1] != 3:
        raise ValueError(f"Only kernels with 3 input channels can be drawn as colour pictures, not {values.shape[1]}.")
    weight_range = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)

    if normalisation == "per_kernel":
        # For a grid, each (out, in) kernel on its own; an RGB kernel's three channels together.
        pictures = _stretch(values, (1, 2, 3) if rgb else (2, 3))
    elif normalisation == "per_layer":
        pictures = _stretch(values, None)
    else:
        largest = float(np.abs(values).max()) if values.size else 0.0
        pictures = (values / largest if largest > 0 else np.zeros_like(values)).astype(np.float32)
        if rgb:
            pictures = 0.5 + 0.5 * pictures
    if rgb:
        pictures = pictures.transpose(0, 2, 3, 1)  # (C_out, 3, F, F) -> (C_out, F, F, 3)
    return KernelPictures(np.ascontiguousarray(pictures), rgb, normalisation, weight_range)


def untrained_twin(model: "nn.Module", seed: int = 0) -> "nn.Module":
    """The same architecture freshly initialised with a fixed seed: what training started from.

    ImageNet networks are rebuilt without their downloaded weights. The global random state is
    left as it was.

    Args:
        model: a cnnviz model (it carries ``config`` with its registry "name").
        seed: the torch seed used for the initialisation.

    Returns:
        A new model in eval mode.
    """
    import torch

    from cnnviz.models import get_model

    config = dict(model.config)
    name = config.pop("name")
    if "weights" in config:
        config["weights"] = None
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        twin = get_model(name, **config)
    return twin.eval()


def kernel_snapshots(meta: dict[str, Any]) -> list[tuple[str, np.ndarray]]:
    """The first conv layer's weights after each epoch, from a checkpoint's meta, if it has them.

    Args:
        meta: a checkpoint's meta; "kernel_snapshots" holds one (C_out, C_in, F, F) nested list
            per snapshot. When there is one more snapshot than "epochs", the first is the
            network before training.

    Returns:
        [(label, weights float32 (C_out, C_in, F, F))], empty when the meta has none or they are
        malformed (a page then simply shows no slider).
    """
    snapshots: Sequence[Any] = meta.get("kernel_snapshots") or []
    try:
        arrays = [np.asarray(snapshot, dtype=np.float32) for snapshot in snapshots]
    except (TypeError, ValueError):
        return []
    if not arrays or any(array.ndim != 4 or array.shape != arrays[0].shape for array in arrays):
        return []
    epochs = meta.get("epochs")
    first_is_start = isinstance(epochs, int) and len(arrays) == epochs + 1
    labels = []
    for index in range(len(arrays)):
        epoch = index if first_is_start else index + 1
        labels.append("before training" if epoch == 0 else f"after epoch {epoch}")
    return list(zip(labels, arrays))
