"""Shareable links: a page opened from a URL shows exactly the settings the URL names, and a link
with bad or stale parameters falls back to the defaults with a note (dashboard.links, dashboard.page_frame)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cnnviz.lessons import conv_lab as conv_lab_lesson
from dashboard.markup import escape
from dashboard.navigation import PAGES

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# AppTest's switch_page runs a page file on its own, without the router. This harness registers
# the pages as app.py does (so st.page_link works) and wraps the one page in the same
# page_frame.run the router uses, so the link check and the presentation switch are the real ones.
HARNESS = """
import os, runpy
import streamlit as st
from dashboard import page_frame
from dashboard.navigation import PAGES
st.navigation([st.Page(os.path.join({repo!r}, e.path), title=e.title, url_path=e.url_path, default=(i == 0))
               for i, e in enumerate(PAGES)], position="hidden")
page_frame.run(lambda: runpy.run_path({page!r}, run_name="__main__"))
"""


def open_link(page: str, query: dict[str, str] | None = None):
    """Run `page` from a link with `query` in its URL; the home page runs through app.py itself
    (it is the router's default page, and its st.page_link calls need the router's own paths)."""
    from streamlit.testing.v1 import AppTest

    if page == PAGES[0].path:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    else:
        at = AppTest.from_string(HARNESS.format(repo=str(REPO), page=str(REPO / page)), default_timeout=120)
    at.query_params = dict(query or {})
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def link_notes(at) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith("This link asked for settings")]


def chart_spec(at, key: str) -> dict:
    charts = [c for c in at.get("plotly_chart") if key in c.proto.id]
    assert len(charts) == 1, f"expected one chart {key}"
    return json.loads(charts[0].proto.spec)


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_a_lecturers_conv_lab_link_opens_exactly_its_settings():
    # "Sobel x, stride 2, dilation 2 on the cat"
    at = open_link("pages/conv_lab.py", {
        "conv_source": "Photo", "conv_photo": "cat", "conv_kernel_photo_preset": "Sobel x",
        "conv_stride": "2", "conv_dilation": "2",
    })
    assert link_notes(at) == []
    state = at.session_state
    assert (state["conv_source"], state["conv_photo"], state["conv_kernel_photo_preset"]) == ("Photo", "cat", "Sobel x")
    assert (state["conv_stride"], state["conv_dilation"]) == (2, 2)
    # The output follows the formula with those numbers, floor((W + 2P - D(F-1) - 1)/S) + 1 with
    # P=0, D=2, F=3, S=2, on the cat as the lab shows it (at most 512 px a side).
    from cnnviz import images

    width, height = images.shrink_to(images.load_sample_image("cat"), 512).size
    expected = [(n - 2 * (3 - 1) - 1) // 2 + 1 for n in (height, width)]
    assert metric(at, "Output") == f"1x{expected[0]}x{expected[1]}"  # groups 1: one map


def test_an_adversarial_link_names_the_attack_the_epsilon_and_the_test_image():
    # "FGSM eps 0.1 on image 42" -- the 42nd sneaker of the shipped LeNet-5's test set.
    at = open_link("pages/adversarial.py", {
        "adv_source": "A test image", "adv_class": "Sneaker", "adv_which_7": "42",
        "adv_method": "FGSM", "adv_eps": "26",
    })
    assert link_notes(at) == []
    assert at.session_state["adv_class"] == 7 and at.session_state["adv_which_7"] == 42
    assert at.session_state["adv_eps"] == 26
    from cnnviz import data

    labels = data.load_dataset("fashion-mnist").test_labels
    index = int((labels == 7).nonzero().flatten()[42])
    assert any(f"Test image {index} of" in c.value for c in at.caption) or \
        any(f"Test image {index} of" in m.value for m in at.markdown)


def test_bad_and_stale_parameters_fall_back_to_defaults_with_one_note():
    at = open_link("pages/conv_lab.py", {
        "conv_stride": "9",            # outside the slider's 1..5
        "conv_padding": "banana",      # not one of the options
        "conv_dilation": "2",          # fine: kept
        "colour": "blue",              # no such setting (a stale link)
    })
    notes = link_notes(at)
    assert len(notes) == 1
    # The note quotes the link as text (escaped markdown: conv\_stride\=9).
    for words in ("conv_stride=9", "conv_padding=banana", "colour=blue"):
        assert escape(words) in notes[0]
    assert escape("conv_dilation") not in notes[0]
    state = at.session_state
    assert (state["conv_stride"], state["conv_padding"], state["conv_dilation"]) == (1, "0", 2)
    # The URL now says what is shown: the bad parameters are gone, the good one stays.
    assert "colour" not in at.query_params and "conv_stride" not in at.query_params
    assert at.query_params["conv_dilation"] in ("2", ["2"])
    # ... and the page still renders its output.
    assert metric(at, "Output").startswith("1x")


def test_a_clean_link_or_no_link_shows_no_note():
    assert link_notes(open_link("pages/conv_lab.py")) == []
    assert link_notes(open_link("pages/conv_lab.py", {"conv_stride": "1"})) == []  # the default, written out


# Pages that draw figures as soon as they open; the overview and the Training page (before a run) draw none.
PAGES_WITH_FIGURES = {"convolution", "receptive-fields", "inside-a-network", "attacks"}


@pytest.mark.parametrize("entry", PAGES, ids=lambda e: e.url_path)
def test_every_page_renders_in_presentation_mode_with_projector_sized_figures(entry):
    from cnnviz.figures import style

    at = open_link(entry.path, {"present": "true"})
    assert at.session_state["present"] is True
    assert link_notes(at) == []
    big = round(style.FONT["size"] * style.PROJECTOR_SCALE)
    charts = at.get("plotly_chart")
    assert bool(charts) == (entry.url_path in PAGES_WITH_FIGURES), [c.proto.id for c in charts]
    for chart in charts:
        spec = json.loads(chart.proto.spec)
        assert spec["layout"]["font"]["size"] >= big, chart.proto.id
        config = json.loads(chart.proto.config)
        assert config["modeBarButtons"] == [["toImage"]]  # the PNG download


def test_figures_outside_presentation_mode_keep_their_size_and_offer_a_png():
    from cnnviz.figures import style

    at = open_link("pages/conv_lab.py")
    spec = chart_spec(at, "conv_output_chart")
    assert spec["layout"]["font"]["size"] == style.FONT["size"]
    config = json.loads(next(c for c in at.get("plotly_chart") if "conv_output_chart" in c.proto.id).proto.config)
    assert config["toImageButtonOptions"]["format"] == "png"
    assert config["toImageButtonOptions"]["filename"].startswith("cnnviz-")


def test_a_link_to_a_corner_unit_of_the_receptive_field_keeps_column_0():
    # The page seeds the centre unit; a link may still ask for column 0 (the number input's minimum).
    at = open_link("pages/receptive_fields.py", {"rf_photo": "astronaut", "rf_row": "5", "rf_col": "0"})
    assert link_notes(at) == []
    assert (at.session_state["rf_row"], at.session_state["rf_col"]) == (5, 0)
    assert not [w.value for w in at.warning if "Session State API" in w.value]


def test_a_hand_written_link_naming_a_menus_default_label_gets_no_note():
    # Streamlit leaves defaults out of links; a link that spells one out (by the option's label,
    # as menus are written in links) asked for exactly what is shown.
    at = open_link("pages/adversarial.py", {"adv_source": "A test image", "adv_class": "T-shirt/top",
                                            "adv_method": "FGSM", "adv_eps": "26"})
    assert link_notes(at) == []
    assert at.session_state["adv_class"] == 0


def test_a_link_to_a_huge_transposed_output_gets_a_sentence_not_a_2600_pixel_picture():
    # Transposed convolution, stride 5, 11x11 kernel, dilation 4 on the 512 px astronaut: the output
    # side is (512 - 1) * 5 + 4 * 10 + 1 + 4 = 2600 pixels, over the lab's limit.
    at = open_link("pages/conv_lab.py", {
        "conv_source": "Photo", "conv_photo": "astronaut", "conv_operation": "Transposed convolution",
        "conv_stride": "5", "conv_kh": "11", "conv_kw": "11", "conv_dilation": "4", "conv_output_padding": "4",
    })
    assert link_notes(at) == []
    errors = [e.value for e in at.error]
    assert errors == [f"The output would be 2600 x 2600 pixels; the lab draws outputs up to "
                      f"{conv_lab_lesson.MAX_OUTPUT_SIDE} pixels a side: lower the stride, the dilation or the "
                      "kernel, or use the numeric grid."]
    assert not [c for c in at.get("plotly_chart") if "conv_output_chart" in c.proto.id]


def test_a_links_text_is_quoted_in_the_note_never_rendered_as_markup():
    # A link, an image (every viewer's browser would fetch it) and Streamlit's own directives.
    at = open_link("pages/conv_lab.py", {
        "x": "[Log in](http://host/login)", "y": "![t](http://host/p.png)", "z": ":red[**hi**] $x$ <b>",
        "conv_padding": "www.host.com/#",
    })
    notes = link_notes(at)
    assert len(notes) == 1
    note = notes[0]
    for markup in ("](", "![", "[Log", "http://", "www.", ":red[", "**hi", "$x$", "<b>", "/#"):
        assert not re.search(r"(?<!\\)" + re.escape(markup), note), markup  # not even once unescaped
    for text in ("x=[Log in](http://host/login)", "y=![t](http://host/p.png)", "conv_padding=www.host.com/#"):
        assert escape(text) in note


def test_explain_in_the_confusion_gallery_opens_its_image_without_a_link_note():
    # The button's callback sets the view and the image before the URL catches up: no link fell
    # back, so no note; and it explains the mistake the network made, not the class chosen for an
    # earlier image.
    from cnnviz.lessons import inside as lesson

    def explain(at):
        buttons = [b for b in at.button if b.key and b.key.startswith("inside_explain_")]
        at = buttons[0].click().run()
        assert not at.exception
        assert at.radio(key="inside_view").value == "Attribution"
        assert at.number_input(key="inside_test_index").value == int(buttons[0].key.rsplit("_", 1)[1])
        return at

    at = explain(open_link("pages/inside.py", {"inside_view": "Confusion matrix"}))
    assert link_notes(at) == []

    at = open_link("pages/inside.py", {"inside_view": "Attribution", "inside_attr_target": "Bag"})
    assert at.selectbox(key="inside_attr_target").value == "Bag"
    at = explain(at.radio(key="inside_view").set_value("Confusion matrix").run())
    assert at.selectbox(key="inside_attr_target").value == lesson.PREDICTED_CLASS


def test_a_worked_sizes_link_opens_its_chain_and_a_side_past_the_limit_gets_the_note():
    at = open_link("pages/conv_lab.py", {"conv_sizes_layers": "AlexNet: conv1", "conv_sizes_side": "231"})
    assert not link_notes(at)
    shapes = next(m.value for m in at.markdown if m.value.startswith("**Shapes"))
    assert shapes.endswith("3x231x231 → 96x56x56")  # floor((231 - 11)/4) + 1 = 56
    at = open_link("pages/conv_lab.py", {"conv_sizes_layers": "<b>AlexNet</b>", "conv_sizes_side": "999999"})
    notes = link_notes(at)
    assert len(notes) == 1 and escape("conv_sizes_side=999999") in notes[0] and "<b>" not in notes[0]
    assert at.selectbox(key="conv_sizes_layers").value == "Your layer (the controls above)"
