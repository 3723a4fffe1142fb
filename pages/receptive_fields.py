"""Receptive fields: which part of the image one unit can see, layer by layer, and what networks cost.

Each tab: widgets -> its Settings -> cnnviz.lessons.receptive_fields -> drawn."""

from __future__ import annotations

import streamlit as st

from cnnviz import stack_builder
from cnnviz.architecture import ArchitectureError
from cnnviz.effective_field import EffectiveFieldError
from cnnviz.figures import receptive_figures as figs
from cnnviz.figures.block_diagram_figures import block_diagram_figure
from cnnviz.lessons import receptive_fields as lesson
from cnnviz.models import CheckpointError
from cnnviz.receptive import ReceptiveFieldError
from dashboard import presentation, widgets
from dashboard.caches import receptive_fields as rf_cache
from dashboard.markup import escape
from dashboard.widgets import bound

state = st.session_state
st.title("Receptive fields")
# The picture and its menus come first on a projector's screen; the explanation folds.
with st.expander(lesson.EXPLANATION_TITLE):
    st.markdown(lesson.INTRO)
    st.latex(lesson.RECURRENCE)
    st.markdown(lesson.NOTATION)
    st.info(lesson.TRY_THIS, icon=":material/lightbulb:")
if lesson.TAB_KEY not in state and lesson.TAB_KEY not in st.query_params:
    state[lesson.TAB_KEY] = lesson.tab_for_link(st.query_params)  # a link's settings open their tab
# Only the open tab runs (Streamlit's lazy tabs): the hidden ones cost nothing per rerun. What a
# closed tab's widgets held comes back: URL-bound values, the kept stack table and uploaded photo.
tabs = bound(st.tabs, list(lesson.TABS), key=lesson.TAB_KEY, on_change="rerun")


def _place_unit(network: tuple, chosen: lesson.ChosenLayer, grid_key: str) -> None:
    """Set rf_row and rf_col before their inputs exist: a new layer's centre, or a new grid click.
    Streamlit drops a widget's state on a run that does not draw it (e.g. awaiting an upload), so
    missing inputs are re-seeded too."""
    if "rf_row" not in state or "rf_col" not in state or state.get("rf_unit_layer") != (network, chosen.row.name):
        state["rf_unit_layer"] = (network, chosen.row.name)
        state["rf_row"], state["rf_col"] = chosen.centre
    clicked = lesson.clicked_unit(state.get(grid_key))
    if clicked is not None and state.get("rf_last_click") != (grid_key, clicked):
        state["rf_last_click"] = (grid_key, clicked)
        state["rf_row"], state["rf_col"] = clicked
    state["rf_row"], state["rf_col"] = lesson.clamp_unit((state["rf_row"], state["rf_col"]), chosen.grid)


