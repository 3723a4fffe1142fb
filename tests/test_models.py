"""Tests for cnnviz.models: the registry, the architectures' numbers, and ImageNet weights offline."""

from __future__ import annotations

import json
import socket
import threading

import pytest
import torch
from torch import nn

from cnnviz.models import (
    CIFAR10_MEAN,
    IMAGENET_MEAN,
    IMAGENET_STD,
    Normalize,
    WeightsUnavailable,
    count_parameters,
    get_model,
    imagenet_classes,
    imagenet_weights_file,
    list_models,
    model_size_bytes,
    model_spec,
)
from cnnviz.models import imagenet as imagenet_module

SMALL = ["lenet5", "cifar_cnn", "tinyvgg", "small_cnn", "lenet5_1998", "nin"]
IMAGENET = ["alexnet", "vgg16", "googlenet", "resnet18", "resnet50"]
# Too slow to initialise and run for real on two shared CPU cores: checked with shape-only
# (meta) tensors, which run every layer's shape arithmetic without allocating the weights.
# ResNet-18 runs for real.
META_ONLY = {"alexnet", "vgg16", "googlenet", "resnet50"}


def build(name: str, **config) -> nn.Module:
    """Build for real, or on the meta device (shapes, no numbers) for the heavy networks."""
    if name in META_ONLY:
        with torch.device("meta"):
            return get_model(name, **config)
    return get_model(name, **config)


def zero_batch(model: nn.Module, batch: int) -> torch.Tensor:
    device = next(model.parameters()).device
    return torch.zeros(batch, *model.input_shape, device=device)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No hub cache (TORCH_HOME in a fresh folder) and no network (every connection refused)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_registry_lists_every_model_with_a_spec():
    assert list_models() == SMALL + IMAGENET
    for name in list_models():
        spec = model_spec(name)
        assert spec.name == name
        assert spec.family == ("small" if name in SMALL else "imagenet")
        assert spec.title and spec.description and "\n" not in spec.description
        assert spec.paper == "" or spec.paper.startswith(("http://", "https://"))


def test_model_spec_hands_out_a_copy():
    model_spec("lenet5").default_config["input_size"] = 32
    assert model_spec("lenet5").default_config["input_size"] == 28


@pytest.mark.parametrize("name", SMALL)
def test_small_model_forward_on_zero_batch(name):
    model = get_model(name).eval()
    logits = model(zero_batch(model, 2))
    assert logits.shape == (2, model.num_classes)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("name", IMAGENET)
def test_imagenet_model_forward_on_zero_batch(name):
    model = build(name).eval()
    assert model.input_shape == (3, 224, 224)
    logits = model(zero_batch(model, 1))
    assert logits.shape == (1, 1000)


@pytest.mark.parametrize("name", SMALL + ["resnet18"])
def test_normalize_is_the_first_layer_and_uses_the_configured_numbers(name):
    torch.manual_seed(0)
    model = get_model(name).eval()
    first_name, first = next(iter(model.named_children()))
    assert first_name == "normalize" and isinstance(first, Normalize)
    mean = model.config.get("mean", IMAGENET_MEAN)
    std = model.config.get("std", IMAGENET_STD)
    assert first.mean.flatten().tolist() == pytest.approx(list(mean))
    assert first.std.flatten().tolist() == pytest.approx(list(std))

    # The first convolution must receive (x - mean) / std of the [0, 1] pixels given to the model.
    x = torch.rand(2, *model.input_shape)
    expected = (x - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)
    first_conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    seen = []
    handle = first_conv.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    try:
        model(x)
    finally:
        handle.remove()
    torch.testing.assert_close(seen[0], expected)


def test_normalize_explains_a_wrong_channel_count():
    model = get_model("lenet5")
    with pytest.raises(ValueError, match=r"expects images with 1 channel\(s\).*\(2, 3, 28, 28\)"):
        model(torch.zeros(2, 3, 28, 28))


def test_cifar_cnn_has_the_tutorial_numbers():
    model = get_model("cifar_cnn")
    assert count_parameters(model) == 5_852_170
    # fp32 parameters + BN running mean/var (2 x (32 + 128 + 256) floats) + three int64 BN step
    # counters + the normalize layer's 3 means and 3 stds.
    expected_bytes = 5_852_170 * 4 + 2 * (32 + 128 + 256) * 4 + 3 * 8 + 6 * 4
    assert model_size_bytes(model) == expected_bytes == 23_412_056
    # "22.33 MB" is in MiB (2**20 bytes); in 10**6 bytes it would read 23.41.
    assert round(model_size_bytes(model) / 2**20, 2) == 22.33
    assert model.normalize.mean.flatten().tolist() == pytest.approx(CIFAR10_MEAN)


