"""cnnviz.dataset_examples: every channel's top test images against torch by brute force, the
position of the maximum, the crop against the receptive field worked out by hand."""

from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz import dataset_examples as de
from cnnviz.data import to_float


class _Small(nn.Module):
    """A conv, ReLU, pool, flatten and linear layer on 1 x 8 x 8 images: every kind of step."""

    input_shape = (1, 8, 8)

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(OrderedDict(conv=nn.Conv2d(1, 3, 3, padding=1), relu=nn.ReLU(),
                                              pool=nn.MaxPool2d(2), flatten=nn.Flatten(), fc=nn.Linear(48, 5)))

    def forward(self, x):
        return self.body(x)


@pytest.fixture(scope="module")
def small():
    return _Small().eval()


@pytest.fixture(scope="module")
def images():
    return torch.randint(0, 256, (37, 1, 8, 8), generator=torch.Generator().manual_seed(1), dtype=torch.uint8)


def _brute_force(model, images, module):
    """The layer's output for all images at once, and each channel's ranking by its max over positions."""
    outputs = []
    handle = module.register_forward_hook(lambda m, i, o: outputs.append(o))
    with torch.no_grad():
        model(to_float(images))
    handle.remove()
    output = outputs[0]
    return output, (output.flatten(2).max(dim=2).values if output.dim() == 4 else output)


@pytest.mark.parametrize("layer", ["body.conv", "body.relu", "body.pool"])
def test_each_channels_top_k_are_torchs_largest_maxima_over_positions(small, images, layer):
    found = de.top_examples(small, images, layer, k=5, batch=10)  # 4 batches, the last one short
    output, score = _brute_force(small, images, dict(small.named_modules())[layer])
    assert found.indices.shape == (output.shape[1], 5) and found.searched == 37
    for channel in range(output.shape[1]):
        expected = np.argsort(-score[:, channel].numpy(), kind="stable")[:5]  # ties: the lower number first
        assert found.indices[channel].tolist() == expected.tolist()
        assert found.values[channel] == pytest.approx(score[expected, channel].numpy(), abs=1e-6)
        for rank, index in enumerate(expected):  # the position is where that image's map is highest
            row, col = found.positions[channel, rank]
            assert output[index, channel, row, col] == pytest.approx(float(score[index, channel]), abs=1e-6)


def test_the_position_is_where_the_one_bright_pixel_is():
    # A 1x1 convolution with weight 1 copies the image: each image has one bright pixel, brighter
    # with its number, so the top image is the last and its maximum sits on that pixel.
    model = nn.Sequential(OrderedDict(copy=nn.Conv2d(1, 1, 1)))
    model.input_shape = (1, 6, 6)
    with torch.no_grad():
        model.copy.weight.fill_(1.0)
        model.copy.bias.zero_()
    images = torch.zeros(10, 1, 6, 6, dtype=torch.uint8)
    spots = [(n % 6, (3 * n) % 6) for n in range(10)]
    for n, (row, col) in enumerate(spots):
        images[n, 0, row, col] = 100 + 10 * n
    found = de.top_examples(model, images, "copy", k=3)
    assert found.indices[0].tolist() == [9, 8, 7]
    assert [tuple(p) for p in found.positions[0]] == [spots[9], spots[8], spots[7]]
    assert found.values[0] == pytest.approx([190 / 255, 180 / 255, 170 / 255], abs=1e-6)
    first = found.channel(0)[0]
    assert first.window == (spots[9][0], spots[9][1], spots[9][0] + 1, spots[9][1] + 1)  # a 1x1 field: the pixel


def test_lenet_first_conv_crops_are_its_5x5_box_clipped_at_the_border(fashion, shipped_lenet):
    from cnnviz.receptive import module_fields

    field = module_fields(shipped_lenet)["features.c1"]  # 5 x 5, stride 1, padding 2
    # By hand: unit (i, j) sees rows i - 2 ... i + 2 and columns j - 2 ... j + 2 (exclusive ends: i + 3).
    assert de.crop_window(field, (10, 12), 28, 28) == (8, 10, 13, 15)
    assert de.crop_window(field, (0, 3), 28, 28) == (0, 1, 3, 6)  # rows -2, -1 are padding
    assert de.crop_window(field, (27, 27), 28, 28) == (25, 25, 28, 28)
    found = de.top_examples(shipped_lenet, fashion.test_images[:300], "features.c1", k=4)
    assert found.field.size == (5, 5)
    for example in found.channel(2):
        row, col = example.position
        assert example.window == (max(row - 2, 0), max(col - 2, 0), min(row + 3, 28), min(col + 3, 28))
        crop = de.cropped(fashion.test_images[example.index], example.window)
        assert np.array_equal(crop, fashion.test_images[example.index].numpy()[:, example.window[0]:example.window[2],
                                                                              example.window[1]:example.window[3]])
    # A ReLU after it sees what the conv sees: the same field, by module_fields.
    assert module_fields(shipped_lenet)["features.act1"].size == (5, 5)


def test_a_flat_layer_gives_whole_images_ranked_by_its_values(small, images):
    found = de.top_examples(small, images, "body.fc", k=3, batch=16)
    _, score = _brute_force(small, images, small.body.fc)
    assert not found.spatial and found.positions is None and found.field is None
    assert found.indices.shape == (5, 3)
    for value in range(5):
        assert found.indices[value].tolist() == np.argsort(-score[:, value].numpy(), kind="stable")[:3].tolist()
        assert all(example.window == (0, 0, 8, 8) and example.position is None for example in found.channel(value))


