"""Inside a network: one image through a trained CNN: its predictions, every layer's output, its
kernels, what it looked at, and its confusion matrix with the mistakes behind each cell."""

import random

import streamlit as st

from cnnviz import activations, attribution, data, images, learned_kernels, metrics
from cnnviz.figures import inside_figures as figs
from cnnviz.model_ref import ModelRef
from cnnviz.models import CheckpointError, list_models
from dashboard import caches, links, presentation
from dashboard.caches import inside as inside_cache
from dashboard.markup import escape

VIEWS = ("Layer outputs", "Kernels", "Attribution", "Confusion matrix")
SOURCES = ("Test-set image", "Bundled photo", "Upload a photo")
GALLERY_SIZE = 24

st.title("Inside a network")
st.markdown(
    "A trained network is a stack of layers, each turning the previous layer's feature maps into new "
    "ones: a convolution layer computes $a^{(l)} = \\mathrm{ReLU}(W^{(l)} * a^{(l-1)} + b^{(l)})$, and "
    "the last layer's logits $z$ become probabilities with the softmax, $p_k = e^{z_k} / \\sum_j e^{z_j}$; "
    "the prediction is the class with the largest $p_k$. Open a network on your own image: every "
    "layer's activations, its learned kernels, its predictions, what it looked at (Grad-CAM weighs "
    "the last feature maps by the gradient of the class score), and its confusion matrix."
)
st.info(
    "**Try this first:** keep the shipped LeNet-5 and a test image, step through the layers from "
    "the first convolution to the logits (early maps are edges, late ones are blobs), then open "
    "*Attribution* with Grad-CAM, and finally the *Confusion matrix*: click the largest off-diagonal "
    "cell to see which shirts it calls T-shirts.",
    icon=":material/lightbulb:",
)


# ---------------------------------------------------------------------------------------------
# Which network


def _choose_network() -> ModelRef:
    """The chosen network: a trained checkpoint, or a network of the zoo."""
    trained, problems = caches.trained_models(caches.session_uploads())
    for problem in problems:
        st.warning(f"Skipped a checkpoint: {escape(problem)}")
    options: dict[str, ModelRef] = {}  # menu label (as links carry it) -> network
    for entry in trained:
        try:
            options[entry.label] = ModelRef.checkpoint(entry)
        except OSError:  # deleted since it was listed
            continue
    if not options:
        st.info(
            "No trained model is available yet: train one on the Training page (a LeNet-5 on "
            "Fashion-MNIST takes a minute), or upload a checkpoint on the Home page. Meanwhile you "
            "can open an untrained network from the zoo below: its layers and kernels show the "
            "architecture, but its predictions mean nothing."
        )
        st.page_link("pages/training.py", label="Train a network", icon=":material/model_training:")
    for ref in map(ModelRef.zoo, list_models()):
        options[ref.label] = ref
    label = st.selectbox("Network", list(options), key="inside_network", bind=links.BIND)
    return options[label]


network_ref = _choose_network()
try:
    network = caches.opened_network(network_ref)
except (CheckpointError, ValueError) as error:
    st.error(escape(f"This network cannot be opened: {error}"))  # the sentence may quote the file
    st.stop()
model, classes, dataset_name = network.model, network.classes, network.dataset
channels, height, width = model.input_shape
if network.note:
    st.info(network.note)

dataset = None
if dataset_name:
    try:
        dataset = data.load_dataset(dataset_name)
    except (data.DatasetUnavailable, ValueError) as error:
        st.warning(escape(f"The test set of this model is not available here, so the confusion matrix and test "
                          f"images are off: {error}"))  # names the checkpoint's dataset


# ---------------------------------------------------------------------------------------------
# Which image


def _pick_random(class_filter: str) -> None:
    labels = dataset.test_labels
    pool = range(len(labels)) if class_filter == "any class" else (
        labels == dataset.classes.index(class_filter)).nonzero().flatten().tolist()
    st.session_state["inside_test_index"] = int(random.choice(list(pool)))


