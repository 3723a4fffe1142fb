"""Inside a network: one image through a trained CNN: its predictions, every layer's output, its
kernels, what it looked at, and its confusion matrix with the mistakes behind each cell. A view:
the numbers and sentences come from cnnviz.lessons.inside."""

from __future__ import annotations

import streamlit as st

from cnnviz import attribution, data, images
from cnnviz.figures import inside_figures as figs
from cnnviz.lessons import inside as lesson
from cnnviz.model_ref import ModelRef
from cnnviz.models import CheckpointError, list_models
from dashboard import caches, presentation
from dashboard.caches import inside as inside_cache
from dashboard.markup import escape
from dashboard.widgets import bound, bundled_photo, network_menu, trained_networks, uploaded_photo

st.title("Inside a network")
st.markdown(lesson.INTRO)
st.info(lesson.TRY_THIS, icon=":material/lightbulb:")

trained = [ref for _, ref in trained_networks(say=st.warning)]
if not trained:
    st.info(lesson.NO_TRAINED_MODEL)
    st.page_link("pages/training.py", label="Train a network", icon=":material/model_training:")
network_ref = network_menu("Network", [*trained, *map(ModelRef.zoo, list_models())], key="inside_network")
try:
    network = caches.opened_network(network_ref)
except (CheckpointError, ValueError) as error:
    st.error(escape(f"This network cannot be opened: {error}"))  # the sentence may quote the file
    st.stop()
classes, input_shape = network.classes, network.model.input_shape
if network.note:
    st.info(network.note)
dataset = None
if network.dataset:
    try:
        dataset = data.load_dataset(network.dataset)
    except (data.DatasetUnavailable, ValueError) as error:
        st.warning(escape(f"The test set of this model is not available here, so the confusion matrix and test "
                          f"images are off: {error}"))  # names the checkpoint's dataset


def _pick_random(class_filter: str) -> None:
    st.session_state["inside_test_index"] = lesson.random_test_index(dataset.test_labels, dataset.classes, class_filter)


def _chosen_input() -> lesson.Input | None:
    sources = lesson.sources(dataset is not None)
    if st.session_state.get("inside_source") not in sources:
        st.session_state["inside_source"] = sources[0]
    source = bound(st.radio, "Image", sources, horizontal=True, key="inside_source")
    if source == "Test-set image":
        left, right = st.columns([2, 1])
        class_filter = bound(left.selectbox, "Class to pick from", lesson.class_filter_options(dataset.classes),
                             key="inside_test_class")
        last = len(dataset.test_labels) - 1
        st.session_state["inside_test_index"] = min(int(st.session_state.get("inside_test_index", 0)), last)
        index = bound(left.number_input, "Test image number", 0, last, key="inside_test_index")
        right.write("")
        right.button("Random image of that class", on_click=_pick_random, args=(class_filter,), icon=":material/casino:")
        return lesson.test_image(dataset, index, input_shape)
    if source == "Bundled photo":
        photo = bundled_photo("inside_sample", described=True)
    else:
        photo = uploaded_photo("inside_upload", waiting=lesson.UPLOAD_WAITING)
        if photo is None:
            return None
    invert_default = lesson.invert_default(dataset is not None and dataset.info.white_on_black)
    invert = bound(st.radio, "Swap black and white", list(lesson.INVERT_CHOICES), horizontal=True, key="inside_invert",
                   index=list(lesson.INVERT_CHOICES).index(invert_default), help=lesson.INVERT_HELP)
    return lesson.photo_input(photo, input_shape, invert)


shown = _chosen_input()
if shown is None:
    st.stop()
prepared = shown.prepared
image_hash = caches.image_hash(prepared.tensor)
captured = inside_cache.layer_outputs(network_ref, image_hash, prepared.tensor)
said = lesson.prediction(captured.probabilities(), classes, shown.true_label, quote=escape)

left, middle, right = st.columns([1, 1, 2])
left.subheader("Your image")
left.image(shown.original, width="stretch")
middle.subheader("What the model sees")
middle.image(lesson.enlarged(prepared.image), width="stretch")
middle.caption(shown.seen_caption)
with right:
    st.subheader("Prediction")
    st.markdown(said.verdict)
    top_k = bound(st.slider, "Classes shown (top-k)", *said.top_k_range(), key="inside_top_k")
    bars = said.bars(classes, top_k)
    presentation.plot(figs.probability_bars(bars.values, bars.names, true_label=bars.true_row), key="inside_probabilities")
    st.caption(lesson.SOFTMAX_CAPTION)

