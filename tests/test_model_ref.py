"""A network is named by one typed reference: zoo or checkpoint, unique, cheap to hash, and one
cache entry per network whatever label a menu gives it; a re-written checkpoint is a new one."""

from __future__ import annotations

import os

import pytest

from cnnviz import catalog
from cnnviz.model_ref import ModelRef

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def checkpoint(tmp_path):
    from cnnviz.models import get_model, save_checkpoint

    return save_checkpoint(tmp_path / "model.pt", get_model("lenet5"), classes=[str(i) for i in range(10)],
                           meta={"dataset": "fashion-mnist"})


def test_a_zoo_reference_names_the_registry_entry_and_its_title():
    ref = ModelRef.zoo("resnet18")
    assert (ref.kind, ref.name, ref.path, ref.is_zoo) == ("zoo", "resnet18", "", True)
    assert ref.label == "zoo: ResNet-18"
    assert ModelRef.zoo("resnet18", label="other text") == ref
    with pytest.raises(ValueError):
        ModelRef.zoo("no-such-network")


def test_a_checkpoint_reference_carries_the_files_version_and_the_catalog_label(checkpoint):
    entry = catalog.describe_checkpoint(checkpoint, "uploaded")
    ref = ModelRef.checkpoint(entry)
    assert (ref.kind, ref.path, ref.version, ref.is_zoo) == ("checkpoint", str(checkpoint),
                                                             checkpoint.stat().st_mtime_ns, False)
    assert ref.label == entry.label
    assert ModelRef.checkpoint(checkpoint) == ref and ModelRef.checkpoint(str(checkpoint)).label == "model.pt"
    assert ModelRef.checkpoint(entry, label="trained: x").label == "trained: x"


def test_keys_are_primitive_unique_and_blind_to_the_label(checkpoint):
    refs = [ModelRef.zoo("resnet18"), ModelRef.zoo("lenet5"), ModelRef.checkpoint(checkpoint)]
    os.utime(checkpoint, ns=(0, checkpoint.stat().st_mtime_ns + 1))
    refs.append(ModelRef.checkpoint(checkpoint))  # re-written: another network
    assert len({ref.key for ref in refs}) == len({*refs}) == 4
    assert all(isinstance(part, (str, int)) for ref in refs for part in ref.key)
    assert hash(ModelRef.zoo("lenet5", label="a")) == hash(ModelRef.zoo("lenet5", label="b"))
    with pytest.raises(AttributeError):
        refs[0].name = "vgg16"  # frozen: safe as a cache argument


def test_a_missing_checkpoint_cannot_be_referenced(tmp_path):
    with pytest.raises(OSError):
        ModelRef.checkpoint(tmp_path / "gone.pt")


def test_the_caches_keep_one_network_per_file_whatever_its_label(checkpoint):
    from dashboard import caches

    first = caches.opened_network(ModelRef.checkpoint(checkpoint, label="lenet on Inside"))
    again = caches.opened_network(ModelRef.checkpoint(checkpoint, label="trained: lenet on Receptive fields"))
    assert again is first
    assert isinstance(first, caches.OpenedNetwork) and first.dataset == "fashion-mnist" and first.note == ""
    assert caches.checkpoint_network(ModelRef.checkpoint(checkpoint)) is first.model
    os.utime(checkpoint, ns=(0, checkpoint.stat().st_mtime_ns + 1))
    assert caches.checkpoint_network(ModelRef.checkpoint(checkpoint)) is not first.model
