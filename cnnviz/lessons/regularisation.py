"""Regularisation, shown on the network and the data it trains on: the L2 term of weight decay with
lambda's value and the network's own sum of squared weights, dropout on one training image in
training mode and in evaluation mode, and a preview of every augmentation the Train form offers,
drawn by the very functions a run uses (cnnviz.train.augment) at the form's strengths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz.images import from_unit_floats

TAB_TITLE = "Regularisation"
INTRO = (
    "Regularisation keeps a network from learning its training images by heart. **Weight decay** adds "
    "a penalty on large weights to the loss; **dropout** zeroes a random part of a layer's values while "
    "training, so no unit can count on another; **augmentation** shows every training image changed a "
    "little each time. Below: each on a trained network and on real training images."
)
# "\," at the end: KaTeX's box was 2 px short of a closing sub- or superscript.
L2_FORMULA = r"L_{\text{total}} = L_{\text{data}} + \frac{\lambda}{2} \sum_i w_i^2\,"
L2_NOTE = (
    "PyTorch's `weight_decay` is this $\\lambda$: SGD and Adam add $\\lambda w$ to each weight's gradient, "
    "which is the gradient of $\\frac{\\lambda}{2} \\sum_i w_i^2$; AdamW instead shrinks each weight by "
    "$\\eta \\lambda w$ after its step. The sum runs over every parameter the optimiser updates "
    "(weights, biases, batch-norm scales), as PyTorch's does."
)
DROPOUT_FORMULA = (r"\text{training: } y_i = \frac{m_i\, x_i\,}{1 - p}\,,\ \ m_i \sim \mathrm{Bernoulli}(1 - p)"
                   r"\qquad \text{evaluation: } y_i = x_i\,")
NO_DROPOUT = ("This network has no dropout layer: open the shipped small CNN (dropout 0.3 before its last "
              "layer), or train one with Dropout set above 0.")
PREVIEW_DRAWS = 4  # random draws shown per augmentation
PREVIEW_COLUMNS = [1.4] + [1] * (PREVIEW_DRAWS + 1)  # the row's label, the original, the draws
PREVIEW_CAPTION = ("Each row: the training image, then four random draws of one augmentation as a run applies it "
                   "(the Train form's checkbox of that name, at its strength). Test images are never augmented.")
DROPOUT_SHOWN = 32  # values drawn in the dropout chart


@dataclass(frozen=True)
class WeightDecay:
    """The L2 term for one network and one lambda: the parameters, their sum of squares, the term."""

    parameters: int
    sum_of_squares: float
    term: float
    line: str


def weight_decay(model, lam: float, data_loss: float | None = None) -> WeightDecay:
    """(lambda / 2) * sum of w^2 over the parameters that train, written out in the network's numbers.

    Args:
        model: the network.
        lam: the weight decay lambda.
        data_loss: a batch's cross-entropy, to add the term to (None: the term alone).
    """
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    with torch.no_grad():
        squares = float(sum(p.detach().double().pow(2).sum() for p in params))
    count = sum(p.numel() for p in params)
    term = lam / 2 * squares
    lam_text = f"{lam:g}"
    line = rf"\frac{{{lam_text}}}{{2}} \cdot {squares:.2f} = {term:.4g}"
    if data_loss is not None:
        line = rf"L_{{\text{{total}}}} = {data_loss:.4f} + {line.split(' = ')[0]} = {data_loss + term:.4f}"
    return WeightDecay(count, squares, term, line)


def decay_caption(decay: WeightDecay, title: str, images: int) -> str:
    """The numbers under the L2 line: which network, how many parameters, whose data loss."""
    return (f"{title}: {decay.parameters:,} parameters, sum of their squares {decay.sum_of_squares:.2f}; "
            f"L_data is the mean cross-entropy of its first {images} training images.")


@dataclass(frozen=True)
class DropoutView:
    """One dropout layer on one image, in training and in evaluation mode.

    Attributes:
        name: the layer's qualified name; p: its rate.
        values: its input, flattened (evaluation mode passes it through unchanged).
        trained: its output in training mode, for one seeded random mask.
        zeroed: how many values training mode set to 0 (of len(values)).
        sentence: the numbers in words.
    """

    name: str
    p: float
    values: np.ndarray
    trained: np.ndarray
    zeroed: int
    sentence: str


def dropout_layer(model):
    """(name, module) of the model's first dropout layer, or None."""
    from torch import nn

    for name, module in model.named_modules():
        if isinstance(module, (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)) and module.p > 0:
            return name, module
    return None


