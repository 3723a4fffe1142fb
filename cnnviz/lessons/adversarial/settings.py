"""What the Adversarial lab's controls offer, declared once, and the one-image attack's settings.

The page's widgets read the option lists, ranges and defaults here (the sweep's too), and build
AttackSettings from them; the captions under the epsilon and step-size sliders say the chosen
numbers in both units. The sweep's own settings are in sweep.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz import adversarial

METHODS = {"FGSM": "fgsm", "PGD": "pgd"}  # menu label (as links carry it) -> cnnviz.adversarial's name
SOURCES = TEST_IMAGE, BUNDLED_PHOTO, OWN_PHOTO = ("A test image", "A bundled photo", "Your own photo")
EPS_STEPS = (0, 80)  # epsilon in 1/255 steps, lowest and highest
DEFAULT_EPS = 26  # about 0.1
PGD_STEPS = (1, 50)
DEFAULT_PGD_STEPS = 10
ALPHA_FRACTIONS = (0.05, 0.1, 0.25, 0.5, 1.0)  # PGD's step size, as a fraction of epsilon
DEFAULT_ALPHA = 0.25
EPSILON_SETS = {
    "The tutorial's: 0, 0.05, 0.10, ..., 0.30": adversarial.TUTORIAL_EPSILONS,
    "Small: 0, 1/255, 2/255, 4/255, 8/255, 16/255": (0.0, 1 / 255, 2 / 255, 4 / 255, 8 / 255, 16 / 255),
}
SWEEP_IMAGES = (100, 10_000)  # test images per sweep, lowest and highest, in steps of SWEEP_IMAGES_STEP
SWEEP_IMAGES_STEP = 100
DEFAULT_FGSM_IMAGES, DEFAULT_PGD_IMAGES = 10_000, 1_000
NO_SECOND_MODEL = "none"  # the second sweep menu's first entry, shown as "(none)"
TUTORIAL_CURVE = adversarial.TUTORIAL_FGSM_CURVE  # the sweep's optional reference curve


def epsilon_words(eps: float) -> str:
    """An epsilon in both units, e.g. "0.025 in [0, 1] = 6.5/255"."""
    return f"{eps:.3f} in [0, 1] = {eps * 255:.1f}/255"


@dataclass(frozen=True)
class AttackSettings:
    """The one-image attack's controls, named after their URL parameters (adv_*).

    Attributes:
        method: adv_method, a key of METHODS.
        eps: adv_eps, the budget in 1/255 steps (EPS_STEPS).
        steps: adv_steps, PGD's steps (PGD_STEPS).
        alpha: adv_alpha, PGD's step size as a fraction of epsilon (one of ALPHA_FRACTIONS).
        random_start: adv_random_start, PGD starts at a random point of the eps-box.
        target: adv_target when adv_targeted is on (a class index), else None.
    """

    method: str = "FGSM"
    eps: int = DEFAULT_EPS
    steps: int = DEFAULT_PGD_STEPS
    alpha: float = DEFAULT_ALPHA
    random_start: bool = True
    target: int | None = None

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"The attack must be one of {', '.join(METHODS)}, not {self.method!r}.")
        if not EPS_STEPS[0] <= self.eps <= EPS_STEPS[1]:
            raise ValueError(f"Epsilon must be {EPS_STEPS[0]} to {EPS_STEPS[1]} steps of 1/255, not {self.eps!r}.")

    @property
    def method_name(self) -> str:
        return METHODS[self.method]

    @property
    def is_pgd(self) -> bool:
        return self.method_name == "pgd"

    @property
    def eps_value(self) -> float:
        """Epsilon in [0, 1] pixel units."""
        return self.eps / 255

    @property
    def step_size(self) -> float | None:
        """PGD's alpha in pixel units; None at epsilon 0 (no step can leave an empty box)."""
        return self.alpha * self.eps_value if self.eps > 0 else None


def eps_caption(eps_steps: int) -> str:
    """Epsilon in /255 and in [0, 1], under its slider."""
    return f"ε = {eps_steps}/255 = {eps_steps / 255:.4f} in [0, 1] pixel units."


def alpha_caption(alpha: float, eps_steps: int) -> str:
    """PGD's step size (``alpha``, a fraction of epsilon) in both units, under its slider."""
    return f"α = {alpha:g} x ε = {epsilon_words(alpha * eps_steps / 255)} per step."
