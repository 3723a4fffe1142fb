"""The Inside page's caches: captures, attributions, test-set predictions and embeddings of an opened network."""

from __future__ import annotations

import streamlit as st

from cnnviz.embeddings import SAMPLE_SIZE
from cnnviz.model_ref import ModelRef
from dashboard.caches import BY_KEY, opened_network, private_copy

@st.cache_resource(max_entries=4, show_spinner=False, hash_funcs=BY_KEY)
def untrained_twin(ref: ModelRef):
    """The same architecture freshly initialised (seed 0): what training started from."""
    from cnnviz import learned_kernels

    return learned_kernels.untrained_twin(opened_network(ref).model, seed=0)


@st.cache_resource(max_entries=4, show_spinner="Running the image through every layer...", hash_funcs=BY_KEY)
def layer_outputs(ref: ModelRef, image_hash: str, _image):
    """activations.capture_layer_outputs, once per (model, image): changing the chosen layer or
    channel reruns the page but not the forward pass.

    A resource, shared and read only (nothing downstream writes into it): as cache_data, each
    rerun unpickled a private copy, 30 MB and ~0.2 s for ResNet-18 at 224 x 224."""
    from cnnviz import activations

    return activations.capture_layer_outputs(private_copy(ref), _image)


@st.cache_data(max_entries=16, show_spinner=False, hash_funcs=BY_KEY)
def gradcam_layers(ref: ModelRef, image_hash: str, _image) -> list[str]:
    from cnnviz import attribution

    return attribution.gradcam_layers(private_copy(ref), _image)


@st.cache_data(max_entries=32, show_spinner="Computing the attribution map...", hash_funcs=BY_KEY)
def attribution_map(ref: ModelRef, image_hash: str, _image, method: str, target: int | None, layer: str | None):
    """attribution.attribute on a private copy of the network; raises AttributionError."""
    from cnnviz import attribution

    return attribution.attribute(private_copy(ref), _image, method, target=target, layer=layer)


@st.cache_data(max_entries=4, show_spinner="Classifying every test image...", hash_funcs=BY_KEY)
def test_predictions(ref: ModelRef, dataset: str):
    """(probabilities (N, K), predictions (N,), targets (N,)) over the test set, once per model.

    Raises:
        cnnviz.data.DatasetUnavailable: the dataset is not on this machine.
    """
    from cnnviz import data, metrics

    test = data.load_dataset(dataset)
    probabilities, predictions = metrics.predict_dataset(opened_network(ref).model, test.test_images, 1000)
    return probabilities, predictions, test.test_labels.clone()


@st.cache_data(max_entries=32, show_spinner=False, hash_funcs=BY_KEY)
def overview_figure(ref: ModelRef, image_hash: str, selected: str, _pictures, _kinds):
    """The strip of every step's mean, once per (model, image, chosen layer): a rerun for another
    channel, scale or order reuses it. ``_pictures``/``_kinds`` are those of (ref, image_hash)."""
    from cnnviz.figures import inside_figures

    return inside_figures.activation_overview(_pictures, _kinds, selected=selected)


@st.cache_data(max_entries=16, show_spinner="Changing the test images and measuring the accuracy...", hash_funcs=BY_KEY)
def shift_curve(ref: ModelRef, dataset: str, kind: str, count: int):
    """cnnviz.lessons.inside.shift_curve once per (model, dataset, change, image count).

    Raises:
        cnnviz.data.DatasetUnavailable: the dataset is not on this machine.
    """
    from cnnviz import data
    from cnnviz.lessons import inside
    from dashboard.markup import escape

    test, network = data.load_dataset(dataset), opened_network(ref)
    return inside.shift_curve(network.model, test.test_images, test.test_labels, network.classes, kind, count,
                              quote=escape)


