"""The Receptive fields page's arithmetic, checked against worked examples and torch's gradients.

Every number the page prints for a layer (r_in, j_in, k_eff, the start, the unit's rows and columns)
is worked out per axis on square and non-square layers, several deep, and compared with what the
previous layer's row says and with the pixels whose gradient reaches the unit.
"""

import pytest
import torch
from torch import nn

from cnnviz import stack_builder
from cnnviz.lessons import receptive_fields as lesson
from cnnviz.receptive import LayerField, ReceptiveFieldError, receptive_fields
from test_receptive import _clipped, _gradient_support, _positive

SHAPE = (1, 45, 31)


def _non_square_stack() -> nn.Module:
    """Four windows deep, rows and columns differing in kernel, stride, dilation and padding."""
    torch.manual_seed(0)
    return _positive(nn.Sequential(
        nn.Conv2d(1, 2, (3, 5), stride=(2, 1), dilation=(1, 2), padding=(1, 0)),  # 0
        nn.ReLU(),
        nn.Conv2d(2, 2, (3, 3), stride=(1, 2), padding=(2, 1)),  # 2
        nn.AvgPool2d((2, 3), stride=(2, 1), padding=(1, 1)),  # 3
        nn.Conv2d(2, 2, (5, 3), stride=(1, 1), dilation=(2, 1), padding=(0, 1)),  # 4
    ))


def _window_rows(model, shape=SHAPE):
    return [row for row in receptive_fields(model, shape) if row.kind in ("conv", "avg pool", "max pool")]


def test_first_non_square_layer_worked_by_hand():
    first = lesson.recurrence_step(_window_rows(_non_square_stack())[0])
    rows, cols = first.axes
    # Rows: k 3, s 2, p 1, d 1: k_eff 3, r = 1 + 2 × 1 = 3, j = 1 × 2 = 2, start = 0 − 1 × 1 = −1.
    assert (rows.kernel, rows.stride, rows.padding, rows.dilation, rows.k_eff) == (3, 2, 1, 1, 3)
    assert (rows.r_in, rows.j_in, rows.start_in, rows.r_out, rows.j_out, rows.start_out) == (1, 1, 0, 3, 2, -1)
    # Columns: k 5, s 1, p 0, d 2: k_eff 2 × 4 + 1 = 9, r = 1 + 8 × 1 = 9, j = 1, start 0.
    assert (cols.kernel, cols.stride, cols.padding, cols.dilation, cols.k_eff) == (5, 1, 0, 2, 9)
    assert (cols.r_in, cols.j_in, cols.start_in, cols.r_out, cols.j_out, cols.start_out) == (1, 1, 0, 9, 1, 0)
    assert first.text == (
        "**0** (conv, k = 3 x 5, s = 2 x 1, d = 1 x 2): "
        "rows r = 1 + (3 − 1) × 1 = **3**, j = 1 × 2 = **2**; columns r = 1 + (9 − 1) × 1 = **9**, j = 1 × 1 = **1**"
    )


