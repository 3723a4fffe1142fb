"""The Receptive fields page through AppTest: defaults, other networks, layers and units, the builder."""

import pytest


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
    assert f"{27 * 64 * 64:,}" in str(page.dataframe[1].value["Weights"].tolist())


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
    page.selectbox(key="rf_builder_preset").set_value("Too many poolings (invalid on 32 x 32)").run()
    assert not page.exception
    assert [e.value for e in page.error] == [
        "Layer 6 (max pool 2x2, stride 2, padding 0): its input is only 1x1 (plus padding 0 on each side), "
        "smaller than the 2x2 window, so its output would be empty."
    ]
    page.selectbox(key="rf_builder_preset").set_value("VGG-like: conv, conv, pool, twice").run()
    _ok(page)
    assert "the last layer's units each see **16 px**" in _text(page)
    page.number_input(key="rf_builder_size").set_value(2).run()
    assert not page.exception
    assert page.error[0].value.startswith("Layer 6 (max pool 2x2")


def test_count_tab_shows_the_table_and_the_comparison(page):
    _ok(page)
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Parameters"] == "11,689,512"
    page.selectbox(key="rf_count_network").set_value("vgg16").run()
    _ok(page)
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Parameters"] == "138,357,544"
    comparison = page.dataframe[-1].value
    assert len(comparison) == 9
    assert comparison.set_index("Network").loc["VGG-16", "Final receptive field"] == "212 px"


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