def field_on_image_view() -> None:
    networks = lesson.network_menu(widgets.trained_networks())
    if state.get("rf_network") not in networks.labels:
        state["rf_network"] = networks.default
    left, middle = st.columns([1, 1])
    ref = widgets.network_menu("Network", list(networks.refs), key="rf_network", container=left)
    try:
        shape = rf_cache.input_shape(ref)
        rows = rf_cache.field_rows(ref, shape)
    except (CheckpointError, ReceptiveFieldError, ValueError) as error:
        st.error(escape(f"This network cannot be opened: {error}"))  # the sentence may quote the file
        return
    menu = lesson.layer_menu(rows)
    if state.get("rf_layer") not in menu.names:
        state["rf_layer"] = menu.default
    chosen = lesson.chosen_layer(rows, bound(middle.selectbox, "Layer (forward order)", menu.names, key="rf_layer"))

    grid_column, image_column = st.columns([2, 3])
    with image_column:  # the picture (filled in below) above its source: a narrow row cut the menus
        figure_slot = st.container()
        source_column, photo_column = st.columns([1, 1])
        # the bundled or uploaded photo (PIL), or None while waiting for an upload
        if bound(source_column.radio, "Image", lesson.SOURCES, key="rf_source") == lesson.SOURCES[0]:
            picture = widgets.bundled_photo("rf_photo", container=photo_column)
        else:
            with photo_column:
                picture = widgets.uploaded_photo("rf_upload", waiting=lesson.UPLOAD_WAITING, keep=True)
    if picture is None:
        return
    prepared = lesson.prepare(picture, shape)
    grid_key = f"rf_grid::{ref.key}::{chosen.row.name}"
    _place_unit(ref.key, chosen, grid_key)

    with grid_column:
        presentation.plot(figs.unit_grid(chosen.grid, (state["rf_row"], state["rf_col"])), on_select="rerun",
                          selection_mode="points", key=grid_key, width="stretch")
        st.markdown(chosen.heading)  # under the grid: the picture's row starts as high as it can
        row_column, col_column = st.columns(2)
        settings = lesson.FieldSettings(
            chosen.row.name,
            bound(row_column.number_input, "Unit row", *chosen.row_input, step=1, key="rf_row"),
            bound(col_column.number_input, "Unit column", *chosen.col_input, step=1, key="rf_col"),
            bound(st.toggle, "Overlay the effective field (gradient)", value=True, key="rf_effective",
                  disabled=not chosen.has_effective),
        )
    effective = None
    if settings.effective and chosen.has_effective:
        try:
            effective = rf_cache.unit_gradient(ref, prepared, chosen.row.module, settings.unit)
        except (EffectiveFieldError, CheckpointError) as error:
            st.warning(escape(f"No effective field for this layer: {error}"))
    view = lesson.field_view(settings, rows, prepared, effective, effective is not None and rf_cache.untrained(ref))
    with figure_slot:
        st.markdown(f"**{escape(view.title)}**")  # above the chart, where a long title wraps
        presentation.plot(figs.field_on_image(view.pixels, view.box, effective=view.effective_map, height=440),
                          width="stretch", key="rf_field_figure")
        st.caption(prepared.note)
    for sentence in view.sentences:
        st.markdown(sentence)

    st.subheader("Field size, layer by layer")
    # Full width each: side by side, the photo shrank to a thumbnail and the layer names overlapped.
    st.markdown(f"**{lesson.GROWTH_TITLE}**")
    presentation.plot(figs.field_growth_on_image(view.pixels, view.stages, height=600), width="stretch",
                      key="rf_growth_figure")
    presentation.plot(figs.field_size_chart(**view.chart.kwargs()), width="stretch", key="rf_size_chart")
    st.caption(lesson.SIZE_CHART_CAPTION)
    st.dataframe(lesson.records(view.table), hide_index=True, width="stretch", height=300)


def small_kernels_view() -> None:
    st.markdown(lesson.SMALL_KERNELS_TEXT)
    # Streamlit resets a number sent outside min..max to the default; the library checks it again.
    settings = lesson.SmallKernelsSettings(bound(st.number_input, "Channels C", *lesson.LESSON_CHANNELS_INPUT,
                                                 step=lesson.LESSON_CHANNELS_STEP, key="rf_lesson_channels"))
    try:
        result = lesson.small_kernels(settings)
    except ReceptiveFieldError as error:
        st.error(escape(str(error)))
        return
    presentation.plot(figs.stack_lesson_chart(result.stacks), width="stretch", key="rf_lesson_chart")
    st.dataframe(lesson.records(result.table), hide_index=True, width="stretch")


def _edited_rows(preset: str) -> list[dict]:
    """The builder table as edited. Streamlit raises on edits to rows or columns that do not exist
    (only a crafted client sends them): the table then starts afresh from the preset, under a new key."""
    labels = lesson.EDITOR_LABELS
    config = {setting: st.column_config.NumberColumn(labels[setting], min_value=low, max_value=high, step=1,
                                                     help=lesson.CHANNELS_HELP if setting == "channels" else None)
              for setting, (low, high) in lesson.SETTING_RANGES.items()}
    config["kind"] = st.column_config.SelectboxColumn(labels["kind"], options=list(lesson.STACK_KINDS), required=True)
    config["ceil_mode"] = st.column_config.CheckboxColumn(labels["ceil_mode"])
    generation = state.get("rf_builder_generation", 0)

    def editor():
        key = f"rf_builder_editor::{preset}" + (f"::{generation}" if generation else "")
        # Kept beside the editor: its edits outlive a visit to another tab (only the open tab is drawn).
        return widgets.kept_editor(st, lesson.preset_records(preset), key, stack_builder.stack_from_records,
                                   num_rows="dynamic", width="stretch", column_config=config)

    try:
        return editor()
    except (AttributeError, IndexError, KeyError, OverflowError, TypeError, ValueError):  # what pandas raises
        generation += 1
        state["rf_builder_generation"] = generation
        st.error(escape(lesson.EDITS_UNREADABLE))
        return editor()


