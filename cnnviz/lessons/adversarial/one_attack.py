"""One attack on one image: its update written with the student's numbers, and the result with
every number and sentence the page shows about it (the metrics, the captions, the verdict).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from cnnviz import adversarial

from .inputs import AttackInput
from .settings import AttackSettings


def formula(settings: AttackSettings) -> str:
    """The attack's update in LaTeX with the student's numbers (no class names: nothing to escape).

    FGSM: x_adv = clip(x + eps * sign(grad), 0, 1). PGD: from x_0 (x, or a random point of the
    eps-box), ``steps`` steps of size alpha, each clipped into the box and into [0, 1], one line each. A
    targeted attack descends the target's loss: minus, and t for y.
    """
    eps = settings.eps_value
    sign, towards = ("-", "t") if settings.target is not None else ("+", "y")

    def step(at: str, size: float) -> str:  # the signed gradient step taken at ``at``
        return rf"{at} {sign} {size:.4f} \cdot \operatorname{{sign}}(\nabla_x \mathcal{{L}}(f({at}), {towards}))"

    if not settings.is_pgd:
        return rf"x_{{\mathrm{{adv}}}} = \operatorname{{clip}}\big({step('x', eps)},\ 0,\ 1\big)"
    start = rf"x + \mathcal{{U}}(-{eps:.4f},\ {eps:.4f})" if settings.random_start else "x"
    box = rf"[x - {eps:.4f},\ x + {eps:.4f}]\,\cap\,[0,\ 1]"
    update = rf"\operatorname{{clip}}_{{{box}}}\big({step('x_k', settings.alpha * eps)}\big)"
    # One line each, aligned on "=": on one line the update runs past a projector's column.
    return (rf"\begin{{aligned}} x_0 &= {start} \\ x_{{k+1}} &= {update} \\ "
            rf"x_{{\mathrm{{adv}}}} &= x_{{{settings.steps}}} \end{{aligned}}\;")  # \; : KaTeX's box was 2 px short


@dataclass(frozen=True)
class Metric:
    """One number above the pictures: label, value and the small line under it, as plain text.

    Attributes:
        from_checkpoint: the value is a class name from the checkpoint, to escape where markdown
            shows it.
        tone: the small line's colour: "red" when the attack succeeded, "green" when it failed,
            "off" for a number that judges nothing.
    """

    label: str
    value: str
    delta: str
    from_checkpoint: bool = False
    tone: str = "off"


@dataclass(frozen=True)
class Attack:
    """One attacked image with every number and sentence the page shows about it.

    Attributes:
        original, adversarial: (C, H, W) float32 arrays in [0, 1].
        probabilities_before, probabilities_after: (K,) softmax outputs.
        classes: the model's K class names.
        eps: the budget in [0, 1].
        before, after: the predicted classes.
        confidence_before, confidence_after: their probabilities.
        marked_label: the class marked "(true)" on the bars: the true class, None for a photo.
        target: the class pulled towards, or None.
        fooled: untargeted, the prediction left the attacked class; targeted, it reached the target.
        linf, l2: the change as measured, max |delta| and sqrt(sum delta^2).
        metrics: before, after, L-infinity and L2, as the page's four metrics show them.
        original_caption, adversarial_caption: under the outer pictures.
        outcome: one sentence saying what happened (names classes: escape it).
        file_name: of the adversarial image's PNG download.
    """

    original: np.ndarray
    adversarial: np.ndarray
    probabilities_before: np.ndarray
    probabilities_after: np.ndarray
    classes: tuple[str, ...]
    eps: float
    before: int
    after: int
    confidence_before: float
    confidence_after: float
    marked_label: int | None
    target: int | None
    fooled: bool
    linf: float
    l2: float
    metrics: tuple[Metric, ...]
    original_caption: str
    adversarial_caption: str
    outcome: str
    file_name: str


def attack(model, attack_input: AttackInput, settings: AttackSettings, classes: Sequence[str]) -> Attack:
    """Attack one image with ``settings`` and describe the result.

    Args:
        model: a classifier in [0, 1] pixel space (left unchanged).
        attack_input: the image and its true class (None: attack the model's own prediction).
        settings: the attack's controls.
        classes: the model's class names.

    Returns:
        Attack.

    Raises:
        cnnviz.adversarial.AttackError: settings or an image the model cannot take, with a sentence.
    """
    result = adversarial.attack_image(
        model, attack_input.image, method=settings.method_name, eps=settings.eps_value,
        label=attack_input.label, target=settings.target, steps=settings.steps,
        step_size=settings.step_size, random_start=settings.random_start,
    )
    before, after = result.prediction_before, result.prediction_after
    p_before, p_after = float(result.probabilities_before[before]), float(result.probabilities_after[after])
    target = settings.target
    fooled = after != result.label if target is None else after == target
    verdict = "fooled" if fooled else "held"
    linf, l2 = result.linf, result.l2
    metrics = (
        Metric("Prediction before", classes[before], f"{p_before:.1%} sure", from_checkpoint=True),
        Metric("Prediction after", classes[after], f"{p_after:.1%} sure ({verdict})", from_checkpoint=True,
               tone="red" if fooled else "green"),
        Metric("L∞ size of the change", f"{linf:.4f}", f"{linf * 255:.1f}/255"),
        Metric("L2 size of the change", f"{l2:.3f}", f"over {result.original.size:,} values"),
    )
    largest = f"No pixel moved by more than {linf * 255:.1f}/255 (the budget is {settings.eps}/255)"
    if target is not None:
        reached = "reached" if fooled else "did not reach"
        outcome = f"{largest}, and the prediction {reached} the target, {classes[target]}: it is {classes[after]}."
    elif before != result.label:
        outcome = (f"{largest}. The network was wrong before the attack already ({classes[before]}, not "
                   f"{classes[result.label]}); after it, it says {classes[after]}.")
    elif fooled:
        outcome = f"{largest}, and the prediction flipped from {classes[before]} to {classes[after]}."
    else:
        outcome = f"{largest}, and the prediction held: still {classes[after]}."
    return Attack(
        original=result.original, adversarial=result.adversarial,
        probabilities_before=result.probabilities_before, probabilities_after=result.probabilities_after,
        classes=tuple(classes), eps=settings.eps_value, before=before, after=after,
        confidence_before=p_before, confidence_after=p_after,
        marked_label=result.label if attack_input.label is not None else None, target=target,
        fooled=fooled, linf=linf, l2=l2, metrics=metrics,
        original_caption=f"{classes[before]}, {p_before:.0%}",
        adversarial_caption=f"{classes[after]}, {p_after:.0%}",
        outcome=outcome,
        file_name=f"adversarial-{settings.method_name}-eps{settings.eps}of255.png",
    )
