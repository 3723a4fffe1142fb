"""The Convolution lab's lesson: its controls as Settings, and compute(), which turns them and the
input into the Result the page draws: the layer, its formulas and counts, the output and the
pictures. The player's cell (cell_view), the 1-D tab (signal_lesson) and the 1x1 tab
(pointwise_lesson) are computed here too, so pages/conv_lab.py only lays widgets and figures out.

Outputs are (channels, height, width) and may be non-square, so every mapping keeps rows and
columns apart.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cnnviz import conv, images, kernels
from cnnviz.figures import conv_figures

# --- What the page says --------------------------------------------------------------------------------

INTRO = (
    "A **kernel** (a small grid of weights) slides over the input. At every position, multiply the "
    "kernel by the input window under it, **add up the products and the bias**: that is one output "
    "cell. Stride, padding and dilation decide where the window goes, and so how big the output is:"
)
FORMULA = (
    r"y[i,j] = \sum_{c}\sum_{a,b} x[c,\; iS + aD,\; jS + bD]\; w[c,a,b] + \text{bias}"
    r"\qquad W_{\mathrm{out}} = \left\lfloor \frac{W_{\mathrm{in}} + 2P - D(F-1) - 1}{S} \right\rfloor + 1"
)
TRY_FIRST = (
    "**Try first:** keep the classic 5x5 grid and its X kernel and press *step*: check 4, 3, 4 by "
    "hand. Then pick a photo with *Sobel x* (vertical edges light up), set stride 2 with padding "
    "'same' (read why it fails), and try dilation 2 (the taps spread out)."
)
EDIT_GRID = "Edit any cell; the output follows."
UPLOAD_LABEL = "A photo (JPEG, PNG, WebP, ...)"
UPLOAD_WAITING = "Showing the astronaut until you upload a photo."
POOLING_HAS_NO_WEIGHTS = "Pooling has no weights: it takes the max or the mean of each window, per channel."
FLIP_HELP = ("Deep-learning layers compute cross-correlation: no flip. Textbook convolution "
             "y[n] = sum_m x[n-m] w[m] flips the kernel; symmetric kernels do not notice.")
SCRUB_HELP = "Output cells in reading order: row by row, left to right."
ONE_D_INTRO = (
    "The same sliding window on a line: $y[n] = \\sum_{m=0}^{K-1} x[nS + mD]\\, w[m]$. "
    "Deep learning computes this **cross-correlation**; textbook **convolution** flips the kernel, "
    "$y[n] = \\sum_m x[n-m]\\, w[m]$."
)
POINTWISE_INTRO = (
    "A **1x1 convolution** looks at one pixel at a time and mixes its channels: every output channel "
    "is a weighted sum of the input channels at the same pixel. It is a fully connected layer "
    "applied at every pixel, and the cheap way to change the number of channels."
)
POINTWISE_WEIGHTS_NOTE = "Weights: one row per output channel, one column per input channel."

# --- What the lab's controls offer, declared once ---------------------------------------------------
# The page's widgets read these, and the tests walk every value. Ranges are (lowest, highest), both
# offered.

SOURCES = ("Numeric grid", "Photo", "Upload")
OPERATIONS = {
    "Convolution": "conv",
    "Transposed convolution": "transposed",
    "Max pooling": "max_pool",
    "Average pooling": "avg_pool",
}
GRID_SIZES = (5, 6, 7, 8, 9)
KERNEL_SIDES = (1, kernels.MAX_KERNEL_SIDE)
STRIDES = (1, 5)
PADDINGS = ("0", "1", "2", "3", "4", "5", "same", "valid")
DILATIONS = (1, 4)
GROUPS = (1, 2, 3)
GROUP_CAPTIONS = ("all channels -> 1 map", "2 maps", "depthwise")
OUTPUT_PADDINGS = (0, 4)
BIASES = (-10.0, 10.0)
BIAS_STEP = 0.1
PHOTO_INDEX = 1  # the photo menu opens on the second bundled photo
FALLBACK_PHOTO = "astronaut"  # shown while no upload is there, or when it cannot be read
GRID_PRESET = "Classic X (worked example)"  # the kernel the grid opens with (its worked example)
PHOTO_PRESET = "Sobel x"
CHANNEL_NAMES = ("R", "G", "B")
SPEEDS = {"slow": 1.2, "normal": 0.6, "fast": 0.25}  # seconds per step while playing
SCATTER_TERMS = 12  # a transposed cell's caption names at most this many contributions

# The 1-D and 1x1 tabs.
SIGNAL_STRIDES = (1, 3)
SIGNAL_PADDINGS = (0, 3)
SIGNAL_DILATIONS = (1, 3)
LONGEST_KERNEL_1D = 9
POINTWISE_PATCH = kernels.example_rgb_patch(5)  # (3, 5, 5)
POINTWISE_WEIGHTS = ((1.0, 1.0, 1.0), (1.0, 0.0, -1.0))  # the weight table the tab opens with
POINTWISE_OUTPUTS = ("out 0", "out 1")
PIXEL_ROWS = (0, POINTWISE_PATCH.shape[1] - 1)
PIXEL_COLS = (0, POINTWISE_PATCH.shape[2] - 1)

# Photos are shrunk to this side, so every rerun stays fast.
MAX_PHOTO_SIDE = 512
# A transposed convolution can blow a 512 px photo up to 2600 px (a 167 MB cached result, 2 s): the
# lab refuses outputs with a side above this, with a sentence.
MAX_OUTPUT_SIDE = 1536


def is_pool(operation: str) -> bool:
    """Pooling (an OPERATIONS value) has no kernel to edit, no bias and no groups."""
    return operation in ("max_pool", "avg_pool")


def offers_groups(operation: str, channels: int) -> bool:
    """Groups are offered for (transposed) convolution of an RGB input only."""
    return not is_pool(operation) and channels == 3


def offers_per_channel(operation: str, channels: int) -> bool:
    """A kernel per colour channel is offered where there are weights and three channels."""
    return not is_pool(operation) and channels == 3


def default_preset(source: str) -> str:
    """The kernel preset the editors open with: the worked example on the grid, edges on photos."""
    return GRID_PRESET if source == SOURCES[0] else PHOTO_PRESET


def channel_label(channel: int, channels: int) -> str:
    """An output channel's name in the player's menu: R, G, B for three channels, else its number."""
    return CHANNEL_NAMES[channel] if channels == 3 else str(channel)


@dataclass(frozen=True)
class Settings:
    """The 2-D lab's controls: one field per URL parameter, named as it (= the widget key).

    A field whose widget the page does not show for these settings (groups on one channel, output
    padding outside transposed convolution, a padding mode outside convolution) is ignored, as the
    page ignores it.
    """

    conv_source: str = SOURCES[0]
    conv_grid_example: str = kernels.GRID_EXAMPLES[0]
    conv_grid_size: int = GRID_SIZES[0]
    conv_photo: str = images.sample_image_names()[PHOTO_INDEX]
    conv_grey: bool = False
    conv_operation: str = next(iter(OPERATIONS))
    conv_kh: int = 3
    conv_kw: int = 3
    conv_per_channel: bool = False
    conv_bias: float = 0.0
    conv_flip: bool = False
    conv_stride: int = STRIDES[0]
    conv_padding: str = PADDINGS[0]
    conv_padding_mode: str = conv.PADDING_MODES[0]
    conv_dilation: int = DILATIONS[0]
    conv_groups: int = GROUPS[0]
    conv_output_padding: int = OUTPUT_PADDINGS[0]

    @property
    def operation(self) -> str:
        """The operation as cnnviz.conv names it ("conv", "transposed", "max_pool", "avg_pool")."""
        return OPERATIONS[self.conv_operation]

    @property
    def is_grid(self) -> bool:
        return self.conv_source == SOURCES[0]

    @property
    def kernel_size(self) -> tuple[int, int]:
        """(F_h, F_w)."""
        return int(self.conv_kh), int(self.conv_kw)

    def layer_kwargs(self, channels: int) -> dict:
        """ConvSettings keyword arguments (kernel size and operation apart) for `channels` inputs."""
        operation = self.operation
        groups = int(self.conv_groups) if offers_groups(operation, channels) else 1
        output_padding = int(self.conv_output_padding) if operation == "transposed" else 0
        return settings_kwargs(operation, channels, int(self.conv_stride), self.conv_padding,
                               self.conv_padding_mode, int(self.conv_dilation), groups, output_padding)


DEFAULT = Settings()  # what the widgets open with


def settings_kwargs(operation: str, channels: int, stride: int, padding_choice: str, mode: str, dilation: int,
                    groups: int, output_padding: int) -> dict:
    """The lab's control values -> ConvSettings keyword arguments (kernel size and operation apart).

    Args:
        operation: one of conv.OPERATIONS.
        channels: input channels (1 or 3).
        stride, dilation, groups, output_padding: as the controls give them.
        padding_choice: a padding entry: a whole number as text, "same" or "valid".
        mode: the padding mode; only convolution uses it (the others pad with zeros).

    Returns:
        dict for conv.ConvSettings(operation=..., kernel_size=..., **kwargs).
    """
    padding = padding_choice if padding_choice in ("same", "valid") else int(padding_choice)
    return dict(stride=stride, padding=padding, padding_mode=mode if operation == "conv" else "zeros",
                dilation=dilation, groups=groups, output_padding=output_padding,
                in_channels=channels, out_channels=1 if groups == 1 else groups)


def lab_settings(operation: str, kernel_size: tuple[int, int], kwargs: dict, height: int,
                 width: int) -> tuple[conv.ConvSettings | None, list[str], str | None]:
    """Build and check the layer for an input of height x width.

    Args:
        operation: one of conv.OPERATIONS.
        kernel_size: (F_h, F_w).
        kwargs: settings_kwargs' dict.
        height, width: the input's size.

    Returns:
        (settings or None when they cannot be built, warnings, the refusing sentence or None).
        Settings built but refused for this input come back with the sentence, since the page
        still writes their formulas.
    """
    settings = None
    try:
        settings = conv.ConvSettings(operation=operation, kernel_size=kernel_size, **kwargs)
        return settings, settings.validate(height, width), None
    except conv.ConvSettingsError as error:
        return settings, [], str(error)


def too_large(settings: conv.ConvSettings, in_height: int, in_width: int) -> str | None:
    """The sentence refusing an output the lab will not draw (a side over MAX_OUTPUT_SIDE), or None."""
    _, out_h, out_w = settings.output_shape(in_height, in_width)
    if max(out_h, out_w) <= MAX_OUTPUT_SIDE:
        return None
    return (f"The output would be {out_h} x {out_w} pixels; the lab draws outputs up to {MAX_OUTPUT_SIDE} "
            "pixels a side: lower the stride, the dilation or the kernel, or use the numeric grid.")


def checked_layer(settings: Settings, channels: int, height: int,
                  width: int) -> tuple[conv.ConvSettings | None, list[str], str | None]:
    """The layer the settings build for a (channels, height, width) input, checked as the page
    checks it: lab_settings, then the lab's own size limit. Returns lab_settings' triple."""
    layer, warnings, refusal = lab_settings(settings.operation, settings.kernel_size,
                                            settings.layer_kwargs(channels), height, width)
    if refusal is None:
        refusal = too_large(layer, height, width)
    return layer, warnings, refusal


# --- The input -------------------------------------------------------------------------------------------


def grid_input(rows: tuple) -> np.ndarray:
    """The numeric grid as float32 (1, H, W), the numbers as typed."""
    return np.asarray(rows, dtype=np.float32)[None]


def photo_input(picture, grey: bool) -> np.ndarray:
    """A PIL photo as float32 (C, H, W) in [0, 1], shrunk to MAX_PHOTO_SIDE; one channel when grey."""
    picture = images.shrink_to(picture, MAX_PHOTO_SIDE).convert("L" if grey else "RGB")
    pixels = images.to_array(picture)  # (H, W) or (H, W, 3)
    return pixels[None] if pixels.ndim == 2 else np.ascontiguousarray(pixels.transpose(2, 0, 1))


# --- The Arithmetic section ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """One number under the formulas: label, value as shown, and its hover help (or None)."""

    label: str
    value: str
    help: str | None = None


@dataclass(frozen=True)
class Arithmetic:
    """The Arithmetic section: the size formulas, the torch layer and the counts.

    Attributes:
        formula_lines: the H_out and W_out formulas with the student's numbers (LaTeX).
        torch_line: the equivalent torch layer.
        metrics: output shape, parameters, multiply-adds or values read; empty when refused.
    """

    formula_lines: tuple[str, str]
    torch_line: str
    metrics: tuple[Metric, ...]


def arithmetic(settings: conv.ConvSettings, height: int, width: int, refused: bool = False) -> Arithmetic:
    """What the Arithmetic section shows for an input of height x width.

    Args:
        settings: the layer.
        height, width: the input's size.
        refused: the settings are refused for this input: formulas only, no counts.

    Returns:
        Arithmetic.
    """
    metrics: tuple[Metric, ...] = ()
    if not refused:
        c_out, out_h, out_w = settings.output_shape(height, width)
        shape = Metric("Output", f"{c_out}x{out_h}x{out_w}", "channels x height x width")
        if settings.is_pool:
            metrics = (shape, Metric("Parameters", "0", "Pooling learns nothing."),
                       Metric("Values read", f"{conv.window_reads(settings, height, width):,}"))
        else:
            metrics = (shape, Metric("Parameters", f"{conv.parameter_count(settings):,}",
                                     "C_out * C_in/groups * F_h * F_w + C_out (bias)"),
                       Metric("Multiply-adds", f"{conv.multiply_adds(settings, height, width):,}"))
    return Arithmetic(settings.formula_lines(height, width, latex=True), settings.torch_line(), metrics)


# --- compute: settings + input -> everything the 2-D tab draws ------------------------------------------


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the 2-D tab shows for one set of settings and one input.

    Attributes:
        settings: the controls.
        x: (C_in, H, W) the input.
        layer: the layer built, or None when the settings build none.
        arithmetic: its formulas and counts, or None with the layer.
        warnings: sentences about settings that work but waste something.
        refusal: the sentence refusing the settings for this input, or None.
        kernels: (C_in, F_h, F_w) the grids as applied (flipped for a true convolution), or None.
        weight: (layer.weight_shape()) or None; bias: (C_out,) or None.
        output: (C_out, H_out, W_out), or None when nothing can be drawn.
        grid, kinds: the sliding grid (C, H_g, W_g) and its cell kinds, as cnnviz.conv.sliding_grid.
        input_layer, output_layer: the encoded pictures of a photo (conv_figures.PhotoLayer).
    """

    settings: Settings
    x: np.ndarray
    layer: conv.ConvSettings | None
    arithmetic: Arithmetic | None
    warnings: tuple[str, ...] = ()
    refusal: str | None = None
    kernels: np.ndarray | None = None
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    output: np.ndarray | None = None
    grid: np.ndarray | None = None
    kinds: np.ndarray | None = None
    input_layer: conv_figures.PhotoLayer | None = None
    output_layer: conv_figures.PhotoLayer | None = None

    @property
    def playable(self) -> bool:
        """There is an output to step through."""
        return self.output is not None

    @property
    def cell_count(self) -> int:
        """Cells per output channel, H_out * W_out: the player's positions."""
        return self.output.shape[1] * self.output.shape[2]

    @property
    def last_position(self) -> int:
        """The player's last position: the bottom-right output cell."""
        return self.cell_count - 1

    @property
    def in_height(self) -> int:
        return self.x.shape[1]

    @property
    def in_width(self) -> int:
        return self.x.shape[2]


