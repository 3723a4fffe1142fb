"""Inside a network: one image through a trained CNN (predictions, every layer's output, kernels,
attribution), its confusion matrix and its test set in feature space; a view, every number and sentence
from cnnviz.lessons.inside."""

from __future__ import annotations

import streamlit as st

from cnnviz import attribution, images
from cnnviz.dataset_examples import DatasetExamplesError
from cnnviz.embeddings import EmbeddingError
from cnnviz.figures import conv_figures, embedding_figures, shift_figures, unit_figures
from cnnviz.figures import inside_figures as figs
from cnnviz.lessons import inside as lesson
from cnnviz.model_ref import ModelRef
from cnnviz.models import CheckpointError, list_models
from cnnviz.unit_explanation import UnitExplanationError
from dashboard import caches, links, navigation, page_frame, presentation
from dashboard.caches import inside as inside_cache
from dashboard.drawing_canvas import drawn_grid
from dashboard.markup import escape
from dashboard.widgets import bound, bundled_photo, network_menu, trained_networks, uploaded_photo

state = st.session_state
st.title("Inside a network")
with st.expander("What this page shows", icon=":material/help:"):  # folded: the picture comes first
    st.markdown(lesson.INTRO)
    st.info(lesson.TRY_THIS, icon=":material/lightbulb:")

trained = [ref for _, ref in trained_networks(say=st.warning)]
if not trained:
    st.info(lesson.NO_TRAINED_MODEL)
    st.page_link(navigation.link_to("pages/training.py"), label="Train a network", icon=":material/model_training:")
network_ref = network_menu("Network", [*trained, *map(ModelRef.zoo, list_models())], key="inside_network")
try:
    network = caches.opened_network(network_ref)
except (CheckpointError, ValueError) as error:
    st.error(escape(f"This network cannot be opened: {error}"))  # the sentence may quote the file
    st.stop()
classes, input_shape = network.classes, network.model.input_shape
if network.note:
    st.info(network.note)
dataset, unavailable = lesson.load_test_set(network.dataset)
if unavailable:
    st.warning(escape(unavailable))  # names the checkpoint's dataset


def _chosen_input() -> lesson.Input | None:
    if state.get("inside_source") not in (sources := lesson.sources(dataset is not None)):
        state["inside_source"] = sources[0]
    source = bound(st.radio, "Image", sources, key="inside_source")
    if source == "Test-set image":
        class_filter = bound(st.selectbox, "Class to pick from", lesson.class_filter_options(dataset.classes),
                             key="inside_test_class")
        first, last = lesson.image_numbers(dataset)
        state["inside_test_index"] = min(int(state.get("inside_test_index", first)), last)
        index = st.number_input("Test image number", first, last, key="inside_test_index", bind=links.BIND)
        st.button("Random", icon=":material/casino:", help="A random test image of the class above",
                  on_click=lambda: state.update(
                      inside_test_index=lesson.random_test_index(dataset.test_labels, dataset.classes, class_filter)))
        return lesson.dataset_input(dataset, index, input_shape)
    if source == lesson.DRAW_SOURCE:  # every stroke reruns the page: the prediction follows the pen
        pixels = drawn_grid("inside_drawing")
        return None if pixels is None else lesson.drawn_input(pixels, input_shape,
                                                              lesson.draws_white_on_black(network.dataset))
    if source == "Bundled photo":
        photo = bundled_photo("inside_sample", described=True)
    elif (photo := uploaded_photo("inside_upload", waiting=lesson.UPLOAD_WAITING)) is None:
        return None
    first = lesson.invert_default(dataset is not None and dataset.info.white_on_black)
    invert = bound(st.radio, "Swap black and white", list(lesson.INVERT_CHOICES), horizontal=True,
                   index=list(lesson.INVERT_CHOICES).index(first), key="inside_invert", help=lesson.INVERT_HELP)
    return lesson.photo_input(photo, input_shape, invert)


# The image's controls beside the picture and the prediction: all three on the first screen.
# The bars need room for class names at 1024 px, the class menu for "any class".
controls, middle, right = st.columns([1.15, 0.9, 1.95])
with controls:
    picked = _chosen_input()
if picked is None:
    st.stop()
prepared = picked.prepared
image_hash = caches.image_hash(prepared.tensor)
captured = inside_cache.layer_outputs(network_ref, image_hash, prepared.tensor)
said = lesson.prediction(captured.probabilities(), classes, picked.true_label, quote=escape)

