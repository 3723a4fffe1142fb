"""The "Inside a network" page through AppTest: with no trained model, with a checkpoint, bad input."""

import io
import re

import numpy as np
import pytest
import torch
from PIL import Image

import cnnviz.paths
from dashboard.markup import escape


def _train_lenet_checkpoint(path):
    """A LeNet-5 trained for 60 Fashion-MNIST steps (seconds), saved with kernel snapshots."""
    from cnnviz.data import load_dataset, to_float
    from cnnviz.models import get_model, save_checkpoint

    torch.manual_seed(0)
    dataset = load_dataset("fashion-mnist")
    model = get_model("lenet5")
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    snapshots = [model.features.c1.weight.detach().tolist()]
    for step in range(60):
        batch = torch.randint(0, len(dataset.train_labels), (64,))
        loss = torch.nn.functional.cross_entropy(model(to_float(dataset.train_images[batch])), dataset.train_labels[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % 30 == 29:
            snapshots.append(model.features.c1.weight.detach().tolist())
    return save_checkpoint(path, model, classes=list(dataset.classes),
                           meta={"dataset": "fashion-mnist", "test_accuracy": 0.7, "epochs": 2,
                                 "kernel_snapshots": snapshots})


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return _train_lenet_checkpoint(tmp_path_factory.mktemp("ckpt") / "lenet-test.pt")


@pytest.fixture
def page(app_test, monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    empty = tmp_path / "pretrained"
    empty.mkdir()
    monkeypatch.setattr(cnnviz.paths, "PRETRAINED_DIR", empty)  # shipped models must not leak in
    at = app_test.run()  # through app.py, so st.navigation knows every page
    at.switch_page("pages/inside.py")
    return at


def _texts(at):
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.info]
    return "\n".join(str(p) for p in parts)


def _png(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_renders_without_trained_models_and_offers_the_zoo(page):
    at = page.run()
    assert not at.exception
    assert "No trained model is available yet" in _texts(at)
    network = at.selectbox(key="inside_network")
    assert network.value == "zoo: LeNet-5"
    assert "untrained" in _texts(at)
    assert "The network says" in _texts(at)  # a bundled photo went through the untrained net
    assert len(at.get("plotly_chart")) >= 3  # probabilities, overview strip, channel grid/detail


def test_a_checkpoint_shows_predictions_layers_kernels_attribution_and_confusion(page, checkpoint):
    page.session_state["uploaded_checkpoints"] = [str(checkpoint)]
    at = page.run()
    assert not at.exception
    assert at.selectbox(key="inside_network").value.startswith("lenet-test")
    assert at.radio(key="inside_source").value == "Test-set image"
    assert "The network says" in _texts(at)
    assert "(right)" in _texts(at) or "(wrong: it is" in _texts(at)  # the true label is known

    # Layer outputs: pick the first ReLU, then a channel.
    layers = at.selectbox(key="inside_layer")
    relu = next(option for option in layers.options if "ReLU features.act1" in option)
    at = layers.set_value(relu).run()
    at = at.number_input(key="inside_channel").set_value(3).run()
    assert not at.exception
    assert any("features.act1, channel 3" in str(chart.proto.spec) for chart in at.get("plotly_chart"))

    at = at.radio(key="inside_view").set_value("Kernels").run()
    assert not at.exception
    assert at.select_slider(key="inside_kernel_epoch").options == ["before training", "after epoch 1", "after epoch 2"]

    at = at.radio(key="inside_view").set_value("Attribution").run()
    assert at.radio(key="inside_attr_method").value == "gradcam"
    assert at.selectbox(key="inside_attr_layer").options == ["features.c3", "features.c1"]
    at = at.selectbox(key="inside_attr_target").set_value("Bag").run()
    assert "Grad-CAM for 'Bag' at features.c3" in str(at.get("plotly_chart")[-1].proto.spec)
    for method in ("saliency", "integrated_gradients", "occlusion"):
        at = at.radio(key="inside_attr_method").set_value(method).run()
        assert not at.exception and not at.error

    at = at.radio(key="inside_view").set_value("Confusion matrix").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Class"])[:2] == ["T-shirt/top", "Trouser"]
    assert int(table["Test images"].sum()) == 10_000
    explain = [button for button in at.button if button.key and button.key.startswith("inside_explain_")]
    assert explain, "the biggest-mistake cell should show a gallery"
    index = int(explain[0].key.rsplit("_", 1)[1])
    at = explain[0].click().run()
    assert not at.exception
    assert at.radio(key="inside_view").value == "Attribution"
    assert at.number_input(key="inside_test_index").value == index


def test_bad_input_gets_a_sentence_and_the_page_keeps_working(page, tmp_path):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint at all")
    page.session_state["uploaded_checkpoints"] = [str(broken)]
    at = page.run()
    assert not at.exception
    assert any(escape("broken.pt") in w.value for w in at.warning)  # quoted as text: broken\.pt

    at = at.radio(key="inside_source").set_value("Upload a photo").run()
    at.file_uploader(key="inside_upload").upload("holiday.jpg", b"these are my lecture notes, not a photo")
    at = at.run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.endswith(".")

    # A 10,000-pixel-wide photo is decoded within limits, shrunk, then fitted to 28 x 28.
    wide = np.full((400, 10_000, 3), 230, dtype=np.uint8)
    wide[100:300, 4000:6000] = 20
    at.file_uploader(key="inside_upload").upload("wide.png", _png(wide))
    at = at.run()
    assert not at.exception and not at.error
    assert "converted to grayscale" in _texts(at).lower()  # a colour photo for a grayscale model
    assert "The network says" in _texts(at)


def test_a_grayscale_photo_for_a_colour_model_is_converted_and_said_so(page):
    at = page.run()
    at = at.selectbox(key="inside_network").set_value("zoo: TinyVGG").run()
    at = at.selectbox(key="inside_sample").set_value("camera").run()
    assert not at.exception
    assert "copied grayscale into r, g and b" in _texts(at).lower()


def test_a_checkpoints_class_and_dataset_names_are_shown_as_text(page, tmp_path):
    import re

    from cnnviz.models import get_model, save_checkpoint

    classes = [f"[Log in {i}](http://host/{i})" for i in range(9)] + ["![t](http://host/p.png)"]
    path = save_checkpoint(tmp_path / "hostile.pt", get_model("lenet5"), classes=classes,
                           meta={"dataset": "![d](http://host/d.png)", "test_accuracy": 0.5})
    page.session_state["uploaded_checkpoints"] = [str(path)]
    at = page.run()
    assert not at.exception
    assert at.selectbox(key="inside_network").value.startswith("hostile")
    shown = [e.value for e in [*at.markdown, *at.caption, *at.warning, *at.error, *at.info]]
    assert any("The network says" in text for text in shown)
    for text in shown:
        assert not re.search(r"(?<!\\)\]\(|(?<!\\)!\[|http://", text), text
    # The dataset the checkpoint names is quoted in the warning, escaped.
    assert any(escape("![d](http://host/d.png)") in w.value for w in at.warning)


def test_the_page_offers_exactly_the_lessons_options_and_shows_torchs_numbers(page, checkpoint):
    from cnnviz import activations, attribution
    from cnnviz.data import load_dataset, to_float
    from cnnviz.lessons import inside as lesson
    from cnnviz.models import load_checkpoint

    page.session_state["uploaded_checkpoints"] = [str(checkpoint)]
    at = page.run()
    assert not at.exception
    dataset = load_dataset("fashion-mnist")
    model = load_checkpoint(checkpoint, map_location="cpu").eval()
    assert at.radio(key="inside_source").options == list(lesson.SOURCES)
    assert at.selectbox(key="inside_test_class").options == lesson.class_filter_options(dataset.classes)
    index = at.number_input(key="inside_test_index")
    assert (index.min, index.max, index.value) == (0, len(dataset.test_labels) - 1, 0)
    top_k = at.slider(key="inside_top_k")
    assert (top_k.min, top_k.max, top_k.value) == (1, 10, 10)
    assert at.radio(key="inside_view").options == list(lesson.VIEWS)

    # Test image 0, as torch classifies it.
    image = to_float(dataset.test_images[:1])
    with torch.no_grad():
        best = int(model(image).argmax())
    verdict = f"The network says **{escape(model.classes[best])}**"
    assert any(text.startswith(verdict) for text in (e.value for e in at.markdown))
    assert at.selectbox(key="inside_layer").options == lesson.layer_labels(activations.capture_layer_outputs(model, image))
    assert at.radio(key="inside_scale").options == list(lesson.CHANNEL_SCALES.values())
    assert at.radio(key="inside_order").options == list(lesson.CHANNEL_ORDERS.values())

    at = at.radio(key="inside_view").set_value("Kernels").run()
    assert at.radio(key="inside_kernel_norm").options == list(lesson.KERNEL_NORMALISATIONS.values())
    convolutions = [name for name, module in model.named_modules() if isinstance(module, torch.nn.Conv2d)]
    assert at.selectbox(key="inside_kernel_layer").options == convolutions and convolutions[0] == "features.c1"

    at = at.radio(key="inside_view").set_value("Attribution").run()
    assert at.radio(key="inside_attr_method").options == [attribution.METHOD_TITLES[m] for m in attribution.METHODS]
    assert at.selectbox(key="inside_attr_target").options == lesson.attribution_targets(model.classes)
    opacity = at.slider(key="inside_attr_opacity")
    assert (opacity.min, opacity.max, opacity.value) == lesson.OPACITY

    at = at.radio(key="inside_view").set_value("Confusion matrix").run()
    assert not at.exception
    assert at.radio(key="inside_confusion_norm").options == list(lesson.CONFUSION_SHOWS.values())
    with torch.no_grad():
        predictions = torch.cat([model(to_float(batch)).argmax(dim=1) for batch in dataset.test_images.split(2000)])
    accuracy = float((predictions == dataset.test_labels).double().mean())
    assert f"test images: accuracy **{accuracy:.1%}**" in _texts(at)
    table = at.dataframe[0].value
    recall_0 = float(((predictions == 0) & (dataset.test_labels == 0)).sum() / (dataset.test_labels == 0).sum())
    assert float(table["Recall"][0]) == pytest.approx(recall_0)


def test_a_zoo_network_offers_the_photo_sources_and_no_confusion_matrix(page):
    from cnnviz.lessons import inside as lesson

    at = page.run()
    assert at.radio(key="inside_source").options == list(lesson.SOURCES[1:])
    invert = at.radio(key="inside_invert")
    assert invert.options == list(lesson.INVERT_CHOICES) and invert.value == "no"  # no light-on-black test set
    # The menu names the photos; the chosen one's description is a caption (it was cut in the menu).
    from cnnviz.images import SAMPLE_IMAGES

    photo = at.selectbox(key="inside_sample")
    assert photo.options == list(SAMPLE_IMAGES)
    assert SAMPLE_IMAGES[photo.value] in [caption.value for caption in at.caption]
    at = at.radio(key="inside_view").set_value("Confusion matrix").run()
    assert not at.exception
    assert lesson.NO_TEST_SET in [e.value for e in at.info]


def test_the_first_screen_is_the_picture_with_its_controls_and_the_prose_folded(page):
    # At 1280 x 720 the first screen was a title, a paragraph and a tip: the intro now folds into
    # an expander, and the image's controls sit in the same row as the picture and the prediction.
    from cnnviz.lessons import inside as lesson

    at = page.run()
    assert not at.exception
    intro = at.expander[0]
    assert intro.label == "What this page shows" and lesson.INTRO in [e.value for e in intro.markdown]
    columns = list(at.columns)
    controls = next(i for i, column in enumerate(columns) if any(r.key == "inside_source" for r in column.radio))
    picture, prediction = columns[controls + 1], columns[controls + 2]
    assert columns[controls].weight + picture.weight + prediction.weight == pytest.approx(1.0)  # one row
    assert picture.get("image"), "the picture is beside its controls"
    assert prediction.get("plotly_chart"), "and so is the prediction"


def test_another_channel_reuses_the_layer_overview_it_drew(page, monkeypatch):
    # The strip of every layer depends on the image and the chosen layer only: a new channel must
    # not build it again (it cost ~76 ms a rerun as plotly objects).
    from cnnviz.figures import inside_figures

    built = []
    original = inside_figures.activation_overview
    monkeypatch.setattr(inside_figures, "activation_overview", lambda *a, **k: built.append(1) or original(*a, **k))
    from dashboard.caches import inside as inside_cache

    inside_cache.overview_figure.clear()
    at = page.run()
    assert len(built) == 1
    at = at.number_input(key="inside_channel").set_value(2).run()
    assert not at.exception and len(built) == 1
    overview = next(chart for chart in at.get("plotly_chart") if '"1. Normalize"' in chart.proto.spec)
    assert '"orange"' in overview.proto.spec  # the chosen layer framed
    layers = at.selectbox(key="inside_layer")
    at = layers.set_value(layers.options[0]).run()
    assert not at.exception and len(built) == 2  # another layer: framed anew


def _captions(at):
    return [image.proto.imgs[0].caption for image in at.get("image")]


def test_the_normalize_step_shows_its_mean_std_formula_and_the_three_pictures(page, checkpoint):
    from cnnviz.data import load_dataset, to_float
    from cnnviz.lessons import inside as lesson

    page.session_state["uploaded_checkpoints"] = [str(checkpoint)]
    at = page.run()
    layers = at.selectbox(key="inside_layer")
    assert "What the model sees" in _captions(at) and lesson.PICTURE_TITLES[0] not in _captions(at)  # only on step 1
    at = layers.set_value(layers.options[0]).run()
    assert not at.exception and layers.options[0].startswith("1. Normalize normalize")
    assert any("grey: μ = 0.2860, σ = 0.3530" in text.value and "Fashion-MNIST's training images" in text.value
               for text in at.markdown)
    pixel = to_float(load_dataset("fashion-mnist").test_images[:1])[0, 0, 14, 14].item()
    normalised = (pixel - 0.2860) / 0.3530
    assert rf"y &= \frac{{{pixel:.4f} - 0.2860}}{{0.3530}} = {normalised:.4f}" in [latex.value for latex in at.latex][1]
    assert lesson.FORMULA in at.latex[0].value
    assert all(title in _captions(at) for title in lesson.PICTURE_TITLES)
    assert lesson.PICTURES_CAPTION in [c.value for c in at.caption]
    assert any(c.value.startswith("At the centre pixel (row 14, column 14).") for c in at.caption)

    at = at.selectbox(key="inside_layer").set_value(layers.options[1]).run()  # the next step: no lesson
    assert not at.latex and lesson.PICTURE_TITLES[1] not in _captions(at)


def test_distribution_shift_measures_the_changed_test_images_and_a_photo_gets_the_note(page, checkpoint):
    from cnnviz.lessons import inside as lesson

    page.session_state["uploaded_checkpoints"] = [str(checkpoint)]
    at = page.run()
    assert lesson.PHOTO_NOTE not in [c.value for c in at.caption]  # a test image is no photo
    at = at.radio(key="inside_view").set_value("Distribution shift").run()
    assert not at.exception and not at.error
    assert at.radio(key="inside_shift").options == [label for label, _, _ in lesson.SHIFTS.values()]
    assert at.selectbox(key="inside_shift_count").options == [str(n) for n in lesson.TEST_IMAGES]
    assert any("inside_shift_chart" in str(chart.proto.id) for chart in at.get("plotly_chart"))
    sentence = next(m.value for m in at.markdown if m.value.startswith("Unchanged, the network gets"))
    assert "of these 500 test images right; at 180°" in sentence
    assert any(r"\text{accuracy at } 180^\circ = \frac{" in latex.value for latex in at.latex)
    at = at.radio(key="inside_shift").set_value("invert").run()
    assert any(r"\text{accuracy at } a = 1 = \frac{" in latex.value for latex in at.latex)
    assert len([c for c in _captions(at) if c.startswith("a = ")]) == len(lesson.SHIFTS["invert"][2])

    at = at.radio(key="inside_source").set_value("Bundled photo").run()  # a photo: the note beside it
    assert lesson.PHOTO_NOTE in [c.value for c in at.caption]


def test_a_zoo_network_without_a_test_set_says_why_there_is_no_shift_curve(page):
    from cnnviz.lessons import inside as lesson

    at = page.run().radio(key="inside_view").set_value("Distribution shift").run()
    assert not at.exception and lesson.NO_TEST_SET in [e.value for e in at.info]


def test_layer_outputs_end_with_each_convolutions_window_growing(page, checkpoint):
    from cnnviz.lessons import inside as lesson

    page.session_state["uploaded_checkpoints"] = [str(checkpoint)]
    at = page.run()
    assert lesson.DEPTH_TITLE in [header.value for header in at.subheader]
    captions = [c for c in _captions(at) if c.startswith("features.c")]
    assert [c.split(":")[0] for c in captions] == ["features.c1", "features.c3", "features.c5"]
    assert "field 5 x 5 px" in captions[0] and "field 32 x 32 px" in captions[2]
    assert any(m.value.startswith("The field grows 5 → 14 → 32 px") for m in at.markdown)


def test_one_unit_is_recomputed_by_hand_and_equals_torchs_value(page, checkpoint):
    from cnnviz.data import load_dataset, to_float
    from cnnviz.models import load_checkpoint

    page.session_state["uploaded_checkpoints"] = [str(checkpoint)]
    at = page.run()
    layers = at.selectbox(key="inside_layer")
    at = layers.set_value(next(o for o in layers.options if "Conv2d features.c3" in o)).run()
    at = at.number_input(key="inside_channel").set_value(5).run()
    # The centre at first; then a typed row and column (a click on the channel sets the same two).
    assert (at.number_input(key="inside_unit_row").value, at.number_input(key="inside_unit_col").value) == (5, 5)
    at = at.number_input(key="inside_unit_row").set_value(2).run()
    at = at.number_input(key="inside_unit_col").set_value(7).run()
    assert not at.exception and not at.error
    model = load_checkpoint(checkpoint, map_location="cpu").eval()
    outputs = {}
    handle = model.features.c3.register_forward_hook(lambda m, i, o: outputs.update(c3=o))
    with torch.no_grad():
        model(to_float(load_dataset("fashion-mnist").test_images[:1]))
    handle.remove()
    value = float(outputs["c3"][0, 5, 2, 7])
    text = _texts(at)
    assert f"**{escape('Conv2d features.c3, channel 5, row 2, column 7')}**" in text
    said = next(line for line in text.splitlines() if line.startswith("By hand: "))
    by_hand, computed = re.fullmatch(r"By hand: \*\*(.+)\*\*\. The network computed \*\*(.+)\*\*: the same\.", said).groups()
    assert computed == f"{value:.6g}" and float(by_hand) == pytest.approx(value, abs=1e-4)  # float64 by hand
    assert escape("With S = 1, D = 1, P = 0: 150 products (6 input channels × 5 × 5 taps) add up to") in text
    assert [block.value for block in at.code] == [  # the rule, in monospace
        "y[c, i, j] = sum over input channels k and taps (m, n) of x[k, i*S + m*D - P, j*S + n*D - P] * w[c, k, m, n] + b[c]"]
    table = next(frame.value for frame in at.dataframe if "Input channel" in frame.value)
    assert sorted(table["Input channel"].tolist()) == list(range(6))
    assert any("inside_unit_window" in str(chart.proto.id) for chart in at.get("plotly_chart"))
    # One click to the lab's sliding window with this layer's settings (5 x 5, stride 1, no padding).
    lab = next(link.proto for link in at.get("page_link") if "Convolution lab" in link.proto.label)
    assert lab.page == "convolution" and lab.query_string == (
        "conv_source=Numeric+grid&conv_operation=Convolution&conv_kh=5&conv_kw=5&conv_stride=1&conv_padding=0"
        "&conv_dilation=1")

    # A vector step: one of its values, and a linear unit's strongest inputs.
    layers = at.selectbox(key="inside_layer")
    at = layers.set_value(next(o for o in layers.options if "Linear" in o)).run()
    at = at.number_input(key="inside_unit_index").set_value(3).run()
    assert not at.exception
    assert "The 8 inputs with the largest products x · w." in _texts(at)


def test_embeddings_show_the_librarys_agreement_and_neighbours_and_a_click_opens_an_image(page, checkpoint):
    import json

    from cnnviz import embeddings
    from cnnviz.data import load_dataset, to_float
    from cnnviz.lessons import inside as lesson
    from cnnviz.models import load_checkpoint

    page.session_state["uploaded_checkpoints"] = [str(checkpoint)]
    at = page.run().radio(key="inside_view").set_value("Embeddings").run()
    assert not at.exception and not at.error
    assert at.radio(key="inside_embed_method").options == list(lesson.PROJECTIONS.values())
    assert at.selectbox(key="inside_embed_k").value == 8
    dataset, model = load_dataset("fashion-mnist"), load_checkpoint(checkpoint, map_location="cpu").eval()
    sample = embeddings.feature_sample(model, dataset.test_images, dataset.test_labels)
    agreement = embeddings.sample_agreement(sample, 8)
    said = next(m.value for m in at.markdown if m.value.startswith("Over all 1,000 images of the sample"))
    assert f"**{agreement.feature:.1%}** of an image's 8 nearest neighbours" in said
    assert f"and **{agreement.pixel:.1%}** in pixel space" in said
    features = embeddings.penultimate_features(model, to_float(dataset.test_images[0]))[0]
    found = embeddings.neighbours(sample, features, to_float(dataset.test_images[0]), int(dataset.test_labels[0]))
    name = escape(dataset.classes[int(dataset.test_labels[0])])
    assert f"**{found.feature_same} of 8** feature-space neighbours are *{name}*, like this image." in _texts(at)
    assert f"**{found.pixel_same} of 8** pixel-space neighbours are *{name}*." in _texts(at)
    assert lesson.FEATURE_HEADING in [h.value for h in at.subheader]
    tiles = [c for c in _captions(at) if "\\#" in c]  # "✓ Ankle boot \#6253", quoted
    assert len(tiles) == 16  # 8 in each space
    chart = json.loads(next(c for c in at.get("plotly_chart") if "inside_embed_chart" in c.proto.id).proto.spec)
    points = sorted(n for trace in chart["data"][:-1] for n in trace["customdata"])
    assert points == sample.indices.tolist()  # a click reports the point's test image number

    # A click on a point: AppTest has no plotly clicks, so the run gets the chart's selection as the
    # browser sends it (the widget states AppTest would send, plus the chart's), and the page's
    # on_select callback must open that test image.
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    at = at.radio(key="inside_embed_method").set_value("pca").run()
    chart_element = next(c for c in at.get("plotly_chart") if "inside_embed_chart" in c.proto.id)
    chart = json.loads(chart_element.proto.spec)
    index = chart["data"][3]["customdata"][5]
    point = {"curve_number": 3, "point_number": 5, "point_index": 5, "x": chart["data"][3]["x"][5],
             "y": chart["data"][3]["y"][5], "customdata": index}
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=chart_element.proto.id, string_value=json.dumps(
        {"selection": {"points": [point], "point_indices": [5], "box": [], "lasso": []}})))
    at = at._run(states)
    assert not at.exception and at.number_input(key="inside_test_index").value == index
    assert int(dataset.test_labels[index]) == 3  # a point of the fourth trace: the fourth class
    assert at.radio(key="inside_view").value == "Embeddings"
    chart = json.loads(next(c for c in at.get("plotly_chart") if "inside_embed_chart" in c.proto.id).proto.spec)
    assert chart["data"][-1]["customdata"] == [index]  # the star is the clicked image
    assert f"Test image #{index}, {escape(dataset.classes[int(dataset.test_labels[index])])}: the star." in _captions(at)
    at = at.selectbox(key="inside_embed_k").set_value(4).run()
    assert not at.exception and len([c for c in _captions(at) if "\\#" in c]) == 8
    assert any(" of 4** feature-space neighbours" in m.value for m in at.markdown)

    at = at.radio(key="inside_source").set_value("Bundled photo").run()  # a photo: still its neighbours
    assert not at.exception and not at.error
    assert any("the class the network gives your photo" in m.value for m in at.markdown)


def test_a_zoo_network_without_a_test_set_says_why_there_are_no_embeddings(page):
    from cnnviz.lessons import inside as lesson

    at = page.run().radio(key="inside_view").set_value("Embeddings").run()
    assert not at.exception and lesson.NO_TEST_SET in [e.value for e in at.info]


def test_layer_outputs_show_the_librarys_top_test_images_for_the_chosen_channel(page, checkpoint):
    from cnnviz import dataset_examples
    from cnnviz.data import load_dataset
    from cnnviz.lessons import inside as lesson
    from cnnviz.models import load_checkpoint

    page.session_state["uploaded_checkpoints"] = [str(checkpoint)]
    at = page.run()
    layers = at.selectbox(key="inside_layer")
    at = layers.set_value(next(o for o in layers.options if "Conv2d features.c3" in o)).run()
    assert not at.exception and not at.error
    assert lesson.TOP_HEADING in [header.value for header in at.subheader]
    dataset, model = load_dataset("fashion-mnist"), load_checkpoint(checkpoint, map_location="cpu").eval()
    found = dataset_examples.top_examples(model, dataset.test_images, "features.c3")

    def shown(at, channel):
        expected = lesson.top_images_view(found, channel, dataset.test_images, dataset.test_labels, dataset.classes,
                                          quote=escape)
        captions = [c for c in _captions(at) if "\\#" in c]  # "Trouser \#12: 7.5 at (3, 4)", quoted
        opens = [int(b.key.rsplit("_", 1)[1]) for b in at.button if b.key and b.key.startswith("inside_top_open_")]
        return expected, captions, opens

    channel = at.number_input(key="inside_channel").value
    expected, captions, opens = shown(at, channel)
    assert captions == [tile.caption for tile in expected.tiles] and len(captions) == 8
    assert opens == found.indices[channel].tolist()
    assert expected.class_sentence in [m.value for m in at.markdown]
    assert "Each crop is the 14 x 14 px this unit sees" in _texts(at)
    at = at.number_input(key="inside_channel").set_value(7).run()  # another channel: its own images, no new pass
    expected, captions, opens = shown(at, 7)
    assert opens == found.indices[7].tolist() and opens != found.indices[channel].tolist()
    assert captions == [tile.caption for tile in expected.tiles]

    button = next(b for b in at.button if b.key == f"inside_top_open_{opens[2]}")
    at = button.click().run()  # the test image opens as the page's image; the layer and channel stay
    assert not at.exception
    assert at.number_input(key="inside_test_index").value == opens[2]
    assert at.radio(key="inside_view").value == "Layer outputs" and at.number_input(key="inside_channel").value == 7
