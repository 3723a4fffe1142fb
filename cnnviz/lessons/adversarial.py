"""The Adversarial lab's lesson: the settings its controls build, the attack on one image with
every number and sentence the page shows, and the accuracy-against-epsilon sweep's table.

Everything here is what pages/adversarial.py shows, computed from plain values; the page only
draws it. Images are (C, H, W) and may be non-square, so shapes are always given as
channels x height x width.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from cnnviz import adversarial, data, images, paths
from cnnviz.figures.adversarial_figures import AccuracyCurve

# --- The page's prose, kept here so the page stays a view ---

INTRO = (
    "A network that is right 90% of the time can be fooled by a change to the image that you can "
    "hardly see. The **Fast Gradient Sign Method** asks the network which way each pixel should move "
    "to make its loss grow, and moves every pixel by the same small amount ε in that direction:"
)
FORMULA = (
    r"x_{\mathrm{adv}} = \operatorname{clip}\big(x + \varepsilon \cdot "
    r"\operatorname{sign}(\nabla_x \mathcal{L}(f(x), y)),\ 0,\ 1\big)"
)
BUDGET = (
    "Pixels are in [0, 1], so ε = 8/255 ≈ 0.031 means no pixel changes by more than 8 of its 255 grey "
    "levels. **PGD** (projected gradient descent) repeats smaller FGSM steps of size α and after each "
    "one clips the change back into [−ε, ε]: a stronger attack with the same budget. A **targeted** "
    "attack steps *down* the loss of a class you choose, pulling the prediction towards it."
)
TRY_THIS = (
    "**Try this first:** attack a test image with FGSM at ε = 26/255 ≈ 0.1. The prediction usually "
    "flips, though you still see the same piece of clothing. Then lower ε to find the smallest change "
    "that still fools the network, switch to PGD (it succeeds at a much smaller ε), and run the sweep "
    "below to see the whole test set fall."
)
NO_MODEL = (
    "No trained model is available yet. Train one on the Training page (a LeNet-5 on "
    "Fashion-MNIST takes a minute), or upload a checkpoint on the Home page, then come back."
)
UPLOAD_WAITING = "Upload a photo to attack it."
PHOTO_NOTE = (
    " A photo has no known true class, so the attack pushes the image away from "
    "the network's own prediction."
)
PERTURBATION_CAPTION = (
    "The middle picture makes the change visible: it is amplified so that the largest "
    "allowed change, ε, becomes pure white (+ε) or black (−ε); grey pixels did not move. "
    "Unamplified, it is the difference between the two outer pictures. At 0.1 you may "
    "see faint noise; at 8/255 or less you will hardly see anything, and PGD still "
    "fools the network often."
)
PNG_CAPTION = (
    "A PNG stores 8-bit pixels, so every value is rounded to the nearest 1/255: a change "
    "smaller than half a step is lost on the way to the file."
)
SWEEP_INTRO = (
    "One image is an anecdote. Here every test image is attacked at each ε, and the accuracy that "
    "is left is drawn as a curve, for two models at once: compare a normal model with one trained "
    "on adversarial examples (an option on the Training page). The dotted grey curve is the PyTorch "
    "FGSM tutorial's LeNet on MNIST, for comparison."
)
SWEEP_PGD = (
    f"PGD here uses 10 steps of α = {adversarial.PGD_STEP_FACTOR:g}ε/10 from a random start (Madry et al.)."
)
SWEEP_WAITING = "Choose the models and attacks, then press **Run the sweep**."
NO_ATTACK = "Choose at least one attack."
EXAMPLES_CAPTION = (
    "Each title is the network's prediction and its confidence: green while it is right, red once fooled."
)

# --- What the controls offer, declared once: the page's widgets read these ---

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


def formula(settings: AttackSettings) -> str:
    """The attack's update in LaTeX with the student's numbers (no class names: nothing to escape).

    FGSM: x_adv = clip(x + eps * sign(grad), 0, 1). PGD: from x_0 (x, or a random point of the
    eps-box), ``steps`` steps of size alpha, each clipped into the box and into [0, 1]. A
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
    return rf"x_0 = {start},\quad x_{{k+1}} = {update},\quad x_{{\mathrm{{adv}}}} = x_{{{settings.steps}}}"


# --- The image to attack ---


