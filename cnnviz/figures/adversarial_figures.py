"""Figures for the Adversarial lab: the attack side by side, probabilities, accuracy curves.

Plain functions from numpy arrays to plotly figures (and PNG bytes), so tests check them without
a server and without torch. Images come in as (C, H, W) floats in [0, 1], as the models see them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.figures.style import FONT as _FONT, plain

BEFORE_COLOUR = "#1f77b4"
AFTER_COLOUR = "#d62728"
FOOLED_COLOUR = "#d62728"
HELD_COLOUR = "#2ca02c"
MODEL_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd")
METHOD_DASHES = {"fgsm": "solid", "pgd": "dash"}
REFERENCE_LABEL = "PyTorch FGSM tutorial (MNIST LeNet)"


def _to_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """(C, H, W) in [0, 1], C = 1 or 3 -> (H, W, 3) uint8, rounded to the nearest 8-bit step."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 3 or image.shape[0] not in (1, 3):
        raise ValueError(f"Expected an image of shape (C, H, W) with C = 1 or 3, not {image.shape}.")
    pixels = np.rint(np.clip(image, 0, 1) * 255).astype(np.uint8)
    pixels = np.repeat(pixels, 3, axis=0) if pixels.shape[0] == 1 else pixels
    return np.ascontiguousarray(pixels.transpose(1, 2, 0))  # (3, H, W) -> (H, W, 3)


def amplify_perturbation(perturbation: np.ndarray, eps: float) -> tuple[np.ndarray, float]:
    """Make a change of at most eps visible: 0.5 + scale * delta, with scale = 0.5 / eps.

    A pixel that did not change is mid-grey; +eps is white and -eps is black. A perturbation of
    0.01 would otherwise be invisible, which is the point of the attack, but not of the lesson.

    Args:
        perturbation: (C, H, W) adversarial - original, values in [-eps, eps].
        eps: the attack's L-infinity budget, >= 0 (0 gives scale 1: an all-grey picture).

    Returns:
        (picture (C, H, W) in [0, 1], scale), e.g. scale 5.0 for eps 0.1.
    """
    scale = 0.5 / eps if eps > 0 else 1.0
    return np.clip(0.5 + scale * np.asarray(perturbation, dtype=np.float64), 0, 1), scale


def png_bytes(image: np.ndarray) -> bytes:
    """(C, H, W) in [0, 1] -> PNG file bytes (8-bit grayscale or RGB), for a download button.

    8 bits round each pixel to the nearest 1/255, so a change smaller than half a step is lost.
    """
    from PIL import Image

    pixels = _to_rgb_uint8(image)
    picture = Image.fromarray(pixels[:, :, 0], mode="L") if np.shape(image)[0] == 1 else Image.fromarray(pixels)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _image_axes(figure: go.Figure) -> None:
    """Pixels square, no ticks: pictures, not plots. Each y axis is tied to its own x axis
    (yaxis3 to x3), so every panel of a grid keeps square pixels."""
    hidden = {"showticklabels": False, "showgrid": False, "zeroline": False, "ticks": "", "constrain": "domain"}
    figure.update_xaxes(**hidden)
    figure.for_each_yaxis(lambda axis: axis.update(scaleanchor="x" + axis.plotly_name[len("yaxis"):], **hidden))


