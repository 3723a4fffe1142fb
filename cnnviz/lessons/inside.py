"""What the Inside page shows of one image going through a trained network, computed without
Streamlit: the image the model sees, its predictions, every layer's output, the kernels, the
attribution titles, and the confusion matrix with the mistakes behind each cell.

pages/inside.py only reads its widgets, calls these functions and draws what they return. Every
number and sentence a student reads is made here, so a unit test can hold it against torch or a
worked example. Sentences that quote a checkpoint's class names take ``quote``: the function that
turns such a name into markup showing exactly its text (the page passes dashboard.markup.escape),
since a checkpoint is a file anyone can upload.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from cnnviz import activations, data, images, learned_kernels, metrics
from cnnviz.attribution import METHOD_TITLES

Quote = Callable[[str], str]

INTRO = (
    "A trained network is a stack of layers, each turning the previous layer's feature maps into new "
    "ones: a convolution layer computes $a^{(l)} = \\mathrm{ReLU}(W^{(l)} * a^{(l-1)} + b^{(l)})$, and "
    "the last layer's logits $z$ become probabilities with the softmax, $p_k = e^{z_k} / \\sum_j e^{z_j}$; "
    "the prediction is the class with the largest $p_k$. Open a network on your own image: every "
    "layer's activations, its learned kernels, its predictions, what it looked at (Grad-CAM weighs "
    "the last feature maps by the gradient of the class score), and its confusion matrix."
)
TRY_THIS = (
    "**Try this first:** keep the shipped LeNet-5 and a test image, step through the layers from "
    "the first convolution to the logits (early maps are edges, late ones are blobs), then open "
    "*Attribution* with Grad-CAM, and finally the *Confusion matrix*: click the largest off-diagonal "
    "cell to see which shirts it calls T-shirts."
)
NO_TRAINED_MODEL = (
    "No trained model is available yet: train one on the Training page (a LeNet-5 on "
    "Fashion-MNIST takes a minute), or upload a checkpoint on the Home page. Meanwhile you "
    "can open an untrained network from the zoo below: its layers and kernels show the "
    "architecture, but its predictions mean nothing."
)

# What the page's controls offer, declared once: the page's widgets read these.
VIEWS = ("Layer outputs", "Kernels", "Attribution", "Confusion matrix")
SOURCES = ("Test-set image", "Bundled photo", "Upload a photo")
ANY_CLASS = "any class"
INVERT_CHOICES = {"auto": "auto", "yes": True, "no": False}  # menu entry -> images.prepare_for_model's invert
INVERT_HELP = ("Fashion-MNIST and MNIST show light objects on black; a photo of a dark object on "
               "white paper must be inverted to look like them. 'auto' inverts when the border is bright.")
UPLOAD_WAITING = "Upload a photo to see what the network makes of it."
TOP_K_SHOWN = 10  # classes the probability bars show at first
SEEN_SIDE = 224  # pixels of the enlarged "what the model sees" picture
SOFTMAX_CAPTION = "Softmax turns the last layer's scores (logits) into probabilities; the prediction is the largest."

LAYERS_INTRO = (
    "Each step of the network turns the image into new **feature maps**, one per channel. The "
    "strip shows one picture per step: the **mean over its channels**. Convolution, batch norm, "
    "ReLU and pooling are separate steps, so you can see what each one does."
)
CHANNEL_SCALES = {"channel": "per channel", "layer": "per layer", "global": "global"}  # as the channel grid takes them
CHANNEL_ORDERS = {"index": "number", "activation": "mean activation"}  # as activations.channel_order takes them
GRID_CHANNELS = 64  # channels the grid draws at most

KERNEL_NORMALISATIONS = {"per_kernel": "per kernel", "per_layer": "per layer", "symmetric": "symmetric around 0"}
NO_CONVOLUTION = "This network has no convolution layers."
NO_SNAPSHOTS = ("Networks trained on the Training page keep their first-layer kernels after each epoch; "
                "this one has none, so there is no epoch slider.")
UNTRAINED_TITLE = "The same layer, untrained (seed 0)"

PREDICTED_CLASS = "the predicted class"  # the attribution target that follows the prediction
OPACITY = (0.0, 1.0, 0.7)  # overlay opacity: lowest, highest, first value
NO_GRADCAM_LAYER = "Grad-CAM needs a convolution layer whose output is larger than 1 x 1."
GRADCAM_LAYER_HELP = ("The last convolution is the usual choice: deep enough to know the class, "
                      "still with a map of where.")
METHOD_EXPLANATIONS = {
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
CAPTUM = " Computed with captum."

NO_TEST_SET = "The confusion matrix needs the test set the model was trained for; this network does not name one."
CONFUSION_SHOWS = {"counts": "counts", "row": "share of each row"}  # as the confusion heatmap takes them
SCORE_COLUMNS = ("Precision", "Recall", "F1")  # the table's columns of shares, shown to 3 decimals
SCORES_CAPTION = ("Precision: of the images called this class, the share that are. Recall: of the images of "
                  "this class, the share found. F1: their harmonic mean.")
UNDEFINED_SCORES = " A score with nothing to divide by (a class never predicted) is shown as 0."
GALLERY_SIZE = 24  # mistakes shown of one cell
GALLERY_COLUMNS = 8
GALLERY_SIDE = 112  # pixels of one enlarged mistake


# ---------------------------------------------------------------------------------------------
# The image


def load_test_set(name: str) -> tuple[data.ImageDataset | None, str | None]:
    """The test set a network was trained for, or None and the sentence saying why it is off.

    Args:
        name: the dataset the checkpoint names ("" for none: no sentence). The sentence may quote
            it, and a checkpoint is anyone's file: escape it where markup shows it.
    """
    if not name:
        return None, None
    try:
        return data.load_dataset(name), None
    except (data.DatasetUnavailable, ValueError) as error:
        return None, ("The test set of this model is not available here, so the confusion matrix and test "
                      f"images are off: {error}")


def image_numbers(dataset: data.ImageDataset) -> tuple[int, int]:
    """The "test image number" box: (0, the last index)."""
    return 0, len(dataset.test_labels) - 1


def sources(has_test_set: bool) -> tuple[str, ...]:
    """The image sources offered: test images only when the network's test set is here."""
    return SOURCES if has_test_set else SOURCES[1:]


