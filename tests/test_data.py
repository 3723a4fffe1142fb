"""Tests for cnnviz.data: where each dataset is found, what it holds, and the command line.

Every test runs with CNNVIZ_HOME in a fresh temporary folder and the Debian Fashion-MNIST folder
pointed at an empty one, unless it says otherwise, so results do not depend on this machine's cache.
"""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnviz import data
from cnnviz.data import (
    DATASET_NAMES,
    DEFAULT_DATASET,
    DatasetUnavailable,
    clear_cache,
    dataset_info,
    dataset_status,
    fetch,
    load_dataset,
    to_float,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
IDX_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
# The user's own cache, read before any test points CNNVIZ_HOME elsewhere.
USER_HOME = Path(os.environ.get("CNNVIZ_HOME") or REPO_ROOT / "data")
REAL_DEBIAN_DIR = data.DEBIAN_FASHION_MNIST_DIR
HAS_REAL_DEBIAN = all((REAL_DEBIAN_DIR / f"{name}.gz").is_file() for name in IDX_NAMES)
# A proxy on the discard port refuses every connection at once: downloads fail in milliseconds,
# whether or not the machine running the tests is online.
OFFLINE_ENV = {key: "http://127.0.0.1:9" for key in
               ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")}
OFFLINE_ENV.update(no_proxy="", NO_PROXY="")


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """A fresh CNNVIZ_HOME, no Debian files, and no dataset left loaded from another test."""
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "home"))
    monkeypatch.setenv(data.DEBIAN_FASHION_MNIST_ENV, str(tmp_path / "debian"))
    clear_cache()
    yield tmp_path / "home"
    clear_cache()


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding by hand: magic 2051 (images) or 2049 (labels), big-endian dims, uint8 data."""
    magic = {3: 2051, 1: 2049}[array.ndim]
    return struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes()


def fake_fashion_mnist(seed: int, n_train: int = 5, n_test: int = 3, size: int = 28):
    """Random images and labels: {IDX file name: array}."""
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, size, size), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, size, size), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_debian(folder: Path, arrays: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))


def write_cache(folder: Path, arrays: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        (folder / name).write_bytes(idx_bytes(array))


def assert_matches(dataset, arrays: dict) -> None:
    expected_train = torch.from_numpy(arrays["train-images-idx3-ubyte"]).unsqueeze(1)
    expected_test = torch.from_numpy(arrays["t10k-images-idx3-ubyte"]).unsqueeze(1)
    assert torch.equal(dataset.train_images, expected_train)
    assert torch.equal(dataset.test_images, expected_test)
    assert torch.equal(dataset.train_labels, torch.from_numpy(arrays["train-labels-idx1-ubyte"]).long())
    assert torch.equal(dataset.test_labels, torch.from_numpy(arrays["t10k-labels-idx1-ubyte"]).long())


def run_cli(*args: str, home: Path, debian: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, **OFFLINE_ENV, "CNNVIZ_HOME": str(home),
           data.DEBIAN_FASHION_MNIST_ENV: str(debian)}
    return subprocess.run([sys.executable, "-m", "cnnviz.data", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


# --- dataset_info and to_float -----------------------------------------------------------------


def test_dataset_info_describes_every_dataset_consistently():
    assert DEFAULT_DATASET == "fashion-mnist" == DATASET_NAMES[0]
    for name in DATASET_NAMES:
        info = dataset_info(name)
        assert info.name == name
        assert len(info.classes) == 10
        assert len(info.mean) == len(info.std) == info.channels
    assert dataset_info("cifar10").channels == 3
    assert not dataset_info("cifar10").white_on_black
    assert dataset_info("fashion-mnist").white_on_black and dataset_info("mnist").white_on_black


def test_dataset_info_rejects_an_unknown_name_listing_the_known_ones():
    with pytest.raises(ValueError) as raised:
        dataset_info("imagenet")
    for name in DATASET_NAMES:
        assert name in str(raised.value)
    with pytest.raises(ValueError):
        load_dataset("imagenet")


def test_to_float_maps_0_255_onto_0_1_as_float32():
    images = torch.tensor([0, 51, 128, 255], dtype=torch.uint8).reshape(1, 1, 2, 2)
    floats = to_float(images)
    assert floats.dtype == torch.float32 and floats.shape == (1, 1, 2, 2)
    assert torch.allclose(floats.flatten(), torch.tensor([0.0, 0.2, 128 / 255, 1.0]))


# --- Fashion-MNIST search order, with tiny fake IDX files ---------------------------------------


def test_fashion_mnist_is_unpacked_from_debian_files_into_the_cache(home, tmp_path):
    arrays = fake_fashion_mnist(seed=0)
    write_debian(tmp_path / "debian", arrays)
    raw = home / "datasets" / "FashionMNIST" / "raw"

    status = dataset_status()[0]
    assert (status.name, status.available, status.location) == (
        "fashion-mnist", True, str(tmp_path / "debian"))
    assert not raw.exists(), "dataset_status must not unpack anything"

    dataset = load_dataset()
    assert dataset.name == "fashion-mnist" and dataset.train_images.shape == (5, 1, 28, 28)
    assert dataset.train_images.dtype == torch.uint8 and dataset.train_labels.dtype == torch.int64
    assert_matches(dataset, arrays)
    # Exactly the four files torchvision expects, with no temporary file left behind.
    assert sorted(path.name for path in raw.iterdir()) == sorted(IDX_NAMES)
    for name in IDX_NAMES:
        packed = (tmp_path / "debian" / f"{name}.gz").read_bytes()
        assert (raw / name).read_bytes() == gzip.decompress(packed)
    assert dataset_status()[0].location == str(raw)


def test_fashion_mnist_cache_is_read_before_debian_files(home, tmp_path):
    cached, packaged = fake_fashion_mnist(seed=1), fake_fashion_mnist(seed=2)
    write_cache(home / "datasets" / "FashionMNIST" / "raw", cached)
    write_debian(tmp_path / "debian", packaged)
    assert_matches(load_dataset("fashion-mnist"), cached)

    # And the cache alone is enough.
    clear_cache()
    for path in (tmp_path / "debian").iterdir():
        path.unlink()
    assert_matches(load_dataset("fashion-mnist"), cached)


def test_fashion_mnist_missing_everywhere_names_the_fetch_command(home):
    with pytest.raises(DatasetUnavailable) as raised:
        load_dataset("fashion-mnist")
    message = str(raised.value)
    assert "`python -m cnnviz.data fetch fashion-mnist`" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "\n" not in message
    status = dataset_status()[0]
    assert not status.available and status.location is None
    assert status.how_to_get == "python -m cnnviz.data fetch fashion-mnist"


def test_files_of_the_wrong_shape_are_reported_as_unreadable(home):
    raw = home / "datasets" / "FashionMNIST" / "raw"
    write_cache(raw, fake_fashion_mnist(seed=3, size=8))
    with pytest.raises(DatasetUnavailable, match=r"\(1, 28, 28\)") as raised:
        load_dataset("fashion-mnist")
    assert str(raw) in str(raised.value)


def test_fetch_fashion_mnist_unpacks_debian_files_and_returns_the_cache_folder(home, tmp_path):
    write_debian(tmp_path / "debian", fake_fashion_mnist(seed=4))
    raw = home / "datasets" / "FashionMNIST" / "raw"
    assert fetch("fashion-mnist", progress=False) == str(raw)
    assert all((raw / name).is_file() for name in IDX_NAMES)


def test_a_dataset_is_loaded_once_and_shared_between_threads(tmp_path):
    write_debian(tmp_path / "debian", fake_fashion_mnist(seed=5))
    results = []
    threads = [threading.Thread(target=lambda: results.append(load_dataset())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(result is results[0] for result in results)
    assert load_dataset() is results[0]
    clear_cache()
    assert load_dataset() is not results[0]


# --- The real Fashion-MNIST (Debian package) ----------------------------------------------------


@pytest.fixture(scope="module")
def real_fashion_mnist(tmp_path_factory):
    if not HAS_REAL_DEBIAN:
        pytest.skip("the Debian package dataset-fashion-mnist is not installed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CNNVIZ_HOME", str(tmp_path_factory.mktemp("real-home")))
        patch.setenv(data.DEBIAN_FASHION_MNIST_ENV, str(REAL_DEBIAN_DIR))
        clear_cache()
        dataset = load_dataset("fashion-mnist")
        clear_cache()
    return dataset


def test_real_fashion_mnist_sizes_types_and_balanced_labels(real_fashion_mnist):
    dataset = real_fashion_mnist
    assert dataset.train_images.shape == (60000, 1, 28, 28)
    assert dataset.test_images.shape == (10000, 1, 28, 28)
    assert dataset.train_images.dtype == dataset.test_images.dtype == torch.uint8
    assert dataset.train_labels.dtype == dataset.test_labels.dtype == torch.int64
    assert torch.equal(torch.bincount(dataset.train_labels), torch.full((10,), 6000))
    assert torch.equal(torch.bincount(dataset.test_labels), torch.full((10,), 1000))
    assert dataset.classes == ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
    assert int(dataset.train_images.min()) == 0 and int(dataset.train_images.max()) == 255


def channel_stats(images: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per-channel mean and population std of uint8 (N, C, H, W) images, in [0, 1]."""
    pixels = images.double().div(255).transpose(0, 1).flatten(1)  # (C, N*H*W)
    return pixels.mean(dim=1).tolist(), pixels.std(dim=1, unbiased=False).tolist()


