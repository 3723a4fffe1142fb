"""The Adversarial lab's lesson: the attack on one image, its numbers and sentences, the formula
with the student's numbers, the sweep's table and the short names.

Every attack is checked against the formula computed here with torch.autograd, on a tiny linear
model whose input is 2 x 3 x 5 (channels x height x width): a swapped height and width, a wrong
sign or a missing clip shows. Pixels at exactly 0 and 1 make the clip matter.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from cnnviz import adversarial
from cnnviz.lessons import adversarial as lesson

SHAPE = (2, 3, 5)  # C, H, W: not square
CLASSES = ["ant", "bee", "cat"]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Tiny(nn.Module):
    """logits = W x + b on the flattened (C, H, W) input, with the attributes checkpoints carry."""

    def __init__(self, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.input_shape, self.num_classes, self.classes = SHAPE, len(CLASSES), CLASSES
        self.linear = nn.Linear(int(np.prod(SHAPE)), len(CLASSES))

    def forward(self, x):
        return self.linear(x.flatten(1))


def image(seed: int = 1) -> torch.Tensor:
    """(1, 2, 3, 5) in [0, 1]: a third of the pixels at exactly 0 or 1, so clipping bites."""
    x = torch.rand((1, *SHAPE), generator=torch.Generator().manual_seed(seed))
    x.view(-1)[::3] = 0.0
    x.view(-1)[1::6] = 1.0
    return x


def loss_gradient(model, x, label: int) -> torch.Tensor:
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(model(x), torch.tensor([label])), x)
    return grad


def probabilities(model, x) -> np.ndarray:
    with torch.no_grad():
        return model(x).softmax(dim=1)[0].numpy()


def run(settings, label=0, x=None, model=None):
    model, x = model or Tiny(), image() if x is None else x
    return model, x, lesson.attack(model, lesson.AttackInput(x, label, ""), settings, CLASSES)


def test_fgsm_moves_every_pixel_by_eps_times_the_gradients_sign_then_clips():
    model, x, result = run(lesson.AttackSettings("FGSM", eps=26))
    eps = 26 / 255
    grad = loss_gradient(model, x, 0)
    assert (grad != 0).all()
    expected = (x + eps * grad.sign()).clamp(0, 1)[0]
    assert result.adversarial.shape == result.original.shape == SHAPE
    np.testing.assert_allclose(result.adversarial, expected.numpy(), atol=1e-6)
    change = result.adversarial - result.original
    unclipped = ((x[0] + eps * grad.sign()[0]) == expected).numpy()
    assert 0 < unclipped.sum() < unclipped.size  # some pixels were clipped, most were not
    np.testing.assert_allclose(change[unclipped], eps * grad.sign()[0].numpy()[unclipped], atol=1e-6)
    assert np.all(np.abs(change[~unclipped]) < eps - 1e-3)  # clipped pixels moved less (or not at all)
    # The measured sizes and what the metrics say of them.
    linf = float(np.abs(expected.numpy() - x[0].numpy()).max())
    l2 = float(np.sqrt(((expected.numpy() - x[0].numpy()).astype(np.float64) ** 2).sum()))
    assert linf <= eps + 1e-6 and result.linf == pytest.approx(linf, abs=1e-6)
    assert result.l2 == pytest.approx(l2, abs=1e-5)
    metrics = {m.label: m for m in result.metrics}
    assert (metrics["L∞ size of the change"].value, metrics["L∞ size of the change"].delta) == (
        f"{linf:.4f}", f"{linf * 255:.1f}/255")
    assert metrics["L∞ size of the change"].delta == "26.0/255"
    assert (metrics["L2 size of the change"].value, metrics["L2 size of the change"].delta) == (
        f"{l2:.3f}", "over 30 values")  # 2 x 3 x 5
    assert result.file_name == "adversarial-fgsm-eps26of255.png"


def test_the_predictions_confidences_and_verdict_are_the_models():
    model, x, result = run(lesson.AttackSettings("FGSM", eps=80))
    before, after = probabilities(model, x), probabilities(model, torch.from_numpy(result.adversarial)[None])
    b, a = int(before.argmax()), int(after.argmax())
    assert (result.before, result.after) == (b, a)
    metrics = [(m.label, m.value, m.delta, m.from_checkpoint, m.tone) for m in result.metrics]
    verdict, tone = ("fooled", "red") if a != 0 else ("held", "green")
    assert metrics[:2] == [("Prediction before", CLASSES[b], f"{before[b]:.1%} sure", True, "off"),
                           ("Prediction after", CLASSES[a], f"{after[a]:.1%} sure ({verdict})", True, tone)]
    assert [m[3:] for m in metrics[2:]] == [(False, "off"), (False, "off")]  # numbers: shown as they are
    assert result.fooled == (a != 0)
    assert result.original_caption == f"{CLASSES[b]}, {before[b]:.0%}"
    assert result.adversarial_caption == f"{CLASSES[a]}, {after[a]:.0%}"
    assert result.marked_label == 0 and result.target is None
    np.testing.assert_allclose(result.probabilities_before, before, atol=1e-6)


def test_the_outcome_sentence_says_flipped_or_held():
    model = Tiny()
    x = image()
    predicted = int(probabilities(model, x).argmax())
    _, _, flipped = run(lesson.AttackSettings("FGSM", eps=80), label=predicted, model=model)
    after = int(probabilities(model, torch.from_numpy(flipped.adversarial)[None]).argmax())
    assert after != predicted  # 80/255 on a linear model moves it
    measured = f"{np.abs(flipped.adversarial - flipped.original).max() * 255:.1f}"
    assert flipped.outcome == (f"No pixel moved by more than {measured}/255 (the budget is 80/255), and the "
                               f"prediction flipped from {CLASSES[predicted]} to {CLASSES[after]}.")
    _, _, held = run(lesson.AttackSettings("FGSM", eps=0), label=predicted, model=model)
    assert not held.fooled and held.linf == 0
    assert held.outcome == ("No pixel moved by more than 0.0/255 (the budget is 0/255), and the prediction "
                            f"held: still {CLASSES[predicted]}.")
    wrong = (predicted + 1) % 3
    _, _, already = run(lesson.AttackSettings("FGSM", eps=0), label=wrong, model=model)
    # Judged against the true class: a network wrong before the attack stays fooled.
    assert already.fooled and already.metrics[1].delta.endswith("sure (fooled)")
    assert (already.metrics[1].tone, held.metrics[1].tone) == ("red", "green")
    assert already.outcome.endswith(f"The network was wrong before the attack already ({CLASSES[predicted]}, not "
                                    f"{CLASSES[wrong]}); after it, it says {CLASSES[predicted]}.")


def test_a_targeted_fgsm_steps_down_the_targets_loss():
    model, x, result = run(lesson.AttackSettings("FGSM", eps=40, target=2))
    grad = loss_gradient(model, x, 2)
    np.testing.assert_allclose(result.adversarial, (x - 40 / 255 * grad.sign()).clamp(0, 1)[0].numpy(), atol=1e-6)
    after = int(probabilities(model, torch.from_numpy(result.adversarial)[None]).argmax())
    assert result.fooled == (after == 2) and result.target == 2
    reached = "reached" if after == 2 else "did not reach"
    assert result.outcome.endswith(f", and the prediction {reached} the target, cat: it is {CLASSES[after]}.")


@pytest.mark.parametrize(("steps", "fraction"), [(3, 0.5), (4, 0.1)])  # 1.5 eps: the box bites; 0.4 eps: it does not
def test_pgd_is_projected_fgsm_steps_and_stays_in_the_eps_box(steps, fraction):
    settings = lesson.AttackSettings("PGD", eps=20, steps=steps, alpha=fraction, random_start=False)
    model, x, result = run(settings)
    eps, alpha = 20 / 255, fraction * 20 / 255
    expected = x.clone()
    for _ in range(steps):
        expected = expected + alpha * loss_gradient(model, expected, 0).sign()
        expected = torch.min(torch.max(expected, x - eps), x + eps).clamp(0, 1)
    np.testing.assert_allclose(result.adversarial, expected[0].numpy(), atol=1e-6)
    assert result.linf == pytest.approx(min(eps, steps * alpha), abs=1e-6)  # the box, or all steps one way
    # From a random start too: inside the box and inside [0, 1].
    _, _, started = run(lesson.AttackSettings("PGD", eps=20, steps=5, alpha=1.0, random_start=True))
    assert np.abs(started.adversarial - x[0].numpy()).max() <= eps + 1e-6
    assert started.adversarial.min() >= 0 and started.adversarial.max() <= 1
    assert started.linf <= eps + 1e-6


def test_one_pgd_step_of_alpha_eps_without_random_start_is_fgsm():
    _, _, pgd = run(lesson.AttackSettings("PGD", eps=26, steps=1, alpha=1.0, random_start=False))
    _, _, fgsm = run(lesson.AttackSettings("FGSM", eps=26))
    np.testing.assert_allclose(pgd.adversarial, fgsm.adversarial, atol=1e-6)


def test_a_photo_is_attacked_away_from_the_networks_own_prediction():
    model = Tiny()
    x = image()
    predicted = int(probabilities(model, x).argmax())
    result = lesson.attack(model, lesson.AttackInput(x, None, ""), lesson.AttackSettings("FGSM", eps=26), CLASSES)
    grad = loss_gradient(model, x, predicted)
    np.testing.assert_allclose(result.adversarial, (x + 26 / 255 * grad.sign()).clamp(0, 1)[0].numpy(), atol=1e-6)
    assert result.marked_label is None  # no bar is marked "(true)"


def test_an_image_of_the_wrong_shape_gets_the_attacks_sentence():
    swapped = torch.rand(1, 2, 5, 3)  # height and width swapped
    with pytest.raises(adversarial.AttackError, match="2-channel 3 x 5 images, but these are 2-channel 5 x 3"):
        lesson.attack(Tiny(), lesson.AttackInput(swapped, 0, ""), lesson.AttackSettings(), CLASSES)


def test_settings_units_and_checks():
    settings = lesson.AttackSettings("PGD", eps=51, steps=4, alpha=0.1)
    assert settings.method_name == "pgd" and settings.is_pgd
    assert settings.eps_value == pytest.approx(0.2)
    assert settings.step_size == pytest.approx(0.02)
    assert lesson.AttackSettings("PGD", eps=0).step_size is None
    with pytest.raises(ValueError, match="FGSM, PGD"):
        lesson.AttackSettings("DeepFool")
    with pytest.raises(ValueError, match="0 to 80"):
        lesson.AttackSettings(eps=81)


def test_captions_give_epsilon_and_alpha_in_both_units():
    assert lesson.eps_caption(26) == "ε = 26/255 = 0.1020 in [0, 1] pixel units."  # 26/255 = 0.10196
    assert lesson.eps_caption(8) == "ε = 8/255 = 0.0314 in [0, 1] pixel units."
    assert lesson.alpha_caption(0.25, 26) == "α = 0.25 x ε = 0.025 in [0, 1] = 6.5/255 per step."
    assert lesson.alpha_caption(1.0, 8) == "α = 1 x ε = 0.031 in [0, 1] = 8.0/255 per step."
    assert lesson.alpha_caption(0.5, 51) == "α = 0.5 x ε = 0.100 in [0, 1] = 25.5/255 per step."
    assert lesson.alpha_caption(1.0, 80) == "α = 1 x ε = 0.314 in [0, 1] = 80.0/255 per step."


def test_the_formula_carries_the_students_numbers():
    assert lesson.formula(lesson.AttackSettings("FGSM", eps=26)) == (
        r"x_{\mathrm{adv}} = \operatorname{clip}\big(x + 0.1020 \cdot "
        r"\operatorname{sign}(\nabla_x \mathcal{L}(f(x), y)),\ 0,\ 1\big)")
    targeted = lesson.formula(lesson.AttackSettings("FGSM", eps=26, target=0))
    assert r"x - 0.1020 \cdot" in targeted and "f(x), t)" in targeted
    pgd = lesson.formula(lesson.AttackSettings("PGD", eps=8, steps=7, alpha=0.25, random_start=True))
    # 8/255 = 0.03137, alpha = 0.25 * 8/255 = 0.00784
    assert pgd == (
        r"\begin{aligned} x_0 &= x + \mathcal{U}(-0.0314,\ 0.0314) \\ x_{k+1} &= "
        r"\operatorname{clip}_{[x - 0.0314,\ x + 0.0314]\,\cap\,[0,\ 1]}"
        r"\big(x_k + 0.0078 \cdot \operatorname{sign}(\nabla_x \mathcal{L}(f(x_k), y))\big) \\ "
        r"x_{\mathrm{adv}} &= x_{7} \end{aligned}\;")
    assert lesson.formula(lesson.AttackSettings("PGD", eps=8, random_start=False)).startswith(
        r"\begin{aligned} x_0 &= x \\")


# --- Inputs ---


def test_a_dataset_of_another_shape_is_refused_with_both_shapes():
    assert lesson.load_test_set("", (1, 8, 8)).problem == (
        "The test set is not available: This checkpoint does not say which dataset it was trained on.")
    refused = lesson.load_test_set("digits", (1, 8, 10))  # the digits are 1 x 8 x 8
    assert refused.dataset is None
    assert refused.problem == ("The test set is not available: This model takes 1 x 8 x 10 images but its "
                               "dataset's are 1 x 8 x 8; use a photo instead.")
    assert lesson.load_test_set("digits", (1, 8, 8)).dataset is not None


def test_a_test_image_is_the_chosen_image_of_its_class():
    pictures = torch.arange(5 * 15, dtype=torch.uint8).reshape(5, 1, 3, 5)
    labels = torch.tensor([2, 0, 2, 1, 2])
    test_set = SimpleNamespace(test_images=pictures, test_labels=labels)
    positions = lesson.class_positions(labels, 2)
    assert positions == [0, 2, 4]
    assert lesson.class_positions(labels, 1) == [3] and lesson.class_positions(labels, 5) == []
    chosen = lesson.image_from_test_set(test_set, positions[1], CLASSES)
    assert chosen.image.shape == (1, 1, 3, 5) and chosen.label == 2
    np.testing.assert_allclose(chosen.image[0, 0].numpy(), np.arange(30, 45).reshape(3, 5) / 255, atol=1e-7)
    assert chosen.note == "Test image 2 of 5; its true class is cat."
    assert lesson.which_label("cat", 3) == "Which cat (0 to 2)"
    assert lesson.no_images_of("bee") == "The test set has no bee; pick another class."


def test_a_photo_becomes_the_models_input_shape_and_has_no_true_class():
    photo = Image.new("RGB", (40, 20), (250, 250, 250))  # 40 wide, 20 high, a bright border
    photo.paste((0, 0, 0), (15, 5, 25, 15))
    shape = (1, 12, 30)  # the same 2:1 aspect: nothing padded
    dark = lesson.photo_input(photo, shape, "fashion-mnist")  # light objects on black: inverted
    assert dark.label is None and tuple(dark.image.shape) == (1, *shape)
    assert "inverted" in dark.note and dark.note.endswith(lesson.PHOTO_NOTE)
    assert float(dark.image[0, 0, 0, 0]) < 0.1 and float(dark.image[0, 0, 6, 15]) > 0.9
    plain = lesson.photo_input(photo, shape, "")
    assert "inverted" not in plain.note and float(plain.image[0, 0, 0, 0]) > 0.9


# --- The sweep ---


def entry(path: str, dataset="fashion-mnist"):
    return SimpleNamespace(key=path, path=Path(path), dataset=dataset, classes=("a", "b"))


def test_short_names_are_stems_or_run_folders_numbered_on_collision():
    found = [entry("/x/normal.pt"), entry("/y/normal.pt"), entry("/z/normal (2).pt"), entry("/w/normal.pt"),
             entry("/home/runs/20261123-140512-lenet5-3fa2c1/model.pt"), entry("/p/robust.pt")]
    assert list(lesson.short_names(found).values()) == [
        "normal", "normal (2)", "normal (2) (2)", "normal (3)", "20261123-140512-lenet5-3fa2c1", "robust"]
    assert list(lesson.short_names(found)) == [e.key for e in found]


def test_the_plan_runs_each_model_under_each_attack_in_order():
    entries = {e.key: e for e in (entry("/a/normal.pt"), entry("/b/robust.pt", "digits"), entry("/c/blank.pt", ""))}
    names = lesson.short_names(entries.values())
    small = list(lesson.EPSILON_SETS)[1]
    settings = lesson.SweepSettings(("/a/normal.pt", "/b/robust.pt", "/gone.pt", "/c/blank.pt"),
                                    ("FGSM", "PGD"), small, 200, 100)
    assert settings.epsilon_values == (0.0, 1 / 255, 2 / 255, 4 / 255, 8 / 255, 16 / 255)
    plan = lesson.plan_sweep(settings, entries, names)
    assert [(j.name, j.method, j.num_images, j.dataset) for j in plan.jobs] == [
        ("normal", "fgsm", 200, "fashion-mnist"), ("normal", "pgd", 100, "fashion-mnist"),
        ("robust", "fgsm", 200, "digits"), ("robust", "pgd", 100, "digits")]
    assert plan.problems == ("blank.pt does not say which dataset it was trained on, so it cannot be swept.",)
    assert plan.warning == ("The two models were trained on different datasets (digits and fashion-mnist), so "
                            "each is measured on its own test set: compare the curves with care.")
    assert lesson.progress_text(plan.jobs[3], 3, 4) == "Attacking the test set: robust, PGD (4 of 4)"
    one = lesson.plan_sweep(lesson.SweepSettings(("/a/normal.pt",), ("PGD",), small, 300, 400), entries, names)
    assert [(j.method, j.num_images) for j in one.jobs] == [("pgd", 400)] and one.warning == ""


def test_sweep_rows_are_the_accuracy_under_fgsm_computed_by_hand():
    model = Tiny(seed=3)
    pictures = torch.randint(0, 256, (12, *SHAPE), generator=torch.Generator().manual_seed(4), dtype=torch.uint8)
    x = pictures.float() / 255
    with torch.no_grad():
        labels = model(x).argmax(dim=1)
    labels[:3] = (labels[:3] + 1) % 3  # three start out wrong
    epsilons = (0.0, 0.1, 0.3)
    result = adversarial.sweep(model, pictures, labels, epsilons, "fgsm", batch_size=5)
    rows = lesson.sweep_rows("tiny", result)
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.cross_entropy(model(xg), labels, reduction="sum"), xg)
    clean_right = labels == model(x).argmax(dim=1)
    assert int(clean_right.sum()) == 9
    assert [row["ε"] for row in rows] == ["0.000", "0.100", "0.300"]
    assert [row["ε (/255)"] for row in rows] == ["0.0", "25.5", "76.5"]
    for row, eps in zip(rows, epsilons):
        with torch.no_grad():
            probs = model((x + eps * grad.sign()).clamp(0, 1)).softmax(dim=1)
        confidence, predicted = probs.max(dim=1)
        right = predicted == labels
        assert row["Accuracy"] == f"{int(right.sum()) / 12:.1%}"
        assert row["Attack success (of those right before)"] == f"{int((clean_right & ~right).sum()) / 9:.1%}"
        assert row["Mean confidence"] == f"{float(confidence.mean()):.1%}"
        assert (row["Model"], row["Attack"], row["Images"]) == ("tiny", "FGSM", 12)
    assert rows[0]["Accuracy"] == "75.0%" and rows[0]["Attack success (of those right before)"] == "0.0%"


def test_the_sweep_view_has_a_curve_rows_and_a_tab_per_job():
    model = Tiny()
    pictures = torch.randint(0, 256, (4, *SHAPE), generator=torch.Generator().manual_seed(5), dtype=torch.uint8)
    labels = torch.tensor([0, 1, 2, 0])
    fgsm = adversarial.sweep(model, pictures, labels, (0.0, 0.1), "fgsm", num_examples=2)
    pgd = adversarial.sweep(model, pictures, labels, (0.0, 0.1), "pgd", steps=2, num_examples=2)
    jobs = [lesson.SweepJob("/a/m.pt", "m", "digits", ("p", "q", "r"), "fgsm", 4),
            lesson.SweepJob("/a/m.pt", "m", "digits", ("p", "q", "r"), "pgd", 4)]
    view = lesson.sweep_view([(jobs[0], fgsm), (jobs[1], pgd)])
    assert [(c.model, c.method, c.num_images) for c in view.curves] == [("m", "fgsm", 4), ("m", "pgd", 4)]
    np.testing.assert_array_equal(view.curves[1].accuracy, pgd.accuracy)
    assert len(view.rows) == 4 and [r["Attack"] for r in view.rows] == ["FGSM", "FGSM", "PGD", "PGD"]
    assert [(t.title, t.chart_key, t.classes) for t in view.tabs] == [
        ("m: FGSM", "adv_examples_/a/m.pt_fgsm", ("p", "q", "r")),
        ("m: PGD", "adv_examples_/a/m.pt_pgd", ("p", "q", "r"))]
    assert view.tabs[0].sweep.example_images.shape[2:] == SHAPE
