"""Feature visualization: pictures made by the network's own gradients.

Three questions, one loop (``ascent.ascend``: Adam on the pixels of a batch of pictures, in the
[0, 1] pixel range every cnnviz model takes):

    maximise   which input makes a class score, or a channel's mean, as large as it can be?
    dream      what does a layer see in *this* photo? (DeepDream: make its activations larger)
    invert     which input has the same features at one layer as this image? (what a depth keeps)

Gradient ascent alone finds high-frequency noise that the network scores highly and nobody can
read; ``regularisers`` holds the priors that make the pictures readable: jitter (a random shift
before each step, so no single pixel pattern is rewarded), an L2 pull towards the dataset's mean
grey, a Gaussian blur every few steps, and total variation (neighbouring pixels alike).

Each module holds one idea:

    regularisers  the Regularisation settings, and jitter, blur, L2 and total variation
    taps          one forward pass that keeps chosen layers' outputs with their gradients
    ascent        the loop, with progress reports and a stop check between steps
    objectives    what is maximised: class scores, channel means, a layer's energy, feature match
"""

from cnnviz.feature_vis.ascent import Ascent, ascend
from cnnviz.feature_vis.objectives import (
    FeatureVisError,
    deep_dream,
    invert,
    maximise_channels,
    maximise_classes,
)
from cnnviz.feature_vis.regularisers import Regularisation
from cnnviz.feature_vis.taps import LOGITS, layer_kinds

__all__ = [
    "LOGITS",
    "Ascent",
    "FeatureVisError",
    "Regularisation",
    "ascend",
    "deep_dream",
    "invert",
    "maximise_channels",
    "maximise_classes",
    "layer_kinds",
]
