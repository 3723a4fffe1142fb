"""The convolution lab through AppTest: every control changes what is shown, and settings that
cannot work give one sentence, never a traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.lessons import conv_lab as lesson

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.fixture
def lab() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.switch_page("pages/conv_lab.py")
    at.run()
    assert not at.exception
    return at


def latex(at: AppTest) -> str:
    return "\n".join(element.value for element in at.latex)


def code(at: AppTest) -> str:
    return "\n".join(element.value for element in at.code)


def cell_line(at: AppTest) -> str:
    lines = [element.value for element in at.markdown if element.value.startswith("**output[")]
    assert len(lines) == 1
    return lines[0]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def change(at: AppTest, kind: str, key: str, value) -> AppTest:
    getattr(at, kind)(key=key).set_value(value)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_opens_on_the_classic_worked_example(lab):
    assert "Convolution lab" in lab.title[0].value
    assert "= 2 + 1 = 3" in latex(lab)  # 5x5, F=3 -> 3
    assert "nn.Conv2d(1, 1, kernel_size=3, stride=1, padding=0)" in code(lab)
    assert metric(lab, "Output") == "1x3x3"
    assert metric(lab, "Parameters") == "10"  # 1*1*3*3 + 1
    assert metric(lab, "Multiply-adds") == "81"  # 9 outputs * 9 taps
    assert cell_line(lab).endswith("= 4 + bias 0 = 4`")
    assert not lab.error and not lab.warning


def test_the_cells_arithmetic_links_to_a_trained_networks_unit():
    at = AppTest.from_file(str(APP), default_timeout=60).run()  # through app.py: the pages' URL paths known
    at.switch_page("pages/conv_lab.py")
    at.run()
    link = next(link.proto for link in at.get("page_link") if link.proto.label == lesson.INSIDE_UNIT_LABEL)
    assert link.page == "inside-a-network" and link.query_string == "inside_view=Layer+outputs"


def test_stepping_walks_the_classic_output_4_3_4(lab):
    values = []
    for _ in range(3):
        values.append(cell_line(lab).rsplit("= ", 1)[1].rstrip("`"))
        lab.button(key="conv_step").click().run()
    assert values == ["4", "3", "4"]
    lab.button(key="conv_last").click().run()
    assert cell_line(lab).startswith("**output[0, 2, 2]**")
    lab.button(key="conv_back").click().run()
    assert cell_line(lab).startswith("**output[0, 2, 1]**") and cell_line(lab).endswith("= 3`")
    lab.button(key="conv_first").click().run()
    assert cell_line(lab).startswith("**output[0, 0, 0]**")


def test_play_button_toggles_without_errors(lab):
    lab.button(key="conv_play").click().run()
    assert not lab.exception
    assert lab.session_state["conv_playing"] is True
    lab.button(key="conv_play").click().run()
    assert lab.session_state["conv_playing"] is False and not lab.exception


def test_kernel_preset_and_bias_change_the_arithmetic(lab):
    change(lab, "selectbox", "conv_kernel_grid_preset", "Box blur")
    assert "0.111" in cell_line(lab) and cell_line(lab).endswith("= 0.667 + bias 0 = 0.667`")  # 6/9
    change(lab, "number_input", "conv_bias", 1.0)
    assert cell_line(lab).endswith("+ bias 1 = 1.67`")
    change(lab, "toggle", "conv_flip", True)  # box blur is symmetric: flipping changes nothing
    assert cell_line(lab).endswith("+ bias 1 = 1.67`")


def test_same_padding_with_stride_2_is_one_sentence_not_a_traceback(lab):
    change(lab, "selectbox", "conv_padding", "same")
    assert "= 4 + 1 = 5" in latex(lab) and not lab.error  # 'same' keeps 5
    change(lab, "slider", "conv_stride", 2)
    assert len(lab.error) == 1
    assert "'same' padding needs stride 1" in lab.error[0].value
    assert "stride 2" in lab.error[0].value
    assert not [m for m in lab.markdown if m.value.startswith("**output[")]  # nothing stale shown


def test_refused_settings_on_a_photo_claim_no_output_size(lab):
    """The photo is 300 rows high: 'same' + stride 2 once printed H_out = ... = 150 under the error."""
    change(lab, "radio", "conv_source", "Photo")
    assert re.search(r"= \d+$", latex(lab), re.M)  # a working layer ends its formulas in a size
    change(lab, "selectbox", "conv_padding", "same")
    change(lab, "slider", "conv_stride", 2)
    assert "'same' padding needs stride 1" in lab.error[0].value
    sizes = [line for line in latex(lab).splitlines() if "_{\\mathrm{out}}" in line and re.search(r"= \d+$", line)]
    assert not sizes and "no size" in latex(lab)
    assert not [m for m in lab.metric if m.label == "Output"]
    # Why, in numbers, as text beside the P of 'same' (no formula line claiming a size): 512 wide -> 256.
    assert "P = \\frac{F-1}{2} = \\frac{3-1}{2} = 1" in latex(lab)
    assert any("'same' needs stride 1" in m.value and "= 255 + 1 = 256`, not W_in = 512" in m.value
               for m in lab.markdown)


def charts(at: AppTest) -> dict[str, dict]:
    """The page's plotly charts by key: their figures as the browser receives them."""
    return {chart.proto.id.rsplit("-", 1)[-1]: json.loads(chart.proto.spec) for chart in at.get("plotly_chart")}