@pytest.mark.parametrize(
    "name, expected",
    [("alexnet", 61_100_840), ("vgg16", 138_357_544), ("resnet18", 11_689_512), ("resnet50", 25_557_032)],
)
def test_imagenet_parameter_counts(name, expected):
    import torchvision

    with torch.device("meta"):
        model = get_model(name)
    assert count_parameters(model) == expected
    assert expected == torchvision.models.get_model_weights(name).DEFAULT.meta["num_params"]


def test_googlenet_parameter_count_matches_torchvision_meta():
    import torchvision

    with torch.device("meta"):
        model = get_model("googlenet")
    assert count_parameters(model) == torchvision.models.GoogLeNet_Weights.DEFAULT.meta["num_params"]


@pytest.mark.parametrize("input_size", [28, 32])
def test_lenet5_parameters_by_hand(input_size):
    model = get_model("lenet5", input_size=input_size)
    # C_out * C_in * F * F + C_out per conv layer; out * in + out per linear layer.
    c1 = 6 * 1 * 5 * 5 + 6  # 156
    c3 = 16 * 6 * 5 * 5 + 16  # 2,416
    c5 = 120 * 16 * 5 * 5 + 120  # 48,120
    f6 = 84 * 120 + 84  # 10,164
    output = 10 * 84 + 10  # 850
    assert count_parameters(model) == c1 + c3 + c5 + f6 + output == 61_706
    # Padding 2 on 28x28 (or none on 32x32) leaves C5 with one 1x1 map per unit.
    assert model.features(torch.zeros(2, 1, input_size, input_size)).shape == (2, 120, 1, 1)
    assert model.features.c1.padding == ((32 - input_size) // 2,) * 2


def test_tinyvgg_matches_cnn_explainer_shapes_and_counts():
    model = get_model("tinyvgg")
    conv1_1 = 10 * 3 * 3 * 3 + 10  # 280
    conv_10_to_10 = 10 * 10 * 3 * 3 + 10  # 910, three of them
    fc = 10 * (10 * 13 * 13) + 10  # 64 -> 62 -> 60 -> 30 -> 28 -> 26 -> 13
    assert count_parameters(model) == conv1_1 + 3 * conv_10_to_10 + fc == 19_920
    assert model.features(torch.zeros(2, 3, 64, 64)).shape == (2, 10, 13, 13)
    same = get_model("tinyvgg", padding=1)  # "same" padding: only the pools shrink, 64 -> 32 -> 16
    assert same.features(torch.zeros(2, 3, 64, 64)).shape == (2, 10, 16, 16)


def test_small_cnn_default_parameters_by_hand():
    model = get_model("small_cnn")
    # Convs before BN have no bias; each BN has a scale and a shift per channel.
    convs = 1 * 32 * 9 + 32 * 32 * 9 + 32 * 64 * 9 + 64 * 64 * 9 + 64 * 128 * 9 + 128 * 128 * 9
    batch_norms = 2 * 2 * (32 + 64 + 128)
    fc = (128 * 3 * 3) * 10 + 10  # 28 -> 14 -> 7 -> 3
    assert count_parameters(model) == convs + batch_norms + fc == 298_410


@pytest.mark.parametrize(
    "config, feature_shape, fc_inputs",
    [
        ({"channels": [8, 16], "convs_per_block": 1}, (2, 16, 7, 7), 16 * 7 * 7),
        ({"channels": [8], "kernel_size": 5, "batch_norm": False, "pool": "avg"}, (2, 8, 14, 14), 8 * 14 * 14),
        ({"global_pool": True, "input_size": 64, "activation": "gelu", "dropout": 0.0}, (2, 128, 8, 8), 128),
        ({"in_channels": 3, "input_size": 32, "activation": "leaky_relu"}, (2, 128, 4, 4), 128 * 4 * 4),
    ],
)
def test_small_cnn_settings_shape_the_network(config, feature_shape, fc_inputs):
    model = get_model("small_cnn", **config).eval()
    c, h, w = model.input_shape
    assert model.features(torch.zeros(2, c, h, w)).shape == feature_shape
    assert model.classifier.fc.in_features == fc_inputs
    assert model(torch.zeros(2, c, h, w)).shape == (2, 10)
    has_bn = any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert has_bn == model.config["batch_norm"]
    assert (model.features.conv1_1.bias is None) == model.config["batch_norm"]


def test_lenet5_original_style():
    model = get_model("lenet5", activation="tanh", pool="avg")
    assert isinstance(model.features.act1, nn.Tanh)
    assert isinstance(model.features.s2, nn.AvgPool2d)


@pytest.mark.parametrize("name", SMALL + IMAGENET)
def test_config_rebuilds_the_same_architecture(name):
    model = build(name)
    config = model.config
    assert config["name"] == name
    assert json.loads(json.dumps(config)) == config  # plain JSON values only
    rebuilt = build(**config)
    assert rebuilt.config == config
    shapes = {key: tuple(t.shape) for key, t in model.state_dict().items()}
    assert {key: tuple(t.shape) for key, t in rebuilt.state_dict().items()} == shapes
    spec = model_spec(name)
    assert set(spec.default_config) == set(config) - {"name"}
    assert build(name, **spec.default_config).config == config


@pytest.mark.parametrize(
    "name, config",
    [
        ("lenet5", {"activation": "sigmoid", "input_size": 32, "in_channels": 3}),
        ("cifar_cnn", {"num_classes": 4}),
        ("tinyvgg", {"hidden": 4, "input_size": 32, "padding": 1}),
        ("small_cnn", {"channels": [4, 8], "kernel_size": 5, "pool": "avg"}),
    ],
)
def test_config_rebuilds_small_models_exactly(name, config):
    torch.manual_seed(0)
    model = get_model(name, **config).eval()
    torch.manual_seed(0)
    rebuilt = get_model(**model.config).eval()
    x = torch.rand(2, *model.input_shape)
    assert torch.equal(model(x), rebuilt(x))


def test_small_models_fill_mean_and_std_from_in_channels():
    assert get_model("lenet5").config["mean"] == [0.286]
    assert get_model("small_cnn", in_channels=3).config["mean"] == list(CIFAR10_MEAN)
    assert get_model("small_cnn", in_channels=2).config["std"] == [0.5, 0.5]
    assert get_model("tinyvgg").config["std"] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "name, config, sentence",
    [
        ("lenet6", {}, "There is no model called 'lenet6'. The models are: lenet5, cifar_cnn"),
        ("lenet5", {"activatoin": "relu"}, "lenet5 has no setting 'activatoin'. Its settings are: in_channels"),
        ("lenet5", {"input_size": 30}, "lenet5: 'input_size' must be one of 28, 32, not 30."),
        ("lenet5", {"activation": "swish"}, "lenet5: 'activation' must be one of 'relu', 'tanh', 'sigmoid'"),
        ("lenet5", {"num_classes": 0}, "lenet5: 'num_classes' must be at least 1, not 0."),
        ("lenet5", {"num_classes": True}, "lenet5: 'num_classes' must be a whole number, not True."),
        ("lenet5", {"mean": [0.5, 0.5]}, "lenet5: 'mean' must be a list of 1 number(s)"),
        ("small_cnn", {"std": [0.0]}, "small_cnn: every value in 'std' must be above 0"),
        ("small_cnn", {"channels": []}, "small_cnn: 'channels' must be a list of 1 to 6 whole numbers"),
        ("small_cnn", {"channels": [8, 16, 32, 64], "input_size": 8}, "shrinks to nothing after 4 pooling steps"),
        ("small_cnn", {"dropout": 1.0}, "small_cnn: 'dropout' must be a number from 0 up to"),
        ("small_cnn", {"batch_norm": "yes"}, "small_cnn: 'batch_norm' must be True or False"),
        ("small_cnn", {"kernel_size": 4}, "small_cnn: 'kernel_size' must be one of 3, 5, not 4."),
        ("tinyvgg", {"input_size": 12}, "tinyvgg: an input of 12x12 pixels is too small"),
        ("tinyvgg", {"padding": 2}, "tinyvgg: 'padding' must be one of 0, 1, not 2."),
        ("resnet18", {"weights": "imagenet1k"}, "resnet18: 'weights' must be one of None, 'imagenet'"),
        ("resnet18", {"transform_input": True}, "resnet18 has no setting 'transform_input'"),
    ],
)
def test_bad_names_and_settings_raise_a_sentence(name, config, sentence):
    with pytest.raises(ValueError) as caught:
        get_model(name, **config)
    assert sentence in str(caught.value)
    assert not isinstance(caught.value, WeightsUnavailable)