def applied_kernels(settings: Settings, tables, channels: int) -> np.ndarray:
    """The kernel editors' grids -> float32 (C_in, F_h, F_w) as the layer applies them.

    Args:
        settings: the controls (per channel? flipped?).
        tables: the editors' grids as typed: one per input channel when a kernel per channel is
            offered and chosen, else one shared by every channel.
        channels: C_in.
    """
    grids = np.asarray(tables, dtype=np.float32)  # (editors, F_h, F_w)
    if not (settings.conv_per_channel and offers_per_channel(settings.operation, channels)):
        grids = np.repeat(grids[:1], channels, axis=0)  # one kernel, copied to every channel
    if settings.conv_flip:
        grids = grids[:, ::-1, ::-1]  # a true convolution turns the kernel by 180 degrees
    return np.ascontiguousarray(grids)


def compute(settings: Settings, x: np.ndarray, kernel_tables=None) -> Result:
    """The 2-D tab for one input: the layer, its arithmetic, and (when it works) the output.

    Args:
        settings: the controls.
        x: (C_in, H, W) float32, from grid_input or photo_input.
        kernel_tables: the kernel editors' grids as typed (see applied_kernels); None for pooling,
            or when an editor's grid could not be read (then the formulas but no output).

    Returns:
        Result; its output is None when the settings are refused or a convolution has no kernel.
    """
    import torch

    channels, height, width = x.shape
    layer, warnings, refusal = checked_layer(settings, channels, height, width)
    shown = None if layer is None else arithmetic(layer, height, width, refused=refusal is not None)
    result = Result(settings, x, layer, shown, tuple(warnings), refusal)
    if refusal is not None or (not layer.is_pool and kernel_tables is None):
        return result
    grids = weight = bias = None
    if not layer.is_pool:
        grids = applied_kernels(settings, kernel_tables, channels)
        weight = conv.weight_from_channel_kernels(grids, layer)
        if layer.bias:
            bias = np.full(layer.out_channels, settings.conv_bias, dtype=np.float32)
    with torch.inference_mode():
        output = conv.apply(
            torch.from_numpy(x)[None],  # (1, C_in, H, W)
            None if weight is None else torch.from_numpy(weight),
            None if bias is None else torch.from_numpy(bias),
            layer,
        )[0].numpy()  # (C_out, H_out, W_out)
    values, kinds = conv.sliding_grid(x, layer)
    pictures = {}
    if not settings.is_grid:
        pictures = dict(input_layer=conv_figures.photo_layer(values),
                        output_layer=conv_figures.photo_layer(output if output.shape[0] in (1, 3) else output[:1]))
    return replace(result, kernels=grids, weight=weight, bias=bias, output=output, grid=values, kinds=kinds,
                   **pictures)