def test_each_step_starts_from_the_field_the_layer_before_gave_and_ends_at_torchs_gradient():
    model = _non_square_stack()
    windows = _window_rows(model)
    assert len(windows) == 4
    _, height, width = SHAPE
    before = [(1, 1, 0), (1, 1, 0)]  # (r, j, start) per axis of the input pixels themselves
    for row in windows:
        step = lesson.recurrence_step(row)
        settings = dict(row.settings)
        for axis, part in enumerate(step.axes):
            assert part.axis == ("rows", "columns")[axis]
            assert part.kernel == settings["kernel"][axis] and part.stride == settings["stride"][axis]
            assert part.padding == settings["padding"][axis]
            assert part.k_eff == part.dilation * (part.kernel - 1) + 1
            assert (part.r_in, part.j_in, part.start_in) == before[axis], (row.name, axis)
            assert part.r_out == part.r_in + (part.k_eff - 1) * part.j_in
            assert part.j_out == part.j_in * part.stride
            assert part.start_out == part.start_in - part.padding * part.j_in
            assert part.formula == (f"r = {part.r_in} + ({part.k_eff} − 1) × {part.j_in} = **{part.r_out}**, "
                                    f"j = {part.j_in} × {part.stride} = **{part.j_out}**")
            assert part.formula in step.text
            before[axis] = (part.r_out, part.j_out, part.start_out)
        # The output field is the one torch's gradient reaches, at the centre and the corners.
        rows, cols = step.axes
        _, out_h, out_w = row.output_shape
        for unit in {(out_h // 2, out_w // 2), (out_h - 1, out_w - 1), (0, 0)}:
            box = (rows.start_out + unit[0] * rows.j_out, cols.start_out + unit[1] * cols.j_out,
                   rows.start_out + unit[0] * rows.j_out + rows.r_out - 1,
                   cols.start_out + unit[1] * cols.j_out + cols.r_out - 1)
            top, left, bottom, right = _clipped(box, height, width)
            if top > bottom or left > right:  # a corner unit that sees only padding has no gradient
                continue
            assert _gradient_support(model, row.module, SHAPE, unit) == _clipped(box, height, width), (row.name, unit)


def test_unit_sentence_names_the_rows_and_columns_torchs_gradient_reaches():
    model = _non_square_stack()
    last = _window_rows(model)[-1]
    _, height, width = SHAPE
    unit = (2, 3)
    seen = lesson.unit_field(last, unit, (height, width))
    top, left, bottom, right = seen.box
    assert _gradient_support(model, last.module, SHAPE, unit) == _clipped(seen.box, height, width)
    rows, cols = lesson.recurrence_step(last).axes
    assert (top, bottom) == (rows.start_out + 2 * rows.j_out, rows.start_out + 2 * rows.j_out + rows.r_out - 1)
    assert (left, right) == (cols.start_out + 3 * cols.j_out, cols.start_out + 3 * cols.j_out + cols.r_out - 1)
    assert f"sees input rows {top} … {bottom} and columns {left} … {right}" in seen.text
    assert (f"rows = −{-rows.start_out} + 2 × {rows.j_out} … + {rows.r_out} − 1; "
            f"columns = −{-cols.start_out} + 3 × {cols.j_out} … + {cols.r_out} − 1" in seen.text)
    assert seen.reaches_padding == (top < 0 or left < 0 or bottom >= height or right >= width)


def test_square_vgg_like_stack_reads_as_one_axis_with_worked_numbers():
    model = _positive(nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.Conv2d(2, 2, 3, padding=1), nn.MaxPool2d(2),
        nn.Conv2d(2, 2, 3, padding=1, dilation=2),
    ))
    steps = [lesson.recurrence_step(row) for row in _window_rows(model, (1, 32, 32))]
    assert [s.text for s in steps] == [
        "**0** (conv, k = 3, s = 1): r = 1 + (3 − 1) × 1 = **3**, j = 1 × 1 = **1**",
        "**1** (conv, k = 3, s = 1): r = 3 + (3 − 1) × 1 = **5**, j = 1 × 1 = **1**",
        "**2** (max pool, k = 2, s = 2): r = 5 + (2 − 1) × 1 = **6**, j = 1 × 2 = **2**",
        "**3** (conv, k = 3, s = 1, d = 2): r = 6 + (5 − 1) × 2 = **14**, j = 2 × 1 = **2**",
    ]
    assert [(s.axes[0].start_in, s.axes[0].start_out) for s in steps] == [(0, -1), (-1, -2), (-2, -2), (-2, -4)]
    # Unit 5 of the last layer: rows −4 + 5 × 2 = 6 … 6 + 14 − 1 = 19, inside the 32 px image.
    seen = lesson.unit_field(_window_rows(model, (1, 32, 32))[-1], (5, 5), (32, 32))
    assert seen.box == (6, 6, 19, 19) and not seen.reaches_padding
    assert "sees input rows 6 … 19 and columns 6 … 19" in seen.text
    assert "(rows = −4 + 5 × 2 … + 14 − 1). " in seen.text and "columns =" not in seen.text.split("(rows")[1]


def test_merges_and_other_layers_say_their_field_without_a_recurrence():
    join = LayerField("block (add)", "add", (4, 8, 8), (7, 9), (2, 2), (3, 4))
    assert lesson.recurrence_step(join).text == (
        "**block (add)** joins paths: its field is the union of theirs, r = 7 x 9 px."
    )
    pad = LayerField("pad", "pad", (1, 10, 10), (1, 1), (1, 1), (1, 1), settings=(("padding", (1, 1, 1, 1)),))
    assert lesson.recurrence_step(pad).text == "**pad** (pad): field 1 px, stride 1 px."
    assert lesson.recurrence_step(pad).axes == ()


def test_visible_pixels_and_the_effective_field_share():
    # A 435 px box from −185 to 249 rows, −25 to 409 columns, on a 224 × 224 image: all of it inside.
    assert lesson.visible_pixels((-185, -25, 249, 409), (224, 224)) == 224 * 224
    # Rows 6 … 217 and columns 6 … 217 lie inside: 212 × 212.
    assert lesson.visible_pixels((6, 6, 217, 217), (224, 224)) == 212 * 212
    # Non-square: rows −3 … 4 (5 inside), columns 10 … 20 on a 15 px wide image (5 inside).
    assert lesson.visible_pixels((-3, 10, 4, 20), (8, 15)) == 5 * 5
    text = lesson.effective_field_text(1_000, (6, 6, 217, 217), (224, 224), untrained=True)
    assert f"strongest 1,000 pixels, {1000 / (212 * 212):.0%} of the {212 * 212:,} pixels" in text
    assert text.endswith("not learned features.")
    assert "untrained" not in lesson.effective_field_text(10, (0, 0, 9, 9), (224, 224), untrained=False)


def test_builder_totals_and_the_small_kernels_numbers():
    report = stack_builder.report_stack(
        [stack_builder.StackLayer("conv", 3, 1, 1, 1, 4), stack_builder.StackLayer("max pool", 2, 2, 0)], 3, 16
    )
    text = lesson.builder_totals_text(report.total_parameters, report.total_mult_adds, report.fields[-1], 16)
    # 4 × 3 × 3 × 3 weights + 4 biases; the pool's units see 3 + (2 − 1) × 1 = 4 px.
    assert report.total_parameters == 112
    assert text.startswith("Total: **112 parameters**, ") and text.endswith("each see **4 px** of the 16 px input.")
    assert f"{report.total_mult_adds:,} multiply-adds" in text
    numbers = stack_builder.stacked_versus_single(channels=8, input_size=32)
    assert numbers["three 3x3 convs"]["weights"] == lesson.STACKED_WEIGHTS_PER_C2 * 8 * 8 == 27 * 64
    assert numbers["one 7x7 conv"]["weights"] == lesson.SINGLE_WEIGHTS_PER_C2 * 8 * 8 == 49 * 64
    assert numbers["three 3x3 convs"]["fields"][-1] == numbers["one 7x7 conv"]["fields"][-1] == 7
    assert "27 C² weights instead of 49 C²" in lesson.SMALL_KERNELS_TEXT


def test_a_corner_unit_reaching_into_the_padding_says_so():
    first = _window_rows(_non_square_stack())[0]
    # Unit (0, 0): rows −1 + 0 × 2 = −1 … 1, columns 0 … 8; the row above the image is padding.
    seen = lesson.unit_field(first, (0, 0), SHAPE[1:])
    assert seen.box == (-1, 0, 1, 8) and seen.reaches_padding
    assert seen.text.endswith("The grey part of the box lies outside the image: padding, zeros.")
    assert "(rows = −1 + 0 × 2 … + 3 − 1; columns = −0 + 0 × 1 … + 9 − 1). " in seen.text


# --- the tabs' Settings -> Result, worked by hand on non-square layers ---------------------------


def _picture(height: int = SHAPE[1], width: int = SHAPE[2]):
    """A grey picture of exactly the network's input size, prepared as the page prepares it."""
    from PIL import Image

    return lesson.prepare(Image.new("L", (width, height), 128), (1, height, width))


class _Gradient:
    """An effective field whose 90% mass is a known number of pixels (asked for any other share: 0)."""

    def __init__(self, strongest: int):
        self.strongest, self.gradient = strongest, torch.ones(SHAPE[1:]).numpy()

    def mass_pixels(self, fraction: float) -> int:
        return self.strongest if fraction == 0.9 else 0


def test_prepare_crops_to_the_networks_rows_and_columns():
    from PIL import Image

    prepared = lesson.prepare(Image.new("RGB", (60, 40), (255, 0, 0)), (1, 45, 31))  # PIL sizes are (W, H)
    assert tuple(prepared.tensor.shape) == (1, 1, 45, 31)
    assert lesson.field_view(lesson.FieldSettings("4", 0, 0, False), receptive_fields(_non_square_stack(), SHAPE),
                             prepared).pixels.shape[:2] == (45, 31)


def test_layer_menu_and_the_chosen_layers_non_square_grid():
    rows = receptive_fields(_non_square_stack(), SHAPE)
    menu = lesson.layer_menu(rows)
    assert menu.names == ("0", "2", "3", "4")  # the ReLU changes no field: no row
    assert menu.default == "2"  # names[4 // 3]
    last = lesson.chosen_layer(rows, "4")
    # conv 4 on 13 x 12: rows 13 − 9 + 1 = 5 (k 5, d 2, p 0), columns 12 + 2 − 3 + 1 = 12 (k 3, p 1).
    assert last.grid == (5, 12) and last.centre == (2, 6)
    assert last.heading == "**Units of 4** (5 × 12 grid, 2 channels): click one"
    assert last.row_input == (0, 4, 2) and last.col_input == (0, 11, 6)
    assert last.has_effective
    merge = LayerField("join", "add", (3, 4, 6), (5, 5), (1, 1), (2, 2))  # no module: no gradient hook
    assert not lesson.chosen_layer([merge], "join").has_effective


def test_a_grid_click_names_a_unit_only_as_a_browser_sends_it_and_is_moved_onto_the_grid():
    def click(customdata):
        return {"selection": {"points": [{"customdata": customdata}]}}

    assert lesson.clicked_unit(click([3, 7])) == (3, 7)
    assert lesson.clicked_unit(click({"1": 7, "0": 3})) == (3, 7)  # an object keyed "0", "1", in any order
    for nonsense in (None, {}, click(["x", 1]), click([1]), click({"a": 1, "b": 2}), click(None),
                     click([float("inf"), 0]), click([[1], {}])):
        assert lesson.clicked_unit(nonsense) is None, nonsense
    # On a 5 x 12 grid the last unit is (4, 11).
    assert lesson.clamp_unit((10**30, -5), (5, 12)) == (4, 0)
    assert lesson.clamp_unit((-1, 99), (5, 12)) == (0, 11)
    assert lesson.clamp_unit((4, 11), (5, 12)) == (4, 11)


def test_stage_ends_keep_the_last_layer_per_stride_and_at_most_six_evenly_spaced():
    def row(name, stride):
        return LayerField(name, "conv", (1, 4, 4), (3, 3), stride, (0, 0))

    rows = [row("a", (1, 1)), row("b", (1, 1)), row("c", (2, 1)), row("d", (2, 2)), row("e", (2, 2))]
    assert [r.name for r in lesson.stage_ends(rows)] == ["b", "c", "e"]  # (2, 1) and (2, 2) are two stages
    eight = [row(str(i), (i + 1, i + 1)) for i in range(8)]
    # round(i × 7 / 5) for i = 0 … 5: 0, 1.4, 2.8, 4.2, 5.6, 7 -> 0, 1, 3, 4, 6, 7.
    assert [r.name for r in lesson.stage_ends(eight)] == ["0", "1", "3", "4", "6", "7"]


def test_field_view_of_a_non_square_unit_worked_by_hand_and_by_torch():
    model = _non_square_stack()
    rows = receptive_fields(model, SHAPE)
    view = lesson.field_view(lesson.FieldSettings("4", 2, 3, effective=False), rows, _picture())
    # Layer 4: rows r 41, j 4, start −7; columns r 19, j 2, start −5 (the recurrence, layer by layer above).
    # Unit (2, 3): rows −7 + 2 × 4 = 1 … 1 + 40 = 41, columns −5 + 3 × 2 = 1 … 1 + 18 = 19.
    assert view.unit == (2, 3) and view.box == (1, 1, 41, 19)
    assert _gradient_support(model, "4", SHAPE, (2, 3)) == view.box
    assert view.title == "4, unit (2, 3): field 41 x 19 px"
    assert view.sentences == (lesson.unit_field(rows[-1], (2, 3), (45, 31)).text,
                              lesson.recurrence_step(rows[-1]).text)
    assert view.effective_text == "" and view.effective_map is None
    # The centre unit of the end of each stride's stage: 0 (2 x 1), 2 (2 x 2), 4 (4 x 2).
    assert view.stages == (
        ("0: 3 x 9 px", (21, 11, 23, 19)),  # unit (11, 11): rows −1 + 22 … + 2, columns 0 + 11 … + 8
        ("2: 7 x 11 px", (19, 11, 25, 21)),  # unit (12, 6): rows −5 + 24 … + 6, columns −1 + 12 … + 10
        ("4: 41 x 19 px", (1, 7, 41, 25)),  # unit (2, 6): rows −7 + 8 … + 40, columns −5 + 12 … + 18
    )
    assert view.chart == lesson.SizeChart(("0", "2", "3", "4"), (9, 11, 15, 41), (2, 2, 4, 4),
                                          (False,) * 4, input_size=45, highlight="4")
    assert view.table[-1] == lesson.FieldTableRow("4", "conv", "2 × 5 × 12", "41 x 19", "4 x 2", "7 x 5")
    assert lesson.records(view.table)[0] == {"Layer": "0", "Kind": "conv", "Output": "2 × 23 × 23",
                                             "Field (px)": "3 x 9", "Stride (px)": "2 x 1", "Padding (px)": "1 x 0"}


def test_field_view_moves_an_off_grid_unit_and_says_the_effective_share_only_when_asked():
    rows = receptive_fields(_non_square_stack(), SHAPE)
    off = lesson.field_view(lesson.FieldSettings("4", 99, -3, effective=True), rows, _picture(), _Gradient(100),
                            untrained=True)
    # Unit (4, 0) of the 5 x 12 grid: rows −7 + 16 = 9 … 49, columns −5 … 13: inside, 36 × 14 = 504 pixels.
    assert off.unit == (4, 0) and off.box == (9, -5, 49, 13)
    assert off.effective_text.startswith(
        f"**Effective field:** 90% of the gradient comes from the strongest 100 pixels, {100 / 504:.0%} of the 504 "
    )
    assert off.effective_text.endswith("not learned features.") and off.sentences[-1] == off.effective_text
    assert off.effective_map is not None
    not_asked = lesson.field_view(lesson.FieldSettings("4", 4, 0, effective=False), rows, _picture(), _Gradient(100))
    assert not_asked.effective_text == "" and len(not_asked.sentences) == 2
    whole = LayerField("pool", "adaptive pool", (2, 1, 1), (45, 31), (4, 2), (0, 0), whole_input=True)
    with_whole = lesson.field_view(lesson.FieldSettings("4", 0, 0, False), [*rows, whole], _picture())
    assert with_whole.table[-1] == lesson.FieldTableRow("pool", "adaptive pool", "2 × 1 × 1", "whole input",
                                                        "4 x 2", "")
    assert with_whole.chart.whole[-1] and with_whole.chart.sizes[-1] == 45
    assert "pool" not in lesson.layer_menu([*rows, whole]).names


def test_small_kernels_rows_worked_by_hand():
    result = lesson.small_kernels(lesson.SmallKernelsSettings(lesson_channels=8))
    three = "conv 3x3, stride 1, padding 1"
    assert result.table == (
        # 3 + 2 = 5, + 2 = 7; 3 × 9 × 8 × 8 weights.
        lesson.StackRow("three 3x3 convs", " → ".join([three] * 3), "3 → 5 → 7", "1,728", 3),
        lesson.StackRow("one 7x7 conv", "conv 7x7, stride 1, padding 3", "7", "3,136", 1),  # 49 × 64
        # Dilation 2 and 4 span 5 and 9 pixels: 3 + 4 = 7, + 8 = 15.
        lesson.StackRow("three 3x3 convs, dilation 1, 2, 4",
                        f"{three} → conv 3x3, stride 1, padding 2, dilation 2 → "
                        "conv 3x3, stride 1, padding 4, dilation 4",
                        "3 → 7 → 15", "1,728", 3),
    )
    assert list(lesson.records(result.table)[1]) == ["Stack", "Layers", "Field after each layer (px)", "Weights",
                                                     "Non-linearities"]
    assert list(result.stacks) == [row.stack for row in result.table]
    with pytest.raises(ReceptiveFieldError, match="between 1 and 512; got 0"):
        lesson.small_kernels(lesson.SmallKernelsSettings(lesson_channels=0))


def test_builder_rows_totals_and_chart_worked_by_hand():
    records = [
        {"kind": "conv", "kernel": 3, "stride": 2, "padding": 1, "dilation": 1, "channels": 4, "ceil_mode": False},
        {"kind": "avg pool", "kernel": 2, "stride": 1, "padding": 0, "dilation": 1, "channels": 4, "ceil_mode": False},
    ]
    calls = []

    def recording(layers, in_channels, size):
        calls.append((tuple(layers), in_channels, size))
        return stack_builder.report_stack(layers, in_channels, size)

    result = lesson.builder(lesson.BuilderSettings("", builder_size=16, builder_channels=1), records, recording)
    assert calls == [(result.layers, 1, 16)]
    # conv: (16 + 2 − 3) // 2 + 1 = 8, 4 × 1 × 9 + 4 = 40 parameters, field 3, stride 2, padding 1;
    # pool: 8 − 2 + 1 = 7, field 3 + (2 − 1) × 2 = 5, stride 2, padding 1.
    assert result.table == (
        lesson.BuilderRow(1, "conv 3x3, stride 2, padding 1", "4 × 8 × 8", "40", "3", "2", "1"),
        lesson.BuilderRow(2, "avg pool 2x2, stride 1, padding 0", "4 × 7 × 7", "0", "5", "2", "1"),
    )
    # Multiply-adds: 4 × 1 × 3 × 3 × 8 × 8 = 2,304 (pooling none).
    assert result.totals == ("Total: **40 parameters**, 2,304 multiply-adds; the last layer's units each see "
                             "**5 px** of the 16 px input.")
    assert result.chart == lesson.SizeChart(("1. conv 3x3", "2. avg pool 2x2"), (3, 5), (2, 2), (False, False),
                                            input_size=16)
    assert lesson.records(result.table)[0]["Output (C × H × W)"] == "4 × 8 × 8"
    with pytest.raises(ReceptiveFieldError, match=r"^The input has 1 channel \(grey\) or 3 \(colour\); got 2\.$"):
        lesson.builder(lesson.BuilderSettings("", 16, 2), records)
    with pytest.raises(ReceptiveFieldError, match="^Layer 1: the stride must"):  # the rows are read first
        lesson.builder(lesson.BuilderSettings("", 16, 2), [{**records[0], "stride": 0}])


def test_presets_become_the_tables_rows():
    rows = lesson.preset_records("Dilated: 3x3 convs with dilation 1, 2, 4, 8")
    assert [(r["kind"], r["kernel"], r["padding"], r["dilation"]) for r in rows] == [
        ("conv", 3, d, d) for d in (1, 2, 4, 8)]
    assert set(rows[0]) == set(lesson.EDITOR_LABELS) == set(stack_builder.STACK_COLUMNS)
    assert lesson.BuilderSettings().builder_preset == "VGG-like: conv, conv, pool, twice, then fc"


def test_count_metrics_and_captions_from_a_table_worked_by_hand():
    from types import SimpleNamespace

    table = SimpleNamespace(
        total_parameters=11_689_512, model_size_mb=44.5898, total_mult_adds=1_814_083_944,
        activation_values=2_466_152, total_activation_bytes=9_864_608, unused_parameters=0,
        input_shape=(3, 224, 200), records=lambda: [{"Layer": "conv1"}],
    )
    result = lesson.count(table, [])
    assert result.metrics == (
        lesson.Metric("Parameters", "11,689,512"),
        lesson.Metric("Model size", "44.59 MB"),
        lesson.Metric("Multiply-adds", "1.81 G"),  # 1,814,083,944 / 10^9
        # 9,864,608 / 2^20 = 9.41 MB.
        lesson.Metric("Activations (one image)", "2.47 M values", "9.4 MB in fp32; roughly double that to train."),
    )
    assert result.captions == (f"For one 3 × 224 × 200 image. {lesson.COUNT_CONVENTIONS}",)
    assert result.layers == [{"Layer": "conv1"}]
    unused = lesson.count(SimpleNamespace(**{**vars(table), "unused_parameters": 1234}), [])
    assert unused.captions[1] == "1,234 parameters belong to parts this forward pass does not use."


def test_network_summary_and_the_comparison_rows_of_a_non_square_network():
    from cnnviz.architecture import architecture_table

    model = nn.Sequential(nn.Conv2d(3, 4, (3, 5)), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 10))
    shape = (3, 10, 12)
    summary = lesson.network_summary("Tiny", architecture_table(model, shape), receptive_fields(model, shape))
    # conv 4 × 3 × 15 + 4 = 184 and linear 40 + 10 = 50 parameters; multiply-adds 4 × 3 × 15 × 8 × 8 + 40;
    # activations (8 × 8 × 4 + 4 + 10) × 4 bytes; the last finite field is the conv's 3 x 5, so 5 px.
    assert summary == lesson.NetworkSummary("Tiny", "3 x 10 x 12", 234, 11_560, 1080 / 2**20, 234 * 4 / 2**20, 5)
    vgg = lesson.NetworkSummary("VGG-16", "3 x 224 x 224", 138_357_544, 15_470_264_320, 58.7, 527.7921, 212)
    result = lesson.count(SimpleTable(), [summary, vgg])
    assert result.comparison[1] == lesson.ComparisonRow("VGG-16", "3 x 224 x 224", "138,357,544", "15.47 G", "58.7 MB",
                                                        "527.79 MB", "212 px")
    assert lesson.records(result.comparison)[0]["Final receptive field"] == "5 px"
    assert result.chart[1] == {"name": "VGG-16", "input": "3 x 224 x 224", "parameters": 138_357_544,
                               "mult_adds": 15_470_264_320, "activation_mb": 58.7, "size_mb": 527.7921,
                               "final_field": 212}


