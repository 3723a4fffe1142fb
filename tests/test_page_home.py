"""The home page through AppTest: pages listed, machine state shown, checkpoints uploaded."""

import io
import os
import pickle

import pytest

from dashboard import navigation


@pytest.fixture
def home(app_test, monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path))
    # Fashion-MNIST found through the Debian package even with an empty cache.
    at = app_test.run()
    assert not at.exception
    return at


def _text(at):
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption]
    parts += [e.value for e in at.title] + [e.value for e in at.header] + [e.value for e in at.subheader]
    return "\n".join(str(p) for p in parts)


def test_home_says_what_cnnviz_is_and_links_every_page(home):
    assert "cnnviz" in home.title[0].value
    text = _text(home)
    for entry in navigation.PAGES[1:]:
        assert entry.teaches in text


def test_home_shows_the_device_and_dataset_state(home):
    text = _text(home)
    from cnnviz import devices

    assert f"**{devices.describe_device()}**" in text  # the device runs would train on, as a sentence
    table = home.dataframe[0].value
    assert set(table["Dataset"]) >= {"Fashion-MNIST", "MNIST", "CIFAR-10"}
    # The cache is an empty folder and only Fashion-MNIST has a system-wide copy to fall back on.
    for title, name in (("MNIST", "mnist"), ("CIFAR-10", "cifar10")):
        row = table[table["Dataset"] == title].iloc[0]
        assert row["Ready"] == "no", title
        assert row["Where / how to get it"] == f"python -m cnnviz.data fetch {name}"


def _checkpoint_bytes(tmp_path):
    from cnnviz.models import get_model, save_checkpoint

    path = save_checkpoint(
        tmp_path / "tiny.pt",
        get_model("lenet5"),
        classes=[str(i) for i in range(10)],
        meta={"dataset": "mnist", "test_accuracy": 0.5},
    )
    return path.read_bytes()


def test_uploading_a_checkpoint_lists_it_for_every_page(home, tmp_path):
    home.file_uploader(key="checkpoint_upload").upload("tiny.pt", _checkpoint_bytes(tmp_path))
    home.run()
    assert not home.exception
    assert not home.error
    from dashboard.markup import shown_text

    assert shown_text(home.success[0].value).startswith("Loaded tiny.pt: every page's model menu")
    models = home.dataframe[1].value
    uploaded = models[models["From"] == "uploaded"]
    assert list(uploaded["Architecture"]) == ["lenet5"]
    assert list(uploaded["Test accuracy"]) == ["50.0%"]
    assert set(models["From"]) <= {"shipped", "uploaded"}
    assert len(home.session_state["uploaded_checkpoints"]) == 1


class _WouldRunCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_malicious_or_broken_checkpoint_is_refused_with_a_sentence(home, tmp_path):
    marker = tmp_path / "pwned"
    buffer = io.BytesIO()
    pickle.dump({"state_dict": _WouldRunCode(str(marker))}, buffer)
    for name, payload in [("evil.pt", buffer.getvalue()), ("noise.pt", os.urandom(2048))]:
        home.file_uploader(key="checkpoint_upload").set_value((name, payload, "application/octet-stream"))
        home.run()
        assert not home.exception
        assert len(home.error) == 1 and home.error[0].value.endswith(".")
    assert not marker.exists()
    assert "uploaded_checkpoints" not in home.session_state


def test_the_models_table_has_the_page_width_and_short_names(home):
    # In half of a projector's 1280 px the table lost its Test accuracy and Parameters columns
    # off its right edge: it is no longer inside a column, and each row is named by its file.
    from cnnviz import catalog

    assert all(not column.dataframe for column in home.columns)
    models = home.dataframe[1].value
    assert list(models.columns) == ["Model", "Architecture", "Dataset", "Test accuracy", "Parameters", "From"]
    shipped, _ = catalog.list_trained_models()
    assert list(models["Model"]) == [m.path.stem for m in shipped]
    assert list(models["Parameters"]) == [f"{m.num_parameters:,}" for m in shipped]