def test_stepping_on_a_photo_zooms_and_keeps_the_whole_pictures(lab):
    """The zoom writes the cell's value where the sum line says; a Step inside the zoom's tile
    leaves the two whole pictures (~270 KB) unchanged, so only the zooms travel again."""
    change(lab, "radio", "conv_source", "Photo")
    before = charts(lab)
    lab.button(key="conv_step").click().run()
    after = charts(lab)
    assert cell_line(lab).startswith("**output[0, 0, 1]**")
    value = float(cell_line(lab).rsplit("= ", 1)[1].rstrip("`"))
    zoom = [trace for trace in after["conv_output_zoom"]["data"] if trace["type"] == "heatmap"][-1]
    axes = after["conv_output_zoom"]["layout"]
    assert zoom["text"][0][1] == f"{value:g}" and axes["xaxis"]["ticktext"][:2] == ["0", "1"]
    assert axes["yaxis"]["ticktext"] == [str(row) for row in range(lesson.MAX_TILE)]
    assert before["conv_input_chart"] == after["conv_input_chart"]
    assert before["conv_output_chart"] == after["conv_output_chart"]
    assert before["conv_input_zoom"] != after["conv_input_zoom"]


def test_the_first_screen_opens_on_the_controls_with_the_prose_folded(lab):
    """At 1280x720 the intro, formula and tip filled the first screen: they fold into one expander."""
    intro = lab.expander[0]
    assert intro.label == lesson.INTRO_LABEL
    assert [e.value.strip("$\n") for e in intro.latex][:2] == [lesson.FORMULA, lesson.SIZE_FORMULA]
    assert lesson.INTRO in [e.value for e in intro.markdown] and lesson.TRY_FIRST in [e.value for e in intro.info]
    assert not [e for e in lab.main.children.values() if getattr(e, "type", "") == "latex"]  # none outside it


def test_uneven_stride_is_flagged(lab):
    change(lab, "slider", "conv_stride", 3)  # (5 - 3) = 2 is not a multiple of 3
    assert metric(lab, "Output") == "1x1x1"
    assert any("the last 2 input rows are never visited" in w.value for w in lab.warning)


def test_dilation_spreads_the_taps_until_the_kernel_no_longer_fits(lab):
    change(lab, "slider", "conv_dilation", 2)
    assert "2 \\cdot (3-1)" in latex(lab) and "= 0 + 1 = 1" in latex(lab)  # span 5 on 5
    assert "dilation=2" in code(lab)
    change(lab, "slider", "conv_dilation", 3)
    assert len(lab.error) == 1 and "spans 7" in lab.error[0].value and "only 5" in lab.error[0].value
    change(lab, "selectbox", "conv_padding", "1")
    assert not lab.error and metric(lab, "Output") == "1x1x1"


