"""Tests for cnnviz.models.checkpoints: exact round trips, refusals with sentences, safety, atomicity."""

from __future__ import annotations

import errno
import io
import os
import pickle
import socket

import numpy as np
import pytest
import torch

from cnnviz.models import CheckpointError, get_model, list_models, load_checkpoint, save_checkpoint

NOT_PYTORCH = "This file is not a cnnviz checkpoint (it could not be read as a PyTorch file)."
FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def trained_looking(name: str, **config) -> torch.nn.Module:
    """A seeded model whose batch-norm statistics have moved off their defaults, in eval mode."""
    torch.manual_seed(0)
    model = get_model(name, **config)
    with torch.no_grad():
        model.train()
        for _ in range(2):
            model(torch.rand(4, *model.input_shape))
    return model.eval()


def checkpoint_bytes(payload: object) -> bytes:
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def valid_payload(model: torch.nn.Module) -> dict:
    return {
        "state_dict": model.state_dict(),
        "config": dict(model.config),
        "classes": [f"class {i}" for i in range(model.num_classes)],
        "meta": {},
    }


def refusal(source) -> str:
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(source)
    return str(caught.value)


@pytest.mark.parametrize(
    "name, config",
    [
        ("lenet5", {"activation": "tanh", "pool": "avg", "input_size": 32}),
        ("cifar_cnn", {}),
        ("tinyvgg", {"padding": 1}),
        ("small_cnn", {}),
    ],
)
def test_round_trip_gives_identical_outputs(tmp_path, name, config):
    model = trained_looking(name, **config)
    x = torch.rand(3, *model.input_shape)
    expected = model(x)
    classes = [f"class {i}" for i in range(model.num_classes)]

    written = save_checkpoint(tmp_path / "run" / f"{name}.pt", model, classes=classes)
    assert written == tmp_path / "run" / f"{name}.pt" and written.is_file()
    loaded = load_checkpoint(written)

    assert type(loaded) is type(model)
    assert not loaded.training
    assert loaded.config == model.config
    assert loaded.classes == classes and loaded.meta == {}
    assert all(p.requires_grad for p in loaded.parameters())
    assert torch.equal(loaded(x), expected)


def test_loads_from_bytes_file_objects_and_str_paths(tmp_path):
    model = trained_looking("lenet5")
    path = save_checkpoint(tmp_path / "lenet.pt", model, classes=FASHION)
    x = torch.rand(2, 1, 28, 28)
    data = path.read_bytes()
    with open(path, "rb") as stream:
        from_stream = load_checkpoint(stream)
    for loaded in (load_checkpoint(data), load_checkpoint(io.BytesIO(data)), load_checkpoint(str(path)), from_stream):
        assert torch.equal(loaded(x), model(x))


def test_meta_and_classes_round_trip(tmp_path):
    model = get_model("small_cnn", channels=[4], dropout=0.0)
    meta = {
        "dataset": "fashion_mnist",
        "test_accuracy": 0.9312,
        "epochs": 5,
        "trained_at": "2025-01-31T10:00:00",
        "augment": True,
        "notes": None,
        "history": {"train_loss": [0.61, 0.35, 0.29], "test_accuracy": [0.86, 0.89, 0.91]},
        "numpy_number": np.float64(0.5),  # converted to a plain float so the file stays loadable
        "tuple": (1, 2),
    }
    save_checkpoint(tmp_path / "m.pt", model, classes=FASHION, meta=meta)
    loaded = load_checkpoint(tmp_path / "m.pt")
    assert loaded.classes == FASHION
    assert loaded.meta == {**meta, "numpy_number": 0.5, "tuple": [1, 2]}
    assert type(loaded.meta["numpy_number"]) is float


def test_save_refuses_meta_that_is_not_json(tmp_path):
    model = get_model("lenet5")
    with pytest.raises(CheckpointError, match=r"meta\['history'\] holds a Tensor.*\.tolist\(\)"):
        save_checkpoint(tmp_path / "m.pt", model, classes=FASHION, meta={"history": torch.ones(3)})
    assert not (tmp_path / "m.pt").exists()


