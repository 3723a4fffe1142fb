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
