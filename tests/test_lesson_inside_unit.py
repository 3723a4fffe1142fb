"""The Layer outputs view's "How one unit was computed": what it shows of a convolution's, a
pooling's and a linear unit's explanation, and which unit it explains."""

import pytest
import torch
from torch import nn

from cnnviz.lessons import inside as lesson
from cnnviz.unit_explanation import explain_unit


class SixChannels(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(6, 2, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(2 * 2 * 2, 3)

    def forward(self, x):
        return self.fc(self.flat(self.pool(self.conv(x))))


MODEL, IMAGE = SixChannels().eval(), torch.rand(6, 4, 4, generator=torch.Generator().manual_seed(1))


def test_a_convolution_unit_shows_its_strongest_channels_and_every_channels_share():
    explained = explain_unit(MODEL, IMAGE, "conv", (1, 2, 3))
    view = lesson.unit_view(explained)
    assert view.heading == "Conv2d conv, channel 1, row 2, column 3"
    assert view.agreement == (f"By hand: **{explained.value:.6g}**. The network computed "
                              f"**{explained.network_value:.6g}**: the same.")
    strongest = [channel for channel, _ in explained.channel_sums[:lesson.SHOWN_CHANNELS]]
    assert view.window_names == tuple(f"k = {c}" for c in strongest) and len(strongest) == 4
    assert view.window.shape == view.kernel.shape == view.products.shape == (4, 3, 3)
    assert (view.products == view.window * view.kernel).all()
    assert view.window_caption.startswith("The 4 input channels k (of 6) whose products add up to the most")
    sums = [row["Sum of its products"] for row in view.table]
    assert len(view.table) == 6 and sums == sorted(sums, key=abs, reverse=True)
    assert sum(sums) + float(MODEL.conv.bias[1]) == pytest.approx(explained.network_value, abs=1e-5)


def test_a_pooling_unit_shows_its_window_and_a_linear_unit_its_strongest_inputs():
    pooled = lesson.unit_view(explain_unit(MODEL, IMAGE, "pool", (0, 1, 0)))
    assert pooled.window.shape == (1, 2, 2) and pooled.kernel is None and pooled.table == ()
    linear = explain_unit(MODEL, IMAGE, "fc", (2,))
    view = lesson.unit_view(linear)
    assert view.heading == "Linear fc, value 2" and view.window is None
    assert [row["Input"] for row in view.table] == [c[0] for c in linear.contributions] and len(view.table) == 8
    assert view.table_caption == "The 8 inputs with the largest products x · w."


def test_the_unit_explained_starts_at_the_centre_and_stays_inside_the_map():
    assert lesson.centre_unit((16, 10, 10)) == (5, 5)
    assert lesson.chosen_unit(99, -3, (10, 12)) == (9, 0)
    assert lesson.chosen_unit(4, 7, (10, 12)) == (4, 7)


def test_a_convolution_or_pooling_unit_links_to_the_lab_with_its_settings_and_others_do_not():
    assert lesson.conv_lab_link(explain_unit(MODEL, IMAGE, "conv", (0, 0, 0))) == {
        "conv_source": "Numeric grid", "conv_operation": "Convolution", "conv_kh": "3", "conv_kw": "3",
        "conv_stride": "1", "conv_padding": "1", "conv_dilation": "1"}
    assert lesson.conv_lab_link(explain_unit(MODEL, IMAGE, "pool", (0, 0, 0)))["conv_operation"] == "Max pooling"
    assert lesson.conv_lab_link(explain_unit(MODEL, IMAGE, "fc", (0,))) is None
    wide = nn.Sequential(nn.Conv2d(1, 1, 3, stride=(1, 2))).eval()  # rows and columns differ: not in the lab
    assert lesson.conv_lab_link(explain_unit(wide, torch.rand(1, 8, 8), "0", (0, 0, 0))) is None


def test_the_lab_opens_a_units_link_on_its_settings_without_a_note(app_test):
    link = lesson.conv_lab_link(explain_unit(MODEL, IMAGE, "pool", (0, 0, 0)))
    app_test.switch_page("pages/conv_lab.py")
    for key, value in link.items():
        app_test.query_params[key] = value
    at = app_test.run()
    assert not at.exception
    notes = [e.value for e in [*at.warning, *at.info, *at.error]]
    assert not any("link" in note for note in notes), notes  # every setting taken, none refused
    assert at.radio(key="conv_operation").value == "Max pooling"
    assert (at.session_state["conv_kh"], at.session_state["conv_stride"], at.session_state["conv_padding"]) == (2, 2, "0")
