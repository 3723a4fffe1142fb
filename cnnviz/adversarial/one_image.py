"""One image attacked for the page: the adversarial picture, its perturbation and both predictions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnviz.adversarial.attacks import METHODS, default_step_size, fgsm, pgd
from cnnviz.adversarial.boundary import AttackError, _check_images, attack_mode
from cnnviz.devices import model_device


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
    device = model_device(model)
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
