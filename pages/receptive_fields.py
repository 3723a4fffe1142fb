"""Receptive fields: which part of the image one unit can see, layer by layer, and what networks cost."""

import streamlit as st

from cnnviz import images, stack_builder
from cnnviz.architecture import ArchitectureError
from cnnviz.effective_field import EffectiveFieldError
from cnnviz.figures import receptive_figures as figs
from cnnviz.lessons import receptive_fields as lesson_math
from cnnviz.model_ref import ModelRef
from cnnviz.models import CheckpointError, list_models, model_spec
from cnnviz.receptive import ReceptiveFieldError
from cnnviz.stack_builder import StackLayer
from dashboard import caches, links, presentation
from dashboard.caches import receptive_fields as rf_cache
from dashboard.markup import escape

DEFAULT_NETWORK = "resnet18"
SOURCES = ("Bundled photo", "Upload a photo")

st.title("Receptive fields")
st.markdown(
    "A unit deep inside a CNN computes from a patch of the input image only: its **receptive field**. "
    "Each convolution or pooling layer widens that patch by its kernel, measured in the steps of the "
    "layer before, and each stride makes the following steps longer. Per layer, with kernel $k$, stride "
    "$s$, padding $p$ and dilation $d$ ($k_{eff} = d(k-1)+1$):"
)
st.latex(
    r"r_{out} = r_{in} + (k_{eff} - 1)\,j_{in} \qquad j_{out} = j_{in}\, s \qquad "
    r"\text{start}_{out} = \text{start}_{in} - p\, j_{in}"
)
st.markdown(
    "$r$ is the field size, $j$ the jump (effective stride) in input pixels. Unit $i$ sees input rows "
    "$-P + i\\,j \\;\\dots\\; -P + i\\,j + r - 1$, where $P$ = -start is the effective padding. Where paths "
    "meet (a residual add, an Inception concatenation) the field is the union of the paths' fields. The "
    "**effective** field (Luo et al., 2016) is the gradient of the unit with respect to each pixel: "
    "it is far smaller than the theoretical box."
)
st.info(
    "**Try this first:** keep ResNet-18 and the cat, pick an early layer (net.layer1.0.conv1), then a "
    "late one (net.layer4.1 (add)), and watch the blue box grow from a patch to more than the whole "
    "picture. Click any square of the unit grid to move the unit.",
    icon=":material/lightbulb:",
)

tab_image, tab_lesson, tab_builder, tab_count = st.tabs(
    ["Field on your image", "Small kernels, stacked", "Build a stack", "Count the networks"]
)


# ---------------------------------------------------------------------------------------------
# Field on your image


def _network_options() -> dict[str, ModelRef]:
    """Menu label (as links carry it) -> network: the zoo first (ResNet-18 the default), then
    trained checkpoints."""
    options = {ref.label: ref for ref in map(ModelRef.zoo, list_models())}
    trained, problems = caches.trained_models(caches.session_uploads())
    for problem in problems:
        st.warning(f"Skipped a checkpoint: {escape(problem)}")
    for entry in trained:
        try:
            ref = ModelRef.checkpoint(entry, label=f"trained: {entry.label}")
            options[ref.label] = ref
        except OSError:  # deleted since it was listed
            continue
    return options


def _input_shape(ref: ModelRef) -> tuple[int, int, int]:
    model = rf_cache.counting_model(ref)
    return tuple(int(v) for v in model.input_shape)


def _choose_image(channels: int, height: int, width: int):
    """The prepared picture (images.PreparedImage), or None while waiting for an upload."""
    source = st.radio("Image", SOURCES, horizontal=True, key="rf_source", bind=links.BIND)
    if source == "Bundled photo":
        name = st.selectbox("Photo", images.sample_image_names(), key="rf_photo", bind=links.BIND)
        picture = caches.sample_image(name)
    else:
        upload = st.file_uploader("A photo (JPEG, PNG, WebP, BMP, GIF or TIFF)", key="rf_upload")
        if upload is None:
            st.info("Upload a photo to draw fields on it.")
            return None
        try:
            picture = caches.uploaded_image(upload.getvalue())
        except images.ImageError as error:
            st.error(str(error))
            return None
    return images.prepare_for_model(picture, channels=channels, size=(height, width), fit="crop")


