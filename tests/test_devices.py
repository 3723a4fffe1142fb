import pytest
import torch

from cnnviz import devices


def test_auto_picks_what_torch_finds():
    device = devices.pick_device()
    if torch.cuda.is_available():
        assert device.type == "cuda"
    elif torch.backends.mps.is_available():
        assert device.type == "mps"
    else:
        assert device.type == "cpu"


def test_cpu_can_always_be_forced():
    assert devices.pick_device("cpu") == torch.device("cpu")
    assert devices.describe_device(torch.device("cpu")).startswith("CPU (")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_a_missing_gpu_is_a_sentence():
    with pytest.raises(ValueError, match=r"^A CUDA GPU was asked for, but torch finds none on this machine\.$"):
        devices.pick_device("cuda")


def test_the_device_choices_are_auto_cpu_and_what_torch_finds(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert devices.available_devices() == ["auto", "cpu"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert devices.available_devices() == ["auto", "cpu", "cuda"]
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert devices.available_devices() == ["auto", "cpu", "cuda", "mps"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert devices.available_devices() == ["auto", "cpu", "mps"]


def test_every_device_choice_here_is_one_pick_device_accepts():
    for choice in devices.available_devices():
        assert devices.pick_device(choice).type in ("cpu", "cuda", "mps")
