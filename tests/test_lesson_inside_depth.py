"""Early to late layers on the Inside page: each convolution's strongest unit, and the window it
sees checked the hard way: pixels outside it cannot change the unit, pixels inside it can."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnviz import activations
from cnnviz.data import load_dataset, to_float
from cnnviz.lessons import inside as lesson
from cnnviz.models import get_model
from cnnviz.receptive import receptive_fields



@pytest.fixture(scope="module")
def steps(shipped_lenet):
    image = load_dataset("fashion-mnist").test_images[0]
    pixels = to_float(image[None])
    captured = activations.capture_layer_outputs(shipped_lenet, pixels)
    picture = lesson.to_picture(image)
    return pixels, captured, lesson.depth_steps(receptive_fields(shipped_lenet), captured, picture)


def test_lenets_three_convolutions_see_5_14_and_32_pixels(steps):
    _, captured, found = steps
    assert [(s.name, s.size) for s in found] == [("features.c1", (5, 5)), ("features.c3", (14, 14)),
                                                 ("features.c5", (32, 32))]
    for step in found:
        output = captured.layer(step.name).output
        assert step.channel == int(output.mean(dim=(1, 2)).argmax())
        assert output[step.channel][step.unit] == output[step.channel].max()
        assert step.caption.startswith(f"{step.name}: field {step.size[0]} x {step.size[1]} px; channel {step.channel} of ")
    assert lesson.depth_sentence(found).startswith("The field grows 5 → 14 → 32 px (rows) over these 3 convolutions")


@pytest.mark.parametrize("which", [0, 1])
def test_pixels_outside_the_window_cannot_change_the_unit_and_inside_they_can(shipped_lenet, steps, which):
    pixels, _, found = steps
    step = found[which]
    top, left, bottom, right = step.window
    module = dict(shipped_lenet.named_modules())[step.name]

    def unit(x):
        out = []
        handle = module.register_forward_hook(lambda _m, _i, output: out.append(output[0, step.channel][step.unit]))
        with torch.no_grad():
            shipped_lenet(x)
        handle.remove()
        return float(out[0])

    before = unit(pixels)
    outside = torch.rand_like(pixels)
    outside[..., top:bottom, left:right] = pixels[..., top:bottom, left:right]
    assert unit(outside) == pytest.approx(before, abs=1e-5), "the unit cannot see past its window"
    inside = pixels.clone()
    inside[..., top:bottom, left:right] = torch.rand(bottom - top, right - left)
    assert abs(unit(inside) - before) > 1e-4, "it does see inside it"


def test_the_pictures_show_the_window_at_one_scale_and_the_map(steps):
    _, captured, found = steps
    first = found[0]
    outlined = np.asarray(first.outlined)
    assert outlined.shape == (112, 112, 3)  # 4 times 28
    top, left, _, _ = first.window
    assert tuple(outlined[top * 4, left * 4]) == lesson.depth.OUTLINE_COLOUR  # the box's corner
    assert first.crop.size == (first.window[3] - first.window[1], first.window[2] - first.window[0])
    assert np.asarray(first.map_picture).shape == tuple(captured.layer(first.name).output.shape[1:])
    assert np.asarray(found[-1].map_picture).tolist() == [[128]]  # a 1 x 1 map: one mid grey unit


def test_a_deep_network_shows_its_first_last_and_evenly_spaced_convolutions():
    assert lesson.spaced(list(range(53))) == (0, 10, 21, 31, 42, 52)
    assert lesson.spaced([1, 2, 3]) == (1, 2, 3)
    torch.manual_seed(0)
    resnet = get_model("resnet18").eval()
    captured = activations.capture_layer_outputs(resnet, torch.rand(1, 3, 224, 224))
    found = lesson.depth_steps(receptive_fields(resnet), captured, lesson.to_picture(
        (np.random.default_rng(0).random((3, 224, 224)) * 255).astype(np.uint8)))
    assert any("downsample" in field.name for field in receptive_fields(resnet)) and len(found) > 6
    assert not any("downsample" in step.name for step in found), "a shortcut's projection is off the main path"
    assert found[0].name == "net.conv1" and found[-1].name == "net.layer4.1.conv2"
