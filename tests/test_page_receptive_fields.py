"""The Receptive fields page through AppTest: defaults, other networks, layers and units, the builder."""

import pytest

from dashboard.markup import escape


@pytest.fixture
def page(app_test, monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path))  # no trained models: the zoo only
    app_test.default_timeout = 180
    app_test.switch_page("pages/receptive_fields.py")
    at = app_test.run()
    assert not at.exception
    assert at.title[0].value == "Receptive fields"
    return at


def _text(at):
    return "\n".join(str(m.value) for m in at.markdown)


def _open(at, tab: int):
    """Open tab ``tab`` (lesson.TABS' order) and run: only the open tab is computed."""
    from cnnviz.lessons import receptive_fields as lesson

    at.session_state[lesson.TAB_KEY] = lesson.TABS[tab]
    return at.run()


def _ok(at):
    assert not at.exception
    assert not at.error, [e.value for e in at.error]


def test_renders_with_defaults_and_shows_the_recurrence_field_and_effective_field(page):
    _ok(page)
    assert "r_{out} = r_{in} + (k_{eff} - 1)" in page.latex[0].value
    assert page.selectbox(key="rf_network").value == "zoo: ResNet-18"
    text = _text(page)
    assert "sees input rows" in text and "Effective field:" in text
    assert "Try this first" in page.info[0].value
    # Lesson tab: the numbers of three 3x3 against one 7x7 for C = 64.
    _open(page, 1)
    _ok(page)
    assert f"{27 * 64 * 64:,}" in str(page.dataframe[0].value["Weights"].tolist())


def test_only_the_open_tab_is_computed_and_a_link_opens_the_tab_of_its_settings(page, app_test):
    from cnnviz.lessons import receptive_fields as lesson

    assert [tab.label for tab in page.tabs] == list(lesson.TABS)
    # The Field tab is open: no builder table, no counts, no small-kernels input were computed.
    assert not page.metric and not page.data_editor
    assert "rf_lesson_channels" not in [n.key for n in page.number_input]
    _open(page, 3)
    _ok(page)
    assert page.metric and "rf_row" not in [n.key for n in page.number_input]
    assert "Effective field:" not in _text(page)
    # A link made before the tab was in the URL: its builder setting opens the builder.
    link = app_test.__class__.from_file(app_test._script_path, default_timeout=180)
    link.switch_page("pages/receptive_fields.py")
    link.query_params["rf_builder_size"] = "40"
    link.run()
    _ok(link)
    assert link.session_state[lesson.TAB_KEY] == lesson.TABS[2]
    assert link.number_input(key="rf_builder_size").value == 40 and not link.warning


def test_the_first_screen_is_the_picture_and_its_menus_the_explanation_folds(page):
    from cnnviz.lessons import receptive_fields as lesson

    explanation = page.expander[0]
    assert explanation.label == lesson.EXPLANATION_TITLE
    assert "r_{out}" in explanation.latex[0].value and "Try this first" in explanation.info[0].value
    # Titles the charts clipped are Markdown above them, where they wrap.
    texts = [m.value for m in page.markdown]
    assert f"**{escape('net.layer2.0.conv2, unit (14, 14): field 67 px')}**" in texts
    assert f"**{lesson.GROWTH_TITLE}**" in texts
    # The Network and Layer menus share the first row, ahead of the picture's own source controls.
    labels = [w.label for w in page.main if getattr(w, "label", None) in ("Network", "Layer (forward order)", "Image")]
    assert labels == ["Network", "Layer (forward order)", "Image"]


def test_vgg16_pool5_field_is_212_pixels(page):
    page.toggle(key="rf_effective").set_value(False)
    page.selectbox(key="rf_network").set_value("zoo: VGG-16").run()
    _ok(page)
    page.selectbox(key="rf_layer").set_value("net.features.30").run()
    _ok(page)
    text = _text(page)
    assert "a field of 212 px, effective stride 32 px, effective padding 90 px" in text
    # The default unit is the centre of the 7 x 7 grid: rows -90 + 3 * 32 ... + 211.
    assert "sees input rows 6 … 217" in text


def test_resnet18_another_layer_and_unit(page):
    page.selectbox(key="rf_layer").set_value("net.layer4.1 (add)").run()
    _ok(page)
    page.number_input(key="rf_row").set_value(1).run()
    page.number_input(key="rf_col").set_value(6).run()
    _ok(page)
    text = _text(page)
    # 435 px field, stride 32, padding 217: row 1 starts at -217 + 32 = -185, column 6 ends at -217 + 192 + 434.
    assert "Unit (1, 6) of **net.layer4.1 (add)** sees input rows -185 … 249 and columns -25 … 409" in text
    assert "padding, zeros" in text
    assert "Effective field:" in text


