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

The package is read as one module (cnnviz.adversarial.X); each idea lives in its own file:

    boundary        the checks on budgets, images and labels; the eval mode attacks run in
    attacks         FGSM and PGD on a batch
    one_image       one image attacked, for the page
    accuracy_sweep  accuracy under attack over a dataset, and the tutorial's curve
"""

from __future__ import annotations

from cnnviz.adversarial.accuracy_sweep import TUTORIAL_EPSILONS, TUTORIAL_FGSM_CURVE, SweepResult, sweep
from cnnviz.adversarial.attacks import (
    METHODS,
    PGD_STEP_FACTOR,
    adversarial_examples_batch,
    default_step_size,
    fgsm,
    pgd,
)
from cnnviz.adversarial.boundary import AttackError, attack_mode
from cnnviz.adversarial.one_image import AttackResult, attack_image

__all__ = [
    "METHODS", "PGD_STEP_FACTOR", "TUTORIAL_EPSILONS", "TUTORIAL_FGSM_CURVE",
    "AttackError", "AttackResult", "SweepResult",
    "adversarial_examples_batch", "attack_image", "attack_mode", "default_step_size", "fgsm", "pgd", "sweep",
]
