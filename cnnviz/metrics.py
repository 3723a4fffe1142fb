"""How good a classifier is, class by class: predictions over a whole test set, the confusion
matrix, per-class precision / recall / F1, and the test images behind any one cell.

The confusion matrix follows the tutorial's layout: row i is the *actual* class, column j the
*predicted* class, so matrix[i, j] counts the images of class i that the model called j; the
diagonal holds the correct answers and each row sums to the number of test images of that class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from torch import nn


def _check_labels(name: str, labels: "torch.Tensor", num_classes: int) -> None:
    if labels.dim() != 1:
        raise ValueError(f"{name} must be a 1-D tensor of class indices, not shape {tuple(labels.shape)}.")
    import torch

    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise ValueError(f"{name} must hold whole class indices, not {labels.dtype}.")
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(
            f"{name} must lie between 0 and {num_classes - 1} for {num_classes} classes; "
            f"found {int(labels.min())} to {int(labels.max())}."
        )


def confusion_matrix(predictions: "torch.Tensor", targets: "torch.Tensor", num_classes: int) -> "torch.Tensor":
    """Count how often each actual class was predicted as each class.

    Args:
        predictions: (N,) integer class indices in [0, num_classes) that the model chose.
        targets: (N,) integer class indices in [0, num_classes), the true labels.
        num_classes: K.

    Returns:
        LongTensor (K, K) on the CPU: [actual, predicted] counts; it sums to N.

    Raises:
        ValueError: different lengths, non-integer labels, or a label outside [0, K).

    Example:
        >>> confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([0, 0, 1]), 2)
        tensor([[1, 1],
                [0, 1]])
    """
    import torch

    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a whole number >= 1, not {num_classes!r}.")
    predictions = torch.as_tensor(predictions).cpu()
    targets = torch.as_tensor(targets).cpu()
    _check_labels("predictions", predictions, num_classes)
    _check_labels("targets", targets, num_classes)
    if predictions.shape != targets.shape:
        raise ValueError(
            f"There are {predictions.numel()} predictions but {targets.numel()} targets; "
            "they must pair up one to one."
        )
    # One bincount over the flat index actual * K + predicted: a single pass, no Python loop.
    flat = targets.long() * num_classes + predictions.long()  # (N,)
    return torch.bincount(flat, minlength=num_classes * num_classes).view(num_classes, num_classes)


@dataclass(frozen=True)
class ClassScores:
    """Per-class scores from a confusion matrix, each a float64 tensor of shape (K,).

    precision[j] = TP / (TP + FP): of the images called j, the share that really are j.
    recall[j]    = TP / (TP + FN): of the images that are j, the share called j.
    f1[j]        = 2 P R / (P + R), their harmonic mean.
    A score whose denominator is 0 (a class never predicted, or absent from the targets) is
    reported as 0.0 rather than NaN, as scikit-learn does with zero_division=0; ``undefined``
    marks those entries so a page can say so.

    Attributes:
        precision, recall, f1: (K,) float64 in [0, 1].
        support: (K,) int64, the number of images of each actual class (row sums).
        accuracy: overall share of correct answers (trace / total), 0.0 for an empty matrix.
        undefined: (K,) bool, True where precision or recall had a zero denominator.
    """

    precision: "torch.Tensor"
    recall: "torch.Tensor"
    f1: "torch.Tensor"
    support: "torch.Tensor"
    accuracy: float
    undefined: "torch.Tensor"


def _safe_divide(numerator: "torch.Tensor", denominator: "torch.Tensor") -> "torch.Tensor":
    import torch

    return torch.where(denominator > 0, numerator / denominator.clamp(min=1e-300), torch.zeros_like(numerator))


def per_class_scores(matrix: "torch.Tensor") -> ClassScores:
    """Precision, recall and F1 for every class of a confusion matrix.

    Args:
        matrix: (K, K) counts, rows the actual class, columns the predicted class.

    Returns:
        ClassScores; undefined ratios are 0.0 (see ClassScores).
    """
    import torch

    matrix = torch.as_tensor(matrix).cpu()
    if matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"A confusion matrix must be square (K, K), not shape {tuple(matrix.shape)}.")
    counts = matrix.double()
    true_positives = counts.diagonal()  # (K,)
    predicted = counts.sum(dim=0)  # column sums: TP + FP
    actual = counts.sum(dim=1)  # row sums: TP + FN
    precision = _safe_divide(true_positives, predicted)
    recall = _safe_divide(true_positives, actual)
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    total = float(counts.sum())
    return ClassScores(
        precision=precision,
        recall=recall,
        f1=f1,
        support=matrix.sum(dim=1).long(),
        accuracy=float(true_positives.sum()) / total if total else 0.0,
        undefined=(predicted == 0) | (actual == 0),
    )


def predict_dataset(
    model: "nn.Module",
    images_uint8: "torch.Tensor",
    batch_size: int = 1000,
    device: "torch.device | str | None" = None,
) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Run a classifier over a whole uint8 image set in batches.

    The model runs in eval mode under ``torch.inference_mode`` (no autograd bookkeeping); its
    original train/eval mode is restored afterwards.

    Args:
        model: takes float (B, C, H, W) in [0, 1] and returns logits (B, K).
        images_uint8: (N, C, H, W) uint8, values 0..255 (e.g. ``ImageDataset.test_images``).
        batch_size: images per forward pass.
        device: where to compute; default the device of the model's parameters.

    Returns:
        (probabilities, predictions): float32 (N, K) softmax probabilities and int64 (N,)
        argmax classes, both on the CPU.
    """
    import torch

    if images_uint8.dim() != 4 or images_uint8.dtype != torch.uint8:
        raise ValueError(
            f"predict_dataset expects uint8 images (N, C, H, W), not {images_uint8.dtype} "
            f"of shape {tuple(images_uint8.shape)}."
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, not {batch_size!r}.")
    if device is None:
        parameter = next(model.parameters(), None)
        device = parameter.device if parameter is not None else torch.device("cpu")
    device = torch.device(device)
    was_training = model.training
    model.eval()
    chunks = []
    try:
        with torch.inference_mode():
            for start in range(0, images_uint8.shape[0], batch_size):
                batch = images_uint8[start : start + batch_size].to(device, non_blocking=True)
                logits = model(batch.float() / 255)  # (B, K)
                chunks.append(torch.softmax(logits.float(), dim=1).cpu())
    finally:
        model.train(was_training)
    if not chunks:
        raise ValueError("predict_dataset was given no images.")
    probabilities = torch.cat(chunks)  # (N, K)
    return probabilities, probabilities.argmax(dim=1)


def largest_mistake(matrix: "torch.Tensor") -> tuple[int, int]:
    """The off-diagonal cell with the most images: (actual, predicted), the most common confusion.

    Ties go to the first cell in row-major order; a matrix with no mistakes gives (0, 0).
    """
    import torch

    matrix = torch.as_tensor(matrix).clone().long()
    if matrix.dim() != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"A confusion matrix must be square (K, K), not shape {tuple(matrix.shape)}.")
    matrix.fill_diagonal_(-1)
    if int(matrix.max()) <= 0:
        return 0, 0
    actual, predicted = divmod(int(matrix.argmax()), matrix.shape[1])  # flat index -> (row, column)
    return actual, predicted


def mistakes(
    probabilities: "torch.Tensor", targets: "torch.Tensor", actual: int, predicted: int
) -> "torch.Tensor":
    """The images of one confusion-matrix cell, most confident first.

    Args:
        probabilities: (N, K) softmax outputs from ``predict_dataset``.
        targets: (N,) true labels.
        actual: the cell's row (true class).
        predicted: the cell's column (predicted class); equal to ``actual`` for the correct ones.

    Returns:
        LongTensor of indices into the dataset, sorted by the probability of ``predicted``,
        highest first (the model's most confident mistakes lead).
    """
    import torch

    probabilities = torch.as_tensor(probabilities)
    targets = torch.as_tensor(targets)
    num_classes = probabilities.shape[1]
    for name, value in (("actual", actual), ("predicted", predicted)):
        if not 0 <= int(value) < num_classes:
            raise ValueError(f"{name} must be a class between 0 and {num_classes - 1}, not {value}.")
    predictions = probabilities.argmax(dim=1)
    indices = torch.nonzero((targets == actual) & (predictions == predicted)).flatten()
    confidence = probabilities[indices, predicted]
    order = torch.argsort(confidence, descending=True, stable=True)
    return indices[order]
