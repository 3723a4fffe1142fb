"""Convolution lab: slide a kernel over a photo or a small grid and watch the arithmetic.

A view: widgets -> cnnviz.lessons.conv_lab.Settings -> its Result (cached) -> figures. Stepping reruns
only the player fragment, which draws the highlight on pictures computed once. The 1-D and 1x1 tabs
run only while open.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnviz import conv, images, kernels
from cnnviz.figures import inside_figures as figs
from cnnviz.learned_kernels import kernel_pictures
from cnnviz.lessons import conv_lab as lesson
from dashboard import navigation, page_frame, presentation, widgets
from dashboard.caches import conv_lab as lab_cache
from dashboard.markup import escape

bound = widgets.bound
chosen: dict = {}  # the 2-D tab's widget values by key: the lesson.Settings fields shown this run


def ask(widget, label: str, *args, key: str, **kwargs):
    """A widget bound to its URL parameter, whose value becomes the Settings field of that name."""
    chosen[key] = bound(widget, label, *args, key=key, **kwargs)
    return chosen[key]


def read_table(start, what: str, key: str):
    """An editable copy of the grid `start`: what was typed, or None after a sentence."""
    table = st.data_editor(pd.DataFrame(start, columns=[str(c) for c in range(start.shape[1])]), key=key,
                           hide_index=True)
    try:
        return kernels.grid_from_table(table.to_numpy(), what, shape=start.shape)
    except kernels.KernelPresetError as error:
        st.error(str(error))
        return None


def choose_input() -> tuple[str, str, tuple | None, object]:
    """Input widgets -> (source, name, grid rows, uploaded picture): lab_cache.lab_input's arguments."""
    if ask(st.radio, "Input", lesson.SOURCES, horizontal=True, key="conv_source") == lesson.SOURCES[0]:
        example = ask(st.selectbox, "Example", kernels.GRID_EXAMPLES, key="conv_grid_example")
        size = ask(st.select_slider, "Size", lesson.GRID_SIZES, value=lesson.GRID_SIZES[0], key="conv_grid_size",
                   disabled=example == "Classic 5x5 example")
        start = kernels.example_grid(example, size)
        st.caption(lesson.EDIT_GRID)
        grid = read_table(start, "input grid", f"conv_grid_{example}_{size}")
        return "grid", "", tuple(map(tuple, (start if grid is None else grid).tolist())), None
    ask(st.toggle, "One grey channel instead of RGB", key="conv_grey")
    if chosen["conv_source"] == "Photo":
        photo = ask(st.selectbox, "Photo", images.sample_image_names(), index=lesson.PHOTO_INDEX, key="conv_photo")
        return "photo", photo, None, None
    picture = widgets.uploaded_photo("conv_upload", waiting=lesson.UPLOAD_WAITING, label=lesson.UPLOAD_LABEL,
                                     say_waiting=st.caption)
    if picture is None:  # nothing uploaded, or a file that is no photo (said above)
        return "photo", lesson.FALLBACK_PHOTO, None, None
    return "upload", st.session_state.conv_upload.file_id, None, picture


def kernel_editor(label: str, key: str, size: tuple[int, int], preset: str):
    """Preset menu + editable grid for one kernel; None (after a sentence) when it cannot be built."""
    name = bound(st.selectbox, label, kernels.preset_names(), index=kernels.preset_names().index(preset),
                 key=f"{key}_preset")
    st.caption(kernels.caption(name, *size))
    try:
        return read_table(kernels.make_kernel(name, *size), "kernel", f"{key}_{name}_{size[0]}x{size[1]}")
    except kernels.KernelPresetError as error:  # the preset has no kernel of this size
        st.error(str(error))
        return None