def _input_image():
    """(original picture or None, PreparedImage or None, true label or None)."""
    sources = SOURCES if dataset is not None else SOURCES[1:]
    if st.session_state.get("inside_source") not in sources:
        st.session_state["inside_source"] = sources[0]
    source = st.radio("Image", sources, horizontal=True, key="inside_source", bind=links.BIND)
    invert_default = "auto" if dataset is not None and dataset.info.white_on_black else "no"
    if source == "Test-set image":
        left, right = st.columns([2, 1])
        with left:
            class_filter = st.selectbox("Class to pick from", ["any class", *dataset.classes], key="inside_test_class", bind=links.BIND)
            last = len(dataset.test_labels) - 1
            st.session_state["inside_test_index"] = min(int(st.session_state.get("inside_test_index", 0)), last)
            index = st.number_input("Test image number", 0, last, key="inside_test_index", bind=links.BIND)
        with right:
            st.write("")
            st.button("Random image of that class", on_click=_pick_random, args=(class_filter,), icon=":material/casino:")
        picture = dataset.test_images[int(index)]  # (C, H, W) uint8
        label = int(dataset.test_labels[int(index)])
        original = _to_pil(picture)
        if tuple(picture.shape) == (channels, height, width):
            tensor = data.to_float(picture).unsqueeze(0)  # (1, C, H, W)
            prepared = images.PreparedImage(tensor, original, False, "A test image: exactly what the model was trained on, used as it is.")
            return original, prepared, label
        return original, images.prepare_for_model(original, channels=channels, size=(height, width)), label
    if source == "Bundled photo":
        name = st.selectbox("Photo", images.sample_image_names(), key="inside_sample", bind=links.BIND,
                            format_func=lambda n: f"{n}: {images.SAMPLE_IMAGES[n]}")
        original = caches.sample_image(name)
    else:
        upload = st.file_uploader("A photo (JPEG, PNG, WebP, BMP, GIF or TIFF)", key="inside_upload")
        if upload is None:
            st.info("Upload a photo to see what the network makes of it.")
            return None, None, None
        try:
            original = caches.uploaded_image(upload.getvalue())
        except images.ImageError as error:
            st.error(str(error))
            return None, None, None
    invert = st.radio(
        "Swap black and white", ["auto", "yes", "no"], horizontal=True,
        index=["auto", "yes", "no"].index(invert_default), key="inside_invert", bind=links.BIND,
        help="Fashion-MNIST and MNIST show light objects on black; a photo of a dark object on "
             "white paper must be inverted to look like them. 'auto' inverts when the border is bright.",
    )
    invert_value = {"auto": "auto", "yes": True, "no": False}[invert]
    return original, images.prepare_for_model(original, channels=channels, size=(height, width), invert=invert_value), None


def _to_pil(picture):
    from PIL import Image

    array = picture.permute(1, 2, 0).numpy()  # (C, H, W) -> (H, W, C)
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)


def _enlarged(picture, side: int = 224):
    """Nearest-neighbour enlargement, so 28 x 28 pixels stay crisp squares on a projector."""
    from PIL import Image

    scale = max(1, side // max(picture.size))
    return picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)


original, prepared, true_label = _input_image()
if prepared is None:
    st.stop()

image_hash = caches.image_hash(prepared.tensor)
captured = inside_cache.layer_outputs(network_ref, image_hash, prepared.tensor)
probabilities = captured.probabilities()
predicted = int(probabilities.argmax())

left, middle, right = st.columns([1, 1, 2])
with left:
    st.subheader("Your image")
    st.image(original, width="stretch")
with middle:
    st.subheader("What the model sees")
    st.image(_enlarged(prepared.image), width="stretch")
    st.caption(f"{width} x {height}, {'grayscale' if channels == 1 else 'RGB'}. {prepared.note}")
with right:
    st.subheader("Prediction")
    # Class names come from the checkpoint: shown as text.
    verdict = f"**{escape(classes[predicted])}** with {probabilities[predicted]:.1%}"
    if true_label is not None:
        verdict += " (right)" if predicted == true_label else f" (wrong: it is **{escape(classes[true_label])}**)"
    st.markdown(f"The network says {verdict}.")
    top_k = st.slider("Classes shown (top-k)", 1, len(classes), min(10, len(classes)), key="inside_top_k", bind=links.BIND)
    presentation.plot(figs.probability_bars(probabilities, classes, true_label=true_label, top_k=top_k),
                    key="inside_probabilities")
    st.caption("Softmax turns the last layer's scores (logits) into probabilities; the prediction is the largest.")

