"""The widgets every page repeats, written once: a widget bound to the URL, the trained-network
list and its menu, a bundled photo and an uploaded photo.

Each returns plain values (a ModelRef, a PIL image) for the page to hand to its lesson; a bad file
gets one sentence on the page and None, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnviz import images
from cnnviz.model_ref import ModelRef
from dashboard import caches, links
from dashboard.markup import escape

UPLOAD_LABEL = "A photo (JPEG, PNG, WebP, BMP, GIF or TIFF)"


def bound(widget: Callable, label: str, *args, key: str, **kwargs):
    """``widget(label, *args, key=key, **kwargs)`` bound to the URL parameter ``key``, so a shared
    link reopens it with the same value."""
    return widget(label, *args, key=key, bind=links.BIND, **kwargs)


def kept_editor(container, start, key: str, check: Callable[[object], object], **kwargs):
    """``container.data_editor(start, key=key, **kwargs)`` whose edits outlive a run that does not draw
    it (a lazily run tab while closed): Streamlit drops a widget's state then, and a data editor's
    cannot be set back, so the last table that passed ``check`` (raises on a bad one) is kept beside
    it and becomes its starting table when it is drawn again. A crafted bad table is never kept."""
    shelf = st.session_state.setdefault("kept_editors", {})
    base, shown = shelf.get(key, (start, start))
    if key not in st.session_state:  # first drawn, or dropped while hidden
        base = shown
    table = container.data_editor(base, key=key, **kwargs)
    try:
        check(table)
    except Exception:  # the caller says why; the last good table stays kept
        shelf[key] = (base, shown)
    else:
        shelf[key] = (base, table)
    return table


def trained_networks(say: Callable[[str], object] = st.warning) -> list[tuple[object, ModelRef]]:
    """Every usable checkpoint (shipped, runs, this session's uploads) with its ModelRef, shipped
    first; each skipped file is named with ``say`` (a sentence) and one deleted since it was
    listed is left out."""
    found, problems = caches.trained_models(caches.session_uploads())
    for problem in problems:
        say(f"Skipped a checkpoint: {escape(problem)}")
    networks = []
    for entry in found:
        try:
            networks.append((entry, ModelRef.checkpoint(entry)))
        except OSError:  # deleted between the listing and now
            continue
    return networks


def network_menu(label: str, refs: list[ModelRef], key: str, *, container=st, **kwargs) -> ModelRef:
    """A menu of networks, shown and linked by their labels; returns the chosen one's ModelRef."""
    options = {ref.label: ref for ref in refs}
    chosen = bound(container.selectbox, label, list(options), key=key, **kwargs)
    return options[chosen]


def bundled_photo(key: str, *, index: int = 0, described: bool = False, container=st):
    """A menu of the bundled photos (linked by name); returns the chosen photo as a PIL image.

    ``described``: the chosen photo's description as a caption under the menu (in the menu itself
    it was cut to "cat: Chelsea the cat, a colo..." in a narrow column on a projector)."""
    name = bound(container.selectbox, "Photo", images.sample_image_names(), key=key, index=index)
    if described:
        container.caption(images.SAMPLE_IMAGES[name])
    return caches.sample_image(name)


def uploaded_photo(key: str, *, waiting: str, label: str = UPLOAD_LABEL, say_waiting=st.info, container=st,
                   keep: bool = False):
    """A photo uploader; returns the decoded (and shrunk) photo, or None after saying ``waiting``
    while nothing is uploaded, or the sentence of a file that is not a usable image.

    ``keep``: for an uploader in a lazily run tab. Streamlit drops its file while the tab is closed
    and a file cannot be set back, so the last photo is kept in the session and shown again (with a
    caption saying so) until another is uploaded; removing the file from the uploader forgets it."""
    kept, restored = f"{key}::kept", f"{key}::restored"
    dropped = key not in st.session_state  # never drawn, or dropped while its tab was closed
    upload = container.file_uploader(label, key=key)
    if upload is None:
        if keep and kept in st.session_state and (dropped or st.session_state.get(restored)):
            st.session_state[restored] = True
            name, picture = st.session_state[kept]
            container.caption(f"Showing **{escape(name)}**, uploaded before; upload another to change it.")
            return picture
        st.session_state.pop(kept, None)
        say_waiting(waiting)
        return None
    try:
        picture = caches.uploaded_image(upload.getvalue())
    except images.ImageError as error:
        st.error(str(error))
        return None
    if keep:
        st.session_state[kept], st.session_state[restored] = (upload.name, picture), False
    return picture