@dataclass(frozen=True)
class ModelTestSet:
    """A model's test set, or the sentence saying why there is none (``problem``)."""

    dataset: data.ImageDataset | None
    problem: str = ""


def shape_words(shape: Sequence[int]) -> str:
    """(C, H, W) as "C x H x W"."""
    return " x ".join(str(int(n)) for n in shape)


def load_test_set(dataset: str, input_shape: tuple[int, int, int]) -> ModelTestSet:
    """The test set of the model's dataset, when it is on this machine and fits the model.

    Args:
        dataset: the checkpoint's dataset name, "" when it does not say.
        input_shape: the model's (C, H, W).
    """
    unavailable = "The test set is not available: "
    if not dataset:
        return ModelTestSet(None, unavailable + "This checkpoint does not say which dataset it was trained on.")
    try:
        found = data.load_dataset(dataset)
    except (data.DatasetUnavailable, ValueError) as err:
        return ModelTestSet(None, unavailable + str(err))
    if tuple(found.test_images.shape[1:]) != tuple(input_shape):
        return ModelTestSet(None, f"{unavailable}This model takes {shape_words(input_shape)} images but its "
                                  f"dataset's are {shape_words(found.test_images.shape[1:])}; use a photo instead.")
    return ModelTestSet(found)


def class_positions(labels, wanted: int) -> list[int]:
    """The test-set indices of every image of class ``wanted``, in order."""
    return [int(i) for i in np.flatnonzero(np.asarray(labels) == wanted)]


def which_label(class_name: str, count: int) -> str:
    """The label of the number input choosing one of ``count`` images of a class."""
    return f"Which {class_name} (0 to {count - 1})"


def no_images_of(class_name: str) -> str:
    """What the page says when the test set holds no image of the chosen class."""
    return f"The test set has no {class_name}; pick another class."


@dataclass(frozen=True)
class AttackInput:
    """The image to attack and what the page says about it.

    Attributes:
        image: (1, C, H, W) float tensor in [0, 1].
        label: its true class, or None for a photo (the attack then pushes away from the
            network's own prediction).
        note: one sentence about where it came from (names a class of the checkpoint: escape it).
    """

    image: object
    label: int | None
    note: str


def image_from_test_set(test_set: data.ImageDataset, index: int, classes: Sequence[str]) -> AttackInput:
    """Test image ``index`` (of the whole test set) as the attack's input."""
    label = int(test_set.test_labels[index])
    return AttackInput(
        data.to_float(test_set.test_images[index : index + 1]), label,
        f"Test image {index} of {len(test_set.test_labels):,}; its true class is {classes[label]}.",
    )


def photo_input(photo, input_shape: tuple[int, int, int], dataset: str) -> AttackInput:
    """A photo made into the model's input: its channels and H x W, inverted when the dataset
    shows light objects on black and the photo's border is bright."""
    white_on_black = False
    if dataset:
        try:
            white_on_black = data.dataset_info(dataset).white_on_black
        except ValueError:
            pass
    channels, height, width = input_shape
    prepared = images.prepare_for_model(photo, channels=channels, size=(height, width),
                                        invert="auto" if white_on_black else False)
    return AttackInput(prepared.tensor, None, prepared.note + PHOTO_NOTE)


# --- One attack ---


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


# --- The sweep ---


def short_names(found) -> dict[str, str]:
    """A distinct short name per checkpoint for legends and tabs: the file's stem, or the run's
    folder for runs/<id>/model.pt, numbered when two coincide.

    Args:
        found: catalog entries (anything with ``key`` and ``path``), in menu order.

    Returns:
        {entry key: short name}.
    """
    names: dict[str, str] = {}
    for m in found:
        base = paths.run_id_of(m.path) or m.path.stem
        name, number = base, 2
        while name in names.values():
            name, number = f"{base} ({number})", number + 1
        names[m.key] = name
    return names