st.divider()
view = st.radio("Look at", VIEWS, horizontal=True, key="inside_view", bind=links.BIND)


# ---------------------------------------------------------------------------------------------
# Views


def _layer_outputs_view() -> None:
    layers = captured.layers
    st.markdown(
        "Each step of the network turns the image into new **feature maps**, one per channel. The "
        "strip shows one picture per step: the **mean over its channels**. Convolution, batch norm, "
        "ReLU and pooling are separate steps, so you can see what each one does."
    )
    kinds = [layer.kind for layer in layers]
    labels = [f"{i + 1}. {layer.kind} {layer.name} ({layer.shape_text})" for i, layer in enumerate(layers)]
    chosen_label = st.selectbox("Layer", labels, index=min(1, len(labels) - 1), key="inside_layer", bind=links.BIND)
    chosen = layers[labels.index(chosen_label)]
    presentation.plot(figs.activation_overview(activations.overview(captured), kinds, selected=chosen.name),
                    key="inside_overview")
    if not chosen.is_spatial:
        names = classes if chosen.output.numel() == len(classes) else None
        presentation.plot(figs.vector_bars(chosen.output.numpy(), labels=names,
                                         title=f"{chosen.name}: {chosen.output.numel()} values"),
                        key="inside_vector")
        return
    output = chosen.output.numpy()
    a, b = st.columns(2)
    scale = a.radio("Colour scale", figs.CHANNEL_SCALES, horizontal=True, key="inside_scale", bind=links.BIND,
                    format_func=lambda s: {"channel": "per channel", "layer": "per layer", "global": "global"}[s])
    order_by = b.radio("Order channels by", ["index", "activation"], horizontal=True, key="inside_order", bind=links.BIND,
                       format_func=lambda s: {"index": "number", "activation": "mean activation"}[s])
    order = activations.channel_order(chosen.output, order_by)
    grid = figs.channel_grid(output, scale=scale, global_range=activations.value_range(captured), order=order)
    event = presentation.plot(grid, on_select="rerun", selection_mode="points", key=f"inside_grid_{chosen.name}")
    if output.shape[0] > 64:
        st.caption(f"The first 64 of {output.shape[0]} channels in this order.")
    clicked = [p.get("customdata") for p in (event.selection.points if event else []) if p.get("curve_number") == 1]
    click_key = (chosen.name, clicked[0] if clicked else None)
    if clicked and st.session_state.get("inside_last_click") != click_key:
        st.session_state["inside_channel"] = int(clicked[0])
    st.session_state["inside_last_click"] = click_key
    if st.session_state.get("inside_channel", 0) >= output.shape[0]:
        st.session_state["inside_channel"] = 0
    channel = st.number_input("Channel (or click one above)", 0, output.shape[0] - 1, key="inside_channel", bind=links.BIND)
    values = output[int(channel)]
    presentation.plot(figs.channel_detail(values, title=f"{chosen.name}, channel {channel}: "
                                        f"min {values.min():.3f}, max {values.max():.3f}"),
                    key="inside_channel_detail")


