"""Accuracy under attack over a dataset for a list of budgets, with a few examples kept, and the
PyTorch tutorial's curve to compare it with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from cnnviz import devices
from cnnviz.adversarial.attacks import METHODS, PGD_STEP_FACTOR, _loss_gradient, pgd
from cnnviz.adversarial.boundary import AttackError, _check_eps, _check_images, attack_mode


# The PyTorch FGSM tutorial's accuracy-versus-epsilon curve for its MNIST LeNet
# (https://pytorch.org/tutorials/beginner/fgsm_tutorial.html; docs/teaching.md): (eps, accuracy).
TUTORIAL_FGSM_CURVE: tuple[tuple[float, float], ...] = (
    (0.0, 0.981),
    (0.05, 0.943),
    (0.1, 0.851),
    (0.15, 0.683),
    (0.2, 0.430),
    (0.25, 0.208),
    (0.3, 0.087),
)
TUTORIAL_EPSILONS: tuple[float, ...] = tuple(eps for eps, _ in TUTORIAL_FGSM_CURVE)


@dataclass(frozen=True)
class SweepResult:
    """Accuracy under attack for a list of epsilons (numpy only, so it pickles into a cache).

    Attributes:
        method: "fgsm" or "pgd".
        epsilons: (E,) budgets in [0, 1].
        accuracy: (E,) fraction of all images classified correctly after the attack.
        success_rate: (E,) fraction of the originally correct images that the attack made wrong
            (NaN when no image was correct to begin with).
        mean_confidence: (E,) mean softmax probability of the predicted class after the attack.
        num_images: how many images were attacked.
        clean_accuracy: accuracy with no attack.
        example_indices: (K,) positions (in the images given) of the examples kept: the first K
            images that were classified correctly before the attack.
        example_labels: (K,) their true classes.
        example_images: (E, K, C, H, W) float32 in [0, 1], the examples after each attack.
        example_predictions: (E, K) the predicted class of each example.
        example_confidences: (E, K) the probability of that prediction.
    """

    method: str
    epsilons: np.ndarray
    accuracy: np.ndarray
    success_rate: np.ndarray
    mean_confidence: np.ndarray
    num_images: int
    clean_accuracy: float
    example_indices: np.ndarray
    example_labels: np.ndarray
    example_images: np.ndarray
    example_predictions: np.ndarray
    example_confidences: np.ndarray


def sweep(
    model: nn.Module,
    images_uint8: torch.Tensor,
    labels: torch.Tensor,
    epsilons: Sequence[float] = TUTORIAL_EPSILONS,
    method: str = "fgsm",
    batch_size: int = 1000,
    device: torch.device | str | None = None,
    *,
    steps: int = 10,
    step_factor: float = PGD_STEP_FACTOR,
    random_start: bool = True,
    num_examples: int = 5,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
) -> SweepResult:
    """Accuracy, attack success rate and confidence under attack, for each epsilon.

    Batches are moved to the model's device as uint8 and converted there. For FGSM the input
    gradient is computed once per batch and reused for every epsilon (it does not depend on
    epsilon), so the cost is one backward pass plus one forward pass per epsilon.

    Args:
        model: classifier in [0, 1] pixel space, left unchanged.
        images_uint8: (N, C, H, W) uint8, values 0..255 (e.g. a dataset's test_images).
        labels: (N,) int64 true classes.
        epsilons: budgets in [0, 1], e.g. TUTORIAL_EPSILONS.
        method: "fgsm" or "pgd".
        batch_size: images per batch.
        device: where to compute; None -> the model's device. Models are shared, so the sweep
            never moves one: a device other than the model's is refused.
        steps, step_factor, random_start: PGD settings; the step size for each epsilon is
            step_factor * eps / steps. Ignored for FGSM.
        num_examples: how many example images to keep for every epsilon.
        seed: seeds PGD's random start (one generator for the whole sweep, batches in order).
        progress: called with the fraction done (0..1] after each batch.

    Returns:
        SweepResult.
    """
    if method not in METHODS:
        raise AttackError(f"The attack must be one of {', '.join(METHODS)}, not {method!r}.")
    epsilons = [_check_eps(e) for e in epsilons]
    if not epsilons:
        raise AttackError("Give at least one epsilon.")
    if not isinstance(images_uint8, torch.Tensor) or images_uint8.dtype != torch.uint8 or images_uint8.ndim != 4:
        raise AttackError("The sweep takes 8-bit images: a uint8 tensor of shape (N, C, H, W).")
    if len(labels) != len(images_uint8):
        raise AttackError(f"Give one label per image: {len(images_uint8)} images but {len(labels)} labels.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise AttackError(f"The batch size must be a whole number, at least 1, not {batch_size!r}.")
    model_device = devices.model_device(model)
    device = model_device if device is None else torch.device(device)
    if device != model_device:
        raise AttackError(
            f"The model is on {model_device} but the sweep was asked to run on {device}; "
            "load the model onto that device first."
        )
    generator = torch.Generator(device=device).manual_seed(seed) if method == "pgd" else None

    count = len(images_uint8)
    num_eps = len(epsilons)
    correct = np.zeros(num_eps, dtype=np.int64)
    fooled = np.zeros(num_eps, dtype=np.int64)  # originally correct, wrong after the attack
    confidence_sum = np.zeros(num_eps, dtype=np.float64)
    clean_correct = 0
    example_indices: list[int] = []
    example_images: list[list[np.ndarray]] = [[] for _ in epsilons]
    example_predictions: list[list[int]] = [[] for _ in epsilons]
    example_confidences: list[list[float]] = [[] for _ in epsilons]

    with attack_mode(model):
        for start in range(0, count, batch_size):
            x = images_uint8[start : start + batch_size].to(device).float() / 255  # (B, C, H, W)
            y = torch.as_tensor(labels[start : start + batch_size]).to(device).long()
            _check_images(model, x)
            grad, clean_logits = _loss_gradient(model, x, y)
            clean_ok = clean_logits.argmax(dim=1) == y
            clean_correct += int(clean_ok.sum())

            # The first images classified correctly become the examples shown at every epsilon.
            wanted = num_examples - len(example_indices)
            chosen = clean_ok.nonzero().flatten()[:wanted] if wanted > 0 else clean_ok.new_zeros(0).long()
            example_indices += [start + int(i) for i in chosen]

            for k, eps in enumerate(epsilons):
                if eps == 0:
                    adversarial, logits = x, clean_logits
                else:
                    if method == "fgsm":
                        adversarial = (x + eps * grad.sign()).clamp(0, 1)
                    else:
                        alpha = step_factor * eps / steps
                        adversarial = pgd(model, x, y, eps, steps, alpha, random_start, generator=generator)
                    with torch.no_grad():
                        logits = model(adversarial)
                probabilities = logits.softmax(dim=1)
                confidence, prediction = probabilities.max(dim=1)
                ok = prediction == y
                correct[k] += int(ok.sum())
                fooled[k] += int((clean_ok & ~ok).sum())
                confidence_sum[k] += float(confidence.double().sum())
                if len(chosen):
                    example_images[k].extend(adversarial[chosen].cpu().numpy())
                    example_predictions[k].extend(prediction[chosen].tolist())
                    example_confidences[k].extend(confidence[chosen].tolist())
            if progress is not None:
                progress(min(start + batch_size, count) / count)

    channels, height, width = images_uint8.shape[1:]
    kept = len(example_indices)
    with np.errstate(invalid="ignore", divide="ignore"):
        success_rate = fooled / np.float64(clean_correct) if clean_correct else np.full(num_eps, np.nan)
    return SweepResult(
        method=method,
        epsilons=np.asarray(epsilons, dtype=np.float64),
        accuracy=correct / max(count, 1),
        success_rate=np.asarray(success_rate, dtype=np.float64),
        mean_confidence=confidence_sum / max(count, 1),
        num_images=count,
        clean_accuracy=clean_correct / max(count, 1),
        example_indices=np.asarray(example_indices, dtype=np.int64),
        example_labels=np.asarray([int(labels[i]) for i in example_indices], dtype=np.int64),
        example_images=np.asarray(example_images, dtype=np.float32).reshape(num_eps, kept, channels, height, width),
        example_predictions=np.asarray(example_predictions, dtype=np.int64).reshape(num_eps, kept),
        example_confidences=np.asarray(example_confidences, dtype=np.float64).reshape(num_eps, kept),
    )