middle.image(lesson.enlarged(prepared.image), width="stretch", caption="What the model sees")
middle.caption(picked.seen_caption)
if picked.true_label is None:  # a photo or a drawing, not one of the test images
    middle.caption(lesson.DRAWING_NOTE if state["inside_source"] == lesson.DRAW_SOURCE else lesson.PHOTO_NOTE)
middle.image(picked.original, width="stretch", caption="Your image")
right.markdown(said.verdict)
bars = said.bars(classes, right.slider("Classes shown (top-k)", *said.top_k_range(), key="inside_top_k", bind=links.BIND))
with right:
    presentation.plot(figs.probability_bars(bars.values, bars.names, true_label=bars.true_row),
                      key="inside_probabilities")
right.caption(lesson.SOFTMAX_CAPTION)

st.divider()
view = bound(st.radio, "Look at", lesson.VIEWS, horizontal=True, key="inside_view")


def _layer_outputs_view() -> None:
    """A fragment: a new layer, channel, scale or order redraws only this view, not the image and
    prediction above it."""
    if state.pop("inside_top_opened", False):  # a top image opened: the image above must change too
        st.rerun()
    labels = lesson.layer_labels(captured)
    chosen = bound(st.selectbox, "Layer", labels, index=lesson.first_layer_shown(len(labels)), key="inside_layer")
    layer = lesson.layer_view(captured, labels.index(chosen), classes)
    presentation.plot(inside_cache.overview_figure(network_ref, image_hash, layer.name, layer.overview, layer.kinds),
                      key="inside_overview")
    st.caption(lesson.LAYERS_INTRO)  # after the picture it explains
    if (normalised := lesson.normalize_step(network.model, layer.name, prepared.tensor, layer.output)) is not None:
        _normalisation(normalised)
    if not layer.is_spatial:
        presentation.plot(figs.vector_bars(layer.output, labels=layer.vector_names, title=layer.vector_title),
                          key="inside_vector")
        st.subheader(lesson.UNIT_HEADING)
        st.caption(lesson.VECTOR_INTRO)
        index = st.number_input("Value", 0, layer.output.size - 1, key="inside_unit_index", bind=links.BIND)
        _unit_section(layer.name, (int(index),))
        _top_images_section(layer.name, int(index))  # each value of a vector is its own "channel"
        return
    a, b = st.columns(2)
    scale = bound(a.radio, "Colour scale", list(lesson.CHANNEL_SCALES), key="inside_scale", horizontal=True,
                  format_func=lesson.CHANNEL_SCALES.get)
    order_by = bound(b.radio, "Order channels by", list(lesson.CHANNEL_ORDERS), key="inside_order", horizontal=True,
                     format_func=lesson.CHANNEL_ORDERS.get)
    grid = figs.channel_grid(layer.output, scale=scale, global_range=layer.value_range,
                             order=layer.channel_order(order_by), max_channels=lesson.GRID_CHANNELS)
    event = presentation.plot(grid, on_select="rerun", selection_mode="points", key=f"inside_grid_{layer.name}")
    if layer.grid_caption:
        st.caption(layer.grid_caption)
    clicked, state["inside_last_click"] = lesson.followed_click(event, layer.name, state.get("inside_last_click"))
    current = state.get("inside_channel", 0)
    if (kept := lesson.channel_to_show(current, clicked, layer.channels)) != current:  # so a link's channel stays
        state["inside_channel"] = kept
    channel = st.number_input("Channel (or click one above)", 0, layer.channels - 1, key="inside_channel",
                              bind=links.BIND)
    detail = lesson.channel_detail(layer, channel)
    # The unit to explain: clicked on the channel below, or typed; the centre at first.
    clicked_unit, state["inside_unit_click"] = lesson.followed_click(
        state.get("inside_channel_detail"), f"{layer.name}:{channel}", state.get("inside_unit_click"))
    if clicked_unit is not None:
        state["inside_unit_row"], state["inside_unit_col"] = clicked_unit
    centre = lesson.centre_unit(detail.values.shape)
    if state.get("inside_unit_layer", layer.name) != layer.name:  # another layer: its centre (a link's unit stays)
        state["inside_unit_row"], state["inside_unit_col"] = centre
    state["inside_unit_layer"] = layer.name
    row, col = lesson.chosen_unit(state.get("inside_unit_row", centre[0]), state.get("inside_unit_col", centre[1]),
                                  detail.values.shape)
    state["inside_unit_row"], state["inside_unit_col"] = row, col
    presentation.plot(unit_figures.clickable_channel(detail.values, (row, col), title=detail.title),
                      on_select="rerun", selection_mode="points", key="inside_channel_detail")
    st.subheader(lesson.UNIT_HEADING)
    st.caption(lesson.UNIT_INTRO)
    left, right = st.columns(2)
    height, width = detail.values.shape
    left.number_input("Row", 0, height - 1, key="inside_unit_row", bind=links.BIND)
    right.number_input("Column", 0, width - 1, key="inside_unit_col", bind=links.BIND)
    _unit_section(layer.name, (int(channel), int(state["inside_unit_row"]), int(state["inside_unit_col"])))
    _top_images_section(layer.name, int(channel))
    _depth_section()


