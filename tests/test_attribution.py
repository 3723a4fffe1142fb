"""cnnviz.attribution: maps at input size, finite, in [0, 1]; the model left as it was."""

import numpy as np
import pytest
import torch
from torch import nn

from cnnviz import attribution
from cnnviz.models import get_model


class _TinyCNN(nn.Module):
    """Conv -> ReLU -> global average -> linear: small enough to differentiate by hand with autograd."""

    def __init__(self, channels=3):
        super().__init__()
        self.conv = nn.Conv2d(channels, 4, 3, padding=1)
        self.relu = nn.ReLU()
        self.bn = nn.BatchNorm1d(4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        pooled = self.relu(self.conv(x)).mean(dim=(2, 3))  # (N, 4)
        return self.fc(self.bn(pooled))


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    return _TinyCNN().eval()


@pytest.fixture
def image():
    return torch.rand(1, 3, 12, 10, generator=torch.Generator().manual_seed(3))


@pytest.mark.parametrize("method", attribution.METHODS)
def test_every_method_gives_a_finite_map_at_input_size_and_leaves_the_model_alone(tiny, image, method):
    tiny.train()
    running_mean = tiny.bn.running_mean.clone()
    result = attribution.attribute(tiny, image, method, target=1)
    assert result.method == method and result.target == 1
    assert result.heatmap.shape == (12, 10) and result.raw.shape == (12, 10)
    assert np.isfinite(result.heatmap).all() and np.isfinite(result.raw).all()
    assert result.heatmap.min() >= 0 and result.heatmap.max() <= 1
    assert result.heatmap.max() == pytest.approx(1.0)  # scaled for display
    assert tiny.training  # mode restored
    assert torch.equal(tiny.bn.running_mean, running_mean)  # ran in eval mode: no statistics update
    assert all(p.grad is None for p in tiny.parameters())
    assert all(not m._forward_hooks and not m._backward_hooks for m in tiny.modules())


def test_gradcam_is_non_negative_and_defaults_to_the_predicted_class(tiny, image):
    result = attribution.attribute(tiny, image, "gradcam")
    with torch.no_grad():
        assert result.target == int(tiny(image).argmax())
    assert result.layer == "conv"
    assert (result.raw >= 0).all() and (result.heatmap >= 0).all()


def test_saliency_equals_the_absolute_gradient_from_autograd(tiny, image):
    x = image.clone().requires_grad_(True)
    score = tiny(x)[0, 2]
    (gradient,) = torch.autograd.grad(score, x)
    expected = gradient.abs()[0].max(dim=0).values  # strongest colour channel per pixel
    result = attribution.attribute(tiny, image, "saliency", target=2)
    np.testing.assert_allclose(result.raw, expected.numpy(), rtol=1e-5, atol=1e-8)


def test_integrated_gradients_add_up_to_the_score_difference(tiny, image):
    result = attribution.attribute(tiny, image, "integrated_gradients", target=0)
    with torch.no_grad():
        difference = tiny(image)[0, 0] - tiny(torch.zeros_like(image))[0, 0]
    # Completeness, up to the Riemann-sum error of 32 steps.
    assert float(result.raw.sum()) == pytest.approx(float(difference), abs=0.05 * abs(float(difference)) + 1e-3)


def test_gradcam_on_a_chosen_layer_and_bad_requests(image):
    torch.manual_seed(0)
    lenet = get_model("lenet5").eval()
    gray = torch.rand(1, 1, 28, 28)
    # c5 outputs 1 x 1, which cannot say where: the default is the last conv larger than that.
    assert attribution.gradcam_layers(lenet, gray) == ["features.c3", "features.c1"]
    result = attribution.attribute(lenet, gray, "gradcam", layer="features.c1", target=4)
    assert result.layer == "features.c1" and result.heatmap.shape == (28, 28)
    with pytest.raises(attribution.AttributionError):
        attribution.attribute(lenet, gray, "lime")
    with pytest.raises(attribution.AttributionError):
        attribution.attribute(lenet, gray, "saliency", target=10)
    with pytest.raises(attribution.AttributionError):
        attribution.attribute(lenet, gray, "gradcam", layer="features.c9")
    assert all(not m._forward_hooks for m in lenet.modules())


def test_occlusion_finds_the_only_pixels_that_matter():
    # A model whose class-0 score is the brightness of the top-left quarter only.
    class TopLeft(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(1))

        def forward(self, x):
            score = x[:, :, :7, :7].sum(dim=(1, 2, 3)) * self.scale
            return torch.stack([score, torch.zeros_like(score)], dim=1)

    result = attribution.attribute(TopLeft(), torch.ones(1, 1, 14, 14), "occlusion", target=0)
    assert result.heatmap[:7, :7].mean() > 0.5
    assert result.heatmap[9:, 9:].max() == 0
