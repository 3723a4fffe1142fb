"""The Receptive fields page's caches: shape-only networks, fields, counts and effective fields."""

from __future__ import annotations

import threading

import streamlit as st

from cnnviz.model_ref import ModelRef
from dashboard.caches import BY_KEY, opened_network

# Fields and counts need shapes only, so zoo networks are built on the "meta" device (no weights,
# no memory, VGG-16 in milliseconds) and cached per (network, input size). The effective field
# needs real weights, but only of the layers before the probed one: an untrained ImageNet network
# gets weights for those alone (never VGG-16's 124 M fully connected ones); a small network or
# one with ImageNet weights reuses opened_network, the Inside page's too. effective_field's hook
# acts only in the thread that set it, so the shared model is probed as it is, never deep-copied.


@st.cache_resource(max_entries=12, show_spinner=False)
def shape_model(model_name: str):
    """A zoo network with shapes but no weights (meta device): for fields and counting only."""
    from cnnviz.models.registry import get_structure

    return get_structure(model_name)


def counting_model(ref: ModelRef):
    """The network to follow or count: shapes only for the zoo, the opened checkpoint otherwise."""
    return shape_model(ref.name) if ref.is_zoo else opened_network(ref).model


@st.cache_data(max_entries=32, show_spinner="Following the network layer by layer...", hash_funcs=BY_KEY)
def field_rows(ref: ModelRef, input_shape: tuple[int, int, int]):
    """receptive.receptive_fields; raises receptive.ReceptiveFieldError with a sentence."""
    from cnnviz import receptive

    return receptive.receptive_fields(counting_model(ref), input_shape)


@st.cache_data(max_entries=32, show_spinner="Counting parameters, memory and multiply-adds...", hash_funcs=BY_KEY)
def architecture_table(ref: ModelRef, input_shape: tuple[int, int, int]):
    """architecture.architecture_table; raises architecture.ArchitectureError with a sentence."""
    from cnnviz import architecture

    return architecture.architecture_table(counting_model(ref), input_shape)


def input_shape(ref: ModelRef) -> tuple[int, int, int]:
    """(C, H, W) the network takes."""
    return tuple(int(v) for v in counting_model(ref).input_shape)


def untrained(ref: ModelRef) -> bool:
    """Whether the network's weights are random: a small zoo network, or an ImageNet one without
    its weights on this machine (as opened_network decides, without building it)."""
    from cnnviz.models import model_spec

    return ref.is_zoo and (model_spec(ref.name).family != "imagenet" or _untrained_imagenet(ref))


def _untrained_imagenet(ref: ModelRef) -> bool:
    from cnnviz.models import imagenet_weights_file, model_spec

    return ref.is_zoo and model_spec(ref.name).family == "imagenet" and not imagenet_weights_file(ref.name).exists()


@st.cache_resource(max_entries=3, show_spinner=False, hash_funcs=BY_KEY)
def _weightless_network(ref: ModelRef):
    """An untrained ImageNet network as a structure whose layers get weights as fields ask for
    them (effective_field.materialized_prefix), and the lock that guards that growth."""
    from cnnviz.models.registry import get_structure

    return get_structure(ref.name), threading.Lock()


def effective_network(ref: ModelRef, layer: str):
    """The network to back-propagate through for ``layer``: weights up to it, random or real."""
    if _untrained_imagenet(ref):
        from cnnviz.effective_field import materialized_prefix

        structure, lock = _weightless_network(ref)
        with lock:  # a layer is given weights once; layers already real are left as they are
            return materialized_prefix(structure, layer, tuple(structure.input_shape))
    return opened_network(ref).model


@st.cache_data(max_entries=2, show_spinner="Counting every network in the zoo...")
def zoo_comparison() -> list:
    """One lessons.receptive_fields.NetworkSummary per zoo network, at its own input size."""
    from cnnviz.lessons.receptive_fields import network_summary, network_titles

    summaries = []
    for name, title in network_titles().items():
        ref = ModelRef.zoo(name)
        shape = input_shape(ref)
        summaries.append(network_summary(title, architecture_table(ref, shape), field_rows(ref, shape)))
    return summaries


@st.cache_data(max_entries=64, show_spinner=False)
def stack_report(layers: tuple[tuple, ...], in_channels: int, input_size: int):
    """stack_builder.report_stack for the builder's table; raises receptive.ReceptiveFieldError.

    Args:
        layers: one tuple of StackLayer's fields per layer (plain values, so the key hashes cheaply).
        in_channels, input_size: the builder's input image.
    """
    from cnnviz import stack_builder

    return stack_builder.report_stack([stack_builder.StackLayer(*layer) for layer in layers], in_channels, input_size)


def report_stack(layers: list, in_channels: int, input_size: int):
    """stack_report for StackLayers: plain tuples as the key, so every rerun of the page (all its
    tabs run) reuses the last report."""
    from dataclasses import astuple

    return stack_report(tuple(astuple(layer) for layer in layers), in_channels, input_size)


@st.cache_data(max_entries=64, show_spinner="Back-propagating from the chosen unit...", hash_funcs=BY_KEY)
def effective_field(ref: ModelRef, image_hash: str, _image, layer: str, unit: tuple[int, int]):
    """effective_field.effective_field on effective_network (the shared model, probed by a hook that
    acts only in this thread); raises EffectiveFieldError."""
    from cnnviz import effective_field

    return effective_field.effective_field(effective_network(ref, layer), _image, layer, unit)


def unit_gradient(ref: ModelRef, prepared, layer: str, unit: tuple[int, int]):
    """effective_field for the picture ``prepared`` (images.PreparedImage), keyed by its pixels' hash."""
    from dashboard.caches import image_hash

    return effective_field(ref, image_hash(prepared.tensor), prepared.tensor, layer, unit)


@st.cache_data(max_entries=8, show_spinner="Drawing the network box by box...")
def block_diagram(title: str):
    """block_diagram.DIAGRAMS[title] drawn from the shape-only network (shape_model): GoogLeNet's
    Inception block needs the whole network's shape pass first, ~60 ms."""
    from cnnviz.block_diagram import DIAGRAMS

    source = DIAGRAMS[title]
    return source.draw(shape_model(source.model))
