"""What did the network look at? Attribution maps for one image and one class, drawn from captum.

Four methods, one call shape: ``attribute(model, image, method, target=None, layer=None)``.

- "gradcam": Grad-CAM (Selvaraju et al., 2017, https://arxiv.org/abs/1610.02391). The chosen
  conv layer's channels, weighted by the mean gradient of the class score over each channel,
  summed, ReLU'd, and upsampled to the image: coarse, class-discriminative.
- "saliency": |d score / d pixel| (Simonyan et al., 2013, https://arxiv.org/abs/1312.6034),
  the largest over colour channels: which pixels would change the score fastest.
- "integrated_gradients": gradients averaged along the straight path from a black image to this
  one, times the pixel difference (Sundararajan et al., 2017, https://arxiv.org/abs/1703.01365):
  the attributions add up to score(image) - score(black).
- "occlusion": slide a black patch over the image and record how much the class score drops
  (Zeiler & Fergus, 2013, https://arxiv.org/abs/1311.2901): no gradients, only forward passes.

Every map comes back at the input resolution, as float32 (H, W) scaled to [0, 1] for display
(what each method counts as evidence *for* the class is bright), plus the raw signed values.
The model is run in eval mode (its own mode is restored) and its parameters' ``.grad`` stay
None: captum differentiates with respect to the input only. Attribution methods that use hooks
(Grad-CAM) add them to the model for the duration of the call, so pass a private copy of a model
that other threads use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch
    from torch import nn

METHODS = ("gradcam", "saliency", "integrated_gradients", "occlusion")
METHOD_TITLES = {
    "gradcam": "Grad-CAM",
    "saliency": "Saliency",
    "integrated_gradients": "Integrated gradients",
    "occlusion": "Occlusion",
}
INTEGRATED_GRADIENT_STEPS = 32


class AttributionError(ValueError):
    """An attribution that cannot be computed, with a sentence saying why."""


@dataclass(frozen=True)
class AttributionMap:
    """One attribution map for one image and one class.

    Attributes:
        method: one of METHODS.
        target: the class index explained.
        heatmap: float32 (H, W) in [0, 1] at the input resolution, bright = evidence for the class.
        raw: float32 (H, W), the method's own values before scaling (signed for integrated
            gradients and occlusion), for hover text.
        layer: the layer Grad-CAM used, "" for the other methods.
    """

    method: str
    target: int
    heatmap: np.ndarray
    raw: np.ndarray
    layer: str = ""


def gradcam_layers(model: "nn.Module", image: "torch.Tensor") -> list[str]:
    """Names of the layers Grad-CAM can use on ``image``: every Conv2d whose output is larger
    than 1 x 1 (a single cell cannot say *where*), last first, the usual choice.

    Args:
        model: the network.
        image: (1, C, H, W) floats in [0, 1]; output sizes depend on the input size.
    """
    import torch
    from torch import nn

    from cnnviz.activations import recording_leaf_outputs

    convs = {name for name, module in model.named_modules() if isinstance(module, nn.Conv2d)}
    parameter = next(model.parameters(), None)
    if parameter is not None:
        image = image.to(parameter.device)
    with torch.inference_mode(), recording_leaf_outputs(model) as records:
        model(image.float())
    names = [name for name, _, output in records if name in convs and output.shape[-2:].numel() > 1]
    return names[::-1]


def _scale_positive(values: np.ndarray, percentile: float = 100.0) -> np.ndarray:
    """Keep the positive part and divide by its ``percentile`` (clipped): [0, 1] for display."""
    positive = np.clip(values, 0, None)
    top = float(np.percentile(positive, percentile)) if positive.size else 0.0
    if top <= 0:
        return np.zeros_like(positive, dtype=np.float32)
    return np.clip(positive / top, 0, 1).astype(np.float32)


def _occlusion_window(height: int, width: int) -> tuple[int, int, int, int]:
    """Patch and stride sizes: about a seventh of the image, half-overlapping, so ~13 x 13 runs."""
    patch_h, patch_w = max(1, round(height / 7)), max(1, round(width / 7))
    return patch_h, patch_w, max(1, patch_h // 2), max(1, patch_w // 2)


def attribute(
    model: "nn.Module",
    image: "torch.Tensor",
    method: str,
    target: int | None = None,
    layer: str | None = None,
) -> AttributionMap:
    """Attribute one class score of ``model`` on ``image`` to the image's pixels.

    Args:
        model: takes (N, C, H, W) floats in [0, 1], returns logits (N, K).
        image: (1, C, H, W) or (C, H, W) floats in [0, 1].
        method: one of METHODS.
        target: the class to explain; None means the predicted class.
        layer: Grad-CAM only: the conv layer's qualified name (default the last Conv2d).

    Returns:
        AttributionMap with (H, W) maps.

    Raises:
        AttributionError: unknown method, layer or class.
    """
    import torch
    from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Occlusion, Saliency

    if method not in METHODS:
        raise AttributionError(f"There is no attribution method {method!r}; choose one of {', '.join(METHODS)}.")
    if image.dim() == 3:
        image = image.unsqueeze(0)  # (C, H, W) -> (1, C, H, W)
    if image.dim() != 4 or image.shape[0] != 1:
        raise AttributionError(f"Attribution explains one image (1, C, H, W), not shape {tuple(image.shape)}.")
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    image = image.detach().float().to(device)
    height, width = image.shape[-2:]

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model(image)  # (1, K)
        num_classes = logits.shape[1]
        if target is None:
            target = int(logits.argmax(dim=1))
        if not 0 <= int(target) < num_classes:
            raise AttributionError(f"The class to explain must be between 0 and {num_classes - 1}, not {target}.")
        target = int(target)
        # A leaf that requires grad: the gradient methods differentiate with respect to it.
        image = image.clone().requires_grad_(True)

        layer_name = ""
        if method == "gradcam":
            if layer is None:
                candidates = gradcam_layers(model, image)
                if not candidates:
                    raise AttributionError("Grad-CAM needs a convolution layer with an output larger than 1 x 1, and this model has none.")
                layer = candidates[0]
            layer_name = layer
            try:
                module = model.get_submodule(layer_name)
            except AttributeError:
                raise AttributionError(f"This model has no layer called {layer_name!r}.") from None
            cam = LayerGradCam(model, module).attribute(image, target=target, relu_attributions=True)
            # (1, 1, h, w) at the layer's resolution -> (1, 1, H, W) at the image's.
            raw_map = LayerAttribution.interpolate(cam, (height, width), interpolate_mode="bilinear")
            raw = raw_map[0, 0]
            heatmap = _scale_positive(raw.detach().cpu().numpy())
        elif method == "saliency":
            gradients = Saliency(model).attribute(image, target=target, abs=True)  # (1, C, H, W)
            raw = gradients[0].max(dim=0).values  # strongest colour channel per pixel
            heatmap = _scale_positive(raw.detach().cpu().numpy(), 99.5)
        elif method == "integrated_gradients":
            attributions = IntegratedGradients(model).attribute(
                image, baselines=torch.zeros_like(image), target=target,
                n_steps=INTEGRATED_GRADIENT_STEPS, internal_batch_size=INTEGRATED_GRADIENT_STEPS,
            )  # (1, C, H, W)
            raw = attributions[0].sum(dim=0)  # a pixel's total contribution over its channels
            heatmap = _scale_positive(raw.detach().cpu().numpy(), 99.5)
        else:
            patch_h, patch_w, stride_h, stride_w = _occlusion_window(height, width)
            channels = image.shape[1]
            drops = Occlusion(model).attribute(
                image, sliding_window_shapes=(channels, patch_h, patch_w), strides=(channels, stride_h, stride_w),
                baselines=0.0, target=target, perturbations_per_eval=32,
            )  # (1, C, H, W), the same value copied over the channels
            raw = drops[0].mean(dim=0)
            heatmap = _scale_positive(raw.detach().cpu().numpy())
    finally:
        model.train(was_training)
    return AttributionMap(
        method=method,
        target=target,
        heatmap=heatmap,
        raw=raw.detach().float().cpu().numpy(),
        layer=layer_name,
    )