def invert_default(white_on_black: bool) -> str:
    """The first "swap black and white" entry: "auto" for a light-on-black dataset, else "no"."""
    return "auto" if white_on_black else "no"


def class_filter_options(classes: Sequence[str]) -> list[str]:
    """The "class to pick from" menu: any class, then each class of the test set."""
    return [ANY_CLASS, *classes]


def random_test_index(labels: Sequence[int], classes: Sequence[str], class_filter: str,
                      rng: random.Random | None = None) -> int:
    """A test image drawn at random from the chosen class (or from all of them).

    Args:
        labels: (N,) the test set's labels.
        classes: the test set's class names, indexed by label.
        class_filter: ANY_CLASS or one of ``classes``.
        rng: the random source (default: the module's).

    Returns:
        An index into the test set whose label is the chosen class.
    """
    labels = np.asarray(labels)
    pool = (np.arange(len(labels)) if class_filter == ANY_CLASS
            else np.flatnonzero(labels == list(classes).index(class_filter)))
    return int((rng or random).choice(pool.tolist()))


def to_picture(picture) -> Image.Image:
    """A (C, H, W) uint8 image tensor as a PIL picture: mode "L" for one channel, "RGB" for three."""
    array = np.asarray(picture).transpose(1, 2, 0)  # (C, H, W) -> (H, W, C)
    return Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)


def enlarged(picture: Image.Image, side: int = SEEN_SIDE) -> Image.Image:
    """Nearest-neighbour enlargement by a whole factor, so 28 x 28 pixels stay crisp squares on a
    projector: the longer side grows to at most ``side`` (never shrinks)."""
    scale = max(1, side // max(picture.size))
    return picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)


@dataclass(frozen=True)
class Input:
    """The image the page runs through the network.

    Attributes:
        original: the picture as chosen (PIL).
        prepared: what the model receives, and the sentence saying what was done to it.
        true_label: its class for a test image, else None.
        seen_caption: the caption under "What the model sees".
    """

    original: Image.Image
    prepared: images.PreparedImage
    true_label: int | None
    seen_caption: str


