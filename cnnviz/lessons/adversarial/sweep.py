"""The accuracy-against-epsilon sweep: its settings as Run found them, the plan of which model
meets which attack, the progress text, and the curves, table rows and example tabs it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from cnnviz import adversarial
from cnnviz.figures.adversarial_figures import AccuracyCurve

from .settings import EPSILON_SETS, METHODS


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
