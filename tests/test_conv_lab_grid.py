"""Every combination of the convolution lab's controls either renders or shows one sentence.

The lab's settings (operation, kernel size, stride, padding, padding mode, dilation, groups,
output padding) are walked over every value their widgets offer, on inputs the page builds: the
numeric grid at its smallest and largest size, and a grey and an RGB photo. Each combination goes
through cnnviz the way pages/conv_lab.py sends it: a cnnviz.lessons.conv_lab.Settings holding the
widgets' values, dashboard.caches.conv_lab.result (the lesson's compute: layer, checks, size limit,
output), then the lesson's cell_view and player_figures for the player. One of:

- it renders: the output has torch's shape and values, the page's formulas and metrics agree with
  it, and explain_cell at the first, a middle and the last output cell equals torch there;
- it is refused with ConvSettingsError carrying one plain sentence that names a setting.

And the refused set is exactly what torch refuses, torch being called directly (torch.nn.functional
with the same arguments, not through cnnviz), apart from DELIBERATE_REFUSALS.

What is enumerated, per operation and input:
- the page's ranges, declared once in cnnviz.lessons.conv_lab (page_controls), which the page's
  widgets read, so the grid follows the page: stride,
  every padding entry ('same' and 'valid' included), dilation, the padding mode (convolution only:
  the page ignores it otherwise), groups 1/2/3 (convolution and transposed, 3 channels only),
  output padding (transposed only);
- kernel sizes: each side over its full range 1..11 on each axis, as KERNEL_PAIRS pairs them
  (every square, and each odd side against its mirror: 1x11, 3x9, 5x7 and back). Each axis'
  output size depends on its own side only, so every side meets every other setting; the full
  11 x 11 product would take seven times as long;
- the kernel's values (the preset menu and the editable table only change numbers, not shapes):
  small whole numbers, per colour channel or shared, flipped or not, bias 0 or 1.5, varied from
  one combination to the next by a seeded coin; test_every_preset_builds_or_says_why covers the
  preset menu at every size;
- the player's figures (plotly, ~3 ms each) for the first and the last rendering combination of
  each padding entry, at the first and at the last output cell.

test_forty_random_links_render_or_say_why then opens the real page from 40 seeded links
(bind="query-params": the widget keys are the parameter names), photos at the page's own size.
"""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from cnnviz import conv, kernels
from cnnviz.lessons import conv_lab as lesson

pytestmark = [
    pytest.mark.usefixtures("one_torch_thread"),
    # torch warns about copying the input for 'same' with an even kernel: expected here.
    pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths"),
]

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "pages" / "conv_lab.py"

PHOTO = "cat"  # 451 x 300, shrunk to 8 x 5: not square, so a swapped height and width shows
PHOTO_SIDE = 8  # the page's lesson.MAX_PHOTO_SIDE is 512; same functions, fewer numbers
GRID_EXAMPLE = "Random digits"  # digits 0-9, no symmetry: a flipped or transposed index shows
CHANNEL_NAMES = ("R", "G", "B")  # the page's names for the output-channel radio and the patch
ATOL, RTOL = 1e-4, 1e-6

# Refused by the page although torch, given the numbers the page would use, has an output. Each
# is a choice the page makes on purpose; test_every_combination_renders_or_says_why fails on any
# other refusal that torch would not make.
DELIBERATE_REFUSALS = {
    # torch pooling has no 'same'; the page pads a pooling window by the centred D*(F-1)/2, which
    # keeps the input's size only with stride 1, so like nn.Conv2d it refuses 'same' with stride > 1.
    "'same' pooling with stride > 1": lambda op, stride, padding: (
        op in ("max_pool", "avg_pool") and padding == "same" and stride > 1
    ),
}


# --- The page's controls, read from its source -------------------------------------------------------


def page_controls() -> dict[str, list]:
    """The values each widget of the lab's 2-D tab offers, by widget key.

    cnnviz.lessons.conv_lab declares them once and the page's widgets read them from there.
    """

    def both_ends(bounds: tuple[int, int]) -> list[int]:
        return list(range(bounds[0], bounds[1] + 1))

    return {
        "conv_operation": list(lesson.OPERATIONS),
        "conv_grid_example": list(kernels.GRID_EXAMPLES),
        "conv_grid_size": list(lesson.GRID_SIZES),
        "conv_kh": both_ends(lesson.KERNEL_SIDES),
        "conv_kw": both_ends(lesson.KERNEL_SIDES),
        "conv_stride": both_ends(lesson.STRIDES),
        "conv_padding": list(lesson.PADDINGS),
        "conv_padding_mode": list(conv.PADDING_MODES),
        "conv_dilation": both_ends(lesson.DILATIONS),
        "conv_groups": list(lesson.GROUPS),
        "conv_output_padding": both_ends(lesson.OUTPUT_PADDINGS),
        "OPERATIONS": lesson.OPERATIONS,
    }


