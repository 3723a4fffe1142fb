"""The Inside page's lesson: every number and sentence the page shows, against torch or a worked example.

Probabilities are held against torch.softmax of the shipped LeNet-5's own logits; layer shapes,
channel ranges and channel order against a small network on a non-square input whose outputs are
worked out by hand and by torch's functional ops; the confusion matrix, its scores and its
gallery against a hand-counted example. Pictures are non-square, so a swapped width and height shows.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from cnnviz import activations, attribution, learned_kernels
from cnnviz.figures import inside_figures as figs
from cnnviz.lessons import inside as lesson
from cnnviz.models import load_checkpoint
from cnnviz.paths import PRETRAINED_DIR

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def angle(text: str) -> str:
    """A quote that shows where a name was quoted: <name>."""
    return f"<{text}>"


# ---------------------------------------------------------------------------------------------
# The prediction


@pytest.fixture(scope="module")
def lenet():
    return load_checkpoint(PRETRAINED_DIR / "lenet5-fashion-mnist.pt").eval()


def test_probabilities_are_torch_softmax_of_the_shipped_lenets_logits(lenet):
    image = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    captured = activations.capture_layer_outputs(lenet, image)
    said = lesson.prediction(captured.probabilities(), list(lenet.classes), 3, quote=angle)
    with torch.no_grad():
        expected = torch.softmax(lenet(image).double(), dim=1)[0]
    assert np.allclose(said.probabilities, expected.numpy(), atol=1e-6)
    best = int(expected.argmax())
    assert said.predicted == best == said.ranking[0]
    assert list(said.ranking) == torch.argsort(expected, descending=True, stable=True).tolist()
    name, share = lenet.classes[best], f"{float(expected[best]) * 100:.1f}%"
    ending = " (right)." if best == 3 else f" (wrong: it is **<{lenet.classes[3]}>**)."
    assert said.verdict == f"The network says **<{name}>** with {share}{ending}"


def test_the_verdict_of_a_worked_example():
    classes = ["cat", "dog", "owl"]
    probabilities = [0.1, 0.625, 0.275]
    wrong = lesson.prediction(probabilities, classes, 2, quote=angle)
    assert wrong.verdict == "The network says **<dog>** with 62.5% (wrong: it is **<owl>**)."
    assert lesson.prediction(probabilities, classes, 1, quote=angle).verdict == "The network says **<dog>** with 62.5% (right)."
    assert lesson.prediction(probabilities, classes, None, quote=angle).verdict == "The network says **<dog>** with 62.5%."
    assert wrong.ranking == (1, 2, 0)


def test_the_bars_are_the_top_k_then_the_true_class():
    classes = ["a", "b", "c", "d", "e"]
    said = lesson.prediction([0.05, 0.4, 0.1, 0.3, 0.15], classes, 0, quote=angle)
    assert said.bars(classes, 2) == lesson.Bars((0.4, 0.3, 0.05), ("b", "d", "a"), 2)
    assert said.bars(classes, 5) == lesson.Bars((0.4, 0.3, 0.15, 0.1, 0.05), ("b", "d", "e", "c", "a"), 4)
    unknown = lesson.prediction([0.05, 0.4, 0.1, 0.3, 0.15], classes, None, quote=angle)
    assert unknown.bars(classes, 1) == lesson.Bars((0.4,), ("b",), None)
    assert said.top_k_range() == (1, 5, 5)
    assert lesson.prediction(np.full(12, 1 / 12), [str(i) for i in range(12)], None, angle).top_k_range() == (1, 12, 10)


@pytest.mark.parametrize("true_label", [None, 0, 2, 5])
@pytest.mark.parametrize("top_k", [1, 2, 3, 6])
def test_the_bars_draw_exactly_what_the_whole_probability_vector_drew(true_label, top_k):
    # Ties included: the lesson's rows must give the figure the page drew before, bar for bar.
    classes = [f"class {i}" for i in range(6)]
    probabilities = [0.25, 0.1, 0.25, 0.2, 0.1, 0.1]
    bars = lesson.prediction(probabilities, classes, true_label, quote=angle).bars(classes, top_k)
    drawn = figs.probability_bars(bars.values, bars.names, true_label=bars.true_row).data[0]
    before = figs.probability_bars(probabilities, classes, true_label=true_label, top_k=top_k).data[0]
    assert list(drawn.y) == list(before.y)
    assert list(drawn.x) == list(before.x)
    assert list(drawn.marker.color) == list(before.marker.color)


# ---------------------------------------------------------------------------------------------
# Layer outputs, on a non-square input


def small_network() -> nn.Module:
    """1 x 6 x 9 in: conv 2x3 -> 3 x 5 x 7, ReLU, max pool 2 -> 3 x 2 x 3, flatten 18, linear 4."""
    torch.manual_seed(5)  # channel means in the order 1, 2, 0: ordering by activation moves every channel
    return nn.Sequential(nn.Conv2d(1, 3, (2, 3)), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(18, 4)).eval()


@pytest.fixture(scope="module")
def captured_small():
    model = small_network()
    image = torch.randn(1, 1, 6, 9, generator=torch.Generator().manual_seed(2))
    return model, image, activations.capture_layer_outputs(model, image)


def test_layer_labels_give_each_steps_shape_rows_then_columns(captured_small):
    _, _, captured = captured_small
    assert lesson.layer_labels(captured) == [
        "1. Conv2d 0 (3 x 5 x 7)", "2. ReLU 1 (3 x 5 x 7)", "3. MaxPool2d 2 (3 x 2 x 3)",
        "4. Flatten 3 (18)", "5. Linear 4 (4)",
    ]
    assert lesson.first_layer_shown(5) == 1 and lesson.first_layer_shown(1) == 0


def test_a_channels_values_and_range_are_torchs(captured_small):
    model, image, captured = captured_small
    view = lesson.layer_view(captured, 0, ["w", "x", "y", "z"])
    expected = F.conv2d(image, model[0].weight, model[0].bias)[0]  # (3, 5, 7)
    assert view.is_spatial and view.channels == 3 and view.output.shape == (3, 5, 7)
    for channel in range(3):
        detail = lesson.channel_detail(view, channel)
        values = expected[channel].detach()
        assert np.allclose(detail.values, values.numpy(), atol=1e-6)
        assert detail.title == f"0, channel {channel}: min {float(values.min()):.3f}, max {float(values.max()):.3f}"
    means = expected.detach().mean(dim=(1, 2))
    assert view.channel_order("activation") == sorted(range(3), key=lambda c: -float(means[c])) == [1, 2, 0]
    assert view.channel_order("index") == [0, 1, 2]


def test_the_strip_and_the_global_range_cover_every_step(captured_small):
    model, image, captured = captured_small
    view = lesson.layer_view(captured, 2, ["w", "x", "y", "z"])
    assert view.kinds == ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    assert [name for name, _ in view.overview] == ["0", "1", "2", "3", "4"]
    pooled = F.max_pool2d(F.relu(F.conv2d(image, model[0].weight, model[0].bias)), 2)[0]
    assert np.allclose(dict(view.overview)["2"], pooled.detach().mean(dim=0).numpy(), atol=1e-6)
    with torch.no_grad():
        outputs = [model[: i + 1](image) for i in range(5)]
    low, high = min(float(o.min()) for o in outputs), max(float(o.max()) for o in outputs)
    assert view.value_range == pytest.approx((low, high), abs=1e-6)


def test_a_vector_is_named_by_the_classes_only_when_it_has_one_value_per_class(captured_small):
    _, _, captured = captured_small
    flat = lesson.layer_view(captured, 3, ["w", "x", "y", "z"])
    logits = lesson.layer_view(captured, 4, ["w", "x", "y", "z"])
    assert not flat.is_spatial and flat.vector_names is None and flat.vector_title == "3: 18 values"
    assert logits.vector_names == ["w", "x", "y", "z"] and logits.vector_title == "4: 4 values"


def test_the_grid_says_when_it_leaves_channels_out():
    def caption(channels):
        model = nn.Sequential(nn.Conv2d(1, channels, 1)).eval()
        captured = activations.capture_layer_outputs(model, torch.rand(1, 1, 2, 3))
        return lesson.layer_view(captured, 0, []).grid_caption

    assert caption(64) is None
    assert caption(70) == "The first 64 of 70 channels in this order."


def test_the_channel_follows_a_new_click_and_falls_back_to_zero():
    assert lesson.channel_to_show(2, None, 3) == 2
    assert lesson.channel_to_show(2, 0, 3) == 0
    assert lesson.channel_to_show(5, None, 3) == 0  # the new layer has fewer channels
    assert lesson.channel_to_show(3, None, 3) == 0  # channels 0, 1, 2: 3 is one past the end
    assert lesson.channel_to_show(0, 7, 8) == 7


def test_a_click_is_followed_once():
    event = {"selection": {"points": [{"curve_number": 0, "customdata": 9}, {"curve_number": 1, "customdata": 4}]}}
    clicked, seen = lesson.followed_click(event, "conv", None)
    assert clicked == 4 and seen == ("conv", 4)
    assert lesson.followed_click(event, "conv", seen) == (None, seen)  # the rerun the click caused
    assert lesson.followed_click(event, "pool", seen) == (4, ("pool", 4))  # the same tile, another layer
    assert lesson.followed_click(None, "conv", seen) == (None, ("conv", None))
    assert lesson.followed_click({"selection": {"points": []}}, "", None) == (None, ("", None))


def browser_click(figure, point: int) -> object:
    """The selection event Streamlit hands the page when the student clicks marker ``point`` of
    the figure's clickable trace, through Streamlit's own decoding of what the browser sends."""
    import json

    from streamlit.elements.plotly_chart import PlotlyChartSelectionSerde

    markers = figure.data[1]
    picked = {"curve_number": 1, "point_number": point, "point_index": point,
              "x": float(markers.x[point]), "y": float(markers.y[point]), "customdata": markers.customdata[point]}
    return PlotlyChartSelectionSerde().deserialize(json.dumps(
        {"selection": {"points": [picked], "point_indices": [point], "box": [], "lasso": []}}))


def test_a_click_on_the_heatmap_opens_the_cell_under_the_pointer():
    # 3 classes: the marker at column (predicted) x, row (actual) y must open cell (y, x).
    heatmap = figs.confusion_heatmap(np.arange(9).reshape(3, 3), ["a", "b", "c"])
    for point, (x, y) in enumerate(zip(heatmap.data[1].x, heatmap.data[1].y)):
        clicked, _ = lesson.followed_click(browser_click(heatmap, point), "", None)
        assert lesson.cell_of(clicked, 3) == (int(y), int(x))
    from streamlit.elements.plotly_chart import PlotlyChartSelectionSerde

    nothing = PlotlyChartSelectionSerde().deserialize(None)  # no click yet
    assert lesson.followed_click(nothing, "", None) == (None, ("", None))


def test_a_click_on_a_grid_tile_opens_that_channel_in_the_grids_order(captured_small):
    _, _, captured = captured_small
    view = lesson.layer_view(captured, 0, [])
    order = view.channel_order("activation")
    assert order != sorted(order)  # the grid's order is not the channels' own
    grid = figs.channel_grid(view.output, order=order, max_channels=lesson.GRID_CHANNELS)
    for slot, channel in enumerate(order):
        clicked, _ = lesson.followed_click(browser_click(grid, slot), view.name, None)
        assert lesson.channel_to_show(0, clicked, view.channels) == channel


# ---------------------------------------------------------------------------------------------
# The image


def test_a_test_image_becomes_a_picture_pixel_for_pixel_rows_then_columns():
    grey = torch.arange(15, dtype=torch.uint8).reshape(1, 3, 5) * 10  # (C, H, W): 3 rows, 5 columns
    picture = lesson.to_picture(grey)
    assert picture.mode == "L" and picture.size == (5, 3)  # PIL: (width, height)
    assert picture.getpixel((4, 2)) == int(grey[0, 2, 4]) and picture.getpixel((1, 0)) == int(grey[0, 0, 1])
    colour = torch.arange(24, dtype=torch.uint8).reshape(3, 2, 4)
    picture = lesson.to_picture(colour)
    assert picture.mode == "RGB" and picture.size == (4, 2)
    assert picture.getpixel((3, 1)) == tuple(int(v) for v in colour[:, 1, 3])


def test_enlarging_keeps_pixels_square_and_the_longer_side_within_bounds():
    picture = Image.fromarray(np.arange(20 * 28, dtype=np.uint8).reshape(28, 20))  # 20 wide, 28 high
    big = lesson.enlarged(picture)
    assert big.size == (160, 224)  # 224 // 28 = 8 times
    for row, col in [(0, 0), (27, 19), (5, 13)]:
        assert big.getpixel((8 * col + 7, 8 * row + 3)) == picture.getpixel((col, row))
    assert lesson.enlarged(picture, 112).size == (80, 112)
    wide = Image.new("L", (300, 40))
    assert lesson.enlarged(wide).size == (300, 40)  # never shrunk


def fake_test_set(images, labels, classes=("top", "shoe", "bag"), white_on_black=True):
    info = SimpleNamespace(title="Tiny", white_on_black=white_on_black)
    return SimpleNamespace(test_images=images, test_labels=torch.tensor(labels), classes=tuple(classes), info=info)


def test_a_test_image_of_the_models_shape_is_used_as_it_is():
    images = torch.randint(0, 256, (2, 1, 4, 6), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    shown = lesson.dataset_input(fake_test_set(images, [2, 0]), 1, (1, 4, 6))
    assert shown.true_label == 0
    assert torch.equal(shown.prepared.tensor, images[1:2].float() / 255)
    assert shown.original.size == (6, 4)
    assert shown.seen_caption == "6 x 4, grayscale. A test image: exactly what the model was trained on, used as it is."


def test_a_test_image_of_another_shape_is_fitted_like_a_photo():
    images = torch.randint(0, 256, (1, 1, 4, 6), dtype=torch.uint8)
    shown = lesson.dataset_input(fake_test_set(images, [1]), 0, (3, 5, 8))
    assert shown.prepared.tensor.shape == (1, 3, 5, 8)
    assert shown.seen_caption.startswith("8 x 5, RGB. ")


def test_a_photo_is_fitted_and_inverted_as_chosen():
    photo = Image.new("RGB", (30, 20), (250, 250, 250))
    photo.paste((0, 0, 0), (10, 5, 20, 15))
    inverted = lesson.photo_input(photo, (1, 4, 6), "yes")
    kept = lesson.photo_input(photo, (1, 4, 6), "no")
    automatic = lesson.photo_input(photo, (1, 4, 6), "auto")  # a bright border: inverted
    assert inverted.prepared.inverted and not kept.prepared.inverted and automatic.prepared.inverted
    assert inverted.prepared.tensor.shape == (1, 1, 4, 6) and inverted.prepared.image.size == (6, 4)
    assert torch.allclose(inverted.prepared.tensor, 1 - kept.prepared.tensor, atol=1 / 255 + 1e-6)
    assert inverted.true_label is None and inverted.seen_caption.startswith("6 x 4, grayscale. ")


def test_a_random_image_is_of_the_chosen_class():
    labels = [0, 1, 2, 1, 1, 0]
    rng = random.Random(0)
    picks = {lesson.random_test_index(labels, ["top", "shoe", "bag"], "shoe", rng) for _ in range(200)}
    assert picks == {1, 3, 4}
    assert {lesson.random_test_index(labels, ["top", "shoe", "bag"], "bag", rng) for _ in range(20)} == {2}
    assert {lesson.random_test_index(labels, ["top", "shoe", "bag"], lesson.ANY_CLASS, rng)
            for _ in range(300)} == set(range(6))


def test_the_image_controls():
    assert lesson.sources(True) == lesson.SOURCES and lesson.sources(False) == lesson.SOURCES[1:]
    assert lesson.invert_default(True) == "auto" and lesson.invert_default(False) == "no"
    assert lesson.class_filter_options(("top", "bag")) == [lesson.ANY_CLASS, "top", "bag"]
    assert lesson.image_numbers(fake_test_set(torch.zeros(7, 1, 2, 2, dtype=torch.uint8), [0] * 7)) == (0, 6)


def test_a_test_set_that_is_not_named_or_not_known():
    assert lesson.load_test_set("") == (None, None)
    dataset, sentence = lesson.load_test_set("no-such-set")
    assert dataset is None and "no-such-set" in sentence
    assert sentence.startswith("The test set of this model is not available here")


# ---------------------------------------------------------------------------------------------
# Kernels


def kernel_network() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, (2, 5)), nn.ReLU(), nn.Conv2d(4, 2, (3, 1)), nn.Conv2d(2, 6, 1, groups=2))


def test_the_kernel_sentence_gives_the_weights_shape_out_in_height_width():
    model, twin = kernel_network(), kernel_network()
    first = lesson.kernel_view(model, twin, "0", "per_layer", {})
    assert first.description == ("`0` has weights of shape 4 x 3 x 2 x 5 (output channels x input channels x "
                                 "height x width). Its input is colour, so each kernel is drawn as a small RGB picture.")
    second = lesson.kernel_view(model, twin, "2", "per_layer", {})
    assert second.description.startswith("`2` has weights of shape 2 x 4 x 3 x 1 ")
    assert second.description.endswith("Each row is one output channel, each column one input channel.")
    grouped = lesson.kernel_view(model, twin, "3", "per_layer", {})  # 2 channels in 2 groups: 1 per kernel
    assert grouped.description.endswith("Its input has one channel, so each picture is one output channel's kernel.")
    weight = model[2].weight.detach()
    assert second.trained.weight_range == pytest.approx((float(weight.min()), float(weight.max())))
    assert second.trained.values.shape == (2, 4, 3, 1)
    assert lesson.conv_layer_names(model) == ["0", "2", "3"]


def test_the_untrained_twin_is_drawn_beside_the_trained_layer():
    model = kernel_network()
    twin = kernel_network()
    with torch.no_grad():
        model[2].weight.mul_(3)
    shown = lesson.kernel_view(model, twin, "2", "per_layer", {})
    untrained = twin[2].weight.detach()
    assert shown.untrained.weight_range == pytest.approx((float(untrained.min()), float(untrained.max())))
    assert shown.trained.weight_range == pytest.approx((3 * float(untrained.min()), 3 * float(untrained.max())))


def test_snapshots_belong_to_the_first_layer_only():
    model = kernel_network()
    snapshots = [np.full((4, 3, 2, 5), value).tolist() for value in (0.0, 0.5, 1.0)]
    meta = {"kernel_snapshots": snapshots, "epochs": 2}
    first = lesson.kernel_view(model, model, "0", "per_layer", meta)
    assert first.snapshot_labels == ["before training", "after epoch 1", "after epoch 2"]
    assert first.no_snapshots is None
    assert first.snapshot("after epoch 1", "symmetric").weight_range == (0.5, 0.5)
    later = lesson.kernel_view(model, model, "2", "per_layer", meta)
    assert later.snapshots == [] and later.no_snapshots is None
    assert lesson.kernel_view(model, model, "0", "per_layer", {}).no_snapshots == lesson.NO_SNAPSHOTS


# ---------------------------------------------------------------------------------------------
# Attribution


def test_the_attribution_target_and_title():
    classes = ["top", "bag"]
    assert lesson.attribution_targets(classes) == [lesson.PREDICTED_CLASS, "top", "bag"]
    assert lesson.attribution_target(lesson.PREDICTED_CLASS, classes) is None
    assert lesson.attribution_target("bag", classes) == 1
    assert lesson.attribution_title("gradcam", "Bag", "features.c3") == "Grad-CAM for 'Bag' at features.c3"
    assert lesson.attribution_title("saliency", "Bag", None) == f"{attribution.METHOD_TITLES['saliency']} for 'Bag'"
    for method in attribution.METHODS:
        assert lesson.method_caption(method) == lesson.METHOD_EXPLANATIONS[method] + " Computed with captum."


# ---------------------------------------------------------------------------------------------
# Confusion matrix, worked by hand

# Three classes, nine images: rows are the actual class, columns the prediction.
#             predicted a  b  c
#   actual a            1  2  0
#   actual b            0  2  0
#   actual c            1  0  3
TARGETS = [0, 0, 0, 1, 1, 2, 2, 2, 2]
PREDICTIONS = [0, 1, 1, 1, 1, 2, 0, 2, 2]


def test_the_confusion_matrix_and_scores_of_a_worked_example():
    shown = lesson.confusion(torch.tensor(PREDICTIONS), torch.tensor(TARGETS), ["a", "b", "c"], "Tiny")
    assert shown.matrix.tolist() == [[1, 2, 0], [0, 2, 0], [1, 0, 3]]
    assert shown.summary.startswith("All 9 Tiny test images: accuracy **66.7%**. ")  # 6 of 9 on the diagonal
    # Precision: diagonal / column sum (2, 4, 3); recall: diagonal / row sum (3, 2, 4).
    precision, recall = [1 / 2, 2 / 4, 3 / 3], [1 / 3, 2 / 2, 3 / 4]
    for row, name, p, r, support in zip(shown.rows, "abc", precision, recall, (3, 2, 4)):
        assert row["Class"] == name and row["Test images"] == support
        assert row["Precision"] == pytest.approx(p) and row["Recall"] == pytest.approx(r)
        assert row["F1"] == pytest.approx(2 * p * r / (p + r))
    assert shown.largest_mistake == (0, 1)  # two a's called b
    assert shown.scores_caption == lesson.SCORES_CAPTION


def test_a_class_never_predicted_is_said_to_score_zero():
    shown = lesson.confusion(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 2, 1, 2]), ["a", "b", "c"], "Tiny")
    assert shown.matrix.tolist() == [[1, 0, 0], [0, 1, 0], [1, 1, 0]]
    assert shown.rows[2]["Precision"] == 0 and shown.rows[2]["Recall"] == 0
    assert shown.scores_caption == lesson.SCORES_CAPTION + lesson.UNDEFINED_SCORES
    assert shown.largest_mistake == (2, 0)  # ties go to the first cell in reading order


def test_thousands_are_grouped_in_the_summary():
    shown = lesson.confusion(torch.zeros(1200, dtype=torch.long), torch.zeros(1200, dtype=torch.long), ["a", "b"], "Big")
    assert shown.summary.startswith("All 1,200 Big test images: accuracy **100.0%**.")
    assert shown.largest_mistake == (0, 0)  # no mistakes


def test_a_clicked_cell_is_actual_row_then_predicted_column():
    assert lesson.cell_of(5, 3) == (1, 2)  # 1 * 3 + 2
    assert lesson.cell_of(7, 4) == (1, 3)
    assert lesson.cell_to_show(5, True, (0, 1), 3) == (1, 2)
    assert lesson.cell_to_show(None, False, (0, 1), 3) == (0, 1)
    assert lesson.cell_to_show(None, True, (0, 1), 3) is None


def test_the_gallery_lists_a_cells_images_most_confident_first():
    # Images 1, 4 and 6 are a's predicted b, with P(b) = 0.6, 0.9 and 0.7.
    probabilities = torch.tensor([[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.1, 0.8, 0.1], [0.2, 0.7, 0.1],
                                  [0.05, 0.9, 0.05], [0.1, 0.1, 0.8], [0.2, 0.7, 0.1]])
    targets = torch.tensor([0, 0, 1, 2, 0, 2, 0])
    images = torch.arange(7 * 15, dtype=torch.uint8).reshape(7, 1, 3, 5)  # 3 rows, 5 columns
    cell = lesson.gallery(probabilities, targets, images, ["a", "b", "c"], 0, 1, quote=angle)
    assert cell.sentence == "**3** test images of *<a>* predicted as *<b>*, most confident first."
    assert [tile.index for tile in cell.tiles] == [4, 6, 1]
    assert [tile.caption for tile in cell.tiles] == ["<#4: 90% b>", "<#6: 70% b>", "<#1: 60% b>"]
    picture = cell.tiles[0].picture
    assert picture.size == (110, 66)  # 112 // 5 = 22 times 5 x 3
    assert picture.getpixel((22 * 4, 22 * 2)) == int(images[4, 0, 2, 4])


def test_the_gallery_shows_at_most_its_size():
    probabilities = torch.tensor([[0.2, 0.8]] * 30)
    cell = lesson.gallery(probabilities, torch.zeros(30, dtype=torch.long), torch.zeros(30, 1, 2, 2, dtype=torch.uint8),
                          ["a", "b"], 0, 1, quote=str)
    assert cell.sentence.startswith("**30** test images") and len(cell.tiles) == lesson.GALLERY_SIZE == 24


def test_the_confusion_matrix_is_refused_without_a_matching_test_set():
    assert lesson.confusion_refusal(["a", "b"], None) == lesson.NO_TEST_SET
    images = torch.zeros(1, 1, 2, 2, dtype=torch.uint8)
    assert lesson.confusion_refusal(["a", "b", "c"], fake_test_set(images, [0])) is None
    assert lesson.confusion_refusal(["a", "b"], fake_test_set(images, [0])) == (
        "This model has 2 outputs but Tiny has 3 classes.")


# ---------------------------------------------------------------------------------------------
# The controls the lesson declares are the ones the library takes


def test_every_declared_option_is_one_the_library_takes():
    assert tuple(lesson.CHANNEL_SCALES) == figs.CHANNEL_SCALES
    assert tuple(lesson.KERNEL_NORMALISATIONS) == learned_kernels.NORMALISATIONS
    assert set(lesson.METHOD_EXPLANATIONS) == set(attribution.METHODS)
    output = torch.rand(2, 3, 4)
    for order in lesson.CHANNEL_ORDERS:
        assert sorted(activations.channel_order(output, order)) == [0, 1]
    for shown in lesson.CONFUSION_SHOWS:
        figs.confusion_heatmap(np.eye(2, dtype=int), ["a", "b"], normalise=shown)
    for choice, value in lesson.INVERT_CHOICES.items():
        assert value in ("auto", True, False), choice


def test_explain_opens_the_image_in_the_attribution_view_with_declared_values():
    settings = lesson.explained(17)
    assert settings == {"inside_source": "Test-set image", "inside_test_index": 17,
                        "inside_test_class": lesson.ANY_CLASS, "inside_view": "Attribution",
                        "inside_attr_target": lesson.PREDICTED_CLASS}
    assert settings["inside_source"] in lesson.SOURCES and settings["inside_view"] in lesson.VIEWS