# --- The step-by-step player --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlayerCell:
    """One output cell of the player: out[channel, row, col]."""

    channel: int
    row: int
    col: int


def cell_at(position: int, output_shape: tuple[int, int, int], channel: int = 0) -> PlayerCell:
    """The output cell at a player position, counting in reading order (row by row, left to right).

    Args:
        position: 0 .. H_out * W_out - 1; clipped into that range.
        output_shape: (C_out, H_out, W_out).
        channel: the chosen output channel.

    Returns:
        PlayerCell.
    """
    _, out_h, out_w = output_shape
    position = min(max(int(position), 0), out_h * out_w - 1)
    row, col = divmod(position, out_w)  # a row holds W_out cells
    return PlayerCell(channel, row, col)


def position_of(row: int, col: int, out_w: int) -> int:
    """The player position of output cell (row, col): the inverse of cell_at."""
    return row * out_w + col


def clicked_position(points, out_w: int) -> int | None:
    """The player position of the first clicked output cell, or None when no point names one.

    The output chart's click targets sit at cell centres, so a point's x is the cell's column and
    its y the cell's row.
    """
    for point in points:
        if isinstance(point.get("x"), (int, float)) and isinstance(point.get("y"), (int, float)):
            return position_of(int(round(point["y"])), int(round(point["x"])), out_w)
    return None


