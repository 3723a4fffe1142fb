"""cnnviz.activations: every leaf module's output, equal to a manual forward; hooks never survive."""

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz import activations
from cnnviz.models import get_model


def _no_hooks_left(model: nn.Module) -> bool:
    return all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


@pytest.fixture
def lenet():
    torch.manual_seed(0)
    return get_model("lenet5").eval()


def test_every_step_equals_a_manual_forward_of_the_same_layers(lenet):
    x = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    captured = activations.capture_layer_outputs(lenet, x)
    names = captured.names()
    assert names[0] == "normalize"
    assert names[1:4] == ["features.c1", "features.act1", "features.s2"]  # conv, ReLU, pool apart
    assert [layer.kind for layer in captured.layers[1:4]] == ["Conv2d", "ReLU", "MaxPool2d"]
    with torch.no_grad():
        normalised = lenet.normalize(x)
        assert torch.allclose(captured.layer("normalize").output, normalised[0])
        for k, (name, _) in enumerate(lenet.features.named_children(), start=1):
            expected = lenet.features[:k](normalised)[0]
            assert torch.allclose(captured.layer(f"features.{name}").output, expected, atol=1e-6)
        features = lenet.features(normalised)
        for k, (name, _) in enumerate(lenet.classifier.named_children(), start=1):
            expected = lenet.classifier[:k](features)[0]
            assert torch.allclose(captured.layer(f"classifier.{name}").output, expected, atol=1e-6)
        assert torch.allclose(captured.logits, lenet(x)[0], atol=1e-6)
    assert len(captured.layers) == len(activations.leaf_modules(lenet))


def test_hooks_are_gone_after_success_and_mode_is_restored(lenet):
    lenet.train()
    activations.capture_layer_outputs(lenet, torch.rand(1, 1, 28, 28))
    assert _no_hooks_left(lenet)
    assert lenet.training


def test_hooks_are_gone_after_the_forward_pass_fails(lenet):
    # 20x20 passes c1..s4 (hooks fire), then c5's 5x5 kernel meets a 3x3 map: torch raises mid-pass.
    with pytest.raises(RuntimeError):
        activations.capture_layer_outputs(lenet, torch.rand(1, 1, 20, 20))
    assert _no_hooks_left(lenet)
    assert not lenet.training
    with pytest.raises(KeyError):
        with activations.recording_leaf_outputs(lenet) as records:
            lenet(torch.rand(1, 1, 28, 28))
            assert len(records) == len(activations.leaf_modules(lenet))
            raise KeyError("stop")
    assert _no_hooks_left(lenet)


class _ResidualBlock(nn.Module):
    """ResNet's pattern: bn output changed in place by `out += identity`, one ReLU used twice."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 2, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(2)
        self.conv2 = nn.Conv2d(2, 2, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(2)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x
        return self.relu(out)


def test_outputs_changed_in_place_later_are_captured_as_they_were():
    torch.manual_seed(0)
    block = _ResidualBlock().eval()
    x = torch.rand(1, 2, 5, 5)
    captured = activations.capture_layer_outputs(block, x)
    assert captured.names() == ["conv1", "bn1", "relu", "conv2", "bn2", "relu (call 2)"]
    with torch.no_grad():
        bn1 = block.bn1(block.conv1(x))
        bn2 = block.bn2(block.conv2(torch.relu(bn1)))
    # Both were overwritten in place by the forward pass (ReLU inplace, out += x); the copies not.
    assert torch.allclose(captured.layer("bn1").output, bn1[0])
    assert (captured.layer("bn1").output < 0).any()
    assert torch.allclose(captured.layer("bn2").output, bn2[0])
    assert torch.allclose(captured.layer("relu (call 2)").output, torch.relu(bn2 + x)[0])
    assert _no_hooks_left(block)


def test_overview_is_the_channel_mean_and_flat_layers_are_strips(lenet):
    captured = activations.capture_layer_outputs(lenet, torch.rand(1, 1, 28, 28))
    pictures = dict(activations.overview(captured))
    c1 = captured.layer("features.c1").output
    assert pictures["features.c1"].shape == (28, 28)
    np.testing.assert_allclose(pictures["features.c1"], c1.mean(dim=0).numpy(), rtol=1e-6)
    assert pictures["classifier.f6"].shape == (1, 84)
    low, high = activations.value_range(captured)
    assert low == min(float(layer.output.min()) for layer in captured.layers)
    assert high == max(float(layer.output.max()) for layer in captured.layers)


def test_channel_order_by_activation_puts_the_strongest_first():
    output = torch.zeros(4, 2, 2)
    output[2] = 5.0
    output[0] = 1.0
    output[3] = -1.0
    assert activations.channel_order(output, "index") == [0, 1, 2, 3]
    assert activations.channel_order(output, "activation") == [2, 0, 1, 3]
    with pytest.raises(ValueError):
        activations.channel_order(output, "size")


def test_resnet_captures_equal_copies_taken_as_each_layer_ran_on_every_call():
    # ResNet overwrites each block's last batch-norm output with `out += identity`. The capture
    # keeps most outputs without copying and learns which ones need a copy: the first call (which
    # learns) and the second (which uses what it learned) must both match copies taken at once.
    torch.manual_seed(0)
    model = get_model("resnet18").eval()
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad(), activations.recording_leaf_outputs(model) as records:
        model(x)
    expected = {name: output[0] for name, _, output in records}
    for _ in range(2):
        captured = activations.capture_layer_outputs(model, x)
        assert captured.names() == list(expected)
        for layer in captured.layers:
            assert torch.equal(layer.output, expected[layer.name]), layer.name
    assert not torch.equal(expected["net.layer1.0.bn2"], expected["net.layer1.0.relu (call 2)"])
    assert _no_hooks_left(model)


def test_probabilities_are_the_softmax_of_the_logits(lenet):
    captured = activations.capture_layer_outputs(lenet, torch.rand(1, 1, 28, 28))
    np.testing.assert_allclose(captured.probabilities(), torch.softmax(captured.logits.double(), 0).numpy(), rtol=1e-12)