def _seen_caption(input_shape: tuple[int, int, int], prepared: images.PreparedImage) -> str:
    channels, height, width = input_shape
    return f"{width} x {height}, {'grayscale' if channels == 1 else 'RGB'}. {prepared.note}"


def dataset_input(dataset: data.ImageDataset, index: int, input_shape: tuple[int, int, int]) -> Input:
    """Test image ``index`` prepared for a model taking (C, H, W) = ``input_shape``: as it is
    when it has that shape (what the model was trained on), else fitted like a photo."""
    picture = dataset.test_images[int(index)]  # (C, H, W) uint8
    original = to_picture(picture)
    channels, height, width = input_shape
    if tuple(picture.shape) == tuple(input_shape):
        prepared = images.PreparedImage(data.to_float(picture).unsqueeze(0), original, False,
                                        "A test image: exactly what the model was trained on, used as it is.")
    else:
        prepared = images.prepare_for_model(original, channels=channels, size=(height, width))
    return Input(original, prepared, int(dataset.test_labels[int(index)]), _seen_caption(input_shape, prepared))


def photo_input(photo: Image.Image, input_shape: tuple[int, int, int], invert: str) -> Input:
    """A photo fitted to the model's (C, H, W) input, inverted as the INVERT_CHOICES entry says."""
    channels, height, width = input_shape
    prepared = images.prepare_for_model(photo, channels=channels, size=(height, width), invert=INVERT_CHOICES[invert])
    return Input(photo, prepared, None, _seen_caption(input_shape, prepared))


# ---------------------------------------------------------------------------------------------
# The prediction


@dataclass(frozen=True)
class Bars:
    """The probability bars as drawn, top to bottom: values, class names, and the row of the true
    class (None when unknown)."""

    values: tuple[float, ...]
    names: tuple[str, ...]
    true_row: int | None


@dataclass(frozen=True)
class Prediction:
    """What the network says about the image.

    Attributes:
        ranking: class indices, most probable first (ties: the lower index first).
        probabilities: (K,) softmax of the logits.
        predicted: the most probable class.
        true_label: the image's class when known.
        verdict: "The network says **Bag** with 87.0% (right)." (Markdown, names quoted).
    """

    ranking: tuple[int, ...]
    probabilities: tuple[float, ...]
    predicted: int
    true_label: int | None
    verdict: str

    def top_k_range(self) -> tuple[int, int, int]:
        """The "classes shown" slider: (1, K, first value)."""
        return 1, len(self.ranking), min(TOP_K_SHOWN, len(self.ranking))

    def bars(self, classes: Sequence[str], top_k: int) -> Bars:
        """The ``top_k`` most probable classes, then the true class if it is not among them."""
        rows = list(self.ranking[:max(1, top_k)])
        if self.true_label is not None and self.true_label not in rows:
            rows.append(self.true_label)
        return Bars(tuple(self.probabilities[i] for i in rows), tuple(classes[i] for i in rows),
                    rows.index(self.true_label) if self.true_label is not None else None)


def prediction(probabilities: Sequence[float], classes: Sequence[str], true_label: int | None,
               quote: Quote) -> Prediction:
    """The prediction and its sentence.

    Args:
        probabilities: (K,) softmax probabilities (CapturedForward.probabilities()).
        classes: K class names.
        true_label: the image's class, or None.
        quote: class name -> markup showing it as text.

    Returns:
        Prediction.
    """
    values = np.asarray(probabilities, dtype=np.float64)
    ranking = tuple(int(i) for i in np.argsort(-values, kind="stable"))
    predicted = ranking[0]
    verdict = f"**{quote(classes[predicted])}** with {values[predicted]:.1%}"
    if true_label is not None:
        verdict += " (right)" if predicted == true_label else f" (wrong: it is **{quote(classes[true_label])}**)"
    return Prediction(ranking, tuple(float(v) for v in values), predicted, true_label,
                      f"The network says {verdict}.")


# ---------------------------------------------------------------------------------------------
# Clicks on a chart


