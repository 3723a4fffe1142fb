"""Adversarial examples: FGSM and PGD attacks in pixel space, and accuracy under attack.

Every attack here is an L-infinity attack on images in [0, 1] (normalisation is the model's first
layer, so pixel space is the model's input space: docs/conventions.md). Each result stays in
[0, 1] and within ``eps`` of its input in every pixel.

    FGSM (Goodfellow et al., 2015, https://arxiv.org/abs/1412.6572), one step:
        x_adv = clip(x + eps * sign(grad_x loss(f(x), y)), 0, 1)
    PGD (Madry et al., 2018, https://arxiv.org/abs/1706.06083), FGSM steps of size alpha, each
    projected back into the eps-box around x (and into [0, 1]), from a random start in the box.
    Targeted variants step *down* the loss of a chosen target class instead of up the loss of the
    true class, so the prediction is pulled towards the target.

Why this is written here and not taken from captum.robust (FGSM, PGD), though an existing, tested
library is preferred where one does the job: captum 0.9 does not give this cleanly.
    - Its FGSM leaves every pixel whose gradient is below ``zero_thresh = 1e-6`` unchanged. For a
      confidently classified image the loss gradient is tiny everywhere, so captum moves few or no
      pixels: exactly the case the lesson is about, and the result no longer equals the formula.
    - Its PGD draws the random start from the global generator (no ``generator`` argument), so a
      sweep cannot be reproduced without reseeding the whole process.
    - It recomputes the gradient for every epsilon. FGSM's gradient does not depend on epsilon, so
      the sweep below computes it once per batch and reuses it for all epsilons: 1 backward pass
      instead of 7, which is what brings the 10,000-image sweep under 15 s on a CPU.
    - It warns on every call that the input "did not already require gradients".
The tests check FGSM against the formula computed directly with torch.autograd.

The model is never changed: attacks compute in eval mode (dropout off, batch-norm statistics
frozen) and put back the mode they found; gradients are taken with ``torch.autograd.grad`` with
respect to the input only, so no ``param.grad`` is written and no ``requires_grad`` flag is touched
(cached models are shared between sessions and threads).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

METHODS = ("fgsm", "pgd")

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

# Madry et al.'s rule of thumb: steps of 2.5 * eps / steps let PGD reach the box's faces and still
# move along them.
PGD_STEP_FACTOR = 2.5


class AttackError(ValueError):
    """Attack settings or inputs that cannot work; the message is a sentence for a student."""


def default_step_size(eps: float, steps: int) -> float:
    """PGD's step size alpha = 2.5 * eps / steps (Madry et al.)."""
    return PGD_STEP_FACTOR * eps / steps


# ---------------------------------------------------------------------------------------------
# Checks at the boundary


def _check_eps(eps: float, name: str = "Epsilon") -> float:
    if not isinstance(eps, (int, float)) or isinstance(eps, bool) or not 0 <= eps <= 1:
        raise AttackError(f"{name} must be a number between 0 and 1 (pixel units), not {eps!r}.")
    return float(eps)


def _check_images(model: nn.Module, images: torch.Tensor) -> None:
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or not images.is_floating_point():
        raise AttackError("Images must be a float tensor of shape (N, C, H, W) with values in [0, 1].")
    expected = getattr(model, "input_shape", None)
    if expected is not None and tuple(images.shape[1:]) != tuple(expected):
        c, h, w = expected
        got_c, got_h, got_w = images.shape[1:]
        raise AttackError(
            f"This model expects {c}-channel {h} x {w} images, but these are {got_c}-channel "
            f"{got_h} x {got_w}; pick a model trained on this kind of image."
        )
    if images.numel() and (images.min() < 0 or images.max() > 1):
        raise AttackError("Image values must lie in [0, 1]; divide 8-bit pixels by 255 first.")