def choose_kernels(operation: str, channels: int, source: str) -> tuple | None:
    """Kernel widgets -> the editors' grids as typed (lesson.compute's kernel_tables), or None."""
    left, right = st.columns(2)
    size = (ask(left.number_input, "Kernel height F_h", *lesson.KERNEL_SIDES, lesson.DEFAULT.conv_kh, key="conv_kh"),
            ask(right.number_input, "Kernel width F_w", *lesson.KERNEL_SIDES, lesson.DEFAULT.conv_kw, key="conv_kw"))
    if lesson.is_pool(operation):
        st.caption(lesson.POOLING_HAS_NO_WEIGHTS)
        return None
    preset = lesson.default_preset(chosen["conv_source"])
    if lesson.offers_per_channel(operation, channels) and ask(st.toggle, "A different kernel per colour channel",
                                                              key="conv_per_channel"):
        grids = []
        for tab, channel in zip(st.tabs(list(lesson.CHANNEL_NAMES)), lesson.CHANNEL_NAMES):
            with tab:
                grids.append(kernel_editor(f"Kernel for {channel}", f"conv_kernel_{channel}", size, preset))
    else:
        grids = [kernel_editor("Kernel", f"conv_kernel_{source}", size, preset)]
    with presentation.secondary("Bias and flip"):
        ask(st.number_input, "Bias", *lesson.BIASES, lesson.DEFAULT.conv_bias, lesson.BIAS_STEP, key="conv_bias")
        ask(st.toggle, "True convolution (flip the kernel)", key="conv_flip", help=lesson.FLIP_HELP)
    return None if any(grid is None for grid in grids) else tuple(tuple(map(tuple, g.tolist())) for g in grids)


def _press(button: str, total: int, out_w: int) -> None:
    """The player's callback for a button (its key) or a click on the output chart: play/pause or move."""
    state, position = st.session_state, st.session_state.get("conv_pos", 0)
    if button == "conv_play":
        state.conv_playing = not state.get("conv_playing", False)
    elif button == "conv_output_chart":  # a click: the clicked cell, if the click names one
        clicked = lesson.clicked_position(state[button]["selection"]["points"] if state.get(button) else [], out_w)
        state.conv_pos = position if clicked is None else clicked
    else:
        state.conv_pos = lesson.pressed(button, position, total)


def player(result: lesson.Result, started_playing: bool, started_speed: str) -> None:
    """Controls, both pictures with the window, and the zoomed arithmetic of one cell. A fragment: its
    buttons rerun only it; play/pause and a new speed while playing change run_every: a full rerun."""
    playing = st.session_state.get("conv_playing", False)
    if playing != started_playing or (playing and st.session_state.get("conv_speed", "normal") != started_speed):
        st.rerun()
    c_out, _, out_w = result.output.shape
    total, position = result.cell_count, int(st.session_state.get("conv_pos", 0))
    ticked = playing and st.session_state.get("conv_tick")
    st.session_state.conv_pos = lesson.stepped(lesson.played(position, total) if ticked else position, 0, total)
    st.session_state.conv_tick = playing

    # The buttons get a row of their own: beside the speed they were cut to "F." on a projector.
    for column, (key, label, icon) in zip(st.columns(5), lesson.player_buttons(playing)):
        column.button(label, icon=f":material/{icon}:", on_click=_press, args=(key, total, out_w), key=key,
                      width="stretch", type="primary" if key == "conv_play" else "secondary")
    pictures = st.container()  # right under the buttons (on a projector's first screen); filled below
    scrub, speed = st.columns([3, 1])
    bound(speed.select_slider, "Speed", list(lesson.SPEEDS), value="normal", key="conv_speed")
    if total > 1:
        # No key: rebuilt at each position (its id holds its value), a stale browser value cannot pull back.
        st.session_state.conv_pos = scrub.slider("Output position (scrub)", 0, result.last_position,
                                                 st.session_state.conv_pos, help=lesson.SCRUB_HELP)
    channel = 0 if c_out == 1 else bound(st.radio, "Output channel", list(range(c_out)), horizontal=True,
                                         key="conv_channel", format_func=lambda c: lesson.channel_label(c, c_out))
    view = lesson.cell_view(result, st.session_state.conv_pos, channel)
    figures = lesson.player_figures(result, view)
    with pictures:
        if figures.input_zoom is not None:  # a photo: the readable zoom first; the whole pictures say where it is
            left, right = st.columns(2)
            with left:
                presentation.plot(figures.input_zoom, key="conv_input_zoom", title_above=True)
            with right:
                presentation.plot(figures.output_zoom, key="conv_output_zoom", title_above=True)
        left, right = st.columns(2)
        with left:
            presentation.plot(figures.input, key="conv_input_chart", title_above=True)
        with right:
            presentation.plot(figures.output, key="conv_output_chart", title_above=True, selection_mode="points",
                              on_select=lambda: _press("conv_output_chart", total, out_w))
        st.caption(lesson.PICTURES_NOTE)
    presentation.plot(figures.window, key="conv_patch_chart", title_above=True)
    st.markdown(view.texts.sum_line)
    if view.scatter is not None:
        st.caption(view.scatter)
    st.page_link(navigation.link_to("pages/inside.py"), label=lesson.INSIDE_UNIT_LABEL, icon=":material/layers:",
                 query_params={"inside_view": "Layer outputs"})


