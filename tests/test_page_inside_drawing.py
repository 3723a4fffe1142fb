"""Inside a network, "Draw your own" (issue 15.9) through AppTest: the grid the canvas sent goes
through the network, the page says what torch says about it, and a crafted grid gets a sentence.

AppTest cannot move a pen on the canvas; the page reads the canvas's last grid, kept in
st.session_state["inside_drawing_kept"] (what a drawing leaves when its page is left), so the
tests put a grid there. The canvas itself is drawn on in Chromium (tests/test_browser.py, _draw_a_stroke)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import cnnviz.paths
from cnnviz.lessons import inside as lesson
from dashboard.markup import escape

SHIPPED = Path(__file__).resolve().parent.parent / "pretrained" / "lenet5-fashion-mnist.pt"


@pytest.fixture
def page(app_test, monkeypatch, tmp_path):
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    empty = tmp_path / "pretrained"
    empty.mkdir()
    monkeypatch.setattr(cnnviz.paths, "PRETRAINED_DIR", empty)
    at = app_test.run()
    at.switch_page("pages/inside.py")
    at.session_state["uploaded_checkpoints"] = [str(SHIPPED)]  # the shipped LeNet-5, as an upload
    return at


def _trouser() -> np.ndarray:
    pixels = np.zeros((28, 28), np.uint8)
    pixels[3:26, 9:13] = 255  # two legs
    pixels[3:26, 15:19] = 255
    pixels[3:8, 9:19] = 255  # the waist
    return pixels


def test_a_drawing_goes_through_the_network_and_the_page_says_what_torch_says(page):
    from cnnviz.models import load_checkpoint

    drawn = _trouser()
    page.session_state["inside_drawing_kept"] = drawn.ravel().tolist()
    at = page.run().radio(key="inside_source").set_value(lesson.DRAW_SOURCE).run(timeout=60)
    assert not at.exception and not at.warning
    model = load_checkpoint(SHIPPED, map_location="cpu").eval()
    with torch.no_grad():
        probabilities = torch.softmax(model(torch.from_numpy(drawn).float().div(255)[None, None]), 1)[0]
    best = int(probabilities.argmax())
    verdict = f"The network says **{escape(model.classes[best])}** with {100 * float(probabilities[best]):.1f}%."
    assert verdict in [e.value for e in at.markdown]
    captions = [c.value for c in at.caption]
    assert lesson.DRAW_NOTE in captions and lesson.DRAWING_NOTE in captions and lesson.PHOTO_NOTE not in captions
    assert not any(i.value == lesson.DRAW_WAITING for i in at.info)
    # The rest of the page runs on the drawing: the layer outputs' first step is its normalisation.
    assert at.selectbox(key="inside_layer").options[0].startswith("1. Normalize")


def test_before_any_stroke_the_page_waits_and_a_crafted_grid_gets_one_sentence(page):
    at = page.run().radio(key="inside_source").set_value(lesson.DRAW_SOURCE).run(timeout=60)
    assert not at.exception
    assert lesson.DRAW_WAITING in [i.value for i in at.info]
    assert "The network says" not in " ".join(e.value for e in at.markdown)
    at.session_state["inside_drawing_kept"] = ["<script>"] * 784
    at = at.run(timeout=60)
    assert not at.exception
    assert [w.value for w in at.warning] == [lesson.BAD_DRAWING]
