"""cnnviz.conv against torch (the oracle) and against the worked examples of docs/teaching.md."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz import conv, kernels
from cnnviz.conv import ConvSettings, ConvSettingsError

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")


@pytest.fixture(autouse=True)
def _no_grad():
    # Per test, not at import: a module-level set_grad_enabled(False) would leak into every test
    # collected after this file.
    with torch.no_grad():
        yield


def module_from_line(settings: ConvSettings) -> nn.Module:
    """Build the layer from the page's own `nn.Conv2d(...)` line: the line must be runnable."""
    return eval(settings.torch_line(), {"nn": nn}).double()  # noqa: S307 - our own text


def random_layer(settings: ConvSettings, height: int, width: int, seed: int = 0):
    """A float64 input (1, C_in, H, W) and the module built from torch_line, random weights."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(1, settings.in_channels, height, width, generator=generator, dtype=torch.float64)
    module = module_from_line(settings)
    for parameter in module.parameters():
        parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=torch.float64))
    return x, module


def check_every_cell(settings: ConvSettings, height: int, width: int, seed: int = 0) -> None:
    """apply() and explain_cell() at every output cell both equal torch's own module."""
    x, module = random_layer(settings, height, width, seed)
    expected = module(x)  # (1, C_out, H_out, W_out)
    weight = getattr(module, "weight", None)
    bias = getattr(module, "bias", None)
    got = conv.apply(x, weight, bias, settings)
    assert got.shape == expected.shape
    assert tuple(expected.shape[1:]) == settings.output_shape(height, width)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    for channel, row, col in itertools.product(*(range(n) for n in expected.shape[1:])):
        cell = conv.explain_cell(x, weight, bias, settings, channel, row, col)
        assert cell.value == pytest.approx(float(expected[0, channel, row, col]), abs=1e-10), (
            settings, channel, row, col,
        )


# --- Worked examples (docs/teaching.md) ------------------------------------------------------------


def test_classic_5x5_example_matches_the_hand_computation():
    x = kernels.example_grid("Classic 5x5 example")
    kernel = kernels.make_kernel("Classic X (worked example)", 3, 3)
    # By hand: top-left window [[1,1,1],[0,1,1],[0,0,1]] * [[1,0,1],[0,1,0],[1,0,1]]
    # = 1+1 (top corners) + 1 (centre) + 0 + 1 (bottom corners) = 4; and so on for each window.
    by_hand = [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    settings = ConvSettings(kernel_size=3, bias=False)
    out = conv.apply(torch.tensor(x)[None, None], torch.tensor(kernel)[None, None], None, settings)
    assert out[0, 0].tolist() == by_hand
    first = conv.explain_cell(x[None], kernel[None, None], None, settings, 0, 0, 0)
    assert first.products[0].tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert first.total == 4 and first.value == 4


def test_lenet_sizes_28_to_28_to_14():
    assert conv.output_size(28, 5, stride=1, padding=2) == 28
    assert ConvSettings(kernel_size=5, padding=2, out_channels=6).output_shape(28, 28) == (6, 28, 28)
    pool = ConvSettings(operation="max_pool", kernel_size=2, stride=2, in_channels=6)
    assert pool.output_shape(28, 28) == (6, 14, 14)
    assert conv.output_size(28, 2, stride=2) == 14


def test_alexnet_first_layer_227_to_55():
    assert conv.output_size(227, 11, stride=4, padding=0) == 55
    settings = ConvSettings(kernel_size=11, stride=4, in_channels=3, out_channels=96)
    assert settings.output_shape(227, 227) == (96, 55, 55)
    # 55 * 55 outputs, each 11*11*3 multiply-adds, for each of 96 kernels.
    assert conv.multiply_adds(settings, 227, 227) == 55 * 55 * 96 * 363
    assert conv.transposed_output_size(55, 11, stride=4) == 227


@pytest.mark.parametrize("operation, kwargs", [
    ("conv", dict(kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), in_channels=4, out_channels=6, groups=2)),
    ("conv", dict(kernel_size=(5, 2), stride=(1, 3), dilation=(2, 1), in_channels=3, out_channels=2)),
    ("transposed", dict(kernel_size=(3, 2), stride=(2, 3), in_channels=2, out_channels=4, groups=2)),
])
def test_multiply_adds_on_non_square_layers_match_torchs_flop_counter(operation, kwargs):
    # The lab's "Multiply-adds" figure, counted independently: torch's FlopCounterMode tallies the
    # convolution a real forward pass runs (2 FLOPs per multiply-add), here on a 9 x 14 input whose
    # output is not square either.
    from torch.utils.flop_counter import FlopCounterMode

    settings = ConvSettings(operation=operation, bias=False, **kwargs)
    weight = torch.zeros(settings.weight_shape())
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        conv.apply(torch.zeros(1, settings.in_channels, 9, 14), weight, None, settings)
    assert 2 * conv.multiply_adds(settings, 9, 14) == counter.get_total_flops() > 0