def test_max_and_average_pooling(lab):
    change(lab, "radio", "conv_operation", "Max pooling")
    change(lab, "number_input", "conv_kh", 2)
    change(lab, "number_input", "conv_kw", 2)
    change(lab, "slider", "conv_stride", 2)
    assert "nn.MaxPool2d(kernel_size=2, stride=2, padding=0)" in code(lab)
    assert metric(lab, "Parameters") == "0" and metric(lab, "Output") == "1x2x2"
    assert cell_line(lab).endswith("max(1, 1, 0, 1) = 1`")
    assert any("never visited" in w.value for w in lab.warning)  # 5 is odd
    change(lab, "radio", "conv_operation", "Average pooling")
    assert "nn.AvgPool2d(kernel_size=2, stride=2, padding=0)" in code(lab)
    assert cell_line(lab).endswith("/ 4 = 3 / 4 = 0.75`")
    change(lab, "slider", "conv_dilation", 2)
    assert len(lab.error) == 1 and "Average pooling has no dilation" in lab.error[0].value


def test_transposed_convolution(lab):
    change(lab, "radio", "conv_operation", "Transposed convolution")
    change(lab, "slider", "conv_stride", 2)
    assert "nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, padding=0)" in code(lab)
    assert "= 8 - 0 + 2 + 0 + 1 = 11" in latex(lab)  # (5-1)*2 - 0 + 1*(3-1) + 0 + 1
    assert metric(lab, "Output") == "1x11x11"
    assert any("contributing here" in c.value.lower() for c in lab.caption)
    change(lab, "number_input", "conv_output_padding", 1)
    assert "output_padding=1" in code(lab) and metric(lab, "Output") == "1x12x12"
    change(lab, "number_input", "conv_output_padding", 2)
    assert len(lab.error) == 1 and "Output padding 2" in lab.error[0].value


def test_other_grids(lab):
    change(lab, "selectbox", "conv_grid_example", "Ramp")
    change(lab, "select_slider", "conv_grid_size", 7)
    assert "7 + 2 \\cdot 0" in latex(lab) and metric(lab, "Output") == "1x5x5"
    # Ramp: cell (0, 0) under the X kernel = 0 + 2 + 2 + 2 + 4 = 10.
    assert cell_line(lab).endswith("= 10 + bias 0 = 10`")


def test_photo_with_groups(lab):
    change(lab, "radio", "conv_source", "Photo")
    assert "nn.Conv2d(3, 1, kernel_size=3" in code(lab)
    assert metric(lab, "Parameters") == "28"  # 1*3*3*3 + 1
    assert not lab.error
    change(lab, "radio", "conv_groups", 2)
    assert len(lab.error) == 1 and "groups=2 must divide the 3 input channels" in lab.error[0].value
    change(lab, "radio", "conv_groups", 3)
    assert "groups=3" in code(lab) and metric(lab, "Parameters") == "30"  # depthwise: 3*1*3*3 + 3
    change(lab, "toggle", "conv_grey", True)
    assert "nn.Conv2d(1, 1" in code(lab) and not lab.error


def open_tab(at: AppTest, title: str) -> AppTest:
    at.session_state[lesson.TAB_KEY] = title
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_one_d_and_one_by_one_sections(lab):
    # Only the open tab runs: the 2-D tab shows none of the 1-D or 1x1 numbers.
    assert not any(c.value.startswith(("y[0]", "out 0")) for c in lab.code)
    open_tab(lab, "1-D convolution")
    assert any(c.value.startswith("y[0] = x[0]*w[0] + x[1]*w[1] + x[2]*w[2]") for c in lab.code)
    assert not any(c.value.startswith("out 0") for c in lab.code)
    change(lab, "slider", "conv1d_dilation", 2)
    assert any("N_out = floor((12 + 2*0 - 2*(3-1) - 1) / 1) + 1 = floor(7 / 1) + 1 = 7 + 1 = 8" in c.value for c in lab.code)
    change(lab, "text_input", "conv1d_signal_text_Step", "1, 2, oops")
    assert any("could not read" in e.value for e in lab.error)
    open_tab(lab, "1x1 convolution")
    assert not lab.error  # the 1-D tab's sentence went with its tab
    assert any("out 0 = 1*R + 1*G + 1*B = 1*9 + 1*2 + 1*0 = 11" in c.value for c in lab.code)
    change(lab, "slider", "conv1x1_row", 4)
    assert any("1*9 + 1*2 + 1*8 = 19" in c.value for c in lab.code)
    assert any("8 parameters" in c.value for c in lab.code)


