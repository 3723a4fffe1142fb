"""The Embeddings view: its sentences carry cnnviz.embeddings' numbers, the star sits where the
image is, a photo is compared with the class the network gives it, and a click opens a test image."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnviz import embeddings
from cnnviz.data import to_float
from cnnviz.figures import embedding_figures
from cnnviz.lessons import inside as lesson
from dashboard.markup import escape


@pytest.fixture(scope="module")
def sample(shipped_lenet, fashion):
    return embeddings.feature_sample(shipped_lenet, fashion.test_images, fashion.test_labels)


@pytest.fixture(scope="module")
def pca(sample):
    return embeddings.project(sample.features, "pca")


def _view(model, fashion, sample, projection, index=None, photo=None, k=8, quote=escape):
    image = to_float(fashion.test_images[index]) if photo is None else photo
    with torch.no_grad():
        probabilities = torch.softmax(model(image.unsqueeze(0)), 1)[0].numpy()
    features = embeddings.penultimate_features(model, image)[0]
    true_label = None if photo is not None else int(fashion.test_labels[index])
    return lesson.embedding_view(sample, projection, embeddings.sample_agreement(sample, k), features, image,
                                 probabilities, true_label, None if photo is not None else index,
                                 fashion.test_images, fashion.classes, "Fashion-MNIST", quote=quote)


def test_a_sample_images_sentences_count_its_neighbours_classes(shipped_lenet, fashion, sample, pca):
    def found_at(at):
        return embeddings.neighbours(sample, sample.features[at], sample.pixels[at], int(sample.labels[at]), 8,
                                     exclude=at)

    at = next(at for at in range(40, 1000) if found_at(at).feature_same != found_at(at).pixel_same)  # told apart
    index, label, found = int(sample.indices[at]), int(sample.labels[at]), found_at(at)
    view = _view(shipped_lenet, fashion, sample, pca, index)
    assert view.neighbours.feature.tolist() == found.feature.tolist() and at not in found.feature
    name = escape(fashion.classes[label])
    assert view.feature_sentence == f"**{found.feature_same} of 8** feature-space neighbours are *{name}*, like this image."
    assert view.pixel_sentence == f"**{found.pixel_same} of 8** pixel-space neighbours are *{name}*."
    agreement = embeddings.sample_agreement(sample, 8)
    assert view.agreement_sentence == (
        f"Over all 1,000 images of the sample, **{agreement.feature:.1%}** of an image's 8 nearest neighbours share its "
        f"class in feature space, and **{agreement.pixel:.1%}** in pixel space: the features know what the pixels don't.")
    # The tiles: the neighbours' test images, nearest first, ticked when they share the class.
    assert [tile.index for tile in view.feature_tiles] == sample.indices[found.feature].tolist()
    assert sum(tile.same for tile in view.feature_tiles) == found.feature_same
    first = view.pixel_tiles[0]
    assert first.caption == escape(f"{'✓ ' if first.same else ''}{fashion.classes[sample.labels[found.pixel[0]]]} "
                                   f"#{first.index}")
    assert first.picture.size == (84, 84)  # 28 x 28, three times
    # Its own point is starred, and no note is needed.
    assert view.current == tuple(pca.points[at]) and view.placed_note == "" and view.current_index == index
    assert view.current_caption == f"Test image #{index}, {name}: the star."


def test_the_projection_is_said_with_its_numbers(shipped_lenet, fashion, sample, pca):
    view = _view(shipped_lenet, fashion, sample, pca, int(sample.indices[0]))
    first, second = pca.explained_variance
    assert view.projection_note.startswith(f"PCA: the two directions along which the features vary most. They keep "
                                           f"**{first:.1%}** and **{second:.1%}** of the variance ({first + second:.1%}")
    assert view.axis_titles == (f"PC 1 ({first:.0%} of the variance)", f"PC 2 ({second:.0%})") and view.show_ticks
    assert view.summary.startswith("1,000 Fashion-MNIST test images (100 of each class), each drawn at its 84 features: "
                                   f"the input of *{escape('classifier.output')}*")


def test_an_image_outside_the_sample_is_placed_and_said_to_be(shipped_lenet, fashion, sample, pca):
    index = next(i for i in range(100) if sample.position(i) is None)
    view = _view(shipped_lenet, fashion, sample, pca, index)
    assert view.placed_note == f"Test image #{index} is not in the sample: its star is placed with the same PCA map."
    np.testing.assert_allclose(view.current, pca.place(embeddings.penultimate_features(
        shipped_lenet, to_float(fashion.test_images[index]))[0]))
    # t-SNE has no map for it: the star goes to the middle of its feature-space neighbours.
    tsne = embeddings.Projection("tsne", np.random.default_rng(0).normal(size=(1000, 2)))
    view = _view(shipped_lenet, fashion, sample, tsne, index, k=4)
    np.testing.assert_allclose(view.current, tsne.points[view.neighbours.feature].mean(axis=0))
    assert view.placed_note.endswith("its star is drawn at the middle of its 4 nearest neighbours in feature space.")
    assert view.axis_titles == ("t-SNE 1", "t-SNE 2") and not view.show_ticks
    assert view.projection_note.startswith("t-SNE: a map that keeps each image near its nearest neighbours")


def test_a_photo_is_compared_with_the_class_the_network_gives_it(shipped_lenet, fashion, sample, pca):
    photo = 1 - to_float(fashion.test_images[3])  # an inverted test image: no test image, no true class
    view = _view(shipped_lenet, fashion, sample, pca, photo=photo)
    with torch.no_grad():
        predicted = int(shipped_lenet(photo.unsqueeze(0)).argmax())
    assert view.neighbours.label == predicted and view.current_index is None
    assert view.feature_sentence.endswith(f"are *{escape(fashion.classes[predicted])}*, the class the network gives "
                                          "your photo.")
    assert view.current_caption == f"Your photo, {escape(fashion.classes[predicted])} (the network's class): the star."
    assert len(view.pixel_tiles) == 8


def test_an_untrained_network_is_not_said_to_know_more_than_pixels():
    agreement = embeddings.Agreement(8, 0.3, 0.6)
    sentence = lesson.embeddings._agreement_sentence(agreement, 1000)
    assert "**30.0%**" in sentence and "**60.0%**" in sentence and "know no more than the pixels" in sentence


def test_a_class_name_from_a_checkpoint_is_quoted(shipped_lenet, fashion, sample, pca):
    quoted = []
    _view(shipped_lenet, fashion, sample, pca, int(sample.indices[0]), quote=lambda text: quoted.append(text) or "Q")
    assert "classifier.output" in quoted and any(fashion.classes[int(sample.labels[0])] in q for q in quoted)


def test_a_click_on_a_point_opens_its_test_image_on_this_view():
    event = {"selection": {"points": [{"curve_number": 3, "point_index": 5, "customdata": 4321}]}}
    assert lesson.clicked_test_image(event) == 4321
    assert lesson.clicked_test_image({"selection": {"points": [{"customdata": [17]}]}}) == 17
    assert lesson.clicked_test_image({"selection": {"points": [{"customdata": None}]}}) is None  # a photo's star
    assert lesson.clicked_test_image({"selection": {"points": []}}) is None
    assert lesson.clicked_test_image(None) is None
    settings = lesson.opened_test_image(4321)
    assert settings == {"inside_source": "Test-set image", "inside_test_index": 4321, "inside_test_class": lesson.ANY_CLASS}
    assert "inside_view" not in settings, "the view stays on Embeddings"


def test_the_chart_has_a_trace_per_class_and_every_point_carries_its_test_image(sample, pca, fashion):
    figure = embedding_figures.embedding_scatter(pca.points, sample.labels, sample.indices, fashion.classes,
                                                 current=(1.0, 2.0), current_index=7)
    classes = figure["data"][:-1]
    assert [trace["name"] for trace in classes] == list(fashion.classes)  # the legend names the classes
    assert sorted(number for trace in classes for number in trace["customdata"]) == sample.indices.tolist()
    shirts = classes[6]
    rows = np.flatnonzero(sample.labels == 6)
    assert shirts["customdata"] == sample.indices[rows].tolist() and shirts["x"] == pca.points[rows, 0].tolist()
    assert "Shirt, test image #%{customdata}" in shirts["hovertemplate"]
    star = figure["data"][-1]
    assert star["x"] == [1.0] and star["y"] == [2.0] and star["customdata"] == [7] and star["marker"]["symbol"] == "star"
    hostile = embedding_figures.embedding_scatter(pca.points[:2], [0, 1], [0, 1], ["<a href='x'>", "b"])
    assert hostile["data"][0]["name"] == "&lt;a href='x'&gt;" and "<a" not in hostile["data"][0]["hovertemplate"]


def test_the_tiles_fill_rows_and_the_options_are_the_librarys():
    assert [len(row) for row in lesson.tile_rows(list(range(16)))] == [8, 8]
    assert [len(row) for row in lesson.tile_rows(list(range(4)))] == [4]
    assert tuple(lesson.PROJECTIONS) == embeddings.METHODS
    assert embeddings.NEIGHBOURS in lesson.NEIGHBOUR_CHOICES and lesson.NEIGHBOUR_CHOICES[1] == embeddings.NEIGHBOURS
    assert "Embeddings" in lesson.VIEWS


def test_the_view_is_refused_without_a_test_set_of_the_networks_size(fashion):
    assert lesson.embedding_refusal(fashion.classes, None, (1, 28, 28)) == lesson.NO_TEST_SET
    assert lesson.embedding_refusal(fashion.classes, fashion, (1, 28, 28)) is None
    assert lesson.embedding_refusal(fashion.classes, fashion, (3, 32, 32)) == (
        "Fashion-MNIST's test images are 1 x 28 x 28, but this network takes 3 x 32 x 32, so their features cannot "
        "be compared.")
