"""FGSM and PGD, untargeted and targeted, on a batch of images in [0, 1]."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.adversarial.boundary import AttackError, _as_labels, _check_eps, _check_images, attack_mode


METHODS = ("fgsm", "pgd")


# Madry et al.'s rule of thumb: steps of 2.5 * eps / steps let PGD reach the box's faces and still
# move along them.
PGD_STEP_FACTOR = 2.5


def default_step_size(eps: float, steps: int) -> float:
    """PGD's step size alpha = 2.5 * eps / steps (Madry et al.)."""
    return PGD_STEP_FACTOR * eps / steps


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