@st.cache_resource(max_entries=8, show_spinner=False, hash_funcs=BY_KEY)
def receptive_fields(ref: ModelRef):
    """cnnviz.receptive.receptive_fields of the network, once per model: (rows, None) or ((), the reason)."""
    from cnnviz.receptive import ReceptiveFieldError
    from cnnviz.receptive import receptive_fields as walk

    try:
        return tuple(walk(opened_network(ref).model)), None
    except ReceptiveFieldError as error:
        return (), str(error)


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=BY_KEY)
def unit_explanation(ref: ModelRef, image_hash: str, _image, layer: str, unit: tuple[int, ...]):
    """unit_explanation.explain_unit on a private copy (it hooks the model); raises UnitExplanationError."""
    from cnnviz.unit_explanation import explain_unit

    return explain_unit(private_copy(ref), _image, layer, unit)


@st.cache_resource(max_entries=4, show_spinner=f"Collecting the features of {SAMPLE_SIZE:,} test images...", hash_funcs=BY_KEY)
def embedding_sample(ref: ModelRef, dataset: str):
    """cnnviz.embeddings.feature_sample once per (model, dataset), on a private copy (it hooks the model).

    A resource, shared and read only (its arrays are made read only): as cache_data each rerun
    would unpickle 3 MB of pixels. Raises cnnviz.data.DatasetUnavailable or EmbeddingError.
    """
    from cnnviz import data, embeddings

    test = data.load_dataset(dataset)
    sample = embeddings.feature_sample(private_copy(ref), test.test_images, test.test_labels)
    for array in (sample.indices, sample.labels, sample.features, sample.pixels):
        array.flags.writeable = False  # shared by every session: a write raises instead of leaking
    return sample


@st.cache_data(max_entries=8, show_spinner="Projecting the features to two dimensions (t-SNE: a few seconds)...",
               hash_funcs=BY_KEY)
def embedding_projection(ref: ModelRef, dataset: str, method: str):
    """cnnviz.embeddings.project of the sample's features, once per (model, dataset, PCA or t-SNE)."""
    from cnnviz import embeddings

    return embeddings.project(embedding_sample(ref, dataset).features, method)


@st.cache_data(max_entries=16, show_spinner=False, hash_funcs=BY_KEY)
def embedding_agreement(ref: ModelRef, dataset: str, k: int):
    """cnnviz.embeddings.sample_agreement once per (model, dataset, k): two numbers."""
    from cnnviz import embeddings

    return embeddings.sample_agreement(embedding_sample(ref, dataset), k)


@st.cache_data(max_entries=32, show_spinner=False, hash_funcs=BY_KEY)
def embedding_features(ref: ModelRef, image_hash: str, _image):
    """The image's penultimate features (F,), once per (model, image), on a private copy."""
    from cnnviz import embeddings

    return embeddings.penultimate_features(private_copy(ref), _image)[0]


@st.cache_resource(max_entries=4, show_spinner="Running every test image through the network to find the ones "
                   "that excite each channel of each layer most...", hash_funcs=BY_KEY)
def _every_layer_examples(ref: ModelRef, dataset: str) -> dict:
    """cnnviz.dataset_examples.every_layer_examples once per (model, dataset), on a private copy (it
    hooks the model): every layer's channels in one pass, so another layer or channel is a lookup.
    Shared and read only (its arrays are made read only)."""
    from cnnviz import data, dataset_examples

    every = dataset_examples.every_layer_examples(private_copy(ref), data.load_dataset(dataset).test_images)
    for found in every.values():
        for array in (found.indices, found.values, found.positions, found.constant):
            if array is not None:
                array.flags.writeable = False  # shared by every session: a write raises instead of leaking
    return every


def top_examples(ref: ModelRef, dataset: str, layer: str):
    """One layer's cnnviz.dataset_examples.LayerExamples, from the network's every-layer pass.
    Raises cnnviz.data.DatasetUnavailable or DatasetExamplesError."""
    from cnnviz.dataset_examples import DatasetExamplesError

    every = _every_layer_examples(ref, dataset)
    if layer not in every:
        raise DatasetExamplesError(f"Layer {layer} gives neither feature maps nor a vector: no test images to rank.")
    return every[layer]
