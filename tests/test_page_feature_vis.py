"""What a network looks for (issue 15.5) through AppTest: Run makes the pictures the lesson makes, the
captions say what torch says about them, a finished run is kept for the next session, a stopped run
shows its pictures as they were, and crafted links, files and class names get a sentence.

AppTest cannot press Stop while the script runs (it waits for each run to end); the page keeps the
pictures of every progress report in st.session_state["fv_partial"], which is what a Stop leaves, so
a test puts pictures there. Stop itself is pressed in Chromium (tests/test_browser.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

import cnnviz.paths
from cnnviz.lessons import feature_vis as lesson
from cnnviz.model_ref import ModelRef
from dashboard.caches import feature_vis as runs
from dashboard.markup import escape

PAGE = "pages/feature_vis.py"
SHIPPED = Path(__file__).resolve().parent.parent / "pretrained" / "lenet5-fashion-mnist.pt"

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(autouse=True)
def no_kept_runs():
    """Kept runs are shared by every session of a process: each test starts and ends with none."""
    runs.forget()
    yield
    runs.forget()


@pytest.fixture
def only(monkeypatch, tmp_path):
    """The page with an empty pretrained/ folder: only the checkpoints a test uploads exist."""
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    empty = tmp_path / "pretrained"
    empty.mkdir()
    monkeypatch.setattr(cnnviz.paths, "PRETRAINED_DIR", empty)

    def open_with(app_test, checkpoints):
        at = app_test.run()
        at.switch_page(PAGE)
        at.session_state["uploaded_checkpoints"] = [str(c) for c in checkpoints]
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    return open_with


def _ref() -> ModelRef:
    return ModelRef.checkpoint(SHIPPED)


def _model():
    from cnnviz.models import load_checkpoint

    return load_checkpoint(SHIPPED, map_location="cpu").eval()


def _every_class_plan(steps: int) -> lesson.Plan:
    return lesson.Plan("maximise", "", tuple(range(10)), steps,
                       lesson.maximise_regularisation(True, lesson.DEFAULT_JITTER, lesson.DEFAULT_L2, lesson.DEFAULT_BLUR))


def _shown(at) -> list[str]:
    return [e.value for e in [*at.markdown, *at.caption, *at.warning, *at.error, *at.info]]


def test_without_a_trained_network_the_page_says_so_and_links_to_training(app_test, only):
    at = only(app_test, [])
    assert lesson.NO_NETWORK in [i.value for i in at.info]
    assert not at.get("button")


def test_run_makes_the_lessons_pictures_and_the_captions_say_what_torch_says(app_test, only):
    at = only(app_test, [SHIPPED])
    assert lesson.WAITING in [c.value for c in at.caption]  # nothing computed before Run
    at.select_slider(key="fv_steps").set_value(64).run()
    at = at.button(key="fv_run").click().run()
    assert not at.exception and not at.error
    # The same plan in plain Python: a seeded run on the CPU makes the same pictures.
    model = _model()
    ascent = lesson.run(model, _every_class_plan(64))
    with torch.no_grad():
        logits = model(ascent.pictures)
    probabilities = torch.softmax(logits, 1)
    captions = [m.value for m in at.markdown if "score" in m.value and "p = " in m.value]
    assert len(captions) == 10
    for k, caption in enumerate(captions):
        assert caption == (f"**{escape(model.classes[k])}**  \nscore {float(logits[k, k]):.2f}, "
                           f"p = {100 * float(probabilities[k, k]):.1f}%")
    right = int((probabilities.argmax(1) == torch.arange(10)).sum())
    assert any(m.value.startswith(f"The network calls {right} of these 10 pictures its own class") for m in at.markdown)
    assert "64 steps of gradient ascent." in [c.value for c in at.caption]
    assert [c for c in at.get("plotly_chart") if "fv_curve" in c.proto.id]


def test_a_finished_run_is_kept_for_the_next_session_with_the_same_settings(app_test, only):
    from streamlit.testing.v1 import AppTest

    first = only(app_test, [SHIPPED])
    first.select_slider(key="fv_steps").set_value(32).run()
    first.button(key="fv_run").click().run()
    assert runs.finished(_ref(), _every_class_plan(32)) is not None
    second = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=90).run()
    second.switch_page(PAGE)
    second.session_state["uploaded_checkpoints"] = [str(SHIPPED)]
    second.run()
    second.select_slider(key="fv_steps").set_value(32).run()
    assert not second.exception
    assert "32 steps of gradient ascent." in [c.value for c in second.caption]  # shown without Run
    assert not [b for b in second.button if b.key == "fv_run"]


def test_a_stopped_run_shows_its_pictures_as_they_were(app_test, only):
    at = only(app_test, [SHIPPED])
    at.select_slider(key="fv_steps").set_value(64).run()
    plan = _every_class_plan(64)
    model = _model()
    partial = lesson.run(model, plan, steps=24).pictures  # what 24 steps had made when Stop was pressed
    at.session_state["fv_partial"] = (_ref().key, plan, 24, partial)
    at.run()
    assert not at.exception
    assert "Stopped after 24 of 64 steps: the pictures as they were then." in [c.value for c in at.caption]
    with torch.no_grad():
        logits = model(partial)
    captions = [m.value for m in at.markdown if "score" in m.value and "p = " in m.value]
    assert captions[3].startswith(f"**{escape(model.classes[3])}**  \nscore {float(logits[3, 3]):.2f}, ")
    verdict = next(m.value for m in at.markdown if m.value.startswith("The network calls"))
    assert "from grey noise" not in verdict  # a stopped run's start is not known
    assert not [c for c in at.get("plotly_chart") if "fv_curve" in c.proto.id]
    # Run is still offered: the settings have not finished.
    assert [b for b in at.button if b.key == "fv_run"]


def test_inversion_and_deepdream_run_and_quote_their_numbers(app_test, only):
    at = only(app_test, [SHIPPED])
    at.select_slider(key="fv_steps").set_value(32).run()
    at.radio(key="fv_method").set_value("invert").run()
    at.number_input(key="fv_test_index").set_value(5).run()
    at = at.button(key="fv_run").click().run()
    assert not at.exception and not at.error
    inverted = [m.value for m in at.markdown if m.value.startswith("from **")]
    layers = lesson.inverted_layers(runs.layer_kinds(_ref()))
    assert len(inverted) == len(layers) and inverted[-1].startswith("from **the logits**")
    sentence = next(m.value for m in at.markdown if m.value.startswith("Rebuilt from"))
    first, last = (re.search(r"pixels ([\d.]+) off", caption).group(1) for caption in (inverted[0], inverted[-1]))
    assert f"the image per pixel" in sentence and f" {first} from" in sentence and f"{last}." in sentence
    at.radio(key="fv_method").set_value("dream").run()
    at = at.button(key="fv_run").click().run()
    assert not at.exception and not at.error
    assert any(m.value.startswith("Half the mean square activation of features.") for m in at.markdown)
    assert [m.value for m in at.markdown if m.value in ("The photo, as the network takes it", "Dreamt on by features.act3")]
    assert len(at.get("image")) == 2  # the photo and the dream


def test_a_file_that_is_no_photo_gets_a_sentence(app_test, only):
    at = only(app_test, [SHIPPED])
    at.radio(key="fv_method").set_value("dream").run()
    at.radio(key="fv_dream_source").set_value("Upload a photo").run()
    assert lesson.DREAM_WAITING in [i.value for i in at.info]
    assert not [b for b in at.button if b.key == "fv_run"]


def test_crafted_links_fall_back_with_the_note():
    from test_shared_links import link_notes, open_link

    at = open_link(PAGE, {"fv_method": "Feature inversion", "fv_steps": "99999", "fv_test_index": "1e400",
                          "fv_network": "../../etc/passwd"})
    notes = link_notes(at)
    assert len(notes) == 1
    for key in ("fv_steps", "fv_test_index", "fv_network"):
        assert escape(f"{key}=") in notes[0], key
    assert at.session_state["fv_steps"] == lesson.DEFAULT_STEPS


def test_a_checkpoints_class_names_are_shown_as_text(app_test, only, tmp_path):
    from cnnviz.models import get_model, save_checkpoint

    classes = [f"[Log in {i}](http://host/{i})" for i in range(9)] + ["![t](http://host/p.png)"]
    torch.manual_seed(0)
    path = save_checkpoint(tmp_path / "hostile.pt", get_model("lenet5"), classes=classes,
                           meta={"dataset": "fashion-mnist", "test_accuracy": 0.5})
    at = only(app_test, [path])
    at.select_slider(key="fv_steps").set_value(32).run()
    at = at.button(key="fv_run").click().run()
    assert not at.exception
    shown = _shown(at)
    assert any("The network calls" in text for text in shown)
    for text in shown:
        assert not re.search(r"(?<!\\)\]\(|(?<!\\)!\[|http://", text), text


@pytest.fixture
def imagenet_weights(monkeypatch, tmp_path):
    """Seeded random ResNet-18 weights where torch keeps the ImageNet file (no download), and the
    opened networks forgotten before and after (the cache would keep this "trained" ResNet-18)."""
    import torchvision

    from cnnviz.models import imagenet_weights_file
    from dashboard import caches

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    torch.manual_seed(1)
    path = imagenet_weights_file("resnet18")
    path.parent.mkdir(parents=True)
    torch.save(torchvision.models.resnet18().state_dict(), path)
    caches.opened_network.clear()
    yield
    caches.opened_network.clear()


def test_an_imagenet_network_is_offered_when_its_weights_are_here(app_test, only, imagenet_weights):
    at = only(app_test, [])
    assert at.selectbox(key="fv_network").options == ["zoo: ResNet-18"]  # the untrained zoo stays out
    classes = at.selectbox(key="fv_class").options
    assert len(classes) == 1000 and lesson.EVERY_CLASS not in classes  # one class at a time
    at.select_slider(key="fv_steps").set_value(32).run()
    at = at.button(key="fv_run").click().run(timeout=240)
    assert not at.exception and not at.error
    caption = next(m.value for m in at.markdown if "score" in m.value and "p = " in m.value)
    assert caption.startswith(f"**{escape(classes[0])}**  \nscore ")
    assert any(m.value.startswith(f"The network calls this picture **{escape(classes[0])}**") or
               m.value.startswith(f"The network does not call this picture **{escape(classes[0])}**")
               for m in at.markdown)
