"""The Inside page's Distribution shift view: each change of the test images as described, and the
accuracy at each strength as torch counts it for the shipped LeNet-5."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from cnnviz.data import to_float
from cnnviz.lessons import inside as lesson




def test_each_change_does_what_its_name_says(fashion):
    x = to_float(fashion.test_images[:4])
    assert torch.allclose(lesson.changed(x, "rotate", 90), torch.rot90(x, 1, (2, 3)), atol=1e-4)
    assert torch.allclose(lesson.changed(x, "rotate", 0), x, atol=1e-5)
    shifted = lesson.changed(x, "shift", 100 / 28)  # one pixel right
    assert torch.allclose(shifted[..., 1:], x[..., :-1], atol=1e-4) and shifted[..., 0].abs().max() < 1e-4
    assert torch.allclose(lesson.changed(x, "invert", 1.0), 1 - x)
    assert torch.allclose(lesson.changed(x, "invert", 0.5), torch.full_like(x, 0.5))
    noisy = lesson.changed(torch.full((8, 1, 28, 28), 0.5), "noise", 0.1)
    assert abs(float((noisy - 0.5).std()) - 0.1) < 0.005 and noisy.min() >= 0 and noisy.max() <= 1
    assert torch.equal(lesson.changed(x, "noise", 0.1), lesson.changed(x, "noise", 0.1)), "seeded: the same each time"
    with pytest.raises(ValueError, match="no change called"):
        lesson.changed(x, "melt", 1)


@pytest.mark.parametrize("kind", list(lesson.SHIFTS))
def test_the_accuracy_at_each_strength_is_torchs_count(shipped_lenet, fashion, kind):
    curve = lesson.shift_curve(shipped_lenet, fashion.test_images, fashion.test_labels, shipped_lenet.classes, kind, 500)
    label, unit, strengths = lesson.SHIFTS[kind]
    assert curve.strengths == strengths and curve.unit == unit and curve.count == 500 and curve.chance == 0.1
    x, y = to_float(fashion.test_images[:500]), fashion.test_labels[:500]
    with torch.no_grad():
        expected = [int((shipped_lenet(lesson.changed(x, kind, s)).argmax(1) == y).sum()) for s in strengths]
        unchanged = int((shipped_lenet(x).argmax(1) == y).sum())
    assert list(curve.correct) == expected and expected[0] == unchanged
    assert curve.accuracies == pytest.approx([c / 500 for c in expected])
    assert f"gets **{unchanged / 500:.1%}** of these 500 test images right" in curve.sentence
    worst = int(np.argmin(expected))
    assert f"lowest is **{expected[worst] / 500:.1%}** (at {lesson.strength_text(kind, strengths[worst])})" in curve.sentence
    numbers = re.search(r"\\frac\{(\d+)\}\{(\d+)\} = (\d+\.\d)\\%$", curve.formula).groups()
    assert (int(numbers[0]), int(numbers[1])) == (expected[-1], 500)
    assert float(numbers[2]) == round(100 * expected[-1] / 500, 1)
    # The example strip: test image 0 at each strength, with the class the network gives it.
    with torch.no_grad():
        first = [shipped_lenet.classes[int(shipped_lenet(lesson.changed(x[:1], kind, s)).argmax())] for s in strengths]
    assert list(curve.captions) == [f"{lesson.strength_text(kind, s)}: {name}" for s, name in zip(strengths, first)]
    assert np.array_equal(np.asarray(curve.examples[0]), fashion.test_images[0, 0].numpy())


def test_rotating_the_test_images_drops_lenet_towards_chance(shipped_lenet, fashion):
    curve = lesson.shift_curve(shipped_lenet, fashion.test_images, fashion.test_labels, shipped_lenet.classes, "rotate", 1000)
    assert curve.accuracies[0] > 0.85 and min(curve.accuracies) < 0.25


def test_class_names_in_the_captions_are_quoted(shipped_lenet, fashion):
    curve = lesson.shift_curve(shipped_lenet, fashion.test_images, fashion.test_labels, shipped_lenet.classes, "noise", 50,
                               quote=lambda name: f"<{name}>")
    assert all(": <" in caption for caption in curve.captions)
