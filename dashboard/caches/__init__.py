"""Streamlit caching, in one package: no page decorates its own functions, so every cache and its
limit can be read (and checked, tests/test_layout.py) here. This module holds what every page
shares (photos, the catalog, opened networks); dashboard/caches/<page>.py holds one page's caches.

Models live in st.cache_resource: shared across sessions, so they are put in eval mode once and
never trained, nor hooked in place except by a hook that acts only in the thread that set it. Pure results live in st.cache_data, keyed on primitives (a
network on its cnnviz.model_ref.ModelRef's key), with max_entries on anything image-sized so
that a room of students cannot grow the server's memory without bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from cnnviz import catalog, images, paths
from cnnviz.model_ref import ModelRef


@st.cache_data(max_entries=16, show_spinner=False)
def sample_image(name: str):
    """A bundled photo (PIL image), decoded once per server."""
    return images.load_sample_image(name)


@st.cache_data(max_entries=32, show_spinner=False)
def uploaded_image(data: bytes, max_side: int = 1024):
    """Decode an upload and shrink it so every page computes on a bounded size.

    Raises images.ImageError with a sentence for the page to show.
    """
    return images.shrink_to(images.decode_image(data), max_side)


def _checkpoint_fingerprint(uploaded: tuple[str, ...]) -> tuple:
    """Names, sizes and modification times of every checkpoint: cheap, and changes on any write."""
    files = [*paths.PRETRAINED_DIR.glob("*.pt"), *paths.run_checkpoints()]
    files += [Path(p) for p in uploaded]
    return tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.exists())


@st.cache_data(max_entries=64, show_spinner=False)
def _trained_models(fingerprint: tuple, uploaded: tuple[str, ...]):
    return catalog.list_trained_models(uploaded)


def trained_models(uploaded: tuple[str, ...] = ()):
    """catalog.list_trained_models, re-read only when a checkpoint file changes."""
    return _trained_models(_checkpoint_fingerprint(uploaded), uploaded)


def session_uploads() -> tuple[str, ...]:
    """Checkpoints uploaded in this browser session (paths), for every page's model menu; one
    deleted since (expired, or removed by hand) is dropped, not reported."""
    return tuple(p for p in st.session_state.get("uploaded_checkpoints", ()) if Path(p).is_file())


def remember_upload(path: Path) -> None:
    uploads = list(session_uploads())
    if str(path) not in uploads:
        uploads.append(str(path))
    st.session_state["uploaded_checkpoints"] = uploads


# --- Trained networks and inputs, shared by every page ---
# Every wrapper that takes a network takes its cnnviz.model_ref.ModelRef, hashed by its key
# (BY_KEY): one entry per network and input, whichever page asks and whatever its menu says.
# One cache_resource entry per checkpoint file: the pages used to load their own copies.
# Captures and attributions hook the model, so they run on a private deep copy: the shared
# cache_resource model is never hooked in place while another session computes with it. The one
# exception is the effective field (cnnviz.effective_field.captured_output), whose hook ignores
# every thread but its own, so it probes the shared model without copying VGG-sized weights.

BY_KEY = {ModelRef: lambda ref: ref.key}


@st.cache_resource(max_entries=6, show_spinner="Loading the network...", hash_funcs=BY_KEY)
def checkpoint_network(ref: ModelRef):
    """The checkpoint ``ref`` names, in eval mode on the compute device; a re-written file (new
    version) is a new entry. Raises cnnviz.models.CheckpointError with a sentence."""
    from cnnviz import devices
    from cnnviz.models import load_checkpoint

    return load_checkpoint(ref.path, map_location=devices.pick_device())


def image_hash(tensor) -> str:
    """A short content hash of an input tensor, the cache key of everything computed on it."""
    import hashlib

    array = tensor.detach().cpu().contiguous().numpy()
    return hashlib.sha1(array.tobytes() + str(array.shape).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class OpenedNetwork:
    """A network in eval mode, with what a page needs to know about it."""

    model: object  # the torch module, shared: never trained or hooked in place
    classes: list[str]
    meta: dict  # the checkpoint's meta, {} for a zoo network
    dataset: str  # the registry name of its dataset, "" when unknown
    title: str
    note: str  # a sentence to show, or ""


@st.cache_resource(max_entries=3, show_spinner="Loading the network...", hash_funcs=BY_KEY)
def opened_network(ref: ModelRef) -> OpenedNetwork:
    """The network ``ref`` names: a zoo network (ImageNet weights when on this machine, else
    seeded random ones) or a checkpoint.

    Returns:
        OpenedNetwork: the model with its classes, meta, dataset, title and note.

    Raises:
        cnnviz.models.CheckpointError: a checkpoint that cannot be used (with its sentence).
    """
    from cnnviz import devices
    from cnnviz.models import get_model, imagenet_classes, imagenet_weights_file, model_spec

    device = devices.pick_device()
    if ref.is_zoo:
        name = ref.name
        spec = model_spec(name)
        note, trained = "", False
        if spec.family == "imagenet":
            weights_file = imagenet_weights_file(name)
            if weights_file.exists():
                model = get_model(name, weights="imagenet")
                trained = True
            else:
                import torch

                torch.manual_seed(0)
                model = get_model(name)
                note = (
                    f"ImageNet weights for {spec.title} are not on this machine, so this {spec.title} is "
                    "untrained (random weights): its predictions mean nothing, but its layers and kernels "
                    f"show the architecture. To use the weights offline, copy {weights_file.name} into "
                    f"{weights_file.parent}."
                )
            classes = imagenet_classes()
        else:
            import torch

            torch.manual_seed(0)
            model = get_model(name)
            classes = [f"class {i}" for i in range(model.num_classes)]
            note = (
                f"This {spec.title} is untrained (random weights, seed 0): its predictions mean nothing. "
                "Train it on the Training page to see what learning changes."
            )
        return OpenedNetwork(model.to(device).eval(), classes, {}, "",
                             spec.title if trained else f"{spec.title} (untrained)", note)
    model = checkpoint_network(ref)
    dataset = str(model.meta.get("dataset", "")).replace("_", "-")
    title = paths.run_id_of(ref.path) or Path(ref.path).stem  # a run is named by its folder
    return OpenedNetwork(model, list(model.classes), dict(model.meta), dataset, title, "")


def private_copy(ref: ModelRef):
    """A deep copy of the opened network, for anything that hooks it (never the shared model)."""
    import copy

    return copy.deepcopy(opened_network(ref).model)