# The player's buttons in order: (widget key, label, icon) while paused; playing swaps Play for Pause.
PLAYER_BUTTONS = (("conv_first", "First", "first_page"), ("conv_back", "Back", "chevron_left"),
                  ("conv_play", "Play", "play_arrow"), ("conv_step", "Step", "chevron_right"),
                  ("conv_last", "Last", "last_page"))
PAUSE_BUTTON = ("conv_play", "Pause", "pause")


def player_buttons(playing: bool) -> tuple[tuple[str, str, str], ...]:
    """PLAYER_BUTTONS as shown: with Pause in place of Play while playing."""
    return tuple(PAUSE_BUTTON if playing and key == PAUSE_BUTTON[0] else (key, label, icon)
                 for key, label, icon in PLAYER_BUTTONS)


def pressed(button: str, position: int, total: int) -> int:
    """The position after pressing a player button (its widget key) at `position` of `total` cells."""
    moves = {"conv_first": -total, "conv_back": -1, "conv_step": 1, "conv_last": total}
    return stepped(position, moves.get(button, 0), total)


def stepped(position: int, delta: int, total: int) -> int:
    """The position `delta` cells on from `position`, kept inside 0 .. total - 1."""
    return min(max(int(position) + delta, 0), total - 1)


def played(position: int, total: int) -> int:
    """The next position while playing: past the last cell it starts over."""
    return (int(position) + 1) % total


