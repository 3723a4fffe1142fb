"""Streamlit caching for the pages, in one place: no page decorates its own functions, so every
cache and its limit can be read (and checked, tests/test_layout.py) here.

Models live in st.cache_resource: shared across sessions, so they are put in eval mode once and
never trained or hooked in place. Pure results live in st.cache_data, keyed on primitives (a
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
# (_BY_KEY): one entry per network and input, whichever page asks and whatever its menu says.
# One cache_resource entry per checkpoint file: the pages used to load their own copies.
# Captures and attributions hook the model, so they run on a private deep copy: the shared
# cache_resource model is never hooked in place while another session computes with it.

_BY_KEY = {ModelRef: lambda ref: ref.key}


@st.cache_resource(max_entries=6, show_spinner="Loading the network...", hash_funcs=_BY_KEY)
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


@st.cache_resource(max_entries=3, show_spinner="Loading the network...", hash_funcs=_BY_KEY)
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


def _private_copy(ref: ModelRef):
    import copy

    return copy.deepcopy(opened_network(ref).model)


# --- Inside a network ---


@st.cache_resource(max_entries=4, show_spinner=False, hash_funcs=_BY_KEY)
def inside_untrained_twin(ref: ModelRef):
    """The same architecture freshly initialised (seed 0): what training started from."""
    from cnnviz import learned_kernels

    return learned_kernels.untrained_twin(opened_network(ref).model, seed=0)


@st.cache_data(max_entries=4, show_spinner="Running the image through every layer...", hash_funcs=_BY_KEY)
def inside_layer_outputs(ref: ModelRef, image_hash: str, _image):
    """activations.capture_layer_outputs, once per (model, image): changing the chosen layer or
    channel reruns the page but not the forward pass."""
    from cnnviz import activations

    return activations.capture_layer_outputs(_private_copy(ref), _image)


@st.cache_data(max_entries=16, show_spinner=False, hash_funcs=_BY_KEY)
def inside_gradcam_layers(ref: ModelRef, image_hash: str, _image) -> list[str]:
    from cnnviz import attribution

    return attribution.gradcam_layers(_private_copy(ref), _image)


@st.cache_data(max_entries=32, show_spinner="Computing the attribution map...", hash_funcs=_BY_KEY)
def inside_attribution(ref: ModelRef, image_hash: str, _image, method: str, target: int | None, layer: str | None):
    """attribution.attribute on a private copy of the network; raises AttributionError."""
    from cnnviz import attribution

    return attribution.attribute(_private_copy(ref), _image, method, target=target, layer=layer)


@st.cache_data(max_entries=4, show_spinner="Classifying every test image...", hash_funcs=_BY_KEY)
def inside_test_predictions(ref: ModelRef, dataset: str):
    """(probabilities (N, K), predictions (N,), targets (N,)) over the test set, once per model.

    Raises:
        cnnviz.data.DatasetUnavailable: the dataset is not on this machine.
    """
    from cnnviz import data, metrics

    test = data.load_dataset(dataset)
    probabilities, predictions = metrics.predict_dataset(opened_network(ref).model, test.test_images, 1000)
    return probabilities, predictions, test.test_labels.clone()


# --- Adversarial lab ---
# Attacks run on the shared checkpoint_network and never change it (gradients are taken with
# respect to the input only, in eval mode). Attacks and sweeps are pure results in cache_data,
# keyed on the checkpoint's reference and the settings.


@st.cache_data(max_entries=32, show_spinner="Attacking...", hash_funcs=_BY_KEY)
def adversarial_attack(ref: ModelRef, image_hash: str, _image, method: str, eps: float, label: int | None,
                       target: int | None, steps: int, step_size: float | None, random_start: bool):
    """adversarial.attack_image, once per (model, image, settings); raises AttackError."""
    from cnnviz import adversarial

    return adversarial.attack_image(
        checkpoint_network(ref), _image, method=method, eps=eps, label=label, target=target,
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


@st.cache_data(max_entries=24, show_spinner=False, hash_funcs=_BY_KEY)
def adversarial_sweep(ref: ModelRef, dataset: str, num_images: int, epsilons: tuple[float, ...], method: str,
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
# needs real weights: it reuses opened_network, the Inside page's too (one copy in memory per server)
# and hooks a private deep copy of it, never the shared model.


@st.cache_resource(max_entries=12, show_spinner=False)
def receptive_shape_model(model_name: str):
    """A zoo network with shapes but no weights (meta device): for fields and counting only."""
    import torch

    from cnnviz.models import get_model

    with torch.device("meta"):
        return get_model(model_name)


def counting_model(ref: ModelRef):
    """The network to follow or count: shapes only for the zoo, the opened checkpoint otherwise."""
    return receptive_shape_model(ref.name) if ref.is_zoo else opened_network(ref).model


@st.cache_data(max_entries=32, show_spinner="Following the network layer by layer...", hash_funcs=_BY_KEY)
def receptive_field_rows(ref: ModelRef, input_shape: tuple[int, int, int]):
    """receptive.receptive_fields; raises receptive.ReceptiveFieldError with a sentence."""
    from cnnviz import receptive

    return receptive.receptive_fields(counting_model(ref), input_shape)


@st.cache_data(max_entries=32, show_spinner="Counting parameters, memory and multiply-adds...", hash_funcs=_BY_KEY)
def receptive_architecture(ref: ModelRef, input_shape: tuple[int, int, int]):
    """architecture.architecture_table; raises architecture.ArchitectureError with a sentence."""
    from cnnviz import architecture

    return architecture.architecture_table(counting_model(ref), input_shape)


@st.cache_data(max_entries=2, show_spinner="Counting every network in the zoo...")
def receptive_zoo_comparison() -> list[dict]:
    """One summary per zoo network at its own input size: the comparison chart's numbers."""
    from cnnviz.models import list_models, model_spec

    summaries = []
    for name in list_models():
        model, ref = receptive_shape_model(name), ModelRef.zoo(name)
        table = receptive_architecture(ref, tuple(model.input_shape))
        rows = receptive_field_rows(ref, tuple(model.input_shape))
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


@st.cache_data(max_entries=64, show_spinner="Back-propagating from the chosen unit...", hash_funcs=_BY_KEY)
def receptive_effective_field(ref: ModelRef, image_hash: str, _image, layer: str, unit: tuple[int, int]):
    """effective_field.effective_field on a private copy of the network; raises EffectiveFieldError."""
    from cnnviz import effective_field

    return effective_field.effective_field(_private_copy(ref), _image, layer, unit)
