"""The layer builder's limits and its shape-only build: every value a client can send ends in a sentence."""

import math

import numpy as np
import pytest
import torch

from cnnviz.architecture import architecture_table
from cnnviz.receptive import ReceptiveFieldError, receptive_fields
from cnnviz.stack_builder import (
    INPUT_SIZE_RANGE,
    MAX_LAYERS,
    SETTING_RANGES,
    STACK_COLUMNS,
    StackLayer,
    build_stack,
    check_input,
    check_stack,
    report_stack,
    stack_from_records,
    stacked_versus_single,
)

SMALL = [
    StackLayer("conv", 5, 2, 1, channels=4),
    StackLayer("max pool", 3, 2, 1, ceil_mode=True),
    StackLayer("conv", 3, 1, 2, dilation=2, channels=6),
    StackLayer("avg pool", 2, 2, 0),
]


def _record(**values):
    """One table row as the page's editor returns it, the defaults' values unless given."""
    row = {column: getattr(StackLayer(), column) for column in STACK_COLUMNS}
    row.update(values)
    return row


def test_a_meta_stack_gives_the_same_fields_and_counts_as_a_real_one():
    meta, real = build_stack(SMALL, 3, 23), build_stack(SMALL, 3, 23, device="cpu")
    assert {p.device.type for p in meta.parameters()} == {"meta"}
    assert {p.device.type for p in real.parameters()} == {"cpu"}
    assert receptive_fields(meta, (3, 23, 23)) == receptive_fields(real, (3, 23, 23))
    assert architecture_table(meta, (3, 23, 23)) == architecture_table(real, (3, 23, 23))
    report = report_stack(SMALL, 3, 23)
    assert report.parameters == (3 * 4 * 25 + 4, 0, 4 * 6 * 9 + 6, 0)
    assert report.total_parameters == sum(p.numel() for p in real.parameters())
    assert [f.size[0] for f in report.fields] == [5, 9, 25, 29]


def test_a_billion_weight_stack_is_reported_without_taking_memory():
    # Five 31x31 convs of 1024 channels: 4 billion weights, 16 GB if they were real.
    layers = [StackLayer("conv", 31, 1, 15, 1, 1024)] * 5
    report = report_stack(layers, 3, 32)
    assert report.total_parameters == 3 * 1024 * 961 + 1024 + 4 * (1024 * 1024 * 961 + 1024)
    assert [f.size[0] for f in report.fields] == [31, 61, 91, 121, 151]
    assert {p.device.type for p in build_stack(layers, 3, 32).parameters()} == {"meta"}


def test_editor_rows_become_layers_and_empty_cells_take_the_defaults():
    rows = [
        _record(kind="max pool", kernel=2, stride=2, padding=0, ceil_mode=True),
        {"kind": None, "kernel": float("nan"), "channels": 8.0},  # a new row, partly filled in
        _record(kernel=np.int64(5), padding=np.float64(2.0), ceil_mode=np.bool_(False)),
    ]
    assert stack_from_records(rows) == [
        StackLayer("max pool", 2, 2, 0, 1, 16, True),
        StackLayer("conv", 3, 1, 1, 1, 8, False),
        StackLayer("conv", 5, 1, 2, 1, 16, False),
    ]