def attack_figure(
    original: np.ndarray,
    adversarial: np.ndarray,
    eps: float,
    *,
    original_caption: str = "",
    adversarial_caption: str = "",
) -> go.Figure:
    """Original, amplified perturbation and adversarial image, side by side.

    Args:
        original, adversarial: (C, H, W) in [0, 1].
        eps: the budget, which sets the amplification (see ``amplify_perturbation``).
        original_caption, adversarial_caption: e.g. "Coat, 97%", shown under the panel titles.

    Returns:
        A 1 x 3 plotly figure; the middle panel's title states the amplification.
    """
    perturbation = np.asarray(adversarial, dtype=np.float64) - np.asarray(original, dtype=np.float64)
    amplified, scale = amplify_perturbation(perturbation, eps)
    # Short lines: each title has a third of a projector's column, and longer lines ran into
    # their neighbours ("T-shirt/top, 98%" into "grey = 0, white = ...").
    def lines(caption: str) -> str:
        return "<br>".join(plain(part) for part in caption.split(", ") if part)

    titles = (
        f"Original<br>{lines(original_caption)}",
        f"Change x {scale:.3g}<br>grey: unchanged<br>white: +{eps:.3g}<br>black: -{eps:.3g}",
        f"Adversarial<br>{lines(adversarial_caption)}",
    )
    figure = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.04)
    for col, picture in enumerate((original, amplified, adversarial), start=1):
        figure.add_trace(go.Image(z=_to_rgb_uint8(picture), hoverinfo="skip"), row=1, col=col)
    _image_axes(figure)
    # The square pictures are narrower than their panels are tall: kept under their titles (they sat
    # ~130 px below them on a projector), the spare height goes below.
    figure.update_yaxes(constraintoward="top")
    figure.update_layout(height=380, margin={"l": 10, "r": 10, "t": 140, "b": 10}, font=_FONT)
    figure.update_annotations(font={"size": 15})
    return figure


def probability_change_figure(
    before: Sequence[float],
    after: Sequence[float],
    classes: Sequence[str],
    *,
    label: int | None = None,
    target: int | None = None,
) -> go.Figure:
    """Softmax probabilities before and after the attack, as grouped horizontal bars.

    Args:
        before, after: (K,) probabilities in [0, 1].
        classes: K class names.
        label: the true (or attacked) class, marked "(true)" in its name.
        target: the target class of a targeted attack, marked "(target)".
    """
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    if not len(before) == len(after) == len(classes):
        raise ValueError("Give one probability before and after for every class.")
    names = []
    for k, name in enumerate(classes):
        marks = [word for word, index in (("true", label), ("target", target)) if index == k]
        names.append(f"{plain(name)} ({', '.join(marks)})" if marks else plain(name))
    figure = go.Figure()
    for values, title, colour in ((before, "before the attack", BEFORE_COLOUR), (after, "after the attack", AFTER_COLOUR)):
        figure.add_trace(go.Bar(
            y=names, x=values * 100, name=title, orientation="h", marker_color=colour,
            text=[f"{v:.1%}" for v in values], textposition="outside",
            hovertemplate="%{y}: %{x:.1f}%<extra>" + title + "</extra>",
        ))
    figure.update_layout(
        barmode="group", height=max(320, 44 * len(classes)), font=_FONT,
        margin={"l": 10, "r": 30, "t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.06, "x": 0},
        xaxis={"title": "probability (%)", "range": [0, 125], "tickvals": [0, 20, 40, 60, 80, 100]},
        yaxis={"autorange": "reversed"},
    )
    return figure


@dataclass(frozen=True)
class AccuracyCurve:
    """One model's accuracy under one attack, for ``accuracy_curves_figure``.

    Attributes:
        model: the model's name in the legend.
        method: "fgsm" or "pgd" (sets the line's dash).
        epsilons: (E,) budgets in [0, 1].
        accuracy: (E,) accuracies in [0, 1].
        num_images: how many test images each point was measured on.
    """

    model: str
    method: str
    epsilons: Sequence[float]
    accuracy: Sequence[float]
    num_images: int = 0


def accuracy_curves_figure(
    curves: Sequence[AccuracyCurve],
    reference: Sequence[tuple[float, float]] | None = None,
) -> go.Figure:
    """Accuracy against epsilon: one colour per model, solid for FGSM, dashed for PGD.

    Args:
        curves: the measured curves.
        reference: optional (eps, accuracy) points drawn dotted in grey for comparison, e.g.
            cnnviz.adversarial.TUTORIAL_FGSM_CURVE.

    Returns:
        A plotly figure, accuracy in percent (0-100) against eps, hover showing eps also in /255.
    """
    figure = go.Figure()
    models = list(dict.fromkeys(curve.model for curve in curves))
    for curve in curves:
        colour = MODEL_COLOURS[models.index(curve.model) % len(MODEL_COLOURS)]
        eps = np.asarray(curve.epsilons, dtype=float)
        images = f", {curve.num_images:,} images" if curve.num_images else ""
        figure.add_trace(go.Scatter(
            x=eps, y=np.asarray(curve.accuracy, dtype=float) * 100, mode="lines+markers",
            name=f"{plain(curve.model)}: {curve.method.upper()}{images}",
            line={"color": colour, "dash": METHOD_DASHES.get(curve.method, "dot"), "width": 3},
            marker={"size": 9}, customdata=eps * 255,
            hovertemplate="eps %{x:.3f} (%{customdata:.1f}/255): %{y:.1f}%<extra></extra>",
        ))
    if reference:
        eps, acc = (np.asarray(column, dtype=float) for column in zip(*reference))
        figure.add_trace(go.Scatter(
            x=eps, y=acc * 100, mode="lines+markers", name=REFERENCE_LABEL,
            line={"color": "grey", "dash": "dot", "width": 2}, marker={"size": 7, "symbol": "x"},
            customdata=eps * 255,
            hovertemplate="eps %{x:.3f} (%{customdata:.1f}/255): %{y:.1f}%<extra>tutorial</extra>",
        ))
    figure.update_layout(
        height=440, font=_FONT, margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"title": "epsilon (largest change of any pixel, in [0, 1])", "rangemode": "tozero"},
        yaxis={"title": "test accuracy under attack (%)", "range": [0, 102]},
        legend={"orientation": "h", "y": -0.2, "x": 0},
    )
    return figure