def test_builder_with_an_invalid_stack_names_the_layer_and_why(page):
    _open(page, 2)
    page.selectbox(key="rf_builder_preset").set_value("Too many poolings (invalid on 32 x 32)").run()
    assert not page.exception
    assert [e.value for e in page.error] == [escape(
        "Layer 6 (max pool 2x2, stride 2, padding 0): its input is only 1x1 (plus padding 0 on each side), "
        "smaller than the 2x2 window, so its output would be empty."
    )]
    page.selectbox(key="rf_builder_preset").set_value("VGG-like: conv, conv, pool, twice, then fc").run()
    _ok(page)
    assert "the last layer gives **10 class scores** (logits), each computed from the whole 32 px input" in _text(page)
    page.number_input(key="rf_builder_size").set_value(2).run()
    assert not page.exception
    assert page.error[0].value.startswith(escape("Layer 6 (max pool 2x2"))


def test_count_tab_shows_the_table_and_the_comparison(page):
    from cnnviz.models import list_models

    _open(page, 3)
    _ok(page)
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Parameters"] == "11,689,512"
    page.selectbox(key="rf_count_network").set_value("vgg16").run()
    _ok(page)
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Parameters"] == "138,357,544"
    comparison = page.dataframe[-1].value
    assert len(comparison) == len(list_models()) == 11  # every zoo network, the classic two included
    table = comparison.set_index("Network")
    assert table.loc["VGG-16", "Final receptive field"] == "212 px"
    assert (table.loc["LeNet-5 (1998)", "Parameters"], table.loc["Network in Network", "Parameters"]) == ("61,706",
                                                                                                         "927,178")


def test_choosing_upload_then_uploading_a_photo_keeps_the_unit(page):
    # Regression: the run that waits for the upload draws no unit inputs, so Streamlit dropped
    # their state and the next run (with the photo) failed on a missing key.
    import io

    from PIL import Image
    from skimage import data

    page.radio(key="rf_source").set_value("Upload a photo").run()
    _ok(page)
    photo = io.BytesIO()
    Image.fromarray(data.chelsea()).save(photo, format="JPEG")
    page.file_uploader[0].upload("cat.jpg", photo.getvalue(), "image/jpeg")
    page.run()
    _ok(page)
    assert "sees input rows" in _text(page)


# --- the stack builder against a hostile client ------------------------------------------------

EDITOR = "rf_builder_editor::VGG-like: conv, conv, pool, twice, then fc"  # the default preset's table
GIANT = 1024 * 1024 * 31 * 31  # weights of one 31x31 conv from 1024 to 1024 channels: 4 GB in fp32


@pytest.fixture
def conv_weights(monkeypatch):
    """(device type, elements) of every Conv2d weight built; a giant real one is refused before it is filled."""
    from torch import nn

    built = []
    original = nn.Conv2d.reset_parameters

    def recording(self):
        built.append((self.weight.device.type, self.weight.numel()))
        if self.weight.device.type != "meta" and self.weight.numel() >= GIANT:
            raise MemoryError("the test refused to fill a 4 GB weight")
        original(self)

    monkeypatch.setattr(nn.Conv2d, "reset_parameters", recording)
    return built


def _builder_table(at):
    return next(frame.value for frame in at.dataframe if "Field (px)" in frame.value and "#" in frame.value)


def test_an_oversized_in_range_stack_is_built_on_meta_and_cached(page, conv_weights):
    # Five 31x31 convs of 1024 channels, all within the table's limits: 4 billion weights if real.
    _open(page, 2)
    giant = {"kind": "conv", "kernel": 31, "stride": 1, "padding": 15, "dilation": 1, "channels": 1024}
    page.session_state[EDITOR] = {"edited_rows": {i: giant for i in range(5)}, "added_rows": [],
                                  "deleted_rows": [5, 6, 7]}
    page.selectbox(key="rf_builder_channels").set_value(1).run()
    _ok(page)
    assert [device for device, size in conv_weights if size == GIANT] == ["meta"] * 4
    table = _builder_table(page)
    assert table["Field (px)"].tolist() == ["31", "61", "91", "121", "151"]
    assert table["Parameters"].tolist()[1] == f"{GIANT + 1024:,}"
    assert f"Total: **{1024 * 961 + 1024 + 4 * (GIANT + 1024):,} parameters**" in _text(page)
    # A rerun of the open builder reuses the cached report.
    conv_weights.clear()
    page.run()
    _ok(page)
    assert not [size for _, size in conv_weights if size == GIANT]


