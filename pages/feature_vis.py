"""What a network looks for: pictures made by gradient ascent on the pixels (a class or channel
maximised, DeepDream on a photo, an image inverted from each layer's features); a view, every
number and sentence from cnnviz.lessons.feature_vis.

A run goes on inside this script run, so the progress bar and the pictures forming are drawn as it
goes; Stop is an ordinary button, whose click asks for a new script run, and Streamlit ends the
current one at its next call (the next progress report). Each report first keeps the pictures so
far in the session, so the new run shows them as the stopped result.
"""

from __future__ import annotations

import streamlit as st

from cnnviz import feature_vis, images
from cnnviz.feature_vis import FeatureVisError
from cnnviz.figures import feature_vis_figures as figs
from cnnviz.lessons import feature_vis as lesson
from cnnviz.lessons import inside
from cnnviz.model_ref import ModelRef
from cnnviz.models import CheckpointError, imagenet_weights_file, list_models, model_spec
from dashboard import caches, links, navigation, presentation
from dashboard.caches import feature_vis as runs
from dashboard.markup import escape
from dashboard.widgets import bound, bundled_photo, network_menu, trained_networks, uploaded_photo

state = st.session_state
st.title("What a network looks for")
with st.expander("What this page shows", icon=":material/help:"):
    st.markdown(lesson.INTRO)
    st.info(lesson.TRY_THIS, icon=":material/lightbulb:")

# Trained networks only: an untrained one's pictures would be noise that means nothing.
choices = [ref for _, ref in trained_networks(say=st.warning)]
choices += [ModelRef.zoo(name) for name in list_models()
            if model_spec(name).family == "imagenet" and imagenet_weights_file(name).exists()]
if not choices:
    st.info(lesson.NO_NETWORK)
    st.page_link(navigation.link_to("pages/training.py"), label="Train a network", icon=":material/model_training:")
    st.stop()
network_ref = network_menu("Network", choices, key="fv_network")  # the whole width: a checkpoint's name is long
try:
    network = caches.opened_network(network_ref)
except (CheckpointError, ValueError) as error:
    st.error(escape(f"This network cannot be opened: {error}"))
    st.stop()
classes, input_shape = list(network.classes), tuple(network.model.input_shape)
kinds = runs.layer_kinds(network_ref)
method = bound(st.radio, "Method", list(lesson.METHODS), key="fv_method", horizontal=True,
               format_func=lesson.METHODS.get)


def _steps_and_priors() -> tuple[int, bool]:
    steps = bound(st.select_slider, "Steps", lesson.STEP_CHOICES, value=lesson.DEFAULT_STEPS, key="fv_steps")
    regularise = bound(st.checkbox, lesson.REGULARISE_LABEL, True, key="fv_regularise", help=lesson.REGULARISE_HELP)
    return int(steps), regularise


def _maximise_controls() -> tuple[lesson.Plan, None]:
    kind = bound(st.radio, "Make larger", list(lesson.TARGET_KINDS), key="fv_kind", horizontal=True,
                 format_func=lesson.TARGET_KINDS.get)
    if kind == "class":
        choice = bound(st.selectbox, "Class", lesson.class_options(classes), key="fv_class")
        layer, targets = "", lesson.chosen_classes(choice, classes)
    else:
        layers = lesson.spatial_layers(kinds)
        layer = bound(st.selectbox, "Layer", list(layers), index=lesson.first_dream_layer(kinds), key="fv_layer")
        choice = bound(st.selectbox, "Channel", lesson.channel_options(layers[layer]), key="fv_channel")
        targets = lesson.chosen_channels(choice, layers[layer])
    steps, regularise = _steps_and_priors()
    jitter, l2, blur = lesson.DEFAULT_JITTER, lesson.DEFAULT_L2, lesson.DEFAULT_BLUR
    if regularise:
        with st.expander("Regularisation settings", icon=":material/tune:"):
            jitter = bound(st.select_slider, "Jitter (pixels)", lesson.JITTER_CHOICES, value=jitter, key="fv_jitter")
            l2 = bound(st.select_slider, "L2 weight", lesson.L2_CHOICES, value=l2, key="fv_l2")
            blur = bound(st.select_slider, "Blur every (steps; 0: never)", lesson.BLUR_CHOICES, value=blur,
                         key="fv_blur")
            st.caption(lesson.REGULARISERS)
    else:
        st.caption(lesson.UNREGULARISED)
    priors = lesson.maximise_regularisation(regularise, jitter, l2, blur)
    return lesson.Plan("maximise", layer, targets, steps, priors), None


