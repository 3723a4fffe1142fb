"""Tests for cnnviz.models.checkpoint_limits: hostile checkpoints are refused before they cost anything.

Three kinds a probe found on a running lecture server: a few-KB file whose network needs
gigabytes of activations, a zip bomb that torch.load inflated whole, and NaN or absurd contents
shown as "nan%" or 300 digits. Each must end in one sentence, and nothing in the registry or
shipped with cnnviz may be refused.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import torch

from cnnviz.models import CheckpointError, get_model, list_models, load_checkpoint
from cnnviz.models import checkpoint_limits as limits
from cnnviz.models import checkpoints

REPO = Path(__file__).resolve().parent.parent


def checkpoint_bytes(payload: object, **options) -> bytes:
    buffer = io.BytesIO()
    torch.save(payload, buffer, **options)
    return buffer.getvalue()


def payload_of(name: str, **config) -> dict:
    """A loadable checkpoint payload of a freshly built (seeded) network."""
    torch.manual_seed(0)
    model = get_model(name, **config)
    return {
        "state_dict": model.state_dict(),
        "config": dict(model.config),
        "classes": [f"class {i}" for i in range(model.num_classes)],
        "meta": {"dataset": "fashion_mnist", "test_accuracy": 0.9, "epochs": 3.0},
    }


def refusal(source) -> str:
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(source)
    return str(caught.value)


@pytest.fixture
def nothing_is_built(monkeypatch):
    """Fail the test if load_checkpoint builds any network, even a meta-device skeleton."""
    built: list[str] = []
    real_build = checkpoints._build

    def recording_build(name, settings, device):
        built.append(f"{name} on {device}")
        return real_build(name, settings, device)

    monkeypatch.setattr(checkpoints, "_build", recording_build)
    yield built
    assert built == [], f"networks were built before the refusal: {built}"


@pytest.fixture
def torch_load_calls(monkeypatch):
    """Record every torch.load call (the old loader turned an exception there into a refusal)."""
    calls: list[object] = []
    real_load = torch.load

    def recording_load(*args, **kwargs):
        calls.append(args[0])
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", recording_load)
    return calls


# ---------------------------------------------------------------------------------------------
# What the network would cost
# ---------------------------------------------------------------------------------------------


def test_a_tiny_checkpoint_asking_for_8192_px_images_is_refused_before_anything_is_built(nothing_is_built):
    # 6 KB on disk; the Inside page took 148 s and 14 GB to open it.
    data = checkpoint_bytes(payload_of("small_cnn", global_pool=True, input_size=8192, channels=[1]))
    assert len(data) < 10_000
    assert refusal(data) == ("This checkpoint's small_cnn takes 8,192 x 8,192 pixel images; cnnviz opens "
                             "networks whose input is at most 512 px a side.")


def test_an_input_size_of_2_to_the_30_gets_a_sentence_not_an_allocation(nothing_is_built):
    payload = payload_of("small_cnn", global_pool=True, input_size=64, channels=[1])
    payload["config"]["input_size"] = 2**30
    assert refusal(checkpoint_bytes(payload)) == (
        "This checkpoint's small_cnn takes 1,073,741,824 x 1,073,741,824 pixel images; cnnviz opens "
        "networks whose input is at most 512 px a side.")


@pytest.mark.parametrize(
    "change, sentence",
    [
        ({"in_channels": 1000, "mean": None, "std": None},
         "This checkpoint's small_cnn takes images with 1,000 channels; cnnviz opens networks whose "
         "input has at most 16."),
        ({"channels": [5000]},
         "This checkpoint's small_cnn has a layer 5,000 channels wide; cnnviz opens networks whose "
         "layers are at most 4,096 wide (VGG-16's widest)."),
    ],
)
def test_absurd_sizes_are_refused_from_the_settings_alone(nothing_is_built, change, sentence):
    payload = payload_of("small_cnn", channels=[4], dropout=0.0)
    payload["config"].update(change)
    assert refusal(checkpoint_bytes(payload)) == sentence


def test_more_classes_than_any_dataset_has_are_refused():
    payload = payload_of("lenet5", num_classes=1001)  # 1001 names too: the old loader opened it
    assert refusal(checkpoint_bytes(payload)) == (
        "This checkpoint's lenet5 has 1,001 classes; cnnviz opens networks with at most 1,000 (ImageNet's).")


def test_a_network_with_few_weights_but_huge_activations_is_refused():
    # 5,386 parameters, but one 512 x 512 image leaves 218 M values across its layers.
    payload = payload_of("small_cnn", input_size=512, channels=[256], convs_per_block=1, global_pool=True)
    assert refusal(checkpoint_bytes(payload)) == (
        "This checkpoint's small_cnn would keep 218,366,730 activation values for one image (833 MB); "
        "cnnviz opens networks of up to 40,000,000 (ResNet-50 keeps 32 million).")


def test_a_network_needing_more_multiply_adds_than_vgg16_is_refused():
    # 5.9 M parameters and 35 M activation values, both allowed; 22.8 billion multiply-adds are not.
    payload = payload_of("tinyvgg", hidden=256, input_size=160, padding=1)
    assert refusal(checkpoint_bytes(payload)) == (
        "This checkpoint's tinyvgg would need 22,830,284,800 multiply-adds per image; cnnviz opens "
        "networks of up to 20,000,000,000 (VGG-16 needs 15.5 billion).")


@pytest.mark.parametrize("name", list_models())
def test_every_registry_network_is_within_every_limit(name):
    skeleton = checkpoints._build(name, {}, torch.device("meta"))
    settings = {key: value for key, value in skeleton.config.items() if key != "name"}
    assert limits.settings_problem(name, settings, skeleton.num_classes) is None
    assert limits.cost_problem(name, skeleton) is None
    assert sum(p.numel() for p in skeleton.parameters()) <= limits.MAX_PARAMETERS


@pytest.mark.parametrize("path", sorted((REPO / "pretrained").glob("*.pt")), ids=lambda p: p.name)
def test_every_shipped_checkpoint_still_loads(path):
    model = load_checkpoint(path)
    assert len(model.classes) == model.num_classes and 0 <= model.meta["test_accuracy"] <= 1


# ---------------------------------------------------------------------------------------------
# The zip around it
# ---------------------------------------------------------------------------------------------


def rezipped(data: bytes, *, compression: int = zipfile.ZIP_STORED, extra: dict[str, bytes] | None = None) -> bytes:
    """``data`` (a torch.save zip) written again with zipfile: recompressed, or with extra entries."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression, compresslevel=1) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        for name, payload in (extra or {}).items():
            target.writestr(name, payload)
    return out.getvalue()


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """A real lenet5 checkpoint whose data.pkl is 1 GiB of zeros, DEFLATE-compressed to ~4.5 MB."""
    from dashboard.testing.crafted_files import zip_bomb

    folder = tmp_path_factory.mktemp("bomb")
    (folder / "real.pt").write_bytes(checkpoint_bytes(payload_of("lenet5")))
    return zip_bomb(folder / "real.pt", folder / "bomb.pt", 2**30)


