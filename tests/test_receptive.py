"""Theoretical receptive fields: published values, and a brute-force oracle on plain and branched nets.

The oracle: with every weight positive and no saturation (inputs of ones, ReLU sees only positive
values, max pooling swapped for average pooling of the same geometry), the gradient of one unit
with respect to the input is non-zero exactly on the pixels the unit can see. Its support must
equal the recurrence's box, clipped to the image.
"""

import threading

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from cnnviz.receptive import (
    ReceptiveFieldError,
    StackLayer,
    build_stack,
    check_stack,
    receptive_fields,
    stacked_versus_single,
)


def _positive(model: nn.Module, dtype=torch.float64) -> nn.Module:
    """All conv weights 1/fan_in (positive, activations stay near 1), biases 0, batch norm identity."""
    model = model.to(dtype).eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                module.weight.fill_(1.0 / module.weight[0].numel())
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()
                module.reset_running_stats()
    return model


def _gradient_support(model, module_name, input_shape, unit, dtype=torch.float64):
    """(top, left, bottom, right) of the input pixels with a non-zero gradient for one unit."""
    x = torch.ones(1, *input_shape, dtype=dtype, requires_grad=True)
    seen = {}
    handle = model.get_submodule(module_name).register_forward_hook(lambda m, i, o: seen.setdefault("y", o))
    try:
        model(x)
    finally:
        handle.remove()
    row, col = unit
    (grad,) = torch.autograd.grad(seen["y"][0, :, row, col].sum(), x)
    mask = grad[0].abs().sum(0) > 0  # (H, W)
    rows, cols = torch.nonzero(mask, as_tuple=True)
    return (rows.min().item(), cols.min().item(), rows.max().item(), cols.max().item())


def _clipped(box, height, width):
    top, left, bottom, right = box
    return (max(top, 0), max(left, 0), min(bottom, height - 1), min(right, width - 1))


