"""The Attribution view: the class to explain, the overlay's title, and what each method computes."""

from __future__ import annotations

from collections.abc import Sequence

from cnnviz.attribution import METHOD_TITLES

PREDICTED_CLASS = "the predicted class"  # the attribution target that follows the prediction
OPACITY = (0.0, 1.0, 0.7)  # overlay opacity: lowest, highest, first value
NO_GRADCAM_LAYER = "Grad-CAM needs a convolution layer whose output is larger than 1 x 1."
GRADCAM_LAYER_HELP = ("The last convolution is the usual choice: deep enough to know the class, "
                      "still with a map of where.")
METHOD_EXPLANATIONS = {
    "gradcam": "Grad-CAM weights each channel of the chosen layer by how much the class score "
               "rises with it (the mean gradient), adds the channels up and keeps the positive part: "
               "a coarse map of where the evidence for the class is.",
    "saliency": "Saliency is |d score / d pixel|: the pixels whose change would move the class "
                "score fastest. Sharp but noisy.",
    "integrated_gradients": "Integrated gradients average the gradient along the path from a black "
                            "image to this one; the contributions add up to score(image) - "
                            "score(black). Bright = pushes the score up.",
    "occlusion": "Occlusion hides one patch at a time behind black and records how much the class "
                 "score drops: no gradients, only forward passes.",
}
CAPTUM = " Computed with captum."


def attribution_targets(classes: Sequence[str]) -> list[str]:
    """The "explain the class" menu: the predicted class, then every class."""
    return [PREDICTED_CLASS, *classes]


def attribution_target(choice: str, classes: Sequence[str]) -> int | None:
    """The class to explain for a menu entry: None follows the prediction."""
    return None if choice == PREDICTED_CLASS else list(classes).index(choice)


def attribution_title(method: str, target_name: str, layer: str | None) -> str:
    """"Grad-CAM for 'Bag' at features.c3": the overlay's title (a plain figure title)."""
    return f"{METHOD_TITLES[method]} for '{target_name}'" + (f" at {layer}" if layer else "")


def method_caption(method: str) -> str:
    return METHOD_EXPLANATIONS[method] + CAPTUM
