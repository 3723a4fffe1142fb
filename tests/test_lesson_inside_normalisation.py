"""The normalize step as the Inside page teaches it: the model's own mean and std, the formula at
a pixel in numbers that add up, the three pictures, and the statistics checked against the data."""

import re

import numpy as np
import pytest
import torch

from cnnviz import activations
from cnnviz.data import DatasetUnavailable, dataset_info, load_dataset, to_float
from cnnviz.lessons import inside as lesson
from cnnviz.models import get_model

_NUMBER = r"(-?\d+\.\d+)"


def _step(model, pixels):
    captured = activations.capture_layer_outputs(model.eval(), pixels)
    first = captured.layers[0]
    return first, lesson.normalize_step(model, first.name, pixels, first.output.numpy())



def test_the_lenet_step_shows_fashion_mnists_statistics_and_torchs_value_at_the_centre(fashion):
    model = get_model("lenet5")
    pixels = to_float(fashion.test_images[:1])
    first, view = _step(model, pixels)
    assert (first.kind, view.row, view.column) == (lesson.NORMALIZE_KIND, 14, 14)
    (grey,) = view.channels
    assert (grey.name, grey.mean, grey.std) == ("grey", pytest.approx(0.2860), pytest.approx(0.3530))
    with torch.no_grad():
        expected = ((pixels - 0.2860) / 0.3530)[0, 0, 14, 14].item()
    assert grey.pixel == pytest.approx(pixels[0, 0, 14, 14].item())
    assert grey.normalised == pytest.approx(expected, abs=1e-6)
    assert "grey: μ = 0.2860, σ = 0.3530" in view.statistics
    assert "Fashion-MNIST's training images" in view.statistics
    image = pixels[0, 0].double()
    assert f"grey mean {image.mean():.3f} → {((image - 0.2860) / 0.3530).mean():.3f}" in view.image_sentence
    assert f"std {image.std(unbiased=False):.3f} → {(image / 0.3530).std(unbiased=False):.3f}" in view.image_sentence


@pytest.mark.parametrize("index", [0, 1, 7, 42])
def test_every_formula_adds_up_in_the_numbers_it_prints(fashion, index):
    # A student checks the line with a calculator: (x - μ) / σ must give the printed y, and
    # y·σ + μ the printed x, to the rounding of the printed inputs.
    _, view = _step(get_model("lenet5"), to_float(fashion.test_images[index:index + 1]))
    (formula,) = view.formulas
    pattern = (rf"y &= \\frac{{{_NUMBER} - {_NUMBER}}}{{{_NUMBER}}} = {_NUMBER}\\, \\\\ "
               rf"x &= {_NUMBER} \\cdot {_NUMBER} \+ {_NUMBER} = {_NUMBER}")
    x, mu, sigma, y, y2, sigma2, mu2, x2 = map(float, re.search(pattern, formula).groups())
    assert (y2, sigma2, mu2) == (y, sigma, mu)
    assert (x - mu) / sigma == pytest.approx(y, abs=0.5e-4 / sigma + 0.5e-4)
    assert y * sigma + mu == pytest.approx(x2, abs=0.5e-4 * sigma + 0.5e-4)
    assert x2 == x


def test_the_pictures_are_the_pixels_the_clipped_values_and_the_picture_given_back(fashion):
    pixels = to_float(fashion.test_images[3:4])
    first, view = _step(get_model("lenet5"), pixels)
    given, drawn, restored = (np.asarray(picture) for picture in view.pictures)
    expected = np.asarray(fashion.test_images[3, 0])
    assert np.array_equal(given, expected)
    assert np.array_equal(restored, expected), "y·σ + μ must give the test image back, pixel for pixel"
    clipped = np.clip(first.output.numpy()[0], 0, 1)
    assert np.abs(drawn.astype(int) - np.round(clipped * 255)).max() <= 1
    assert not np.array_equal(drawn, given), "the normalised values differ from the pixels they came from"
    assert view.round_trip_error < 1e-6


def test_a_colour_network_names_each_channel_and_imagenets_statistics():
    torch.manual_seed(0)
    model = get_model("alexnet")
    pixels = torch.rand(1, *model.input_shape)
    _, view = _step(model, pixels)
    assert [channel.name for channel in view.channels] == ["red", "green", "blue"]
    assert [channel.mean for channel in view.channels] == pytest.approx([0.485, 0.456, 0.406])
    assert "ImageNet's training images" in view.statistics
    assert len(view.formulas) == 3 and r"\text{blue}" in view.formulas[2]
    with torch.no_grad():
        blue = model.normalize(pixels)[0, 2, view.row, view.column].item()
    assert view.channels[2].normalised == pytest.approx(blue, abs=1e-6)
    assert view.pictures[0].mode == "RGB" and view.pictures[0].size == (224, 224)


def test_a_checkpoints_own_statistics_are_said_to_be_its_own():
    model = get_model("lenet5", mean=[0.5], std=[0.25])
    first, view = _step(model, torch.full((1, 1, 28, 28), 0.75))
    assert view.channels[0].normalised == pytest.approx(1.0)
    assert lesson.statistics_source([0.5], [0.25]) is None
    assert "stored with the network" in view.statistics and "training images" not in view.statistics


def test_only_a_normalize_step_gets_the_lesson():
    model = get_model("lenet5").eval()
    pixels = torch.rand(1, 1, 28, 28)
    captured = activations.capture_layer_outputs(model, pixels)
    assert [lesson.normalize_step(model, layer.name, pixels, layer.output.numpy()) is None
            for layer in captured.layers[:3]] == [False, True, True]
    with pytest.raises(ValueError, match="C means and stds"):
        lesson.normalisation_view(pixels, captured.layers[0].output.numpy(), [0.1, 0.2], [0.3, 0.4])


@pytest.mark.parametrize("name", ["fashion-mnist", "digits", "mnist", "cifar10"])
def test_the_statistics_each_model_uses_are_its_training_sets(name):
    # The sentence says μ and σ are the training images' own: measure them.
    try:
        dataset = load_dataset(name)
    except DatasetUnavailable:
        pytest.skip(f"{name} is not on this machine")
    info = dataset_info(name)
    channels = dataset.train_images.shape[1]
    totals = torch.zeros(channels, dtype=torch.float64)
    squares = torch.zeros(channels, dtype=torch.float64)
    for chunk in dataset.train_images.split(5000):
        values = chunk.double() / 255.0
        totals += values.sum(dim=(0, 2, 3))
        squares += (values ** 2).sum(dim=(0, 2, 3))
    count = dataset.train_images[:, 0].numel()
    mean = totals / count
    std = (squares / count - mean ** 2).sqrt()
    assert mean.tolist() == pytest.approx(list(info.mean), abs=6e-4)
    assert std.tolist() == pytest.approx(list(info.std), abs=6e-4)
    assert lesson.statistics_source(info.mean, info.std) == f"{info.title}'s"