CONTROLS = page_controls()
KERNEL_SIDES = CONTROLS["conv_kh"]
# Every square, and every odd side against its mirror on the anti-diagonal (1x11, 3x9, 5x7 and
# back): each side from 1 to 11 on each axis, wide, tall, small and large kernels, even and odd.
KERNEL_PAIRS = sorted({(k, k) for k in KERNEL_SIDES}
                      | {(k, KERNEL_SIDES[0] + KERNEL_SIDES[-1] - k) for k in KERNEL_SIDES if k % 2})
GRID_SIZES = (CONTROLS["conv_grid_size"][0], CONTROLS["conv_grid_size"][-1])
INPUTS = (f"grid {GRID_SIZES[0]}x{GRID_SIZES[0]}", f"grid {GRID_SIZES[1]}x{GRID_SIZES[1]}", "grey photo", "RGB photo")


def test_the_grid_covers_the_page_controls():
    """The ranges this file walks are the page's own, and they are the small ones it promises."""
    assert list(CONTROLS["OPERATIONS"].values()) == list(conv.OPERATIONS)
    assert CONTROLS["conv_stride"] == [1, 2, 3, 4, 5]
    assert CONTROLS["conv_dilation"] == [1, 2, 3, 4]
    assert CONTROLS["conv_output_padding"] == [0, 1, 2, 3, 4]
    assert {"same", "valid", "0"} <= set(CONTROLS["conv_padding"])
    assert CONTROLS["conv_padding_mode"] == list(conv.PADDING_MODES)
    assert CONTROLS["conv_groups"] == [1, 2, 3]
    assert KERNEL_SIDES == CONTROLS["conv_kw"] == list(range(1, kernels.MAX_KERNEL_SIDE + 1))
    for axis in (0, 1):
        assert {pair[axis] for pair in KERNEL_PAIRS} == set(KERNEL_SIDES)
    assert {(1, 11), (11, 1), (3, 3), (2, 2), (5, 7), (7, 5)} <= set(KERNEL_PAIRS)


@pytest.fixture
def native_torch_kernels():
    """torch's own CPU kernels instead of oneDNN's for the walk through the grid.

    oneDNN compiles a kernel for every new combination of shapes (about 0.5 ms for a transposed
    convolution) and nearly every combination here is new: 70 times slower, same numbers.
    """
    import torch

    enabled = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    yield
    torch.backends.mkldnn.enabled = enabled


# --- The inputs, built by the page's functions ---------------------------------------------------------


@pytest.fixture
def lab_cache():
    """dashboard.caches.conv_lab's functions without Streamlit's cache, photos at PHOTO_SIDE.

    result looks lab_input up by name when it runs, so replacing the module attribute with a
    plain memo of the undecorated function sends every call through it. Per test, so that the
    page opened by AppTest afterwards finds dashboard.caches as it is.
    """
    from dashboard.caches import conv_lab as conv_lab_cache

    undecorated_input = conv_lab_cache.lab_input.__wrapped__
    memo = {}

    def conv_lab_input(source, name, grey, grid=None, _picture=None):
        key = (source, name, grey, grid)
        if key not in memo:
            memo[key] = undecorated_input(source, name, grey, grid, _picture=_picture)
        return memo[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lesson.inputs, "MAX_PHOTO_SIDE", PHOTO_SIDE)  # where photo_input reads it
        patch.setattr(conv_lab_cache, "lab_input", conv_lab_input)
        yield {"input": conv_lab_input, "result": conv_lab_cache.result.__wrapped__}


def page_input(name: str) -> tuple[str, str, bool, tuple | None]:
    """What choose_input() returns for one of INPUTS: (source, name, grey, grid rows)."""
    if name.startswith("grid"):
        size = int(name.split("x")[-1])
        # The page's data editor holds example_grid(...); grid_from_table reads it back.
        grid = kernels.grid_from_table(kernels.example_grid(GRID_EXAMPLE, size), "input grid")
        return "grid", "", True, tuple(map(tuple, grid.tolist()))
    return "photo", PHOTO, name == "grey photo", None


