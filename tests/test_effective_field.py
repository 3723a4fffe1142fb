"""The effective receptive field against the theoretical one, and the hook hygiene around it."""

import threading

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz.effective_field import EffectiveFieldError, captured_output, effective_field
from cnnviz.models import get_model
from cnnviz.receptive import receptive_fields


def _inside(box, field_box, height, width):
    top, left, bottom, right = field_box
    return (
        box[0] >= max(top, 0) and box[1] >= max(left, 0)
        and box[2] <= min(bottom, height - 1) and box[3] <= min(right, width - 1)
    )


def test_gradient_is_non_zero_only_inside_the_theoretical_field():
    torch.manual_seed(0)
    model = get_model("cifar_cnn").eval()
    image = torch.rand(1, 3, 32, 32)
    rows = [row for row in receptive_fields(model) if row.spatial and row.module]
    for row in rows:
        _, height, width = row.output_shape
        for unit in [(0, 0), (height // 2, width // 2), (height - 1, width - 1)]:
            field = effective_field(model, image, row.module, unit)
            support = field.support()
            assert support is not None, (row.name, unit)
            assert _inside(support, row.box(*unit), 32, 32), (row.name, unit, support, row.box(*unit))


def test_with_positive_weights_the_effective_field_fills_the_theoretical_one_exactly():
    # A linear, positive network has no cancellations: every pixel in the field moves the unit.
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.AvgPool2d(2), nn.Conv2d(2, 1, 5, stride=2, dilation=2))
    with torch.no_grad():
        for conv in (model[0], model[2]):
            conv.weight.fill_(0.1)
            conv.bias.zero_()
    row = receptive_fields(model, (1, 40, 40))[-1]
    field = effective_field(model, torch.ones(1, 1, 40, 40), "2", (3, 4))
    assert field.support() == row.box(3, 4)
    assert field.gradient.shape == (40, 40) and field.gradient.dtype == np.float32


def test_the_effective_field_of_a_deep_net_is_smaller_than_its_theoretical_field():
    torch.manual_seed(0)
    model = get_model("resnet18").eval()
    row = next(row for row in receptive_fields(model, (3, 224, 224)) if row.module == "net.layer3.1")
    field = effective_field(model, torch.rand(1, 3, 224, 224), "net.layer3.1", (7, 7))
    assert _inside(field.support(), row.box(7, 7), 224, 224)
    top, left, bottom, right = row.box(7, 7)
    area_in_image = (min(bottom, 223) - max(top, 0) + 1) * (min(right, 223) - max(left, 0) + 1)
    assert field.mass_pixels(0.9) < 0.5 * area_in_image


def test_mass_pixels_counts_the_strongest_pixels_first():
    gradient = np.zeros((5, 5), np.float32)
    gradient[2, 2], gradient[0, 0], gradient[4, 4] = 8.0, 1.0, 1.0
    from cnnviz.effective_field import EffectiveField

    field = EffectiveField("x", (0, 0), None, gradient, 0.0)
    assert field.mass_pixels(0.8) == 1 and field.mass_pixels(0.9) == 2 and field.mass_pixels(1.0) == 3


def test_one_channel_or_the_sum_over_channels():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3))
    image = torch.rand(1, 1, 8, 8)
    both = effective_field(model, image, "0", (2, 3))
    first = effective_field(model, image, "0", (2, 3), channel=0)
    # A single conv: d unit / d pixel is the kernel itself, laid over the unit's 3x3 window.
    expected = np.zeros((8, 8), np.float32)
    expected[2:5, 3:6] = model[0].weight[0, 0].abs().detach().numpy()
    np.testing.assert_allclose(first.gradient, expected, rtol=1e-6)
    summed = (model[0].weight[0, 0] + model[0].weight[1, 0]).abs().detach().numpy()
    np.testing.assert_allclose(both.gradient[2:5, 3:6], summed, rtol=1e-6)
    assert first.activation == pytest.approx(model(image)[0, 0, 2, 3].item(), rel=1e-6)


class _Boom(nn.Module):
    def forward(self, x):
        raise RuntimeError("boom")


def _hook_count(model):
    return sum(len(m._forward_hooks) for m in model.modules())


def test_no_hook_survives_an_exception():
    model = nn.Sequential(nn.Conv2d(1, 1, 3), _Boom(), nn.Conv2d(1, 1, 3))
    with pytest.raises(RuntimeError, match="boom"):
        effective_field(model, torch.rand(1, 1, 9, 9), "2", (0, 0))
    assert _hook_count(model) == 0
    with pytest.raises(EffectiveFieldError, match=r"outside layer '0', whose grid is 7 x 7\.$"):
        effective_field(model, torch.rand(1, 1, 9, 9), "0", (7, 0))
    assert _hook_count(model) == 0
    with pytest.raises(ValueError):
        with captured_output(model, "0"):
            assert _hook_count(model) == 1
            raise ValueError("inside the block")
    assert _hook_count(model) == 0