@pytest.mark.parametrize(
    ("row", "sentence"),
    [
        ({"channels": 100000}, "Layer 3: the number of channels must be a whole number between 1 and 1024; got 100000."),
        ({"kernel": 10**9}, "Layer 3: the kernel must be a whole number between 1 and 31; got 1000000000."),
        ({"kernel": 0}, "Layer 3: the kernel must be a whole number between 1 and 31; got 0."),
        ({"stride": -3}, "Layer 3: the stride must be a whole number between 1 and 8; got -3."),
        ({"stride": 9}, "Layer 3: the stride must be a whole number between 1 and 8; got 9."),
        ({"padding": -1}, "Layer 3: the padding must be a whole number between 0 and 16; got -1."),
        ({"padding": 17}, "Layer 3: the padding must be a whole number between 0 and 16; got 17."),
        ({"dilation": 17}, "Layer 3: the dilation must be a whole number between 1 and 16; got 17."),
        ({"kernel": 2.5}, "Layer 3: the kernel must be a whole number between 1 and 31; got 2.5."),
        ({"kernel": math.inf}, "Layer 3: the kernel must be a whole number between 1 and 31; got inf."),
        ({"kernel": True}, "Layer 3: the kernel must be a whole number between 1 and 31; got True."),
        ({"padding": "lots"}, "Layer 3: the padding must be a whole number between 0 and 16; got 'lots'."),
        ({"stride": [2]}, "Layer 3: the stride must be a whole number between 1 and 8; got [2]."),
        ({"kind": "deconv"}, "Layer 3: the kind must be one of conv, max pool, avg pool, fc; got 'deconv'."),
        ({"kind": 7}, "Layer 3: the kind must be one of conv, max pool, avg pool, fc; got 7."),
        ({"kind": "x" * 10**6}, "Layer 3: the kind must be one of conv, max pool, avg pool, fc; got 'xxxxxxxxxxxxxxxxxxxx...."),
        ({"ceil_mode": "yes"}, "Layer 3: 'round up' must be on or off; got 'yes'."),
    ],
)
def test_a_value_out_of_range_or_not_a_number_names_the_layer_and_the_setting(row, sentence):
    records = [_record(), _record(), _record(**row)]
    with pytest.raises(ReceptiveFieldError) as raised:
        stack_from_records(records)
    assert str(raised.value) == sentence


def test_every_limit_is_enforced_at_both_ends_and_not_inside():
    for setting, (low, high) in SETTING_RANGES.items():
        for value in (low, high):
            stack_from_records([_record(**{setting: value})])
        for value in (low - 1, high + 1):
            with pytest.raises(ReceptiveFieldError, match=rf"^Layer 1: the .*{low} and {high}; got {value}\.$"):
                stack_from_records([_record(**{setting: value})])


def test_a_stack_has_one_to_max_layers_rows():
    assert len(stack_from_records([_record()] * MAX_LAYERS)) == MAX_LAYERS
    with pytest.raises(ReceptiveFieldError, match=r"^A stack can have at most 32 layers; this one has 1,000\.$"):
        stack_from_records([_record()] * 1000)
    with pytest.raises(ReceptiveFieldError, match=r"^Add at least one layer"):
        stack_from_records([])
    with pytest.raises(ReceptiveFieldError, match=r"^Layer 2 is not a row of settings; got 5\.$"):
        stack_from_records([_record(), 5])


def test_the_input_is_one_to_512_pixels_and_grey_or_colour():
    assert check_input(3, 32) == (3, 32) and check_input(1, 512) == (1, 512) and check_input(3.0, 1) == (3, 1)
    low, high = INPUT_SIZE_RANGE
    for size in (0, high + 1, -5, "big", float("nan")):
        with pytest.raises(ReceptiveFieldError, match=r"^The input size must be a whole number of pixels between 1 and 512"):
            check_input(3, size)
    for channels in (2, 0, 4, "3", None):
        with pytest.raises(ReceptiveFieldError, match=r"^The input has 1 channel \(grey\) or 3 \(colour\); got"):
            check_input(channels, 32)


def test_check_stack_enforces_the_same_ranges_on_layers_built_in_code():
    with pytest.raises(ReceptiveFieldError, match=r"^Layer 2: the kernel must be a whole number between 1 and 31; got 1000000000\.$"):
        check_stack([StackLayer(), StackLayer(kernel=10**9)], 32)
    with pytest.raises(ReceptiveFieldError, match=r"^A stack can have at most 32 layers; this one has 33\.$"):
        check_stack([StackLayer()] * 33, 32)
    with pytest.raises(ReceptiveFieldError, match=r"^The input size must be a whole number of pixels between 1 and 512; got 513\.$"):
        check_stack([StackLayer()], 513)
    with pytest.raises(ReceptiveFieldError, match=r"^The input must have a whole number of channels between 1 and 1024; got 100000\.$"):
        build_stack([StackLayer()], 100000, 32)