def followed_click(event, scope: str, remembered) -> tuple[object | None, tuple]:
    """A chart's click, followed once: the rerun a click causes (and every later one) reports the
    same selection, which must not undo what the student chose since.

    Args:
        event: the chart's selection event, {"selection": {"points": [...]}}, or None. The
            clickable markers are the chart's second trace (curve_number 1); their customdata is
            the cell or channel.
        scope: what the chart shows (a layer name): the same tile of another layer is a new click.
        remembered: this function's second answer on the previous run (None at first).

    Returns:
        (the clicked customdata when the click is new, else None; what to remember).
    """
    points = ((event or {}).get("selection") or {}).get("points") or []
    clicked = [point.get("customdata") for point in points if point.get("curve_number") == 1]
    seen = (scope, clicked[0] if clicked else None)
    return (clicked[0] if clicked and seen != remembered else None), seen


# ---------------------------------------------------------------------------------------------
# Layer outputs


def layer_labels(captured: activations.CapturedForward) -> list[str]:
    """The layer menu: "2. ReLU features.act1 (6 x 28 x 28)", numbered in the order they ran."""
    return [f"{i + 1}. {layer.kind} {layer.name} ({layer.shape_text})" for i, layer in enumerate(captured.layers)]


def first_layer_shown(count: int) -> int:
    """The layer menu's first choice: the second step, or the only one."""
    return min(1, count - 1)


@dataclass(frozen=True)
class LayerView:
    """One step's output, as the Layer outputs view draws it.

    Attributes:
        name, kind: the step's.
        output: float32 (C, H, W) feature maps or an (F,) vector.
        overview: (name, mean over channels) of every step, for the strip; kinds: their classes.
        value_range: (min, max) over every step, for a global colour scale.
        vector_names: the class names when a vector has one value per class, else None.
        vector_title: "fc3: 10 values" (vectors only).
        grid_caption: "The first 64 of 120 channels in this order." when the grid leaves some out.
    """

    name: str
    kind: str
    output: np.ndarray
    overview: list
    kinds: list[str]
    value_range: tuple[float, float]
    vector_names: list[str] | None
    vector_title: str
    grid_caption: str | None

    @property
    def is_spatial(self) -> bool:
        return self.output.ndim == 3

    @property
    def channels(self) -> int:
        return self.output.shape[0] if self.is_spatial else 0

    def channel_order(self, by: str) -> list[int]:
        """Channel indices in display order: by "index" or by mean "activation" (strongest first)."""
        import torch

        return activations.channel_order(torch.from_numpy(self.output), by)


def layer_view(captured: activations.CapturedForward, index: int, classes: Sequence[str]) -> LayerView:
    """Step ``index`` (0-based, as layer_labels counts from 1) of a captured forward pass."""
    layer = captured.layers[index]
    output = layer.output.numpy()
    count = output.size
    vector_names = list(classes) if output.ndim != 3 and count == len(classes) else None
    grid_caption = (f"The first {GRID_CHANNELS} of {output.shape[0]} channels in this order."
                    if output.ndim == 3 and output.shape[0] > GRID_CHANNELS else None)
    return LayerView(layer.name, layer.kind, output, activations.overview(captured),
                     [step.kind for step in captured.layers], activations.value_range(captured),
                     vector_names, f"{layer.name}: {count} values", grid_caption)


def channel_to_show(current: int, clicked: int | None, channels: int) -> int:
    """The channel to show: a newly clicked tile's, else the current one if this layer has it, else 0.

    Args:
        current: the channel box's value.
        clicked: the channel of a new click on the grid, or None.
        channels: the layer's channel count.
    """
    channel = int(current if clicked is None else clicked)
    return channel if 0 <= channel < channels else 0


@dataclass(frozen=True)
class ChannelDetail:
    """One channel drawn large: its (H, W) values and the title with their range."""

    values: np.ndarray
    title: str


def channel_detail(view: LayerView, channel: int) -> ChannelDetail:
    """Channel ``channel`` of a spatial step, titled "features.c1, channel 3: min -0.120, max 0.870"."""
    values = view.output[int(channel)]
    return ChannelDetail(values, f"{view.name}, channel {channel}: min {values.min():.3f}, max {values.max():.3f}")


# ---------------------------------------------------------------------------------------------
# Kernels


def conv_layer_names(model) -> list[str]:
    """The network's convolution layers, in registration order: the kernel menu."""
    return [name for name, _ in learned_kernels.conv_layers(model)]


