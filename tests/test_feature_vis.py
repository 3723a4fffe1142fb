"""cnnviz.feature_vis: the blur is torchvision's Gaussian blur, the jitter a torch.roll, the
penalties the sums worked out by hand; the ascent climbs without touching the weights, repeats
exactly, stops and reports where it says; the shipped LeNet-5's class pictures are called their
own class, and every objective's final value is what torch recomputes on the pictures (the logits,
capture_layer_outputs' channel means and features, the first modules run by hand); taps keeps a
module's second call and stops the pass early; every picture that cannot be made is refused with
a sentence."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as tvf
from torch import nn

from cnnviz.activations import capture_layer_outputs
from cnnviz.data import to_float
from cnnviz.feature_vis import LOGITS, FeatureVisError, Regularisation, ascend, layer_kinds
from cnnviz.feature_vis import objectives
from cnnviz.feature_vis.regularisers import blurred, jittered, penalty
from cnnviz.feature_vis.taps import taps
from cnnviz.models import get_model, load_checkpoint
from cnnviz.paths import PRETRAINED_DIR

pytestmark = pytest.mark.usefixtures("one_torch_thread")

PLAIN = Regularisation.none()
TV = Regularisation(jitter=0, l2=0.0, blur_every=0, blur_sigma=0.0, tv=1e-3)  # what the page inverts with
DREAM = Regularisation(jitter=2, l2=0.0, blur_every=0, blur_sigma=0.0)  # and dreams with


@pytest.fixture(scope="module")
def lenet(shipped_lenet):
    """The shared LeNet-5, with its weights checked unchanged after this module's tests."""
    before = {name: value.clone() for name, value in shipped_lenet.state_dict().items()}
    yield shipped_lenet
    after = shipped_lenet.state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before)
    assert not shipped_lenet.training


@pytest.fixture(scope="module")
def image(fashion):
    """Test image 0 (an ankle boot) as the (1, 1, 28, 28) floats the models take."""
    return to_float(fashion.test_images[:1])


def _class_score(net, pictures):
    return net(pictures)[:, 0]


def _rms(a, b):
    return float((a - b).pow(2).mean().sqrt())


# ---------------------------------------------------------------- regularisers


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_the_blur_is_torchvisions_gaussian_blur_with_reflected_edges(sigma):
    x = torch.rand(2, 3, 16, 13, generator=torch.Generator().manual_seed(0))
    size = 2 * round(3 * sigma) + 1
    expected = tvf.gaussian_blur(x, kernel_size=[size, size], sigma=[sigma, sigma])  # reflect padding
    torch.testing.assert_close(blurred(x, sigma), expected, rtol=1e-5, atol=1e-6)
    assert blurred(x, 0) is x


def test_a_blur_wider_than_the_picture_still_keeps_a_flat_grey_flat():
    # Reflection needs a picture wider than the kernel's radius; a tiny one is padded by repetition.
    flat = torch.full((1, 2, 3, 3), 0.3)
    torch.testing.assert_close(blurred(flat, 2.0), flat)
    spike = torch.zeros(1, 1, 3, 3)
    spike[0, 0, 1, 1] = 1
    assert blurred(spike, 2.0)[0, 0, 1, 1] < 1 and blurred(spike, 2.0)[0, 0, 0, 0] > 0


def test_the_jitter_is_a_roll_by_at_most_the_largest_shift_in_each_direction():
    x = torch.rand(2, 1, 9, 9, generator=torch.Generator().manual_seed(1))
    assert jittered(x, 0, torch.Generator()) is x
    generator, seen = torch.Generator().manual_seed(0), set()
    for _ in range(300):
        out = jittered(x, 2, generator)
        shifts = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5)
                  if torch.equal(out, torch.roll(x, shifts=(dy, dx), dims=(2, 3)))]
        assert len(shifts) == 1
        seen.add(shifts[0])
    assert seen == {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)}  # every shift, up to 2 each way
    again = torch.Generator().manual_seed(0)
    first = jittered(x, 2, torch.Generator().manual_seed(0))
    assert torch.equal(jittered(x, 2, again), first), "the same seed, the same shift"
    wanted = x.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad((jittered(wanted, 3, generator) * torch.arange(81.0).view(9, 9)).sum(), wanted)
    assert sorted(gradient[0, 0].flatten().tolist()) == list(range(81)), "the gradient is rolled back"