def test_the_lesson_refuses_channels_outside_its_range_and_builds_on_meta():
    for channels in (0, 513, 10**9, "64"):
        with pytest.raises(ReceptiveFieldError, match=r"^The number of channels C must be a whole number between 1 and 512"):
            stacked_versus_single(channels=channels)
    lesson = stacked_versus_single(channels=512, input_size=32)
    assert lesson["one 7x7 conv"]["weights"] == 49 * 512**2


def test_the_builder_names_stay_importable_from_receptive():
    from cnnviz import receptive, stack_builder

    assert receptive.StackLayer is stack_builder.StackLayer and receptive.build_stack is stack_builder.build_stack
    with pytest.raises(AttributeError):
        receptive.no_such_name  # noqa: B018


def test_a_large_legal_stack_is_counted_quickly():
    import time

    layers = [StackLayer("conv", 31, 1, 15, 1, 1024)] * MAX_LAYERS
    report_stack(layers[:1], 3, 512)  # warm up fx
    start = time.perf_counter()
    report = report_stack(layers, 3, 512)
    assert time.perf_counter() - start < 2.0  # ~0.03 s: shapes only, whatever the channel count
    assert report.total_parameters > 3 * 10**10
    assert torch.get_default_device().type == "cpu"  # building on meta leaves the default alone


LENET = [
    StackLayer("conv", 5, 1, 0, channels=6), StackLayer("max pool", 2, 2, 0),
    StackLayer("conv", 5, 1, 0, channels=16), StackLayer("max pool", 2, 2, 0),
    StackLayer("fc", channels=120), StackLayer("fc", channels=84), StackLayer("fc", channels=10),
]


def test_fc_rows_flatten_once_relu_all_but_the_logits_and_count_like_torch():
    real = build_stack(LENET, 1, 32, device="cpu")
    kinds = [type(m).__name__ for m in real]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "ReLU",
                     "Linear", "ReLU", "Linear"]  # no ReLU on the class scores
    assert real[7].in_features == 16 * 5 * 5 and real(torch.rand(2, 1, 32, 32)).shape == (2, 10)
    report = report_stack(LENET, 1, 32)
    # LeNet-5 as published: 400 x 120 + 120, 120 x 84 + 84, 84 x 10 + 10; 61,706 in all.
    assert report.parameters == (156, 0, 2416, 0, 48120, 10164, 850)
    assert report.total_parameters == sum(p.numel() for p in real.parameters()) == 61706
    assert [f.output_shape for f in report.fields][-3:] == [(120,), (84,), (10,)]
    assert all(f.whole_input for f in report.fields[4:]) and not any(f.whole_input for f in report.fields[:4])
    # The diagram is drawn from the same model: one box per layer, the ReLUs and the flatten folded in.
    boxes = report.diagram.boxes
    assert [b.label for b in boxes] == ["Input", "Conv 5×5, 6 + ReLU", "Max pool 2×2 /2", "Conv 5×5, 16 + ReLU",
                                        "Max pool 2×2 /2 + flatten", "FC 120 + ReLU", "FC 84 + ReLU", "FC 10"]
    assert [b.parameters for b in boxes[1:]] == list(report.parameters)


def test_a_conv_or_a_pool_after_an_fc_is_refused_naming_the_layer():
    with pytest.raises(ReceptiveFieldError, match=(
            r"^Layer 3 \(conv 3x3, stride 1, padding 1\) comes after a fully connected layer, which flattened "
            r"the image into a vector: convolutions and poolings come first, the fc layers last\.$")):
        check_stack([StackLayer("conv"), StackLayer("fc", channels=10), StackLayer("conv")], 8)
    with pytest.raises(ReceptiveFieldError, match="^Layer 2: the number of units must be a whole number between 1"):
        stack_from_records([_record(), _record(kind="fc", channels=0)])
    # An fc's window settings are not read: a kernel larger than its input is no error.
    check_stack([StackLayer("conv", 3, 1, 1), StackLayer("fc", kernel=31, padding=0, channels=4)], 4)
