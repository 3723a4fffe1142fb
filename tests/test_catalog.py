"""Every trained model has one unique, readable label, and every menu and the Home table list each
model once: eight runs with the same architecture, dataset and accuracy are eight entries."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

import cnnviz.paths
from cnnviz import catalog
from test_shared_links import open_link

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# Six runs as cnnviz.runs names them (two in the same second, two sharing an id's tail), one
# started at the same minute and another folder someone made by hand.
RUN_IDS = [
    "20261123-140512-lenet5-fashion-mnist-3fa2c1",
    "20261123-140512-lenet5-fashion-mnist-77b0e9",
    "20261123-140559-lenet5-fashion-mnist-0c1d2e",
    "20261123-141003-lenet5-fashion-mnist-a1b2c3",
    "20261124-090000-lenet5-fashion-mnist-a1b2c3",
    "20261124-090000-lenet5-fashion-mnist-d4e5f6",
    "20261124-090059-lenet5-fashion-mnist-d4e5f6",
    "my-own-run",
]


@pytest.fixture(scope="module")
def one_checkpoint(tmp_path_factory):
    from cnnviz.models import get_model, save_checkpoint

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "model.pt", get_model("lenet5"), classes=classes,
                           meta={"dataset": "fashion-mnist", "test_accuracy": 0.891})


@pytest.fixture
def eight_runs(one_checkpoint, tmp_path, monkeypatch):
    """CNNVIZ_HOME with eight runs whose checkpoints are byte for byte the same."""
    home = tmp_path / "home"
    for run_id in RUN_IDS:
        (home / "runs" / run_id).mkdir(parents=True)
        shutil.copy(one_checkpoint, home / "runs" / run_id / "model.pt")
    monkeypatch.setenv("CNNVIZ_HOME", str(home))
    return home


def _runs(labels) -> list[str]:
    return [label for label in labels if "trained here" in label]


def test_each_run_gets_its_own_readable_label(eight_runs):
    models, problems = catalog.list_trained_models()
    assert problems == []
    runs = [m for m in models if m.source == "trained here"]
    labels = [m.label for m in runs]
    assert len(set(labels)) == len(RUN_IDS) == len(labels)
    assert "lenet5 on fashion-mnist, 89.1%, trained here 2026-11-23 14:05 (3fa2c1)" in labels
    assert "lenet5 on fashion-mnist, 89.1%, trained here (my-own-run)" in labels
    # Same minute, same id tail: told apart by a number.
    assert {"lenet5 on fashion-mnist, 89.1%, trained here 2026-11-24 09:00 (d4e5f6)",
            "lenet5 on fashion-mnist, 89.1%, trained here 2026-11-24 09:00 (d4e5f6) (2)"} <= set(labels)
    assert len({m.key for m in models}) == len(models)


def test_shipped_labels_say_the_network_and_dataset_once():
    # The file's name already says both: "lenet5-fashion-mnist: lenet5 on fashion-mnist, ..." was cut
    # in a projector's menu. A name that does not say them keeps them.
    models, _ = catalog.list_trained_models()
    shipped = {m.path.stem: m for m in models if m.source == "shipped"}
    lenet = shipped["lenet5-fashion-mnist"]
    assert lenet.label == f"lenet5-fashion-mnist, {lenet.test_accuracy:.1%} (shipped)"
    small = shipped["small-cnn-fashion-mnist"]  # "small_cnn" is said as "small-cnn"
    assert small.model_name == "small_cnn" and small.label == f"small-cnn-fashion-mnist, {small.test_accuracy:.1%} (shipped)"
    renamed = dataclasses.replace(lenet, name="teacher")
    assert renamed.label == f"teacher: lenet5 on fashion-mnist, {lenet.test_accuracy:.1%} (shipped)"


def test_the_same_file_listed_twice_is_one_entry(one_checkpoint, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "empty-home"))
    models, _ = catalog.list_trained_models([str(one_checkpoint), str(one_checkpoint)])
    assert [m.source for m in models].count("uploaded") == 1


@pytest.mark.parametrize(("page", "key"), [("pages/inside.py", "inside_network"),
                                           ("pages/adversarial.py", "adv_model"),
                                           ("pages/receptive_fields.py", "rf_network")])
def test_every_model_menu_lists_every_run(eight_runs, page, key):
    at = open_link(page)
    options = at.selectbox(key=key).options
    assert len(_runs(options)) == len(RUN_IDS)
    assert len(set(options)) == len(options)


def test_the_home_table_lists_every_run_by_the_name_that_ends_its_menu_label(eight_runs):
    # The table's other columns say the architecture, dataset and accuracy, so its Model column
    # shows only the run's own name (when and which), the part that ends its label in every menu.
    at = open_link("pages/home.py")
    table = at.dataframe[1].value
    runs = table[table["From"] == "trained here"]
    assert len(runs) == len(RUN_IDS)
    trained = [m for m in catalog.list_trained_models()[0] if m.source == "trained here"]
    assert set(runs["Model"]) == {m.name for m in trained}
    assert len(set(runs["Model"])) == len(RUN_IDS)
    assert all(m.label.endswith(m.name) for m in trained)