def test_save_refuses_wrong_classes_and_foreign_models(tmp_path):
    with pytest.raises(CheckpointError, match="A lenet5 with 10 outputs needs 10 class names"):
        save_checkpoint(tmp_path / "m.pt", get_model("lenet5"), classes=["cat", "dog"])
    with pytest.raises(CheckpointError, match="Only models built with cnnviz's get_model"):
        save_checkpoint(tmp_path / "m.pt", torch.nn.Linear(2, 2), classes=["a", "b"])


class RunsCodeWhenUnpickled:
    """A pickle payload that, if unpickled, creates ``marker``: what a hostile upload would do."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


def test_the_crafted_payload_really_runs_code_when_unpickled(tmp_path):
    # The control for the safety tests below: plain pickle would run the payload.
    marker = tmp_path / "control"
    pickle.loads(pickle.dumps(RunsCodeWhenUnpickled(str(marker))))
    assert marker.exists()


def test_a_checkpoint_with_code_in_it_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = valid_payload(get_model("lenet5"))
    payload["meta"] = {"note": RunsCodeWhenUnpickled(str(marker))}
    path = tmp_path / "evil.pt"
    path.write_bytes(checkpoint_bytes(payload))

    message = refusal(path)
    assert message.startswith("This checkpoint holds code or objects cnnviz refuses to load for safety")
    assert "exec" in message
    assert not marker.exists()


def test_a_raw_pickle_with_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    message = refusal(pickle.dumps(RunsCodeWhenUnpickled(str(marker)), protocol=2))
    assert message.startswith("This checkpoint holds code or objects cnnviz refuses to load for safety")
    assert not marker.exists()


def test_a_whole_pickled_model_is_refused():
    message = refusal(checkpoint_bytes(get_model("lenet5")))
    assert message.startswith("This checkpoint holds code or objects cnnviz refuses to load for safety")
    assert "torch.save(model)" in message


def test_weights_of_another_architecture_are_refused():
    tinyvgg = get_model("tinyvgg")
    payload = valid_payload(get_model("lenet5"))
    payload["state_dict"] = tinyvgg.state_dict()
    assert refusal(checkpoint_bytes(payload)) == (
        "This checkpoint is for lenet5 but its weights do not fit: the weight 'features.c1.weight' is missing."
    )


def test_weights_of_another_shape_are_refused():
    payload = valid_payload(get_model("lenet5"))  # config says 1 input channel
    payload["state_dict"] = get_model("lenet5", in_channels=3).state_dict()
    assert refusal(checkpoint_bytes(payload)) == (
        "This checkpoint is for lenet5 but its weights do not fit: 'features.c1.weight' has shape "
        "(6, 3, 5, 5) where the model needs (6, 1, 5, 5)."
    )


def test_an_extra_weight_is_refused():
    payload = valid_payload(get_model("lenet5"))
    payload["state_dict"] = {**payload["state_dict"], "features.c9.weight": torch.ones(1)}
    assert refusal(checkpoint_bytes(payload)).endswith(
        "its weights do not fit: it has a weight 'features.c9.weight' that the model does not have."
    )


def test_an_unknown_model_name_is_refused():
    payload = valid_payload(get_model("lenet5"))
    payload["config"]["name"] = "lenet6"
    assert refusal(checkpoint_bytes(payload)).startswith("The checkpoint names an unknown model 'lenet6'")


def test_invalid_settings_are_refused():
    payload = valid_payload(get_model("lenet5"))
    payload["config"]["input_size"] = 30
    assert refusal(checkpoint_bytes(payload)) == (
        "This checkpoint's settings for lenet5 are invalid: "
        "lenet5: 'input_size' must be one of 28, 32, not 30."
    )


def test_classes_that_do_not_match_the_outputs_are_refused():
    payload = valid_payload(get_model("lenet5"))
    payload["classes"] = ["cat", "dog"]
    assert refusal(checkpoint_bytes(payload)) == (
        "This checkpoint names 2 classes but its lenet5 has 10 outputs."
    )
    payload["classes"] = list(range(10))
    assert refusal(checkpoint_bytes(payload)) == "This checkpoint's classes are not a list of names."


def test_a_bare_state_dict_is_refused():
    message = refusal(checkpoint_bytes(get_model("lenet5").state_dict()))
    assert message.startswith("This file holds bare weights (a state_dict)")


def test_a_dict_without_the_checkpoint_keys_is_refused():
    message = refusal(checkpoint_bytes({"model": "lenet5", "epoch": 3}))
    assert message.startswith("This PyTorch file is not a cnnviz checkpoint")


def test_extra_top_level_keys_are_ignored():
    model = trained_looking("lenet5")
    payload = {**valid_payload(model), "optimizer": {"lr": 0.001}}
    loaded = load_checkpoint(checkpoint_bytes(payload))
    assert not hasattr(loaded, "optimizer")
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(loaded(x), model(x))


@pytest.mark.parametrize("kind", ["truncated", "random", "empty", "text"])
def test_files_that_are_not_pytorch_are_refused(tmp_path, kind):
    valid = checkpoint_bytes(valid_payload(get_model("lenet5")))
    data = {
        "truncated": valid[: len(valid) // 2],
        "random": np.random.default_rng(0).bytes(4096),
        "empty": b"",
        "text": b"label,pixel0,pixel1\n3,0,255\n",
    }[kind]
    assert refusal(data) == NOT_PYTORCH
    path = tmp_path / "upload.pt"
    path.write_bytes(data)
    assert refusal(path) == NOT_PYTORCH


def test_a_missing_file_is_named(tmp_path):
    assert refusal(tmp_path / "nope.pt") == f"There is no checkpoint file at {tmp_path / 'nope.pt'}."


def test_a_failed_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "lenet.pt"
    first = trained_looking("lenet5")
    save_checkpoint(path, first, classes=FASHION)
    before = path.read_bytes()

    real_save = torch.save

    def save_half_then_fail(obj, destination, *args, **kwargs):
        buffer = io.BytesIO()
        real_save(obj, buffer, *args, **kwargs)
        with open(destination, "wb") as file:
            file.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(torch, "save", save_half_then_fail)
    torch.manual_seed(1)
    with pytest.raises(CheckpointError, match="The checkpoint could not be written to .*No space left on device"):
        save_checkpoint(path, get_model("lenet5"), classes=FASHION)

    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["lenet.pt"]
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(load_checkpoint(path)(x), first(x))


def test_an_imagenet_fine_tune_loads_offline_without_fetching_imagenet_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no cached ImageNet file

    def no_network(*args, **kwargs):
        raise AssertionError("loading a checkpoint must not touch the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    torch.manual_seed(0)
    model = get_model("resnet18", num_classes=3).eval()
    model.config["weights"] = "imagenet"  # as if it had been fine-tuned from ImageNet weights
    path = save_checkpoint(tmp_path / "resnet.pt", model, classes=["cat", "dog", "bird"])

    loaded = load_checkpoint(path)
    assert loaded.config == {"name": "resnet18", "num_classes": 3, "weights": "imagenet"}
    x = torch.rand(1, 3, 64, 64)
    assert torch.equal(loaded(x), model(x))


def test_a_network_too_large_to_open_is_refused_before_any_memory_is_taken(monkeypatch):
    # The limit is checked on a skeleton (meta device): lenet5 has 61,706 parameters.
    from cnnviz.models import checkpoints

    monkeypatch.setattr(checkpoints, "MAX_PARAMETERS", 60_000)
    message = refusal(checkpoint_bytes(valid_payload(get_model("lenet5"))))
    assert message == ("This checkpoint's lenet5 would have 61,706 parameters; cnnviz opens networks of up "
                       "to 60,000 (VGG-16 has 138 million).")


@pytest.mark.parametrize("name", list_models())
def test_every_registry_network_builds_as_a_skeleton_with_the_real_shapes(name):
    # load_checkpoint checks a file against a meta-device skeleton before building the network.
    from cnnviz.models import checkpoints

    skeleton = checkpoints._build(name, {}, torch.device("meta"))
    real = {key: tuple(value.shape) for key, value in get_model(name).state_dict().items()}
    assert {key: tuple(value.shape) for key, value in skeleton.state_dict().items()} == real