CRAFTED = [
    # (edit state a crafted client sends, the one sentence the page shows)
    ({"edited_rows": {0: {"channels": 100000}, 1: {"channels": 100000, "kernel": 10**9}, 2: {"stride": float("nan")},
                      3: {"padding": "lots"}}},
     "Layer 1: the number of channels must be a whole number between 1 and 1024; got 100000."),
    ({"edited_rows": {1: {"kernel": 10**9}}}, "Layer 2: the kernel must be a whole number between 1 and 31; got 1000000000."),
    ({"edited_rows": {1: {"stride": -3}}}, "Layer 2: the stride must be a whole number between 1 and 8; got -3."),
    ({"edited_rows": {3: {"dilation": 99}}}, "Layer 4: the dilation must be a whole number between 1 and 16; got 99."),
    ({"edited_rows": {4: {"kind": "deconv"}}}, "Layer 5: the kind must be one of conv, max pool, avg pool, fc; got 'deconv'."),
    ({"edited_rows": {4: {"kind": "[a](http://x.y)"}}},  # quoted as text, not a link
     "Layer 5: the kind must be one of conv, max pool, avg pool, fc; got '[a](http://x.y)'."),
    ({"added_rows": [{"kind": "conv", "kernel": 3, "channels": 8}] * 1000},
     "A stack can have at most 32 layers; this one has 1,008."),
    # Edits Streamlit itself cannot apply: rows or columns that do not exist, a malformed state.
    ({"edited_rows": {99: {"kernel": 3}}}, "The table's edits could not be read, so it starts again from the preset."),
    ({"edited_rows": {0: {"weird": 3}}}, "The table's edits could not be read, so it starts again from the preset."),
    ({"deleted_rows": [99]}, "The table's edits could not be read, so it starts again from the preset."),
    ({"edited_rows": [1, 2]}, "The table's edits could not be read, so it starts again from the preset."),
    ({"added_rows": [5]}, "The table's edits could not be read, so it starts again from the preset."),
]


@pytest.mark.parametrize(("state", "sentence"), CRAFTED, ids=range(len(CRAFTED)))
def test_a_crafted_table_ends_in_one_sentence(app_test, monkeypatch, tmp_path, conv_weights, state, sentence):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path))
    app_test.default_timeout = 180
    app_test.switch_page("pages/receptive_fields.py")
    app_test.session_state["rf_tab"] = "Build a stack"
    app_test.session_state[EDITOR] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [], **state}
    at = app_test.run()
    assert not at.exception, at.exception[0].value
    assert [e.value for e in at.error] == [escape(sentence)]
    if sentence.startswith("The table's edits"):  # and the preset's stack is shown again
        assert "the last layer gives **10 class scores**" in _text(at)
        at.run()
        _ok(at)


def test_numbers_past_a_widgets_limits_fall_back_to_its_default(page):
    # Streamlit's number_input resets a value outside min..max to the default on the server.
    _open(page, 2)
    page.number_input(key="rf_builder_size").set_value(10**9).run()
    _ok(page)
    assert "from the whole 32 px input" in _text(page)
    _open(page, 1)
    page.number_input(key="rf_lesson_channels").set_value(-5).run()
    _ok(page)
    assert f"{27 * 64 * 64:,}" in str(page.dataframe[0].value["Weights"].tolist())
    _open(page, 0)
    page.number_input(key="rf_row").set_value(10**9).run()
    page.number_input(key="rf_col").set_value(-1).run()
    _ok(page)
    assert page.number_input(key="rf_row").value == page.number_input(key="rf_col").value == 14  # the centre of 28 x 28


def _send(at, key: str, text: str):
    """Run with the menu ``key`` holding ``text``, as a crafted client can send (AppTest's set_value cannot)."""
    states = at._tree.get_widget_states()
    widget_id = at.selectbox(key=key).id
    next(state for state in states.widgets if state.id == widget_id).string_value = text
    return at._run(states)


