"""Data augmentation as batched tensor operations on the device (the airbench way).

Each function takes a whole batch of float images in [0, 1], shape (N, C, H, W), draws one random
setting per image from a ``torch.Generator`` (so a seed makes a run repeatable), and returns a new
batch of the same shape, dtype and range. No per-image Python loop and no PIL: one call per batch,
so augmentation costs a few percent of a training step instead of a DataLoader worker per core.

torchvision.transforms.v2 applies one random draw to the whole batch it is given, so it cannot
give every image its own crop or angle in one call; hence these few lines of our own.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from cnnviz.train.config import Augmentation


def _uniform(n: int, low: float, high: float, like: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """(n,) floats uniform in [low, high) on the batch's device."""
    return torch.rand(n, device=like.device, generator=generator) * (high - low) + low


def _per_image(mask: torch.Tensor) -> torch.Tensor:
    return mask.view(-1, 1, 1, 1)  # (N,) -> (N, 1, 1, 1), broadcasts over (N, C, H, W)


def random_flip(x: torch.Tensor, generator: torch.Generator, dim: int = -1) -> torch.Tensor:
    """Mirror each image with probability 1/2 (dim=-1: left-right, dim=-2: top-bottom)."""
    flip = torch.rand(x.shape[0], device=x.device, generator=generator) < 0.5
    return torch.where(_per_image(flip), x.flip(dim), x)


def crop_at(padded: torch.Tensor, top: torch.Tensor, left: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Cut a height x width window out of each image at its own (top, left), in one gather.

    Args:
        padded: (N, C, Hp, Wp) images.
        top, left: (N,) int64 window corners, 0 <= top <= Hp - height, 0 <= left <= Wp - width.

    Returns:
        (N, C, height, width); image n equals padded[n, :, top[n]:top[n]+height, left[n]:left[n]+width].
    """
    n = padded.shape[0]
    rows = top.view(n, 1) + torch.arange(height, device=padded.device)  # (N, height)
    cols = left.view(n, 1) + torch.arange(width, device=padded.device)  # (N, width)
    batch = torch.arange(n, device=padded.device).view(n, 1, 1)
    # Advanced indexing on dims 0, 2, 3 -> (N, height, width, C); move channels back.
    windows = padded.permute(0, 2, 3, 1)[batch, rows.view(n, height, 1), cols.view(n, 1, width)]
    return windows.permute(0, 3, 1, 2).contiguous()


def random_crop(x: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Zero-pad by ``padding`` pixels, then crop every image back to H x W at a random place."""
    n, _, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))  # (N, C, H + 2p, W + 2p)
    top = torch.randint(0, 2 * padding + 1, (n,), device=x.device, generator=generator)
    left = torch.randint(0, 2 * padding + 1, (n,), device=x.device, generator=generator)
    return crop_at(padded, top, left, h, w)


