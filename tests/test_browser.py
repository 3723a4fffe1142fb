"""One real browser walks the whole dashboard: every page opens, a real photo and a checkpoint are
uploaded, and no exception element appears. Screenshots land in test-artifacts/browser/."""

from __future__ import annotations

import re

import pytest

from browser import SCREENSHOTS, exceptions_on, upload, upload_photo, wait_until_idle
from dashboard import navigation

pytestmark = pytest.mark.browser



@pytest.fixture(scope="module")
def server(dashboard):
    return dashboard


# Uncaught errors in the browser's own scripts (a blank app shows no stException, only this).
PAGE_ERRORS: list[str] = []


@pytest.fixture(scope="module")
def page(chromium):
    page = chromium.new_context(viewport={"width": 1600, "height": 1000}).new_page()
    page.on("pageerror", lambda error: PAGE_ERRORS.append(str(error)))
    return page


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """A real photo (skimage's cat) as the JPEG a user would upload."""
    from PIL import Image
    from skimage import data

    path = tmp_path_factory.mktemp("photos") / "chelsea.jpg"
    Image.fromarray(data.chelsea()).save(path, quality=90)
    return path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    from cnnviz.models import get_model, save_checkpoint

    return save_checkpoint(
        tmp_path_factory.mktemp("checkpoints") / "my-lenet.pt",
        get_model("lenet5"),
        classes=[str(i) for i in range(10)],
        meta={"dataset": "mnist", "test_accuracy": 0.25},
    )


def _open(page, server, entry):
    # The first page is the default: it lives at "/".
    path = "" if entry is navigation.PAGES[0] else entry.url_path
    page.goto(f"{server.url}/{path}")
    wait_until_idle(page)


def _shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _home(page, server, checkpoint, photo):
    page.get_by_text("Datasets").first.wait_for()
    upload(page, checkpoint)
    page.get_by_text("every page's model menu now offers it").wait_for()
    page.get_by_text("my-lenet").first.wait_for()


def _conv_lab(page, server, checkpoint, photo):
    upload_photo(page, "Upload", photo)
    page.locator('[data-testid="stImage"] img, [data-testid="stPlotlyChart"]').first.wait_for()


def _sidebar(page, title):
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    wait_until_idle(page)
    assert exceptions_on(page) == []


def _training(page, server, checkpoint, photo):
    # Start a run (the form's defaults: LeNet-5 on Fashion-MNIST), watch it move, visit another
    # page in the same session while it trains, come back, and stop it. Three round trips: a click
    # that lands as the live view's timed rerun ends once left the whole app blank.
    page.get_by_role("button", name="Start").click()
    page.get_by_text("images/s").first.wait_for(timeout=120_000)
    _shoot(page, "train-running")
    for _ in range(3):
        _sidebar(page, "Home")
        page.get_by_text("Datasets").first.wait_for()
        _sidebar(page, "Training")
        page.get_by_text("images/s").first.wait_for(timeout=60_000)
    assert PAGE_ERRORS == []
    page.get_by_test_id("stMain").get_by_role("button", name="Stop").click()
    page.get_by_text("Stopped").first.wait_for(timeout=60_000)
    page.get_by_text("every page that uses a trained network can pick it now").wait_for()
    _shoot(page, "train-stopped")
    # The seed's learning-rate lesson: 1, 0.1 and 0.01, the diverging one named.
    page.get_by_role("tab", name="Compare learning rates").click()
    page.get_by_role("button", name="Compare").click()
    page.get_by_text("diverged").first.wait_for(timeout=240_000)
    wait_until_idle(page)
    _shoot(page, "train-lr-comparison")


def _choose(page, label, option_text):
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.click()
    page.get_by_role("option").filter(has_text=option_text).first.click()
    wait_until_idle(page)


def _inside(page, server, checkpoint, photo):
    # The run stopped on the Training page is a model here; then a real photo goes in.
    _choose(page, "Network", "trained here")
    page.get_by_text("Classes shown (top-k)").first.wait_for()  # the prediction's bars are drawn
    upload_photo(page, "Upload a photo", photo)
    page.get_by_text("What the model sees").first.wait_for()
    _draw_a_stroke(page)
    for view in ("Kernels", "Attribution", "Confusion matrix"):
        # The "Look at" choice (the folded intro names the views too, in italics).
        page.locator('[data-testid="stRadio"]').filter(has_text="Look at").get_by_text(view, exact=True).click()
        wait_until_idle(page)
        assert exceptions_on(page) == []
        _shoot(page, f"inside-{view.lower().replace(' ', '-')}")


def _draw_a_stroke(page):
    """Draw your own: a pen stroke on the canvas goes through the network (issue 15.9)."""
    from cnnviz.lessons.inside import DRAW_SOURCE, DRAW_WAITING, DRAWING_NOTE

    page.get_by_text(DRAW_SOURCE, exact=True).first.click()
    wait_until_idle(page)
    page.get_by_text(DRAW_WAITING).first.wait_for()
    box = page.locator("canvas").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for step in range(1, 11):  # a vertical line, top to bottom
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] * (0.15 + 0.07 * step))
    page.mouse.up()
    wait_until_idle(page)
    page.get_by_text(DRAWING_NOTE).first.wait_for()  # the drawing, not a photo, went through the network
    assert page.get_by_text(DRAW_WAITING).count() == 0 and exceptions_on(page) == []
    _shoot(page, "inside-drawn")