def test_5x5x3_filter_has_76_parameters_whatever_the_image_size():
    settings = ConvSettings(kernel_size=5, in_channels=3, out_channels=1)
    assert conv.parameter_count(settings) == 76
    assert sum(p.numel() for p in module_from_line(settings).parameters()) == 76
    assert conv.parameter_count(ConvSettings(kernel_size=5, in_channels=3, bias=False)) == 75


def test_parameter_count_equals_torch_for_groups_and_transposed():
    for settings in (
        ConvSettings(kernel_size=(3, 5), in_channels=4, out_channels=6, groups=2),
        ConvSettings(kernel_size=3, in_channels=3, out_channels=3, groups=3),
        ConvSettings(operation="transposed", kernel_size=4, in_channels=4, out_channels=2, groups=2),
    ):
        assert conv.parameter_count(settings) == sum(
            p.numel() for p in module_from_line(settings).parameters()
        )
    assert conv.parameter_count(ConvSettings(operation="max_pool", kernel_size=2)) == 0


# --- Output sizes and formulas -----------------------------------------------------------------------


def test_output_size_matches_torch_over_a_grid():
    for size, k, s, p, d in itertools.product((5, 8, 13), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2), (1, 2)):
        x = torch.zeros(1, 1, size, size)
        try:
            expected = nn.functional.conv2d(x, torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d).shape[-1]
        except RuntimeError:
            with pytest.raises(ConvSettingsError):
                conv.output_size(size, k, s, p, d)
            continue
        assert conv.output_size(size, k, s, p, d) == expected


def test_transposed_output_size_matches_torch_over_a_grid():
    for size, k, s, p, op, d in itertools.product((1, 4, 7), (1, 3, 4), (1, 2, 3), (0, 1, 2), (0, 1), (1, 2)):
        try:
            expected = nn.functional.conv_transpose2d(
                torch.zeros(1, 1, size, size), torch.zeros(1, 1, k, k), None, s, p, op, 1, d
            ).shape[-1]
            if expected == 0:  # torch returns an empty tensor: no output either
                raise RuntimeError("empty")
        except RuntimeError:
            with pytest.raises(ConvSettingsError):
                conv.transposed_output_size(size, k, s, p, op, d)
            continue
        assert conv.transposed_output_size(size, k, s, p, op, d) == expected


def test_same_and_valid():
    assert conv.output_size(9, 5, padding="same") == 9
    assert conv.output_size(9, 5, padding="valid") == 5
    assert ConvSettings(kernel_size=3, padding="same").padding_amounts() == (1, 1, 1, 1)
    # Even kernels: the odd cell goes bottom/right, like PyTorch.
    assert ConvSettings(kernel_size=(4, 2), padding="same").padding_amounts() == (1, 2, 0, 1)
    assert ConvSettings(kernel_size=3, dilation=2, padding="same").padding_amounts() == (2, 2, 2, 2)


def test_formula_text_substitutes_the_numbers_and_shows_the_floor():
    assert conv.output_size_formula(512, 3, stride=2, padding=1, dilation=2) == (
        "W_out = floor((512 + 2*1 - 2*(3-1) - 1) / 2) + 1 = floor(509 / 2) + 1 = 254 + 1 = 255"
    )
    h_line, w_line = ConvSettings(kernel_size=11, stride=4).formula_lines(227, 227)
    assert h_line.startswith("H_out") and h_line.endswith("= 54 + 1 = 55")
    assert w_line == "W_out = floor((227 + 2*0 - 1*(11-1) - 1) / 4) + 1 = floor(216 / 4) + 1 = 54 + 1 = 55"
    latex = ConvSettings(kernel_size=5, padding=2).formula_lines(28, 28, latex=True)[1]
    assert r"\lfloor" in latex and latex.endswith("= 27 + 1 = 28")
    transposed = ConvSettings(operation="transposed", stride=2, padding=1, output_padding=1)
    assert transposed.formula_lines(4, 4)[0] == "H_out = (4-1)*2 - 2*1 + 1*(3-1) + 1 + 1 = 6 - 2 + 2 + 1 + 1 = 8"


