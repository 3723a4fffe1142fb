"""cnnviz.adversarial: FGSM and PGD against torch.autograd, their invariants, and the sweep."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz import adversarial as adv


class TinyNet(nn.Module):
    """A small conv net on 1 x 6 x 6 images with 3 classes; dropout to catch train-mode attacks."""

    input_shape = (1, 6, 6)
    num_classes = 3

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        return self.fc(self.dropout(torch.relu(self.conv(x)).flatten(1)))  # (N, 64) -> (N, 3)


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    model = TinyNet().eval()
    images = torch.rand(8, 1, 6, 6)
    images[0, 0, 0, :] = 0.0  # pixels on the range's edges must stay inside it
    images[1, 0, 0, :] = 1.0
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    return model, images, labels


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def fashion():
    from cnnviz.data import DatasetUnavailable, load_dataset

    try:
        return load_dataset("fashion-mnist")
    except DatasetUnavailable as err:
        pytest.skip(str(err))


@pytest.fixture(scope="module")
def trained_lenet(fashion):
    """LeNet-5 trained on 40,000 Fashion-MNIST images for one pass (a few seconds, > 80%)."""
    from cnnviz.data import to_float
    from cnnviz.models import get_model

    torch.manual_seed(0)
    model = get_model("lenet5")
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for start in range(0, 40_000, 128):
        x = to_float(fashion.train_images[start : start + 128])
        loss = F.cross_entropy(model(x), fashion.train_labels[start : start + 128])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return model.eval()


def accuracy(model, images, labels):
    with torch.no_grad():
        return (model(images).argmax(dim=1) == labels).float().mean().item()


# ---------------------------------------------------------------------------------------------
# The formulas


def test_fgsm_equals_the_formula_computed_directly_with_autograd(tiny):
    model, images, labels = tiny
    x = images.clone().requires_grad_(True)
    F.cross_entropy(model(x), labels).backward()
    expected = (images + 0.05 * x.grad.sign()).clamp(0, 1)
    assert torch.equal(adv.fgsm(model, images, labels, 0.05), expected)


def test_targeted_fgsm_steps_down_the_targets_loss(tiny):
    model, images, _ = tiny
    target = torch.full((8,), 2)
    x = images.clone().requires_grad_(True)
    F.cross_entropy(model(x), target).backward()
    expected = (images - 0.05 * x.grad.sign()).clamp(0, 1)
    result = adv.fgsm(model, images, torch.zeros(8, dtype=torch.long), 0.05, targeted=True, target=2)
    assert torch.equal(result, expected)


def test_pgd_with_one_full_step_and_no_random_start_is_fgsm(tiny):
    model, images, labels = tiny
    one_step = adv.pgd(model, images, labels, 0.1, steps=1, step_size=0.1, random_start=False)
    assert torch.equal(one_step, adv.fgsm(model, images, labels, 0.1))


def test_pgd_steps_follow_the_projected_update(tiny):
    model, images, labels = tiny
    eps, alpha = 0.1, 0.04
    x = images.clone()
    for _ in range(3):
        x_leaf = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(F.cross_entropy(model(x_leaf), labels, reduction="sum"), x_leaf)
        x = torch.clamp(torch.clamp(x + alpha * grad.sign(), images - eps, images + eps), 0, 1)
    result = adv.pgd(model, images, labels, eps, steps=3, step_size=alpha, random_start=False)
    torch.testing.assert_close(result, x, rtol=0, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# Invariants


ATTACKS = {
    "fgsm": lambda m, x, y, eps: adv.fgsm(m, x, y, eps),
    "fgsm-targeted": lambda m, x, y, eps: adv.fgsm(m, x, y, eps, targeted=True, target=(y + 1) % 3),
    "pgd": lambda m, x, y, eps: adv.pgd(m, x, y, eps, 5, eps / 2, generator=torch.Generator().manual_seed(1)),
    "pgd-targeted": lambda m, x, y, eps: adv.pgd(
        m, x, y, eps, 5, eps / 2, targeted=True, target=(y + 1) % 3, generator=torch.Generator().manual_seed(1)
    ),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
@pytest.mark.parametrize("eps", [0.02, 0.3])
def test_results_stay_in_pixel_range_and_within_eps(tiny, attack, eps):
    model, images, labels = tiny
    result = ATTACKS[attack](model, images, labels, eps)
    assert result.shape == images.shape and not result.requires_grad
    assert result.min() >= 0 and result.max() <= 1
    change = (result - images).abs()
    assert change.max() <= eps + 1e-6
    assert change.max() >= eps - 1e-6  # the budget is used, not wasted


def test_fgsm_moves_every_unclipped_pixel_by_exactly_eps(tiny):
    model, images, labels = tiny
    x = images.clone().requires_grad_(True)
    F.cross_entropy(model(x), labels).backward()
    result = adv.fgsm(model, images, labels, 0.02)
    free = (x.grad != 0) & (images > 0.02) & (images < 0.98)
    torch.testing.assert_close((result - images).abs()[free], torch.full_like(images[free], 0.02))


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_eps_zero_changes_nothing(tiny, attack):
    model, images, labels = tiny
    assert torch.equal(ATTACKS[attack](model, images, labels, 0.0), images)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_model_is_left_as_it_was(tiny, attack):
    model, images, labels = tiny
    model.conv.weight.requires_grad_(False)  # a partly frozen model keeps its flags
    flags = [p.requires_grad for p in model.parameters()]
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    ATTACKS[attack](model, images, labels, 0.1)
    assert not model.training
    assert all(p.grad is None for p in model.parameters())
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())


def test_a_model_in_training_mode_is_attacked_in_eval_mode_and_given_back_training(tiny):
    model, images, labels = tiny
    expected = adv.pgd(model, images, labels, 0.1, 3, 0.05, random_start=False)  # eval mode
    model.train()
    for method in adv.METHODS:
        result = adv.adversarial_examples_batch(model, images, labels, method, 0.1, steps=3, step_size=0.05)
        assert model.training
        assert all(p.grad is None for p in model.parameters())
        assert (result - images).abs().max() <= 0.1 + 1e-6
    # Dropout off during the attack: the result is the eval-mode one, not a random one.
    no_start = adv.pgd(model, images, labels, 0.1, 3, 0.05, random_start=False)
    assert torch.equal(no_start, expected) and model.training


def test_targeted_attacks_raise_the_target_class_probability(fashion, trained_lenet):
    from cnnviz.data import to_float

    images, labels = to_float(fashion.test_images[:64]), fashion.test_labels[:64]
    target = (labels + 3) % 10
    with torch.no_grad():
        before = trained_lenet(images).softmax(1).gather(1, target[:, None])
    for result in (
        adv.fgsm(trained_lenet, images, labels, 0.05, targeted=True, target=target),
        adv.pgd(trained_lenet, images, labels, 0.05, 10, 0.0125, False, targeted=True, target=target),
    ):
        with torch.no_grad():
            after = trained_lenet(result).softmax(1).gather(1, target[:, None])
        assert (after > before).float().mean() >= 0.9
        assert after.mean() > 2 * before.mean()
    # PGD, the stronger attack, raises it for every single image.
    assert (after > before).all()


def test_fgsm_at_eps_0_1_lowers_a_trained_lenets_accuracy_substantially(fashion, trained_lenet):
    from cnnviz.data import to_float

    images, labels = to_float(fashion.test_images[:1000]), fashion.test_labels[:1000]
    clean = accuracy(trained_lenet, images, labels)
    attacked = accuracy(trained_lenet, adv.fgsm(trained_lenet, images, labels, 0.1), labels)
    assert clean > 0.8
    assert attacked < clean - 0.3


# ---------------------------------------------------------------------------------------------
# The sweep


def _manual_sweep_numbers(model, images, labels, adversarials):
    """accuracy, success rate among the originally correct, mean confidence, computed directly."""
    with torch.no_grad():
        clean_ok = model(images).argmax(1) == labels
        rows = []
        for x_adv in adversarials:
            probabilities = model(x_adv).softmax(1)
            ok = probabilities.argmax(1) == labels
            rows.append((
                ok.float().mean().item(),
                (clean_ok & ~ok).sum().item() / clean_ok.sum().item(),
                probabilities.max(1).values.double().mean().item(),
            ))
    return np.array(rows).T


def test_fgsm_sweep_equals_per_epsilon_manual_computation(fashion, trained_lenet):
    from cnnviz.data import to_float

    images_uint8, labels = fashion.test_images[:300], fashion.test_labels[:300]
    epsilons = [0.0, 0.05, 0.1, 0.2]
    reports = []
    result = adv.sweep(trained_lenet, images_uint8, labels, epsilons, "fgsm", batch_size=64,
                       num_examples=4, progress=reports.append)

    images = to_float(images_uint8)
    adversarials = [adv.fgsm(trained_lenet, images, labels, eps) for eps in epsilons]
    acc, success, confidence = _manual_sweep_numbers(trained_lenet, images, labels, adversarials)
    np.testing.assert_allclose(result.accuracy, acc, atol=1e-12)
    np.testing.assert_allclose(result.success_rate, success, atol=1e-12)
    np.testing.assert_allclose(result.mean_confidence, confidence, rtol=1e-5)
    assert result.success_rate[0] == 0 and result.accuracy[0] == result.clean_accuracy
    assert result.num_images == 300 and list(result.epsilons) == epsilons

    # Examples: the first four images the model got right, attacked at every epsilon.
    with torch.no_grad():
        first_right = (trained_lenet(images).argmax(1) == labels).nonzero().flatten()[:4]
    assert result.example_indices.tolist() == first_right.tolist()
    assert result.example_labels.tolist() == labels[first_right].tolist()
    assert result.example_images.shape == (4, 4, 1, 28, 28)
    for k, x_adv in enumerate(adversarials):
        np.testing.assert_allclose(result.example_images[k], x_adv[first_right].numpy(), atol=1e-6)
        with torch.no_grad():
            predicted = trained_lenet(x_adv[first_right]).argmax(1)
        assert result.example_predictions[k].tolist() == predicted.tolist()

    assert reports == sorted(reports) and len(reports) == 5 and reports[-1] == 1.0


def test_pgd_sweep_equals_per_epsilon_manual_computation(fashion, trained_lenet):
    from cnnviz.data import to_float

    images_uint8, labels = fashion.test_images[:100], fashion.test_labels[:100]
    epsilons = [0.0, 0.05, 0.1]
    result = adv.sweep(trained_lenet, images_uint8, labels, epsilons, "pgd", batch_size=100, steps=4, seed=3)

    images = to_float(images_uint8)
    generator = torch.Generator().manual_seed(3)  # one batch: the same draws in the same order
    adversarials = [images] + [
        adv.pgd(trained_lenet, images, labels, eps, 4, 2.5 * eps / 4, generator=generator) for eps in epsilons[1:]
    ]
    acc, success, confidence = _manual_sweep_numbers(trained_lenet, images, labels, adversarials)
    np.testing.assert_allclose(result.accuracy, acc, atol=1e-12)
    np.testing.assert_allclose(result.success_rate, success, atol=1e-12)
    np.testing.assert_allclose(result.mean_confidence, confidence, rtol=1e-5)
    assert result.accuracy[2] < result.accuracy[0] - 0.3


def test_the_tutorials_reference_curve_is_the_one_in_the_teaching_notes():
    # docs/teaching.md: "accuracy 98.1 % at eps 0, 94.3 % at 0.05, 85.1 % at 0.1, 68.3 % at 0.15,
    # 43.0 % at 0.2, 20.8 % at 0.25 and 8.7 % at 0.3."
    assert adv.TUTORIAL_FGSM_CURVE == (
        (0.0, 0.981), (0.05, 0.943), (0.1, 0.851), (0.15, 0.683), (0.2, 0.430), (0.25, 0.208), (0.3, 0.087),
    )
    assert adv.TUTORIAL_EPSILONS == (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)


# ---------------------------------------------------------------------------------------------
# One image, and errors


def test_attack_image_reports_sizes_and_probabilities(tiny):
    model, images, _ = tiny
    result = adv.attack_image(model, images[2], method="pgd", eps=0.1, steps=4)
    with torch.no_grad():
        before = model(images[2:3]).softmax(1)[0].numpy()
        after = model(torch.from_numpy(result.adversarial)[None]).softmax(1)[0].numpy()
    assert result.label == before.argmax()  # no true class given: attack the prediction
    np.testing.assert_allclose(result.probabilities_before, before, rtol=1e-6)
    np.testing.assert_allclose(result.probabilities_after, after, rtol=1e-6)
    delta = result.adversarial - images[2].numpy()
    assert result.linf == pytest.approx(np.abs(delta).max()) and result.linf <= 0.1 + 1e-6
    assert result.l2 == pytest.approx(np.linalg.norm(delta.ravel()), rel=1e-6)


def test_attack_image_is_reproducible_and_targets_when_asked(tiny):
    model, images, _ = tiny
    first = adv.attack_image(model, images[:1], method="pgd", eps=0.2, target=1, steps=5, seed=4)
    again = adv.attack_image(model, images[:1], method="pgd", eps=0.2, target=1, steps=5, seed=4)
    assert np.array_equal(first.adversarial, again.adversarial)
    assert first.target == 1
    assert first.probabilities_after[1] > first.probabilities_before[1]


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x, y: adv.fgsm(m, x, y, -0.1),
        lambda m, x, y: adv.fgsm(m, x, y, 1.5),
        lambda m, x, y: adv.fgsm(m, x * 255, y, 0.1),
        lambda m, x, y: adv.fgsm(m, x[:, :, :5], y, 0.1),
        lambda m, x, y: adv.fgsm(m, x, y[:3], 0.1),
        lambda m, x, y: adv.fgsm(m, x, y, 0.1, targeted=True),
        lambda m, x, y: adv.fgsm(m, x, y, 0.1, targeted=True, target=7),
        lambda m, x, y: adv.pgd(m, x, y, 0.1, 0, 0.1),
        lambda m, x, y: adv.pgd(m, x, y, 0.1, 3, 0.0),
        lambda m, x, y: adv.sweep(m, x, y, [0.1]),
        lambda m, x, y: adv.sweep(m, (x * 255).byte(), y, [0.1], "deepfool"),
        lambda m, x, y: adv.attack_image(m, x, method="fgsm", eps=0.1),
    ],
)
def test_bad_settings_are_refused_with_a_sentence(tiny, call):
    model, images, labels = tiny
    with pytest.raises(adv.AttackError) as err:
        call(model, images, labels)
    message = str(err.value)
    assert message.endswith(".") and message[0].isupper() and "Traceback" not in message