def test_what_was_typed_in_a_tab_survives_a_visit_to_the_others(lab):
    change(lab, "slider", "conv_stride", 2)
    open_tab(lab, "1-D convolution")
    change(lab, "text_input", "conv1d_signal_text_Step", "1, 2, 3, 4, 5, 6")
    change(lab, "selectbox", "conv1d_kernel", list(lesson.KERNEL_TEXTS)[1])
    kernel_key = f"conv1d_kernel_text_{list(lesson.KERNEL_TEXTS)[1]}"
    change(lab, "text_input", kernel_key, "2, 1")
    open_tab(lab, "1x1 convolution")
    lab.session_state["conv1x1_weights"] = {"edited_rows": {0: {"R": 3}}, "added_rows": [], "deleted_rows": []}
    lab.run()
    assert any("out 0 = 3*R + 1*G + 1*B = 3*9 + 1*2 + 1*0 = 29" in c.value for c in lab.code)
    open_tab(lab, "2-D convolution and pooling")
    assert "stride=2" in code(lab)
    open_tab(lab, "1x1 convolution")  # the editor was dropped while hidden: it starts from its last table
    assert any("out 0 = 3*R + 1*G + 1*B = 3*9 + 1*2 + 1*0 = 29" in c.value for c in lab.code)
    open_tab(lab, "1-D convolution")
    assert lab.text_input(key="conv1d_signal_text_Step").value == "1, 2, 3, 4, 5, 6"
    assert lab.text_input(key=kernel_key).value == "2, 1"
    assert any(c.value.startswith("y[0] = x[0]*w[0] + x[1]*w[1] = 1*2 + 2*1 = 4") for c in lab.code)


def test_a_crafted_weight_table_is_not_kept_for_the_next_visit(lab):
    open_tab(lab, "1x1 convolution")
    lab.session_state["conv1x1_weights"] = {"edited_rows": {0: {"R": 3}}, "added_rows": [], "deleted_rows": []}
    lab.run()
    lab.session_state["conv1x1_weights"] = {"edited_rows": {0: {"R": 3}}, "added_rows": [],
                                            "deleted_rows": [0, 1]}  # no output channel left
    lab.run()
    assert not lab.exception and len(lab.error) == 1
    open_tab(lab, "2-D convolution and pooling")
    open_tab(lab, "1x1 convolution")
    assert not lab.error  # back to the last good table, the student's edit in it
    assert any("out 0 = 3*R + 1*G + 1*B" in c.value for c in lab.code)


@pytest.mark.parametrize(("parameter", "tab"), [("conv1d_dilation", 1), ("conv1x1_row", 2), ("conv_stride", 0)])
def test_a_link_opens_the_tab_its_settings_belong_to(parameter, tab):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.switch_page("pages/conv_lab.py")
    at.query_params[parameter] = "2"
    at.run()
    assert not at.exception
    assert at.session_state[lesson.TAB_KEY] == lesson.TABS[tab]
    shown = {0: "nn.Conv2d(1, 1", 1: "y[0] = x[0]*w[0] + x[2]*w[1]", 2: "out 0 ="}[tab]  # the link's value drawn
    assert any(c.value.startswith(shown) for c in at.code), [c.value for c in at.code]


def test_rows_a_crafted_client_adds_to_the_fixed_size_grid_get_a_sentence_and_the_grid_stays(lab):
    # The grid editor offers no "add row", but Streamlit applies row additions from any client.
    from cnnviz import kernels

    key = f"conv_grid_{kernels.GRID_EXAMPLES[0]}_5"
    output_before = metric(lab, "Output")
    lab.session_state[key] = {"edited_rows": {}, "added_rows": [{str(c): 1 for c in range(5)}] * 2000,
                              "deleted_rows": []}
    lab.run()
    assert not lab.exception
    assert [e.value for e in lab.error] == [
        "The input grid must keep its 5 x 5 cells; it was sent with 2005 rows."]
    assert metric(lab, "Output") == output_before  # the lab went on with the example grid


