"""cnnviz.embeddings: the penultimate features are the last Linear's input, PCA is the SVD of the
centred features, the neighbours are a brute-force sort, t-SNE is seeded, and the shipped LeNet-5's
features put a test image among its own class more often than its pixels do."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnviz import embeddings
from cnnviz.data import to_float


@pytest.fixture(scope="module")
def lenet_sample(shipped_lenet, fashion):
    return embeddings.feature_sample(shipped_lenet, fashion.test_images, fashion.test_labels)


def test_the_features_are_the_input_of_the_last_linear_computed_layer_by_layer(shipped_lenet, fashion):
    model = shipped_lenet
    assert embeddings.last_linear(model) == ("classifier.output", model.classifier.output)
    images = to_float(fashion.test_images[[0, 7, 42]])
    with torch.no_grad():  # by hand: normalize, the features, then the classifier short of its last layer
        x = model.features(model.normalize(images))
        x = model.classifier.act6(model.classifier.f6(model.classifier.flatten(x)))
    features = embeddings.penultimate_features(model, images, batch=2)  # two batches joined in order
    assert features.shape == (3, 84) and features.dtype == np.float32
    np.testing.assert_allclose(features, x.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(embeddings.penultimate_features(model, images[1]), x[1:2].numpy(), rtol=1e-5, atol=1e-6)
    assert not model.classifier.output._forward_pre_hooks, "the hook is removed"


def test_a_network_without_a_linear_layer_is_refused_with_a_sentence():
    with pytest.raises(embeddings.EmbeddingError, match="no linear layer"):
        embeddings.last_linear(torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten()))


def test_the_sample_is_balanced_seeded_and_holds_the_raw_pixels(lenet_sample, fashion):
    sample = lenet_sample
    assert len(sample.indices) == embeddings.SAMPLE_SIZE == 1000
    assert np.bincount(sample.labels).tolist() == [100] * 10
    assert (np.diff(sample.indices) > 0).all(), "ascending, each image once"
    assert np.array_equal(sample.labels, fashion.test_labels.numpy()[sample.indices])
    assert np.array_equal(embeddings.balanced_sample(fashion.test_labels, 1000, 0), sample.indices)
    assert not np.array_equal(embeddings.balanced_sample(fashion.test_labels, 1000, 1), sample.indices)
    np.testing.assert_array_equal(sample.pixels[5], to_float(fashion.test_images[int(sample.indices[5])]).numpy().ravel())
    assert sample.pixels.min() >= 0 and sample.pixels.max() <= 1
    assert sample.position(int(sample.indices[17])) == 17 and sample.position(None) is None
    missing = next(i for i in range(len(fashion.test_labels)) if i not in set(sample.indices.tolist()))
    assert sample.position(missing) is None


def test_pca_is_the_svd_of_the_centred_features_up_to_sign(lenet_sample):
    features = lenet_sample.features.astype(np.float64)
    projection = embeddings.project(features, "pca")
    centred = features - features.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    expected = u[:, :2] * s[:2]
    for axis in range(2):
        sign = np.sign(expected[:, axis] @ projection.points[:, axis])
        np.testing.assert_allclose(projection.points[:, axis], sign * expected[:, axis], rtol=1e-3, atol=1e-3)
    ratio = s**2 / (s**2).sum()
    np.testing.assert_allclose(projection.explained_variance, ratio[:2], rtol=1e-4)
    # A new image is placed with the same map: a sample image lands on its own point.
    np.testing.assert_allclose(projection.place(features[3]), projection.points[3], atol=1e-3)


def test_tsne_draws_the_same_map_every_time_and_keeps_clusters(lenet_sample):
    features = lenet_sample.features[:300]
    first, again = embeddings.project(features, "tsne"), embeddings.project(features, "tsne")
    assert first.points.shape == (300, 2) and first.explained_variance == () and first.place(features[0]) is None
    np.testing.assert_array_equal(first.points, again.points)
    # Its map keeps neighbours together: 2-D neighbours share their class far above chance (10%).
    assert embeddings.knn_agreement(first.points, lenet_sample.labels[:300], 8) > 0.6
    with pytest.raises(embeddings.EmbeddingError, match="no projection called"):
        embeddings.project(features, "umap")


def test_the_neighbours_are_a_brute_force_sort_without_the_image_itself(lenet_sample):
    sample, at = lenet_sample, 123
    found = embeddings.neighbours(sample, sample.features[at], sample.pixels[at], int(sample.labels[at]), k=8,
                                  exclude=at)
    for vectors, positions in ((sample.features, found.feature), (sample.pixels, found.pixel)):
        distances = [float(np.sqrt(((vectors[i].astype(np.float64) - vectors[at]) ** 2).sum())) for i in range(1000)]
        brute = [i for i in np.argsort(distances, kind="stable") if i != at][:8]
        assert positions.tolist() == brute
    assert found.feature_same == int((sample.labels[found.feature] == sample.labels[at]).sum())
    assert found.pixel_same == int((sample.labels[found.pixel] == sample.labels[at]).sum())
    # Without exclude, the image is its own nearest neighbour (distance 0).
    assert embeddings.nearest(sample.features, sample.features[at], 3)[0] == at


def test_agreement_on_a_hand_made_example():
    # Four points on a line, classes a a b b: each point's nearest other is its own class
    # (0 <-> 1 at distance 1, 2 <-> 3 at distance 1, 1 to 2 at distance 3).
    points, labels = np.array([[0.0], [1.0], [4.0], [5.0]]), np.array([0, 0, 1, 1])
    assert embeddings.knn_agreement(points, labels, 1) == 1.0
    # k = 2: point 0's neighbours are 1 (a) and 2 (b): 1/2; likewise for every point.
    assert embeddings.knn_agreement(points, labels, 2) == 0.5
    sample = embeddings.FeatureSample("fc", np.arange(4), labels, points, np.array([[0.0], [9.0], [1.0], [8.0]]))
    found = embeddings.neighbours(sample, [0.4], [0.4], 0, k=2)
    assert found.feature.tolist() == [0, 1] and found.feature_same == 2  # nearest features: both a
    assert found.pixel.tolist() == [0, 2] and found.pixel_same == 1  # nearest pixels: one a, one b
    agreement = embeddings.sample_agreement(sample, 1)
    assert (agreement.k, agreement.feature, agreement.pixel) == (1, 1.0, 0.0)


def test_the_shipped_lenet_features_know_what_its_pixels_dont(lenet_sample):
    agreement = embeddings.sample_agreement(lenet_sample, 8)
    assert agreement.feature > agreement.pixel + 0.1, agreement  # 87% against 68% when written
    assert agreement.feature > 0.8


def test_test_images_of_another_size_are_refused(shipped_lenet):
    with pytest.raises(embeddings.EmbeddingError, match="takes 1 x 28 x 28"):
        embeddings.feature_sample(shipped_lenet, torch.zeros(10, 3, 32, 32, dtype=torch.uint8), torch.arange(10))
