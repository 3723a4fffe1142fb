"""The Adversarial page's caches: one attack per image and settings, one sweep per test subset."""

from __future__ import annotations

import streamlit as st

from cnnviz.model_ref import ModelRef
from dashboard.caches import BY_KEY, checkpoint_network

# Attacks run on the shared checkpoint_network and never change it (gradients are taken with
# respect to the input only, in eval mode). Attacks and sweeps are pure results in cache_data,
# keyed on the checkpoint's reference and the settings.


@st.cache_data(max_entries=32, show_spinner="Attacking...", hash_funcs=BY_KEY)
def attack(ref: ModelRef, image_hash: str, _image, method: str, eps: float, label: int | None,
                       target: int | None, steps: int, step_size: float | None, random_start: bool):
    """adversarial.attack_image, once per (model, image, settings); raises AttackError."""
    from cnnviz import adversarial

    return adversarial.attack_image(
        checkpoint_network(ref), _image, method=method, eps=eps, label=label, target=target,
        steps=steps, step_size=step_size, random_start=random_start,
    )


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
    """
    from cnnviz import adversarial, data

    test = data.load_dataset(dataset)
    return adversarial.sweep(
        checkpoint_network(ref), test.test_images[:num_images], test.test_labels[:num_images],
        epsilons, method, batch_size=500, num_examples=6, progress=_progress,
    )
