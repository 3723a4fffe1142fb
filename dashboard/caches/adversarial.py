"""The Adversarial page's caches: one attack per image and settings, one sweep per test subset."""

from __future__ import annotations

import streamlit as st

from cnnviz.model_ref import ModelRef
from dashboard.caches import BY_KEY, checkpoint_network

# Attacks run on the shared checkpoint_network and never change it (gradients are taken with
# respect to the input only, in eval mode). Attacks and sweeps are pure results in cache_data,
# keyed on the checkpoint's reference and the settings.


@st.cache_data(max_entries=32, show_spinner="Attacking...", hash_funcs=BY_KEY)
def attack(ref: ModelRef, image_hash: str, label: int | None, settings, _attack_input):
    """cnnviz.lessons.adversarial.attack, once per (model, image, true class, settings).

    Args:
        image_hash: caches.image_hash of ``_attack_input.image``, its key (the tensor is not hashed).
        label: ``_attack_input.label``, part of the key.
        settings: the lesson's AttackSettings.

    Raises:
        cnnviz.adversarial.AttackError: with a sentence.
    """
    from cnnviz.lessons import adversarial as lesson

    network = checkpoint_network(ref)
    return lesson.attack(network, _attack_input, settings, list(network.classes))


def progress(bar, offset: float, share: float, text: str):
    """A progress callback for sweep: moves ``bar`` from offset to offset + share.

    It updates the bar from a copy of the caller's context. Streamlit records every st call made
    while a cached function runs, to replay it on a cache hit, and replaying a call on a bar
    created outside the function fails; in the caller's context nothing is recorded.
    """
    import contextvars

    outside = contextvars.copy_context()

    def report(fraction: float) -> None:
        outside.run(bar.progress, min(1.0, offset + share * fraction), text=text)

    return report


@st.cache_data(max_entries=24, show_spinner=False, hash_funcs=BY_KEY)
def sweep(ref: ModelRef, dataset: str, num_images: int, epsilons: tuple[float, ...], method: str,
          _progress=None):
    """adversarial.sweep over the first ``num_images`` test images of ``dataset``.

    Raises:
        cnnviz.data.DatasetUnavailable, cnnviz.adversarial.AttackError: with a sentence.
        cnnviz.models.CheckpointError: a checkpoint that cannot be used.
    """
    from cnnviz import adversarial, data

    test = data.load_dataset(dataset)
    return adversarial.sweep(
        checkpoint_network(ref), test.test_images[:num_images], test.test_labels[:num_images],
        epsilons, method, batch_size=500, num_examples=6, progress=_progress,
    )


def sweeps(jobs, refs: dict, epsilons: tuple[float, ...], bar=None):
    """Each job's sweep (cached), in order, moving ``bar`` (a progress bar, or None) across them.

    Args:
        jobs: the lesson's SweepJobs.
        refs: {catalog key: ModelRef}.
        epsilons: the budgets in [0, 1].
        bar: a progress bar, emptied at the end; None runs without one (results from the cache).

    Returns:
        ([(job, SweepResult)] for the jobs done, [(job, error)] for those that failed with a sentence).
    """
    from cnnviz import adversarial, data
    from cnnviz.lessons.adversarial import progress_text
    from cnnviz.models import CheckpointError
    from dashboard.markup import escape

    done, failed = [], []
    for number, job in enumerate(jobs):
        report = None
        if bar is not None:
            text = escape(progress_text(job, number, len(jobs)))
            report = progress(bar, number / len(jobs), 1 / len(jobs), text)
        try:
            done.append((job, sweep(refs[job.key], job.dataset, job.num_images, epsilons, job.method,
                                    _progress=report)))
        except (data.DatasetUnavailable, adversarial.AttackError, CheckpointError, OSError) as err:
            failed.append((job, err))
    if bar is not None:
        bar.empty()
    return done, failed