def _dream_controls():
    source = bound(st.radio, "Photo from", lesson.DREAM_SOURCES, key="fv_dream_source", horizontal=True)
    photo = (bundled_photo("fv_photo", described=True) if source == lesson.DREAM_SOURCES[0]
             else uploaded_photo("fv_upload", waiting=lesson.DREAM_WAITING))
    layers = lesson.spatial_layers(kinds)
    layer = bound(st.selectbox, "Layer", list(layers), index=lesson.first_dream_layer(kinds), key="fv_dream_layer")
    choice = bound(st.selectbox, "Channel", lesson.dream_channel_options(layers[layer]), key="fv_dream_channel")
    steps, regularise = _steps_and_priors()
    if photo is None:
        return None, None
    side = lesson.dream_side(input_shape[-1])
    tensor = images.prepare_for_model(photo, channels=input_shape[0], size=(side, side), fit="crop").tensor
    plan = lesson.Plan("dream", layer, lesson.dream_channel(choice, layers[layer]), steps,
                       lesson.method_regularisation("dream", regularise), caches.image_hash(tensor))
    return plan, tensor


def _invert_controls():
    dataset, unavailable = inside.load_test_set(network.dataset)
    if dataset is not None and tuple(dataset.test_images.shape[1:]) == input_shape:
        first, last = inside.image_numbers(dataset)
        index = st.number_input("Test image number", first, last, key="fv_test_index", bind=links.BIND)
        picked = inside.dataset_input(dataset, int(index), input_shape)
    else:
        if unavailable:
            st.caption(escape(unavailable))
        picked = inside.photo_input(bundled_photo("fv_invert_photo", described=True), input_shape, "auto")
    steps, regularise = _steps_and_priors()
    tensor = picked.prepared.tensor
    plan = lesson.Plan("invert", "", lesson.inverted_layers(kinds), steps,
                       lesson.method_regularisation("invert", regularise), caches.image_hash(tensor))
    return plan, tensor


def _result(plan: lesson.Plan, image, controls):
    """Run the plan (Run pressed and nobody has yet), or show the run kept for it; Run and Stop go
    under the ``controls``."""
    done = runs.finished(network_ref, plan)
    partial = state.get("fv_partial")
    if done is None:
        run, stop = controls.columns(2)
        if run.button("Run", type="primary", icon=":material/play_arrow:", key="fv_run", help=lesson.RUN_HELP,
                      width="stretch"):
            done = _running(plan, image, stop)
        elif partial is not None and partial[:2] == (network_ref.key, plan):
            done = runs.measured(network_ref, plan, image, partial[3], partial[2])
    if done is None:
        st.caption(lesson.WAITING)
        return None, None
    view = lesson.result_view(network.model, plan, done, classes, escape, image)
    st.caption(view.status)
    per_row = lesson.row_length(len(view.tiles), plan.kind,
                                lesson.TILE_COLUMNS_PRESENTING if presentation.is_on() else lesson.TILE_COLUMNS)
    for row in lesson.tile_rows(view.tiles, per_row):
        for column, tile in zip(st.columns(per_row), row):
            column.image(tile.picture, width="stretch")
            column.markdown(tile.caption)
    st.markdown(view.sentence)
    return done, view


def _curve(done, view: lesson.ResultView) -> None:
    presentation.plot(figs.ascent_curve(done.values, view.names, y_title=view.curve_title),
                      key="fv_curve")
    st.caption(lesson.CURVE_CAPTION)


def _running(plan: lesson.Plan, image, column):
    """The run with its Stop button, progress bar and the pictures as they form."""
    stop = column.empty()
    stop.button("Stop", key="fv_stop", icon=":material/stop:", help=lesson.STOP_HELP, width="stretch")
    bar = st.progress(0.0, text=lesson.progress_text(0, plan.steps))
    live = st.empty()
    state.pop("fv_partial", None)

    def report(steps_done, pictures):
        state["fv_partial"] = (network_ref.key, plan, steps_done, pictures)  # what Stop will show
        bar.progress(steps_done / plan.steps, text=lesson.progress_text(steps_done, plan.steps))
        live.image(lesson.strip(pictures))

    try:
        done = runs.run(network_ref, plan, image, on_progress=report)
    except FeatureVisError as error:
        done = None
        st.error(escape(str(error)))
    for element in (stop, bar, live):  # not on Stop: the script run ends inside report, and the next redraws all
        element.empty()
    state.pop("fv_partial", None)
    return done


# The controls beside the pictures, so that both fit the first screen of a projector.
controls, shown = st.columns([1.35, 2.15])
with controls:
    plan, image = {"maximise": _maximise_controls, "dream": _dream_controls, "invert": _invert_controls}[method]()
done, view = None, None
if plan is not None:
    with shown:
        done, view = _result(plan, image, controls)
if done is not None and len(done.values):
    _curve(done, view)
st.markdown(lesson.METHOD_INTROS[method])
