"""cnnviz.lessons.feature_vis: the menus' entries and what each means, the priors the controls
make, run() handing each plan to its method with the plan's settings, and the views: every
caption's score and probability is what torch computes on the returned pictures, the verdict
counts the pictures called their own class, a stopped run says so and drops what it cannot claim,
the inversion sentence quotes the pixel distances, and class names reach the page only quoted."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
import torch

from cnnviz import feature_vis
from cnnviz.activations import capture_layer_outputs
from cnnviz.data import to_float
from cnnviz.feature_vis import LOGITS, Ascent, FeatureVisError, Regularisation, objectives
from cnnviz.lessons import feature_vis as lesson
from cnnviz.models import load_checkpoint
from cnnviz.paths import PRETRAINED_DIR
from dashboard.markup import escape

pytestmark = pytest.mark.usefixtures("one_torch_thread")

DEFAULT = lesson.maximise_regularisation(True, lesson.DEFAULT_JITTER, lesson.DEFAULT_L2, lesson.DEFAULT_BLUR)
NUMBER = r"(-?\d+(?:\.\d+)?)"


def visible(text: str) -> str:
    """A quote function whose work shows: what it returns cannot be mistaken for the raw text."""
    return f"Q[{text.upper()}]"


@pytest.fixture(scope="module")
def lenet(shipped_lenet):
    return shipped_lenet


@pytest.fixture(scope="module")
def classes(lenet):
    return list(lenet.classes)


@pytest.fixture(scope="module")
def image(fashion):
    """Test image 0 (an ankle boot) as the (1, 1, 28, 28) floats the models take."""
    return to_float(fashion.test_images[:1])


@pytest.fixture(scope="module")
def kinds(lenet):
    return feature_vis.layer_kinds(lenet, lenet.input_shape)


def _probabilities(model, pictures):
    with torch.no_grad():
        return torch.softmax(model(pictures), 1)


def _stopped(ascent: Ascent, done: int) -> Ascent:
    return dataclasses.replace(ascent, steps_done=done)


# ---------------------------------------------------------------- menus


def test_every_class_is_offered_only_for_a_few_classes(classes):
    assert lesson.class_options(classes) == [lesson.EVERY_CLASS, *classes]
    sixteen = [f"c{i}" for i in range(lesson.MAX_EVERY_CLASS)]
    assert lesson.class_options(sixteen)[0] == lesson.EVERY_CLASS
    many = [f"c{i}" for i in range(lesson.MAX_EVERY_CLASS + 1)]
    assert lesson.class_options(many) == many
    assert lesson.chosen_classes(lesson.EVERY_CLASS, classes) == tuple(range(10))
    assert lesson.chosen_classes(lesson.EVERY_CLASS, sixteen) == tuple(range(lesson.MAX_PICTURES))
    assert lesson.chosen_classes("Sneaker", classes) == (7,)


def test_the_channel_menus_mean_channels_the_layer_has():
    assert lesson.channel_options(6) == [lesson.EVERY_CHANNEL, "0", "1", "2", "3", "4", "5"]
    assert lesson.chosen_channels(lesson.EVERY_CHANNEL, 6) == (0, 1, 2, 3, 4, 5)
    assert lesson.chosen_channels(lesson.EVERY_CHANNEL, 120) == tuple(range(lesson.MAX_PICTURES))
    assert lesson.chosen_channels("3", 6) == (3,)
    assert lesson.chosen_channels("15", 6) == (5,), "a number past the layer (kept from a wider one): the last"
    assert lesson.dream_channel_options(3) == [lesson.ALL_CHANNELS, "0", "1", "2"]
    assert lesson.dream_channel(lesson.ALL_CHANNELS, 16) == ()
    assert lesson.dream_channel("2", 16) == (2,) and lesson.dream_channel("40", 16) == (15,)


def test_the_spatial_layers_are_those_with_feature_maps(kinds):
    assert lesson.spatial_layers(kinds) == {"features.c1": 6, "features.act1": 6, "features.s2": 6,
                                            "features.c3": 16, "features.act3": 16, "features.s4": 16,
                                            "features.c5": 120, "features.act5": 120}
    # The middle activation (act1, act3, act5): a raw convolution's square also rewards negative responses.
    assert list(lesson.spatial_layers(kinds))[lesson.first_dream_layer(kinds)] == "features.act3"


def test_the_inverted_layers_are_what_the_next_layer_reads_ending_at_the_logits(kinds):
    assert lesson.inverted_layers(kinds) == ("features.act1", "features.s2", "features.act3", "features.s4",
                                             "features.act5", "classifier.act6", LOGITS)
    small = load_checkpoint(PRETRAINED_DIR / "small-cnn-fashion-mnist.pt", map_location="cpu")
    small_kinds = feature_vis.layer_kinds(small, small.input_shape)
    read = [label for label, (kind, _) in small_kinds.items() if kind in lesson.READ_KINDS]
    assert len(read) + 1 > lesson.MAX_INVERTED_LAYERS, "enough layers that some are left out"
    chosen = lesson.inverted_layers(small_kinds)
    assert len(chosen) == lesson.MAX_INVERTED_LAYERS and chosen[0] == read[0] and chosen[-1] == LOGITS
    positions = [read.index(label) for label in chosen[:-1]]
    assert positions == sorted(set(positions)), "early to late, each once"
    assert max(np.diff(positions)) - min(np.diff(positions)) <= 1, "evenly spaced"
    assert not any(small_kinds[label][0] in ("Conv2d", "BatchNorm2d") for label in chosen[:-1])


def test_the_dream_side_is_four_times_the_networks_up_to_224():
    assert lesson.dream_side(28) == 112
    assert lesson.dream_side(32) == 128
    assert lesson.dream_side(64) == 224
    assert lesson.dream_side(224) == 224 and lesson.dream_side(300) == 300, "never smaller than the network's"


def test_the_rows_hold_five_tiles_at_most_and_are_evened_out():
    assert lesson.row_length(10, "class") == 5
    assert lesson.row_length(16, "channel") == 4
    assert lesson.row_length(8, "invert") == 4
    assert lesson.row_length(3, "class") == 3 and lesson.row_length(6, "channel") == 3
    assert lesson.row_length(2, "dream") == 2
    tiles = list(range(10))
    assert lesson.tile_rows(tiles, 4) == ((0, 1, 2, 3), (4, 5, 6, 7), (8, 9))


def test_the_priors_follow_the_controls():
    assert lesson.maximise_regularisation(True, 3, 0.1, 8) == Regularisation(3, 0.1, 8, lesson.BLUR_SIGMA, 0.0)
    assert lesson.maximise_regularisation(False, 3, 0.1, 8) == Regularisation.none()
    assert DEFAULT == Regularisation()
    assert lesson.method_regularisation("dream", True) == Regularisation(lesson.DREAM_JITTER, 0.0, 0, 0.0, 0.0)
    assert lesson.method_regularisation("invert", True) == Regularisation(0, 0.0, 0, 0.0, lesson.INVERSION_TV)
    assert lesson.method_regularisation("dream", False) == Regularisation.none()
    assert lesson.method_regularisation("invert", False) == Regularisation.none()


# ---------------------------------------------------------------- run


def test_run_hands_each_plan_to_its_method_with_the_plans_settings(lenet, image):
    settings = dict(regularisation=DEFAULT, seed=lesson.SEED)
    plan = lesson.Plan("maximise", "", (1, 3), 16, DEFAULT)
    assert plan.kind == "class" and hash(plan) == hash(lesson.Plan("maximise", "", (1, 3), 16, DEFAULT))
    made = lesson.run(lenet, plan)
    expected = objectives.maximise_classes(lenet, (1, 3), steps=16, lr=lesson.LEARNING_RATES["maximise"], **settings)
    assert torch.equal(made.pictures, expected.pictures) and made.steps == 16
    other_lr = objectives.maximise_classes(lenet, (1, 3), steps=16, lr=0.2, **settings)
    assert not torch.equal(made.pictures, other_lr.pictures), "the learning rate is the method's"

    plan = lesson.Plan("maximise", "features.c3", (2,), 16, DEFAULT)
    assert plan.kind == "channel"
    expected = objectives.maximise_channels(lenet, "features.c3", (2,), steps=16, lr=0.05, **settings)
    assert torch.equal(lesson.run(lenet, plan).pictures, expected.pictures)

    dream = lesson.method_regularisation("dream", True)
    plan = lesson.Plan("dream", "features.act1", (4,), 8, dream, "hash")
    assert plan.kind == "dream"
    expected = objectives.deep_dream(lenet, image, "features.act1", 4, steps=8, lr=lesson.LEARNING_RATES["dream"],
                                     regularisation=dream, seed=lesson.SEED)
    assert torch.equal(lesson.run(lenet, plan, image).pictures, expected.pictures)
    whole = lesson.run(lenet, dataclasses.replace(plan, targets=()), image)
    assert whole.first[0] == pytest.approx(objectives.deep_dream(lenet, image, "features.act1", steps=0).first[0])
    with pytest.raises(FeatureVisError, match="needs an image"):
        lesson.run(lenet, plan)

    tv = lesson.method_regularisation("invert", True)
    plan = lesson.Plan("invert", "", ("features.act1", LOGITS), 8, tv, "hash")
    expected = objectives.invert(lenet, image, ("features.act1", LOGITS), steps=8, lr=0.05, regularisation=tv, seed=0)
    assert plan.kind == "invert" and torch.equal(lesson.run(lenet, plan, image).pictures, expected.pictures)


def test_run_measures_a_stopped_runs_pictures_and_passes_progress_and_stop_on(lenet, image):
    plan = lesson.Plan("maximise", "", (0, 9), 40, DEFAULT)
    reports, asked = [], []
    stopped = lesson.run(lenet, plan, on_progress=lambda done, p: reports.append(done),
                         should_stop=lambda: asked.append(1) or len(asked) > 20)
    assert reports == [0, 8, 16] and (stopped.steps_done, stopped.steps, stopped.stopped) == (20, 40, True)
    measured = lesson.run(lenet, plan, start=stopped.pictures, steps=0)  # what the page shows after Stop
    assert torch.equal(measured.pictures, stopped.pictures) and measured.steps_done == 0
    np.testing.assert_allclose(measured.final, stopped.final, rtol=1e-6)
    dream = lesson.Plan("dream", "features.act1", (), 4, Regularisation.none(), "hash")
    other = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    assert torch.equal(lesson.run(lenet, dream, image, start=other, steps=0).pictures, other)


# ---------------------------------------------------------------- views


def _caption_numbers(caption: str) -> tuple[float, float]:
    match = re.fullmatch(rf"\*\*.+\*\*  \nscore {NUMBER}, p = {NUMBER}%", caption)
    assert match, caption
    return float(match.group(1)), float(match.group(2))


def test_the_class_captions_are_the_networks_scores_on_the_pictures(lenet, classes):
    plan = lesson.Plan("maximise", "", tuple(range(10)), 32, DEFAULT)
    ascent = lesson.run(lenet, plan)
    view = lesson.result_view(lenet, plan, ascent, classes, escape)
    with torch.no_grad():
        logits = lenet(ascent.pictures)
    probabilities = torch.softmax(logits, 1)
    assert len(view.tiles) == 10 and view.names == tuple(classes)
    for i, tile in enumerate(view.tiles):
        score, percent = _caption_numbers(tile.caption)
        assert tile.caption.startswith(f"**{escape(classes[i])}**")
        assert score == pytest.approx(float(logits[i, i]), abs=0.0051 if abs(score) < 100 else 0.51)
        assert percent == pytest.approx(100 * float(probabilities[i, i]), abs=0.051)
        assert tile.picture.size == (140, 140)
    right = int((probabilities.argmax(1) == torch.arange(10)).sum())
    lowest = 100 * float(probabilities.diagonal().min())
    assert view.sentence.startswith(f"The network calls {right} of these 10 pictures its own class; "
                                    f"the least sure of them with {lowest:.1f}%")
    low, high = (float(v) for v in (ascent.first.min(), ascent.first.max()))
    assert f"from grey noise that scored between {low:.2f} and {high:.2f}" in view.sentence
    assert view.status == "32 steps of gradient ascent." and view.curve_title == "class score (logit)"


def test_the_verdict_counts_the_pictures_called_their_own_class(lenet, classes, fashion):
    trouser = to_float(fashion.test_images[[2]])  # test image 2 is a trouser
    p = _probabilities(lenet, trouser)[0]
    assert int(p.argmax()) == 1
    pictures = trouser.repeat(3, 1, 1, 1)
    with torch.no_grad():
        scores = lenet(pictures)
    plan = lesson.Plan("maximise", "", (1, 5, 8), 4, DEFAULT)
    ascent = Ascent(pictures, np.zeros(3), np.zeros((4, 3)), scores[0, [1, 5, 8]].numpy(), 4, 4)
    view = lesson.result_view(lenet, plan, ascent, classes, escape)
    lowest = 100 * float(p[[1, 5, 8]].min())
    assert view.sentence.startswith(f"The network calls 1 of these 3 pictures its own class; the least sure of them "
                                    f"with {lowest:.1f}%")
    for tile, target in zip(view.tiles, plan.targets):
        assert _caption_numbers(tile.caption)[1] == pytest.approx(100 * float(p[target]), abs=0.051)
    one = lesson.Plan("maximise", "", (1,), 4, DEFAULT)
    single = Ascent(trouser, np.zeros(1), np.zeros((4, 1)), scores[:1, 1].numpy(), 4, 4)
    called = lesson.result_view(lenet, one, single, classes, visible)
    assert called.sentence.startswith(f"The network calls this picture **Q[TROUSER]** with {100 * float(p[1]):.1f}%")
    wrong = lesson.result_view(lenet, dataclasses.replace(one, targets=(5,)), single, classes, visible)
    assert wrong.sentence.startswith(f"The network does not call this picture **Q[SANDAL]** yet ({100 * float(p[5]):.1f}%)")


def test_class_names_with_markup_reach_the_page_only_quoted(lenet, classes):
    marked = ["<b>" + name + "</b>*" for name in classes]
    plan = lesson.Plan("maximise", "", (0, 3), 8, DEFAULT)
    ascent = lesson.run(lenet, plan)
    view = lesson.result_view(lenet, plan, ascent, marked, visible)
    for tile, target in zip(view.tiles, plan.targets):
        assert tile.caption.startswith(f"**{visible(marked[target])}**")
        assert marked[target] not in tile.caption
    assert "<b>" not in view.sentence
    escaped = lesson.result_view(lenet, plan, ascent, marked, escape)
    assert escaped.tiles[0].caption.startswith(r"**\<b\>T\-shirt\/top\<\/b\>\***")
    assert view.names == (marked[0], marked[3]), "the curve's legend is not Markdown"


def test_a_stopped_run_says_how_far_it_got_and_claims_no_start(lenet, classes, image):
    plan = lesson.Plan("maximise", "features.c1", (0, 2), 32, DEFAULT)
    ascent = lesson.run(lenet, plan)
    view = lesson.result_view(lenet, plan, ascent, classes, escape)
    for i, (tile, channel) in enumerate(zip(view.tiles, plan.targets)):
        mean = float(capture_layer_outputs(lenet, ascent.pictures[i : i + 1]).layer("features.c1").output[channel].mean())
        start = objectives.start_pictures(lenet, 2, (1, 28, 28), lesson.SEED)[i : i + 1]
        first = float(capture_layer_outputs(lenet, start).layer("features.c1").output[channel].mean())
        assert tile.caption == f"**channel {channel}**  \nmean {mean:.2f} (from {first:.2f})"
    best = int(np.argmax(ascent.final))
    assert f"channel {plan.targets[best]} reaches the highest mean, {ascent.final[best]:.2f}" in view.sentence
    assert view.names == ("channel 0", "channel 2") and view.status == "32 steps of gradient ascent."

    stopped = lesson.result_view(lenet, plan, _stopped(ascent, 9), classes, escape)
    assert stopped.status.startswith("Stopped after 9 of 32 steps")
    assert all("(from" not in tile.caption for tile in stopped.tiles)
    assert stopped.tiles[0].caption == view.tiles[0].caption.split(" (from")[0]

    classes_plan = lesson.Plan("maximise", "", (0, 1), 32, DEFAULT)
    stopped_classes = lesson.result_view(lenet, classes_plan, _stopped(lesson.run(lenet, classes_plan), 9), classes, escape)
    assert stopped_classes.status.startswith("Stopped after 9 of 32 steps")
    assert "grey noise" not in stopped_classes.sentence and "(from" not in stopped_classes.tiles[0].caption


def test_the_dream_view_shows_the_photo_then_the_dream_with_the_rise(lenet, image):
    photo = torch.nn.functional.interpolate(image, size=lesson.dream_side(28), mode="bilinear").clamp(0, 1)
    plan = lesson.Plan("dream", "features.act3", (), 16, lesson.method_regularisation("dream", True), "hash")
    ascent = lesson.run(lenet, plan, photo)
    view = lesson.result_view(lenet, plan, ascent, lenet.classes, escape, photo)
    assert [tile.caption for tile in view.tiles] == ["The photo, as the network takes it", "Dreamt on by features.act3"]
    assert all(tile.picture.size == (112, 112) for tile in view.tiles)
    with torch.no_grad():
        before, after = (0.5 * float(lenet.features[:5](lenet.normalize(x)).pow(2).mean()) for x in (photo, ascent.pictures))
    change = float((ascent.pictures - photo).abs().mean())
    assert change > 0
    assert (f"Half the mean square activation of features.act3 rose from {before:.2f} to {after:.2f}, "
            f"{after / before:.0f} times as much; the pixels moved by {change:.3f} on average") in view.sentence
    assert lesson.row_length(len(view.tiles), plan.kind) == 2
    stopped = lesson.result_view(lenet, plan, _stopped(ascent, 5), lenet.classes, escape, photo)
    assert f"features.act3 is {after:.2f} now" in stopped.sentence and "rose" not in stopped.sentence
    channel = lesson.result_view(lenet, dataclasses.replace(plan, targets=(3,)), ascent, lenet.classes, escape, photo)
    assert channel.tiles[1].caption == "Dreamt on by channel 3 of features.act3" and channel.names == ("channel 3 of features.act3",)


def test_the_inversion_sentence_quotes_the_first_and_last_pixel_distances(lenet, image):
    layers = ("features.act1", "features.act3", LOGITS)
    plan = lesson.Plan("invert", "", layers, 64, lesson.method_regularisation("invert", True), "hash")
    ascent = lesson.run(lenet, plan, image)
    view = lesson.result_view(lenet, plan, ascent, lenet.classes, escape, image)
    distances = [float((ascent.pictures[i] - image[0]).pow(2).mean().sqrt()) for i in range(3)]
    assert distances[0] < distances[-1]
    assert view.sentence.startswith(f"Rebuilt from features.act1 the picture is {distances[0]:.3f} from the image per "
                                    f"pixel (root mean square, of 1); from the logits, {distances[-1]:.3f}. The deeper")
    assert view.tiles[0].caption == "The image" and len(view.tiles) == 4
    for i, label in enumerate(layers):
        captured, target = (capture_layer_outputs(lenet, x) for x in (ascent.pictures[i : i + 1], image))
        mine, theirs = ((c.logits if label == LOGITS else c.layer(label).output) for c in (captured, target))
        error = float((mine - theirs).pow(2).sum() / theirs.pow(2).sum())
        name = "the logits" if label == LOGITS else label.replace(".", ".\u200b")  # a tile breaks it after the dot
        assert view.tiles[i + 1].caption == f"from **{name}**  \nfeatures {100 * error:.1f}% off, pixels {distances[i]:.3f} off"
    assert view.names == ("features.act1", "features.act3", "the logits")
    assert view.curve_title == "minus relative feature error"


def test_the_pictures_are_enlarged_with_crisp_pixels_and_the_preview_is_one_strip():
    picture = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(0))
    tile = lesson.as_picture(picture)
    assert tile.size == (140, 140) and tile.mode == "L"
    pixels = np.asarray(tile)
    np.testing.assert_array_equal(pixels[::5, ::5], (picture[0].numpy() * 255).round().astype(np.uint8))
    assert (pixels[2::5, 4::5] == pixels[::5, ::5]).all(), "each pixel a 5 x 5 square"
    assert np.asarray(lesson.as_picture(torch.full((3, 10, 10), 2.0), 40)).tolist() == [[[255] * 3] * 40] * 40
    strip = lesson.strip(torch.zeros(12, 1, 28, 28))
    # Half a tile's side, 70 px, holds 28 px twice (whole factors only): ten 56 px pictures, 4 px apart.
    assert strip.size == (10 * 56 + 9 * 4, 56), "the first ten pictures, 4 px apart"
    pixels = np.asarray(strip)
    assert (pixels[:, 56:60] == 255).all() and (pixels[:, :56] == 0).all() and (pixels[:, -56:] == 0).all()