def test_a_zip_bomb_is_refused_from_its_directory_without_torch_load(zip_bomb, torch_load_calls):
    assert zip_bomb.stat().st_size < 8 * 2**20
    for source in (zip_bomb, zip_bomb.read_bytes()):
        assert refusal(source) == ("This checkpoint file would unpack to 1.0 GB; cnnviz opens checkpoints "
                                   "of up to 827 MB (VGG-16's is 528 MB).")
    assert torch_load_calls == []


def test_refusing_a_zip_bomb_takes_no_memory(zip_bomb):
    # Peak RSS of a fresh process: the old loader inflated the whole gigabyte before refusing.
    script = textwrap.dedent(f"""
        from cnnviz.models import CheckpointError, load_checkpoint

        def peak_mb():
            for line in open("/proc/self/status"):
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) // 1024

        before = peak_mb()
        try:
            load_checkpoint({str(zip_bomb)!r})
        except CheckpointError:
            pass
        print(peak_mb() - before)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) < 100  # MB


def test_compressed_entries_are_refused_even_when_small(torch_load_calls):
    data = rezipped(checkpoint_bytes(payload_of("lenet5")), compression=zipfile.ZIP_DEFLATED)
    assert refusal(data) == ("This checkpoint file has compressed parts, which torch's own save never writes "
                             "(a compressed part can unpack to gigabytes), so cnnviz refuses it.")
    assert torch_load_calls == []


def test_a_zip_with_thousands_of_entries_is_refused(torch_load_calls):
    extra = {f"archive/junk/{i}": b"" for i in range(2500)}
    data = rezipped(checkpoint_bytes(payload_of("lenet5")), extra=extra)
    message = refusal(data)
    assert message.startswith("This checkpoint file lists 2,5") and message.endswith(
        "parts; a cnnviz checkpoint has at most 2,000, so cnnviz refuses it.")
    assert torch_load_calls == []


def with_aliases(data: bytes, name: str, copies: int) -> bytes:
    """``data`` (a zip without zip64 records) with ``copies`` more directory entries pointing at
    the stored bytes of entry ``name``: overlapping entries, whose bytes are read many times."""
    eocd_at = data.rindex(b"PK\x05\x06")
    eocd = bytearray(data[eocd_at:])
    entries, directory_size, directory_at = struct.unpack_from("<HLL", eocd, 10)
    directory = data[directory_at:directory_at + directory_size]
    at = 0
    while at < len(directory):
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", directory, at + 28)
        end = at + 46 + name_length + extra_length + comment_length
        if directory[at + 46:at + 46 + name_length].decode() == name:
            record = directory[at:end]
            break
        at = end
    aliases = b"".join(record[:46] + f"{i:0{name_length}d}".encode() + record[46 + name_length:]
                       for i in range(copies))
    struct.pack_into("<HHL", eocd, 8, entries + copies, entries + copies, directory_size + len(aliases))
    return data[:directory_at] + directory + aliases + bytes(eocd)


def test_entries_that_overlap_are_refused(torch_load_calls):
    # lenet5's c5 weights are 192 KB of its 247 KB; three more names for them read 800 KB.
    data = rezipped(checkpoint_bytes(payload_of("lenet5")))
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    biggest = max(infos, key=lambda info: info.file_size)
    overlapping = with_aliases(data, biggest.filename, copies=3)
    assert len(zipfile.ZipFile(io.BytesIO(overlapping)).infolist()) == len(infos) + 3
    assert refusal(overlapping) == "This file is not a cnnviz checkpoint (it could not be read as a PyTorch file)."
    assert torch_load_calls == []


def test_an_oversized_pickle_is_refused_before_it_is_unpickled(torch_load_calls):
    # torch.load unpickles in pure Python: 60,000 tensor views in 3.7 MB took 8 s.
    payload = payload_of("lenet5")
    payload["meta"]["history"] = [i / 7 for i in range(600_000)]  # 5.4 MB of floats
    assert refusal(checkpoint_bytes(payload)) == (
        "This checkpoint's settings, class names and notes take over 4 MB; cnnviz opens checkpoints "
        "whose notes are smaller (the shipped ones take 40 KB).")
    assert torch_load_calls == []


def test_the_legacy_format_is_refused_with_a_sentence(tmp_path, torch_load_calls):
    data = checkpoint_bytes(payload_of("lenet5"), _use_new_zipfile_serialization=False)
    path = tmp_path / "legacy.pt"
    path.write_bytes(data)
    for source in (data, path):
        assert refusal(source) == (
            "This checkpoint is in PyTorch's old file format (from before version 1.6), which cnnviz does "
            "not open; load it in a current PyTorch and save it again.")
    assert torch_load_calls == []


# ---------------------------------------------------------------------------------------------
# What is inside
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_weights_are_refused(bad):
    payload = payload_of("small_cnn", channels=[4], dropout=0.0)
    payload["state_dict"]["classifier.fc.bias"][3] = bad
    assert refusal(checkpoint_bytes(payload)) == (
        "This checkpoint's weight 'classifier.fc.bias' holds values that are not numbers (NaN or infinite), "
        "as a diverged training run leaves; cnnviz opens only finite weights.")


ACCURACY = "This checkpoint's meta gives a test accuracy that is not a number from 0 to 1; cnnviz refuses it."
EPOCHS = "This checkpoint's meta gives a number of epochs that is not a number from 0 to 100,000; cnnviz refuses it."


@pytest.mark.parametrize(
    "meta, sentence",
    [
        ({"test_accuracy": 1e300}, ACCURACY),
        ({"test_accuracy": float("nan")}, ACCURACY),
        ({"test_accuracy": -0.1}, ACCURACY),
        ({"test_accuracy": True}, ACCURACY),
        ({"test_accuracy": "93%"}, ACCURACY),
        ({"epochs": float("inf")}, EPOCHS),
        ({"epochs": -1}, EPOCHS),
        ({"epochs": 10**12}, EPOCHS),
        ({"dataset": "x" * 61},
         "This checkpoint's meta names its dataset with something other than a text of up to 60 characters."),
        ({"dataset": ["fashion_mnist"] * 10},
         "This checkpoint's meta names its dataset with something other than a text of up to 60 characters."),
        ({"notes": "x" * 5000},
         "This checkpoint's meta holds a text of 5,000 characters; cnnviz opens ones of up to 1,000."),
        ({"steps": 10**100}, "This checkpoint's meta holds a number too large to show; cnnviz refuses it."),
        ({"nested": [[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]},
         "This checkpoint's meta is nested more than 16 deep; cnnviz refuses it."),
        ({3: "a key that is a number"}, "This checkpoint's meta has a key that is not text; cnnviz refuses it."),
        ({"kernel": torch.zeros(2)},
         "This checkpoint's meta holds a Tensor; checkpoints hold only numbers, text, true/false, lists and "
         "dicts there."),
    ],
    ids=lambda value: "+".join(map(str, value)) if isinstance(value, dict) else "",
)
def test_absurd_meta_is_refused(meta, sentence):
    payload = payload_of("lenet5")
    payload["meta"] = meta
    assert refusal(checkpoint_bytes(payload)) == sentence


def test_a_meta_that_repeats_one_list_ten_million_times_is_refused():
    # A few KB of pickle (shared references) beside lenet5's 247 KB of weights; np.asarray on
    # the Inside page would expand it to 10 M floats.
    row = [0.0] * 1000
    block = [row] * 1000
    payload = payload_of("lenet5")
    payload["meta"] = {"kernel_snapshots": [block] * 10}
    data = checkpoint_bytes(payload)
    assert len(data) < 300_000
    assert refusal(data) == "This checkpoint's meta holds more than 2,000,000 values; cnnviz refuses it."


def test_a_meta_like_a_long_training_run_loads():
    payload = payload_of("small_cnn", channels=[128], dropout=0.0, kernel_size=5)
    snapshot = torch.rand(128, 1, 5, 5).tolist()
    payload["meta"] = {"test_accuracy": 1.0, "epochs": 50, "test_loss": float("nan"),
                       "kernel_snapshots": [snapshot] * 51, "device": "cpu", "dataset": "fashion-mnist"}
    assert load_checkpoint(checkpoint_bytes(payload)).meta["epochs"] == 50


def test_an_overlong_class_name_is_refused():
    payload = payload_of("lenet5")
    payload["classes"][2] = "P" * 1000
    assert refusal(checkpoint_bytes(payload)) == (
        "This checkpoint has a class name of 1,000 characters; cnnviz shows names of up to 60.")


def test_hostile_names_are_quoted_short():
    payload = payload_of("lenet5")
    payload["config"]["name"] = "lenet" + "5" * 10**6
    assert refusal(checkpoint_bytes(payload)) == (
        "This checkpoint's config holds a text of 1,000,005 characters; cnnviz opens ones of up to 1,000.")
    payload = payload_of("lenet5")
    payload["state_dict"]["evil\n" + "x" * 10**5] = torch.zeros(1)
    message = refusal(checkpoint_bytes(payload))
    assert len(message) < 200 and "\n" not in message
    assert message.startswith("This checkpoint is for lenet5 but its weights do not fit: it has a weight 'evil?xxx")
    assert message.endswith("xxx...' that the model does not have.")
