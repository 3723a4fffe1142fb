"""cnnviz.learned_kernels: kernels as display-ready arrays, the untrained twin, epoch snapshots."""

import numpy as np
import pytest
import torch

from cnnviz import learned_kernels
from cnnviz.models import get_model


def _weights(c_out, c_in, size, seed=0):
    return torch.randn(c_out, c_in, size, size, generator=torch.Generator().manual_seed(seed))


def test_colour_first_layer_kernels_become_rgb_pictures_in_0_1():
    weight = _weights(8, 3, 5)
    for normalisation in learned_kernels.NORMALISATIONS:
        pictures = learned_kernels.kernel_pictures(weight, normalisation)
        assert pictures.rgb
        assert pictures.values.shape == (8, 5, 5, 3)
        assert pictures.values.min() >= 0 and pictures.values.max() <= 1
    # Channel order is kept: the red plane of kernel 2 is input channel 0 of kernel 2.
    per_layer = learned_kernels.kernel_pictures(weight, "per_layer").values
    low, high = weight.min(), weight.max()
    np.testing.assert_allclose(per_layer[2, :, :, 0], ((weight[2, 0] - low) / (high - low)).numpy(), rtol=1e-5, atol=1e-6)


def test_per_kernel_stretches_each_kernel_to_the_full_range():
    weight = _weights(4, 6, 3)
    weight[1, 2] *= 0.001  # a nearly dead kernel still becomes visible
    values = learned_kernels.kernel_pictures(weight, "per_kernel").values
    assert values.shape == (4, 6, 3, 3)
    assert np.allclose(values.min(axis=(2, 3)), 0) and np.allclose(values.max(axis=(2, 3)), 1)


def test_per_layer_keeps_strengths_comparable():
    weight = _weights(4, 6, 3)
    values = learned_kernels.kernel_pictures(weight, "per_layer").values
    expected = (weight - weight.min()) / (weight.max() - weight.min())
    np.testing.assert_allclose(values, expected.numpy(), rtol=1e-5, atol=1e-6)
    assert values.min() == 0 and values.max() == pytest.approx(1)


def test_symmetric_keeps_zero_at_zero_and_sign():
    weight = torch.tensor([[[[-2.0, 0.0], [1.0, 0.5]]]])  # (1, 1, 2, 2)
    pictures = learned_kernels.kernel_pictures(weight, "symmetric")
    np.testing.assert_allclose(pictures.values[0, 0], [[-1.0, 0.0], [0.5, 0.25]])
    assert pictures.value_range == (-1.0, 1.0)
    assert pictures.weight_range == (-2.0, 1.0)
    rgb = learned_kernels.kernel_pictures(torch.cat([weight] * 3, dim=1), "symmetric")
    np.testing.assert_allclose(rgb.values[0, :, :, 1], [[0.0, 0.5], [0.75, 0.625]])  # 0.5 + 0.5 w/max|w|


def test_grey_layer_is_a_grid_per_input_channel_and_bad_input_is_refused():
    model = get_model("lenet5")
    first = learned_kernels.kernel_pictures(model.features.c1.weight)
    assert not first.rgb and first.values.shape == (6, 1, 5, 5)
    deeper = learned_kernels.kernel_pictures(model.features.c3.weight, "per_layer")
    assert deeper.values.shape == (16, 6, 5, 5)
    with pytest.raises(ValueError):
        learned_kernels.kernel_pictures(model.features.c1.weight, "per_image")
    with pytest.raises(ValueError):
        learned_kernels.kernel_pictures(model.features.c3.weight, rgb=True)
    assert [name for name, _ in learned_kernels.conv_layers(model)] == ["features.c1", "features.c3", "features.c5"]


def test_untrained_twin_is_the_same_architecture_freshly_seeded():
    torch.manual_seed(123)
    model = get_model("lenet5", activation="tanh")
    with torch.no_grad():
        model.features.c1.weight.fill_(0.5)
    state_before = torch.random.get_rng_state()
    twin_a = learned_kernels.untrained_twin(model, seed=7)
    twin_b = learned_kernels.untrained_twin(model, seed=7)
    assert torch.equal(torch.random.get_rng_state(), state_before)  # global random state untouched
    assert twin_a.config == model.config
    assert not twin_a.training
    assert torch.equal(twin_a.features.c1.weight, twin_b.features.c1.weight)
    assert not torch.equal(twin_a.features.c1.weight, model.features.c1.weight)


def test_kernel_snapshots_from_checkpoint_meta():
    snapshots = [_weights(6, 1, 5, seed).tolist() for seed in range(3)]
    labelled = learned_kernels.kernel_snapshots({"kernel_snapshots": snapshots, "epochs": 2})
    assert [label for label, _ in labelled] == ["before training", "after epoch 1", "after epoch 2"]
    assert labelled[1][1].shape == (6, 1, 5, 5)
    np.testing.assert_allclose(labelled[2][1], np.asarray(snapshots[2], dtype=np.float32))
    assert [label for label, _ in learned_kernels.kernel_snapshots({"kernel_snapshots": snapshots})] == [
        "after epoch 1", "after epoch 2", "after epoch 3"]
    assert learned_kernels.kernel_snapshots({}) == []
    assert learned_kernels.kernel_snapshots({"kernel_snapshots": [[1, 2], "x"]}) == []