def _kernels_view() -> None:
    convs = learned_kernels.conv_layers(model)
    if not convs:
        st.info("This network has no convolution layers.")
        return
    names = [name for name, _ in convs]
    a, b = st.columns(2)
    layer_name = a.selectbox("Convolution layer", names, key="inside_kernel_layer", bind=links.BIND)
    normalisation = b.radio(
        "Normalise", learned_kernels.NORMALISATIONS, horizontal=True, key="inside_kernel_norm", bind=links.BIND,
        format_func=lambda s: {"per_kernel": "per kernel", "per_layer": "per layer", "symmetric": "symmetric around 0"}[s],
    )
    weight = dict(convs)[layer_name].weight
    st.markdown(
        f"`{layer_name}` has weights of shape {' x '.join(str(n) for n in weight.shape)} "
        "(output channels x input channels x height x width). "
        + ("Its input is colour, so each kernel is drawn as a small RGB picture."
           if weight.shape[1] == 3 else
           "Its input has one channel, so each picture is one output channel's kernel."
           if weight.shape[1] == 1 else "Each row is one output channel, each column one input channel.")
    )
    twin = dict(learned_kernels.conv_layers(inside_cache.untrained_twin(network_ref)))[layer_name]
    left, right = st.columns(2)
    with left:
        presentation.plot(figs.kernel_grid(learned_kernels.kernel_pictures(weight, normalisation),
                                         title=f"{network.title}"), key="inside_kernels_trained")
    with right:
        presentation.plot(figs.kernel_grid(learned_kernels.kernel_pictures(twin.weight, normalisation),
                                         title="The same layer, untrained (seed 0)"), key="inside_kernels_untrained")
    snapshots = learned_kernels.kernel_snapshots(network.meta)
    if snapshots and layer_name == names[0]:
        labels = [label for label, _ in snapshots]
        chosen = st.select_slider("The first layer's kernels during training", labels, value=labels[-1],
                                  key="inside_kernel_epoch", bind=links.BIND)
        weights = dict(snapshots)[chosen]
        presentation.plot(figs.kernel_grid(learned_kernels.kernel_pictures(weights, normalisation), title=chosen),
                        key="inside_kernels_epoch")
    elif layer_name == names[0]:
        st.caption("Networks trained on the Training page keep their first-layer kernels after each epoch; "
                   "this one has none, so there is no epoch slider.")


def _attribution_view() -> None:
    a, b, c = st.columns(3)
    method = a.radio("Method", attribution.METHODS, key="inside_attr_method", bind=links.BIND,
                     format_func=lambda m: attribution.METHOD_TITLES[m])
    targets = ["the predicted class", *classes]
    target_label = b.selectbox("Explain the class", targets, key="inside_attr_target", bind=links.BIND)
    target = None if target_label == targets[0] else classes.index(target_label)
    layer = None
    if method == "gradcam":
        layers = inside_cache.gradcam_layers(network_ref, image_hash, prepared.tensor)
        if not layers:
            st.info("Grad-CAM needs a convolution layer whose output is larger than 1 x 1.")
            return
        layer = c.selectbox("Grad-CAM layer", layers, key="inside_attr_layer", bind=links.BIND,
                            help="The last convolution is the usual choice: deep enough to know the class, "
                                 "still with a map of where.")
    opacity = c.slider("Overlay opacity", 0.0, 1.0, 0.7, key="inside_attr_opacity", bind=links.BIND)
    try:
        result = inside_cache.attribution_map(network_ref, image_hash, prepared.tensor, method, target, layer)
    except attribution.AttributionError as error:
        st.error(str(error))
        return
    picture = images.to_array(prepared.image)  # exactly the model's input, (H, W) or (H, W, 3)
    title = f"{attribution.METHOD_TITLES[method]} for '{classes[result.target]}'" + (
        f" at {result.layer}" if result.layer else "")
    presentation.plot(figs.attribution_overlay(picture, result.heatmap, opacity=opacity, raw=result.raw, title=title),
                    key="inside_attribution_overlay")
    explanations = {
        "gradcam": "Grad-CAM weights each channel of the chosen layer by how much the class score "
                   "rises with it (the mean gradient), adds the channels up and keeps the positive part: "
                   "a coarse map of where the evidence for the class is.",
        "saliency": "Saliency is |d score / d pixel|: the pixels whose change would move the class "
                    "score fastest. Sharp but noisy.",
        "integrated_gradients": "Integrated gradients average the gradient along the path from a black "
                                "image to this one; the contributions add up to score(image) - "
                                "score(black). Bright = pushes the score up.",
        "occlusion": "Occlusion hides one patch at a time behind black and records how much the class "
                     "score drops: no gradients, only forward passes.",
    }
    st.caption(explanations[method] + " Computed with captum.")


