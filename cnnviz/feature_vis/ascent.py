"""The loop every feature visualization runs: Adam on the pixels of a batch of pictures.

Each step shifts the pictures by a random jitter, asks the objective for one value per picture,
subtracts the L2 and total-variation penalties, and moves the pixels up that value's gradient;
every few steps it blurs them; after every step it clips them to the [0, 1] pixel range. The
gradient is taken with respect to the pixels only (``torch.autograd.grad``), so the network's
weights are never written to and several pictures can be made from one network at a time.

A caller learns how far the loop is through ``on_progress`` (before the first step, then every
``report_every`` steps, with the pictures so far) and can end it early through ``should_stop``,
checked before each step; the pictures made so far come back either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnviz.feature_vis.regularisers import Regularisation, blurred, jittered, penalty

Objective = Callable[[nn.Module, torch.Tensor], torch.Tensor]  # (model, pictures) -> one value per picture
REPORT_EVERY = 8  # steps between progress reports


@dataclass(frozen=True)
class Ascent:
    """What the loop made.

    Attributes:
        pictures: (N, C, H, W) float32 CPU tensor in [0, 1].
        first: (N,) each start picture's objective.
        values: (steps_done, N) the objective at each step, as the step measured it (on the
            jittered picture): the curve of the run.
        final: (N,) each final picture's objective, without jitter: what the picture shown scores.
        steps: the steps asked for.
        steps_done: the steps taken (fewer when stopped).
    """

    pictures: torch.Tensor
    first: np.ndarray
    values: np.ndarray
    final: np.ndarray
    steps: int
    steps_done: int

    @property
    def stopped(self) -> bool:
        return self.steps_done < self.steps


def ascend(model: nn.Module, start: torch.Tensor, objective: Objective, *, steps: int = 256, lr: float = 0.05,
           regularisation: Regularisation = Regularisation(), centre: torch.Tensor | float = 0.5, seed: int = 0,
           on_progress: Callable[[int, torch.Tensor], None] | None = None, report_every: int = REPORT_EVERY,
           should_stop: Callable[[], bool] | None = None) -> Ascent:
    """Make the pictures ``start`` score higher under ``objective``.

    Args:
        model: the network, in eval mode (batch norm and dropout as at test time); not changed.
        start: (N, C, H, W) floats in [0, 1], the first pictures (not changed).
        objective: (model, pictures) -> (N,) values to make larger; differentiable.
        steps: Adam steps.
        lr: Adam's step size, in pixel units.
        regularisation: the priors (see cnnviz.feature_vis.regularisers).
        centre: what the L2 penalty pulls pixels towards: a float, or (C, 1, 1) per channel.
        seed: seeds the jitter, so a run can be repeated exactly on the CPU.
        on_progress: called with (steps taken, pictures so far): (0, the start) before the first
            step, then every ``report_every`` steps and after the last one.
        should_stop: checked before each step; True ends the loop there.

    Returns:
        Ascent with the pictures and the objective measured before and after each step.
    """
    if steps < 0:
        raise ValueError(f"steps must be 0 or more, not {steps}.")
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else start.device
    pixels = start.detach().to(device, torch.float32).clone().clamp_(0, 1).requires_grad_(True)
    centre = torch.as_tensor(centre, dtype=torch.float32, device=device)
    optimiser = torch.optim.Adam([pixels], lr=lr)
    generator = torch.Generator().manual_seed(seed)
    first, values, done = _measured(model, objective, pixels), [], 0
    if on_progress is not None and steps:  # the start: a Stop before the first report still has pictures
        on_progress(0, pixels.detach().to("cpu", copy=True))
    for step in range(steps):
        if should_stop is not None and should_stop():
            break
        score = objective(model, jittered(pixels, regularisation.jitter, generator))
        loss = -(score - penalty(pixels, centre, regularisation)).sum()
        (gradient,) = torch.autograd.grad(loss, pixels)
        pixels.grad = gradient
        optimiser.step()
        with torch.no_grad():
            if regularisation.blur_every and (step + 1) % regularisation.blur_every == 0:
                pixels.copy_(blurred(pixels, regularisation.blur_sigma))
            pixels.clamp_(0, 1)
        done = step + 1
        values.append(score.detach())
        if on_progress is not None and (done % report_every == 0 or done == steps):
            on_progress(done, pixels.detach().to("cpu", copy=True))  # a copy: the loop goes on changing pixels
    curve = torch.stack(values).float().cpu().numpy() if values else np.zeros((0, len(first)), np.float32)
    return Ascent(pixels.detach().float().cpu(), first, curve, _measured(model, objective, pixels), steps, done)


def _measured(model: nn.Module, objective: Objective, pixels: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        return objective(model, pixels).float().cpu().numpy()
