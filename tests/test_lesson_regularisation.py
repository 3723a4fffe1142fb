"""The Training page's Regularisation tab: the L2 term against torch's own weight decay, dropout in
training and evaluation mode against torch, and each augmentation preview drawn by the run's code."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from cnnviz.data import to_float
from cnnviz.lessons import regularisation as lesson
from cnnviz.lessons import training
from cnnviz.models import get_model, load_checkpoint
from cnnviz.paths import PRETRAINED_DIR
from cnnviz.train.augment import augment_batch



@pytest.fixture(scope="module")
def small_cnn():
    return load_checkpoint(PRETRAINED_DIR / "small-cnn-fashion-mnist.pt", map_location="cpu").eval()


def test_the_l2_term_is_what_sgds_weight_decay_adds_to_the_gradient():
    # SGD's weight_decay adds lambda * w to each gradient: the gradient of (lambda / 2) * sum w^2.
    torch.manual_seed(0)
    model = get_model("lenet5")
    lam = 1e-3
    decay = lesson.weight_decay(model, lam)
    squares = sum(float((p.detach().double() ** 2).sum()) for p in model.parameters())
    assert decay.sum_of_squares == pytest.approx(squares)
    assert decay.parameters == sum(p.numel() for p in model.parameters()) == 61_706
    assert decay.term == pytest.approx(lam / 2 * squares)

    before = [p.detach().clone() for p in model.parameters()]
    optimiser = torch.optim.SGD(model.parameters(), lr=1.0, weight_decay=lam)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)  # no data loss: only the decay moves the weights
    optimiser.step()
    penalty = sum((lam / 2) * (w.double() ** 2).sum() for w in before)
    moved = [w - p.detach() for w, p in zip(before, model.parameters())]
    assert all(torch.allclose(step, lam * w) for step, w in zip(moved, before))  # = d penalty / d w
    assert float(penalty) == pytest.approx(decay.term)


def test_the_l2_line_adds_up_in_its_numbers():
    torch.manual_seed(0)
    model = get_model("lenet5")
    decay = lesson.weight_decay(model, 5e-4, data_loss=0.2116)
    match = re.fullmatch(r"L_\{\\text\{total\}\} = (\d\.\d{4}) \+ \\frac\{(.+)\}\{2\} \\cdot (\d+\.\d{2}) = (\d+\.\d{4})",
                         decay.line)
    loss, lam, squares, total = match.groups()
    assert (float(loss), float(lam)) == (0.2116, 5e-4)
    assert float(squares) == pytest.approx(decay.sum_of_squares, abs=0.005)
    assert float(total) == pytest.approx(0.2116 + 5e-4 / 2 * decay.sum_of_squares, abs=5e-5)
    assert lesson.weight_decay(model, 5e-4).line.startswith(r"\frac{0.0005}{2} \cdot ")


def test_dropout_zeroes_about_p_in_training_scales_the_rest_and_changes_nothing_in_evaluation(small_cnn, fashion):
    name, module = lesson.dropout_layer(small_cnn)
    assert name == "classifier.dropout" and module.p == pytest.approx(0.3)
    image = fashion.train_images[0]
    view = lesson.dropout_view(small_cnn, image)
    # The layer's real input, caught independently.
    caught = []
    handle = module.register_forward_hook(lambda _m, inputs, _o: caught.append(inputs[0].detach()))
    with torch.no_grad():
        small_cnn(to_float(image[None]))
    handle.remove()
    assert np.allclose(view.values, caught[0].flatten().double().numpy())
    kept = view.trained != 0
    assert np.allclose(view.trained[kept], view.values[kept] / (1 - 0.3))  # the survivors, scaled by 1/(1-p)
    nonzero = int((view.values != 0).sum())
    assert view.zeroed == int(((view.trained == 0) & (view.values != 0)).sum())
    assert 0.2 < view.zeroed / nonzero < 0.4, "about p of the values"
    assert f"zeroed {view.zeroed} of this image's {nonzero} non-zero values" in view.sentence
    assert "1 / (1 - 0.3) = 1.4286" in view.sentence
    assert not small_cnn.training, "the model stays in evaluation mode"
    again = lesson.dropout_view(small_cnn, image)
    assert np.array_equal(again.trained, view.trained), "one seeded mask: the same picture each rerun"


def test_a_network_without_dropout_gets_none():
    assert lesson.dropout_layer(get_model("lenet5")) is None
    assert lesson.dropout_view(get_model("lenet5").eval(), np.zeros((1, 28, 28), dtype=np.uint8)) is None


def test_each_preview_is_the_runs_own_augmentation_at_the_forms_strength(fashion):
    image = fashion.train_images[5]
    choices = training.single_augmentations()
    assert list(choices) == list(training.AUGMENTATIONS)
    assert {"vflip", "scale"} <= set(choices)
    previews = lesson.augmentation_previews(image, choices, seed=3)
    batch = to_float(image[None]).repeat(lesson.PREVIEW_DRAWS, 1, 1, 1)
    for preview in previews:
        label, strength, augment = choices[preview.key]
        assert (preview.label, preview.strength) == (label, strength)
        expected = augment_batch(batch, augment, torch.Generator().manual_seed(3))
        drawn = np.stack([np.asarray(picture) for picture in preview.pictures]).astype(int)
        assert np.abs(drawn - np.round(expected[:, 0].numpy() * 255)).max() <= 1, preview.key
        assert len(preview.pictures) == lesson.PREVIEW_DRAWS
    by_key = {p.key: p for p in previews}
    vflips = [np.asarray(p) for p in by_key["vflip"].pictures]
    original = np.asarray(lesson.original_picture(image))
    assert np.array_equal(original, image[0].numpy())
    assert all(np.array_equal(p, original) or np.array_equal(p, original[::-1]) for p in vflips)
    assert choices["scale"][2].scale == training.SCALE and choices["vflip"][2].vertical_flip


def test_the_form_passes_the_new_augmentations_to_the_run():
    augment = training.Settings(vflip=True, scale=True).augmentation()
    assert augment.vertical_flip and augment.scale == training.SCALE and not augment.flip
    augment.check()
