"""Streamlit caching for the pages, in one place: no page decorates its own functions, so every
cache and its limit can be read (and checked, tests/test_layout.py) here.

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
# One cache_resource entry per checkpoint file, whichever page asks: the Inside page and the
# Adversarial lab used to load their own copies of the same network.


@st.cache_resource(max_entries=6, show_spinner="Loading the network...")
def checkpoint_network(path: str, mtime_ns: int):
    """The checkpoint at ``path`` in eval mode on the compute device; a re-written file (new
    mtime) is a new entry. Raises cnnviz.models.CheckpointError with a sentence."""
    from cnnviz import devices
    from cnnviz.models import load_checkpoint

    return load_checkpoint(path, map_location=devices.pick_device())


def image_hash(tensor) -> str:
    """A short content hash of an input tensor, the cache key of everything computed on it."""
    import hashlib

    array = tensor.detach().cpu().contiguous().numpy()
    return hashlib.sha1(array.tobytes() + str(array.shape).encode()).hexdigest()[:16]


# --- Inside a network ---
# One model key string per network, so every cache below is keyed on primitives:
# "checkpoint::<path>::<mtime_ns>" (a re-trained file gets a new key) or "zoo::<registry name>".
# Captures and attributions hook the model, so they run on a private deep copy: the shared
# cache_resource model is never hooked in place while another session computes with it.

ZOO_PREFIX = "zoo::"
CHECKPOINT_PREFIX = "checkpoint::"


def inside_checkpoint_key(path: str | Path) -> str:
    """The model key of a checkpoint file (its modification time included)."""
    path = Path(path)
    return f"{CHECKPOINT_PREFIX}{path}::{path.stat().st_mtime_ns}"


@st.cache_resource(max_entries=3, show_spinner="Loading the network...")
def inside_network(model_key: str):
    """The network behind a model key, in eval mode, with what the page needs to know about it.

    Returns:
        dict with "model", "classes" (list of str), "meta" (dict), "dataset" (registry name or
        ""), "title" and "note" (a sentence to show, or "").

    Raises:
        cnnviz.models.CheckpointError: a checkpoint that cannot be used (with its sentence).
    """
    from cnnviz import devices
    from cnnviz.models import get_model, imagenet_classes, imagenet_weights_file, model_spec

    device = devices.pick_device()
    if model_key.startswith(ZOO_PREFIX):
        name = model_key[len(ZOO_PREFIX):]
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
        return {"model": model.to(device).eval(), "classes": classes, "meta": {}, "dataset": "",
                "title": spec.title if trained else f"{spec.title} (untrained)", "note": note}
    path, mtime_ns = model_key[len(CHECKPOINT_PREFIX):].rsplit("::", 1)
    model = checkpoint_network(path, int(mtime_ns))
    dataset = str(model.meta.get("dataset", "")).replace("_", "-")
    title = paths.run_id_of(path) or Path(path).stem  # a run is named by its folder
    return {"model": model, "classes": list(model.classes), "meta": dict(model.meta), "dataset": dataset,
            "title": title, "note": ""}


def _private_copy(model_key: str):
    import copy

    return copy.deepcopy(inside_network(model_key)["model"])


@st.cache_resource(max_entries=4, show_spinner=False)
def inside_untrained_twin(model_key: str):
    """The same architecture freshly initialised (seed 0): what training started from."""
    from cnnviz import learned_kernels

    return learned_kernels.untrained_twin(inside_network(model_key)["model"], seed=0)


inside_image_hash = image_hash


@st.cache_data(max_entries=4, show_spinner="Running the image through every layer...")
def inside_layer_outputs(model_key: str, image_hash: str, _image):
    """activations.capture_layer_outputs, once per (model, image): changing the chosen layer or
    channel reruns the page but not the forward pass."""
    from cnnviz import activations

    return activations.capture_layer_outputs(_private_copy(model_key), _image)


@st.cache_data(max_entries=16, show_spinner=False)
def inside_gradcam_layers(model_key: str, image_hash: str, _image) -> list[str]:
    from cnnviz import attribution

    return attribution.gradcam_layers(_private_copy(model_key), _image)


@st.cache_data(max_entries=32, show_spinner="Computing the attribution map...")
def inside_attribution(model_key: str, image_hash: str, _image, method: str, target: int | None, layer: str | None):
    """attribution.attribute on a private copy of the network; raises AttributionError."""
    from cnnviz import attribution

    return attribution.attribute(_private_copy(model_key), _image, method, target=target, layer=layer)


@st.cache_data(max_entries=4, show_spinner="Classifying every test image...")
def inside_test_predictions(model_key: str, dataset: str):
    """(probabilities (N, K), predictions (N,), targets (N,)) over the test set, once per model.

    Raises:
        cnnviz.data.DatasetUnavailable: the dataset is not on this machine.
    """
    from cnnviz import data, metrics

    test = data.load_dataset(dataset)
    probabilities, predictions = metrics.predict_dataset(inside_network(model_key)["model"], test.test_images, 1000)
    return probabilities, predictions, test.test_labels.clone()


# --- Adversarial lab ---
# Networks are cache_resource, keyed on "<checkpoint path>::<mtime_ns>" so a re-trained file is
# reloaded; attacks never change them (gradients are taken with respect to the input only, in
# eval mode). Attacks and sweeps are pure results in cache_data, keyed on that key and the settings.


def adversarial_model_key(path: str | Path) -> str:
    """The cache key of a checkpoint file: its path and modification time."""
    path = Path(path)
    return f"{path}::{path.stat().st_mtime_ns}"


def adversarial_network(model_key: str):
    """The checkpoint behind a key (shared cache); raises cnnviz.models.CheckpointError."""
    path, mtime_ns = model_key.rsplit("::", 1)
    return checkpoint_network(path, int(mtime_ns))


adversarial_image_hash = image_hash


@st.cache_data(max_entries=32, show_spinner="Attacking...")
def adversarial_attack(model_key: str, image_hash: str, _image, method: str, eps: float, label: int | None,
                       target: int | None, steps: int, step_size: float | None, random_start: bool):
    """adversarial.attack_image, once per (model, image, settings); raises AttackError."""
    from cnnviz import adversarial

    return adversarial.attack_image(
        adversarial_network(model_key), _image, method=method, eps=eps, label=label, target=target,
        steps=steps, step_size=step_size, random_start=random_start,
    )


def adversarial_progress(bar, offset: float, share: float, text: str):
    """A progress callback for adversarial_sweep: moves ``bar`` from offset to offset + share.

    It updates the bar from a copy of the caller's context. Streamlit records every st call made
    while a cached function runs, to replay it on a cache hit, and replaying a call on a bar
    created outside the function fails; in the caller's context nothing is recorded.
    """
    import contextvars

    outside = contextvars.copy_context()

    def report(fraction: float) -> None:
        outside.run(bar.progress, min(1.0, offset + share * fraction), text=text)

    return report


@st.cache_data(max_entries=24, show_spinner=False)
def adversarial_sweep(model_key: str, dataset: str, num_images: int, epsilons: tuple[float, ...], method: str,
                      _progress=None):
    """adversarial.sweep over the first ``num_images`` test images of ``dataset``.

    Raises:
        cnnviz.data.DatasetUnavailable, cnnviz.adversarial.AttackError: with a sentence.
    """
    from cnnviz import adversarial, data

    test = data.load_dataset(dataset)
    return adversarial.sweep(
        adversarial_network(model_key), test.test_images[:num_images], test.test_labels[:num_images],
        epsilons, method, batch_size=500, num_examples=6, progress=_progress,
    )


# --- Convolution lab ---
# Keyed on primitives: the input's identity (sample name, upload file id, or the grid's numbers),
# the kernels as tuples, the bias and the frozen ConvSettings (hashed field by field). Stepping
# the animation never calls these: the page hands the result to its player fragment once.

LAB_MAX_SIDE = 512  # photos in the lab are shrunk to this: every rerun stays fast
# A transposed convolution can blow a 512 px photo up to 2600 px (a 167 MB cached result, 2 s):
# the lab refuses outputs with a side above this, with a sentence.
LAB_MAX_OUTPUT_SIDE = 1536


def conv_lab_too_large(settings, in_height: int, in_width: int) -> str | None:
    """The sentence refusing an output the lab will not draw (a side over LAB_MAX_OUTPUT_SIDE), or None."""
    _, out_h, out_w = settings.output_shape(in_height, in_width)
    if max(out_h, out_w) <= LAB_MAX_OUTPUT_SIDE:
        return None
    return (f"The output would be {out_h} x {out_w} pixels; the lab draws outputs up to {LAB_MAX_OUTPUT_SIDE} "
            "pixels a side: lower the stride, the dilation or the kernel, or use the numeric grid.")


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


# --- Receptive fields ---
# Fields and counts need shapes only, so zoo networks are built on the "meta" device (no weights,
# no memory, VGG-16 in milliseconds) and cached per (network, input size). The effective field
# needs real weights: it reuses the Inside page's cached network (one copy in memory per server)
# and hooks a private deep copy of it, never the shared model.


@st.cache_resource(max_entries=12, show_spinner=False)
def receptive_shape_model(model_name: str):
    """A zoo network with shapes but no weights (meta device): for fields and counting only."""
    import torch

    from cnnviz.models import get_model

    with torch.device("meta"):
        return get_model(model_name)


def _receptive_counting_model(model_key: str):
    if model_key.startswith(ZOO_PREFIX):
        return receptive_shape_model(model_key[len(ZOO_PREFIX):])
    return inside_network(model_key)["model"]


@st.cache_data(max_entries=32, show_spinner="Following the network layer by layer...")
def receptive_field_rows(model_key: str, input_shape: tuple[int, int, int]):
    """receptive.receptive_fields; raises receptive.ReceptiveFieldError with a sentence."""
    from cnnviz import receptive

    return receptive.receptive_fields(_receptive_counting_model(model_key), input_shape)


@st.cache_data(max_entries=32, show_spinner="Counting parameters, memory and multiply-adds...")
def receptive_architecture(model_key: str, input_shape: tuple[int, int, int]):
    """architecture.architecture_table; raises architecture.ArchitectureError with a sentence."""
    from cnnviz import architecture

    return architecture.architecture_table(_receptive_counting_model(model_key), input_shape)


@st.cache_data(max_entries=2, show_spinner="Counting every network in the zoo...")
def receptive_zoo_comparison() -> list[dict]:
    """One summary per zoo network at its own input size: the comparison chart's numbers."""
    from cnnviz.models import list_models, model_spec

    summaries = []
    for name in list_models():
        model = receptive_shape_model(name)
        table = receptive_architecture(ZOO_PREFIX + name, tuple(model.input_shape))
        rows = receptive_field_rows(ZOO_PREFIX + name, tuple(model.input_shape))
        finite = [row for row in rows if row.spatial and not row.whole_input]
        summaries.append({
            "name": model_spec(name).title,
            "input": " x ".join(str(v) for v in model.input_shape),
            "parameters": table.total_parameters,
            "mult_adds": table.total_mult_adds,
            "activation_mb": table.total_activation_bytes / 2**20,
            "size_mb": table.model_size_mb,
            "final_field": max(finite[-1].size) if finite else 0,
        })
    return summaries


@st.cache_data(max_entries=64, show_spinner=False)
def receptive_stack_report(layers: tuple[tuple, ...], in_channels: int, input_size: int):
    """stack_builder.report_stack for the builder's table; raises receptive.ReceptiveFieldError.

    Args:
        layers: one tuple of StackLayer's fields per layer (plain values, so the key hashes cheaply).
        in_channels, input_size: the builder's input image.
    """
    from cnnviz import stack_builder

    return stack_builder.report_stack([stack_builder.StackLayer(*layer) for layer in layers], in_channels, input_size)


@st.cache_data(max_entries=64, show_spinner="Back-propagating from the chosen unit...")
def receptive_effective_field(model_key: str, image_hash: str, _image, layer: str, unit: tuple[int, int]):
    """effective_field.effective_field on a private copy of the network; raises EffectiveFieldError."""
    from cnnviz import effective_field

    return effective_field.effective_field(_private_copy(model_key), _image, layer, unit)