def _open_in_attribution(index: int) -> None:
    st.session_state["inside_source"] = "Test-set image"
    st.session_state["inside_test_index"] = int(index)
    st.session_state["inside_test_class"] = "any class"
    st.session_state["inside_view"] = "Attribution"


def _confusion_view() -> None:
    if dataset is None:
        st.info("The confusion matrix needs the test set the model was trained for; this network does not name one.")
        return
    if len(dataset.classes) != len(classes):
        st.warning(f"This model has {len(classes)} outputs but {dataset.info.title} has {len(dataset.classes)} classes.")
        return
    probabilities_all, predictions, targets = inside_cache.test_predictions(network_ref, dataset_name)
    matrix = metrics.confusion_matrix(predictions, targets, len(classes))
    scores = metrics.per_class_scores(matrix)
    st.markdown(
        f"All {len(targets):,} {dataset.info.title} test images: accuracy **{scores.accuracy:.1%}**. "
        "Row = the actual class, column = what the model predicted; the diagonal is right. "
        "Click a cell to see its images."
    )
    normalise = st.radio("Show", ["counts", "row"], horizontal=True, key="inside_confusion_norm", bind=links.BIND,
                         format_func=lambda s: {"counts": "counts", "row": "share of each row"}[s])
    event = presentation.plot(figs.confusion_heatmap(matrix.numpy(), classes, normalise=normalise),
                            on_select="rerun", selection_mode="points", key="inside_confusion")
    clicked = [p.get("customdata") for p in (event.selection.points if event else []) if p.get("curve_number") == 1]
    if clicked and st.session_state.get("inside_last_cell") != clicked[0]:
        clicked_actual, clicked_predicted = divmod(int(clicked[0]), len(classes))  # flat index a * K + p
        st.session_state["inside_cell_actual"] = classes[clicked_actual]
        st.session_state["inside_cell_predicted"] = classes[clicked_predicted]
    st.session_state["inside_last_cell"] = clicked[0] if clicked else None
    undefined = scores.undefined.tolist()
    st.dataframe(
        [{"Class": name, "Precision": float(scores.precision[i]), "Recall": float(scores.recall[i]),
          "F1": float(scores.f1[i]), "Test images": int(scores.support[i])}
         for i, name in enumerate(classes)],
        hide_index=True, key="inside_scores",
        column_config={k: st.column_config.NumberColumn(format="%.3f") for k in ("Precision", "Recall", "F1")},
    )
    st.caption("Precision: of the images called this class, the share that are. Recall: of the images of "
               "this class, the share found. F1: their harmonic mean."
               + (" A score with nothing to divide by (a class never predicted) is shown as 0." if any(undefined) else ""))
    if "inside_cell_actual" not in st.session_state:
        # Start on the biggest mistake: the most instructive cell.
        actual, predicted_class = metrics.largest_mistake(matrix)
        st.session_state["inside_cell_actual"] = classes[actual]
        st.session_state["inside_cell_predicted"] = classes[predicted_class]
    a, b = st.columns(2)
    actual_name = a.selectbox("Actual class", classes, key="inside_cell_actual", bind=links.BIND)
    predicted_name = b.selectbox("Predicted class", classes, key="inside_cell_predicted", bind=links.BIND)
    actual, predicted_class = classes.index(actual_name), classes.index(predicted_name)
    indices = metrics.mistakes(probabilities_all, targets, actual, predicted_class)
    st.markdown(f"**{len(indices)}** test images of *{escape(actual_name)}* predicted as *{escape(predicted_name)}*, "
                "most confident first.")
    shown = indices[:GALLERY_SIZE].tolist()
    columns = st.columns(8)
    for slot, index in enumerate(shown):
        with columns[slot % 8]:
            st.image(_enlarged(_to_pil(dataset.test_images[index]), 112), width="stretch",
                     caption=escape(f"#{index}: {probabilities_all[index, predicted_class]:.0%} {predicted_name}"))
            st.button("Explain", key=f"inside_explain_{index}", on_click=_open_in_attribution, args=(index,),
                      help="Open this image in the attribution view")


{"Layer outputs": _layer_outputs_view, "Kernels": _kernels_view, "Attribution": _attribution_view,
 "Confusion matrix": _confusion_view}[view]()