def two_d_view() -> None:
    """The 2-D tab. First screen: the layer's settings beside the step-by-step pictures (the picture
    and its main controls together on a projector); then the input and kernel, then the arithmetic."""
    # Side by side from ~700 px; narrower (1024 px with the sidebar) the pictures stack above the settings.
    col_settings, col_pictures = presentation.side_by_side("conv_first_row", [1, 2.2], gap="medium")
    # Input and kernel get half the page each: in three columns 1024 px cut their menus.
    col_input, col_kernel = st.columns([1, 1.3])
    with col_input:
        st.subheader("Input", divider="gray")
        source, name, grid, picture = choose_input()
    channels = lab_cache.lab_input(source, name, chosen.get("conv_grey", False), grid, _picture=picture).shape[0]
    with col_settings:
        st.subheader("Layer", divider="gray")
        operation = lesson.OPERATIONS[ask(st.radio, "Operation", list(lesson.OPERATIONS), key="conv_operation")]
        ask(st.slider, "Stride S", *lesson.STRIDES, lesson.DEFAULT.conv_stride, key="conv_stride")
        ask(st.selectbox, "Padding P", lesson.PADDINGS, key="conv_padding")
        ask(st.slider, "Dilation D", *lesson.DILATIONS, lesson.DEFAULT.conv_dilation, key="conv_dilation")
        with presentation.secondary("Padding mode, groups"):
            ask(st.selectbox, "Padding mode", conv.PADDING_MODES, key="conv_padding_mode",
                disabled=operation != "conv")
            if lesson.offers_groups(operation, channels):
                ask(st.radio, "Groups", lesson.GROUPS, key="conv_groups", captions=list(lesson.GROUP_CAPTIONS))
        if operation == "transposed":
            ask(st.number_input, "Output padding", *lesson.OUTPUT_PADDINGS, lesson.DEFAULT.conv_output_padding,
                key="conv_output_padding")
    with col_kernel:
        st.subheader("Kernel", divider="gray")
        kernel_tables = choose_kernels(operation, channels, source)
    result = lab_cache.result(lesson.Settings(**chosen), source, name, grid, kernel_tables, _picture=picture)

    with col_pictures:
        st.subheader("Step by step", divider="gray")
        if result.refusal is not None:  # where the pictures would be: the reason there are none
            st.error(result.refusal, icon=":material/block:")
        for warning in result.warnings:
            st.warning(warning, icon=":material/warning:")
        if result.playable:
            playing, speed = st.session_state.get("conv_playing", False), st.session_state.get("conv_speed", "normal")
            run_every = lesson.SPEEDS[speed] if playing else None
            st.fragment(page_frame.guarded(player), run_every=run_every)(result, playing, speed)
    st.subheader("Arithmetic", divider="gray")
    if result.arithmetic is not None:  # full width, one thing per row: photo-sized numbers need it
        for line in result.arithmetic.display_lines:
            st.latex(line)
        presentation.code(result.arithmetic.torch_line)
        for column, metric in zip(st.columns(3), result.arithmetic.metrics):
            column.metric(metric.label, metric.value, help=metric.help)
        if result.arithmetic.same_padding is not None:
            st.markdown(f"**{lesson.SAME_PADDING_TITLE}**")
            for line in result.arithmetic.same_padding.lines:
                st.latex(line)
            st.markdown(result.arithmetic.same_padding.note)
    if result.weight is not None:
        im2col_view(result)
    # Fragments: a new bank, chain or side reruns only its section, not the lab's layer and pictures.
    st.fragment(page_frame.guarded(filter_bank_view))(result)
    st.fragment(page_frame.guarded(worked_sizes_view))(result)


def im2col_view(result: lesson.Result) -> None:
    """The lab's layer as W_row @ X_col, with the matrices themselves when they are small."""
    with st.expander(lesson.IM2COL_TITLE, icon=":material/grid_view:"):
        shown = lesson.im2col_view(result.layer, result.x, result.weight, result.bias)
        if isinstance(shown, str):
            st.caption(shown)
            return
        st.markdown(lesson.IM2COL_INTRO)
        for line in shown.shape_lines:
            st.latex(lesson.broken(line))
        if shown.tables is not None:
            x_col, w_row, product = shown.tables
            st.markdown(lesson.X_COL_TITLE)
            st.dataframe(pd.DataFrame(x_col), key="conv_im2col_x")
            st.markdown(lesson.PRODUCT_TITLE)
            st.dataframe(pd.DataFrame(w_row), key="conv_im2col_w")
            st.dataframe(pd.DataFrame(product), key="conv_im2col_product")
        st.caption(shown.example)