def test_real_fashion_mnist_mean_std_constants(real_fashion_mnist):
    mean, std = channel_stats(real_fashion_mnist.train_images)
    assert mean == pytest.approx(real_fashion_mnist.info.mean, abs=5e-4)
    assert std == pytest.approx(real_fashion_mnist.info.std, abs=5e-4)


def corner_and_overall_mean(images: torch.Tensor) -> tuple[float, float]:
    """Mean of the four corner pixels (background, in every dataset here) and of all pixels."""
    pixels = images.double()
    corners = pixels[..., [0, -1], :][..., [0, -1]]  # (N, C, 2, 2)
    return corners.mean().item(), pixels.mean().item()


def test_real_fashion_mnist_is_light_objects_on_a_dark_background(real_fashion_mnist):
    corners, overall = corner_and_overall_mean(real_fashion_mnist.train_images)
    assert real_fashion_mnist.info.white_on_black and corners < overall / 10


# --- digits (scikit-learn, always there) --------------------------------------------------------


def test_digits_split_shapes_and_values():
    from sklearn.datasets import load_digits

    dataset = load_dataset("digits")
    assert dataset.train_images.shape == (1437, 1, 8, 8)
    assert dataset.test_images.shape == (360, 1, 8, 8)
    assert dataset.train_images.dtype == torch.uint8 and dataset.train_labels.dtype == torch.int64
    assert dataset.classes == tuple("0123456789")
    # Ink levels 0..16 become round(v * 255 / 16): 0, 16, 32, ..., 127.5 -> 128, ..., 255.
    values = torch.unique(torch.cat([dataset.train_images, dataset.test_images]))
    assert values.tolist() == [round(v * 255 / 16 + 1e-9) for v in range(17)]
    assert values.tolist()[8] == 128
    # Every digit is used once: class counts and total ink match scikit-learn's.
    digits = load_digits()
    all_labels = torch.cat([dataset.train_labels, dataset.test_labels])
    assert torch.bincount(all_labels).tolist() == np.bincount(digits.target).tolist()
    scaled_total = int(((digits.images.astype(np.int64) * 255 + 8) // 16).sum())
    assert int(dataset.train_images.long().sum() + dataset.test_images.long().sum()) == scaled_total
    # Stratified: 36 +- 1 test images of each class.
    assert all(35 <= count <= 37 for count in torch.bincount(dataset.test_labels).tolist())


def test_digits_split_is_deterministic_and_constants_match_the_data():
    first = load_dataset("digits")
    clear_cache()
    second = load_dataset("digits")
    assert first is not second
    assert torch.equal(first.train_images, second.train_images)
    assert torch.equal(first.test_labels, second.test_labels)
    mean, std = channel_stats(first.train_images)
    assert mean == pytest.approx(first.info.mean, abs=5e-4)
    assert std == pytest.approx(first.info.std, abs=5e-4)
    corners, overall = corner_and_overall_mean(first.train_images)
    assert first.info.white_on_black and corners < overall / 10


# --- MNIST and CIFAR-10 (torchvision) -----------------------------------------------------------


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_torchvision_dataset_missing_offline_names_the_fetch_command(name):
    with pytest.raises(DatasetUnavailable) as raised:
        load_dataset(name)
    message = str(raised.value)
    assert f"`python -m cnnviz.data fetch {name}` while online" in message
    assert dataset_info(name).title in message and "apt-get" not in message


@pytest.mark.parametrize("name, attribute", [("mnist", "mirrors"), ("cifar10", "url")])
def test_unreachable_download_server_fails_fast_with_one_sentence(name, attribute, monkeypatch):
    import torchvision.datasets

    dataset_class = {"mnist": torchvision.datasets.MNIST, "cifar10": torchvision.datasets.CIFAR10}[name]
    # .invalid never resolves (RFC 2606), so this fails the same way online and offline.
    url = "http://cnnviz-offline.invalid/"
    monkeypatch.setattr(dataset_class, attribute, [url] if attribute == "mirrors" else url)
    for key in OFFLINE_ENV:
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(DatasetUnavailable) as raised:
        load_dataset(name, download=True)
    message = str(raised.value)
    assert f"`python -m cnnviz.data fetch {name}`" in message
    assert "cannot reach cnnviz-offline.invalid" in message and "\n" not in message
    with pytest.raises(DatasetUnavailable):  # a failure is not remembered as a dataset
        load_dataset(name)


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_constants_match_torchvision_datasets_where_cached(name):
    """Runs only where the user's own cache (not the test one) holds the dataset."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CNNVIZ_HOME", str(USER_HOME))
        if not dataset_status()[DATASET_NAMES.index(name)].available:
            pytest.skip(f"{name} is not cached under {USER_HOME}")
        dataset = load_dataset(name)
    mean, std = channel_stats(dataset.train_images)
    assert mean == pytest.approx(dataset.info.mean, abs=5e-4)
    assert std == pytest.approx(dataset.info.std, abs=5e-4)
    assert dataset.train_images.shape[1:] == (dataset.info.channels, dataset.info.height,
                                              dataset.info.width)


# --- dataset_status -----------------------------------------------------------------------------


def test_dataset_status_with_nothing_cached():
    statuses = {status.name: status for status in dataset_status()}
    assert list(statuses) == list(DATASET_NAMES)
    for name in ("fashion-mnist", "mnist", "cifar10"):
        assert not statuses[name].available and statuses[name].location is None
        assert statuses[name].how_to_get == f"python -m cnnviz.data fetch {name}"
        assert statuses[name].title == dataset_info(name).title
    digits = statuses["digits"]
    assert digits.available and digits.how_to_get == "" and Path(digits.location).is_file()
    # The upsampled digits are made from the same bundled file: there whenever the digits are.
    upsampled = statuses["digits-28"]
    assert (upsampled.available, upsampled.location, upsampled.how_to_get) == (True, digits.location, "")
    assert upsampled.title == "Digits (8x8 upsampled to 28x28)"


def test_dataset_status_sees_files_in_torchvision_layout(home):
    mnist_raw = home / "datasets" / "MNIST" / "raw"
    mnist_raw.mkdir(parents=True)
    for name in IDX_NAMES[:3]:
        (mnist_raw / name).touch()
    assert not dataset_status()[1].available, "three of four files is not a dataset"
    (mnist_raw / IDX_NAMES[3]).touch()
    cifar = home / "datasets" / "cifar-10-batches-py"
    cifar.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]:
        (cifar / name).touch()
    statuses = dataset_status()
    assert (statuses[1].available, statuses[1].location, statuses[1].how_to_get) == (
        True, str(mnist_raw), "")
    assert (statuses[2].available, statuses[2].location) == (True, str(cifar))


def test_dataset_status_does_not_import_torch(tmp_path):
    write_debian(tmp_path / "debian", fake_fashion_mnist(seed=6))
    code = "import sys, cnnviz.data as d; s = d.dataset_status(); print(s[0].available, 'torch' in sys.modules)"
    env = {**os.environ, "CNNVIZ_HOME": str(tmp_path / "home"),
           data.DEBIAN_FASHION_MNIST_ENV: str(tmp_path / "debian")}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["True", "False"], result.stderr


# --- command line -------------------------------------------------------------------------------


def test_cli_status_prints_every_dataset(home, tmp_path):
    result = run_cli("status", home=home, debian=tmp_path / "debian")
    assert result.returncode == 0, result.stderr
    for name in DATASET_NAMES:
        assert name in result.stdout
    assert "python -m cnnviz.data fetch mnist" in result.stdout
    fetched = run_cli("fetch", "digits-28", home=home, debian=tmp_path / "debian")
    assert fetched.returncode == 0 and "Digits (8x8 upsampled to 28x28): ready in" in fetched.stdout, fetched.stderr


def test_cli_fetch_fashion_mnist_puts_the_files_in_the_cache(home, tmp_path):
    write_debian(tmp_path / "debian", fake_fashion_mnist(seed=7))
    result = run_cli("fetch", "fashion-mnist", home=home, debian=tmp_path / "debian")
    assert result.returncode == 0, result.stderr
    raw = home / "datasets" / "FashionMNIST" / "raw"
    assert sorted(path.name for path in raw.iterdir()) == sorted(IDX_NAMES)
    assert str(raw) in result.stdout


def test_cli_fetch_mnist_offline_fails_with_a_sentence_not_a_traceback(home, tmp_path):
    result = run_cli("fetch", "mnist", home=home, debian=tmp_path / "debian")
    assert result.returncode != 0
    assert "MNIST is not on this machine. Run `python -m cnnviz.data fetch mnist` while online." \
        in result.stderr
    assert "The download failed:" in result.stderr
    assert "Traceback" not in result.stderr
