"""Which device computes: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch


def pick_device(preference: str = "auto") -> torch.device:
    """Return the device to compute on.

    Args:
        preference: "auto" (CUDA, then MPS, then CPU) or an explicit device string such as
            "cpu", "cuda", "cuda:1" or "mps".

    Raises:
        ValueError: when an explicit device is asked for and is not present.
    """
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(preference)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("A CUDA GPU was asked for, but torch finds none on this machine.")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("Apple's MPS was asked for, but it is not available on this machine.")
    return device


def describe_device(device: torch.device | None = None) -> str:
    """A sentence naming the device, e.g. "CUDA GPU: NVIDIA H100 80GB HBM3" or "CPU (2 threads)"."""
    device = device or pick_device()
    if device.type == "cuda":
        return f"CUDA GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"


def available_devices() -> list[str]:
    """The device choices a run can be given here: "auto", "cpu", then "cuda" and "mps" where
    torch finds them (each is a valid ``pick_device`` preference on this machine)."""
    return ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else []) + \
        (["mps"] if torch.backends.mps.is_available() else [])


def model_device(model: torch.nn.Module) -> torch.device:
    """The device ``model``'s parameters live on (the CPU for a model without any)."""
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")