def filter_bank_view(result: lesson.Result) -> None:
    """Several kernels on the lab's input: the weight tensor and one feature map per kernel."""
    st.subheader(lesson.FILTER_BANK_TITLE, divider="gray")
    st.caption(lesson.FILTER_BANK_INTRO)
    channels = result.in_channels
    # A menu per kind of input: the colour kernels are offered for RGB only.
    names = bound(st.multiselect, "Kernels (C_out: one feature map each)", lesson.kernel_choices(channels),
                  default=lesson.default_kernels(channels), max_selections=lesson.MAX_KERNELS,
                  key=lesson.bank_key(channels))
    bank = lesson.filter_bank(result.settings, result.layer, result.refusal is not None, result.x, names)
    if isinstance(bank, str):
        st.info(bank)
        return
    presentation.code(bank.torch_line)
    st.latex(lesson.SUM_FORMULA)
    st.latex(bank.shape_line)
    st.latex(lesson.broken(bank.parameter_line))
    left, right = st.columns([1, 2])
    with left:
        presentation.plot(figs.kernel_grid(kernel_pictures(bank.weight, "symmetric", rgb=False),
                                           title=bank.kernel_title), key="conv_bank_kernels", title_above=True)
    with right:
        for start in range(0, len(bank.maps), lesson.MAPS_PER_ROW):
            for column, (picture, caption) in zip(st.columns(lesson.MAPS_PER_ROW),
                                                  bank.maps[start:start + lesson.MAPS_PER_ROW]):
                column.image(picture, width="stretch", caption=caption)
        st.caption(lesson.MAPS_CAPTION)


def _open_size_example(lab_side: int) -> None:
    """A new choice of layers opens on its usual input side (the lab's own input for your layer)."""
    example = lesson.size_example(st.session_state.conv_sizes_layers)
    st.session_state.conv_sizes_side = lab_side if example is None else example.size


def worked_sizes_view(result: lesson.Result) -> None:
    """The size formula on an input of any side: a textbook chain of layers, or the lab's layer."""
    st.subheader(lesson.WORKED_SIZES_TITLE, divider="gray")
    st.caption(lesson.WORKED_SIZES_INTRO)
    state = st.session_state
    if state.get("conv_sizes_lab_width", result.in_width) != result.in_width and \
            lesson.size_example(state.get("conv_sizes_layers", lesson.YOUR_LAYER)) is None:
        state.conv_sizes_side = result.in_width  # a new input: your layer follows it (a link's side is kept)
    state.conv_sizes_lab_width = result.in_width
    left, right = st.columns([2, 1])
    name = bound(left.selectbox, "Layers", lesson.SIZE_CHOICES, key="conv_sizes_layers",
                 on_change=_open_size_example, args=(result.in_width,))
    example = lesson.size_example(name)
    side = bound(right.number_input, "Input side W_in", *lesson.INPUT_SIDES,
                 result.in_width if example is None else example.size, key="conv_sizes_side")
    if example is not None:
        chain = lesson.size_chain(example.layers, side, example.channels, example.note)
    elif result.layer is not None:
        chain = lesson.size_chain((result.layer,), side, result.layer.in_channels)
    else:
        st.caption(lesson.NO_LAYER_TO_SIZE)
        return
    for step in chain.steps:
        presentation.code(step.torch_line)
        for line in step.size_lines:
            st.latex(lesson.broken(line))
        if step.parameter_line is not None:
            st.latex(lesson.broken(step.parameter_line))
    if chain.refusal is not None:
        # A warning: the layer settings' own refusal, if any, stays the page's one error.
        st.warning(escape(chain.refusal), icon=":material/block:")
    st.markdown(f"**Shapes (C x H x W):** {chain.chain.replace(' -> ', ' → ')}")
    if chain.note:
        st.caption(chain.note)