def _unit_section(layer_name: str, unit: tuple[int, ...]) -> None:
    """The chosen unit recomputed by hand from the previous step's output and this step's weights."""
    try:
        explained = inside_cache.unit_explanation(network_ref, image_hash, prepared.tensor, layer_name, unit)
    except UnitExplanationError as error:
        st.error(escape(str(error)))
        return
    view = lesson.unit_view(explained)
    if (link := lesson.conv_lab_link(explained)) is not None:  # the same arithmetic, one window at a time
        st.page_link(navigation.link_to("pages/conv_lab.py"), label=lesson.CONV_LAB_LABEL, icon=":material/grid_on:", query_params=link)
    st.markdown(f"**{escape(view.heading)}**")
    presentation.code(view.formula)
    st.markdown(escape(view.worked))
    st.markdown(view.agreement)
    if view.window is not None:
        presentation.plot(conv_figures.window_figure(view.window, view.kernel, view.products,
                                                     channel_names=list(view.window_names)), key="inside_unit_window")
        st.caption(view.window_caption)
    if view.table:
        st.dataframe(list(view.table), hide_index=True, width="stretch", height=min(36 * (len(view.table) + 1), 320))
        st.caption(view.table_caption)


def _top_images_section(layer_name: str, channel: int) -> None:
    """The test images on which the chosen channel's maximum over positions is largest, cut to the unit's field."""
    st.subheader(lesson.TOP_HEADING, divider="gray")
    if refusal := lesson.top_images_refusal(classes, dataset, input_shape):
        st.caption(refusal)
        return
    try:
        found = inside_cache.top_examples(network_ref, network.dataset, layer_name)
    except DatasetExamplesError as error:
        st.error(escape(str(error)))
        return
    shown = lesson.top_images_view(found, channel, dataset.test_images, dataset.test_labels, classes, quote=escape)
    st.markdown(shown.intro)
    for row in lesson.tile_rows(shown.tiles, lesson.TOP_COLUMNS):
        for column, tile in zip(st.columns(lesson.TOP_COLUMNS), row):
            column.image(tile.picture, width="stretch", caption=tile.caption)
            column.button("Open", key=f"inside_top_open_{tile.index}", help=lesson.OPEN_HELP, width="stretch",
                          on_click=state.update, kwargs=lesson.opened_top_image(tile.index))
    st.markdown(shown.class_sentence)
    st.caption(shown.field_sentence)


def _depth_section() -> None:
    """Early to late: each convolution's strongest unit and the part of the image it sees."""
    fields, problem = inside_cache.receptive_fields(network_ref)
    st.subheader(lesson.DEPTH_TITLE, divider="gray")
    if problem:
        st.caption(escape(lesson.NO_FIELDS.format(error=problem)))
        return
    st.caption(lesson.DEPTH_INTRO)
    steps = lesson.spaced(lesson.depth_steps(fields, captured, prepared.image))
    for column, step in zip(st.columns(max(len(steps), lesson.DEPTH_COLUMNS)), steps):  # at least 4: no giant pictures
        column.image(step.outlined, width="stretch")
        column.image(lesson.enlarged(step.map_picture, 112), width="stretch", caption=step.caption)
    st.markdown(lesson.depth_sentence(steps))


def _normalisation(view: lesson.NormalisationView) -> None:
    st.markdown(view.statistics)
    st.latex(lesson.FORMULA)
    for formula in view.formulas:
        st.latex(formula)
    st.caption(view.image_sentence)
    for column, picture, title in zip(st.columns(3), view.pictures, lesson.PICTURE_TITLES):
        column.image(lesson.enlarged(picture), width=lesson.SEEN_SIDE, caption=title)
    st.caption(lesson.PICTURES_CAPTION)