def test_an_uploaded_photo_is_convolved_and_a_bad_file_gets_a_sentence(lab):
    import io

    from PIL import Image

    change(lab, "radio", "conv_source", "Upload")
    assert "Showing the astronaut until you upload a photo." in [c.value for c in lab.caption]
    assert metric(lab, "Output") == "1x510x510"  # the 512 x 512 astronaut under a 3 x 3 kernel
    wide = io.BytesIO()
    Image.new("RGB", (7, 4), (200, 10, 30)).save(wide, format="PNG")  # 7 wide, 4 tall
    lab.file_uploader(key="conv_upload").set_value(("wide.png", wide.getvalue(), "image/png")).run()
    assert not lab.exception and not lab.error
    assert metric(lab, "Output") == "1x2x5"  # (4 - 3 + 1) rows, (7 - 3 + 1) columns
    assert "Showing the astronaut until you upload a photo." not in [c.value for c in lab.caption]
    lab.file_uploader(key="conv_upload").set_value(("notes.png", b"not a picture", "image/png")).run()
    assert not lab.exception and len(lab.error) == 1
    assert metric(lab, "Output") == "1x510x510"  # back on the astronaut, with the file's sentence


def test_the_widgets_offer_the_lessons_ranges_and_open_on_its_defaults(lab):
    """The page's widgets read the lesson's declared options, ranges and defaults."""
    from cnnviz import conv
    from cnnviz.lessons import conv_lab as lesson

    assert lab.radio(key="conv_source").options == list(lesson.SOURCES)
    assert lab.radio(key="conv_operation").options == list(lesson.OPERATIONS)
    assert lab.selectbox(key="conv_padding").options == list(lesson.PADDINGS)
    assert lab.selectbox(key="conv_padding_mode").options == list(conv.PADDING_MODES)
    for key, bounds in (("conv_stride", lesson.STRIDES), ("conv_dilation", lesson.DILATIONS)):
        assert (lab.slider(key=key).min, lab.slider(key=key).max) == bounds
    for key in ("conv_kh", "conv_kw"):
        assert (lab.number_input(key=key).min, lab.number_input(key=key).max) == lesson.KERNEL_SIDES
    assert (lab.number_input(key="conv_bias").min, lab.number_input(key="conv_bias").max) == lesson.BIASES
    shown = {key: lab.session_state[key] for key in ("conv_source", "conv_operation", "conv_kh", "conv_kw",
                                                     "conv_stride", "conv_padding", "conv_dilation", "conv_bias")}
    assert shown == {key: getattr(lesson.DEFAULT, key) for key in shown}
    change(lab, "radio", "conv_operation", "Transposed convolution")
    assert (lab.number_input(key="conv_output_padding").min,
            lab.number_input(key="conv_output_padding").max) == lesson.OUTPUT_PADDINGS
    change(lab, "radio", "conv_source", "Photo")
    assert lab.radio(key="conv_groups").options == [str(g) for g in lesson.GROUPS]
    assert lab.selectbox(key="conv_photo").value == lesson.DEFAULT.conv_photo


