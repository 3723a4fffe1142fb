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