def test_a_channel_that_never_fires_is_said_to_be_constant(small, images):
    model = _Small().eval()
    with torch.no_grad():
        model.body.conv.bias[1] = -1000.0  # channel 1 is below 0 everywhere: its ReLU is always 0
    found = de.top_examples(model, images, "body.relu", k=4, batch=3)  # ties merged across batches
    assert found.constant.tolist() == [False, True, False]
    assert found.indices[1].tolist() == [0, 1, 2, 3] and found.values[1].tolist() == [0.0] * 4


def test_a_module_called_twice_has_its_second_calls_field():
    import torchvision

    from cnnviz.receptive import module_fields, receptive_fields

    model = torchvision.models.resnet18()
    fields, rows = module_fields(model, (3, 64, 64)), {row.name: row for row in receptive_fields(model, (3, 64, 64))}
    assert fields["layer1.0.relu"].size == rows["layer1.0.conv1"].size  # the first call: after conv1
    assert fields["layer1.0.relu (call 2)"].size == rows["layer1.0 (add)"].size  # the second: after the add


def test_a_bad_layer_or_images_of_another_size_are_refused_in_a_sentence(small, images):
    with pytest.raises(de.DatasetExamplesError, match=r"^This network has no layer called 'nope'\.$"):
        de.top_examples(small, images, "nope")
    with pytest.raises(de.DatasetExamplesError, match=r"^The images are 1 x 9 x 9, but this network takes 1 x 8 x 8\.$"):
        de.top_examples(small, torch.zeros(4, 1, 9, 9, dtype=torch.uint8), "body.conv")
    with pytest.raises(de.DatasetExamplesError, match=r"^Dataset examples need uint8 images"):
        de.top_examples(small, images.float(), "body.conv")
    with pytest.raises(de.DatasetExamplesError, match=r"^Layer body.conv has channels 0 to 2, not 3\.$"):
        de.top_examples(small, images, "body.conv").channel(3)
    assert small.training is False and not small.body.conv._forward_hooks  # the hook is gone


class _InPlace(nn.Module):
    """A conv whose output an in-place ReLU overwrites, a ReLU called twice, and a residual `+=`."""

    input_shape = (1, 8, 8)

    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(2, 2, 3, padding=1)
        self.flatten, self.fc = nn.Flatten(), nn.Linear(128, 3)
        with torch.no_grad():
            self.conv.bias[0] = -10.0  # channel 0 below 0 everywhere: the ReLU writes 0 over all of it

    def forward(self, x):
        out = self.relu(self.conv(x))  # conv's output is overwritten by the ReLU
        y = self.conv2(out)
        y += out  # conv2's output is overwritten by the add
        return self.fc(self.flatten(self.relu(y)))  # relu's second call


def _same(a: de.LayerExamples, b: de.LayerExamples) -> None:
    assert a.layer == b.layer and a.indices.tolist() == b.indices.tolist()
    assert np.array_equal(a.values, b.values) and np.array_equal(a.constant, b.constant)
    assert (a.positions is None) == (b.positions is None)
    if a.positions is not None:
        assert a.positions.tolist() == b.positions.tolist()
    assert a.field == b.field and a.image_size == b.image_size and a.searched == b.searched


def test_every_layer_in_one_pass_is_each_layer_on_its_own(small, images):
    every = de.every_layer_examples(small, images, k=5, batch=10)
    assert list(every) == ["body.conv", "body.relu", "body.pool", "body.flatten", "body.fc"]
    for layer, found in every.items():
        _same(found, de.top_examples(small, images, layer, k=5, batch=10))
    assert not any(module._forward_hooks for module in small.modules())  # every hook is gone


def test_every_layer_keeps_outputs_as_they_were_before_in_place_changes(images):
    model = _InPlace().eval()
    every = de.every_layer_examples(model, images, k=4, batch=16)
    assert list(every) == ["conv", "relu", "conv2", "relu (call 2)", "flatten", "fc"]
    # By brute force, each output as it left its module: conv before the ReLU wrote over it.
    raw = {}

    def keep(name):
        def hook(module, inputs, output):  # returns None: a returned value would replace the output
            raw.setdefault(name, output.clone())
        return hook

    hooks = [model.conv.register_forward_hook(keep("conv")), model.conv2.register_forward_hook(keep("conv2"))]
    with torch.no_grad():
        model(to_float(images))
    for hook in hooks:
        hook.remove()
    assert (raw["conv"][:, 0] < 0).all()  # so a kept, overwritten output would rank all zeros
    for layer in ("conv", "conv2"):
        score = raw[layer].flatten(2).max(dim=2).values
        for channel in range(2):
            expected = np.argsort(-score[:, channel].numpy(), kind="stable")[:4]
            assert every[layer].indices[channel].tolist() == expected.tolist()
            assert every[layer].values[channel] == pytest.approx(score[expected, channel].numpy(), abs=1e-6)
        _same(every[layer], de.top_examples(model, images, layer, k=4, batch=16))
    _same(every["relu (call 2)"], de.top_examples(model, images, "relu (call 2)", k=4, batch=16))
