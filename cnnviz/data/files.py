"""Where each dataset's files are, and whether it can be loaded offline (cheap: only looks at the
file system)."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from cnnviz.data.catalog import DATASET_NAMES, SKLEARN_DATASETS, dataset_info
from cnnviz.paths import datasets_dir


DEBIAN_FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
DEBIAN_FASHION_MNIST_ENV = "CNNVIZ_DEBIAN_FASHION_MNIST"  # tests point this at fake files

# Raw file names in torchvision's layout; MNIST and Fashion-MNIST share them.
_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")


@dataclass(frozen=True)
class DatasetStatus:
    """Whether a dataset can be loaded offline, and if not, the command that fetches it."""

    name: str
    title: str
    available: bool
    location: str | None
    how_to_get: str


def _fetch_command(name: str) -> str:
    return f"python -m cnnviz.data fetch {name}"


def _unavailable_sentence(name: str) -> str:
    title = dataset_info(name).title
    sentence = f"{title} is not on this machine. Run `{_fetch_command(name)}` while online"
    if name == "fashion-mnist":
        sentence += ", or install the Debian package: `sudo apt-get install dataset-fashion-mnist`"
    return sentence + "."


def _debian_fashion_mnist_dir() -> Path:
    return Path(os.environ.get(DEBIAN_FASHION_MNIST_ENV) or DEBIAN_FASHION_MNIST_DIR)


def _debian_gz_files() -> list[Path]:
    return [_debian_fashion_mnist_dir() / f"{file}.gz" for file in _IDX_FILES]


def _cache_folder(name: str) -> Path:
    """The folder torchvision reads `name` from (and downloads it into)."""
    folders = {
        "fashion-mnist": Path("FashionMNIST", "raw"),
        "mnist": Path("MNIST", "raw"),
        "cifar10": Path("cifar-10-batches-py"),
    }
    return datasets_dir() / folders[name]


def _cache_files(name: str) -> list[Path]:
    files = _CIFAR10_FILES if name == "cifar10" else _IDX_FILES
    return [_cache_folder(name) / file for file in files]


def _digits_file() -> Path | None:
    """scikit-learn's bundled digits file, found without importing scikit-learn."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    return path if path.is_file() else None


def _local_location(name: str) -> str | None:
    """Where `name` would be loaded from without the network, or None."""
    if name in SKLEARN_DATASETS:
        digits_file = _digits_file()
        return str(digits_file) if digits_file else None
    if all(path.is_file() for path in _cache_files(name)):
        return str(_cache_folder(name))
    if name == "fashion-mnist" and all(path.is_file() for path in _debian_gz_files()):
        return str(_debian_fashion_mnist_dir())
    return None


def dataset_status() -> list[DatasetStatus]:
    """Which datasets can be loaded offline. Cheap: checks that files exist, loads nothing."""
    statuses = []
    for name in DATASET_NAMES:
        location = _local_location(name)
        how_to_get = ""
        if location is None:
            how_to_get = "pip install scikit-learn" if name in SKLEARN_DATASETS else _fetch_command(name)
        statuses.append(DatasetStatus(name, dataset_info(name).title, location is not None,
                                      location, how_to_get))
    return statuses