def test_torch_lines():
    assert ConvSettings(kernel_size=5, in_channels=3, padding=2).torch_line() == (
        "nn.Conv2d(3, 1, kernel_size=5, stride=1, padding=2)"
    )
    assert ConvSettings(kernel_size=(3, 5), padding="same", padding_mode="reflect", bias=False).torch_line() == (
        "nn.Conv2d(1, 1, kernel_size=(3, 5), stride=1, padding='same', bias=False, padding_mode='reflect')"
    )
    assert ConvSettings(operation="max_pool", kernel_size=2, stride=2).torch_line() == (
        "nn.MaxPool2d(kernel_size=2, stride=2, padding=0)"
    )
    line = ConvSettings(operation="transposed", kernel_size=4, stride=2, padding=1, in_channels=3, out_channels=3, groups=3).torch_line()
    assert line == "nn.ConvTranspose2d(3, 3, kernel_size=4, stride=2, padding=1, groups=3)"


# --- Settings that cannot work: one sentence with the numbers ----------------------------------------


@pytest.mark.parametrize(
    ("settings", "size", "words"),
    [
        (ConvSettings(kernel_size=3, stride=2, padding="same"), 8, ["'same'", "stride 2"]),
        (ConvSettings(in_channels=3, out_channels=3, groups=2), 8, ["groups=2", "3 input channels"]),
        (ConvSettings(in_channels=4, out_channels=3, groups=2), 8, ["3 output channels"]),
        (ConvSettings(kernel_size=3, dilation=4, padding=1), 5, ["spans 9", "only 7", "5 + 2*1"]),
        (ConvSettings(kernel_size=7), 5, ["spans 7", "only 5"]),
        (ConvSettings(padding=5, padding_mode="reflect"), 5, ["Reflect", "5"]),
        (ConvSettings(padding=6, padding_mode="circular"), 5, ["Circular", "6"]),
        (ConvSettings(operation="transposed", stride=2, output_padding=2), 5, ["Output padding 2", "stride (2)"]),
        (ConvSettings(operation="transposed", padding="same"), 5, ["'same'", "transposed"]),
        (ConvSettings(operation="transposed", padding_mode="reflect"), 5, ["zeros"]),
        (ConvSettings(operation="transposed", kernel_size=1, padding=1), 1, ["No output", "= -1"]),
        (ConvSettings(operation="avg_pool", dilation=2), 8, ["dilation 2"]),
        (ConvSettings(operation="max_pool", kernel_size=3, padding=2), 8, ["padding 2", "at most 1"]),
        (ConvSettings(operation="max_pool", kernel_size=2, padding="same"), 8, ["even"]),
        (ConvSettings(output_padding=1), 8, ["transposed"]),
    ],
)
def test_impossible_settings_raise_one_readable_sentence(settings, size, words):
    with pytest.raises(ConvSettingsError) as info:
        settings.validate(size, size)
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message
    for word in words:
        assert word in message, message


def test_bad_values_raise_at_construction():
    with pytest.raises(ConvSettingsError, match="stride must be at least 1; got 0"):
        ConvSettings(stride=0)
    with pytest.raises(ConvSettingsError, match=r"^The padding mode must be one of zeros, reflect, replicate, circular; got 'mirror'\.$"):
        ConvSettings(padding_mode="mirror")
    with pytest.raises(ConvSettingsError, match=r"^Padding must be a number, 'same' or 'valid'; got 'full'\.$"):
        ConvSettings(padding="full")
    with pytest.raises(ConvSettingsError):
        conv.output_size(5, 3, padding=-1)


def unvisited_trailing(settings: ConvSettings, height: int, width: int) -> int:
    """Input columns at the right edge that no window reads, found by walking every window."""
    _, _, out_w = settings.output_shape(height, width)
    origin_col = settings.input_origin()[1]
    read = set()
    for col in range(out_w):
        _, cols = conv.window_position(settings, 0, col)
        read.update(int(c) - origin_col for c in cols)
    count = 0
    for column in reversed(range(width)):
        if column in read:
            break
        count += 1
    return count