def _as_labels(labels, count: int, num_classes: int | None, device: torch.device, what: str) -> torch.Tensor:
    """An int, a sequence or a tensor of class indices -> int64 tensor (count,) on device."""
    labels = torch.as_tensor(labels, device=device).long().reshape(-1)
    if labels.numel() == 1 and count != 1:
        labels = labels.expand(count)
    if labels.numel() != count:
        raise AttackError(f"Give one {what} per image: {count} images but {labels.numel()} {what}s.")
    if num_classes is not None and labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise AttackError(f"Every {what} must be a class index from 0 to {num_classes - 1}.")
    return labels


def _model_device(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


@contextlib.contextmanager
def attack_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Run a block with the model in eval mode, then put back the mode it had.

    Attacks must see the network as it predicts (dropout off, batch-norm running statistics), and
    a training loop that calls an attack must get its model back in training mode.
    """
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        if was_training:
            model.train()


# ---------------------------------------------------------------------------------------------
# Attacks


def _loss_gradient(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradient of the summed cross-entropy with respect to the images, and the logits.

    Summed, not averaged, so each image's gradient does not depend on the batch size. Taken with
    autograd.grad on the input only: nothing accumulates in any param.grad.

    Returns:
        grad (N, C, H, W) and logits (N, K), both detached.
    """
    x = images.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logits = model(x)
        loss = F.cross_entropy(logits, labels, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
    return grad, logits.detach()


def _ascent_direction(model, images, labels, targeted, target) -> torch.Tensor:
    """sign(grad) to step along: up the true class's loss, or down the target class's loss."""
    if targeted:
        grad, _ = _loss_gradient(model, images, target)
        return -grad.sign()
    grad, _ = _loss_gradient(model, images, labels)
    return grad.sign()


def _prepare(model, images, labels, eps, targeted, target):
    _check_images(model, images)
    eps = _check_eps(eps)
    num_classes = getattr(model, "num_classes", None)
    labels = _as_labels(labels, images.shape[0], num_classes, images.device, "label")
    if targeted:
        if target is None:
            raise AttackError("A targeted attack needs a target class.")
        target = _as_labels(target, images.shape[0], num_classes, images.device, "target")
    return labels, eps, target


def fgsm(
    model: nn.Module,
    images: torch.Tensor,
    labels,
    eps: float,
    *,
    targeted: bool = False,
    target=None,
) -> torch.Tensor:
    """Fast Gradient Sign Method: one step of size eps along the sign of the input gradient.

    Paper: Goodfellow, Shlens, Szegedy (2015), "Explaining and harnessing adversarial examples",
    https://arxiv.org/abs/1412.6572

        untargeted: x_adv = clip(x + eps * sign(grad_x CE(f(x), y)), 0, 1)
        targeted:   x_adv = clip(x - eps * sign(grad_x CE(f(x), t)), 0, 1)

    Args:
        model: a classifier taking (N, C, H, W) floats in [0, 1] and returning logits (N, K).
            Left as it was: same mode, no param.grad, same requires_grad flags.
        images: (N, C, H, W) float in [0, 1], on the model's device.
        labels: true classes, int or (N,) ints (the class to move away from).
        eps: L-infinity budget in pixel units, [0, 1]; 8/255 is about 0.031.
        targeted: pull towards ``target`` instead of pushing away from ``labels``.
        target: class(es) to pull towards, int or (N,) ints; required when targeted.

    Returns:
        (N, C, H, W) detached float tensor in [0, 1], each pixel within eps of ``images``.

    Example:
        >>> x_adv = fgsm(model, x, y, eps=0.1)
        >>> (x_adv - x).abs().max() <= 0.1
    """
    labels, eps, target = _prepare(model, images, labels, eps, targeted, target)
    with attack_mode(model):
        direction = _ascent_direction(model, images, labels, targeted, target)
    return (images.detach() + eps * direction).clamp(0, 1)


def pgd(
    model: nn.Module,
    images: torch.Tensor,
    labels,
    eps: float,
    steps: int,
    step_size: float,
    random_start: bool = True,
    *,
    targeted: bool = False,
    target=None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Projected Gradient Descent: repeated FGSM steps, each projected back into the eps-box.

    Paper: Madry, Makelov, Schmidt, Tsipras, Vladu (2018), "Towards deep learning models resistant
    to adversarial attacks", https://arxiv.org/abs/1706.06083

        x_0 = x + uniform(-eps, eps) (random_start) or x
        x_{t+1} = clip(clip_eps(x_t + alpha * sign(grad_x CE(f(x_t), y))), 0, 1)

    With steps=1, step_size=eps and random_start=False it is exactly FGSM.

    Args:
        model, images, labels, eps, targeted, target: as for ``fgsm``.
        steps: number of gradient steps, >= 1.
        step_size: alpha, the L-infinity size of each step in pixel units, > 0. A common choice
            is ``default_step_size(eps, steps)`` = 2.5 * eps / steps.
        random_start: start from a uniformly random point of the eps-box (PGD as Madry et al.
            define it) rather than from the image itself.
        generator: torch.Generator for the random start, for reproducible results; None uses the
            global one. Its device is where the noise is drawn.

    Returns:
        (N, C, H, W) detached float tensor in [0, 1], each pixel within eps of ``images``.
    """
    labels, eps, target = _prepare(model, images, labels, eps, targeted, target)
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise AttackError(f"PGD needs a whole number of steps, at least 1, not {steps!r}.")
    if eps == 0:  # an empty box: nothing may move (any step size would be projected away)
        return images.detach().clone()
    if not isinstance(step_size, (int, float)) or isinstance(step_size, bool) or not step_size > 0:
        raise AttackError(f"The PGD step size must be a positive number, not {step_size!r}.")
    original = images.detach()
    lower, upper = original - eps, original + eps
    adversarial = original.clone()
    if random_start:
        noise_device = generator.device if generator is not None else original.device
        noise = torch.rand(original.shape, generator=generator, device=noise_device)
        adversarial = (original + (2 * noise.to(original.device) - 1) * eps).clamp(0, 1)
    with attack_mode(model):
        for _ in range(steps):
            direction = _ascent_direction(model, adversarial, labels, targeted, target)
            adversarial = adversarial + step_size * direction
            # Project into the eps-box around the original, then into the valid pixel range.
            adversarial = torch.minimum(torch.maximum(adversarial, lower), upper).clamp(0, 1)
    return adversarial


def adversarial_examples_batch(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    method: str,
    eps: float,
    *,
    steps: int = 7,
    step_size: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Adversarial versions of one training batch, for adversarial training.

    Call it in the training loop before the forward pass, and train on the result (or on a mix
    of clean and adversarial images). The attack runs in eval mode and gives the model back in
    the mode it was in (training); it writes no param.grad, so it can be called before or after
    ``optimizer.zero_grad()``.

    Args:
        model: the model being trained, on the batch's device.
        images: (N, C, H, W) float in [0, 1].
        labels: (N,) int64 true classes.
        method: "fgsm" or "pgd" (PGD with a random start, as Madry et al. train).
        eps: L-infinity budget in [0, 1], e.g. 0.1 for Fashion-MNIST.
        steps: PGD steps (ignored for FGSM).
        step_size: PGD step size; None -> 2.5 * eps / steps.
        generator: for PGD's random start; None uses the global generator.

    Returns:
        (N, C, H, W) detached float tensor in [0, 1], within eps of ``images``.
    """
    if method == "fgsm":
        return fgsm(model, images, labels, eps)
    if method == "pgd":
        alpha = default_step_size(eps, steps) if step_size is None else step_size
        return pgd(model, images, labels, eps, steps, alpha, random_start=True, generator=generator)
    raise AttackError(f"The attack must be one of {', '.join(METHODS)}, not {method!r}.")


# ---------------------------------------------------------------------------------------------
# One image, for the page


@dataclass(frozen=True)
class AttackResult:
    """One attacked image and what the model thinks before and after.

    Attributes:
        original, adversarial: (C, H, W) float32 arrays in [0, 1].
        probabilities_before, probabilities_after: (K,) softmax outputs.
        label: the class attacked away from (the true class, or the model's prediction when the
            true class is unknown).
        target: the class pulled towards in a targeted attack, else None.
        eps: the L-infinity budget used.
    """

    original: np.ndarray
    adversarial: np.ndarray
    probabilities_before: np.ndarray
    probabilities_after: np.ndarray
    label: int
    target: int | None
    eps: float

    @property
    def perturbation(self) -> np.ndarray:
        """adversarial - original, (C, H, W), each value in [-eps, eps]."""
        return self.adversarial - self.original

    @property
    def linf(self) -> float:
        """Largest change of any pixel value: max |delta| (<= eps)."""
        return float(np.abs(self.perturbation).max())

    @property
    def l2(self) -> float:
        """Euclidean length of the change, sqrt(sum delta^2) over all pixels and channels."""
        return float(np.sqrt(np.square(self.perturbation, dtype=np.float64).sum()))

    @property
    def prediction_before(self) -> int:
        return int(self.probabilities_before.argmax())

    @property
    def prediction_after(self) -> int:
        return int(self.probabilities_after.argmax())


def attack_image(
    model: nn.Module,
    image: torch.Tensor,
    *,
    method: str,
    eps: float,
    label: int | None = None,
    target: int | None = None,
    steps: int = 10,
    step_size: float | None = None,
    random_start: bool = True,
    seed: int = 0,
) -> AttackResult:
    """Attack one image and report the probabilities before and after.

    Args:
        model: classifier in [0, 1] pixel space, left unchanged.
        image: (1, C, H, W) or (C, H, W) float in [0, 1], on any device.
        method: "fgsm" or "pgd".
        eps: L-infinity budget in [0, 1].
        label: the true class; None attacks the model's own prediction (an uploaded photo has no
            true class).
        target: a class to pull towards (a targeted attack), or None.
        steps, step_size, random_start: PGD settings; step_size None -> 2.5 * eps / steps.
        seed: seeds PGD's random start, so the same settings give the same picture.

    Returns:
        AttackResult with numpy arrays on the CPU.
    """
    if method not in METHODS:
        raise AttackError(f"The attack must be one of {', '.join(METHODS)}, not {method!r}.")
    device = _model_device(model)
    x = image.to(device).float()
    if x.ndim == 3:
        x = x.unsqueeze(0)  # (C, H, W) -> (1, C, H, W)
    _check_images(model, x)
    if x.shape[0] != 1:
        raise AttackError("One image at a time here; use fgsm or pgd to attack a batch.")
    with attack_mode(model), torch.no_grad():
        before = model(x).softmax(dim=1)[0]
    if label is None:
        label = int(before.argmax())
    targeted = target is not None
    if method == "fgsm" or eps == 0:
        adversarial = fgsm(model, x, label, eps, targeted=targeted, target=target)
    else:
        alpha = default_step_size(eps, steps) if step_size is None else step_size
        generator = torch.Generator(device=device).manual_seed(seed)
        adversarial = pgd(
            model, x, label, eps, steps, alpha, random_start,
            targeted=targeted, target=target, generator=generator,
        )
    with attack_mode(model), torch.no_grad():
        after = model(adversarial).softmax(dim=1)[0]
    return AttackResult(
        original=x[0].cpu().numpy(),
        adversarial=adversarial[0].cpu().numpy(),
        probabilities_before=before.cpu().numpy(),
        probabilities_after=after.cpu().numpy(),
        label=int(label),
        target=None if target is None else int(target),
        eps=float(eps),
    )


# ---------------------------------------------------------------------------------------------
# Accuracy under attack over a dataset


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
    model_device = _model_device(model)
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
