"""cnnviz.figures.adversarial_figures: the pictures and curves show exactly the numbers given."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cnnviz.figures import adversarial_figures as figs


def _rng_image(channels=1, size=5, seed=0):
    return np.random.default_rng(seed).random((channels, size, size))


def test_amplified_perturbation_maps_minus_eps_zero_plus_eps_to_black_grey_white():
    delta = np.array([[[-0.1, 0.0, 0.1, 0.05]]])
    picture, scale = figs.amplify_perturbation(delta, 0.1)
    assert scale == pytest.approx(5.0)
    np.testing.assert_allclose(picture, [[[0.0, 0.5, 1.0, 0.75]]])
    still, scale_zero = figs.amplify_perturbation(np.zeros((1, 2, 2)), 0.0)
    assert scale_zero == 1.0 and np.all(still == 0.5)


@pytest.mark.parametrize("channels, mode", [(1, "L"), (3, "RGB")])
def test_png_bytes_decode_to_the_image_rounded_to_8_bits(channels, mode):
    image = _rng_image(channels, 6)
    decoded = Image.open(io.BytesIO(figs.png_bytes(image)))
    assert decoded.format == "PNG" and decoded.mode == mode and decoded.size == (6, 6)
    pixels = np.asarray(decoded)
    expected = np.rint(image * 255).astype(np.uint8)
    expected = expected[0] if channels == 1 else expected.transpose(1, 2, 0)
    assert np.array_equal(pixels, expected)


def test_attack_figure_shows_original_amplified_perturbation_and_adversarial():
    original = _rng_image(1) * 0.8 + 0.1
    adversarial = np.clip(original + 0.1 * np.sign(_rng_image(1, seed=1) - 0.5), 0, 1)
    figure = figs.attack_figure(original, adversarial, 0.1, original_caption="Coat, 97%",
                                adversarial_caption="Shirt, 88%")
    images = [trace for trace in figure.data if trace.type == "image"]
    assert len(images) == 3
    amplified, _ = figs.amplify_perturbation(adversarial - original, 0.1)
    for trace, picture in zip(images, (original, amplified, adversarial)):
        assert np.array_equal(np.asarray(trace.z), figs._to_rgb_uint8(picture))
    titles = [a.text for a in figure.layout.annotations]
    assert "Coat<br>97%" in titles[0] and "Shirt<br>88%" in titles[2]
    assert "x 5" in titles[1] and "+0.1" in titles[1]


def test_attack_figure_titles_fit_a_third_of_a_projector_column():
    # Three titles share one column: at 1024x768 in presentation mode ~160 px each, about 18
    # characters of the titles' font; longer lines ran into their neighbours.
    original = _rng_image(1) * 0.8 + 0.1
    figure = figs.attack_figure(original, np.clip(original + 0.0314, 0, 1), 8 / 255,
                                original_caption="T-shirt/top, 98%", adversarial_caption="Ankle boot, 100%")
    lines = [line for a in figure.layout.annotations for line in a.text.split("<br>")]
    assert "T-shirt/top" in lines and "Ankle boot" in lines and "white: +0.0314" in lines
    assert max(len(line) for line in lines) <= 18, lines


def test_attack_figure_keeps_its_pictures_under_their_titles():
    # Square pictures in taller panels sat mid-panel, ~130 px below their titles on a projector.
    original = _rng_image(1) * 0.8 + 0.1
    figure = figs.attack_figure(original, original, 8 / 255)
    axes = [figure.layout[name] for name in ("yaxis", "yaxis2", "yaxis3")]
    assert [(a.constrain, a.constraintoward) for a in axes] == [("domain", "top")] * 3


def test_probability_bars_before_and_after_carry_the_probabilities_and_marks():
    before, after = [0.7, 0.2, 0.1], [0.1, 0.3, 0.6]
    figure = figs.probability_change_figure(before, after, ["cat", "dog", "car"], label=0, target=2)
    assert [t.name for t in figure.data] == ["before the attack", "after the attack"]
    np.testing.assert_allclose(figure.data[0].x, [70, 20, 10])
    np.testing.assert_allclose(figure.data[1].x, [10, 30, 60])
    assert list(figure.data[0].y) == ["cat (true)", "dog", "car (target)"]
    with pytest.raises(ValueError):
        figs.probability_change_figure([0.5, 0.5], [1.0], ["a", "b"])


def test_accuracy_curves_one_colour_per_model_one_dash_per_method_and_the_reference():
    from cnnviz.adversarial import TUTORIAL_FGSM_CURVE

    curves = [
        figs.AccuracyCurve("normal", "fgsm", [0, 0.1], [0.9, 0.3], 1000),
        figs.AccuracyCurve("normal", "pgd", [0, 0.1], [0.9, 0.1], 200),
        figs.AccuracyCurve("robust", "fgsm", [0, 0.1], [0.85, 0.7], 1000),
    ]
    figure = figs.accuracy_curves_figure(curves, reference=TUTORIAL_FGSM_CURVE)
    assert len(figure.data) == 4
    np.testing.assert_allclose(figure.data[0].y, [90, 30])
    np.testing.assert_allclose(figure.data[1].customdata, [0, 25.5])  # eps in /255 steps
    assert figure.data[0].line.color == figure.data[1].line.color != figure.data[2].line.color
    assert (figure.data[0].line.dash, figure.data[1].line.dash) == ("solid", "dash")
    assert "1,000 images" in figure.data[0].name
    reference = figure.data[3]
    assert reference.name == figs.REFERENCE_LABEL
    np.testing.assert_allclose(reference.x, [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3])
    np.testing.assert_allclose(reference.y, [98.1, 94.3, 85.1, 68.3, 43.0, 20.8, 8.7])
    assert len(figs.accuracy_curves_figure(curves).data) == 3


def test_sweep_examples_grid_marks_fooled_predictions_red():
    images = np.stack([np.stack([_rng_image(1, 4, seed=k * 3 + j) for j in range(3)]) for k in range(2)])
    predictions = np.array([[0, 1, 2], [5, 1, 9]])
    confidences = np.array([[0.9, 0.8, 0.7], [0.6, 0.5, 0.99]])
    classes = [f"c{i}" for i in range(10)]
    figure = figs.sweep_examples_figure([0.0, 0.2], images, predictions, confidences, [0, 1, 2], classes)
    traces = [t for t in figure.data if t.type == "image"]
    assert len(traces) == 6
    assert np.array_equal(np.asarray(traces[3].z), figs._to_rgb_uint8(images[1, 0]))
    titles = [a.text for a in figure.layout.annotations]
    assert figs.HELD_COLOUR in titles[0] and "c0 (90%)" in titles[0]
    assert figs.FOOLED_COLOUR in titles[3] and "c5 (60%)" in titles[3]
    assert figs.HELD_COLOUR in titles[4] and figs.FOOLED_COLOUR in titles[5]
    assert any("eps 0.2" in t for t in titles)
    # Square pixels in every panel: each y axis is scaled with its own x axis.
    assert figure.layout.yaxis.scaleanchor == "x" and figure.layout.yaxis5.scaleanchor == "x5"