def one_d_view() -> None:
    """The 1-D tab: a signal, a kernel and the sliding sum on a line."""
    st.markdown(lesson.ONE_D_INTRO)
    # Signal and kernel in halves, the layer's three sliders in a row under them: in thirds the
    # menus' values were cut at 1024 px.
    left, middle = st.columns(2)
    signal_name = bound(left.selectbox, "Signal", list(kernels.SIGNAL_EXAMPLES), key="conv1d_signal")
    # persist_state: what was typed survives a visit to another tab (only the open tab is drawn).
    signal_text = left.text_input("Signal values x", lesson.SIGNAL_TEXTS[signal_name],
                                  key=f"conv1d_signal_text_{signal_name}", persist_state="page")
    kernel_name = middle.selectbox("Kernel", list(kernels.KERNELS_1D), key="conv1d_kernel", persist_state="page")
    kernel_text = middle.text_input("Kernel values w", lesson.KERNEL_TEXTS[kernel_name],
                                    key=f"conv1d_kernel_text_{kernel_name}", persist_state="page")
    stride, padding, dilation = st.columns(3)
    layer_1d = (bound(stride.slider, "Stride", *lesson.SIGNAL_STRIDES, 1, key="conv1d_stride"),
                bound(padding.slider, "Zero padding", *lesson.SIGNAL_PADDINGS, 0, key="conv1d_padding"),
                bound(dilation.slider, "Dilation", *lesson.SIGNAL_DILATIONS, 1, key="conv1d_dilation"))
    try:
        line = lesson.signal_lesson(signal_text, kernel_text, *layer_1d)
    except (kernels.KernelPresetError, conv.ConvSettingsError) as error:
        st.error(escape(error), icon=":material/block:")  # it quotes what was typed
    else:
        position_1d = bound(st.slider, "Output position n", 0, line.last_position, 0,
                            key="conv1d_position") if line.last_position > 0 else 0
        presentation.plot(line.figure(position_1d), key="conv1d_chart")
        presentation.code(line.sum_text(position_1d))
        presentation.code(line.size_formula)
        if line.comparison is not None:
            st.caption(line.comparison)


def pointwise_view() -> None:
    """The 1x1 tab: one pixel's channels mixed by a weight table."""
    st.markdown(lesson.POINTWISE_INTRO)
    left, right = st.columns([1.3, 2])  # the weight table's three channels fit at 1280 px
    left.caption(lesson.POINTWISE_WEIGHTS_NOTE)
    start = pd.DataFrame(lesson.POINTWISE_WEIGHTS, columns=list(lesson.CHANNEL_NAMES),
                         index=list(lesson.POINTWISE_OUTPUTS))
    weight_table = widgets.kept_editor(left, start, "conv1x1_weights",
                                       check=lambda table: kernels.grid_from_table(table.to_numpy(), "weight table"))
    pixel = (bound(left.slider, "Pixel row", *lesson.PIXEL_ROWS, 0, key="conv1x1_row"),
             bound(left.slider, "Pixel column", *lesson.PIXEL_COLS, 0, key="conv1x1_col"))
    try:
        mixed = lesson.pointwise_lesson(weight_table.to_numpy(), *pixel)
    except (kernels.KernelPresetError, conv.ConvSettingsError) as error:
        right.error(str(error), icon=":material/block:")
    else:
        with right:
            presentation.code("\n".join(mixed.sum_lines))  # no sideways scroll on a projector
            presentation.code(mixed.torch_line)
        presentation.plot(mixed.figure(), key="conv1x1_chart")  # full width: its numbers need the room


st.title("Convolution lab")
with st.expander(lesson.INTRO_LABEL, icon=":material/school:"):  # folded: the controls open the first screen
    st.markdown(lesson.INTRO)
    st.latex(lesson.FORMULA)
    st.latex(lesson.SIZE_FORMULA)
    st.info(lesson.TRY_FIRST, icon=":material/lightbulb:")
if lesson.TAB_KEY not in st.session_state and lesson.TAB_KEY not in st.query_params:
    st.session_state[lesson.TAB_KEY] = lesson.tab_for_link(st.query_params)  # a link's settings open their tab
# Streamlit's lazy tabs: the 1-D and 1x1 tabs run only while open, so they cost nothing on the 2-D
# tab. The 2-D tab always runs: its upload and edited grids cannot be set back once dropped.
tabs = bound(st.tabs, list(lesson.TABS), key=lesson.TAB_KEY, on_change="rerun")
for tab, view in zip(tabs, (two_d_view, one_d_view, pointwise_view)):
    with tab:
        if tab.open or view is two_d_view:
            view()