def _kernels_view() -> None:
    if not (names := lesson.conv_layer_names(network.model)):
        st.info(lesson.NO_CONVOLUTION)
        return
    a, b = st.columns(2)
    layer = bound(a.selectbox, "Convolution layer", names, key="inside_kernel_layer")
    norm = bound(b.radio, "Normalise", list(lesson.KERNEL_NORMALISATIONS), key="inside_kernel_norm", horizontal=True,
                 format_func=lesson.KERNEL_NORMALISATIONS.get)
    kernels = lesson.kernel_view(network.model, inside_cache.untrained_twin(network_ref), layer, norm, network.meta)
    st.markdown(kernels.description)
    for column, pictures, title, name in zip(st.columns(2), (kernels.trained, kernels.untrained),
                                             (network.title, lesson.UNTRAINED_TITLE), ("trained", "untrained")):
        with column:
            presentation.plot(figs.kernel_grid(pictures, title=title), key=f"inside_kernels_{name}", title_above=True)
    if kernels.snapshots:
        chosen = st.select_slider("The first layer's kernels during training", kernels.snapshot_labels,
                                  value=kernels.snapshot_labels[-1], key="inside_kernel_epoch", bind=links.BIND)
        presentation.plot(figs.kernel_grid(kernels.snapshot(chosen, norm), title=chosen), key="inside_kernels_epoch")
    elif kernels.no_snapshots:
        st.caption(kernels.no_snapshots)


def _attribution_view() -> None:
    a, b, c = st.columns([1, 1.3, 1])  # "the predicted class" was cut in a third of 1024 px
    method = bound(a.radio, "Method", attribution.METHODS, key="inside_attr_method",
                   format_func=attribution.METHOD_TITLES.get)
    target = bound(b.selectbox, "Explain the class", lesson.attribution_targets(classes), key="inside_attr_target")
    layer = None
    if method == "gradcam":
        if not (layers := inside_cache.gradcam_layers(network_ref, image_hash, prepared.tensor)):
            st.info(lesson.NO_GRADCAM_LAYER)
            return
        layer = bound(c.selectbox, "Grad-CAM layer", layers, key="inside_attr_layer", help=lesson.GRADCAM_LAYER_HELP)
    opacity = c.slider("Overlay opacity", *lesson.OPACITY, key="inside_attr_opacity", bind=links.BIND)
    try:
        result = inside_cache.attribution_map(network_ref, image_hash, prepared.tensor, method,
                                              lesson.attribution_target(target, classes), layer)
    except attribution.AttributionError as error:
        st.error(str(error))
        return
    title = lesson.attribution_title(method, classes[result.target], result.layer)
    presentation.plot(figs.attribution_overlay(images.to_array(prepared.image), result.heatmap, opacity=opacity,
                                               raw=result.raw, title=title), key="inside_attribution_overlay")
    st.caption(lesson.method_caption(method))


def _confusion_view() -> None:
    if refusal := lesson.confusion_refusal(classes, dataset):
        (st.info if dataset is None else st.warning)(refusal)
        return
    probabilities, predictions, targets = inside_cache.test_predictions(network_ref, network.dataset)
    matrix = lesson.confusion(predictions, targets, classes, dataset.info.title)
    st.markdown(matrix.summary)
    normalise = bound(st.radio, "Show", list(lesson.CONFUSION_SHOWS), key="inside_confusion_norm", horizontal=True,
                      format_func=lesson.CONFUSION_SHOWS.get)
    event = presentation.plot(figs.confusion_heatmap(matrix.matrix, classes, normalise=normalise),
                              on_select="rerun", selection_mode="points", key="inside_confusion")
    st.dataframe(list(matrix.rows), hide_index=True, key="inside_scores",
                 column_config={k: st.column_config.NumberColumn(format="%.3f") for k in lesson.SCORE_COLUMNS})
    st.caption(matrix.scores_caption)
    clicked, state["inside_last_cell"] = lesson.followed_click(event, "", state.get("inside_last_cell"))
    if cell := lesson.cell_to_show(clicked, "inside_cell_actual" in state, matrix.largest_mistake, len(classes)):
        state.update(inside_cell_actual=classes[cell[0]], inside_cell_predicted=classes[cell[1]])
    a, b = st.columns(2)
    actual = bound(a.selectbox, "Actual class", classes, key="inside_cell_actual")
    predicted = bound(b.selectbox, "Predicted class", classes, key="inside_cell_predicted")
    gallery = lesson.gallery(probabilities, targets, dataset.test_images, classes, classes.index(actual),
                             classes.index(predicted), quote=escape)
    st.markdown(gallery.sentence)
    per_row = lesson.GALLERY_COLUMNS_PRESENTING if presentation.is_on() else lesson.GALLERY_COLUMNS
    columns = st.columns(per_row)
    for slot, tile in enumerate(gallery.tiles):
        with columns[slot % per_row]:
            st.image(tile.picture, width="stretch", caption=tile.caption)
            st.button("Explain", key=f"inside_explain_{tile.index}", help="Open this image in the attribution view",
                      width="stretch", on_click=state.update, kwargs=lesson.explained(tile.index))


