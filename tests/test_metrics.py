"""cnnviz.metrics: confusion matrix, per-class scores, batched prediction, the images of one cell."""

import pytest
import torch
from torch import nn

from cnnviz import metrics


def test_confusion_matrix_matches_a_hand_made_example():
    # 3 classes, 8 images. Rows actual, columns predicted (the tutorial's layout).
    targets = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2])
    predictions = torch.tensor([0, 0, 1, 1, 2, 2, 2, 0])
    expected = torch.tensor([
        [2, 1, 0],  # class 0: two right, one called 1
        [0, 1, 1],  # class 1: one right, one called 2
        [1, 0, 2],  # class 2: two right, one called 0
    ])
    matrix = metrics.confusion_matrix(predictions, targets, 3)
    assert matrix.dtype == torch.int64
    assert torch.equal(matrix, expected)


def test_confusion_matrix_agrees_with_argmax_counts_from_torch():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(500, 7, generator=generator)
    targets = torch.randint(0, 7, (500,), generator=generator)
    predictions = logits.argmax(dim=1)
    matrix = metrics.confusion_matrix(predictions, targets, 7)
    for actual in range(7):
        chosen = predictions[targets == actual]
        assert torch.equal(matrix[actual], torch.bincount(chosen, minlength=7))
    assert int(matrix.sum()) == 500
    assert int(matrix.trace()) == int((predictions == targets).sum())


def test_confusion_matrix_refuses_mismatched_or_out_of_range_labels():
    with pytest.raises(ValueError, match=r"^There are 2 predictions but 1 targets; they must pair up one to one\.$"):
        metrics.confusion_matrix(torch.tensor([0, 1]), torch.tensor([0]), 2)
    with pytest.raises(ValueError, match=r"^predictions must lie between 0 and 1 for 2 classes; found 0 to 2\.$"):
        metrics.confusion_matrix(torch.tensor([0, 2]), torch.tensor([0, 1]), 2)
    with pytest.raises(ValueError, match=r"^predictions must hold whole class indices, not torch\.float32\.$"):
        metrics.confusion_matrix(torch.tensor([0.0, 1.0]), torch.tensor([0, 1]), 2)


def test_per_class_scores_by_hand():
    matrix = torch.tensor([
        [2, 1, 0],
        [0, 1, 1],
        [1, 0, 2],
    ])
    scores = metrics.per_class_scores(matrix)
    # class 0: TP 2, predicted 3 (column), actual 3 (row)
    # class 1: TP 1, predicted 2, actual 2; class 2: TP 2, predicted 3, actual 3
    assert scores.precision.tolist() == pytest.approx([2 / 3, 1 / 2, 2 / 3])
    assert scores.recall.tolist() == pytest.approx([2 / 3, 1 / 2, 2 / 3])
    assert scores.f1.tolist() == pytest.approx([2 / 3, 1 / 2, 2 / 3])
    assert scores.support.tolist() == [3, 2, 3]
    assert scores.accuracy == pytest.approx(5 / 8)
    assert not scores.undefined.any()


def test_per_class_scores_with_unequal_precision_and_recall():
    # class 0 predicted 4 times (3 right), present 5 times.
    matrix = torch.tensor([[3, 2], [1, 4]])
    scores = metrics.per_class_scores(matrix)
    p0, r0 = 3 / 4, 3 / 5
    p1, r1 = 4 / 6, 4 / 5
    assert scores.precision.tolist() == pytest.approx([p0, p1])
    assert scores.recall.tolist() == pytest.approx([r0, r1])
    assert scores.f1.tolist() == pytest.approx([2 * p0 * r0 / (p0 + r0), 2 * p1 * r1 / (p1 + r1)])


def test_undefined_scores_are_zero_and_flagged():
    # class 2 never occurs and is never predicted; class 1 is never predicted.
    matrix = torch.tensor([[3, 0, 0], [2, 0, 0], [0, 0, 0]])
    scores = metrics.per_class_scores(matrix)
    assert scores.precision.tolist() == pytest.approx([3 / 5, 0.0, 0.0])
    assert scores.recall.tolist() == pytest.approx([1.0, 0.0, 0.0])
    assert scores.f1[2].item() == 0.0
    assert not torch.isnan(scores.f1).any()
    assert scores.undefined.tolist() == [False, True, True]


class _Linear(nn.Module):
    """A tiny classifier on 1x2x2 images whose logits are easy to compute by hand."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x.flatten(1))


def test_predict_dataset_batches_and_matches_one_big_forward():
    torch.manual_seed(0)
    model = _Linear().train()
    images = torch.randint(0, 256, (37, 1, 2, 2), dtype=torch.uint8)
    probabilities, predictions = metrics.predict_dataset(model, images, batch_size=8, device="cpu")
    with torch.no_grad():
        expected = torch.softmax(model(images.float() / 255), dim=1)
    assert probabilities.shape == (37, 3)
    assert torch.allclose(probabilities, expected, atol=1e-6)
    assert torch.equal(predictions, expected.argmax(dim=1))
    assert model.training  # mode restored
    assert all(p.grad is None for p in model.parameters())


def test_mistakes_are_the_cell_sorted_by_confidence():
    probabilities = torch.tensor([
        [0.1, 0.9],  # actual 0, predicted 1, confidence 0.9
        [0.8, 0.2],  # actual 0, correct
        [0.4, 0.6],  # actual 0, predicted 1, confidence 0.6
        [0.05, 0.95],  # actual 0, predicted 1, confidence 0.95
        [0.3, 0.7],  # actual 1, correct
    ])
    targets = torch.tensor([0, 0, 0, 0, 1])
    assert metrics.mistakes(probabilities, targets, actual=0, predicted=1).tolist() == [3, 0, 2]
    assert metrics.mistakes(probabilities, targets, actual=0, predicted=0).tolist() == [1]
    assert metrics.mistakes(probabilities, targets, actual=1, predicted=0).tolist() == []


def test_largest_mistake_is_the_biggest_off_diagonal_cell():
    matrix = torch.tensor([[50, 2, 7], [1, 40, 0], [9, 3, 60]])
    assert metrics.largest_mistake(matrix) == (2, 0)
    assert metrics.largest_mistake(torch.eye(3, dtype=torch.long) * 5) == (0, 0)