def _click(at, customdata):
    """Run with a selection event on the unit grid carrying ``customdata``, as a crafted client can send."""
    import json

    states = at._tree.get_widget_states()
    grid = next(node.proto.id for node in at._tree if "rf_grid::" in str(getattr(getattr(node, "proto", None), "id", "")))
    state = states.widgets.add()
    state.id = grid
    state.string_value = json.dumps({"selection": {"points": [{"customdata": customdata}], "point_indices": [0]}})
    return at._run(states)


def test_a_grid_click_a_browser_cannot_send_is_ignored(page):
    at = _click(page, [1, 2])  # a real click: row 1, column 2
    _ok(at)
    assert (at.number_input(key="rf_row").value, at.number_input(key="rf_col").value) == (1, 2)
    for customdata in (["x", 1], [1], {"a": 1, "b": 2}, None, "", [float("inf"), 0], [[1], {}]):
        at = _click(at, customdata)
        _ok(at)
        assert (at.number_input(key="rf_row").value, at.number_input(key="rf_col").value) == (1, 2), customdata
    at = _click(at, [10**30, -5])  # a unit off the grid: the nearest one on it
    _ok(at)
    assert (at.number_input(key="rf_row").value, at.number_input(key="rf_col").value) == (27, 0)


@pytest.mark.parametrize("key", ["rf_network", "rf_layer", "rf_builder_preset", "rf_builder_channels", "rf_count_network"])
def test_a_menu_option_that_does_not_exist_falls_back_to_the_default(page, key):
    from cnnviz.lessons import receptive_fields as lesson

    _open(page, lesson.TABS.index(lesson.tab_for_link([key])))
    default, options = page.selectbox(key=key).value, page.selectbox(key=key).options
    other = next(i for i in range(len(options)) if i != page.selectbox(key=key).index)
    at = _send(page, key, options[other])  # the crafted path delivers what it sends
    _ok(at)
    assert at.selectbox(key=key).index == other
    at = _send(at, key, "no such option")
    _ok(at)
    assert at.selectbox(key=key).value == default


def test_the_tables_column_limits_are_the_librarys(page):
    import json

    from cnnviz.stack_builder import SETTING_RANGES

    _open(page, 2)
    editor = page.data_editor[0]
    config = json.loads(editor.proto.columns)
    for label, setting in [("Kernel", "kernel"), ("Stride", "stride"), ("Padding", "padding"),
                           ("Dilation (conv)", "dilation"), ("Channels / units", "channels")]:
        column = next(c for c in config.values() if c.get("label") == label)
        assert (column["type_config"]["min_value"], column["type_config"]["max_value"]) == SETTING_RANGES[setting]


def test_every_settings_field_is_a_widget_key_and_the_widgets_offer_the_lessons_ranges(page):
    from dataclasses import fields

    from cnnviz.lessons import receptive_fields as lesson

    for tab, settings in enumerate((lesson.FieldSettings, lesson.SmallKernelsSettings, lesson.BuilderSettings,
                                    lesson.CountSettings)):
        _open(page, tab)
        for field in fields(settings):
            page.session_state[lesson.PARAMETER_PREFIX + field.name]  # raises KeyError for a key no widget has
    assert page.dataframe[-1].value.columns.tolist() == list(lesson.ComparisonRow.COLUMNS)
    _open(page, 1)
    channels = page.number_input(key="rf_lesson_channels")
    assert (channels.min, channels.max, channels.value, channels.step) == (*lesson.LESSON_CHANNELS_INPUT,
                                                                          lesson.LESSON_CHANNELS_STEP)
    _open(page, 2)
    size = page.number_input(key="rf_builder_size")
    assert (size.min, size.max, size.value) == lesson.INPUT_SIZE_INPUT
    assert page.selectbox(key="rf_builder_preset").options == list(lesson.PRESETS)
    assert page.selectbox(key="rf_builder_channels").options == [str(c) for c in lesson.INPUT_CHANNELS]
    _open(page, 0)
    assert page.radio(key="rf_source").options == list(lesson.SOURCES)
    # ResNet-18's default layer, a third of the way in, is in layer2: a 28 x 28 grid, rows 0 … 27, the centre 14.
    assert page.selectbox(key="rf_layer").value == "net.layer2.0.conv2"
    unit_row = page.number_input(key="rf_row")
    assert (unit_row.min, unit_row.max, unit_row.value) == (0, 27, 14)
    # The page shows the lesson's sentences and tables as they are computed.
    assert lesson.SIZE_CHART_CAPTION in [c.value for c in page.caption]


