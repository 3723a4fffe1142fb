"""Streamlit caching for the pages, in one place (house rule 4).

Models live in st.cache_resource: shared across sessions, so they are put in eval mode once and
never trained or hooked in place. Pure results live in st.cache_data, keyed on primitives, with
max_entries on anything image-sized so that a room of students cannot grow the server's memory
without bound.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cnnviz import catalog, images, paths


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
    files = [*paths.PRETRAINED_DIR.glob("*.pt"), *paths.runs_dir().glob("*/model.pt")]
    files += [Path(p) for p in uploaded]
    return tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.exists())


@st.cache_data(max_entries=64, show_spinner=False)
def _trained_models(fingerprint: tuple, uploaded: tuple[str, ...]):
    return catalog.list_trained_models(uploaded)


def trained_models(uploaded: tuple[str, ...] = ()):
    """catalog.list_trained_models, re-read only when a checkpoint file changes."""
    return _trained_models(_checkpoint_fingerprint(uploaded), uploaded)


def session_uploads() -> tuple[str, ...]:
    """Checkpoints uploaded in this browser session (paths), for every page's model menu."""
    return tuple(st.session_state.get("uploaded_checkpoints", ()))


def remember_upload(path: Path) -> None:
    uploads = list(session_uploads())
    if str(path) not in uploads:
        uploads.append(str(path))
    st.session_state["uploaded_checkpoints"] = uploads