def builder_view() -> None:
    st.markdown(lesson.BUILDER_INTRO)
    # The preset's menu on a row of its own: its names were cut in half of a 1024 px page.
    preset = bound(st.selectbox, "Start from", list(lesson.PRESETS), key="rf_builder_preset")
    top_middle, top_right = st.columns(2)
    # Streamlit resets a number or option sent outside the widget's limits; the lesson checks them again.
    settings = lesson.BuilderSettings(
        preset,
        bound(top_middle.number_input, "Input size (px)", *lesson.INPUT_SIZE_INPUT, key="rf_builder_size"),
        bound(top_right.selectbox, "Input channels", list(lesson.INPUT_CHANNELS), key="rf_builder_channels"),
    )
    try:
        result = lesson.builder(settings, _edited_rows(settings.builder_preset), rf_cache.report_stack)
    except ReceptiveFieldError as error:
        st.error(escape(str(error)))  # it may quote what the client sent
        return
    st.dataframe(lesson.records(result.table), hide_index=True, width="stretch")
    for note in result.fc_notes:
        st.markdown(note)
    st.markdown(result.totals)
    presentation.plot(figs.field_size_chart(**result.chart.kwargs()), width="stretch", key="rf_builder_chart")
    pattern = result.pattern
    st.subheader("The CNN pattern")
    st.markdown(f"**{pattern.general}**")
    st.caption(pattern.letters_meaning)
    if pattern.instance:
        st.markdown(f"This stack: **{pattern.instance}**, {pattern.letters}.")
    if pattern.problem:
        st.info(pattern.problem)
    presentation.plot(block_diagram_figure(result.report.diagram, brackets=pattern.brackets), width="stretch",
                      key="rf_builder_diagram")


def count_view() -> None:
    titles = lesson.network_titles()
    settings = lesson.CountSettings(bound(st.selectbox, "Network", list(titles), key="rf_count_network",
                                          index=list(titles).index(lesson.DEFAULT_NETWORK), format_func=titles.get))
    ref = settings.ref
    try:
        table = rf_cache.architecture_table(ref, rf_cache.input_shape(ref))
    except ArchitectureError as error:
        st.error(str(error))
        return
    result = lesson.count(table, rf_cache.zoo_comparison())
    for column, metric in zip(st.columns(len(result.metrics)), result.metrics):
        column.metric(metric.label, metric.value, help=metric.help)
    for caption in result.captions:
        st.caption(caption)
    number = st.column_config.NumberColumn(format="localized")
    st.dataframe(result.layers, hide_index=True, width="stretch", height=360,
                 column_config={"Parameters": number, "Multiply-adds": number})
    st.subheader("Every network side by side")
    presentation.plot(figs.comparison_chart(result.chart), width="stretch", key="rf_comparison_chart")
    st.dataframe(lesson.records(result.comparison), hide_index=True, width="stretch")

    st.subheader("Block diagram")
    # "rf_count_" like the tab's other menu, so that a link to a diagram opens this tab.
    title = bound(st.selectbox, "Diagram", list(lesson.DIAGRAM_TITLES), key="rf_count_diagram")
    view = lesson.block_diagram_view(title, rf_cache.block_diagram(title))
    st.caption(view.caption)
    presentation.plot(block_diagram_figure(view.diagram), width="stretch", key="rf_block_diagram")
    st.markdown(view.totals)


for tab, view in zip(tabs, (field_on_image_view, small_kernels_view, builder_view, count_view)):
    with tab:
        if tab.open:
            view()