def affine_at(x: torch.Tensor, degrees: torch.Tensor, shift_x: torch.Tensor, shift_y: torch.Tensor,
              scale: torch.Tensor | None = None) -> torch.Tensor:
    """Rotate each image about its centre by degrees[n] (counter-clockwise), scale it by scale[n]
    about its centre, and shift it.

    Args:
        x: (N, C, H, W) images.
        degrees: (N,) angles in degrees.
        shift_x, shift_y: (N,) shifts as fractions of the width / height (0.1 = 10% right / down).
        scale: (N,) factors (2 = the object twice as large; 0.5 = half, black around it); None = 1.

    Returns:
        (N, C, H, W); pixels that come from outside the image are 0 (black), bilinear in between.
    """
    n, _, h, w = x.shape
    angle = degrees.to(x.dtype) * (math.pi / 180)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # affine_grid maps output coordinates (in [-1, 1]) to input coordinates; the inverse of
    # "rotate by +angle then shift" is "shift back then rotate by -angle". The h/w ratios keep
    # the rotation a true rotation on non-square images.
    theta = torch.zeros(n, 2, 3, device=x.device, dtype=x.dtype)
    theta[:, 0, 0] = cos
    theta[:, 0, 1] = -sin * h / w
    theta[:, 1, 0] = sin * w / h
    theta[:, 1, 1] = cos
    tx, ty = -2 * shift_x.to(x.dtype), -2 * shift_y.to(x.dtype)
    theta[:, 0, 2] = cos * tx - sin * ty * h / w
    theta[:, 1, 2] = sin * tx * w / h + cos * ty
    if scale is not None:  # the inverse map: an output point comes from 1/scale as far from the centre
        theta = theta / scale.to(x.dtype).view(n, 1, 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (N, H, W, 2)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_affine(x: torch.Tensor, rotation: float, translate: float, generator: torch.Generator,
                  scale: float = 0.0) -> torch.Tensor:
    """Rotate by a random angle in [-rotation, rotation] degrees, scale by a factor in
    [1 - scale, 1 + scale] and shift by up to ``translate``."""
    n = x.shape[0]
    degrees = _uniform(n, -rotation, rotation, x, generator)
    shift_x = _uniform(n, -translate, translate, x, generator)
    shift_y = _uniform(n, -translate, translate, x, generator)
    factors = _uniform(n, 1 - scale, 1 + scale, x, generator) if scale else None
    return affine_at(x, degrees, shift_x, shift_y, factors)


def gaussian_noise(x: torch.Tensor, sigma: float, generator: torch.Generator) -> torch.Tensor:
    """x + N(0, sigma^2) per pixel, clipped back to [0, 1]."""
    noise = torch.randn(x.shape, device=x.device, dtype=x.dtype, generator=generator)
    return (x + sigma * noise).clamp_(0, 1)


def salt_and_pepper(x: torch.Tensor, amount: float, generator: torch.Generator) -> torch.Tensor:
    """Set a fraction ``amount`` of pixel positions to black (half) or white (half), in every channel."""
    n, _, h, w = x.shape
    draw = torch.rand(n, 1, h, w, device=x.device, generator=generator)  # one draw per position
    x = torch.where(draw < amount / 2, torch.zeros((), device=x.device, dtype=x.dtype), x)
    return torch.where(draw > 1 - amount / 2, torch.ones((), device=x.device, dtype=x.dtype), x)


def color_jitter(x: torch.Tensor, strength: float, generator: torch.Generator) -> torch.Tensor:
    """Scale brightness, contrast and (colour images only) saturation by factors in [1 - s, 1 + s]."""
    n = x.shape[0]
    low, high = 1 - strength, 1 + strength
    x = x * _per_image(_uniform(n, low, high, x, generator))  # brightness
    # Contrast: move every pixel towards / away from the image's mean grey level.
    grey = x.mean(dim=1, keepdim=True)  # (N, 1, H, W)
    mean = grey.mean(dim=(2, 3), keepdim=True)  # (N, 1, 1, 1)
    x = mean + (x - mean) * _per_image(_uniform(n, low, high, x, generator))
    if x.shape[1] == 3:
        # Saturation: move every pixel towards / away from its own grey value (ITU-R 601 luma).
        weights = torch.tensor([0.299, 0.587, 0.114], device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        luma = (x * weights).sum(dim=1, keepdim=True)
        x = luma + (x - luma) * _per_image(_uniform(n, low, high, x, generator))
    return x.clamp_(0, 1)


def augment_batch(x: torch.Tensor, augment: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """Apply every switched-on augmentation to a training batch, geometry first, then colour and noise.

    Args:
        x: (N, C, H, W) float images in [0, 1] (not modified).
        augment: which augmentations, how strong.
        generator: the source of randomness, on x's device.

    Returns:
        (N, C, H, W) float images in [0, 1], same dtype and device.
    """
    if augment.crop_padding:
        x = random_crop(x, augment.crop_padding, generator)
    if augment.flip:
        x = random_flip(x, generator, dim=-1)
    if augment.vertical_flip:
        x = random_flip(x, generator, dim=-2)
    if augment.rotation or augment.translate or augment.scale:
        x = random_affine(x, augment.rotation, augment.translate, generator, augment.scale)
    if augment.color_jitter:
        x = color_jitter(x, augment.color_jitter, generator)
    if augment.gaussian_noise:
        x = gaussian_noise(x, augment.gaussian_noise, generator)
    if augment.salt_pepper:
        x = salt_and_pepper(x, augment.salt_pepper, generator)
    return x