def sweep_examples_figure(
    epsilons: Sequence[float],
    images: np.ndarray,
    predictions: np.ndarray,
    confidences: np.ndarray,
    labels: Sequence[int],
    classes: Sequence[str],
) -> go.Figure:
    """The same few test images under each epsilon: a row per epsilon, a column per image.

    Each panel is titled "prediction (confidence)", red when the attack fooled the model, green
    when the prediction held; each row's epsilon is written at its right end.

    Args:
        epsilons: (E,) budgets.
        images: (E, K, C, H, W) adversarial images in [0, 1].
        predictions: (E, K) predicted classes.
        confidences: (E, K) probabilities of those predictions.
        labels: (K,) true classes.
        classes: class names.
    """
    images = np.asarray(images)
    num_eps, count = images.shape[:2]
    if count == 0:
        figure = go.Figure()
        figure.add_annotation(text="No correctly classified image to show.", showarrow=False)
        return figure
    titles = []
    for k in range(num_eps):
        for j in range(count):
            fooled = int(predictions[k][j]) != int(labels[j])
            colour = FOOLED_COLOUR if fooled else HELD_COLOUR
            titles.append(
                f"<span style='color:{colour}'>{plain(classes[int(predictions[k][j])])} "
                f"({float(confidences[k][j]):.0%})</span>"
            )
    figure = make_subplots(
        rows=num_eps, cols=count, subplot_titles=titles,
        horizontal_spacing=0.01, vertical_spacing=0.3 / num_eps,
        row_titles=[f"eps {eps:.3g}" for eps in epsilons],
    )
    for k in range(num_eps):
        for j in range(count):
            figure.add_trace(go.Image(z=_to_rgb_uint8(images[k, j]), hoverinfo="skip"), row=k + 1, col=j + 1)
    _image_axes(figure)
    true_names = ", ".join(plain(classes[int(label)]) for label in labels)
    figure.update_layout(
        height=140 * num_eps + 60, font={"size": 13}, margin={"l": 10, "r": 60, "t": 50, "b": 10},
        title={"text": f"True classes, left to right: {true_names}", "font": {"size": 14}},
    )
    figure.update_annotations(font={"size": 12})
    return figure
