"""What the Inside page says whatever the view: the introduction, the first thing to try, the
sentence when no trained model exists, the views' names; and Quote, the type of the function that
shows a checkpoint's class name as plain text in markup (a checkpoint is a file anyone can upload)."""

from __future__ import annotations

from collections.abc import Callable

Quote = Callable[[str], str]

INTRO = (
    "A trained network is a stack of layers, each turning the previous layer's feature maps into new "
    "ones: a convolution layer computes $a^{(l)} = \\mathrm{ReLU}(W^{(l)} * a^{(l-1)} + b^{(l)})$, and "
    "the last layer's logits $z$ become probabilities with the softmax, $p_k = e^{z_k} / \\sum_j e^{z_j}$; "
    "the prediction is the class with the largest $p_k$. Open a network on your own image: every "
    "layer's activations, its learned kernels, its predictions, what it looked at (Grad-CAM weighs "
    "the last feature maps by the gradient of the class score), and its confusion matrix."
)
TRY_THIS = (
    "**Try this first:** keep the shipped LeNet-5 and a test image, step through the layers from "
    "the first convolution to the logits (early maps are edges, late ones are blobs), then open "
    "*Attribution* with Grad-CAM, and finally the *Confusion matrix*: click the largest off-diagonal "
    "cell to see which shirts it calls T-shirts."
)
NO_TRAINED_MODEL = (
    "No trained model is available yet: train one on the Training page (a LeNet-5 on "
    "Fashion-MNIST takes a minute), or upload a checkpoint on the Home page. Meanwhile you "
    "can open an untrained network from the zoo below: its layers and kernels show the "
    "architecture, but its predictions mean nothing."
)

# The View menu.
VIEWS = ("Layer outputs", "Kernels", "Attribution", "Confusion matrix", "Distribution shift", "Embeddings")