@pytest.mark.parametrize(("width", "kernel", "stride", "padding"), [(6, 3, 2, 0), (10, 3, 4, 0), (8, 2, 3, 1), (512, 11, 4, 0)])
def test_uneven_stride_warning_counts_the_unvisited_columns(width, kernel, stride, padding):
    settings = ConvSettings(kernel_size=kernel, stride=stride, padding=padding)
    lost = unvisited_trailing(settings, 4 + kernel, width)
    assert lost > 0
    warnings = settings.validate(4 + kernel, width)
    unit = "column is" if lost == 1 else "columns are"
    assert any(f"the last {lost} input {unit} never visited" in w for w in warnings), warnings


def test_even_stride_has_no_loss_warning():
    settings = ConvSettings(kernel_size=3, stride=2, padding=1)
    assert unvisited_trailing(settings, 7, 7) == 0
    assert not any("never visited" in w for w in settings.validate(7, 7))
    assert ConvSettings(kernel_size=3, stride=1).validate(5, 5) == []


def test_stride_larger_than_window_is_flagged():
    warnings = ConvSettings(kernel_size=3, stride=5).validate(13, 13)
    assert any("2 of every 5" in w for w in warnings)


# --- explain_cell equals torch, over a grid of settings --------------------------------------------


CONV_GRID = [
    dict(kernel_size=k, stride=s, padding=p, padding_mode=mode, dilation=d)
    for k, s, p, mode, d in itertools.product(
        ((1, 1), (3, 3), (2, 3)),
        (1, (2, 3)),
        (0, 2, "same", (1, 0)),
        ("zeros", "reflect", "replicate", "circular"),
        (1, (2, 1)),
    )
]


@pytest.mark.parametrize("case", range(0, len(CONV_GRID)))
def test_explain_cell_equals_torch_conv(case):
    settings_kwargs = CONV_GRID[case]
    settings = ConvSettings(**settings_kwargs, in_channels=2, out_channels=2)
    x, module = random_layer(settings, 6, 7, seed=case) if _valid(settings, 6, 7) else (None, None)
    if module is None:
        # Our sentence and torch agree that nothing can be computed.
        with pytest.raises((RuntimeError, ValueError)):
            module_from_line(settings)(torch.zeros(1, 2, 6, 7, dtype=torch.float64))
        return
    check_every_cell(settings, 6, 7, seed=case)


def _valid(settings: ConvSettings, height: int, width: int) -> bool:
    try:
        settings.validate(height, width)
        return True
    except ConvSettingsError:
        return False


@pytest.mark.parametrize(
    "settings",
    [
        ConvSettings(kernel_size=3, in_channels=4, out_channels=6, groups=2, padding=1),
        ConvSettings(kernel_size=(3, 2), in_channels=3, out_channels=3, groups=3, stride=2, padding_mode="reflect", padding=1),
        ConvSettings(kernel_size=3, in_channels=3, out_channels=1, padding="same", dilation=2, bias=False),
        ConvSettings(kernel_size=5, in_channels=1, out_channels=3, stride=(2, 1), padding=(2, 1), padding_mode="circular"),
    ],
)
def test_explain_cell_equals_torch_for_groups_and_channels(settings):
    check_every_cell(settings, 7, 6)


TRANSPOSED_GRID = [
    ConvSettings(operation="transposed", kernel_size=k, stride=s, padding=p, output_padding=op, dilation=d, in_channels=cin, out_channels=cout, groups=g)
    for k, s, p, op, d, (cin, cout, g) in itertools.product(
        ((3, 3), (2, 3), (4, 4)), (1, 2, (3, 2)), (0, 1, 2), (0, 1), (1, 2), ((1, 1, 1), (2, 4, 2))
    )
]


@pytest.mark.parametrize("case", range(len(TRANSPOSED_GRID)))
def test_explain_cell_equals_torch_conv_transpose(case):
    settings = TRANSPOSED_GRID[case]
    if not _valid(settings, 4, 3):
        with pytest.raises((RuntimeError, ValueError)):
            module_from_line(settings)(torch.zeros(1, settings.in_channels, 4, 3, dtype=torch.float64))
        return
    check_every_cell(settings, 4, 3, seed=case)