def _shift_view() -> None:
    st.markdown(lesson.SHIFT_INTRO)
    if refusal := lesson.confusion_refusal(classes, dataset):  # the same test set is needed
        (st.info if dataset is None else st.warning)(refusal)
        return
    a, b = st.columns([2, 1])
    kind = bound(a.radio, "Change the test images", list(lesson.SHIFTS), key="inside_shift", horizontal=True,
                 format_func=lambda name: lesson.SHIFTS[name][0])
    count = bound(b.selectbox, "Test images", lesson.TEST_IMAGES, key="inside_shift_count")
    curve = inside_cache.shift_curve(network_ref, network.dataset, kind, count)
    presentation.plot(shift_figures.shift_accuracy_figure(curve.strengths, curve.accuracies, x_title=curve.unit,
                                                              chance=curve.chance), key="inside_shift_chart")
    st.markdown(curve.sentence)
    st.latex(curve.formula)
    st.caption(lesson.EXAMPLES_CAPTION)
    for column, picture, caption in zip(st.columns(len(curve.examples)), curve.examples, curve.captions):
        column.image(lesson.enlarged(picture, 112), width="stretch", caption=caption)


def _embeddings_view() -> None:
    st.markdown(lesson.EMBED_INTRO)
    if refusal := lesson.embedding_refusal(classes, dataset, input_shape):  # the test set's images are needed
        (st.info if dataset is None else st.warning)(refusal)
        return
    a, b = st.columns([2, 1])
    method = bound(a.radio, "Projection", list(lesson.PROJECTIONS), key="inside_embed_method", horizontal=True,
                   format_func=lesson.PROJECTIONS.get)
    k = bound(b.selectbox, "Neighbours", lesson.NEIGHBOUR_CHOICES, index=1, key="inside_embed_k")
    test_index = state.get("inside_test_index") if picked.true_label is not None else None
    try:
        embedded = lesson.embedding_view(
            inside_cache.embedding_sample(network_ref, network.dataset),
            inside_cache.embedding_projection(network_ref, network.dataset, method),
            inside_cache.embedding_agreement(network_ref, network.dataset, k),
            inside_cache.embedding_features(network_ref, image_hash, prepared.tensor), prepared.tensor,
            captured.probabilities(), picked.true_label, test_index, dataset.test_images, classes, dataset.info.title,
            quote=escape)
    except EmbeddingError as error:
        st.error(escape(str(error)))
        return
    chart, side = st.columns([3, 1])
    with chart:  # a click on a point opens that test image (_open_clicked runs before the rerun)
        presentation.plot(embedding_figures.embedding_scatter(
            embedded.points, embedded.labels, embedded.indices, classes, current=embedded.current,
            current_index=embedded.current_index, axis_titles=embedded.axis_titles, show_ticks=embedded.show_ticks),
            on_select=_open_clicked, selection_mode="points", key="inside_embed_chart")
    side.image(lesson.enlarged(prepared.image, lesson.SEEN_SIDE), width="stretch", caption=embedded.current_caption)
    st.markdown(embedded.summary)
    st.caption(embedded.projection_note)
    if embedded.placed_note:
        st.caption(embedded.placed_note)
    st.markdown(embedded.agreement_sentence)
    for heading, sentence, tiles in ((lesson.FEATURE_HEADING, embedded.feature_sentence, embedded.feature_tiles),
                                     (lesson.PIXEL_HEADING, embedded.pixel_sentence, embedded.pixel_tiles)):
        st.subheader(heading)
        st.markdown(sentence)
        for row in lesson.tile_rows(tiles):
            for column, tile in zip(st.columns(lesson.TILE_COLUMNS), row):
                column.image(tile.picture, width="stretch", caption=tile.caption)


def _open_clicked() -> None:
    """The chart's on_select: a clicked point's test image becomes the page's image."""
    if (index := lesson.clicked_test_image(state.get("inside_embed_chart"))) is not None:
        state.update(lesson.opened_test_image(index))


{"Layer outputs": st.fragment(page_frame.guarded(_layer_outputs_view)), "Kernels": _kernels_view, "Attribution": _attribution_view,
 "Confusion matrix": _confusion_view, "Distribution shift": _shift_view,
 "Embeddings": _embeddings_view}[view]()