@dataclass(frozen=True)
class Window:
    """Where the window of one output cell lies.

    Attributes:
        grid_rows, grid_cols: (F_h,), (F_w,) sliding-grid coordinates the player highlights.
        input_rows, input_cols: the same taps in input coordinates: negative or past the input's
            edge where the tap reads padding (for transposed convolution: coordinates on the
            zero-inserted grid, so only multiples of the stride are input cells).
    """

    grid_rows: np.ndarray
    grid_cols: np.ndarray
    input_rows: np.ndarray
    input_cols: np.ndarray


def window_of(settings: conv.ConvSettings, row: int, col: int) -> Window:
    """The window of output cell (row, col): tap (a, b) sits at (row*S_h + a*D_h, col*S_w + b*D_w)
    on the sliding grid, whose input cell (0, 0) is at settings.input_origin().

    Args:
        settings: the layer.
        row, col: the output cell.

    Returns:
        Window.
    """
    grid_rows, grid_cols = conv.window_position(settings, row, col)
    top, left = settings.input_origin()  # the padding before the input, per axis
    return Window(grid_rows, grid_cols, grid_rows - top, grid_cols - left)


@dataclass(frozen=True)
class CellTexts:
    """The player's texts for one output cell."""

    output_title: str
    patch_title: str
    sum_line: str


