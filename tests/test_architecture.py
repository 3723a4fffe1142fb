"""The architecture table against torch: shapes from a real forward pass, counts from the formulas."""

import pytest
import torch
import torchvision
from torch import nn

from cnnviz.architecture import ArchitectureError, architecture_table, shape_only_copy
from cnnviz.models import get_model


def _real_leaf_outputs(model, input_shape):
    """(name, output shape) of every leaf-module call in a real forward pass, in order."""
    calls, handles = [], []
    try:
        for name, module in model.named_modules():
            if name and next(module.children(), None) is None:
                handles.append(
                    module.register_forward_hook(lambda m, i, o, name=name: calls.append((name, tuple(o.shape[1:]))))
                )
        with torch.no_grad():
            model.eval()(torch.rand(1, *input_shape))
    finally:
        for handle in handles:
            handle.remove()
    return calls


def test_cifar_cnn_has_5852170_parameters_and_weighs_22_33_mb():
    table = architecture_table(get_model("cifar_cnn"))
    assert table.total_parameters == 5_852_170
    assert sum(row.parameters for row in table.rows) == 5_852_170
    assert f"{table.model_size_mb:.2f}" == "22.33"


def test_vgg16_counts_138357544_parameters_and_15_to_24_million_activations():
    table = architecture_table(torchvision.models.vgg16(), (3, 224, 224))
    assert table.total_parameters == 138_357_544
    assert sum(row.parameters for row in table.rows) == 138_357_544
    assert 15_000_000 <= table.activation_values <= 24_000_000
    assert table.total_activation_bytes == 4 * table.activation_values
    # Most parameters sit in the first fully connected layer: 25088 x 4096 + 4096.
    biggest = max(table.rows, key=lambda row: row.parameters)
    assert (biggest.name, biggest.parameters) == ("classifier.0", 25088 * 4096 + 4096)


def test_the_zoo_vgg16_counts_the_same_whatever_its_relu_inplace_setting():
    zoo = architecture_table(get_model("vgg16"), (3, 224, 224))
    plain = architecture_table(torchvision.models.vgg16(), (3, 224, 224))
    assert zoo.total_parameters == plain.total_parameters
    # The zoo adds only its normalize layer's output (3 x 224 x 224 values).
    assert zoo.activation_values - plain.activation_values == 3 * 224 * 224


@pytest.mark.parametrize("name, size", [("cifar_cnn", None), ("lenet5", None), ("resnet18", (3, 64, 64)), ("googlenet", (3, 64, 64))])
def test_output_shapes_equal_a_real_forward_pass(name, size):
    model = get_model(name)
    table = architecture_table(model, size)
    real = _real_leaf_outputs(model, table.input_shape)
    assert [row.output_shape for row in table.rows] == [shape for _, shape in real]
    assert [row.name.split(" (call")[0] for row in table.rows] == [name for name, _ in real]


def test_conv_and_linear_multiply_adds_match_torchs_own_flop_counter():
    # An independent count: torch's FlopCounterMode tallies the convolutions and matrix products a
    # real forward pass runs, per module, as FLOPs (one multiply-add is 2 FLOPs).
    from torch.utils.flop_counter import FlopCounterMode

    table = architecture_table(torchvision.models.resnet18(), (3, 96, 96))
    model = torchvision.models.resnet18().eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, 96, 96))
    flops = counter.get_flop_counts()
    counted = [row for row in table.rows if row.type in ("Conv2d", "Linear")]
    assert [row.type for row in counted].count("Conv2d") == 20 and counted[-1].name == "fc"
    for row in counted:
        assert 2 * row.mult_adds == sum(flops[f"ResNet.{row.name}"].values()), row.name
    assert 2 * sum(row.mult_adds for row in counted) == sum(flops["Global"].values()) == 2 * 333_615_104
    assert table.total_mult_adds == sum(row.mult_adds for row in table.rows)
    # ReLU is called twice per block: parameters (none) and the name show the repeat.
    assert any(row.name == "layer1.0.relu (call 2)" for row in table.rows)


def test_grouped_dilated_conv_linear_batchnorm_and_pooling_counts():
    model = nn.Sequential(
        nn.Conv2d(8, 16, 3, padding=2, dilation=2, groups=4),  # dilation moves taps, adds none
        nn.BatchNorm2d(16),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 7),
    )
    table = architecture_table(model, (8, 10, 10))
    conv, bn, relu, pool, flatten, linear = table.rows
    assert conv.mult_adds == 16 * (8 // 4) * 3 * 3 * 10 * 10
    assert conv.parameters == 16 * 2 * 3 * 3 + 16 == sum(p.numel() for p in model[0].parameters())
    assert bn.mult_adds == 16 * 10 * 10 and bn.parameters == 32
    assert relu.mult_adds == pool.mult_adds == 0
    assert linear.mult_adds == 400 * 7
    assert pool.output_shape == (16, 5, 5) and flatten.output_shape == (400,)
    # In-place ReLU and the flatten view store nothing new; conv, bn, pool and linear do.
    assert relu.activation_bytes == flatten.activation_bytes == 0
    assert conv.activation_bytes == bn.activation_bytes == 4 * 1600
    assert table.total_activation_bytes == 4 * (1600 + 1600 + 400 + 7)


def test_the_model_itself_is_not_hooked_moved_or_changed():
    model = get_model("lenet5")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    architecture_table(model)
    assert all(not m._forward_hooks for m in model.modules())
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    twin = shape_only_copy(model)
    assert all(p.is_meta for p in twin.parameters()) and twin.features.c1.weight.shape == (6, 1, 5, 5)


def test_an_input_too_small_is_refused_with_a_sentence():
    with pytest.raises(ArchitectureError, match=r"^This network cannot take an input of 1 x 8 x 8 .*\.$"):
        architecture_table(get_model("lenet5"), (1, 8, 8))


def test_records_have_readable_columns():
    records = architecture_table(get_model("lenet5")).records()
    assert records[1]["Layer"] == "features.c1" and records[1]["Output shape"] == "6 x 28 x 28"
    assert records[1]["Parameters"] == 6 * 25 + 6


@pytest.mark.parametrize("name", ["alexnet", "resnet18", "googlenet", "cifar_cnn"])
def test_a_meta_structure_counts_and_traces_exactly_as_the_real_network(name):
    from cnnviz.models.registry import get_structure
    from cnnviz.receptive import receptive_fields

    torch.manual_seed(0)
    real, structure = get_model(name), get_structure(name)
    assert all(p.is_meta for p in structure.parameters())
    shape = tuple(real.input_shape)
    table = architecture_table(structure, shape)
    assert table.total_parameters == sum(p.numel() for p in real.parameters())
    assert table.records() == architecture_table(real, shape).records()
    assert receptive_fields(structure, shape) == receptive_fields(real, shape)
