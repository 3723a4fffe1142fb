"""The Adversarial lab's lesson: the settings its controls build, the attack on one image with
every number and sentence the page shows, and the accuracy-against-epsilon sweep's table.

Everything here is what pages/adversarial.py shows, computed from plain values; the page only
draws it. Images are (C, H, W) and may be non-square, so shapes are always given as
channels x height x width.

Which file holds what (every name is re-exported here, so ``lesson.X`` finds it):

- texts.py: the page's prose (introduction, captions, what it says while it waits).
- settings.py: what the controls offer (methods, sources, ranges, defaults, epsilon sets), the
  one-image attack's AttackSettings and the captions under its sliders.
- inputs.py: the image to attack: the model's test set, a test image of a class, or a photo.
- one_attack.py: the attack's formula with the student's numbers, and one attack's result
  (metrics, captions, verdict).
- checkpoint_names.py: short, distinct names for the checkpoints the sweep compares.
- sweep.py: the accuracy-against-epsilon sweep: its settings, plan, progress text, curves,
  table rows and example tabs.
"""

from __future__ import annotations

from .checkpoint_names import short_names
from .inputs import (
    AttackInput,
    ModelTestSet,
    class_positions,
    image_from_test_set,
    load_test_set,
    no_images_of,
    photo_input,
    shape_words,
    which_label,
)
from .one_attack import Attack, Metric, attack, formula
from .settings import (
    ALPHA_FRACTIONS,
    BUNDLED_PHOTO,
    DEFAULT_ALPHA,
    DEFAULT_EPS,
    DEFAULT_FGSM_IMAGES,
    DEFAULT_PGD_IMAGES,
    DEFAULT_PGD_STEPS,
    EPS_STEPS,
    EPSILON_SETS,
    METHODS,
    NO_SECOND_MODEL,
    OWN_PHOTO,
    PGD_STEPS,
    SOURCES,
    SWEEP_IMAGES,
    SWEEP_IMAGES_STEP,
    TEST_IMAGE,
    TUTORIAL_CURVE,
    AttackSettings,
    alpha_caption,
    eps_caption,
    epsilon_words,
)
from .sweep import (
    SweepJob,
    SweepPlan,
    SweepSettings,
    SweepTab,
    SweepView,
    plan_sweep,
    progress_text,
    sweep_rows,
    sweep_view,
)
from .texts import (
    BUDGET,
    EXAMPLES_CAPTION,
    FORMULA,
    INTRO,
    NO_ATTACK,
    NO_MODEL,
    PERTURBATION_CAPTION,
    PHOTO_NOTE,
    PNG_CAPTION,
    SWEEP_INTRO,
    SWEEP_PGD,
    SWEEP_WAITING,
    TRY_THIS,
    UPLOAD_WAITING,
)

__all__ = [
    # texts.py
    "INTRO", "FORMULA", "BUDGET", "TRY_THIS", "NO_MODEL", "UPLOAD_WAITING", "PHOTO_NOTE",
    "PERTURBATION_CAPTION", "PNG_CAPTION", "SWEEP_INTRO", "SWEEP_PGD", "SWEEP_WAITING", "NO_ATTACK",
    "EXAMPLES_CAPTION",
    # settings.py
    "METHODS", "SOURCES", "TEST_IMAGE", "BUNDLED_PHOTO", "OWN_PHOTO", "EPS_STEPS", "DEFAULT_EPS",
    "PGD_STEPS", "DEFAULT_PGD_STEPS", "ALPHA_FRACTIONS", "DEFAULT_ALPHA", "EPSILON_SETS", "SWEEP_IMAGES",
    "SWEEP_IMAGES_STEP", "DEFAULT_FGSM_IMAGES", "DEFAULT_PGD_IMAGES", "NO_SECOND_MODEL", "TUTORIAL_CURVE",
    "epsilon_words", "AttackSettings", "eps_caption", "alpha_caption",
    # inputs.py
    "ModelTestSet", "shape_words", "load_test_set", "class_positions", "which_label", "no_images_of",
    "AttackInput", "image_from_test_set", "photo_input",
    # one_attack.py
    "formula", "Metric", "Attack", "attack",
    # checkpoint_names.py
    "short_names",
    # sweep.py
    "SweepSettings", "SweepJob", "SweepPlan", "plan_sweep", "progress_text", "sweep_rows", "SweepTab",
    "SweepView", "sweep_view",
]