@pytest.mark.browser
def test_the_photo_player_and_the_1x1_tab_read_on_a_projector(dashboard, chromium):
    """On a photo after a Step, and on the 1x1 tab, at 1280x720 and 1024x768, normal and presentation
    mode: no clipped button or formula, no title outside its chart, no overlapping
    ticks, as the projector walk reads them; and a Step sends far less than the two photos (~270 KB)."""
    from browser import wait_until_idle
    from test_projector_walk import _PROBLEMS_JS

    found = []
    for mode in ("", "?present=true"):
        page = chromium.new_page(viewport={"width": 1280, "height": 720})
        received = []
        page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: received.append(len(frame))))
        page.goto(f"{dashboard.url}/convolution{mode}")
        wait_until_idle(page)
        page.get_by_text("Photo", exact=True).first.click()
        wait_until_idle(page)
        received.clear()
        page.get_by_role("button", name="Step").click()
        wait_until_idle(page)
        assert 0 < sum(received) < 80_000, sum(received)  # the whole photos travel as cached references
        for tab in ("2-D convolution and pooling", "1x1 convolution"):
            page.get_by_role("tab", name=tab).click()
            for width, height in ((1280, 720), (1024, 768)):
                page.set_viewport_size({"width": width, "height": height})
                page.wait_for_timeout(1200)  # Plotly's resize is debounced
                if tab.startswith("2-D"):  # the layer beside its pictures; at 1024 px the pictures above it
                    layer, pictures = (page.get_by_role("heading", name=name, exact=True).bounding_box()
                                       for name in ("Layer", "Step by step"))
                    beside = abs(layer["y"] - pictures["y"]) < 2 and layer["x"] < pictures["x"]
                    assert beside if width == 1280 else pictures["y"] + pictures["height"] < layer["y"], (mode, width)
                found += [f"{mode or 'normal'} {width} {tab}: {p['kind']}: {p['text']}"
                          for p in page.evaluate(_PROBLEMS_JS) if not p["kind"].startswith("first screen")]
        page.close()
    assert not found, "\n".join(found)


def test_the_first_row_is_the_layer_beside_its_pictures(lab):
    # A projector's first screen: the layer's settings beside the step-by-step pictures, then the
    # input and kernel editors, then the arithmetic.
    def columns_with(kind: str, key: str):
        return [c for c in lab.columns if [e for e in c.get(kind) if key in (getattr(e, "key", None) or e.proto.id)]]

    settings = columns_with("slider", "conv_stride")
    pictures = [c for c in columns_with("plotly_chart", "conv_input_chart") if c.weight > 0.5]  # not the inner one
    assert len(settings) == len(pictures) == 1
    assert (settings[0].weight, pictures[0].weight) == pytest.approx((1 / 3.2, 2.2 / 3.2))
    order = [h.value for h in lab.subheader]
    assert order[:4] == ["Layer", "Step by step", "Input", "Kernel"] and "Arithmetic" in order[4:]
    change(lab, "slider", "conv_stride", 2)
    change(lab, "selectbox", "conv_padding", "same")
    picture_column = next(c for c in lab.columns if [h for h in c.subheader if h.value == "Step by step"])
    assert [e.value for e in picture_column.error] == [e.value for e in lab.error] != []  # where the pictures were


def test_arithmetic_shows_the_parameters_and_same_padding_in_the_lab_numbers(lab):
    """The classic grid: 1*1*3*3 + 1 = 10 and P = (3-1)/2 = 1; an RGB photo with F=5: the 76 example."""
    assert "= 1 \\cdot 1 \\cdot 3 \\cdot 3 + 1 = 10" in latex(lab)
    assert "P = \\frac{F-1}{2} = \\frac{3-1}{2} = 1" in latex(lab)
    assert any("choose P = 1 (or 'same')" in m.value for m in lab.markdown)
    change(lab, "radio", "conv_source", "Photo")
    change(lab, "number_input", "conv_kh", 5)
    change(lab, "number_input", "conv_kw", 5)
    assert "= 1 \\cdot 3 \\cdot 5 \\cdot 5 + 1 = 76" in latex(lab) and metric(lab, "Parameters") == "76"
    assert any("At 5x5: its 3x3 values in the middle" in c.value for c in lab.caption)  # Sobel x at 5x5


def test_worked_sizes_reach_the_textbook_examples_and_any_side(lab):
    """LeNet's 28 -> 28 -> 14 and AlexNet's 227 -> 55 one choice away; the side is any number."""
    def shapes() -> str:
        return next(m.value for m in lab.markdown if m.value.startswith("**Shapes"))

    assert shapes().endswith("1x5x5 → 1x3x3")  # your layer, on the lab's own 5-wide input
    change(lab, "selectbox", "conv_sizes_layers", "LeNet-5: C1, then a 2x2 pool")
    assert lab.number_input(key="conv_sizes_side").value == 28
    assert shapes().endswith("1x28x28 → 6x28x28 → 6x14x14")
    assert "= 6 \\cdot 1 \\cdot 5 \\cdot 5 + 6 = 156" in latex(lab)
    change(lab, "selectbox", "conv_sizes_layers", "AlexNet: conv1")
    assert shapes().endswith("3x227x227 → 96x55x55") and "= 54 + 1 = 55" in latex(lab)
    change(lab, "number_input", "conv_sizes_side", 9)  # too small for an 11x11 kernel: one sentence
    assert not lab.error and "has no output on 3x9x9" in lab.warning[-1].value
    change(lab, "selectbox", "conv_sizes_layers", lesson.YOUR_LAYER)
    assert lab.number_input(key="conv_sizes_side").value == 5 and not lab.warning
    change(lab, "radio", "conv_source", "Photo")  # a new input: your layer follows it
    assert lab.number_input(key="conv_sizes_side").value == 512 and shapes().endswith("3x512x512 → 1x510x510")