def test_an_edited_stack_survives_a_visit_to_another_tab(page):
    # Only the open tab is drawn, so Streamlit drops the closed builder's table; the page keeps it.
    _open(page, 2)
    page.session_state[EDITOR] = {"edited_rows": {0: {"kernel": 5, "padding": 2}}, "added_rows": [], "deleted_rows": []}
    page.run()
    _ok(page)
    fields = _builder_table(page)["Field (px)"].tolist()
    assert fields[0] == "5"
    _open(page, 3)
    _ok(page)
    assert EDITOR not in page.session_state  # dropped while hidden
    _open(page, 2)
    _ok(page)
    assert _builder_table(page)["Field (px)"].tolist() == fields


def test_count_tab_draws_every_block_diagram_with_its_caption_and_a_link_opens_one(page, app_test):
    import json

    from cnnviz.block_diagram import DIAGRAMS
    from cnnviz.lessons import receptive_fields as lesson
    from cnnviz.lessons.receptive_fields.block_diagrams import block_diagram_view

    _open(page, 3)
    _ok(page)
    assert page.selectbox(key="rf_count_diagram").options == list(DIAGRAMS)
    for title, source in DIAGRAMS.items():
        page.selectbox(key="rf_count_diagram").set_value(title).run()
        _ok(page)
        view = block_diagram_view(title, source.draw())
        assert view.caption in [c.value for c in page.caption]
        assert view.totals in [m.value for m in page.markdown]
        (chart,) = [c for c in page.get("plotly_chart") if "rf_block_diagram" in c.proto.id]
        shapes = json.loads(chart.proto.spec)["layout"]["shapes"]
        assert len([s for s in shapes if s["name"].startswith("box ")]) == len(view.diagram.boxes)
    # The menu is in the URL, and a link to a diagram opens the Count tab on it.
    link = app_test.__class__.from_file(app_test._script_path, default_timeout=180)
    link.switch_page("pages/receptive_fields.py")
    link.query_params["rf_count_diagram"] = "VGG-16"
    link.run()
    _ok(link)
    assert link.session_state[lesson.TAB_KEY] == lesson.TABS[3]
    assert link.selectbox(key="rf_count_diagram").value == "VGG-16"


def test_the_builder_states_the_cnn_pattern_works_out_its_fc_layers_and_draws_the_stack(page):
    _open(page, 2)
    page.selectbox(key="rf_builder_preset").set_value("LeNet-5: conv, pool, twice, then three fc").run()
    page.selectbox(key="rf_builder_channels").set_value(1).run()
    _ok(page)
    text = _text(page)
    assert "**INPUT → [[CONV → RELU] × N → POOL?] × M → [FC → RELU] × K → FC**" in text
    assert "This stack: **INPUT → [[CONV → RELU] × 1 → POOL] × 2 → [FC → RELU] × 2 → FC**, N = 1, M = 2, K = 2." in text
    assert "Layer 5 (fc, 120 units): 16 × 5 × 5 = 400 inputs, so 400 × 120 + 120 = **48,120 parameters**." in text
    assert "Total: **61,706 parameters**" in text
    table = _builder_table(page)
    assert table["Output (C × H × W)"].tolist()[-3:] == ["120", "84", "10"]
    assert table["Field (px)"].tolist()[-1] == "whole"
    import json

    diagram = json.loads(next(chart for chart in page.get("plotly_chart") if "FC 84 + ReLU" in chart.proto.spec).proto.spec)
    drawn = json.dumps(diagram, ensure_ascii=False)
    assert all(label in drawn for label in ("Conv 5×5, 6 + ReLU", "Max pool 2×2 /2 + flatten", "FC 120 + ReLU", "FC 10"))
    brackets = [a["text"] for a in diagram["layout"]["annotations"] if a.get("name", "").startswith("bracket")]
    # (a long part breaks before its last arrow, so it stays inside the figure on a projector)
    assert brackets == ["[CONV → RELU] × 1<br>→ POOL"] * 2 + ["[FC → RELU] × 2", "FC: the class scores"]
    # A conv typed after the fc layers: one sentence naming it, nothing drawn from a broken stack.
    page.session_state["rf_builder_editor::LeNet-5: conv, pool, twice, then three fc"] = {
        "edited_rows": {}, "deleted_rows": [], "added_rows": [{"kind": "conv", "kernel": 3, "channels": 8}]}
    page.run()
    assert not page.exception
    assert page.error[0].value.startswith(escape("Layer 8 (conv 3x3, stride 1, padding 1) comes after a fully "
                                                 "connected layer"))