def _attacks(page, server, checkpoint, photo):
    upload_photo(page, "Your own photo", photo)
    page.get_by_text("Prediction after").first.wait_for()


def _receptive_fields(page, server, checkpoint, photo):
    upload_photo(page, "Upload a photo", photo)
    page.get_by_text("Field size, layer by layer").first.wait_for()
    # Only the open tab runs, so Streamlit drops the uploader's file on a visit to another: the photo stays.
    page.get_by_role("tab", name="Count the networks").click()
    wait_until_idle(page)
    page.get_by_role("tab", name="Field on your image").click()
    wait_until_idle(page)
    page.get_by_text(f"Showing {photo.name}, uploaded before").wait_for()
    page.get_by_text("Field size, layer by layer").first.wait_for()


def _looks_for(page, server, checkpoint, photo):
    """What a network looks for (issue 15.5): a long run stopped keeps its pictures; a dream on a real photo."""
    from cnnviz.lessons import feature_vis as lesson

    # The shipped small CNN inverted from eight layers for 512 steps: seconds of CPU, time to press Stop.
    page.goto(f"{server.url}/looks-for?fv_method=Feature+inversion&fv_steps=512&fv_test_index=7")
    wait_until_idle(page)
    _choose(page, "Network", "small-cnn")
    page.get_by_role("button", name="Run").click()
    stop = page.get_by_test_id("stMain").get_by_role("button", name="Stop")
    stop.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"Step [1-9][0-9]* of 512")).first.wait_for(timeout=60_000)  # the bar moves
    stop.click()
    wait_until_idle(page)
    page.get_by_text("Stopped after").first.wait_for(timeout=60_000)
    assert page.get_by_text(" of 512 steps: the pictures as they were then.").count() == 1
    assert page.get_by_role("button", name="Run").count() == 1  # the stopped settings can run again
    _shoot(page, "looks-for-stopped")
    # The run stopped on the Training page dreams on a real photo.
    _choose(page, "Network", "trained here")
    page.locator('[data-testid="stRadio"]').filter(has_text="Method").get_by_text("DeepDream", exact=True).click()
    wait_until_idle(page)
    page.locator('[data-testid="stRadio"]').filter(has_text="Photo from").get_by_text("Upload a photo", exact=True).click()
    wait_until_idle(page)
    page.get_by_text(lesson.DREAM_WAITING).first.wait_for()
    upload(page, photo)
    wait_until_idle(page)
    page.get_by_role("button", name="Run").click()
    page.get_by_text("Half the mean square activation of").first.wait_for(timeout=120_000)
    wait_until_idle(page)
    _shoot(page, "looks-for-dream")


PAGE_ACTIONS = {
    "overview": _home,
    "convolution": _conv_lab,
    "receptive-fields": _receptive_fields,
    "train": _training,
    "inside-a-network": _inside,
    "attacks": _attacks,
    "looks-for": _looks_for,
}


@pytest.mark.parametrize("entry", navigation.PAGES, ids=[e.url_path for e in navigation.PAGES])
def test_every_page_renders_without_exception(page, server, entry, checkpoint, photo):
    _open(page, server, entry)
    assert exceptions_on(page) == []
    _shoot(page, entry.url_path)
    action = PAGE_ACTIONS.get(entry.url_path)
    if action:
        action(page, server, checkpoint, photo)
        assert exceptions_on(page) == [] and PAGE_ERRORS == []
        _shoot(page, f"{entry.url_path}-after")


def _shapes(page, key: str) -> list[dict]:
    """The shapes plotly.js is drawing now in the chart whose Streamlit key starts with `key`."""
    return page.evaluate("""key => { const gd = document.querySelector(`[class*="st-key-${key}"] .js-plotly-plot`);
        return gd ? (gd.layout.shapes || []).map(s => ({x0: s.x0, y0: s.y0, x1: s.x1, y1: s.y1})) : null; }""", key)


def test_the_receptive_field_figures_follow_a_new_unit(page, server):
    """What the browser draws, not only what the server sent: a typed unit moves the grid's square
    and the field's box (a chart kept under its old element id once showed the old figure)."""
    page.goto(f"{server.url}/receptive-fields")
    wait_until_idle(page)
    before = _shapes(page, "rf_field_figure")
    for label, value in (("Unit row", "3"), ("Unit column", "5")):
        box = page.locator('[data-testid="stNumberInput"]:visible').filter(has_text=label).first.locator("input")
        box.fill(value)
        box.press("Enter")
        wait_until_idle(page)
    (square,) = _shapes(page, "rf_grid")
    assert (square["x0"], square["y0"]) == pytest.approx((5 - 0.4, 3 - 0.4))
    after = _shapes(page, "rf_field_figure")
    assert after and after != before  # the field's box moved with the unit
    assert re.search(r"unit \(3, 5\):\W*field \d+ px", page.locator('[data-testid="stMain"]').inner_text())
    assert exceptions_on(page) == [] and PAGE_ERRORS == []