def cell_texts(output_shape: tuple[int, int, int], cell: PlayerCell, explanation: conv.CellExplanation) -> CellTexts:
    """The output chart's title, the zoomed window's title and the cell's sum, in Markdown.

    Args:
        output_shape: (C_out, H_out, W_out).
        cell: the player's cell.
        explanation: conv.explain_cell for that cell.

    Returns:
        CellTexts.
    """
    c_out, out_h, out_w = output_shape
    return CellTexts(
        output_title=f"Output {c_out}x{out_h}x{out_w} (click a cell to jump to its window)",
        patch_title=f"Output row {cell.row}, column {cell.col}: the window, zoomed",
        sum_line=f"**output[{cell.channel}, {cell.row}, {cell.col}]** = `{explanation.sum_text()}`",
    )


def scatter_text(explanation: conv.CellExplanation, limit: int = SCATTER_TERMS) -> str:
    """A transposed cell seen as a scatter: which input cells add into it, through which taps."""
    taps = explanation.contributions()
    named = "; ".join(f"x[{t.input_row},{t.input_col}] · w[{t.kernel_row},{t.kernel_col}]" for t in taps[:limit])
    return ("Seen as a scatter: each input cell x[i, j] adds x[i, j] · w[a, b] into output cell "
            "(i·S − P + a·D, j·S − P + b·D). Contributing here: "
            + (named or "none (only inserted zeros and padding under the window)")
            + (" ..." if len(taps) > limit else ""))