st.divider()
view = bound(st.radio, "Look at", lesson.VIEWS, horizontal=True, key="inside_view")


def _clicked(event) -> list:
    """The customdata of the clicked cells (the figures' clickable markers are their second trace)."""
    return [p.get("customdata") for p in (event.selection.points if event else []) if p.get("curve_number") == 1]


def _layer_outputs_view() -> None:
    st.markdown(lesson.LAYERS_INTRO)
    labels = lesson.layer_labels(captured)
    chosen = bound(st.selectbox, "Layer", labels, index=lesson.first_layer_shown(len(labels)), key="inside_layer")
    layer = lesson.layer_view(captured, labels.index(chosen), classes)
    presentation.plot(figs.activation_overview(layer.overview, layer.kinds, selected=layer.name), key="inside_overview")
    if not layer.is_spatial:
        presentation.plot(figs.vector_bars(layer.output, labels=layer.vector_names, title=layer.vector_title),
                          key="inside_vector")
        return
    a, b = st.columns(2)
    scale = bound(a.radio, "Colour scale", list(lesson.CHANNEL_SCALES), horizontal=True, key="inside_scale",
                  format_func=lesson.CHANNEL_SCALES.get)
    order_by = bound(b.radio, "Order channels by", list(lesson.CHANNEL_ORDERS), horizontal=True, key="inside_order",
                     format_func=lesson.CHANNEL_ORDERS.get)
    grid = figs.channel_grid(layer.output, scale=scale, global_range=layer.value_range,
                             order=layer.channel_order(order_by), max_channels=lesson.GRID_CHANNELS)
    event = presentation.plot(grid, on_select="rerun", selection_mode="points", key=f"inside_grid_{layer.name}")
    if layer.grid_caption:
        st.caption(layer.grid_caption)
    clicked = _clicked(event)
    click_key = (layer.name, clicked[0] if clicked else None)
    if clicked and st.session_state.get("inside_last_click") != click_key:
        st.session_state["inside_channel"] = int(clicked[0])
    st.session_state["inside_last_click"] = click_key
    kept = lesson.valid_channel(st.session_state.get("inside_channel", 0), layer.channels)
    if kept != st.session_state.get("inside_channel", 0):  # written only on a change: a link's channel stays
        st.session_state["inside_channel"] = kept
    channel = bound(st.number_input, "Channel (or click one above)", 0, layer.channels - 1, key="inside_channel")
    detail = lesson.channel_detail(layer, channel)
    presentation.plot(figs.channel_detail(detail.values, title=detail.title), key="inside_channel_detail")


def _kernels_view() -> None:
    names = lesson.conv_layer_names(network.model)
    if not names:
        st.info(lesson.NO_CONVOLUTION)
        return
    a, b = st.columns(2)
    layer = bound(a.selectbox, "Convolution layer", names, key="inside_kernel_layer")
    norm = bound(b.radio, "Normalise", list(lesson.KERNEL_NORMALISATIONS), horizontal=True, key="inside_kernel_norm",
                 format_func=lesson.KERNEL_NORMALISATIONS.get)
    kernels = lesson.kernel_view(network.model, inside_cache.untrained_twin(network_ref), layer, norm, network.meta)
    st.markdown(kernels.description)
    left, right = st.columns(2)
    with left:
        presentation.plot(figs.kernel_grid(kernels.trained, title=network.title), key="inside_kernels_trained")
    with right:
        presentation.plot(figs.kernel_grid(kernels.untrained, title=lesson.UNTRAINED_TITLE), key="inside_kernels_untrained")
    if kernels.snapshots:
        labels = [label for label, _ in kernels.snapshots]
        chosen = bound(st.select_slider, "The first layer's kernels during training", labels, value=labels[-1],
                       key="inside_kernel_epoch")
        presentation.plot(figs.kernel_grid(kernels.snapshot(chosen, norm), title=chosen), key="inside_kernels_epoch")
    elif kernels.no_snapshots:
        st.caption(kernels.no_snapshots)