def dropout_view(model, image, seed: int = 0) -> DropoutView | None:
    """The model's first dropout layer on ``image`` ((C, H, W) uint8): None without one.

    The model is not changed: its input to the layer is caught by a hook in evaluation mode, and the
    layer's training-mode output is computed by torch's own dropout on that input, with ``seed``.
    """
    import torch
    import torch.nn.functional as F

    from cnnviz.data import to_float

    found = dropout_layer(model)
    if found is None:
        return None
    name, module = found
    caught = []
    handle = module.register_forward_hook(lambda _module, inputs, _output: caught.append(inputs[0].detach()))
    device = next(model.parameters()).device
    try:
        with torch.no_grad():
            model(to_float(torch.as_tensor(np.asarray(image))[None]).to(device))
    finally:
        handle.remove()
    x = caught[0][0].cpu().double()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if isinstance(module, torch.nn.Dropout):
            trained = F.dropout(x, module.p, training=True)
        else:  # Dropout2d drops whole channels
            trained = F.dropout2d(x[None], module.p, training=True)[0]
    values, trained = x.flatten().numpy(), trained.flatten().numpy()
    zeroed = int(((trained == 0) & (values != 0)).sum())
    nonzero = int((values != 0).sum())
    sentence = (
        f"`{name}` has p = {module.p:g}. In training mode it zeroed {zeroed} of this image's {nonzero} non-zero "
        f"values ({zeroed / max(nonzero, 1):.1%}) and multiplied the rest by 1 / (1 - {module.p:g}) = "
        f"{1 / (1 - module.p):.4f}, so their expected sum stays the same; in evaluation mode (every prediction "
        "on these pages) it passes all of them through unchanged."
    )
    return DropoutView(name, float(module.p), values, trained, zeroed, sentence)


@dataclass(frozen=True)
class Preview:
    """One augmentation's row: its label, its strength in words and PREVIEW_DRAWS pictures."""

    key: str
    label: str
    strength: str
    pictures: tuple[Image.Image, ...]


def augmentation_previews(image, augmentations: dict, seed: int = 0) -> tuple[Preview, ...]:
    """Each augmentation on one training image, PREVIEW_DRAWS random draws, as a run applies it.

    Args:
        image: (C, H, W) uint8, a training image.
        augmentations: form key -> (label, strength sentence, cnnviz.train.config.Augmentation).
        seed: the draws' seed (the same seed gives the same pictures).
    """
    import torch

    from cnnviz.data import to_float
    from cnnviz.train.augment import augment_batch

    batch = to_float(torch.as_tensor(np.asarray(image))[None]).repeat(PREVIEW_DRAWS, 1, 1, 1)
    previews = []
    for key, (label, strength, augment) in augmentations.items():
        generator = torch.Generator().manual_seed(seed)
        changed = augment_batch(batch, augment, generator).numpy()
        previews.append(Preview(key, label, strength, tuple(from_unit_floats(picture) for picture in changed)))
    return tuple(previews)


def image_numbers(count: int) -> tuple[int, int]:
    """The "training image" box of a training set of ``count`` images: (0, the last index)."""
    return 0, count - 1


def original_picture(image) -> Image.Image:
    """The training image as it is, for the previews' first column."""
    return from_unit_floats(np.asarray(image, dtype=np.float32) / 255.0)


def dropout_title(view: DropoutView, shown: int = DROPOUT_SHOWN) -> str:
    """The chart's title: which layer, how many of its values."""
    return f"{view.name} (p = {view.p:g}): its first {min(shown, len(view.values))} of {len(view.values)} values"


def dropout_chart_values(view: DropoutView, shown: int = DROPOUT_SHOWN) -> tuple[Sequence[float], Sequence[float]]:
    """The first ``shown`` values in evaluation and in training mode, for the chart."""
    return view.values[:shown].tolist(), view.trained[:shown].tolist()
