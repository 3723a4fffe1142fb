"""Convolution lab: slide a kernel over a photo or a small grid and watch the arithmetic.

A thin view: widgets -> dashboard.caches (cached cnnviz calls) -> cnnviz.figures -> presentation.plot.
Stepping the window runs only the player fragment, which draws the highlight on pictures that
were computed once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from cnnviz import conv, images, kernels
from cnnviz.figures import conv_figures
from cnnviz.lessons import conv_lab as lesson
from dashboard import caches, links, page_frame, presentation
from dashboard.caches import conv_lab as conv_lab_cache
from dashboard.markup import escape

SPEEDS = {"slow": 1.2, "normal": 0.6, "fast": 0.25}  # seconds per step while playing
CHANNEL_NAMES = ("R", "G", "B")

st.title("Convolution lab")
st.markdown(
    "A **kernel** (a small grid of weights) slides over the input. At every position, multiply the "
    "kernel by the input window under it, **add up the products and the bias**: that is one output "
    "cell. Stride, padding and dilation decide where the window goes, and so how big the output is:"
)
st.latex(
    r"y[i,j] = \sum_{c}\sum_{a,b} x[c,\; iS + aD,\; jS + bD]\; w[c,a,b] + \text{bias}"
    r"\qquad W_{\mathrm{out}} = \left\lfloor \frac{W_{\mathrm{in}} + 2P - D(F-1) - 1}{S} \right\rfloor + 1"
)
st.info(
    "**Try first:** keep the classic 5x5 grid and its X kernel and press *step*: check 4, 3, 4 by "
    "hand. Then pick a photo with *Sobel x* (vertical edges light up), set stride 2 with padding "
    "'same' (read why it fails), and try dilation 2 (the taps spread out).",
    icon=":material/lightbulb:",
)


# --- Widgets ----------------------------------------------------------------------------------------


def choose_input() -> tuple[str, str, bool, tuple | None, bytes | None]:
    """Input widgets -> (source, name, grey, grid rows, upload bytes)."""
    choice = st.radio("Input", ["Numeric grid", "Photo", "Upload"], horizontal=True, key="conv_source", bind=links.BIND)
    if choice == "Numeric grid":
        left, right = st.columns(2)
        example = left.selectbox("Example", kernels.GRID_EXAMPLES, key="conv_grid_example", bind=links.BIND)
        size = right.select_slider("Size", lesson.GRID_SIZES, value=lesson.GRID_SIZES[0], key="conv_grid_size", bind=links.BIND,
                                   disabled=example == "Classic 5x5 example")
        start = kernels.example_grid(example, size)
        st.caption("Edit any cell; the output follows.")
        table = st.data_editor(pd.DataFrame(start, columns=[str(c) for c in range(start.shape[1])]),
                               key=f"conv_grid_{example}_{size}", hide_index=True)
        try:
            grid = kernels.grid_from_table(table.to_numpy(), "input grid", shape=start.shape)
        except kernels.KernelPresetError as error:
            st.error(str(error))
            grid = start
        return "grid", "", True, tuple(map(tuple, grid.tolist())), None
    grey = st.toggle("One grey channel instead of RGB", key="conv_grey", bind=links.BIND)
    if choice == "Photo":
        name = st.selectbox("Photo", images.sample_image_names(), index=1, key="conv_photo", bind=links.BIND)
        return "photo", name, grey, None, None
    upload = st.file_uploader("A photo (JPEG, PNG, WebP, ...)",
                              key="conv_upload")
    if upload is None:
        st.caption("Showing the astronaut until you upload a photo.")
        return "photo", "astronaut", grey, None, None
    return "upload", upload.file_id, grey, None, upload.getvalue()


def kernel_editor(label: str, key: str, height: int, width: int, default_preset: str) -> np.ndarray | None:
    """Preset menu + editable grid for one kernel; None (after an st.error) when it cannot be built."""
    names = kernels.preset_names()
    name = st.selectbox(label, names, index=names.index(default_preset), key=f"{key}_preset", bind=links.BIND)
    st.caption(kernels.preset(name).teaches)
    try:
        start = kernels.make_kernel(name, height, width)
    except kernels.KernelPresetError as error:
        st.error(str(error))
        return None
    table = st.data_editor(pd.DataFrame(start, columns=[str(c) for c in range(width)]),
                           key=f"{key}_{name}_{height}x{width}", hide_index=True)
    try:
        return kernels.grid_from_table(table.to_numpy(), "kernel", shape=start.shape)
    except kernels.KernelPresetError as error:
        st.error(str(error))
        return None


def choose_kernels(operation: str, channels: int, source: str) -> tuple[tuple[int, int], tuple | None, float, bool]:
    """Kernel widgets -> (kernel size, per-channel kernels as tuples or None, bias, flipped)."""
    left, right = st.columns(2)
    height = left.number_input("Kernel height F_h", *lesson.KERNEL_SIDES, 3, key="conv_kh", bind=links.BIND)
    width = right.number_input("Kernel width F_w", *lesson.KERNEL_SIDES, 3, key="conv_kw", bind=links.BIND)
    if operation in ("max_pool", "avg_pool"):
        st.caption("Pooling has no weights: it takes the max or the mean of each window, per channel.")
        return (height, width), None, 0.0, False
    default = "Classic X (worked example)" if source == "grid" else "Sobel x"
    per_channel = channels == 3 and st.toggle("A different kernel per colour channel", key="conv_per_channel", bind=links.BIND)
    if per_channel:
        grids = []
        for tab, channel in zip(st.tabs(list(CHANNEL_NAMES)), CHANNEL_NAMES):
            with tab:
                grids.append(kernel_editor(f"Kernel for {channel}", f"conv_kernel_{channel}", height, width, default))
    else:
        one = kernel_editor("Kernel", f"conv_kernel_{source}", height, width, default)
        grids = [one] * channels
    with presentation.secondary("Bias and flip"):
        bias, flipped = _bias_and_flip()
    if any(grid is None for grid in grids):
        return (height, width), None, bias, flipped
    if flipped:
        grids = [grid[::-1, ::-1] for grid in grids]
    return (height, width), tuple(tuple(map(tuple, grid.tolist())) for grid in grids), bias, flipped


def _bias_and_flip() -> tuple[float, bool]:
    """The bias and the flip toggle: secondary, so folded away in presentation mode."""
    bias = st.number_input("Bias", -10.0, 10.0, 0.0, 0.1, key="conv_bias", bind=links.BIND)
    flipped = st.toggle("True convolution (flip the kernel)", key="conv_flip", bind=links.BIND,
                        help="Deep-learning layers compute cross-correlation: no flip. Textbook convolution "
                             "y[n] = sum_m x[n-m] w[m] flips the kernel; symmetric kernels do not notice.")
    return bias, flipped


def choose_settings(operation: str, channels: int) -> dict:
    """Stride, padding, mode, dilation, groups, output padding -> ConvSettings keyword arguments."""
    stride = st.slider("Stride S", *lesson.STRIDES, 1, key="conv_stride", bind=links.BIND)
    left, right = st.columns(2)
    padding_choice = left.selectbox("Padding P", lesson.PADDINGS, key="conv_padding", bind=links.BIND)
    mode = right.selectbox("Padding mode", conv.PADDING_MODES, key="conv_padding_mode", bind=links.BIND,
                           disabled=operation != "conv")
    dilation = st.slider("Dilation D", *lesson.DILATIONS, 1, key="conv_dilation", bind=links.BIND)
    groups = 1
    if operation in ("conv", "transposed") and channels == 3:
        groups = st.radio("Groups", lesson.GROUPS, horizontal=True, key="conv_groups", bind=links.BIND,
                          captions=["all channels -> 1 map", "2 maps", "depthwise"])
    output_padding = 0
    if operation == "transposed":
        output_padding = st.number_input("Output padding", *lesson.OUTPUT_PADDINGS, 0, key="conv_output_padding", bind=links.BIND)
    return lesson.settings_kwargs(operation, channels, stride, padding_choice, mode, dilation, groups, output_padding)


# --- The step-by-step player --------------------------------------------------------------------------


@dataclass(frozen=True)
class Lab:
    """What the player needs, handed over once per full run (fragment reruns reuse it)."""

    result: dict
    settings: conv.ConvSettings
    is_grid: bool
    in_height: int
    in_width: int


def _step(delta: int, total: int) -> None:
    st.session_state.conv_pos = int(np.clip(st.session_state.get("conv_pos", 0) + delta, 0, total - 1))


def _go_to(position: int) -> None:
    st.session_state.conv_pos = position


def _toggle_play() -> None:
    st.session_state.conv_playing = not st.session_state.get("conv_playing", False)


def _jump_to_click(key: str, width: int) -> None:
    """on_select callback: the clicked output cell becomes the current position.

    The click targets sit at cell centres, so a point's x and y are the cell's column and row.
    """
    state = st.session_state.get(key)
    points = state["selection"]["points"] if state else []
    for point in points:
        if isinstance(point.get("x"), (int, float)) and isinstance(point.get("y"), (int, float)):
            st.session_state.conv_pos = lesson.position_of(int(round(point["y"])), int(round(point["x"])), width)
            return


def player(lab: Lab, started_playing: bool, started_speed: str) -> None:
    """Controls, the two pictures with the window, and the zoomed arithmetic of one cell.

    Runs as a fragment: its buttons rerun only this function. Playing is the same fragment with
    run_every set, which only a full rerun can change; so pressing play/pause (or changing the
    speed while playing) asks for one.
    """
    playing = st.session_state.get("conv_playing", False)
    speed = st.session_state.get("conv_speed", "normal")
    if playing != started_playing or (playing and speed != started_speed):
        st.rerun()
    settings, result = lab.settings, lab.result
    output = result["output"]
    c_out, out_h, out_w = output.shape
    total = out_h * out_w
    position = int(st.session_state.get("conv_pos", 0))
    if playing and st.session_state.get("conv_tick"):
        position = (position + 1) % total
    st.session_state.conv_pos = min(position, total - 1)
    st.session_state.conv_tick = playing

    buttons = st.columns([1, 1, 1.3, 1, 1, 3])
    buttons[0].button("First", icon=":material/first_page:", on_click=_go_to, args=(0,), width="stretch",
                      key="conv_first")
    buttons[1].button("Back", icon=":material/chevron_left:", on_click=_step, args=(-1, total), width="stretch",
                      key="conv_back")
    buttons[2].button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
                      on_click=_toggle_play, type="primary", width="stretch", key="conv_play")
    buttons[3].button("Step", icon=":material/chevron_right:", on_click=_step, args=(1, total), width="stretch",
                      key="conv_step")
    buttons[4].button("Last", icon=":material/last_page:", on_click=_go_to, args=(total - 1,), width="stretch",
                      key="conv_last")
    buttons[5].select_slider("Speed", list(SPEEDS), value="normal", key="conv_speed", bind=links.BIND, label_visibility="collapsed")
    if total > 1:
        # No key on purpose: the slider is rebuilt at each new position (its identity includes
        # its value), so a stale value in the browser can never pull the position back while
        # playing; a drag returns the new value in the same run.
        scrubbed = st.slider("Output position (scrub)", 0, total - 1, st.session_state.conv_pos,
                             help="Output cells in reading order: row by row, left to right.")
        st.session_state.conv_pos = scrubbed
    channel = 0
    if c_out > 1:
        channel = st.radio("Output channel", list(range(c_out)), horizontal=True, key="conv_channel", bind=links.BIND,
                           format_func=lambda c: CHANNEL_NAMES[c] if c_out == 3 else str(c))
    shown = lesson.cell_at(st.session_state.conv_pos, output.shape, channel)
    row, col = shown.row, shown.col

    cell = conv.explain_cell(result["x"], result["weight"], result["bias"], settings, channel, row, col)
    texts = lesson.cell_texts(output.shape, shown, cell)
    highlight = lesson.window_of(settings, row, col)
    window = (highlight.grid_rows, highlight.grid_cols)
    origin = settings.input_origin()
    if settings.is_transposed:
        grid_title = "Zero-inserted, padded input; the flipped kernel slides over it"
        input_box = None
    else:
        grid_title = "Input with its padding (dashed: the original input)"
        input_box = (origin[0], origin[1], lab.in_height, lab.in_width)
    grid_kinds = result["kinds"]
    left, right = st.columns(2)
    with left:
        if lab.is_grid:
            argmax = None if cell.argmax is None else (cell.grid_rows[cell.argmax[1]], cell.grid_cols[cell.argmax[2]])
            figure = conv_figures.grid_figure(result["grid"][cell.in_channels[0]], kinds=grid_kinds, title=grid_title,
                                              input_box=input_box, window=window, argmax=argmax)
        else:
            figure = conv_figures.photo_figure(result["input_layer"], title=grid_title, input_box=input_box, window=window)
        presentation.plot(figure, key="conv_input_chart")
    with right:
        out_title = texts.output_title
        if lab.is_grid:
            figure = conv_figures.grid_figure(output[channel], title=out_title, cell=(row, col), clickable=True)
        else:
            figure = conv_figures.photo_figure(result["output_layer"], title=out_title, cell=(row, col), clickable=True)
        presentation.plot(figure, key="conv_output_chart", selection_mode="points",
                        on_select=lambda: _jump_to_click("conv_output_chart", out_w))

    names = [CHANNEL_NAMES[c] for c in cell.in_channels] if settings.in_channels == 3 else None
    patch = conv_figures.window_figure(cell.window, cell.kernel, cell.products, kinds=cell.kinds,
                                       channel_names=names, argmax=cell.argmax,
                                       title=texts.patch_title)
    presentation.plot(patch, key="conv_patch_chart")
    st.markdown(texts.sum_line)
    if settings.is_transposed:
        taps = cell.contributions()
        st.caption(
            "Seen as a scatter: each input cell x[i, j] adds x[i, j] · w[a, b] into output cell "
            "(i·S − P + a·D, j·S − P + b·D). Contributing here: "
            + ("; ".join(f"x[{t.input_row},{t.input_col}] · w[{t.kernel_row},{t.kernel_col}]" for t in taps[:12])
               or "none (only inserted zeros and padding under the window)")
            + (" ..." if len(taps) > 12 else "")
        )


# --- The page ----------------------------------------------------------------------------------------

tab_2d, tab_1d, tab_1x1 = st.tabs(["2-D convolution and pooling", "1-D convolution", "1x1 convolution"])

with tab_2d:
    col_input, col_kernel, col_settings = st.columns([1.15, 1.2, 1])
    with col_input:
        st.subheader("Input", divider="gray")
        source, name, grey, grid, upload = choose_input()
    try:
        x = conv_lab_cache.lab_input(source, name, grey, grid, _upload=upload)
    except images.ImageError as error:
        with col_input:
            st.error(str(error))
        source, name, upload = "photo", "astronaut", None
        x = conv_lab_cache.lab_input(source, name, grey, grid)
    channels, in_height, in_width = x.shape
    with col_settings:
        st.subheader("Settings", divider="gray")
        operation = lesson.OPERATIONS[st.radio("Operation", list(lesson.OPERATIONS), key="conv_operation", bind=links.BIND)]
        settings_kwargs = choose_settings(operation, channels)
    with col_kernel:
        st.subheader("Kernel", divider="gray")
        kernel_size, kernel_values, bias, _ = choose_kernels(operation, channels, source)

    settings, warnings, error_text = lesson.lab_settings(operation, kernel_size, settings_kwargs, in_height, in_width)
    if error_text is None:
        error_text = conv_lab_cache.too_large(settings, in_height, in_width)

    st.subheader("Arithmetic", divider="gray")
    if settings is not None:
        # Full width, one thing per row: with photo-sized numbers the formulas and the metrics
        # were cut off in side-by-side columns, unreadable on a projector.
        shown = lesson.arithmetic(settings, in_height, in_width, refused=error_text is not None)
        for line in shown.formula_lines:
            st.latex(line)
        st.code(shown.torch_line, language="python", wrap_lines=True)
        for column, metric in zip(st.columns(3), shown.metrics):
            column.metric(metric.label, metric.value, help=metric.help)
    if error_text is not None:
        st.error(error_text, icon=":material/block:")
    for warning in warnings:
        st.warning(warning, icon=":material/warning:")

    if settings is not None and error_text is None and (settings.is_pool or kernel_values is not None):
        result = conv_lab_cache.result(source, name, grey, grid, kernel_values, float(bias), settings, _upload=upload)
        st.subheader("Step by step", divider="gray")
        lab = Lab(result, settings, source == "grid", in_height, in_width)
        playing = st.session_state.get("conv_playing", False)
        speed = st.session_state.get("conv_speed", "normal")
        st.fragment(page_frame.guarded(player), run_every=SPEEDS[speed] if playing else None)(lab, playing, speed)


with tab_1d:
    st.markdown(
        "The same sliding window on a line: $y[n] = \\sum_{m=0}^{K-1} x[nS + mD]\\, w[m]$. "
        "Deep learning computes this **cross-correlation**; textbook **convolution** flips the kernel, "
        "$y[n] = \\sum_m x[n-m]\\, w[m]$."
    )
    left, middle, right = st.columns([1.3, 1.3, 1])
    signal_name = left.selectbox("Signal", list(kernels.SIGNAL_EXAMPLES), key="conv1d_signal", bind=links.BIND)
    signal_text = left.text_input(
        "Signal values x", ", ".join(conv_figures.format_number(v) for v in kernels.SIGNAL_EXAMPLES[signal_name]),
        key=f"conv1d_signal_text_{signal_name}")
    kernel_name = middle.selectbox("Kernel", list(kernels.KERNELS_1D), key="conv1d_kernel")
    kernel_text = middle.text_input(
        "Kernel values w", ", ".join(conv_figures.format_number(v) for v in kernels.KERNELS_1D[kernel_name]),
        key=f"conv1d_kernel_text_{kernel_name}")
    stride_1d = right.slider("Stride", 1, 3, 1, key="conv1d_stride", bind=links.BIND)
    padding_1d = right.slider("Zero padding", 0, 3, 0, key="conv1d_padding", bind=links.BIND)
    dilation_1d = right.slider("Dilation", 1, 3, 1, key="conv1d_dilation", bind=links.BIND)
    try:
        signal = kernels.numbers_from_text(signal_text, "signal")
        kernel_1d = kernels.numbers_from_text(kernel_text, "kernel", longest=9)
        output_1d = conv.conv1d(signal, kernel_1d, stride_1d, padding_1d, dilation_1d)
    except (kernels.KernelPresetError, conv.ConvSettingsError) as error:
        st.error(escape(error), icon=":material/block:")  # it quotes what was typed
    else:
        n_out = len(output_1d)
        position_1d = st.slider("Output position n", 0, n_out - 1, 0, key="conv1d_position", bind=links.BIND) if n_out > 1 else 0
        presentation.plot(
            conv_figures.signal_figure(np.pad(signal, padding_1d), kernel_1d, output_1d, position=position_1d,
                                       stride=stride_1d, dilation=dilation_1d, padding=padding_1d),
            key="conv1d_chart")
        st.code(conv.conv1d_sum_text(signal, kernel_1d, position_1d, stride_1d, padding_1d, dilation_1d), language=None)
        st.code(conv.output_size_formula(len(signal), len(kernel_1d), stride_1d, padding_1d, dilation_1d, "N"), language=None)
        if len(kernel_1d) <= len(signal):
            st.caption(
                "Stride 1, no padding: cross-correlation (nn.Conv1d) gives "
                + ", ".join(conv_figures.format_number(v) for v in conv.conv1d(signal, kernel_1d))
                + "; true convolution (np.convolve, kernel flipped) gives "
                + ", ".join(conv_figures.format_number(v) for v in conv.true_convolution1d(signal, kernel_1d))
                + ". They agree only when the kernel reads the same backwards."
            )

with tab_1x1:
    st.markdown(
        "A **1x1 convolution** looks at one pixel at a time and mixes its channels: every output channel "
        "is a weighted sum of the input channels at the same pixel. It is a fully connected layer "
        "applied at every pixel, and the cheap way to change the number of channels."
    )
    patch = kernels.example_rgb_patch(5)
    left, right = st.columns([1, 2.2])
    with left:
        st.caption("Weights: one row per output channel, one column per input channel.")
        weight_table = st.data_editor(
            pd.DataFrame([[1.0, 1.0, 1.0], [1.0, 0.0, -1.0]], columns=list(CHANNEL_NAMES), index=["out 0", "out 1"]),
            key="conv1x1_weights")
        pixel_row = st.slider("Pixel row", 0, patch.shape[1] - 1, 0, key="conv1x1_row", bind=links.BIND)
        pixel_col = st.slider("Pixel column", 0, patch.shape[2] - 1, 0, key="conv1x1_col", bind=links.BIND)
    try:
        weights_1x1 = kernels.grid_from_table(weight_table.to_numpy(), "weight table")
        output_1x1 = conv.pointwise(patch, weights_1x1)
    except (kernels.KernelPresetError, conv.ConvSettingsError) as error:
        right.error(str(error), icon=":material/block:")
    else:
        with right:
            presentation.plot(conv_figures.pointwise_figure(patch, weights_1x1, output_1x1, pixel=(pixel_row, pixel_col)),
                            key="conv1x1_chart")
            st.code("\n".join(conv.pointwise_sum_text(patch, weights_1x1, pixel_row, pixel_col)), language=None)
            pointwise_layer = conv.ConvSettings(kernel_size=1, in_channels=3, out_channels=weights_1x1.shape[0])
            st.code(f"{pointwise_layer.torch_line()}  # {conv.parameter_count(pointwise_layer)} parameters, "
                    f"like nn.Linear(3, {weights_1x1.shape[0]}) at every pixel", language="python")