@dataclass(frozen=True)
class SweepSettings:
    """The sweep's controls as they were when Run was pressed.

    Attributes:
        models: the catalog keys of adv_sweep_a and adv_sweep_b (the "none" entry left out).
        methods: adv_sweep_methods, keys of METHODS.
        epsilons: adv_sweep_eps, a key of EPSILON_SETS.
        fgsm_images, pgd_images: adv_sweep_fgsm_n, adv_sweep_pgd_n: the first so many test images.
    """

    models: tuple[str, ...]
    methods: tuple[str, ...]
    epsilons: str
    fgsm_images: int
    pgd_images: int

    @property
    def epsilon_values(self) -> tuple[float, ...]:
        return tuple(EPSILON_SETS[self.epsilons])

    def images_for(self, method: str) -> int:
        """How many test images ``method`` ("fgsm" or "pgd") attacks."""
        return self.fgsm_images if method == "fgsm" else self.pgd_images


@dataclass(frozen=True)
class SweepJob:
    """One model under one attack: what to run and how the page names it."""

    key: str  # the model's catalog key
    name: str  # its short name
    dataset: str
    classes: tuple[str, ...]
    method: str  # "fgsm" or "pgd"
    num_images: int


@dataclass(frozen=True)
class SweepPlan:
    """The sweep's jobs, the models it cannot sweep (sentences) and a warning ("" for none)."""

    jobs: tuple[SweepJob, ...]
    problems: tuple[str, ...]
    warning: str


def plan_sweep(settings: SweepSettings, entries: dict, names: dict[str, str]) -> SweepPlan:
    """What the sweep runs: each chosen model that is still listed and names its dataset, under
    each chosen attack, in that order.

    Args:
        settings: the sweep's controls.
        entries: {catalog key: catalog entry} of the models listed now.
        names: short_names of those entries.
    """
    jobs, problems, datasets = [], [], set()
    for key in settings.models:
        entry = entries.get(key)
        if entry is None:
            continue  # a checkpoint that has since disappeared
        if not entry.dataset:
            problems.append(f"{entry.path.name} does not say which dataset it was trained on, so it cannot be swept.")
            continue
        datasets.add(entry.dataset)
        jobs += [SweepJob(key, names[key], entry.dataset, tuple(entry.classes), METHODS[m],
                          settings.images_for(METHODS[m]))
                 for m in settings.methods]
    warning = ""
    if len(datasets) > 1:
        warning = (f"The two models were trained on different datasets ({' and '.join(sorted(datasets))}), "
                   "so each is measured on its own test set: compare the curves with care.")
    return SweepPlan(tuple(jobs), tuple(problems), warning)


def progress_text(job: SweepJob, number: int, total: int) -> str:
    """The progress bar's text while job ``number`` (from 0) of ``total`` runs."""
    return f"Attacking the test set: {job.name}, {job.method.upper()} ({number + 1} of {total})"


def sweep_rows(name: str, sweep: adversarial.SweepResult) -> list[dict]:
    """The table's rows for one model under one attack: one per epsilon."""
    return [
        {
            "Model": name,
            "Attack": sweep.method.upper(),
            "ε": f"{eps:.3f}",
            "ε (/255)": f"{eps * 255:.1f}",
            "Accuracy": f"{acc:.1%}",
            "Attack success (of those right before)": f"{success:.1%}",
            "Mean confidence": f"{confidence:.1%}",
            "Images": sweep.num_images,
        }
        for eps, acc, success, confidence in zip(sweep.epsilons, sweep.accuracy, sweep.success_rate,
                                                 sweep.mean_confidence)
    ]


@dataclass(frozen=True)
class SweepTab:
    """One tab of example images: its title, its chart's key, the job's sweep and class names."""

    title: str
    chart_key: str
    sweep: adversarial.SweepResult
    classes: tuple[str, ...]


@dataclass(frozen=True)
class SweepView:
    """What the sweep shows: the curves, the table's rows and a tab per job."""

    curves: tuple[AccuracyCurve, ...]
    rows: tuple[dict, ...]
    tabs: tuple[SweepTab, ...]


def sweep_view(done: Sequence[tuple[SweepJob, adversarial.SweepResult]]) -> SweepView:
    """The curves, rows and tabs for the jobs that finished, in their order."""
    return SweepView(
        curves=tuple(AccuracyCurve(job.name, sweep.method, sweep.epsilons, sweep.accuracy, sweep.num_images)
                     for job, sweep in done),
        rows=tuple(row for job, sweep in done for row in sweep_rows(job.name, sweep)),
        tabs=tuple(SweepTab(f"{job.name}: {sweep.method.upper()}", f"adv_examples_{job.key}_{sweep.method}",
                            sweep, job.classes)
                   for job, sweep in done),
    )