def test_the_penalty_is_the_l2_and_total_variation_sums_worked_out_by_hand():
    x = torch.rand(2, 2, 4, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    centre = torch.tensor([0.2, 0.7], dtype=torch.float64).view(2, 1, 1)
    settings = Regularisation(jitter=0, l2=0.3, blur_every=0, blur_sigma=0.0, tv=0.7)
    a, expected = x.numpy(), []
    for n in range(2):
        l2 = tv = 0.0
        for c in range(2):
            for i in range(4):
                for j in range(5):
                    l2 += (a[n, c, i, j] - centre[c, 0, 0].item()) ** 2
                    if i + 1 < 4:
                        tv += (a[n, c, i + 1, j] - a[n, c, i, j]) ** 2
                    if j + 1 < 5:
                        tv += (a[n, c, i, j + 1] - a[n, c, i, j]) ** 2
        expected.append(0.3 * l2 + 0.7 * tv)
    np.testing.assert_allclose(penalty(x, centre, settings).numpy(), expected, rtol=1e-12)
    only_l2 = Regularisation(jitter=0, l2=0.3, blur_every=0, blur_sigma=0.0)
    np.testing.assert_allclose(penalty(x, centre, only_l2).numpy(), 0.3 * ((x - centre) ** 2).sum((1, 2, 3)).numpy())
    assert penalty(x, centre, PLAIN).tolist() == [0.0, 0.0]


def test_a_negative_setting_is_refused():
    with pytest.raises(ValueError, match="0 or more"):
        Regularisation(jitter=-1)
    with pytest.raises(ValueError, match="0 or more"):
        Regularisation(tv=-0.1)
    assert Regularisation.none() == Regularisation(0, 0.0, 0, 0.0, 0.0)


# ---------------------------------------------------------------- the loop


def test_the_ascent_climbs_without_writing_to_the_weights(lenet):
    start = objectives.start_pictures(lenet, 3, (1, 28, 28), seed=0)
    kept = start.clone()
    before = {name: value.clone() for name, value in lenet.state_dict().items()}
    ascent = ascend(lenet, start, _class_score, steps=32)
    assert (ascent.final > ascent.first + 1).all(), (ascent.first, ascent.final)
    assert all(torch.equal(before[name], value) for name, value in lenet.state_dict().items())
    assert all(p.grad is None for p in lenet.parameters())
    assert torch.equal(start, kept), "the start pictures are not changed"
    with torch.no_grad():  # first and final are the objective of the start and of the pictures shown
        np.testing.assert_allclose(ascent.first, lenet(start)[:, 0].numpy(), rtol=1e-5)
        np.testing.assert_allclose(ascent.final, lenet(ascent.pictures)[:, 0].numpy(), rtol=1e-5)
    assert ascent.values.shape == (32, 3) and ascent.pictures.shape == (3, 1, 28, 28)
    assert ascent.pictures.dtype == torch.float32 and (ascent.steps, ascent.steps_done, ascent.stopped) == (32, 32, False)


def test_the_curve_is_the_objective_each_step_measured_and_each_report_keeps_its_pictures(lenet):
    # Without jitter a step measures the picture the step before left: the report's pictures.
    reports = []
    ascent = ascend(lenet, objectives.start_pictures(lenet, 2, (1, 28, 28), seed=4), _class_score, steps=12,
                    regularisation=Regularisation(jitter=0), on_progress=lambda done, p: reports.append((done, p)),
                    report_every=1)
    assert [done for done, _ in reports] == list(range(0, 13))  # the start first, then every step
    np.testing.assert_allclose(ascent.values[0], ascent.first, rtol=1e-5)
    with torch.no_grad():
        for done, pictures in reports[:-1]:
            np.testing.assert_allclose(ascent.values[done], lenet(pictures)[:, 0].numpy(), rtol=1e-5)
    assert torch.equal(reports[-1][1], ascent.pictures)
    assert not torch.equal(reports[0][1], reports[-1][1]), "a report's pictures are the pictures then"


def test_the_same_seed_makes_the_same_pictures_bit_for_bit(lenet):
    start = objectives.start_pictures(lenet, 2, (1, 28, 28), seed=0)
    settings = Regularisation(jitter=2)
    first = ascend(lenet, start, _class_score, steps=24, regularisation=settings, seed=3)
    again = ascend(lenet, start, _class_score, steps=24, regularisation=settings, seed=3)
    other = ascend(lenet, start, _class_score, steps=24, regularisation=settings, seed=4)
    assert torch.equal(first.pictures, again.pictures)
    np.testing.assert_array_equal(first.values, again.values)
    assert not torch.equal(first.pictures, other.pictures), "the seed draws the jitter"


def test_stop_ends_the_loop_before_the_step_it_answers_true_for(lenet):
    asked, reports = [], []

    def should_stop():
        asked.append(len(asked))
        return len(asked) == 14  # asked before each step: 13 steps are taken

    ascent = ascend(lenet, objectives.start_pictures(lenet, 2, (1, 28, 28), seed=0), _class_score, steps=40,
                    on_progress=lambda done, p: reports.append(done), report_every=4, should_stop=should_stop)
    assert (ascent.steps_done, ascent.steps, ascent.stopped) == (13, 40, True)
    assert len(asked) == 14 and ascent.values.shape == (13, 2)
    assert reports == [0, 4, 8, 12]
    with torch.no_grad():
        np.testing.assert_allclose(ascent.final, lenet(ascent.pictures)[:, 0].numpy(), rtol=1e-5)
    at_once = ascend(lenet, torch.full((1, 1, 28, 28), 0.5), _class_score, steps=5, should_stop=lambda: True)
    assert (at_once.steps_done, at_once.stopped, at_once.values.shape) == (0, True, (0, 1))
    assert torch.equal(at_once.pictures, torch.full((1, 1, 28, 28), 0.5))


def test_progress_comes_at_the_start_every_few_steps_and_after_the_last(lenet):
    reports = []
    ascent = ascend(lenet, torch.full((1, 1, 28, 28), 0.5), _class_score, steps=20,
                    on_progress=lambda done, p: reports.append((done, tuple(p.shape), p.device.type)))
    assert [done for done, _, _ in reports] == [0, 8, 16, 20]
    assert all(shape == (1, 1, 28, 28) and device == "cpu" for _, shape, device in reports)
    assert ascent.steps_done == 20
    zero = ascend(lenet, torch.full((1, 1, 28, 28), 0.5), _class_score, steps=0, on_progress=lambda *a: reports.append(a))
    assert len(reports) == 4 and zero.values.shape == (0, 1) and not zero.stopped  # no steps: no report
    np.testing.assert_array_equal(zero.first, zero.final)
    with pytest.raises(ValueError, match="0 or more"):
        ascend(lenet, torch.zeros(1, 1, 28, 28), _class_score, steps=-1)


def test_the_pictures_stay_in_the_pixel_range(lenet):
    # Plain ascent with a large step pushes pixels well past [0, 1]; the clip holds them there.
    start = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 1.4 - 0.2  # starts outside too
    seen = []
    ascent = ascend(lenet, start, _class_score, steps=16, lr=0.5, regularisation=PLAIN,
                    on_progress=lambda done, p: seen.append(p), report_every=1)
    for pictures in [*seen, ascent.pictures]:
        assert pictures.min() >= 0 and pictures.max() <= 1
    assert (ascent.pictures == 0).any() and (ascent.pictures == 1).any(), "the clip is what holds them"
    untouched = ascend(lenet, start, _class_score, steps=0)  # the start itself is clipped before it is measured
    assert torch.equal(untouched.pictures, start.clamp(0, 1))
    with torch.no_grad():
        np.testing.assert_allclose(untouched.first, lenet(start.clamp(0, 1))[:, 0].numpy(), rtol=1e-5)


# ---------------------------------------------------------------- the objectives


def test_every_class_picture_of_the_shipped_lenet_is_called_its_own_class(lenet):
    ascent = objectives.maximise_classes(lenet, range(10), steps=64)
    with torch.no_grad():
        logits = lenet(ascent.pictures)
    probabilities = torch.softmax(logits, 1)
    assert (probabilities.argmax(1) == torch.arange(10)).all()
    assert (probabilities.diagonal() > 0.99).all(), probabilities.diagonal()
    np.testing.assert_allclose(ascent.final, logits.diagonal().numpy(), rtol=1e-5, atol=1e-5)
    start = objectives.start_pictures(lenet, 10, (1, 28, 28), seed=0)
    with torch.no_grad():
        np.testing.assert_allclose(ascent.first, lenet(start).diagonal().numpy(), rtol=1e-5, atol=1e-5)
    assert (ascent.final > ascent.first).all()


def test_the_start_is_the_datasets_mean_grey_with_seeded_noise(lenet):
    assert torch.equal(objectives.centre_of(lenet), lenet.normalize.mean.view(1, 1, 1))
    assert objectives.centre_of(nn.Linear(2, 2)).tolist() == [[[0.5]]]
    start = objectives.start_pictures(lenet, 4, (1, 28, 28), seed=5)
    assert start.shape == (4, 1, 28, 28) and start.min() >= 0 and start.max() <= 1
    assert abs(float(start.mean()) - float(lenet.normalize.mean)) < 0.01 and 0.03 < float(start.std()) < 0.07
    assert torch.equal(start, objectives.start_pictures(lenet, 4, (1, 28, 28), seed=5))
    assert not torch.equal(start, objectives.start_pictures(lenet, 4, (1, 28, 28), seed=6))


def test_chosen_classes_come_in_their_order_and_a_start_can_be_given(lenet):
    start = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    ascent = objectives.maximise_classes(lenet, [7, 2], steps=0, start=start)
    assert torch.equal(ascent.pictures, start)
    with torch.no_grad():
        logits = lenet(start)
    np.testing.assert_allclose(ascent.final, [logits[0, 7], logits[1, 2]], rtol=1e-5)


def test_the_network_runs_in_eval_mode_and_gets_its_own_mode_back():
    # The small CNN has dropout: a run in train mode would score differently every call.
    model = load_checkpoint(PRETRAINED_DIR / "small-cnn-fashion-mnist.pt", map_location="cpu").train()
    ascent = objectives.maximise_classes(model, [3], steps=8)
    assert model.training
    model.eval()
    with torch.no_grad():
        np.testing.assert_allclose(ascent.final, model(ascent.pictures)[:, 3].numpy(), rtol=1e-5)
    model.train()
    again = objectives.maximise_classes(model, [3], steps=8)
    assert torch.equal(again.pictures, ascent.pictures)


def test_channel_pictures_score_the_channel_mean_capture_layer_outputs_measures(lenet):
    ascent = objectives.maximise_channels(lenet, "features.c3", [0, 5, 15], steps=32)
    for i, channel in enumerate([0, 5, 15]):
        output = capture_layer_outputs(lenet, ascent.pictures[i : i + 1]).layer("features.c3").output
        assert abs(float(ascent.final[i]) - float(output[channel].mean())) < 1e-4 * max(1, abs(float(ascent.final[i])))
    assert (ascent.final > ascent.first).all()
    vector = objectives.maximise_channels(lenet, "classifier.f6", [3, 80], steps=8)  # a vector layer: the value
    for i, unit in enumerate([3, 80]):
        output = capture_layer_outputs(lenet, vector.pictures[i : i + 1]).layer("classifier.f6").output
        assert abs(float(vector.final[i]) - float(output[unit])) < 1e-4 * max(1, abs(float(vector.final[i])))


def _dream_energy(model, photo, channel=None):
    """Half the mean square of features.act3, running normalize and the first five modules by hand."""
    with torch.no_grad():
        x = model.normalize(photo)
        for module in list(model.features)[:5]:  # c1, act1, s2, c3, act3
            x = module(x)
    if channel is not None:
        x = x[:, channel]
    return 0.5 * float(x.pow(2).mean())


def test_deep_dream_grows_a_layers_energy_on_a_photo_larger_than_the_network_takes(lenet, image):
    photo = torch.nn.functional.interpolate(image, size=112, mode="bilinear").clamp(0, 1)
    with pytest.raises(RuntimeError):
        lenet(photo)  # the classifier cannot take it: only a pass stopped early can
    ascent = objectives.deep_dream(lenet, photo, "features.act3", steps=32, lr=0.01, regularisation=DREAM)
    assert ascent.pictures.shape == (1, 1, 112, 112)
    assert ascent.first[0] == pytest.approx(_dream_energy(lenet, photo), rel=1e-5)
    assert ascent.final[0] == pytest.approx(_dream_energy(lenet, ascent.pictures), rel=1e-5)
    assert ascent.final[0] > 1.5 * ascent.first[0]
    one = objectives.deep_dream(lenet, photo, "features.act3", 4, steps=8, lr=0.01, regularisation=DREAM)
    assert one.first[0] == pytest.approx(_dream_energy(lenet, photo, 4), rel=1e-5)
    assert one.final[0] == pytest.approx(_dream_energy(lenet, one.pictures, 4), rel=1e-5)
    assert one.final[0] > one.first[0]


def _relative_error(model, picture, image, label):
    def features(x):
        captured = capture_layer_outputs(model, x)
        return captured.logits if label == LOGITS else captured.layer(label).output

    target = features(image)
    return float((features(picture) - target).pow(2).sum() / target.pow(2).sum())


def test_an_early_layer_rebuilds_the_image_and_the_logits_do_not(lenet, image):
    layers = ["features.act1", LOGITS]
    ascent = objectives.invert(lenet, image, layers, steps=64, regularisation=TV)
    early, logits = (_rms(ascent.pictures[i], image[0]) for i in range(2))
    assert early < 0.06 and early < logits / 3, (early, logits)
    for i, label in enumerate(layers):
        expected = _relative_error(lenet, ascent.pictures[i : i + 1], image, label)
        assert -float(ascent.final[i]) == pytest.approx(expected, rel=1e-3, abs=1e-6)
        start = objectives.start_pictures(lenet, 2, (1, 28, 28), seed=0)[i : i + 1]
        assert -float(ascent.first[i]) == pytest.approx(_relative_error(lenet, start, image, label), rel=1e-3)
    assert (ascent.final > ascent.first).all() and (ascent.final <= 0).all()


def test_layer_kinds_are_every_leaf_output_but_the_normalize_step(lenet):
    kinds = layer_kinds(lenet, (1, 28, 28))
    captured = capture_layer_outputs(lenet, torch.zeros(1, 1, 28, 28))
    assert kinds == {layer.name: (layer.kind, tuple(layer.output.shape)) for layer in captured.layers[1:]}
    assert captured.layers[0].kind == "Normalize"
    assert list(kinds)[:3] == ["features.c1", "features.act1", "features.s2"]
    assert kinds["features.s4"] == ("MaxPool2d", (16, 5, 5)) and kinds["classifier.output"] == ("Linear", (10,))


# ---------------------------------------------------------------- taps


def test_taps_keep_a_modules_second_call_with_its_gradient():
    # torchvision's ResNet calls one ReLU twice per block, and adds the shortcut in place onto the
    # second batch norm's output: each kept output is the one capture_layer_outputs records.
    torch.manual_seed(0)
    model = get_model("resnet18").eval()
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    captured = capture_layer_outputs(model, x)
    labels = ["net.layer1.0.relu", "net.layer1.0.relu (call 2)", "net.layer1.0.bn2", "net.layer2.1.conv1"]
    wanted = x.clone().requires_grad_(True)
    kept = taps(model, wanted, labels + [LOGITS])
    for label in labels:
        torch.testing.assert_close(kept[label][0].detach(), captured.layer(label).output, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(kept[LOGITS][0].detach(), captured.logits, rtol=1e-4, atol=1e-4)
    assert not torch.equal(kept["net.layer1.0.relu"], kept["net.layer1.0.relu (call 2)"])
    (gradient,) = torch.autograd.grad(kept["net.layer1.0.relu (call 2)"].pow(2).sum(), wanted)
    assert gradient.abs().sum() > 0
    alone = taps(model, x, ["net.layer1.0.relu (call 2)"])  # the pass stops after the second call
    assert list(alone) == ["net.layer1.0.relu (call 2)"]
    torch.testing.assert_close(alone["net.layer1.0.relu (call 2)"][0], captured.layer("net.layer1.0.relu (call 2)").output)
    with pytest.raises(FeatureVisError, match=r"Layer net\.layer1\.0\.relu \(call 3\) did not run"):
        taps(model, x, ["net.layer1.0.relu (call 3)"])
    assert all(not m._forward_hooks for m in model.modules()), "every hook is removed"


def test_taps_stop_the_pass_after_the_last_wanted_layer(lenet):
    ran = []
    handles = [module.register_forward_hook(lambda *a, name=name: ran.append(name))
               for name, module in (("act1", lenet.features.act1), ("output", lenet.classifier.output))]
    try:
        x = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
        kept = taps(lenet, x, ["features.c1"])
        assert ran == [] and list(kept) == ["features.c1"]
        with torch.no_grad():
            torch.testing.assert_close(kept["features.c1"], lenet.features.c1(lenet.normalize(x)))
        both = taps(lenet, x, ["features.c1", LOGITS])
        assert ran == ["act1", "output"]
        with torch.no_grad():
            torch.testing.assert_close(both[LOGITS], lenet(x))
    finally:
        for handle in handles:
            handle.remove()
    assert not lenet.features.c1._forward_hooks


# ---------------------------------------------------------------- refusals


def _sentence(error) -> str:
    text = str(error.value)
    assert text[0].isupper() and text.endswith(".") and "\n" not in text and "Traceback" not in text, text
    return text


def test_what_cannot_be_made_is_refused_with_a_sentence(lenet, image):
    with pytest.raises(FeatureVisError) as error:
        objectives.maximise_channels(lenet, "features.c9", [0], steps=1)
    assert "no layer called 'features.c9'" in _sentence(error)
    with pytest.raises(FeatureVisError) as error:
        taps(lenet, image, ["features"])  # a container, not a leaf
    assert "no layer called 'features'" in _sentence(error)
    for classes in ([10], [-1], [3, 12], []):
        with pytest.raises(FeatureVisError) as error:
            objectives.maximise_classes(lenet, classes, steps=1)
        assert "classes 0 to 9" in _sentence(error) and str(classes) in str(error.value)
    with pytest.raises(FeatureVisError) as error:
        objectives.maximise_channels(lenet, "features.c1", [2, 6], steps=1)
    assert "features.c1 has channels 0 to 5" in _sentence(error)
    with pytest.raises(FeatureVisError) as error:
        objectives.deep_dream(lenet, image, "features.c1", 6, steps=1)
    assert "channels 0 to 5; 6 is not among them" in _sentence(error)
    for photo in (torch.rand(1, 3, 28, 28), torch.rand(2, 1, 28, 28), torch.rand(1, 28, 28)):
        with pytest.raises(FeatureVisError) as error:
            objectives.deep_dream(lenet, photo, "features.c1", steps=1)
        assert "DeepDream takes one photo with 1 channel(s)" in _sentence(error) and str(tuple(photo.shape)) in str(error.value)
    for wrong in (torch.rand(1, 1, 32, 32), torch.rand(2, 1, 28, 28), torch.rand(1, 28, 28)):
        with pytest.raises(FeatureVisError) as error:
            objectives.invert(lenet, wrong, ["features.act1"], steps=1)
        assert "Inversion takes one image of 1 x 28 x 28" in _sentence(error)
    with pytest.raises(FeatureVisError) as error:
        objectives.invert(lenet, image, [], steps=1)
    assert "at least one layer" in _sentence(error)
    with pytest.raises(FeatureVisError) as error:
        objectives.maximise_classes(lenet, [1, 2], steps=1, start=torch.rand(3, 1, 28, 28))
    assert "(3, 1, 28, 28), not (2, 1, 28, 28)" in _sentence(error)
    with pytest.raises(FeatureVisError) as error:
        objectives.invert(lenet, image, ["features.act1"], steps=1, start=torch.rand(1, 1, 14, 14))
    assert "start pictures" in _sentence(error)
    with pytest.raises(FeatureVisError) as error:
        objectives.maximise_classes(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), [0])
    assert "does not say what size" in _sentence(error)
    assert issubclass(FeatureVisError, ValueError)
