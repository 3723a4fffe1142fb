"""The Receptive fields page's arithmetic, checked against worked examples and torch's gradients.

Every number the page prints for a layer (r_in, j_in, k_eff, the start, the unit's rows and columns)
is worked out per axis on square and non-square layers, several deep, and compared with what the
previous layer's row says and with the pixels whose gradient reaches the unit.
"""

import torch
from torch import nn

from cnnviz import stack_builder
from cnnviz.lessons import receptive_fields as lesson
from cnnviz.receptive import LayerField, receptive_fields
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
