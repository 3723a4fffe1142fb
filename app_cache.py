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


# --- Convolution lab ---
# Keyed on primitives: the input's identity (sample name, upload file id, or the grid's numbers),
# the kernels as tuples, the bias and the frozen ConvSettings (hashed field by field). Stepping
# the animation never calls these: the page hands the result to its player fragment once.

LAB_MAX_SIDE = 512  # photos in the lab are shrunk to this: every rerun stays fast


@st.cache_data(max_entries=8, show_spinner=False)
def conv_lab_input(source: str, name: str, grey: bool, grid: tuple | None = None, _upload: bytes | None = None):
    """The lab's input as float32 (C, H, W) in [0, 1] (grid: the numbers as typed).

    Args:
        source: "photo" (name = a sample name), "upload" (name = the upload's file id, bytes in
            _upload) or "grid" (grid = rows of numbers).
        grey: use one grey channel instead of RGB.

    Raises:
        cnnviz.images.ImageError: an upload that cannot be decoded.
    """
    import numpy as np

    if source == "grid":
        return np.asarray(grid, dtype=np.float32)[None]  # (1, H, W)
    picture = sample_image(name) if source == "photo" else uploaded_image(_upload)
    picture = images.shrink_to(picture, LAB_MAX_SIDE)
    picture = picture.convert("L" if grey else "RGB")
    pixels = images.to_array(picture)  # (H, W) or (H, W, 3)
    return pixels[None] if pixels.ndim == 2 else np.ascontiguousarray(pixels.transpose(2, 0, 1))


@st.cache_data(max_entries=8, show_spinner="Convolving...")
def conv_lab_result(source: str, name: str, grey: bool, grid: tuple | None, kernels: tuple | None, bias: float,
                    settings, _upload: bytes | None = None) -> dict:
    """Everything the lab draws for one set of inputs and settings, computed once.

    Returns:
        dict with x (C_in, H, W), weight (weight_shape or None), bias (C_out,) or None,
        output (C_out, H_out, W_out), grid and kinds (the sliding grid, cnnviz.conv.sliding_grid),
        and for photos the encoded pictures input_layer / output_layer (conv_figures.PhotoLayer).

    Raises:
        cnnviz.conv.ConvSettingsError: settings with no output.
    """
    import numpy as np
    import torch

    from cnnviz import conv
    from cnnviz.figures import conv_figures

    x = conv_lab_input(source, name, grey, grid, _upload=_upload)
    weight = bias_values = None
    if not settings.is_pool:
        weight = conv.weight_from_channel_kernels(np.asarray(kernels, dtype=np.float32), settings)
        if settings.bias:
            bias_values = np.full(settings.out_channels, bias, dtype=np.float32)
    with torch.inference_mode():
        output = conv.apply(
            torch.from_numpy(x)[None],  # (1, C_in, H, W)
            None if weight is None else torch.from_numpy(weight),
            None if bias_values is None else torch.from_numpy(bias_values),
            settings,
        )[0].numpy()  # (C_out, H_out, W_out)
    values, kinds = conv.sliding_grid(x, settings)
    result = {"x": x, "weight": weight, "bias": bias_values, "output": output, "grid": values, "kinds": kinds}
    if source != "grid":
        result["input_layer"] = conv_figures.photo_layer(values)
        result["output_layer"] = conv_figures.photo_layer(output if output.shape[0] in (1, 3) else output[:1])
    return result


# --- Training ---


@st.cache_resource(show_spinner=False)
def run_manager():
    """The server's one cnnviz.runs.RunManager: background training runs shared by every session.

    Thread-safe by design (each session's script thread calls it); limits and timeouts come from
    CNNVIZ_MAX_RUNS, CNNVIZ_ORPHAN_SECONDS and CNNVIZ_MAX_RUN_SECONDS.
    """
    from cnnviz.runs import RunManager

    return RunManager(owner_alive=_session_connected)


def _session_connected(session_id: str) -> bool:
    """True while this browser session is connected (any page open); safe from any thread."""
    from streamlit import runtime

    return runtime.exists() and runtime.get_instance().is_active_session(session_id)


def training_owner() -> str:
    """This browser session's id: each session has at most one active run, and a run lives
    while its session is connected or its page polls (closing the tab frees the machine)."""
    if "training_owner" not in st.session_state:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        st.session_state["training_owner"] = ctx.session_id if ctx is not None else uuid_hex()
    return st.session_state["training_owner"]


def uuid_hex() -> str:
    import uuid

    return uuid.uuid4().hex