@dataclass(frozen=True, eq=False)
class CellView:
    """What the player shows for one output cell.

    Attributes:
        position: the cell's place in reading order; total: how many cells a channel has.
        cell: the output cell; explanation: conv.explain_cell for it; texts: its titles and sum.
        window: where its window lies (the highlight is window.grid_rows x window.grid_cols).
        grid_title: the input picture's title.
        input_box: (top, left, height, width) of the original input on the sliding grid, or None
            for a transposed convolution (its grid interleaves inserted zeros).
        argmax: the max-pooled cell on the sliding grid (row, col), or None.
        channel_names: the window's channels by colour name for an RGB input, else None.
        scatter: a transposed convolution's scatter reading (scatter_text), else None.
    """

    position: int
    total: int
    cell: PlayerCell
    explanation: conv.CellExplanation
    texts: CellTexts
    window: Window
    grid_title: str
    input_box: tuple[int, int, int, int] | None
    argmax: tuple[int, int] | None
    channel_names: list[str] | None
    scatter: str | None


def cell_view(result: Result, position: int, channel: int = 0) -> CellView:
    """The player at `position` (clipped into the output) on output channel `channel`.

    Args:
        result: a playable Result.
        position: the cell in reading order.
        channel: the output channel shown.

    Returns:
        CellView.
    """
    layer, output = result.layer, result.output
    _, out_h, out_w = output.shape
    cell = cell_at(position, output.shape, channel)
    explanation = conv.explain_cell(result.x, result.weight, result.bias, layer, channel, cell.row, cell.col)
    if layer.is_transposed:
        grid_title, input_box = "Zero-inserted, padded input; the flipped kernel slides over it", None
    else:
        top, left = layer.input_origin()
        grid_title = "Input with its padding (dashed: the original input)"
        input_box = (top, left, result.in_height, result.in_width)
    argmax = None
    if explanation.argmax is not None:
        _, a, b = explanation.argmax
        argmax = (int(explanation.grid_rows[a]), int(explanation.grid_cols[b]))
    names = [CHANNEL_NAMES[c] for c in explanation.in_channels] if layer.in_channels == 3 else None
    return CellView(
        position=position_of(cell.row, cell.col, out_w), total=out_h * out_w, cell=cell,
        explanation=explanation, texts=cell_texts(output.shape, cell, explanation),
        window=window_of(layer, cell.row, cell.col), grid_title=grid_title, input_box=input_box,
        argmax=argmax, channel_names=names, scatter=scatter_text(explanation) if layer.is_transposed else None)


@dataclass(frozen=True, eq=False)
class PlayerFigures:
    """The player's three figures for one cell: the input with the window, the output with the
    cell (clickable: each cell jumps to its window), and the window zoomed with its products."""

    input: object
    output: object
    window: object


def player_figures(result: Result, view: CellView) -> PlayerFigures:
    """The figures (conv_figures) of `view`: numbers in cells on the grid, pictures for photos."""
    cell = view.explanation
    on_input = dict(title=view.grid_title, input_box=view.input_box, window=(view.window.grid_rows,
                                                                             view.window.grid_cols))
    on_output = dict(title=view.texts.output_title, cell=(view.cell.row, view.cell.col), clickable=True)
    if result.settings.is_grid:
        shown_in = conv_figures.grid_figure(result.grid[cell.in_channels[0]], kinds=result.kinds,
                                            argmax=view.argmax, **on_input)
        shown_out = conv_figures.grid_figure(result.output[view.cell.channel], **on_output)
    else:
        shown_in = conv_figures.photo_figure(result.input_layer, **on_input)
        shown_out = conv_figures.photo_figure(result.output_layer, **on_output)
    zoomed = conv_figures.window_figure(cell.window, cell.kernel, cell.products, kinds=cell.kinds,
                                        channel_names=view.channel_names, argmax=cell.argmax,
                                        title=view.texts.patch_title)
    return PlayerFigures(shown_in, shown_out, zoomed)


# --- The 1-D tab --------------------------------------------------------------------------------------


def number_list(values) -> str:
    """Numbers as the 1-D tab writes them: "1, 0.5, -2"."""
    return ", ".join(conv_figures.format_number(v) for v in values)


# What the 1-D tab's text boxes open with, per example signal and kernel.
SIGNAL_TEXTS = {name: number_list(values) for name, values in kernels.SIGNAL_EXAMPLES.items()}
KERNEL_TEXTS = {name: number_list(values) for name, values in kernels.KERNELS_1D.items()}