def test_transposed_contributions_are_exactly_the_scatter_taps():
    settings = ConvSettings(operation="transposed", kernel_size=3, stride=2, padding=1, dilation=2)
    x, module = random_layer(settings, 4, 4)
    expected = module(x)
    (sh, sw), (ph, pw), (dh, dw) = settings.stride, settings.symmetric_padding, settings.dilation
    for row, col in itertools.product(range(expected.shape[2]), range(expected.shape[3])):
        cell = conv.explain_cell(x, module.weight, module.bias, settings, 0, row, col)
        found = {(t.input_row, t.input_col, t.kernel_row, t.kernel_col) for t in cell.contributions()}
        # Every input (i, j) scatters through tap (a, b) into output (i*S - P + a*D, j*S - P + b*D).
        scatter = {
            (i, j, a, b)
            for i, j, a, b in itertools.product(range(4), range(4), range(3), range(3))
            if i * sh - ph + a * dh == row and j * sw - pw + b * dw == col
        }
        assert found == scatter
        total = sum(float(x[0, 0, i, j] * module.weight[0, 0, a, b]) for i, j, a, b in scatter)
        assert total + float(module.bias[0]) == pytest.approx(float(expected[0, 0, row, col]), abs=1e-10)


POOL_GRID = [
    ConvSettings(operation=op, kernel_size=k, stride=s, padding=p, dilation=d, in_channels=2)
    for op, k, s, p, d in itertools.product(
        ("max_pool", "avg_pool"), ((2, 2), (3, 3), (2, 3)), (1, 2, 3), (0, 1, "same"), (1, 2)
    )
]


@pytest.mark.parametrize("case", range(len(POOL_GRID)))
def test_explain_cell_equals_torch_pooling(case):
    settings = POOL_GRID[case]
    if not _valid(settings, 7, 6):
        return  # the sentences themselves are tested above
    check_every_cell(settings, 7, 6, seed=case)


def test_max_pool_argmax_points_at_the_maximum():
    x = np.ones((1, 4, 4))
    x[0, 3, 2] = 9.0  # the largest value of the bottom-right 2x2 window
    settings = ConvSettings(operation="max_pool", kernel_size=2, stride=2)
    cell = conv.explain_cell(x, None, None, settings, 0, 1, 1)
    channel, a, b = cell.argmax
    assert cell.window[channel, a, b] == cell.value == 9.0
    assert (cell.grid_rows[a], cell.grid_cols[b]) == (3, 2)
    padded = conv.explain_cell(-x, None, None, ConvSettings(operation="max_pool", kernel_size=3, padding=1), 0, 0, 0)
    assert padded.value == -1.0  # -inf padding never wins, even over negative inputs


def test_padding_cells_are_reported_in_padded_and_original_coordinates():
    x = np.arange(25, dtype=np.float64).reshape(1, 5, 5)
    settings = ConvSettings(kernel_size=3, padding=1, padding_mode="reflect")
    cell = conv.explain_cell(x, np.ones((1, 1, 3, 3)), None, settings, 0, 0, 0)
    assert cell.grid_rows.tolist() == [0, 1, 2] and cell.grid_cols.tolist() == [0, 1, 2]
    assert cell.source_rows.tolist() == [1, 0, 1]  # reflect: row -1 reads row 1
    assert cell.kinds.tolist() == [[1, 1, 1], [1, 0, 0], [1, 0, 0]]
    assert cell.window[0, 0, 0] == x[0, 1, 1]
    zeros = conv.explain_cell(x, np.ones((1, 1, 3, 3)), None, ConvSettings(kernel_size=3, padding=1), 0, 0, 0)
    assert zeros.source_rows.tolist() == [-1, 0, 1] and zeros.window[0, 0].tolist() == [0, 0, 0]


def test_explain_cell_rejects_a_cell_outside_the_output():
    with pytest.raises(ConvSettingsError, match=r"^Output cell \(channel 0, row 3, column 0\) is outside the 1x3x3 output\.$"):
        conv.explain_cell(np.zeros((1, 5, 5)), np.zeros((1, 1, 3, 3)), None, ConvSettings(), 0, 3, 0)


# --- Sliding grid: the picture the page draws ----------------------------------------------------


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_sliding_grid_is_torch_padding(mode):
    x = torch.randn(2, 5, 6, dtype=torch.float64)
    settings = ConvSettings(kernel_size=(2, 4), padding="same", padding_mode=mode, in_channels=2)
    values, kinds = conv.sliding_grid(x.numpy(), settings)
    top, bottom, left, right = settings.padding_amounts()
    torch_mode = "constant" if mode == "zeros" else mode
    expected = nn.functional.pad(x[None], (left, right, top, bottom), mode=torch_mode)[0]
    np.testing.assert_allclose(values, expected.numpy(), rtol=1e-6)
    assert (kinds == conv.INPUT_CELL).sum() == 5 * 6
    assert values.shape[1:] == settings.grid_shape(5, 6)