def test_parameter_grads_and_train_mode_are_left_as_they_were():
    model = get_model("lenet5")
    model.train()
    model.classifier.eval()  # a mixed state must come back exactly
    effective_field(model, torch.rand(1, 1, 28, 28), "features.c3", (4, 4))
    assert all(p.grad is None for p in model.parameters())
    assert model.training and model.features.training and not model.classifier.training
    model.eval()
    effective_field(model, torch.rand(1, 1, 28, 28), "features.c3", (4, 4))
    assert not any(m.training for m in model.modules())


def test_train_mode_does_not_change_the_answer_or_batch_norm_statistics():
    torch.manual_seed(0)
    model = get_model("cifar_cnn")
    image = torch.rand(1, 3, 32, 32)
    stats = model.features.bn1.running_mean.clone()
    model.train()
    trained_mode = effective_field(model, image, "features.pool1", (3, 3))
    model.eval()
    eval_mode = effective_field(model, image, "features.pool1", (3, 3))
    np.testing.assert_allclose(trained_mode.gradient, eval_mode.gradient)
    assert torch.equal(stats, model.features.bn1.running_mean)


def test_other_threads_run_the_model_normally_while_the_hook_is_on():
    model = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3))
    results = []
    with captured_output(model, "0"):
        worker = threading.Thread(target=lambda: results.append(model(torch.rand(1, 1, 7, 7)).shape))
        worker.start()
        worker.join()
    assert results == [torch.Size([1, 1, 3, 3])]


def test_unknown_layers_and_layers_without_a_grid_are_refused_with_sentences():
    model = get_model("lenet5")
    with pytest.raises(EffectiveFieldError, match=r"no layer named 'nope'\.$"):
        effective_field(model, torch.rand(1, 1, 28, 28), "nope", (0, 0))
    with pytest.raises(EffectiveFieldError, match=r"^Layer 'classifier\.f6' has no grid of units \(its output is \(84,\)\)\.$"):
        effective_field(model, torch.rand(1, 1, 28, 28), "classifier.f6", (0, 0))


def test_a_meta_vgg16_gets_weights_only_for_the_layers_before_the_probed_one():
    from cnnviz.effective_field import materialized_prefix
    from cnnviz.models.registry import get_structure

    structure = get_structure("vgg16")
    materialized_prefix(structure, "net.features.9", (3, 224, 224))
    real = {name for name, p in structure.named_parameters() if not p.is_meta}
    # features.0, 2, 5 and 7 are VGG-16's first four 3x3 convolutions; the rest stays weightless.
    assert real == {f"net.features.{i}.{kind}" for i in (0, 2, 5, 7) for kind in ("weight", "bias")}
    assert sum(p.numel() for n, p in structure.named_parameters() if n in real) == 3 * 64 * 9 + 64 + 64 * 64 * 9 + 64 \
        + 64 * 128 * 9 + 128 + 128 * 128 * 9 + 128
    torch.testing.assert_close(structure.normalize.mean.flatten(), torch.tensor([0.485, 0.456, 0.406]))
    row = next(row for row in receptive_fields(get_structure("vgg16"), (3, 224, 224)) if row.module == "net.features.9")
    field = effective_field(structure, torch.rand(1, 3, 224, 224), "net.features.9", (20, 30))
    # Random positive-mean images through ReLUs: every pixel of the theoretical field moves the unit.
    assert field.support() == row.box(20, 30)


def test_a_deeper_layer_later_adds_weights_and_keeps_those_already_given():
    from cnnviz.effective_field import materialized_prefix
    from cnnviz.models.registry import get_structure

    structure = get_structure("resnet18")
    materialized_prefix(structure, "net.layer1.0", (3, 224, 224))
    first = structure.net.conv1.weight.detach().clone()
    materialized_prefix(structure, "net.layer2.1", (3, 224, 224))
    assert torch.equal(structure.net.conv1.weight, first)
    assert not structure.net.layer2[1].conv2.weight.is_meta and structure.net.layer3[0].conv1.weight.is_meta
    assert structure.net.fc.weight.is_meta
    image = torch.rand(1, 3, 224, 224)
    for layer, unit in [("net.layer1.0", (28, 28)), ("net.layer2.1", (14, 14))]:
        row = next(row for row in receptive_fields(get_model("resnet18"), (3, 224, 224)) if row.module == layer)
        assert _inside(effective_field(structure, image, layer, unit).support(), row.box(*unit), 224, 224)