def test_several_kernels_give_as_many_maps_with_the_weight_tensor_and_its_count(lab):
    """C_out kernels on the lab's input: the tensor C_out x C_in x F x F, one map each, the count."""
    def maps(at) -> list[str]:
        return [image.proto.imgs[0].caption for image in at.get("image") if image.proto.imgs[0].caption.startswith("map ")]

    bank = lab.multiselect(key=lesson.bank_key(1))  # the grid: one grey channel
    assert bank.options == lesson.kernel_choices(1) and bank.value == lesson.default_kernels(1)
    assert "nn.Conv2d(1, 4, kernel_size=3, stride=1, padding=0)" in code(lab)
    assert r"W:\ 4 \times 1 \times 3 \times 3\,, \qquad \text{output}:\ 4 \times 3 \times 3" in latex(lab)
    assert "4 \\cdot 1 \\cdot 3 \\cdot 3 + 4 = 40" in latex(lab)
    assert [caption.split(",")[0] for caption in maps(lab)] == [f"map {k}: {name}" for k, name in
                                                                 enumerate(lesson.default_kernels(1))]
    assert "map 0: Sobel x, " in maps(lab)[0]
    assert any(lesson.SUM_FORMULA in element.value for element in lab.latex)

    change(lab, "radio", "conv_source", "Photo")  # colour: its own menu, with the colour kernels
    change(lab, "selectbox", "conv_padding", "1")
    bank = lab.multiselect(key=lesson.bank_key(3))
    assert bank.options == lesson.kernel_choices(3) and bank.value == lesson.default_kernels(3)
    assert "4 \\cdot 3 \\cdot 3 \\cdot 3 + 4 = 112" in latex(lab)
    assert r"\text{output}:\ 4 \times 512 \times 512" in latex(lab)
    change(lab, "multiselect", lesson.bank_key(3), ["Only red", "Only green", "Only blue", "Sobel x", "Sobel y", "Emboss"])
    assert len(maps(lab)) == 6 and maps(lab)[2].startswith("map 2: Only blue, ")
    assert "nn.Conv2d(3, 6, kernel_size=3, stride=1, padding=1)" in code(lab)

    change(lab, "radio", "conv_operation", "Max pooling")  # no weights: one sentence instead
    assert not maps(lab)
    assert any("choose **Convolution**" in info.value for info in lab.info)


def test_im2col_shows_x_col_w_row_and_their_product_on_the_grid(lab):
    """The classic 5x5 grid: X_col 9 x 9, W_row 1 x 9, their product the 1 x 3 x 3 output."""
    assert any(expander.label == lesson.IM2COL_TITLE for expander in lab.expander)
    assert r"= 9 \times 9" in latex(lab) and r"W_{\mathrm{row}}:\ C_{\mathrm{out}}" in latex(lab)
    section = next(expander for expander in lab.expander if expander.label == lesson.IM2COL_TITLE)
    x_col, w_row, product = (frame.value for frame in section.dataframe)
    assert x_col.shape == (9, 9) and w_row.shape == (1, 9)
    assert product.to_numpy().ravel().tolist() == [4, 3, 4, 2, 4, 3, 2, 3, 4]  # the worked example's output
    change(lab, "radio", "conv_operation", "Max pooling")  # no weights: no section
    assert not any(expander.label == lesson.IM2COL_TITLE for expander in lab.expander)
