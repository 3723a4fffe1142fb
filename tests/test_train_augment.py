"""cnnviz.train.augment: batched augmentations keep shape, dtype and range, are seeded, and give
every image its own random draw; the geometric ops are checked against torch's exact ones."""

import pytest
import torch

from cnnviz.train.augment import (
    affine_at,
    augment_batch,
    color_jitter,
    crop_at,
    gaussian_noise,
    random_crop,
    random_flip,
    salt_and_pepper,
)
from cnnviz.train.config import Augmentation, TrainConfigError

EVERYTHING = Augmentation(flip=True, vertical_flip=True, crop_padding=2, rotation=15, translate=0.1, scale=0.15,
                          gaussian_noise=0.05, salt_pepper=0.02, color_jitter=0.3)


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _images(n=16, c=1, h=28, w=28, seed=1):
    return torch.rand(n, c, h, w, generator=_gen(seed))


@pytest.mark.parametrize("channels", [1, 3])
def test_augment_batch_keeps_shape_dtype_range_and_input(channels):
    x = _images(c=channels)
    before = x.clone()
    y = augment_batch(x, EVERYTHING, _gen())
    assert y.shape == x.shape and y.dtype == torch.float32
    assert y.min() >= 0 and y.max() <= 1
    assert torch.equal(x, before)  # the caller's batch is not modified
    assert not torch.allclose(y, x)


def test_augment_batch_is_deterministic_under_a_seed():
    x = _images()
    assert torch.equal(augment_batch(x, EVERYTHING, _gen(7)), augment_batch(x, EVERYTHING, _gen(7)))
    assert not torch.equal(augment_batch(x, EVERYTHING, _gen(7)), augment_batch(x, EVERYTHING, _gen(8)))


def test_no_augmentation_is_the_identity():
    x = _images()
    assert torch.equal(augment_batch(x, Augmentation(), _gen()), x)
    assert not Augmentation().active and EVERYTHING.active


def test_flip_draws_once_per_image_in_one_batched_call():
    x = _images(n=64)
    y = random_flip(x, _gen())
    flipped = torch.tensor([torch.equal(y[i], x[i].flip(-1)) for i in range(64)])
    kept = torch.tensor([torch.equal(y[i], x[i]) for i in range(64)])
    assert torch.all(flipped ^ kept)  # every image is either mirrored or untouched
    assert 16 < flipped.sum() < 48  # and the batch gets a mix, not one draw for all


def test_crop_at_equals_slicing_each_image():
    padded = _images(n=4, h=12, w=10)
    top, left = torch.tensor([0, 1, 4, 2]), torch.tensor([2, 0, 3, 1])
    out = crop_at(padded, top, left, 8, 7)
    for i in range(4):
        assert torch.equal(out[i], padded[i, :, top[i]:top[i] + 8, left[i]:left[i] + 7])


def test_random_crop_returns_a_window_of_the_zero_padded_image():
    x = _images(n=8, c=3, h=6, w=6)
    y = random_crop(x, 2, _gen())
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(8):
        windows = [padded[i, :, t:t + 6, l:l + 6] for t in range(5) for l in range(5)]
        assert any(torch.equal(y[i], window) for window in windows)


def test_affine_by_90_degrees_is_rot90_and_a_shift_moves_pixels_in_with_zeros():
    x = torch.arange(2 * 16, dtype=torch.float32).view(2, 1, 4, 4)
    rotated = affine_at(x, torch.tensor([90.0, 0.0]), torch.zeros(2), torch.zeros(2))
    assert torch.allclose(rotated[0], torch.rot90(x[0], 1, (1, 2)), atol=1e-4)
    assert torch.allclose(rotated[1], x[1], atol=1e-4)
    shifted = affine_at(x[:1], torch.zeros(1), torch.tensor([0.25]), torch.zeros(1))  # one pixel right
    expected = torch.zeros_like(x[:1])
    expected[..., 1:] = x[:1, ..., :-1]
    assert torch.allclose(shifted, expected, atol=1e-4)


def test_scaling_by_2_doubles_a_centred_square_and_by_half_halves_it():
    x = torch.zeros(2, 1, 16, 16)
    x[:, :, 6:10, 6:10] = 1.0  # a 4x4 square about the centre
    scaled = affine_at(x, torch.zeros(2), torch.zeros(2), torch.zeros(2), torch.tensor([2.0, 0.5]))
    big, small = scaled[0, 0] > 0.5, scaled[1, 0] > 0.5
    assert big.sum() == 64 and big[4:12, 4:12].all()  # 8x8
    assert small.sum() == 4 and small[7:9, 7:9].all()  # 2x2
    assert torch.allclose(affine_at(x, torch.zeros(2), torch.zeros(2), torch.zeros(2), torch.ones(2)), x, atol=1e-5)


def test_random_scaling_stays_within_its_range_and_is_on_only_when_asked():
    x = torch.zeros(64, 1, 32, 32)
    x[:, :, 12:20, 12:20] = 1.0  # 8x8: its area grows with the factor squared
    y = augment_batch(x, Augmentation(scale=0.25), _gen())
    sides = (y[:, 0] > 0.5).sum(dim=(1, 2)).float().sqrt() / 8  # the factor each image was scaled by
    assert sides.min() >= 0.75 - 0.07 and sides.max() <= 1.25 + 0.07
    assert sides.max() - sides.min() > 0.25, "each image draws its own factor"
    assert torch.equal(augment_batch(x, Augmentation(flip=False), _gen()), x)
    with pytest.raises(TrainConfigError, match="'scale'"):
        Augmentation(scale=0.8).check()


def test_gaussian_noise_has_the_asked_standard_deviation():
    x = torch.full((8, 1, 32, 32), 0.5)
    y = gaussian_noise(x, 0.05, _gen())
    assert abs((y - x).std().item() - 0.05) < 0.003
    assert abs((y - x).mean().item()) < 0.003


def test_salt_and_pepper_sets_the_asked_fraction_to_black_or_white_in_every_channel():
    x = torch.full((8, 3, 32, 32), 0.5)
    y = salt_and_pepper(x, 0.2, _gen())
    changed = (y != 0.5).any(dim=1)  # (N, H, W)
    assert abs(changed.float().mean().item() - 0.2) < 0.02
    values = y.permute(0, 2, 3, 1)[changed]  # (K, 3): each changed pixel is black or white throughout
    assert torch.all((values == 0).all(dim=1) | (values == 1).all(dim=1))


def test_color_jitter_keeps_grey_images_grey_and_strength_zero_changes_nothing():
    grey = _images(n=8, c=1).repeat(1, 3, 1, 1)  # R = G = B
    y = color_jitter(grey, 0.5, _gen())
    assert torch.allclose(y[:, 0], y[:, 1], atol=1e-6) and torch.allclose(y[:, 1], y[:, 2], atol=1e-6)
    assert not torch.allclose(y, grey)
    x = _images(c=3)
    assert torch.allclose(color_jitter(x, 0.0, _gen()), x, atol=1e-6)


def test_bad_augmentation_settings_are_refused_with_a_sentence():
    from cnnviz.train.config import TrainConfigError

    with pytest.raises(TrainConfigError, match="Augmentation 'rotation' must be a number from 0 to 180"):
        Augmentation(rotation=400).check()
    with pytest.raises(TrainConfigError, match=r"^Crop padding must be a whole number of pixels from 0 to 16, not -1\.$"):
        Augmentation(crop_padding=-1).check()