@dataclass(frozen=True)
class KernelView:
    """One convolution layer's kernels, trained and untrained.

    Attributes:
        description: the sentence on the weights' shape and how they are drawn (Markdown).
        trained, untrained: the layer's kernel pictures, in this network and freshly initialised.
        snapshots: [(label, weights)] of the first layer during training, when this is the first
            layer and the checkpoint kept them; else empty.
        no_snapshots: the caption saying why there is no epoch slider, or None.
    """

    description: str
    trained: learned_kernels.KernelPictures
    untrained: learned_kernels.KernelPictures
    snapshots: list
    no_snapshots: str | None

    @property
    def snapshot_labels(self) -> list[str]:
        """The epoch slider's stops, "before training" first when the checkpoint kept it."""
        return [label for label, _ in self.snapshots]

    def snapshot(self, label: str, normalisation: str) -> learned_kernels.KernelPictures:
        """The first layer's kernels at the snapshot called ``label``."""
        return learned_kernels.kernel_pictures(dict(self.snapshots)[label], normalisation)


def kernel_view(model, untrained_model, layer: str, normalisation: str, meta: dict) -> KernelView:
    """The kernels of convolution ``layer`` of ``model`` and of its untrained twin.

    Args:
        model, untrained_model: the network and the same architecture freshly initialised.
        layer: one of conv_layer_names(model).
        normalisation: one of KERNEL_NORMALISATIONS.
        meta: the checkpoint's meta ({} for a zoo network), for the first layer's snapshots.

    Returns:
        KernelView.
    """
    weight = dict(learned_kernels.conv_layers(model))[layer].weight  # (C_out, C_in/groups, F_h, F_w)
    twin = dict(learned_kernels.conv_layers(untrained_model))[layer].weight
    inputs = weight.shape[1]
    description = (
        f"`{layer}` has weights of shape {' x '.join(str(n) for n in weight.shape)} "
        "(output channels x input channels x height x width). "
        + ("Its input is colour, so each kernel is drawn as a small RGB picture." if inputs == 3 else
           "Its input has one channel, so each picture is one output channel's kernel." if inputs == 1 else
           "Each row is one output channel, each column one input channel.")
    )
    first = layer == conv_layer_names(model)[0]
    snapshots = learned_kernels.kernel_snapshots(meta) if first else []
    return KernelView(description, learned_kernels.kernel_pictures(weight, normalisation),
                      learned_kernels.kernel_pictures(twin, normalisation), snapshots,
                      NO_SNAPSHOTS if first and not snapshots else None)


# ---------------------------------------------------------------------------------------------
# Attribution


def attribution_targets(classes: Sequence[str]) -> list[str]:
    """The "explain the class" menu: the predicted class, then every class."""
    return [PREDICTED_CLASS, *classes]


def attribution_target(choice: str, classes: Sequence[str]) -> int | None:
    """The class to explain for a menu entry: None follows the prediction."""
    return None if choice == PREDICTED_CLASS else list(classes).index(choice)


def attribution_title(method: str, target_name: str, layer: str | None) -> str:
    """"Grad-CAM for 'Bag' at features.c3": the overlay's title (a plain figure title)."""
    return f"{METHOD_TITLES[method]} for '{target_name}'" + (f" at {layer}" if layer else "")


def method_caption(method: str) -> str:
    return METHOD_EXPLANATIONS[method] + CAPTUM


# ---------------------------------------------------------------------------------------------
# Confusion matrix


def confusion_refusal(classes: Sequence[str], dataset: data.ImageDataset | None) -> str | None:
    """The sentence refusing a confusion matrix: no test set, or one whose classes are not the
    network's outputs; None when it can be drawn."""
    if dataset is None:
        return NO_TEST_SET
    if len(dataset.classes) == len(classes):
        return None
    return f"This model has {len(classes)} outputs but {dataset.info.title} has {len(dataset.classes)} classes."


@dataclass(frozen=True)
class Confusion:
    """The confusion matrix view's numbers and sentences.

    Attributes:
        matrix: (K, K) counts, [actual, predicted].
        summary: "All 10,000 Fashion-MNIST test images: accuracy **81.2%**. ..." (Markdown).
        rows: the scores table, one dict per class (Class, Precision, Recall, F1, Test images).
        scores_caption: what the scores mean (and that undefined ones show as 0, when some are).
        largest_mistake: (actual, predicted) of the off-diagonal cell with the most images.
    """

    matrix: np.ndarray
    summary: str
    rows: tuple[dict, ...]
    scores_caption: str
    largest_mistake: tuple[int, int]