@pytest.mark.parametrize(("stride", "padding", "output_padding", "dilation"), [(2, 0, 0, 1), (3, 1, 1, 1), (2, 3, 1, 2), (1, 2, 0, 1)])
def test_transposed_grid_with_flipped_kernel_is_the_transposed_convolution(stride, padding, output_padding, dilation):
    settings = ConvSettings(operation="transposed", kernel_size=3, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, bias=False)
    x, module = random_layer(settings, 4, 5)
    values, kinds = conv.sliding_grid(x[0].numpy(), settings)
    flipped = module.weight.flip(-1, -2).transpose(0, 1)  # (C_out, C_in, F, F)
    direct = nn.functional.conv2d(torch.tensor(values, dtype=torch.float64)[None], flipped, dilation=dilation)
    torch.testing.assert_close(direct, module(x), rtol=1e-5, atol=1e-5)
    assert (kinds == conv.INPUT_CELL).sum() == 4 * 5
    # Zeros go between input cells only when the stride spreads them apart.
    assert (kinds == conv.INSERTED_CELL).any() == (stride > 1)


# --- Lab helpers, 1-D and 1x1 -----------------------------------------------------------------------


def test_per_channel_kernels_give_a_summed_map_or_a_depthwise_stack():
    generator = np.random.default_rng(0)
    x = torch.tensor(generator.normal(size=(1, 3, 6, 6)))
    per_channel = generator.normal(size=(3, 3, 3))
    one_map = ConvSettings(in_channels=3, out_channels=1, bias=False)
    weight = torch.tensor(conv.weight_from_channel_kernels(per_channel, one_map), dtype=torch.float64)
    summed = sum(
        nn.functional.conv2d(x[:, c : c + 1], torch.tensor(per_channel[c], dtype=torch.float64)[None, None]) for c in range(3)
    )
    torch.testing.assert_close(conv.apply(x, weight, None, one_map), summed, rtol=1e-5, atol=1e-5)
    depthwise = ConvSettings(in_channels=3, out_channels=3, groups=3, bias=False)
    weight = torch.tensor(conv.weight_from_channel_kernels(per_channel, depthwise), dtype=torch.float64)
    out = conv.apply(x, weight, None, depthwise)
    for c in range(3):
        single = nn.functional.conv2d(x[:, c : c + 1], torch.tensor(per_channel[c], dtype=torch.float64)[None, None])
        torch.testing.assert_close(out[:, c : c + 1], single, rtol=1e-5, atol=1e-5)
    with pytest.raises(ConvSettingsError):
        conv.weight_from_channel_kernels(per_channel, ConvSettings(in_channels=3, out_channels=2))


def test_conv1d_is_the_sum_formula_and_true_convolution_flips():
    signal = np.array([0, 1, 3, 2, 5, 4, 1, 0, 2.0])
    kernel = np.array([1.0, 0.0, -2.0])
    by_formula = [sum(signal[n + m] * kernel[m] for m in range(3)) for n in range(len(signal) - 2)]
    np.testing.assert_allclose(conv.conv1d(signal, kernel), by_formula)
    np.testing.assert_allclose(conv.true_convolution1d(signal, kernel), conv.conv1d(signal, kernel[::-1]))
    strided = conv.conv1d(signal, kernel, stride=2, padding=1, dilation=2)
    padded = np.pad(signal, 1)
    expected = [sum(padded[2 * n + 2 * m] * kernel[m] for m in range(3)) for n in range(conv.output_size(9, 3, 2, 1, 2))]
    np.testing.assert_allclose(strided, expected)
    with pytest.raises(ConvSettingsError):
        conv.conv1d(signal[:2], kernel)


def test_pointwise_is_a_linear_layer_at_every_pixel():
    generator = np.random.default_rng(1)
    x = generator.normal(size=(3, 4, 5))
    weights = generator.normal(size=(2, 3))
    bias = np.array([0.5, -1.0])
    out = conv.pointwise(x, weights, bias)
    linear = nn.Linear(3, 2).double()
    linear.weight.copy_(torch.tensor(weights))
    linear.bias.copy_(torch.tensor(bias))
    per_pixel = linear(torch.tensor(x).permute(1, 2, 0)).permute(2, 0, 1)  # (H, W, C) -> (C_out, H, W)
    np.testing.assert_allclose(out, per_pixel.numpy(), rtol=1e-10)
    with pytest.raises(ConvSettingsError):
        conv.pointwise(x, np.ones((2, 4)))