def _check_against_gradients(model, input_shape, rows):
    """Every spatial row, at its first, a middle and its last unit, matches the gradient support."""
    _, height, width = input_shape
    checked = 0
    for row in rows:
        if row.whole_input or not row.spatial or row.module is None:
            continue
        _, out_h, out_w = row.output_shape
        for unit in {(0, 0), (out_h // 2, out_w // 2), (out_h - 1, out_w - 1), (out_h // 3, out_w - 1)}:
            expected = _clipped(row.box(*unit), height, width)
            assert _gradient_support(model, row.module, input_shape, unit) == expected, (row.name, unit)
        checked += 1
    return checked


def test_vgg16_features_end_at_212_stride_32_padding_90():
    last = receptive_fields(torchvision.models.vgg16().features, (3, 224, 224))[-1]
    assert (last.size, last.stride, last.padding) == ((212, 212), (32, 32), (90, 90))
    assert last.output_shape == (512, 7, 7)


def test_alexnet_features_end_at_195_stride_32():
    last = receptive_fields(torchvision.models.alexnet().features, (3, 224, 224))[-1]
    assert (last.size, last.stride) == ((195, 195), (32, 32))
    assert last.output_shape == (256, 6, 6)


def test_zoo_vgg16_behind_its_normalize_layer_gives_the_same_field():
    from cnnviz.models import get_model

    rows = receptive_fields(get_model("vgg16"), (3, 224, 224))
    pool5 = next(row for row in rows if row.name == "net.features.30")
    assert (pool5.size, pool5.stride, pool5.padding) == ((212, 212), (32, 32), (90, 90))
    # The classifier's linear layers see everything.
    assert rows[-1].kind == "linear" and rows[-1].whole_input


def test_three_stacked_3x3_convs_see_7x7_with_27_instead_of_49_c_squared_weights():
    channels = 8
    lesson = stacked_versus_single(channels=channels, input_size=16)
    assert lesson["three 3x3 convs"]["fields"] == [3, 5, 7]
    assert lesson["one 7x7 conv"]["fields"] == [7]
    assert lesson["three 3x3 convs"]["weights"] == 27 * channels**2
    assert lesson["one 7x7 conv"]["weights"] == 49 * channels**2
    # The same weight counts as torch's, biases left out.
    single = build_stack(lesson["one 7x7 conv"]["layers"], channels, 16)
    assert single[0].weight.numel() == 49 * channels**2


def test_dilation_grows_the_field_exponentially():
    lesson = stacked_versus_single(channels=2, input_size=32)
    assert lesson["three 3x3 convs, dilation 1, 2, 4"]["fields"] == [3, 7, 15]


def test_plain_stack_with_dilation_asymmetric_kernels_and_ceil_mode_matches_gradients():
    model = _positive(
        nn.Sequential(
            nn.Conv2d(1, 2, (3, 5), stride=(1, 2), padding=(1, 2)),
            nn.ReLU(),
            nn.AvgPool2d(2, ceil_mode=True),
            nn.Conv2d(2, 2, 3, padding=2, dilation=2),
            nn.Conv2d(2, 2, (1, 7), padding=(0, 3)),
            nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
        )
    )
    shape = (1, 23, 41)
    rows = receptive_fields(model, shape)
    assert [row.kind for row in rows] == ["conv", "avg pool", "conv", "conv", "avg pool"]
    # Rows and columns differ, so both are reported: 3 x 5 first, then per axis by the recurrence.
    assert rows[0].size == (3, 5) and rows[0].stride == (1, 2) and rows[0].text(rows[0].size) == "3 x 5"
    assert rows[1].size == (4, 7) and rows[1].stride == (2, 4)
    assert rows[2].size == (4 + 4 * 2, 7 + 4 * 4)  # dilation 2: a 3x3 kernel spans 5
    assert rows[3].size == (12, 23 + 6 * 4)
    # Output shapes are the real forward pass's (ceil_mode rounds up).
    x = torch.ones(1, *shape, dtype=torch.float64)
    outputs, y = [], x
    for layer in model:
        y = layer(y)
        if not isinstance(layer, nn.ReLU):
            outputs.append(tuple(y.shape[1:]))
    assert [row.output_shape for row in rows] == outputs
    assert outputs[1] == (2, 12, 11)  # 23 rows -> ceil(22 / 2) + 1 = 12 with ceil_mode
    assert _check_against_gradients(model, shape, rows) == 5


def test_ceil_mode_changes_the_shape_but_not_the_field():
    floor_rows = receptive_fields(nn.Sequential(nn.MaxPool2d(3, 2)), (1, 10, 10))
    ceil_rows = receptive_fields(nn.Sequential(nn.MaxPool2d(3, 2, ceil_mode=True)), (1, 10, 10))
    assert floor_rows[0].output_shape == (1, 4, 4) and ceil_rows[0].output_shape == (1, 5, 5)
    assert floor_rows[0].size == ceil_rows[0].size == (3, 3)
    # The last ceil_mode unit hangs over the image's edge: its box runs past row 9.
    assert ceil_rows[0].box(4, 4) == (8, 8, 10, 10)


class _Residual(nn.Module):
    """A stem, a same-size residual block, then a downsampling one with a 1x1 stride-2 shortcut."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.a1, self.a2 = nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1)
        self.b1, self.b2 = nn.Conv2d(4, 4, 3, stride=2, padding=1), nn.Conv2d(4, 4, 5, padding=2)
        self.shortcut = nn.Conv2d(4, 4, 1, stride=2)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = x + self.a2(F.relu(self.a1(x)))
        return self.b2(self.b1(x)) + self.shortcut(x)


class _Inception(nn.Module):
    """Four branches of different reach joined along channels, then a strided conv."""

    def __init__(self):
        super().__init__()
        self.one = nn.Conv2d(1, 2, 1)
        self.three = nn.Conv2d(1, 2, 3, padding=1)
        self.five = nn.Sequential(nn.Conv2d(1, 2, 1), nn.Conv2d(2, 2, 5, padding=2))
        self.pool = nn.Sequential(nn.AvgPool2d(3, 1, 1, ceil_mode=True), nn.Conv2d(1, 2, 1))
        self.after = nn.Conv2d(8, 2, 3, stride=2)

    def forward(self, x):
        joined = torch.cat([self.one(x), self.three(x), self.five(x), self.pool(x)], 1)
        return self.after(joined)


class _Wrapped(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)


def test_residual_net_is_the_union_of_its_paths_and_matches_gradients():
    model = _positive(_Wrapped(_Residual()))
    shape = (1, 29, 29)
    rows = receptive_fields(model, shape)
    by_name = {row.name: row for row in rows}
    # Path through b1, b2 reaches 27 pixels; the 1x1 shortcut only 11: the union is the larger.
    assert by_name["inner.b2"].size == (3 + 2 * 2 * 2 + 2 * 2 + 4 * 4,) * 2
    assert by_name["inner.shortcut"].size == (11, 11)
    final = rows[-1]
    assert final.kind == "add" and final.size == by_name["inner.b2"].size and final.module == "inner"
    # The first add is not the output of any module, so it has none to hook; every other row is checked.
    first_add = next(row for row in rows if row.kind == "add")
    assert first_add.size == (11, 11) and first_add.module is None
    assert _check_against_gradients(model, shape, rows) == len(rows) - 1


def test_concatenation_is_the_union_of_its_branches_and_matches_gradients():
    model = _positive(_Inception())
    shape = (1, 15, 15)
    rows = receptive_fields(model, shape)
    concat = next(row for row in rows if row.kind == "concat")
    assert concat.size == (5, 5) and concat.padding == (2, 2)  # the 5x5 branch sets the union
    assert rows[-1].size == (7, 7) and rows[-1].stride == (2, 2)
    # The concat is a bare function call at the top level: no module to hook, so no gradient check.
    assert concat.module is None
    assert _check_against_gradients(model, shape, rows) == len(rows) - 1


def test_resnet18_final_conv_field_matches_gradients_along_a_wide_strip():
    model = torchvision.models.resnet18()
    plain_rows = receptive_fields(model, (3, 32, 480))
    model.maxpool = nn.AvgPool2d(3, 2, 1)  # same geometry; its gradient reaches the whole window
    model = _positive(model, torch.float32)
    rows = receptive_fields(model, (3, 32, 480))
    assert [(r.size, r.stride, r.padding) for r in rows] == [(r.size, r.stride, r.padding) for r in plain_rows]
    final = next(row for row in rows if row.name == "layer4.1 (add)")
    assert final.module == "layer4.1" and final.stride == (32, 32)
    # Column 7 of the 15 columns sees columns -padding + 7 * 32 ... well inside the 480-wide strip.
    top, left, bottom, right = final.box(0, 7)
    assert left >= 0 and right < 480
    support = _gradient_support(model, "layer4.1", (3, 32, 480), (0, 7), torch.float32)
    assert (support[1], support[3]) == (left, right)
    assert right - left + 1 == final.size[1] == 435


def test_resnet50_final_conv_field_matches_gradients_along_a_wide_strip():
    model = torchvision.models.resnet50()
    model.maxpool = nn.AvgPool2d(3, 2, 1)
    model = _positive(model, torch.float32)
    final = next(row for row in receptive_fields(model, (3, 32, 480)) if row.name == "layer4.2 (add)")
    _, left, _, right = final.box(0, 7)
    support = _gradient_support(model, "layer4.2", (3, 32, 480), (0, 7), torch.float32)
    assert (support[1], support[3]) == (left, right)
    assert final.size == (427, 427)


def test_adaptive_and_global_pooling_see_the_whole_input():
    rows = receptive_fields(torchvision.models.resnet18(), (3, 64, 64))
    pool = next(row for row in rows if row.name == "avgpool")
    assert pool.kind == "adaptive pool" and pool.whole_input and pool.size == (64, 64)
    assert rows[-1].name == "fc" and rows[-1].whole_input
    assert pool.box(0, 0) == (0, 0, 63, 63)


def test_adaptive_pooling_with_regular_windows_is_an_ordinary_pool():
    adaptive = receptive_fields(nn.Sequential(nn.Conv2d(1, 1, 3), nn.AdaptiveAvgPool2d(4)), (1, 10, 10))
    ordinary = receptive_fields(nn.Sequential(nn.Conv2d(1, 1, 3), nn.AvgPool2d(2)), (1, 10, 10))
    assert not adaptive[1].whole_input
    assert (adaptive[1].size, adaptive[1].stride) == (ordinary[1].size, ordinary[1].stride) == ((4, 4), (2, 2))


class _Functional(nn.Module):
    """Pooling, padding and a global mean written as functions, not modules."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3)

    def forward(self, x):
        x = F.pad(x, (2, 0, 1, 0))  # left 2, right 0, top 1, bottom 0
        x = F.max_pool2d(x, 2, 2)
        x = self.conv(x)
        return x.mean((2, 3))


def test_functional_pooling_padding_and_mean_are_followed():
    rows = receptive_fields(_Functional(), (1, 12, 12))
    assert [row.kind for row in rows] == ["pad", "max pool", "conv", "global pool"]
    assert rows[0].padding == (1, 2)
    assert rows[2].size == (2 + 2 * 2, 6) and rows[2].stride == (2, 2) and rows[2].padding == (1, 2)
    assert rows[3].whole_input


class _DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3)

    def forward(self, x):
        if x.sum() > 0:  # fx cannot follow a branch on the data
            return self.conv(x)
        return x


def test_an_untraceable_network_is_refused_with_a_sentence():
    with pytest.raises(ReceptiveFieldError, match=r"could not follow .*\.$"):
        receptive_fields(_DataDependent(), (1, 8, 8))


def test_an_input_too_small_for_the_network_is_refused_with_a_sentence():
    with pytest.raises(ReceptiveFieldError, match=r"cannot take an input of 1 x 4 x 4"):
        receptive_fields(nn.Sequential(nn.Conv2d(1, 1, 5)), (1, 4, 4))


def test_builder_names_the_layer_whose_output_would_be_empty():
    layers = [StackLayer("conv", 3, 1, 1), StackLayer("max pool", 2, 2, 0), StackLayer("conv", 5, 1, 0)]
    with pytest.raises(ReceptiveFieldError, match=r"^Layer 3 \(conv 5x5.*only 4x4.*empty\.$"):
        check_stack(layers, 8)
    with pytest.raises(ReceptiveFieldError, match=r"^Layer 2: the stride must be"):
        check_stack([StackLayer(), StackLayer("conv", 3, 0, 1)], 8)


def test_builder_output_sizes_agree_with_torch_including_ceil_mode():
    layers = [
        StackLayer("conv", 5, 2, 1, channels=4),
        StackLayer("max pool", 3, 2, 1, ceil_mode=True),
        StackLayer("conv", 3, 1, 2, dilation=2, channels=3),
        StackLayer("avg pool", 2, 2, 0, ceil_mode=True),
    ]
    for size in (9, 10, 17, 23):
        model = build_stack(layers, 1, size, device="cpu")  # real weights: torch's own kernels are the oracle
        rows = receptive_fields(model, (1, size, size))
        y = model(torch.zeros(1, 1, size, size))
        assert rows[-1].output_shape == tuple(y.shape[1:])


def test_builder_refuses_exactly_the_stacks_torch_cannot_run():
    stacks = [
        [StackLayer("conv", 3, 2, 0, channels=2), StackLayer("max pool", 3, 2, 1, ceil_mode=True)],
        [StackLayer("avg pool", 2, 2, 0, ceil_mode=True), StackLayer("conv", 3, 1, 0, dilation=2, channels=2)],
        [StackLayer("max pool", 3, 3, 0), StackLayer("conv", 2, 1, 0, channels=2)],
    ]
    for layers in stacks:
        for size in range(1, 14):
            try:
                check_stack(layers, size)
                refused = False
            except ReceptiveFieldError:
                refused = True
            try:
                model = build_stack(layers, 1, 64, device="cpu")  # valid at 64; then run at the size under test
                model(torch.zeros(1, 1, size, size))
                torch_fails = False
            except RuntimeError:
                torch_fails = True
            assert refused == torch_fails, (layers, size)


def test_a_trace_in_one_thread_leaves_other_threads_models_alone():
    # fx patches torch.nn.Module for the whole process while it traces; Streamlit serves each
    # session from its own thread. One thread traces a block that pauses mid-trace, another
    # runs an ordinary forward pass meanwhile.
    entered, release = threading.Event(), threading.Event()

    class Pausing(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 3)

        def forward(self, x):
            entered.set()
            release.wait(10)
            return self.conv(x)

    traced = nn.Sequential(nn.Conv2d(1, 2, 3), Pausing(), nn.ReLU())
    other = nn.Sequential(nn.Conv2d(1, 1, 3), nn.ReLU())
    x = torch.rand(1, 1, 8, 8)
    expected = other(x)
    results = {}

    def trace():
        try:
            results["rows"] = receptive_fields(traced, (1, 8, 8))
        except Exception as error:
            results["rows"] = error

    thread = threading.Thread(target=trace)
    thread.start()
    assert entered.wait(10)
    try:
        results["other"] = other(x)  # another session's forward pass, mid-trace
    except Exception as error:
        results["other"] = error
    finally:
        release.set()
    thread.join(10)
    assert isinstance(results["other"], torch.Tensor), results["other"]
    torch.testing.assert_close(results["other"], expected)
    assert not isinstance(results["rows"], Exception), results["rows"]
    assert [row.size for row in results["rows"]] == [(3, 3), (5, 5)]