def _clicked_unit(grid_key: str) -> tuple[int, int] | None:
    """The unit last clicked on the grid (its customdata: [row, col]), if the click is new."""
    event = st.session_state.get(grid_key)
    try:
        customdata = event["selection"]["points"][0]["customdata"]
        # The browser sends an array as a list, or as an object keyed "0", "1".
        values = [customdata[k] for k in sorted(customdata, key=int)] if isinstance(customdata, dict) else list(customdata)
        clicked = (int(values[0]), int(values[1]))
    except (TypeError, KeyError, IndexError, ValueError, OverflowError):  # not a click a browser sends: ignored
        return None
    if st.session_state.get("rf_last_click") == (grid_key, clicked):
        return None
    st.session_state["rf_last_click"] = (grid_key, clicked)
    return clicked


def field_on_image_view() -> None:
    options = _network_options()
    labels = list(options)
    default = ModelRef.zoo(DEFAULT_NETWORK)
    default_label = next(label for label, ref in options.items() if ref == default)
    if st.session_state.get("rf_network") not in labels:
        st.session_state["rf_network"] = default_label
    left, right = st.columns([1, 1])
    with left:
        label = st.selectbox("Network", labels, key="rf_network", bind=links.BIND)
    network_ref = options[label]
    try:
        channels, height, width = _input_shape(network_ref)
        rows = rf_cache.field_rows(network_ref, (channels, height, width))
    except (CheckpointError, ReceptiveFieldError, ValueError) as error:
        st.error(escape(f"This network cannot be opened: {error}"))  # the sentence may quote the file
        return
    with right:
        prepared = _choose_image(channels, height, width)
    if prepared is None:
        return

    clickable = [row for row in rows if row.spatial and not row.whole_input]
    names = [row.name for row in clickable]
    if st.session_state.get("rf_layer") not in names:
        st.session_state["rf_layer"] = names[min(len(names) - 1, len(names) // 3)]
    layer_name = st.selectbox("Layer (forward order)", names, key="rf_layer", bind=links.BIND)
    row = clickable[names.index(layer_name)]
    _, grid_h, grid_w = row.output_shape

    # The unit: a grid click (handled before the number inputs exist, so it can set them) or typed.
    grid_key = f"rf_grid::{network_ref.key}::{layer_name}"
    # Streamlit drops a widget's state on a run that does not draw it (e.g. while an upload is
    # awaited), so the unit is re-seeded whenever its inputs are missing, not only on a new layer.
    unit_missing = "rf_row" not in st.session_state or "rf_col" not in st.session_state
    if unit_missing or st.session_state.get("rf_unit_layer") != (network_ref.key, layer_name):
        st.session_state["rf_unit_layer"] = (network_ref.key, layer_name)
        st.session_state["rf_row"], st.session_state["rf_col"] = grid_h // 2, grid_w // 2
    clicked = _clicked_unit(grid_key)
    if clicked is not None:
        st.session_state["rf_row"], st.session_state["rf_col"] = clicked
    st.session_state["rf_row"] = min(max(int(st.session_state["rf_row"]), 0), grid_h - 1)
    st.session_state["rf_col"] = min(max(int(st.session_state["rf_col"]), 0), grid_w - 1)

    grid_column, image_column = st.columns([2, 3])
    with grid_column:
        st.markdown(f"**Units of {layer_name}** ({grid_h} × {grid_w} grid, {row.output_shape[0]} channels): click one")
        presentation.plot(
            figs.unit_grid((grid_h, grid_w), (st.session_state["rf_row"], st.session_state["rf_col"])),
            on_select="rerun", selection_mode="points", key=grid_key, width="stretch",
        )
        row_column, col_column = st.columns(2)
        # The default is the centre unit, as seeded above: a link leaves out the centre and keeps 0.
        unit_row = row_column.number_input("Unit row", 0, grid_h - 1, grid_h // 2, step=1, key="rf_row",
                                           bind=links.BIND)
        unit_col = col_column.number_input("Unit column", 0, grid_w - 1, grid_w // 2, step=1, key="rf_col",
                                           bind=links.BIND)
        show_effective = st.toggle("Overlay the effective field (gradient)", value=True, key="rf_effective", bind=links.BIND,
                                   disabled=row.module is None)
    unit = (int(unit_row), int(unit_col))
    box = row.box(*unit)

    effective = None
    if show_effective and row.module is not None:
        try:
            effective = rf_cache.effective_field(
                network_ref, caches.image_hash(prepared.tensor), prepared.tensor, row.module, unit
            )
        except (EffectiveFieldError, CheckpointError) as error:
            st.warning(escape(f"No effective field for this layer: {error}"))
    with image_column:
        title = f"{layer_name}, unit ({unit[0]}, {unit[1]}): field {row.text(row.size)} px"
        pixels = images.to_array(prepared.image)
        presentation.plot(
            figs.field_on_image(pixels, box, effective=None if effective is None else effective.gradient, title=title),
            width="stretch", key="rf_field_figure",
        )
        st.caption(prepared.note)

    st.markdown(lesson_math.unit_field(row, unit, (height, width)).text)
    st.markdown(lesson_math.recurrence_step(row).text)
    if effective is not None:
        st.markdown(lesson_math.effective_field_text(
            effective.mass_pixels(0.9), box, (height, width), "untrained" in _network_title(network_ref)
        ))

    st.subheader("Field size, layer by layer")
    growth_column, chart_column = st.columns([2, 3])
    with growth_column:
        stages = _stage_ends(clickable)
        presentation.plot(
            figs.field_growth_on_image(
                pixels,
                [(f"{r.name}: {r.text(r.size)} px", r.box(r.output_shape[1] // 2, r.output_shape[2] // 2)) for r in stages],
                title="The centre unit's field at the end of each stage",
            ),
            width="stretch", key="rf_growth_figure",
        )
    with chart_column:
        presentation.plot(
            figs.field_size_chart(
                [r.name for r in rows], [max(r.size) for r in rows], [max(r.stride) for r in rows],
                [r.whole_input for r in rows], input_size=max(height, width), highlight=layer_name,
            ),
            width="stretch", key="rf_size_chart",
        )
        st.caption(
            "Bars: field size per layer in forward order (red: the chosen layer, grey: sees the whole input). "
            "Dips are shortcut paths, which skip convolutions and see less. Line: effective stride."
        )
    st.dataframe(
        [
            {
                "Layer": r.name,
                "Kind": r.kind,
                "Output": " × ".join(str(v) for v in r.output_shape),
                "Field (px)": "whole input" if r.whole_input else r.text(r.size),
                "Stride (px)": r.text(r.stride),
                "Padding (px)": "" if r.whole_input else r.text(r.padding),
            }
            for r in rows
        ],
        hide_index=True, width="stretch", height=300,
    )


def _stage_ends(rows, most: int = 6):
    """The last layer at each effective stride (the end of each stage), at most ``most`` of them."""
    ends = {}
    for row in rows:
        ends[row.stride] = row  # later rows at the same stride replace earlier ones
    stages = list(ends.values())
    if len(stages) > most:  # keep the first, the last, and evenly spaced ones between
        picks = [round(i * (len(stages) - 1) / (most - 1)) for i in range(most)]
        stages = [stages[i] for i in picks]
    return stages


def _network_title(ref: ModelRef) -> str:
    if ref.is_zoo:
        return "untrained" if caches.opened_network(ref).note else ""
    return ""


with tab_image:
    field_on_image_view()


# ---------------------------------------------------------------------------------------------
# Small kernels, stacked

with tab_lesson:
    st.markdown(lesson_math.SMALL_KERNELS_TEXT)
    # Streamlit resets a number sent outside min..max to the default; the library checks it again.
    lesson_channels = st.number_input("Channels C", *stack_builder.LESSON_CHANNELS_RANGE, 64, step=16,
                                      key="rf_lesson_channels", bind=links.BIND)
    try:
        lesson = stack_builder.stacked_versus_single(channels=lesson_channels, input_size=32)
    except ReceptiveFieldError as error:
        st.error(escape(str(error)))
    else:
        presentation.plot(figs.stack_lesson_chart(lesson), width="stretch", key="rf_lesson_chart")
        st.dataframe(
            [
                {
                    "Stack": name,
                    "Layers": " → ".join(layer.describe() for layer in stack["layers"]),
                    "Field after each layer (px)": " → ".join(str(f) for f in stack["fields"]),
                    "Weights": f"{stack['weights']:,}",
                    "Non-linearities": stack["nonlinearities"],
                }
                for name, stack in lesson.items()
            ],
            hide_index=True, width="stretch",
        )


# ---------------------------------------------------------------------------------------------
# Build a stack

PRESETS = {
    "VGG-like: conv, conv, pool, twice": [
        StackLayer("conv", 3, 1, 1, 1, 16), StackLayer("conv", 3, 1, 1, 1, 16), StackLayer("max pool", 2, 2, 0),
        StackLayer("conv", 3, 1, 1, 1, 32), StackLayer("conv", 3, 1, 1, 1, 32), StackLayer("max pool", 2, 2, 0),
    ],
    "Dilated: 3x3 convs with dilation 1, 2, 4, 8": [StackLayer("conv", 3, 1, d, d, 16) for d in (1, 2, 4, 8)],
    "Too many poolings (invalid on 32 x 32)": [
        StackLayer("conv", 5, 1, 0, 1, 8), StackLayer("max pool", 2, 2, 0), StackLayer("conv", 5, 1, 0, 1, 16),
        StackLayer("max pool", 2, 2, 0), StackLayer("conv", 5, 1, 0, 1, 32), StackLayer("max pool", 2, 2, 0),
    ],
}


EDITS_UNREADABLE = "The table's edits could not be read, so it starts again from the preset."


def _number_column(label: str, setting: str):
    """A table column limited to the builder's range for ``setting`` (the server checks it again)."""
    low, high = stack_builder.SETTING_RANGES[setting]
    return st.column_config.NumberColumn(label, min_value=low, max_value=high, step=1)


def _edited_rows(preset: str) -> list[dict]:
    """The builder table as the student edited it, one dict per row.

    Streamlit applies the browser's edits itself and raises on edits to rows or columns that do
    not exist, which only a crafted client sends: then the table starts afresh from the preset,
    under a new key, with a sentence.
    """
    rows = [{column: getattr(layer, column) for column in stack_builder.STACK_COLUMNS} for layer in PRESETS[preset]]
    column_config = {
        "kind": st.column_config.SelectboxColumn("Kind", options=list(stack_builder.STACK_KINDS), required=True),
        "kernel": _number_column("Kernel", "kernel"),
        "stride": _number_column("Stride", "stride"),
        "padding": _number_column("Padding", "padding"),
        "dilation": _number_column("Dilation (conv)", "dilation"),
        "channels": _number_column("Channels (conv)", "channels"),
        "ceil_mode": st.column_config.CheckboxColumn("Round up (pool)"),
    }
    generation = st.session_state.get("rf_builder_generation", 0)

    def editor():
        key = f"rf_builder_editor::{preset}" + (f"::{generation}" if generation else "")
        return st.data_editor(rows, num_rows="dynamic", key=key, width="stretch", column_config=column_config)

    try:
        return editor()
    except (AttributeError, IndexError, KeyError, OverflowError, TypeError, ValueError):  # what pandas raises
        generation += 1
        st.session_state["rf_builder_generation"] = generation
        st.error(escape(EDITS_UNREADABLE))
        return editor()


def builder_view() -> None:
    st.markdown(
        "Stack convolution and pooling layers and watch the shapes, the parameters and the receptive "
        "field change. Each conv is followed by a ReLU. Edit any cell, add rows at the bottom."
    )
    top_left, top_middle, top_right = st.columns([2, 1, 1])
    preset = top_left.selectbox("Start from", list(PRESETS), key="rf_builder_preset", bind=links.BIND)
    # Streamlit resets a number or option sent outside the widget's limits; the library checks them again.
    size = top_middle.number_input("Input size (px)", *stack_builder.INPUT_SIZE_RANGE, 32, key="rf_builder_size",
                                   bind=links.BIND)
    in_channels = top_right.selectbox("Input channels", list(stack_builder.INPUT_CHANNELS), key="rf_builder_channels",
                                      bind=links.BIND)
    edited = _edited_rows(preset)
    try:
        layers = stack_builder.stack_from_records(edited)
        in_channels, size = stack_builder.check_input(in_channels, size)
        # Plain tuples as the cache key: every rerun of the page (all tabs run) reuses the last result.
        report = rf_cache.stack_report(
            tuple(tuple(getattr(layer, column) for column in stack_builder.STACK_COLUMNS) for layer in layers),
            in_channels, size,
        )
    except ReceptiveFieldError as error:
        st.error(escape(str(error)))  # it may quote what the client sent
        return
    fields = report.fields
    st.dataframe(
        [
            {
                "#": number,
                "Layer": layer.describe(),
                "Output (C × H × W)": " × ".join(str(v) for v in field.output_shape),
                "Parameters": f"{parameters:,}",
                "Field (px)": field.text(field.size),
                "Stride (px)": field.text(field.stride),
                "Padding (px)": field.text(field.padding),
            }
            for number, (layer, field, parameters) in enumerate(zip(layers, fields, report.parameters), start=1)
        ],
        hide_index=True, width="stretch",
    )
    st.markdown(lesson_math.builder_totals_text(report.total_parameters, report.total_mult_adds, fields[-1], size))
    presentation.plot(
        figs.field_size_chart(
            [f"{n}. {layer.kind} {layer.kernel}x{layer.kernel}" for n, layer in enumerate(layers, start=1)],
            [max(f.size) for f in fields], [max(f.stride) for f in fields], [False] * len(fields),
            input_size=size,
        ),
        width="stretch", key="rf_builder_chart",
    )


with tab_builder:
    builder_view()


# ---------------------------------------------------------------------------------------------
# Count the networks


def count_view() -> None:
    zoo = list_models()
    name = st.selectbox("Network", zoo, index=zoo.index(DEFAULT_NETWORK), key="rf_count_network", bind=links.BIND,
                        format_func=lambda n: model_spec(n).title)
    ref = ModelRef.zoo(name)
    shape = _input_shape(ref)
    try:
        table = rf_cache.architecture_table(ref, shape)
    except ArchitectureError as error:
        st.error(str(error))
        return
    columns = st.columns(4)
    columns[0].metric("Parameters", f"{table.total_parameters:,}")
    columns[1].metric("Model size", f"{table.model_size_mb:.2f} MB")
    columns[2].metric("Multiply-adds", f"{table.total_mult_adds / 1e9:.2f} G")
    columns[3].metric("Activations (one image)", f"{table.activation_values / 1e6:.2f} M values",
                      help=f"{table.total_activation_bytes / 2**20:.1f} MB in fp32; roughly double that to train.")
    st.caption(
        f"For one {' × '.join(str(v) for v in shape)} image. Multiply-adds: conv C_out·(C_in/groups)·Kh·Kw·H_out·W_out, "
        "linear in·out, batch norm one per value, pooling and ReLU none. Activation memory counts each layer's "
        "output once (ReLU and dropout can work in place). Size: parameters and buffers, MB = 2^20 bytes."
    )
    if table.unused_parameters:
        st.caption(f"{table.unused_parameters:,} parameters belong to parts this forward pass does not use.")
    st.dataframe(
        table.records(), hide_index=True, width="stretch", height=360,
        column_config={
            "Parameters": st.column_config.NumberColumn(format="localized"),
            "Multiply-adds": st.column_config.NumberColumn(format="localized"),
        },
    )

    st.subheader("Every network side by side")
    summaries = rf_cache.zoo_comparison()
    presentation.plot(figs.comparison_chart(summaries), width="stretch", key="rf_comparison_chart")
    st.dataframe(
        [
            {
                "Network": s["name"],
                "Input": s["input"],
                "Parameters": f"{s['parameters']:,}",
                "Multiply-adds": f"{s['mult_adds'] / 1e9:.2f} G",
                "Activation memory": f"{s['activation_mb']:.1f} MB",
                "Model size": f"{s['size_mb']:.2f} MB",
                "Final receptive field": f"{s['final_field']} px",
            }
            for s in summaries
        ],
        hide_index=True, width="stretch",
    )


with tab_count:
    count_view()