def confusion(predictions, targets, classes: Sequence[str], dataset_title: str) -> Confusion:
    """The confusion matrix of a test set's predictions and the per-class scores.

    Args:
        predictions, targets: (N,) predicted and true classes.
        classes: K class names.
        dataset_title: e.g. "Fashion-MNIST" (the dataset registry's, not the checkpoint's).

    Returns:
        Confusion.
    """
    import torch

    targets = torch.as_tensor(targets)
    matrix = metrics.confusion_matrix(torch.as_tensor(predictions), targets, len(classes))
    scores = metrics.per_class_scores(matrix)
    summary = (f"All {len(targets):,} {dataset_title} test images: accuracy **{scores.accuracy:.1%}**. "
               "Row = the actual class, column = what the model predicted; the diagonal is right. "
               "Click a cell to see its images.")
    rows = tuple({"Class": name, "Precision": float(scores.precision[i]), "Recall": float(scores.recall[i]),
                  "F1": float(scores.f1[i]), "Test images": int(scores.support[i])}
                 for i, name in enumerate(classes))
    caption = SCORES_CAPTION + (UNDEFINED_SCORES if bool(scores.undefined.any()) else "")
    return Confusion(matrix.numpy(), summary, rows, caption, metrics.largest_mistake(matrix))


def cell_of(flat_index: int, num_classes: int) -> tuple[int, int]:
    """(actual, predicted) of a clicked heatmap cell, whose flat index is actual * K + predicted."""
    return divmod(int(flat_index), num_classes)


def cell_to_show(clicked: int | None, chosen: bool, largest_mistake: tuple[int, int],
                 num_classes: int) -> tuple[int, int] | None:
    """Where the cell menus must move: to a newly clicked cell, else to the largest mistake (the
    most instructive cell) while no cell is chosen yet; None keeps the student's choice.

    Args:
        clicked: the flat index of a new click on the heatmap, or None.
        chosen: whether the menus already hold a cell.
        largest_mistake: Confusion.largest_mistake.
        num_classes: K.

    Returns:
        (actual, predicted) or None.
    """
    if clicked is not None:
        return cell_of(clicked, num_classes)
    return None if chosen else tuple(largest_mistake)


def explained(index: int) -> dict:
    """The page's widget values (by key) that open test image ``index`` in the attribution view:
    what a gallery tile's "Explain" button sets."""
    return {"inside_source": SOURCES[0], "inside_test_index": int(index), "inside_test_class": ANY_CLASS,
            "inside_view": "Attribution"}


@dataclass(frozen=True)
class Tile:
    """One mistake in the gallery: its test index, its enlarged picture and caption (Markdown)."""

    index: int
    picture: Image.Image
    caption: str


@dataclass(frozen=True)
class Gallery:
    """The test images of one confusion cell: how many, and the first GALLERY_SIZE, most confident first."""

    sentence: str
    tiles: tuple[Tile, ...]


def gallery(probabilities, targets, test_images, classes: Sequence[str], actual: int, predicted: int,
            quote: Quote) -> Gallery:
    """The images of cell (actual, predicted), most confident in ``predicted`` first.

    Args:
        probabilities: (N, K) softmax outputs over the test set.
        targets: (N,) true classes.
        test_images: (N, C, H, W) uint8.
        classes: K class names.
        actual, predicted: the cell's row and column.
        quote: text -> markup showing it as text.

    Returns:
        Gallery.
    """
    indices = metrics.mistakes(probabilities, targets, actual, predicted).tolist()
    sentence = (f"**{len(indices)}** test images of *{quote(classes[actual])}* predicted as "
                f"*{quote(classes[predicted])}*, most confident first.")
    tiles = tuple(
        Tile(index, enlarged(to_picture(test_images[index]), GALLERY_SIDE),
             quote(f"#{index}: {float(probabilities[index, predicted]):.0%} {classes[predicted]}"))
        for index in indices[:GALLERY_SIZE]
    )
    return Gallery(sentence, tiles)
