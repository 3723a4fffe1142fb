"""What the Receptive fields page says above its tabs: the introduction, the recurrence, its
notation, the first thing to try, the tabs' titles; and the prefix of the page's URL parameters."""

from __future__ import annotations

from cnnviz.lessons import tabs

PARAMETER_PREFIX = "rf_"  # a Settings field "layer" is the page's widget key and URL parameter "rf_layer"

INTRO = (
    "A unit deep inside a CNN computes from a patch of the input image only: its **receptive field**. "
    "Each convolution or pooling layer widens that patch by its kernel, measured in the steps of the "
    "layer before, and each stride makes the following steps longer. Per layer, with kernel $k$, stride "
    "$s$, padding $p$ and dilation $d$ ($k_{eff} = d(k-1)+1$):"
)
RECURRENCE = (
    r"r_{out} = r_{in} + (k_{eff} - 1)\,j_{in} \qquad j_{out} = j_{in}\, s \qquad "
    r"\text{start}_{out} = \text{start}_{in} - p\, j_{in}"
)
NOTATION = (
    "$r$ is the field size, $j$ the jump (effective stride) in input pixels. Unit $i$ sees input rows "
    "$-P + i\\,j \\;\\dots\\; -P + i\\,j + r - 1$, where $P$ = -start is the effective padding. Where paths "
    "meet (a residual add, an Inception concatenation) the field is the union of the paths' fields. The "
    "**effective** field (Luo et al., 2016) is the gradient of the unit with respect to each pixel: "
    "it is far smaller than the theoretical box."
)
TRY_THIS = (
    "**Try this first:** keep ResNet-18 and the cat, pick an early layer (net.layer1.0.conv1), then a "
    "late one (net.layer4.1 (add)), and watch the blue box grow from a patch to more than the whole "
    "picture. Click any square of the unit grid to move the unit."
)
EXPLANATION_TITLE = "How a receptive field grows, layer by layer (the recurrence)"
TABS = ("Field on your image", "Small kernels, stacked", "Build a stack", "Count the networks")
TAB_KEY = "rf_tab"  # the open tab's URL parameter; only the open tab is computed
# Which tab a setting belongs to, by its URL parameter's prefix (the Field tab takes the rest).
TAB_PREFIXES = {"rf_lesson_": TABS[1], "rf_builder_": TABS[2], "rf_count_": TABS[3]}


def tab_for_link(parameters) -> str:
    """The tab a link's settings belong to: the first parameter of another tab's than the Field tab decides."""
    return tabs.tab_for_link(parameters, TAB_PREFIXES, TABS[0])
