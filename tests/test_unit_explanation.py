"""cnnviz.unit_explanation: one unit of a network recomputed by hand equals what the network
computed, for every kind of step the shipped and zoo models use, and its numbers are the worked ones."""

import math

import pytest
import torch
from torch import nn

from cnnviz.activations import capture_layer_outputs
from cnnviz.models import load_checkpoint
from cnnviz.models.registry import get_model
from cnnviz.paths import PRETRAINED_DIR
from cnnviz.unit_explanation import UnitExplanationError, explain_unit

SHIPPED = sorted(PRETRAINED_DIR.glob("*.pt"))


def _every_kind_agrees(model, image, units_per_step=3):
    torch.manual_seed(1)
    captured = capture_layer_outputs(model, image)
    kinds = set()
    for step in captured.layers:
        shape = tuple(step.output.shape)
        corners = [tuple(0 for _ in shape), tuple(n - 1 for n in shape)]  # the padded edges too
        units = corners + [tuple(int(torch.randint(0, n, ())) for n in shape) for _ in range(units_per_step)]
        for unit in units:
            explained = explain_unit(model, image, step.name, unit)
            assert explained.network_value == pytest.approx(float(step.output[unit]), abs=1e-6), (step.name, unit)
            assert explained.agrees, (step.name, explained.kind, unit, explained.value, explained.network_value)
            kinds.add(explained.kind)
    return kinds


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_unit_of_the_shipped_networks_is_recomputed_exactly(path, fashion):
    model = load_checkpoint(path, map_location="cpu").eval()
    image = torch.as_tensor(fashion.test_images[:1]).float().div(255)[0]  # (1, 28, 28) as the page feeds it
    kinds = _every_kind_agrees(model, image)
    assert {"Normalize", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"} <= kinds


@pytest.mark.parametrize("name", ["lenet5_1998", "nin", "cifar_cnn", "tinyvgg", "resnet18"])
def test_every_kind_of_step_in_the_zoo_is_recomputed_exactly(name):
    torch.manual_seed(0)
    model = get_model(name).eval()
    for module in model.modules():  # running statistics that are not the identity
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    shape = (3, 64, 64) if name == "resnet18" else model.input_shape  # ResNet's every step, at a quarter of the cost
    kinds = _every_kind_agrees(model, torch.rand(shape), units_per_step=0 if name == "resnet18" else 1)
    expected = {"lenet5_1998": {"Sigmoid", "AvgPool2d"}, "nin": {"AdaptiveAvgPool2d", "Dropout"},
                "cifar_cnn": {"BatchNorm2d", "Dropout2d"}, "tinyvgg": {"Conv2d"},
                "resnet18": {"BatchNorm2d", "AdaptiveAvgPool2d"}}[name]
    assert expected <= kinds


class Tiny(nn.Module):
    """Two input channels, one 2x2 conv with padding 1, batch norm, ReLU, max pool, flatten, linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, 2, padding=1)
        self.bn = nn.BatchNorm2d(1)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(4, 2)
        with torch.no_grad():
            self.conv.weight.copy_(torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[-1.0, 0.0], [0.0, 0.5]]]]))
            self.conv.bias.fill_(0.25)
            self.bn.running_mean.fill_(1.0)
            self.bn.running_var.fill_(4.0)
            self.bn.weight.fill_(2.0)
            self.bn.bias.fill_(-1.0)
            self.fc.weight.copy_(torch.tensor([[1.0, -2.0, 0.5, 0.0], [0.0, 0.0, 0.0, 1.0]]))
            self.fc.bias.copy_(torch.tensor([0.5, 0.0]))

    def forward(self, x):
        return self.fc(self.flat(self.pool(self.act(self.bn(self.conv(x))))))


IMAGE = torch.tensor([[[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]],
                      [[4.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]]])


def test_a_convolution_unit_in_worked_numbers():
    model = Tiny().eval()
    # Unit (0, 1, 1) reads rows 0-1, columns 0-1 of each channel (padding 1 shifts by one):
    # channel 0: 1*1 + 2*2 + 0*3 + 1*4 = 9; channel 1: 4*-1 + 0*0 + 0*0 + 2*0.5 = -3; 9 - 3 + 0.25 = 6.25.
    explained = explain_unit(model, IMAGE, "conv", (0, 1, 1))
    assert explained.value == pytest.approx(6.25) and explained.agrees
    assert explained.channel_sums == ((0, 9.0), (1, -3.0))
    assert explained.worked == ("With S = 1, D = 1, P = 1: 8 products (2 input channels × 2 × 2 taps) add up to 6; "
                                "+ bias 0.25 = 6.25")
    assert explained.cell.window.tolist() == [[[1.0, 2.0], [0.0, 1.0]], [[4.0, 0.0], [0.0, 2.0]]]
    # The corner (0, 0, 0) reads mostly padding: only x[k, 0, 0] under w[k, 1, 1]: 1*4 + 4*0.5 + 0.25.
    assert explain_unit(model, IMAGE, "conv", (0, 0, 0)).value == pytest.approx(6.25)


def test_batch_norm_relu_pool_flatten_and_linear_units_in_worked_numbers():
    model = Tiny().eval()
    bn = explain_unit(model, IMAGE, "bn", (0, 1, 1))
    # (6.25 - 1) / sqrt(4 + 1e-5) * 2 - 1 = 4.2499...
    assert bn.value == pytest.approx((6.25 - 1) / math.sqrt(4 + 1e-5) * 2 - 1) and bn.agrees
    assert bn.worked.startswith("(6.25 - 1) / sqrt(4 + 1e-05) * 2 + -1 = 4.25")
    relu = explain_unit(model, IMAGE, "act", (0, 1, 1))
    assert relu.worked == "max(0, 4.25) = 4.25" and relu.agrees
    pooled = explain_unit(model, IMAGE, "pool", (0, 0, 0))
    assert pooled.cell.window.shape == (1, 2, 2) and pooled.worked.startswith("max(") and pooled.agrees
    flat = explain_unit(model, IMAGE, "flat", (3,))
    assert flat.source == (0, 1, 1) and flat.worked.startswith("entry 3 of the flat vector is channel 0, row 1, column 1")
    linear = explain_unit(model, IMAGE, "fc", (0,))
    assert linear.agrees and [c[0] for c in linear.contributions] == sorted(
        range(4), key=lambda i: -abs(linear.contributions[[c[0] for c in linear.contributions].index(i)][3]))
    assert all(x * w == pytest.approx(p) for _, x, w, p in linear.contributions)
    assert linear.worked.startswith("4 products x[i] * w[0, i] add up to") and linear.worked.endswith(
        f"= {linear.value:.4g}")


def test_a_unit_outside_the_output_or_an_unknown_step_is_one_sentence():
    model = Tiny().eval()
    with pytest.raises(UnitExplanationError, match=r"^Unit \(0, 5, 0\) is outside conv's 1 × 4 × 4 output\.$"):
        explain_unit(model, IMAGE, "conv", (0, 5, 0))
    with pytest.raises(UnitExplanationError, match="^The network has no step called 'nope'"):
        explain_unit(model, IMAGE, "nope", (0,))
    with pytest.raises(UnitExplanationError, match="did not run"):
        explain_unit(model, IMAGE, "act (call 2)", (0, 0, 0))
