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