def _attribution_view() -> None:
    a, b, c = st.columns(3)
    method = bound(a.radio, "Method", attribution.METHODS, key="inside_attr_method", format_func=attribution.METHOD_TITLES.get)
    target_label = bound(b.selectbox, "Explain the class", lesson.attribution_targets(classes), key="inside_attr_target")
    layer = None
    if method == "gradcam":
        layers = inside_cache.gradcam_layers(network_ref, image_hash, prepared.tensor)
        if not layers:
            st.info(lesson.NO_GRADCAM_LAYER)
            return
        layer = bound(c.selectbox, "Grad-CAM layer", layers, key="inside_attr_layer", help=lesson.GRADCAM_LAYER_HELP)
    opacity = bound(c.slider, "Overlay opacity", *lesson.OPACITY, key="inside_attr_opacity")
    try:
        result = inside_cache.attribution_map(network_ref, image_hash, prepared.tensor, method,
                                              lesson.attribution_target(target_label, classes), layer)
    except attribution.AttributionError as error:
        st.error(str(error))
        return
    title = lesson.attribution_title(method, classes[result.target], result.layer)
    presentation.plot(figs.attribution_overlay(images.to_array(prepared.image), result.heatmap, opacity=opacity,
                                               raw=result.raw, title=title), key="inside_attribution_overlay")
    st.caption(lesson.method_caption(method))


def _open_in_attribution(index: int) -> None:
    st.session_state.update(inside_source="Test-set image", inside_test_index=int(index),
                            inside_test_class=lesson.ANY_CLASS, inside_view="Attribution")


def _show_cell(actual: int, predicted: int) -> None:
    st.session_state.update(inside_cell_actual=classes[actual], inside_cell_predicted=classes[predicted])


def _confusion_view() -> None:
    if dataset is None:
        st.info(lesson.NO_TEST_SET)
        return
    if mismatch := lesson.class_count_mismatch(classes, dataset):
        st.warning(mismatch)
        return
    probabilities, predictions, targets = inside_cache.test_predictions(network_ref, network.dataset)
    matrix = lesson.confusion(predictions, targets, classes, dataset.info.title)
    st.markdown(matrix.summary)
    normalise = bound(st.radio, "Show", list(lesson.CONFUSION_SHOWS), horizontal=True, key="inside_confusion_norm",
                      format_func=lesson.CONFUSION_SHOWS.get)
    event = presentation.plot(figs.confusion_heatmap(matrix.matrix, classes, normalise=normalise),
                              on_select="rerun", selection_mode="points", key="inside_confusion")
    clicked = _clicked(event)
    if clicked and st.session_state.get("inside_last_cell") != clicked[0]:
        _show_cell(*lesson.cell_of(clicked[0], len(classes)))
    st.session_state["inside_last_cell"] = clicked[0] if clicked else None
    st.dataframe(list(matrix.rows), hide_index=True, key="inside_scores",
                 column_config={k: st.column_config.NumberColumn(format="%.3f") for k in lesson.SCORE_COLUMNS})
    st.caption(matrix.scores_caption)
    if "inside_cell_actual" not in st.session_state:
        _show_cell(*matrix.largest_mistake)  # start on the biggest mistake: the most instructive cell
    a, b = st.columns(2)
    actual = bound(a.selectbox, "Actual class", classes, key="inside_cell_actual")
    predicted = bound(b.selectbox, "Predicted class", classes, key="inside_cell_predicted")
    cell = lesson.gallery(probabilities, targets, dataset.test_images, classes, classes.index(actual),
                          classes.index(predicted), quote=escape)
    st.markdown(cell.sentence)
    columns = st.columns(lesson.GALLERY_COLUMNS)
    for slot, tile in enumerate(cell.tiles):
        with columns[slot % lesson.GALLERY_COLUMNS]:
            st.image(tile.picture, width="stretch", caption=tile.caption)
            st.button("Explain", key=f"inside_explain_{tile.index}", on_click=_open_in_attribution, args=(tile.index,),
                      help="Open this image in the attribution view")


{"Layer outputs": _layer_outputs_view, "Kernels": _kernels_view, "Attribution": _attribution_view,
 "Confusion matrix": _confusion_view}[view]()