class KernelValues:
    """The kernel table(s) the page's editors would hand over, per kernel size, seeded, and the
    kernels torch must apply for them.

    Small whole numbers keep every sum exact in float32, so hand sums and torch agree to the bit
    on grids; photos in [0, 1] stay within ATOL.
    """

    def __init__(self, seed: int = 8):
        self._rng = np.random.default_rng(seed)
        self._grids: dict[tuple[int, int], list[np.ndarray]] = {}
        self._tuples: dict[tuple, tuple] = {}
        self._arrays: dict[tuple, np.ndarray] = {}

    def page_kernels(self, size: tuple[int, int], channels: int, per_channel: bool, flipped: bool) -> tuple:
        """choose_kernels' tuple: the editors' grids as typed, one per input channel when the page
        offers and the student chose a kernel per channel (3 channels), else one shared."""
        return self._build(size, channels, per_channel, flipped)[0]

    def array(self, size: tuple[int, int], channels: int, per_channel: bool, flipped: bool) -> np.ndarray:
        """What torch must apply for them: float32 (C_in, F_h, F_w), the shared grid copied to every
        channel, each grid turned by 180 degrees for a true convolution (flipped)."""
        return self._build(size, channels, per_channel, flipped)[1]

    def _build(self, size, channels, per_channel, flipped) -> tuple[tuple, np.ndarray]:
        key = (size, channels, per_channel, flipped)
        if key not in self._tuples:
            if size not in self._grids:
                tables = self._rng.integers(-2, 3, size=(3, *size))  # (3, F_h, F_w): one per channel
                self._grids[size] = [kernels.grid_from_table(table, "kernel") for table in tables]
            typed = self._grids[size][:channels] if per_channel and channels == 3 else self._grids[size][:1]
            self._tuples[key] = tuple(tuple(map(tuple, grid.tolist())) for grid in typed)
            applied = typed if len(typed) == channels else [typed[0]] * channels
            if flipped:
                applied = [grid[::-1, ::-1] for grid in applied]
            self._arrays[key] = np.asarray(applied, dtype=np.float32)  # (C_in, F_h, F_w)
        return self._tuples[key], self._arrays[key]


# --- What the page does with its widgets' values --------------------------------------------------------


def reachable(operation: str, channels: int):
    """Every (kernel size, stride, padding choice, mode, dilation, groups, output padding) the
    page can pass for this operation and channel count, as choose_settings passes them: the mode
    only for convolution ('zeros' otherwise), groups only for convolution and transposed on 3
    channels, output padding only for transposed."""
    modes = CONTROLS["conv_padding_mode"] if operation == "conv" else ["zeros"]
    groups = CONTROLS["conv_groups"] if operation in ("conv", "transposed") and channels == 3 else [1]
    output_paddings = CONTROLS["conv_output_padding"] if operation == "transposed" else [0]
    return itertools.product(KERNEL_PAIRS, CONTROLS["conv_stride"], CONTROLS["conv_padding"], modes,
                             CONTROLS["conv_dilation"], groups, output_paddings)


def lab_settings(operation, combo, input_name=None, per_channel=False, flipped=False, bias=0.0) -> lesson.Settings:
    """The lesson Settings the page's widgets give for one combination (on one of INPUTS, or with
    the page's default input)."""
    kernel_size, stride, padding_choice, mode, dilation, groups, output_padding = combo
    inputs = {}
    if input_name is not None:
        source, name, grey, _ = page_input(input_name)
        inputs = (dict(conv_source="Numeric grid", conv_grid_example=GRID_EXAMPLE,
                       conv_grid_size=int(input_name.split("x")[-1])) if source == "grid"
                  else dict(conv_source="Photo", conv_photo=name, conv_grey=grey))
    return lesson.Settings(
        conv_operation=OPERATION_LABELS[operation], conv_kh=kernel_size[0], conv_kw=kernel_size[1],
        conv_per_channel=per_channel, conv_bias=bias, conv_flip=flipped, conv_stride=stride,
        conv_padding=padding_choice, conv_padding_mode=mode, conv_dilation=dilation, conv_groups=groups,
        conv_output_padding=output_padding, **inputs)


