"""The feature-visualization page's runs: made on a private copy of the network (the objectives
hook it), and finished ones kept for every session that asks for the same plan (a plan makes the
same pictures each time on the CPU, so a hall pressing Run on the default computes it once)."""

from __future__ import annotations

import threading
from collections import OrderedDict

import streamlit as st

from cnnviz.model_ref import ModelRef
from dashboard.caches import BY_KEY, private_copy

KEPT = 48  # finished runs kept, the least recently shown dropped first (a few MB at most)
_finished: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()


def finished(ref: ModelRef, plan) -> object | None:
    """The Ascent a finished run of ``plan`` on ``ref`` made, or None."""
    with _lock:
        if (key := (ref.key, plan)) in _finished:
            _finished.move_to_end(key)
            return _finished[key]
    return None


def run(ref: ModelRef, plan, image=None, on_progress=None):
    """lesson.run on a private copy; a finished run is kept. Raises FeatureVisError."""
    from cnnviz.lessons import feature_vis as lesson

    ascent = lesson.run(private_copy(ref), plan, image, on_progress=on_progress)
    if not ascent.stopped:
        with _lock:
            _finished[(ref.key, plan)] = ascent
            while len(_finished) > KEPT:
                _finished.popitem(last=False)
    return ascent


def measured(ref: ModelRef, plan, image, pictures, steps_done: int):
    """A stopped run's pictures as an Ascent: their objective measured (no steps taken)."""
    import dataclasses

    from cnnviz.lessons import feature_vis as lesson

    ascent = lesson.run(private_copy(ref), plan, image, start=pictures, steps=0)
    return dataclasses.replace(ascent, steps=plan.steps, steps_done=steps_done)


def forget() -> None:
    """Drop every kept run (tests start from none)."""
    with _lock:
        _finished.clear()


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=BY_KEY)
def layer_kinds(ref: ModelRef):
    """cnnviz.feature_vis.layer_kinds of the network, once per network (on a private copy: it hooks)."""
    from cnnviz import feature_vis

    model = private_copy(ref)
    return feature_vis.layer_kinds(model, tuple(model.input_shape))
