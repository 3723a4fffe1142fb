"""The priors that turn gradient ascent's noise into readable pictures (Yosinski et al. 2015,
Olah et al. 2017, cs231n's "Visualizing and understanding"):

- jitter: shift the picture by a random few pixels before each step, so the ascent cannot
  reward one exact pixel pattern, only patterns that work wherever they land;
- L2: a penalty on the squared distance from the dataset's mean grey, so pixels that do not help
  the objective fade back instead of saturating;
- blur: a small Gaussian blur every few steps, which removes the high frequencies the network
  reacts to but a person cannot see;
- total variation: a penalty on differences between neighbouring pixels (used for inversion,
  after Mahendran and Vedaldi 2015), for pictures made of smooth regions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Regularisation:
    """How strongly each prior acts; 0 turns one off.

    Attributes:
        jitter: the largest random shift, in pixels, in each direction before each step.
        l2: weight of sum((x - mean)^2) per picture, subtracted from the objective.
        blur_every: blur once every this many steps (0: never).
        blur_sigma: the blur's standard deviation, in pixels.
        tv: weight of the total variation (sum of squared neighbour differences) per picture.
    """

    jitter: int = 1
    l2: float = 0.01
    blur_every: int = 4
    blur_sigma: float = 0.5
    tv: float = 0.0

    def __post_init__(self) -> None:
        if self.jitter < 0 or self.l2 < 0 or self.blur_every < 0 or self.blur_sigma < 0 or self.tv < 0:
            raise ValueError(f"Every regularisation setting must be 0 or more; got {self}.")

    @classmethod
    def none(cls) -> Regularisation:
        """Plain gradient ascent: what the priors are compared against."""
        return cls(jitter=0, l2=0.0, blur_every=0, blur_sigma=0.0, tv=0.0)


def jittered(x: torch.Tensor, largest: int, generator: torch.Generator) -> torch.Tensor:
    """``x`` (N, C, H, W) rolled by one random (dy, dx) in [-largest, largest]; differentiable."""
    if largest == 0:
        return x
    dy, dx = (int(v) for v in torch.randint(-largest, largest + 1, (2,), generator=generator))
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def blurred(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """A separable Gaussian blur of each channel of ``x`` (N, C, H, W), edges reflected."""
    if sigma <= 0:
        return x
    radius = max(1, int(round(3 * sigma)))
    offsets = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = x.shape[1]
    mode = "reflect" if radius < min(x.shape[2:]) else "replicate"  # reflect needs a wider picture
    padded = torch.nn.functional.pad(x, (radius, radius, radius, radius), mode=mode)
    rows = kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1)
    cols = kernel.view(1, 1, -1, 1).expand(channels, 1, -1, 1)
    out = torch.nn.functional.conv2d(padded, rows, groups=channels)
    return torch.nn.functional.conv2d(out, cols, groups=channels)


def penalty(x: torch.Tensor, centre: torch.Tensor, settings: Regularisation) -> torch.Tensor:
    """The L2 and total-variation penalties of each picture in ``x`` (N, C, H, W): shape (N,)."""
    total = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    if settings.l2:
        total = total + settings.l2 * (x - centre).pow(2).flatten(1).sum(1)
    if settings.tv:
        down = (x[:, :, 1:, :] - x[:, :, :-1, :]).pow(2).flatten(1).sum(1)
        right = (x[:, :, :, 1:] - x[:, :, :, :-1]).pow(2).flatten(1).sum(1)
        total = total + settings.tv * (down + right)
    return total