class SimpleTable:
    """The least of an architecture table that lesson.count reads."""

    total_parameters = total_mult_adds = activation_values = total_activation_bytes = unused_parameters = 0
    model_size_mb = 0.0
    input_shape = (1, 2, 3)

    def records(self):
        return []


def test_network_menu_lists_the_zoo_then_checkpoints_under_the_labels_links_carry(tmp_path):
    from types import SimpleNamespace

    from cnnviz.model_ref import ModelRef

    path = tmp_path / "run.pt"
    path.write_bytes(b"")
    checkpoint = ModelRef.checkpoint(path)
    menu = lesson.network_menu([(SimpleNamespace(label="lenet5 on mnist, 98.0%"), checkpoint)])
    zoo = list(lesson.network_titles())
    assert menu.labels[:len(zoo)] == tuple(ModelRef.zoo(name).label for name in zoo)
    assert menu.labels[-1] == "trained: lenet5 on mnist, 98.0%" and menu.refs[-1].key == checkpoint.key
    assert menu.default == "zoo: ResNet-18" and menu.default in menu.labels
    assert lesson.CountSettings().ref == ModelRef.zoo("resnet18")


def test_the_builder_follows_lenet5_through_its_fc_layers_to_the_class_scores():
    preset = "LeNet-5: conv, pool, twice, then three fc"
    result = lesson.builder(lesson.BuilderSettings(preset, builder_size=32, builder_channels=1),
                            lesson.preset_records(preset))
    # 32 - 5 + 1 = 28, pooled 14; 14 - 5 + 1 = 10, pooled 5; then 16 x 5 x 5 = 400 values flattened.
    assert [row.output for row in result.table] == ["6 × 28 × 28", "6 × 14 × 14", "16 × 10 × 10", "16 × 5 × 5",
                                                    "120", "84", "10"]
    assert [row.parameters for row in result.table] == ["156", "0", "2,416", "0", "48,120", "10,164", "850"]
    assert result.table[4] == lesson.BuilderRow(5, "fc, 120 units", "120", "48,120", "whole", "", "")
    assert result.fc_notes == (
        "Layer 5 (fc, 120 units): 16 × 5 × 5 = 400 inputs, so 400 × 120 + 120 = **48,120 parameters**.",
        "Layer 6 (fc, 84 units): 120 inputs, so 120 × 84 + 84 = **10,164 parameters**.",
        "Layer 7 (fc, 10 units): 84 inputs, so 84 × 10 + 10 = **850 parameters**; its 10 outputs are the class "
        "scores (logits).",
    )
    # Multiply-adds: 6·25·784 + 16·150·100 + 400·120 + 120·84 + 84·10 = 117,600 + 240,000 + 58,920.
    assert result.totals == ("Total: **61,706 parameters**, 416,520 multiply-adds; the last layer gives **10 class "
                             "scores** (logits), each computed from the whole 32 px input.")
    pattern = result.pattern
    assert pattern.general == "INPUT → [[CONV → RELU] × N → POOL?] × M → [FC → RELU] × K → FC"
    assert (pattern.instance, pattern.letters, pattern.problem) == (
        "INPUT → [[CONV → RELU] × 1 → POOL] × 2 → [FC → RELU] × 2 → FC", "N = 1, M = 2, K = 2", None)
    # The pattern's parts as brackets over the diagram's boxes (box 0 is the input, box n layer n).
    assert pattern.brackets == ((1, 2, "[CONV → RELU] × 1 → POOL"), (3, 4, "[CONV → RELU] × 1 → POOL"),
                                (5, 6, "[FC → RELU] × 2"), (7, 7, "FC: the class scores"))
    assert result.chart.names[4:] == ("5. fc 120", "6. fc 84", "7. fc 10") and result.chart.whole[4:] == (True,) * 3
    assert [box.shape_text for box in result.report.diagram.boxes][-3:] == ["120", "84", "10"]


def test_a_stack_without_fc_says_what_the_pattern_still_needs():
    preset = "Dilated: 3x3 convs with dilation 1, 2, 4, 8"
    result = lesson.builder(lesson.BuilderSettings(preset), lesson.preset_records(preset))
    assert result.pattern.instance == "INPUT → [[CONV → RELU] × 4] × 1" and result.fc_notes == ()
    assert result.pattern.problem.startswith("It has no FC layer yet: the pattern ends in an FC layer")
    records = lesson.preset_records(preset)[:1] + [{"kind": "max pool", "kernel": 2, "stride": 2, "padding": 0}] * 2
    records.append({"kind": "fc", "channels": 10})
    bad = lesson.builder(lesson.BuilderSettings(preset), records).pattern
    assert bad.instance is None and bad.problem.startswith("Layer 3 (max pool) pools right after another pooling")
    assert bad.brackets == ()  # nothing bracketed in a stack that leaves the pattern
