"""The Adversarial lab through AppTest: no model, attacks on a test image and a photo, a sweep."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest

PAGE = "pages/adversarial.py"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def no_shipped_models(monkeypatch, tmp_path):
    """An empty cache folder and an empty pretrained/ folder: only what a test adds exists."""
    from cnnviz import paths

    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    empty = tmp_path / "pretrained"
    empty.mkdir()
    monkeypatch.setattr(paths, "PRETRAINED_DIR", empty)


def _checkpoint(folder, name, seed, dataset="fashion-mnist"):
    import torch

    from cnnviz.data import dataset_info
    from cnnviz.models import get_model, save_checkpoint

    torch.manual_seed(seed)
    return str(save_checkpoint(
        folder / name, get_model("lenet5"), classes=list(dataset_info(dataset).classes),
        meta={"dataset": dataset, "test_accuracy": 0.1},
    ))


def _open(app_test, checkpoints):
    at = app_test
    if checkpoints:
        at.session_state["uploaded_checkpoints"] = checkpoints
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def _chart(at, key):
    charts = [c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id]
    assert len(charts) == 1, f"expected one chart {key}"
    return json.loads(charts[0].proto.spec)


def _photo_png():
    from PIL import Image
    from skimage import data as skdata

    buffer = io.BytesIO()
    Image.fromarray(skdata.chelsea()).save(buffer, format="PNG")
    return buffer.getvalue()


def test_without_a_trained_model_the_page_explains_and_links_to_training(app_test, no_shipped_models):
    at = _open(app_test, [])
    assert "Adversarial lab" in at.title[0].value
    assert any("x_{\\mathrm{adv}}" in latex.value for latex in at.latex)
    assert any("Try this first" in info.value for info in at.info)
    assert any("No trained model is available" in info.value for info in at.info)
    links = at.get("page_link")
    assert len(links) == 1
    assert links[0].proto.label == "Go to the Training page"
    assert "training" in links[0].proto.page


def test_attacks_a_test_image_and_an_uploaded_photo(app_test, no_shipped_models, tmp_path):
    at = _open(app_test, [_checkpoint(tmp_path, "normal.pt", 0)])
    assert not at.error
    # A test image, FGSM at 26/255: original, perturbation, adversarial, bars before and after.
    assert at.slider(key="adv_eps").value == 26
    assert any("26/255 = 0.1020" in c.value for c in at.caption)
    figure = _chart(at, "adv_attack_figure")
    assert [t["type"] for t in figure["data"]] == ["image"] * 3
    assert "x 4.9" in figure["layout"]["annotations"][1]["text"]  # 0.5 / (26/255)
    bars = _chart(at, "adv_probability_figure")
    assert [t["name"] for t in bars["data"]] == ["before the attack", "after the attack"]
    labels = [m.label for m in at.metric]
    assert labels == ["Prediction before", "Prediction after", "L∞ size of the change", "L2 size of the change"]
    assert float(at.metric[2].value) <= 26 / 255 + 1e-4
    assert at.get("download_button")

    # PGD, targeted, on another test image.
    at.radio(key="adv_method").set_value("PGD")
    at.toggle(key="adv_targeted").set_value(True)
    at.number_input(key="adv_which_0").set_value(3)
    at.run()
    assert not at.exception and not at.error
    assert "(target)" in "".join(_chart(at, "adv_probability_figure")["data"][0]["y"])

    # An uploaded colour photo: made grayscale 28 x 28 for the model, attacked, no exception.
    at.radio(key="adv_source").set_value("Your own photo")
    at.run()
    at.file_uploader(key="adv_upload").upload("cat.png", _photo_png(), "image/png")
    at.run()
    assert not at.exception and not at.error
    assert any("converted to grayscale" in c.value.lower() for c in at.caption)
    assert len(_chart(at, "adv_attack_figure")["data"]) == 3


def test_bad_uploads_and_unfitting_checkpoints_get_a_sentence(app_test, no_shipped_models, tmp_path):
    digits = _checkpoint(tmp_path, "claims_digits.pt", 1, dataset="digits")  # a 28 x 28 model, 8 x 8 data
    at = _open(app_test, [digits])
    assert any("use a photo instead" in w.value for w in at.warning)
    at.radio(key="adv_source").set_value("Your own photo")
    at.run()
    at.file_uploader(key="adv_upload").upload("notes.png", os.urandom(3000), "image/png")
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.endswith(".")
    assert at.header[1].value.startswith("Accuracy against")  # the rest of the page still works


def test_sweeps_two_models_with_fgsm_and_pgd(app_test, no_shipped_models, tmp_path):
    at = _open(app_test, [_checkpoint(tmp_path, "normal.pt", 0), _checkpoint(tmp_path, "other.pt", 2)])
    at.number_input(key="adv_sweep_fgsm_n").set_value(200)
    at.number_input(key="adv_sweep_pgd_n").set_value(100)
    at.multiselect(key="adv_sweep_methods").set_value(["FGSM", "PGD"])
    at.button(key="adv_sweep_run").click()
    at.run()
    assert not at.exception and not at.error
    curves = _chart(at, "adv_curves")
    names = [t["name"] for t in curves["data"]]
    assert names[:4] == ["normal: FGSM, 200 images", "normal: PGD, 100 images",
                         "other: FGSM, 200 images", "other: PGD, 100 images"]
    assert "tutorial" in names[4]
    table = at.dataframe[0].value
    assert len(table) == 4 * 7 and set(table["Images"]) == {200, 100}
    assert len(at.tabs) == 4
    # Results stay after another interaction, without pressing the button again.
    at.checkbox(key="adv_sweep_reference").set_value(False)
    at.run()
    assert len(_chart(at, "adv_curves")["data"]) == 4
    np.testing.assert_equal(at.dataframe[0].value.shape[0], 28)


def test_the_page_offers_exactly_the_lessons_options_and_fills_in_the_formula(app_test, no_shipped_models, tmp_path):
    from cnnviz.lessons import adversarial as lesson

    at = _open(app_test, [_checkpoint(tmp_path, "normal.pt", 0)])
    assert at.radio(key="adv_source").options == list(lesson.SOURCES)
    assert at.radio(key="adv_method").options == list(lesson.METHODS)
    eps = at.slider(key="adv_eps")
    assert (eps.min, eps.max, eps.value) == (*lesson.EPS_STEPS, lesson.DEFAULT_EPS)
    assert at.multiselect(key="adv_sweep_methods").options == list(lesson.METHODS)
    assert at.radio(key="adv_sweep_eps").options == list(lesson.EPSILON_SETS)
    for key, default in (("adv_sweep_fgsm_n", lesson.DEFAULT_FGSM_IMAGES),
                         ("adv_sweep_pgd_n", lesson.DEFAULT_PGD_IMAGES)):
        widget = at.number_input(key=key)
        assert (widget.min, widget.max, widget.step, widget.value) == (*lesson.SWEEP_IMAGES, lesson.SWEEP_IMAGES_STEP,
                                                                        default)
    assert at.selectbox(key="adv_sweep_b").options == ["(none)"]  # one model: no second to compare
    # FGSM at 26/255 = 0.10196: the formula carries the number.
    assert any(r"\big(x + 0.1020 \cdot" in latex.value for latex in at.latex)

    at.radio(key="adv_method").set_value("PGD")
    at.slider(key="adv_eps").set_value(8)
    at.run()
    assert not at.exception and not at.error
    steps = at.slider(key="adv_steps")
    assert (steps.min, steps.max, steps.value) == (*lesson.PGD_STEPS, lesson.DEFAULT_PGD_STEPS)
    alpha = at.select_slider(key="adv_alpha")
    assert alpha.options == [f"{f:g} x ε" for f in lesson.ALPHA_FRACTIONS] and alpha.value == lesson.DEFAULT_ALPHA
    # alpha = 0.25 * 8/255 = 0.00784 = 2.0/255; 10 steps.
    assert any(c.value == "α = 0.25 x ε = 0.008 in [0, 1] = 2.0/255 per step." for c in at.caption)
    pgd = [latex.value for latex in at.latex if "x_k" in latex.value]
    assert len(pgd) == 1 and r"x_k + 0.0078 \cdot" in pgd[0] and r"x_{\mathrm{adv}} &= x_{10}" in pgd[0]
    assert float(at.metric[2].value) <= 8 / 255 + 1e-4


def test_every_number_widget_stays_bound_to_the_link():
    from test_link_overflow import bound_number_keys

    assert sorted(bound_number_keys(PAGE)) == sorted(
        ["adv_which_0", "adv_eps", "adv_steps", "adv_alpha", "adv_sweep_fgsm_n", "adv_sweep_pgd_n"])


def test_a_link_to_pgd_opens_its_settings_and_formula():
    from test_shared_links import link_notes, open_link

    at = open_link(PAGE, {"adv_source": "A test image", "adv_class": "Sneaker", "adv_which_7": "3",
                          "adv_method": "PGD", "adv_eps": "8", "adv_steps": "7"})
    assert link_notes(at) == [] and not at.error
    assert [at.session_state[key] for key in ("adv_method", "adv_eps", "adv_steps")] == ["PGD", 8, 7]
    assert any("8/255 = 0.0314" in c.value for c in at.caption)
    assert any(r"x_{\mathrm{adv}} &= x_{7}" in latex.value for latex in at.latex)
    assert any(c.value.startswith("Test image ") and "its true class is Sneaker" in c.value for c in at.caption)


def _in_order(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _in_order(child)


def test_the_first_screen_is_the_attack_beside_its_controls(app_test, no_shipped_models, tmp_path):
    # A projector shows ~600 px under the title: the model menu (the page's width: its labels are
    # long), then the image controls and the attacked image side by side; the explanation follows.
    from cnnviz.lessons import adversarial as lesson

    at = _open(app_test, [_checkpoint(tmp_path, "normal.pt", 0)])
    order = list(_in_order(at.main))
    chart = next(i for i, n in enumerate(order) if n.type == "plotly_chart" and "adv_attack_figure" in n.proto.id)
    intro = next(i for i, n in enumerate(order) if n.type == "markdown" and n.value == lesson.INTRO)
    assert chart < intro
    menu = next(i for i, n in enumerate(order) if n.type == "selectbox" and n.key == "adv_model")
    assert menu < chart and not [c for c in at.columns if [s for s in c.selectbox if s.key == "adv_model"]]
    control_columns = [c for c in at.columns if [s for s in c.slider if s.key == "adv_eps"]]
    picture_columns = [c for c in at.columns if [p for p in c.get("plotly_chart") if "adv_attack_figure" in p.proto.id]]
    assert len(control_columns) == len(picture_columns) == 1 and control_columns[0] is not picture_columns[0]
