"""What a trained network's last layer sees: the penultimate features of a sample of the test set,
drawn in two dimensions, and an image's nearest neighbours in feature space beside its nearest
neighbours in pixel space (cs231n's lesson: the features know what the pixels don't).

The features of an image are the input of the model's last ``nn.Linear`` (caught with a forward
pre-hook): the vector the class scores are a linear function of, so images the network finds
alike lie close together there. The sample is class-balanced and drawn with a seed, so every
session and every test sees the same images. Two projections to 2-D: PCA (linear, its axes keep a
stated share of the variance) and t-SNE (non-linear, keeps each point's neighbours together; its
axes mean nothing). Distances are Euclidean: on the features, and on the raw pixels in [0, 1].
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch
    from torch import nn

SAMPLE_SIZE = 1000  # t-SNE of 1,000 LeNet-5 features: ~3 s on one core of a shared 2-core machine
SEED = 0
NEIGHBOURS = 8
PERPLEXITY = 30.0
METHODS = ("tsne", "pca")
BATCH = 500  # images per forward pass while collecting features


class EmbeddingError(ValueError):
    """A network or test set the embedding cannot be computed for, with the sentence saying why."""


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays field by field is ambiguous
class FeatureSample:
    """A class-balanced sample of the test set, in feature space and in pixel space.

    Attributes:
        layer: the last nn.Linear's qualified name (its input is the feature vector).
        indices: (N,) the test images' numbers, ascending.
        labels: (N,) their classes.
        features: (N, F) float32, the input of ``layer`` for each image.
        pixels: (N, C*H*W) float32, the raw pixels in [0, 1] (before the model's normalize).
    """

    layer: str
    indices: np.ndarray
    labels: np.ndarray
    features: np.ndarray
    pixels: np.ndarray

    def position(self, test_index: int | None) -> int | None:
        """Where test image ``test_index`` is in the sample, or None (not in it, or no test image)."""
        if test_index is None:
            return None
        found = np.flatnonzero(self.indices == int(test_index))
        return int(found[0]) if found.size else None


@dataclass(frozen=True, eq=False)
class Projection:
    """The sample's features in 2-D.

    Attributes:
        method: "pca" or "tsne".
        points: (N, 2) float64, one row per sample image (FeatureSample's order).
        explained_variance: PCA's share of the variance on each axis; () for t-SNE.
        mean, components: PCA's centre (F,) and axes (2, F), to place an image that is not in the
            sample; None for t-SNE, which has no map for new points.
    """

    method: str
    points: np.ndarray
    explained_variance: tuple[float, ...] = ()
    mean: np.ndarray | None = None
    components: np.ndarray | None = None

    def place(self, features) -> tuple[float, float] | None:
        """An image's (x, y) from its features (F,) with PCA's map; None for t-SNE."""
        if self.components is None:
            return None
        x, y = (np.asarray(features, dtype=np.float64) - self.mean) @ self.components.T
        return float(x), float(y)


@dataclass(frozen=True, eq=False)
class Neighbours:
    """One image's k nearest sample images in feature space and in pixel space.

    Attributes:
        k: how many neighbours.
        label: the class they are compared with (the image's own, or the predicted one for a photo).
        feature, pixel: (k,) positions in the sample, nearest first.
        feature_same, pixel_same: how many of each share ``label``.
    """

    k: int
    label: int
    feature: np.ndarray
    pixel: np.ndarray
    feature_same: int
    pixel_same: int


@dataclass(frozen=True)
class Agreement:
    """Over the whole sample: the mean share of each image's k nearest others that share its class."""

    k: int
    feature: float
    pixel: float


def last_linear(model: "nn.Module") -> tuple[str, "nn.Module"]:
    """(qualified name, module) of the model's last nn.Linear, in registration order (the class scores)."""
    from torch import nn

    linears = [(name, module) for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    if not linears:
        raise EmbeddingError("This network has no linear layer, so it has no feature vector before its class scores.")
    return linears[-1]


@contextlib.contextmanager
def _caught_inputs(module: "nn.Module"):
    """Collect the input of ``module`` at every call while the block runs; the hook goes in ``finally``."""
    caught: list = []
    handle = module.register_forward_pre_hook(lambda _, inputs: caught.append(inputs[0].detach().flatten(1).cpu()))
    try:
        yield caught
    finally:
        handle.remove()


def penultimate_features(model: "nn.Module", images: "torch.Tensor", batch: int = BATCH) -> np.ndarray:
    """The input of the model's last nn.Linear for each image: (N, F) float32.

    Hooks ``model`` while it runs (call it on a private copy when others share the model).

    Args:
        model: a cnnviz model taking (N, C, H, W) floats in [0, 1].
        images: (N, C, H, W) or one (C, H, W) image, floats in [0, 1].
        batch: images per forward pass.
    """
    import torch

    if images.dim() == 3:
        images = images.unsqueeze(0)
    _, layer = last_linear(model)
    parameter = next(model.parameters())
    was_training = model.training
    model.eval()  # dropout and batch norm as at test time, whatever mode the model was in
    try:
        with torch.no_grad(), _caught_inputs(layer) as caught:
            for part in images.split(batch):
                model(part.float().to(parameter.device))
    finally:
        model.train(was_training)
    return torch.cat(caught).numpy().astype(np.float32)


def balanced_sample(labels, size: int = SAMPLE_SIZE, seed: int = SEED) -> np.ndarray:
    """The same number of test images of every class (size // K each; all of a smaller class),
    drawn at random with ``seed``: (n,) ascending test-set indices. A fixed seed: every session and
    test sees the same images, and the cache holds one sample per network."""
    labels = np.asarray(labels)
    classes = np.unique(labels)
    per_class = max(1, int(size) // len(classes))
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes]
    return np.sort(np.concatenate(chosen))


def feature_sample(model: "nn.Module", test_images, test_labels, size: int = SAMPLE_SIZE,
                   seed: int = SEED) -> FeatureSample:
    """A FeatureSample of ``size`` test images (balanced_sample).

    Args:
        model: the network (a private copy: it is hooked while it runs).
        test_images: (N, C, H, W) uint8; test_labels: (N,) their classes.
        size, seed: the sample's size and seed.

    Raises:
        EmbeddingError: the test images are not the size the network takes, or it has no linear layer.
    """
    import torch

    from cnnviz.data import to_float

    shape = tuple(getattr(model, "input_shape", test_images.shape[1:]))
    if tuple(test_images.shape[1:]) != shape:
        raise EmbeddingError(f"The test images are {' x '.join(map(str, test_images.shape[1:]))}, but this network "
                             f"takes {' x '.join(map(str, shape))}.")
    indices = balanced_sample(np.asarray(test_labels), size, seed)
    pictures = to_float(test_images[torch.as_tensor(indices)])
    return FeatureSample(last_linear(model)[0], indices, np.asarray(test_labels)[indices].astype(np.int64),
                         penultimate_features(model, pictures), pictures.flatten(1).numpy())


def project(features, method: str, seed: int = SEED, perplexity: float = PERPLEXITY) -> Projection:
    """The features (N, F) in 2-D with PCA or t-SNE (scikit-learn).

    t-SNE starts from the PCA picture (init="pca") with a fixed random_state, so it draws the same
    map every time; it runs on one OpenMP thread, which on a shared 2-core machine was 4 times
    faster than threads waiting on each other (3 s against 12 s for 1,000 points).
    """
    features = np.asarray(features, dtype=np.float32)
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, svd_solver="full").fit(features)  # "full": exact, no random start
        return Projection("pca", pca.transform(features).astype(np.float64),
                          tuple(float(v) for v in pca.explained_variance_ratio_), pca.mean_.astype(np.float64),
                          pca.components_.astype(np.float64))
    if method == "tsne":
        from sklearn.manifold import TSNE
        from threadpoolctl import threadpool_limits  # installed with scikit-learn

        # A perplexity must stay below the number of points; 30 for the page's 1,000.
        tsne = TSNE(n_components=2, perplexity=min(perplexity, (len(features) - 1) / 3), init="pca",
                    learning_rate="auto", random_state=seed)
        with threadpool_limits(limits=1, user_api="openmp"):
            return Projection("tsne", tsne.fit_transform(features).astype(np.float64))
    raise EmbeddingError(f"There is no projection called {method!r}; choose one of {', '.join(METHODS)}.")


def nearest(vectors, query, k: int = NEIGHBOURS, exclude: int | None = None) -> np.ndarray:
    """Positions of the k rows of ``vectors`` (N, D) nearest to ``query`` (D,), Euclidean, nearest
    first (ties: the lower position first); ``exclude``: a position left out (the query itself)."""
    distances = np.linalg.norm(np.asarray(vectors, dtype=np.float64) - np.asarray(query, dtype=np.float64), axis=1)
    if exclude is not None:
        distances[exclude] = np.inf  # the image itself, at distance 0, is no neighbour of itself
    order = np.argsort(distances, kind="stable")
    return order[: min(int(k), len(order) - (exclude is not None))]


def neighbours(sample: FeatureSample, features, pixels, label: int, k: int = NEIGHBOURS,
               exclude: int | None = None) -> Neighbours:
    """An image's k nearest sample images in both spaces, and how many share ``label``.

    Args:
        sample: the FeatureSample searched.
        features: the image's (F,) features; pixels: its pixels in [0, 1] (any shape, C*H*W values).
        label: its class (a photo: the class the network predicts).
        k: how many neighbours.
        exclude: the image's own position in the sample (FeatureSample.position), or None.
    """
    in_features = nearest(sample.features, np.ravel(features), k, exclude)
    in_pixels = nearest(sample.pixels, np.ravel(pixels), k, exclude)
    return Neighbours(int(k), int(label), in_features, in_pixels, int((sample.labels[in_features] == label).sum()),
                      int((sample.labels[in_pixels] == label).sum()))


def knn_agreement(vectors, labels, k: int = NEIGHBOURS) -> float:
    """The mean, over every row, of the share of its k nearest other rows (Euclidean) that share its label."""
    x = np.asarray(vectors, dtype=np.float64)
    labels = np.asarray(labels)
    squared = (x * x).sum(axis=1)
    distances = squared[:, None] + squared[None, :] - 2 * x @ x.T  # all pairs at once: one matrix product
    np.fill_diagonal(distances, np.inf)  # no row is its own neighbour
    k = min(int(k), len(x) - 1)
    nearest_k = np.argpartition(distances, k - 1, axis=1)[:, :k]
    return float((labels[nearest_k] == labels[:, None]).mean())


def sample_agreement(sample: FeatureSample, k: int = NEIGHBOURS) -> Agreement:
    """knn_agreement of the sample in feature space and in pixel space: the cs231n lesson in two numbers."""
    return Agreement(int(k), knn_agreement(sample.features, sample.labels, k),
                     knn_agreement(sample.pixels, sample.labels, k))