def test_imagenet_weights_offline_raise_weights_unavailable(offline, tmp_path):
    with pytest.raises(WeightsUnavailable) as caught:
        get_model("resnet18", weights="imagenet")
    message = str(caught.value)
    assert message.startswith(
        "ImageNet weights for ResNet-18 are not on this machine and cannot be downloaded (no internet). "
        "The network is available untrained."
    )
    assert "resnet18-f37072fd.pth" in message
    assert isinstance(caught.value, ValueError)
    assert offline, "the probe should have tried the network once"
    assert imagenet_weights_file("resnet18").is_relative_to(tmp_path)
    assert not imagenet_weights_file("resnet18").exists()


def test_weights_probe_gives_up_when_the_lookup_hangs(monkeypatch):
    release = threading.Event()

    def hang(*args, **kwargs):
        release.wait(30)
        raise OSError("timed out")

    monkeypatch.setattr(socket, "create_connection", hang)
    try:
        assert imagenet_module._server_answers("https://download.pytorch.org/x.pth", timeout_s=0.2) is False
    finally:
        release.set()


def test_weights_probe_sees_an_open_and_a_closed_port():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert imagenet_module._server_answers(f"http://127.0.0.1:{port}/w.pth", timeout_s=2)
    assert not imagenet_module._server_answers(f"http://127.0.0.1:{port}/w.pth", timeout_s=2)


