"""What the Convolution lab says: the 2-D tab's introduction, formula and hints, the
upload's label and note, and the 1-D and 1x1 tabs' introductions and the tabs' titles. Sentences built from the
student's numbers live with the computation that fills them in."""

from __future__ import annotations

from cnnviz.lessons import tabs

TABS = ("2-D convolution and pooling", "1-D convolution", "1x1 convolution")
TAB_KEY = "conv_tab"  # the open tab's URL parameter; only the open tab is computed
# Which tab a setting belongs to, by its URL parameter's prefix (the 2-D tab takes the rest).
TAB_PREFIXES = {"conv1d_": TABS[1], "conv1x1_": TABS[2]}


def tab_for_link(parameters) -> str:
    """The tab a link's settings belong to: the first parameter of the 1-D or 1x1 tab decides."""
    return tabs.tab_for_link(parameters, TAB_PREFIXES, TABS[0])

INTRO = (
    "A **kernel** (a small grid of weights) slides over the input. At every position, multiply the "
    "kernel by the input window under it, **add up the products and the bias**: that is one output "
    "cell. Stride, padding and dilation decide where the window goes, and so how big the output is:"
)
# Two formulas, the long one on two lines, so neither runs off a projector's 1024 px screen.
FORMULA = (
    r"y[i,j] = \sum_{c}\sum_{a,b} x[c,\; iS + aD,\; jS + bD]\; w[c,a,b] \\"
    r"+\; \text{bias}"
)
SIZE_FORMULA = r"W_{\mathrm{out}} = \left\lfloor \frac{W_{\mathrm{in}} + 2P - D(F-1) - 1}{S} \right\rfloor + 1"
INTRO_LABEL = "How a convolution computes each output cell"
TRY_FIRST = (
    "**Try first:** keep the classic 5x5 grid and its X kernel and press *step*: check 4, 3, 4 by "
    "hand. Then pick a photo with *Sobel x* (vertical edges light up), set stride 2 with padding "
    "'same' (read why it fails), and try dilation 2 (the taps spread out)."
)
EDIT_GRID = "Edit any cell; the output follows."
UPLOAD_LABEL = "A photo (JPEG, PNG, WebP, ...)"
UPLOAD_WAITING = "Showing the astronaut until you upload a photo."
POOLING_HAS_NO_WEIGHTS = "Pooling has no weights: it takes the max or the mean of each window, per channel."
FLIP_HELP = ("Deep-learning layers compute cross-correlation: no flip. Textbook convolution "
             "y[n] = sum_m x[n-m] w[m] flips the kernel; symmetric kernels do not notice.")
INSIDE_UNIT_LABEL = "The same sum in a trained network's own layer: Inside a network, How one unit was computed"
PICTURES_NOTE = ("Dashed outline: the input inside its padding. Amber: the window (on a photo, the zoom's tile). "
                 "Click the output to jump to a cell.")
SCRUB_HELP = "Output cells in reading order: row by row, left to right."
ONE_D_INTRO = (
    "The same sliding window on a line: $y[n] = \\sum_{m=0}^{K-1} x[nS + mD]\\, w[m]$. "
    "Deep learning computes this **cross-correlation**; textbook **convolution** flips the kernel, "
    "$y[n] = \\sum_m x[n-m]\\, w[m]$."
)
POINTWISE_INTRO = (
    "A **1x1 convolution** looks at one pixel at a time and mixes its channels: every output channel "
    "is a weighted sum of the input channels at the same pixel. It is a fully connected layer "
    "applied at every pixel, and the cheap way to change the number of channels."
)
POINTWISE_WEIGHTS_NOTE = "Weights: one row per output channel, one column per input channel."
SAME_PADDING_TITLE = "'same' padding"
WORKED_SIZES_TITLE = "Worked sizes"
WORKED_SIZES_INTRO = ("The size formula on an input of any side, through a textbook chain of layers or your own "
                      "layer: each layer's W_out and parameters in numbers, and the shape it hands on.")
NO_LAYER_TO_SIZE = "Your layer's settings above build no layer; pick a textbook chain instead."