def page_settings(operation, channels, height, width, kernel_size, stride, padding_choice, mode, dilation, groups,
                  output_padding):
    """The layer the page builds from its controls and checks, as lesson.compute does (the lesson's
    Settings, then checked_layer): (layer or None, warnings, error text or None)."""
    combo = (kernel_size, stride, padding_choice, mode, dilation, groups, output_padding)
    return lesson.checked_layer(lab_settings(operation, combo), channels, height, width)


# --- torch's own answer -------------------------------------------------------------------------------


def torch_answer(operation, x, kernel_array, bias, kernel_size, stride, padding_choice, mode, dilation, groups,
                 output_padding):
    """torch.nn.functional on the same numbers, not through cnnviz: (C_out, H_out, W_out) or None.

    None where torch has no output: it raises, or the output is empty. Where a control is not a
    torch argument, the page's meaning is used: 'valid' is padding 0 for transposed convolution
    and pooling (their torch layers take numbers only); 'same' pooling pads D*(F-1)/2 on each side,
    and when that is not a whole number torch pooling (symmetric padding only) has no answer;
    average pooling has no dilation argument, so dilation > 1 has no answer either.
    """
    import torch
    import torch.nn.functional as F

    xt = torch.from_numpy(x)[None]  # (1, C_in, H, W)
    channels = x.shape[0]
    kh, kw = kernel_size
    padding = padding_choice if padding_choice in ("same", "valid") else int(padding_choice)
    if operation != "conv" and padding == "valid":
        padding = 0
    try:
        if operation in ("max_pool", "avg_pool"):
            if padding == "same":
                totals = [dilation * (k - 1) for k in kernel_size]
                if any(total % 2 for total in totals):
                    return None
                padding = tuple(total // 2 for total in totals)
            if operation == "avg_pool":
                if dilation > 1:
                    return None
                out = F.avg_pool2d(xt, kernel_size, stride, padding)
            else:
                out = F.max_pool2d(xt, kernel_size, stride, padding, dilation)
        else:
            out_channels = 1 if groups == 1 else groups
            grids = torch.from_numpy(kernel_array)  # (C_in, F_h, F_w)
            b = torch.full((out_channels,), bias, dtype=torch.float32)
            if operation == "transposed":
                # (C_in, C_out/groups, F_h, F_w): input channel c spreads through its own grid.
                weight = grids[:, None]
                out = F.conv_transpose2d(xt, weight, b, stride, padding, output_padding, groups, dilation)
            else:
                # groups=1: one output summing every channel's grid; groups=3: one output per channel.
                weight = grids[None] if groups == 1 else grids[:, None]  # (1, C, F_h, F_w) or (C, 1, F_h, F_w)
                if groups not in (1, channels):
                    weight = grids[: out_channels, None]  # any layout: torch checks the groups
                if mode == "zeros":
                    out = F.conv2d(xt, weight, b, stride, padding, dilation, groups)
                else:
                    # What nn.Conv2d does for another padding mode: F.pad, then no padding.
                    if padding == "valid":
                        pads = (0, 0, 0, 0)
                    elif padding == "same":
                        if stride > 1:  # nn.Conv2d refuses this when built
                            raise ValueError("padding='same' is not supported for strided convolutions")
                        totals = [dilation * (k - 1) for k in (kw, kh)]
                        pads = (totals[0] // 2, totals[0] - totals[0] // 2, totals[1] // 2, totals[1] - totals[1] // 2)
                    else:
                        pads = (padding,) * 4
                    out = F.conv2d(F.pad(xt, pads, mode=mode), weight, b, stride, 0, dilation, groups)
    except (RuntimeError, ValueError, TypeError):
        return None
    if out.numel() == 0:
        return None
    return out[0].numpy()  # (C_out, H_out, W_out)


# --- What makes a good sentence --------------------------------------------------------------------------

SETTING_WORDS = re.compile(r"stride|padding|dilat|kernel|groups|window|pooling|transposed", re.IGNORECASE)
TORCH_PHRASES = ("Traceback", "RuntimeError", "Calculated", "Given input size", "Kernel size can't",
                 "Output size is too small", "pad should be", "Padding size should be", "Padding value causes",
                 "expected input", "must be tuple of ints", "not supported for strided")


def sentence_problem(text: str) -> str | None:
    """Why `text` is not one plain sentence naming a setting and its value, or None."""
    if not text or not text.strip():
        return "empty message"
    if "\n" in text:
        return "several lines"
    if not text.endswith("."):
        return "does not end with a period"
    if re.search(r"[.!?]\s+[A-Z]", text):
        return "more than one sentence"
    if any(phrase in text for phrase in TORCH_PHRASES):
        return "torch's message"
    if not SETTING_WORDS.search(text):
        return "names no setting"
    if not re.search(r"\d|'same'", text):
        return "names no value"
    return None


def refusal_reason(text: str) -> str:
    """A short label for the report: which check refused."""
    labels = (
        ("'same' padding needs stride 1", "'same' with stride > 1"),
        ("No output", "kernel wider than the padded input / nothing left"),
        ("must divide", "groups do not divide the channels"),
        ("Output padding", "output padding >= stride and dilation"),
        ("Reflect padding", "reflect padding >= input side"),
        ("Circular padding", "circular padding > input side"),
        ("more than half", "pooling padding > half the window"),
        ("Average pooling has no dilation", "average pooling with dilation"),
        ("'same' pooling with an even", "'same' pooling with an even span"),
        ("not defined for a transposed", "'same' transposed"),
    )
    return next((label for start, label in labels if start in text), text)


# --- The walk -----------------------------------------------------------------------------------------


def last_number(line: str) -> int:
    return int(re.findall(r"-?\d+", line)[-1])


def check_rendered(settings, result, expected, lines, warnings_, kernel_array, height, width):
    """Problems with one rendered combination (empty list: it renders and agrees with torch)."""
    problems = []
    output = result.output
    if expected is None:
        return [f"renders {output.shape} but torch has no output"]
    if output.shape != expected.shape:
        return [f"output {output.shape}, torch {expected.shape}"]
    if settings.output_shape(height, width) != expected.shape:
        problems.append(f"output_shape {settings.output_shape(height, width)}, torch {expected.shape}")
    if not np.allclose(output, expected, atol=ATOL, rtol=RTOL):
        problems.append(f"output differs from torch by {np.abs(output - expected).max():.3g}")
    c_out, out_h, out_w = expected.shape
    if (last_number(lines[0]), last_number(lines[1])) != (out_h, out_w):
        problems.append(f"formulas end in {last_number(lines[0])}, {last_number(lines[1])}")
    if settings.is_pool:
        if conv.window_reads(settings, height, width) != output.size * np.prod(settings.kernel_size):
            problems.append("window_reads")
    else:
        if not np.array_equal(result.kernels, kernel_array):
            problems.append("the kernels applied are not the editors' grids (copied, flipped) torch was given")
        count = int(kernel_array.size) + c_out  # the grids, one bias per output
        if conv.parameter_count(settings) != count:
            problems.append(f"parameter_count {conv.parameter_count(settings)}, expected {count}")
        conv.multiply_adds(settings, height, width)
    for warning in warnings_:
        if not warning.endswith("."):
            problems.append(f"warning not a sentence: {warning!r}")
    grid_values, kinds = result.grid, result.kinds
    if grid_values.shape[1:] != settings.grid_shape(height, width) or kinds.shape != grid_values.shape[1:]:
        problems.append(f"sliding grid {grid_values.shape}, kinds {kinds.shape}")
    for channel, row, col in {(0, 0, 0), (c_out // 2, out_h // 2, out_w // 2), (c_out - 1, out_h - 1, out_w - 1)}:
        cell = conv.explain_cell(result.x, result.weight, result.bias, settings, channel, row, col)
        torch_value = float(expected[channel, row, col])
        if not (cell.value == torch_value or abs(cell.value - torch_value) <= ATOL + RTOL * abs(torch_value)):
            problems.append(f"explain_cell({channel}, {row}, {col}) = {cell.value}, torch {torch_value}")
        if (cell.grid_rows.max() >= kinds.shape[0] or cell.grid_cols.max() >= kinds.shape[1]
                or cell.grid_rows.min() < 0 or cell.grid_cols.min() < 0):
            problems.append(f"window of cell ({row}, {col}) leaves the sliding grid {kinds.shape}")
    return problems


def draw_player(result, height: int, width: int, last: bool) -> None:
    """Build what player() draws for the first or the last output cell (raises on any error)."""
    settings, output = result.layer, result.output
    c_out, out_h, out_w = output.shape
    view = lesson.cell_view(result, result.last_position if last else 0, c_out - 1 if last else 0)
    cell = view.explanation
    assert (view.cell.channel, view.cell.row, view.cell.col) == ((c_out - 1, out_h - 1, out_w - 1) if last
                                                                 else (0, 0, 0))
    assert (view.position, view.total) == (out_h * out_w - 1 if last else 0, out_h * out_w)
    assert (view.window.grid_rows.tolist(), view.window.grid_cols.tolist()) == (cell.grid_rows.tolist(),
                                                                                cell.grid_cols.tolist())
    origin = settings.input_origin()
    assert view.input_box == (None if settings.is_transposed else (origin[0], origin[1], height, width))
    assert view.channel_names == ([CHANNEL_NAMES[c] for c in cell.in_channels] if settings.in_channels == 3 else None)
    if cell.argmax is not None:
        assert view.argmax == (cell.grid_rows[cell.argmax[1]], cell.grid_cols[cell.argmax[2]])
    assert (view.scatter is not None) == settings.is_transposed
    lesson.player_figures(result, view)


def walk(operation: str, input_name: str, lab_cache) -> dict:
    """Every reachable combination of `operation` on one input: problems, and a tally for the report."""
    kernel_tables = KernelValues()
    coin = random.Random(8)
    problems: list[str] = []
    tally: Counter = Counter()
    deliberate: Counter = Counter()
    source, name, grey, grid = page_input(input_name)
    x = lab_cache["input"](source, name, grey, grid)
    channels, height, width = x.shape
    to_draw: dict[str, list] = {}  # per padding choice: the first and last combination that renders
    for combo in reachable(operation, channels):
        kernel_size, stride, padding_choice, mode, dilation, groups, output_padding = combo
        variant = coin.getrandbits(3)
        kernel_values = kernel_array = None
        if operation in ("conv", "transposed"):
            look = (kernel_size, channels, bool(variant & 1), bool(variant & 2))  # per channel, flipped
            kernel_values, kernel_array = kernel_tables.page_kernels(*look), kernel_tables.array(*look)
        bias = 1.5 if variant & 4 else 0.0
        try:
            page = lab_settings(operation, combo, input_name, per_channel=bool(variant & 1), flipped=bool(variant & 2),
                                bias=bias)
            result = lab_cache["result"](page, source, name, grid, kernel_values)
            settings, warnings_, error_text = result.layer, list(result.warnings), result.refusal
            expected = torch_answer(operation, x, kernel_array, bias, *combo)
            if settings is not None:  # the page writes these even when the settings are refused
                lines = result.arithmetic.formula_lines
            if error_text is not None:
                tally[f"refused: {refusal_reason(error_text)}"] += 1
                found = ["refused, yet it has an output to play"] if result.playable else []
                problem = sentence_problem(error_text)
                if problem:
                    found.append(f"{problem}: {error_text!r}")
                if expected is not None:
                    why = [label for label, applies in DELIBERATE_REFUSALS.items()
                           if applies(operation, stride, padding_choice)]
                    if why:
                        deliberate[why[0]] += 1
                    else:
                        found.append(f"refused but torch gives {expected.shape}: {error_text!r}")
            else:
                found = check_rendered(settings, result, expected, lines, warnings_, kernel_array, height, width)
                if not found:
                    tally["renders"] += 1
                    first_last = to_draw.setdefault(padding_choice, [combo, combo])
                    first_last[1] = combo
        except Exception as error:  # noqa: BLE001 - any other exception is the failure looked for
            found = [f"{type(error).__name__}: {error}"]
        problems += [f"{operation} on {input_name} {height}x{width}, {describe(combo)}: {problem}" for problem in found]
    for combo_first, combo_last in to_draw.values():
        for combo, last in ((combo_first, False), (combo_last, True)):
            kernel_values = None
            if operation in ("conv", "transposed"):
                kernel_values = kernel_tables.page_kernels(combo[0], channels, per_channel=True, flipped=False)
            try:
                page = lab_settings(operation, combo, input_name, per_channel=True, bias=1.5)
                draw_player(lab_cache["result"](page, source, name, grid, kernel_values), height, width, last)
                tally["player drawn"] += 1
            except Exception as error:  # noqa: BLE001
                problems.append(f"{operation} on {input_name}, {describe(combo)}: drawing: "
                                f"{type(error).__name__}: {error}")
    return {"problems": problems, "tally": tally, "deliberate": deliberate}


def describe(combo) -> str:
    kernel_size, stride, padding_choice, mode, dilation, groups, output_padding = combo
    return (f"kernel {kernel_size[0]}x{kernel_size[1]}, stride {stride}, padding {padding_choice!r}, mode {mode}, "
            f"dilation {dilation}, groups {groups}, output padding {output_padding}")


@pytest.mark.parametrize("input_name", INPUTS)
@pytest.mark.parametrize("operation", conv.OPERATIONS)
def test_every_combination_renders_or_says_why(operation, input_name, lab_cache, native_torch_kernels):
    walked = walk(operation, input_name, lab_cache)
    tally, problems = walked["tally"], walked["problems"]
    checked = sum(count for label, count in tally.items() if label != "player drawn")
    print(f"\n{operation} on {input_name}: {checked} combinations;", dict(sorted(tally.items())),
          "deliberate:", dict(walked["deliberate"]))
    assert not problems, f"{len(problems)} problems, the first ones:\n" + "\n".join(problems[:12])
    assert tally["renders"] > 0 and tally["player drawn"] > 0
    if operation in ("max_pool", "avg_pool"):
        # The documented deliberate refusal does happen (torch would have given an output).
        assert walked["deliberate"]["'same' pooling with stride > 1"] > 0
    else:
        assert not walked["deliberate"]


# --- The inputs and kernels the page can build ---------------------------------------------------------


def test_every_preset_builds_or_says_why():
    """The kernel menu at every size the page offers: a (F_h, F_w) grid, or a sentence naming
    the preset and the size (the page then shows it and draws no output)."""
    failures = []
    for name, height, width in itertools.product(kernels.preset_names(), KERNEL_SIDES, KERNEL_SIDES):
        try:
            kernel = kernels.make_kernel(name, height, width)
        except kernels.KernelPresetError as error:
            text = str(error)
            if kernels.preset(name).fixed is None or min(height, width) >= 3:
                failures.append(f"{name} {height}x{width} refused: {text}")
            if name not in text or f"{height}x{width}" not in text or not text.endswith("."):
                failures.append(f"{name} {height}x{width}: unclear {text!r}")
            continue
        if kernel.shape != (height, width) or not np.isfinite(kernel).all():
            failures.append(f"{name} {height}x{width}: {kernel.shape}")
    assert not failures, "\n".join(failures[:12])


def test_every_grid_example_and_photo_gives_the_page_an_input(lab_cache):
    """Every example at every size of the size slider, every sample photo grey and in colour:
    a finite float32 (C, H, W) the lab can use."""
    from cnnviz import images

    for example, size in itertools.product(CONTROLS["conv_grid_example"], CONTROLS["conv_grid_size"]):
        grid = kernels.grid_from_table(kernels.example_grid(example, size), "input grid")
        x = lab_cache["input"]("grid", "", True, tuple(map(tuple, grid.tolist())))
        expected = 5 if example == "Classic 5x5 example" else size
        assert x.shape == (1, expected, expected) and x.dtype == np.float32, (example, size)
    for photo, grey in itertools.product(images.sample_image_names(), (True, False)):
        x = lab_cache["input"]("photo", photo, grey, None)
        assert x.dtype == np.float32 and x.shape[0] == (1 if grey else 3) and max(x.shape[1:]) == PHOTO_SIDE, photo
        assert 0.0 <= x.min() and x.max() <= 1.0, photo


# --- Through the page, from links --------------------------------------------------------------------

# AppTest's switch_page runs a page file alone; the shared-links harness runs it inside
# dashboard.page_frame.run as the router does (so the widgets are seeded from the link by the page's own
# bind="query-params"), with every page registered (so its link to Inside a network resolves).
from test_shared_links import HARNESS  # noqa: E402
OPERATION_LABELS = {value: label for label, value in CONTROLS["OPERATIONS"].items()}
LINK_PRESETS = ("Classic X (worked example)", "Sobel x", "Box blur", "Gaussian blur", "Identity")


def random_link(rng: random.Random) -> tuple[dict[str, str], dict]:
    """A link a lecturer could share, naming only widgets the page shows for it: (query, facts)."""
    grid = rng.random() < 0.75  # photos are 512 px in the page: slower, so fewer of them
    operation = rng.choice(conv.OPERATIONS)
    sides = KERNEL_SIDES[:5] if rng.random() < 0.7 else KERNEL_SIDES  # small kernels fit more often
    kh, kw = rng.choice(sides), rng.choice(sides)
    query = {"conv_operation": OPERATION_LABELS[operation], "conv_kh": str(kh), "conv_kw": str(kw),
             "conv_stride": str(rng.choice(CONTROLS["conv_stride"])),
             "conv_padding": rng.choice(CONTROLS["conv_padding"]),
             "conv_dilation": str(rng.choice(CONTROLS["conv_dilation"]))}
    preset = rng.choice(LINK_PRESETS)
    if grid:
        size = rng.choice(CONTROLS["conv_grid_size"])
        query |= {"conv_source": "Numeric grid", "conv_grid_example": GRID_EXAMPLE, "conv_grid_size": str(size)}
        channels, height, width = 1, size, size
    else:
        grey = rng.random() < 0.5
        query |= {"conv_source": "Photo", "conv_photo": PHOTO, "conv_grey": str(grey).lower()}
        from cnnviz import images

        width, height = images.shrink_to(images.load_sample_image(PHOTO), lesson.MAX_PHOTO_SIDE).size
        channels = 1 if grey else 3
    groups = output_padding = 0
    mode = "zeros"
    if operation in ("conv", "transposed"):  # pooling shows no kernel menu
        query["conv_kernel_grid_preset" if grid else "conv_kernel_photo_preset"] = preset
    if operation == "conv":
        mode = rng.choice(CONTROLS["conv_padding_mode"])
        query["conv_padding_mode"] = mode
    if operation in ("conv", "transposed") and channels == 3:
        groups = rng.choice(CONTROLS["conv_groups"])
        if groups != CONTROLS["conv_groups"][0]:
            # Streamlit writes the default into no link; and LinkCheck flags a link that names
            # the default by its label (it compares the label with the number): left out.
            query["conv_groups"] = CONTROLS.get("conv_groups labels", {}).get(groups, str(groups))
    if operation == "transposed":
        output_padding = rng.choice(CONTROLS["conv_output_padding"])
        query["conv_output_padding"] = str(output_padding)
    combo = ((kh, kw), int(query["conv_stride"]), query["conv_padding"], mode, int(query["conv_dilation"]),
             groups or 1, output_padding)
    facts = {"operation": operation, "channels": channels, "height": height, "width": width, "combo": combo,
             "preset": preset}
    return query, facts


def test_forty_random_links_render_or_say_why():
    """Seeded links through the real page: no exception, and either the output chart with the
    shape cnnviz promises, or the page's one sentence (the settings' or the kernel preset's)."""
    from streamlit.testing.v1 import AppTest

    rng = random.Random(8)
    failures = []
    seen: Counter = Counter()
    for _ in range(40):
        query, facts = random_link(rng)
        at = AppTest.from_string(HARNESS.format(repo=str(REPO), page=str(PAGE)), default_timeout=120)
        at.query_params = dict(query)
        at.run()
        settings, _, error_text = page_settings(facts["operation"], facts["channels"], facts["height"], facts["width"],
                                                *facts["combo"])
        kh, kw = facts["combo"][0]
        kernel_error = None
        if facts["operation"] in ("conv", "transposed"):
            try:
                kernels.make_kernel(facts["preset"], kh, kw)
            except kernels.KernelPresetError as error:
                kernel_error = str(error)
        charts = [c for c in at.get("plotly_chart") if "conv_output_chart" in c.proto.id]
        errors = [e.value for e in at.error]
        notes = [w.value for w in at.warning if w.value.startswith("This link asked for settings")]
        if at.exception:
            failures.append((query, [e.message for e in at.exception]))
        elif notes:
            failures.append((query, notes))
        elif error_text is not None:
            seen["settings refused"] += 1
            if charts or error_text not in errors:
                failures.append((query, f"expected the sentence {error_text!r}, got {errors} and {len(charts)} charts"))
        elif kernel_error is not None:
            seen["kernel preset refused"] += 1
            if charts or kernel_error not in errors:
                failures.append((query, f"expected the sentence {kernel_error!r}, got {errors}"))
        else:
            seen["renders"] += 1
            c_out, out_h, out_w = settings.output_shape(facts["height"], facts["width"])
            shown = [m.value for m in at.metric if m.label == "Output"]
            if len(charts) != 1 or errors or shown != [f"{c_out}x{out_h}x{out_w}"]:
                failures.append((query, f"expected the output chart {c_out}x{out_h}x{out_w}, got {shown}, "
                                        f"{len(charts)} charts, errors {errors}"))
    print("\nlinks:", dict(seen))
    assert not failures, "\n".join(map(str, failures[:8]))
    assert seen["renders"] >= 10 and seen["settings refused"] >= 5  # both outcomes were exercised