def _write_fake_imagenet_file(name: str, **torchvision_kwargs) -> dict[str, torch.Tensor]:
    """Put seeded random weights where torch's hub cache keeps the real ImageNet file."""
    import torchvision

    torch.manual_seed(1)
    state_dict = torchvision.models.get_model(name, **torchvision_kwargs).state_dict()
    path = imagenet_weights_file(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state_dict, path)
    return state_dict


def test_cached_imagenet_weights_load_without_network(offline):
    saved = _write_fake_imagenet_file("resnet18")
    model = get_model("resnet18", weights="imagenet")
    assert model.config == {"name": "resnet18", "num_classes": 1000, "weights": "imagenet"}
    for key, tensor in model.net.state_dict().items():
        assert torch.equal(tensor, saved[key]), key
    assert not offline, "a cached file must not touch the network"

    # Transfer learning: another head size keeps every ImageNet weight but the head's.
    model = get_model("resnet18", weights="imagenet", num_classes=5)
    assert torch.equal(model.net.layer4[1].conv2.weight, saved["layer4.1.conv2.weight"])
    assert model.net.fc.weight.shape == (5, 512)


def test_cached_googlenet_weights_skip_aux_heads_and_transform_input(offline):
    saved = _write_fake_imagenet_file("googlenet", aux_logits=True, init_weights=False)
    assert any(key.startswith("aux1.") for key in saved)
    model = get_model("googlenet", weights="imagenet")
    assert model.config["transform_input"] is True  # the ImageNet weights expect it
    assert model.net.aux1 is None
    assert torch.equal(model.net.fc.weight, saved["fc.weight"])


def test_damaged_cached_weights_raise_weights_unavailable(offline):
    path = imagenet_weights_file("resnet18")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a weights file")
    with pytest.raises(WeightsUnavailable, match="ImageNet weights for ResNet-18 could not be loaded"):
        get_model("resnet18", weights="imagenet")


def test_in_place_relus_are_switched_off():
    model = get_model("resnet18")
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert relus and not any(m.inplace for m in relus)


def test_imagenet_classes():
    classes = imagenet_classes()
    assert len(classes) == 1000
    assert classes[0] == "tench" and classes[1] == "goldfish"
    assert all(isinstance(c, str) and c for c in classes)


def test_lenet5_as_published_has_the_papers_shapes_sigmoid_and_average_pooling():
    model = get_model("lenet5_1998").eval()
    assert model.input_shape == (1, 32, 32) and model.features.c1.padding == (0, 0)
    assert isinstance(model.features.act1, torch.nn.Sigmoid) and isinstance(model.features.s2, torch.nn.AvgPool2d)
    assert count_parameters(model) == count_parameters(get_model("lenet5")) == 61_706  # the same weights, laid out alike
    x = torch.rand(2, 1, 32, 32)
    assert model.features(model.normalize(x)).shape == (2, 120, 1, 1)  # C5 ends on 120 maps of 1 x 1
    assert model.config["name"] == "lenet5_1998" and get_model(**model.config).config == model.config


def test_nin_has_mlpconv_blocks_and_a_global_average_instead_of_linear_layers():
    model = get_model("nin").eval()
    assert not any(isinstance(m, torch.nn.Linear) for m in model.modules())
    block = model.features.block1
    assert (block.conv.kernel_size, block.mlp1.kernel_size, block.mlp2.kernel_size) == ((5, 5), (1, 1), (1, 1))
    assert model.features.block3.mlp2.out_channels == 10  # one map per class, averaged into its logit
    # By hand: 5x5 conv then two 1x1 per block, (C_in * C_out * F * F + C_out) each.
    def conv(c_in, c_out, f):
        return c_in * c_out * f * f + c_out
    expected = (conv(1, 96, 5) + 2 * conv(96, 96, 1) + conv(96, 192, 5) + 2 * conv(192, 192, 1)
                + conv(192, 192, 3) + conv(192, 192, 1) + conv(192, 10, 1))
    assert count_parameters(model) == expected == 927_178
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        maps = model.features(model.normalize(x))
        assert maps.shape == (3, 10, 7, 7)
        assert torch.allclose(model(x), maps.mean(dim=(2, 3)), atol=1e-6)  # each logit: its map's average
    with pytest.raises(ValueError, match="input_size"):
        get_model("nin", input_size=4)