@dataclass(frozen=True, eq=False)
class Signal:
    """The 1-D tab for one signal, kernel and layer.

    Attributes:
        signal: (N,); kernel: (K,); stride, padding, dilation: the layer.
        output: (N_out,) the cross-correlation (nn.Conv1d's answer).
        padded: (N + 2P,) the signal with its zero padding, as drawn.
        size_formula: N_out's formula with these numbers.
        comparison: cross-correlation against true convolution at stride 1, no padding; None when
            the kernel is longer than the signal.
    """

    signal: np.ndarray
    kernel: np.ndarray
    stride: int
    padding: int
    dilation: int
    output: np.ndarray
    padded: np.ndarray
    size_formula: str
    comparison: str | None

    @property
    def last_position(self) -> int:
        """The last output's index: N_out - 1."""
        return len(self.output) - 1

    def sum_text(self, position: int) -> str:
        """Output `position` written out."""
        return conv.conv1d_sum_text(self.signal, self.kernel, position, self.stride, self.padding, self.dilation)

    def figure(self, position: int):
        """The padded signal, the kernel at output `position`, and the output (conv_figures)."""
        return conv_figures.signal_figure(self.padded, self.kernel, self.output, position=position,
                                          stride=self.stride, dilation=self.dilation, padding=self.padding)


def signal_lesson(signal_text: str, kernel_text: str, stride: int, padding: int, dilation: int) -> Signal:
    """The 1-D tab from what was typed.

    Raises:
        kernels.KernelPresetError: the signal or the kernel cannot be read (a sentence quoting it).
        conv.ConvSettingsError: the layer has no output.
    """
    signal = kernels.numbers_from_text(signal_text, "signal")
    kernel = kernels.numbers_from_text(kernel_text, "kernel", longest=LONGEST_KERNEL_1D)
    output = conv.conv1d(signal, kernel, stride, padding, dilation)
    comparison = None
    if len(kernel) <= len(signal):
        comparison = ("Stride 1, no padding: cross-correlation (nn.Conv1d) gives "
                      + number_list(conv.conv1d(signal, kernel))
                      + "; true convolution (np.convolve, kernel flipped) gives "
                      + number_list(conv.true_convolution1d(signal, kernel))
                      + ". They agree only when the kernel reads the same backwards.")
    return Signal(signal, kernel, stride, padding, dilation, output, np.pad(signal, padding),
                  conv.output_size_formula(len(signal), len(kernel), stride, padding, dilation, "N"), comparison)


# --- The 1x1 tab ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Pointwise:
    """The 1x1 tab at one pixel of POINTWISE_PATCH.

    Attributes:
        weights: (C_out, 3); output: (C_out, H, W); pixel: (row, col).
        sum_lines: one line per output channel, its sum written out.
        torch_line: the torch layer, its parameters, and the nn.Linear it equals.
    """

    weights: np.ndarray
    output: np.ndarray
    pixel: tuple[int, int]
    sum_lines: tuple[str, ...]
    torch_line: str

    def figure(self):
        """The patch, the weights and the output at the pixel (conv_figures)."""
        return conv_figures.pointwise_figure(POINTWISE_PATCH, self.weights, self.output, pixel=self.pixel)


def pointwise_lesson(weight_table, row: int, col: int) -> Pointwise:
    """The 1x1 tab for a weight table (one row per output channel, one column per R, G, B).

    Raises:
        kernels.KernelPresetError, conv.ConvSettingsError: a table that is no weight table.
    """
    weights = kernels.grid_from_table(weight_table, "weight table")
    output = conv.pointwise(POINTWISE_PATCH, weights)
    layer = conv.ConvSettings(kernel_size=1, in_channels=3, out_channels=weights.shape[0])
    torch_line = (f"{layer.torch_line()}  # {conv.parameter_count(layer)} parameters, "
                  f"like nn.Linear(3, {weights.shape[0]}) at every pixel")
    return Pointwise(weights, output, (row, col),
                     tuple(conv.pointwise_sum_text(POINTWISE_PATCH, weights, row, col)), torch_line)
