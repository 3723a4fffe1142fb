"""The image datasets cnnviz trains and explains on, loaded once per process as uint8 tensors.

Each dataset comes back whole, as ``(N, C, H, W)`` uint8 tensors plus int64 labels (the airbench
way: batches are taken by indexing, augmentation is a batched tensor op, no per-sample PIL work).

Where the files come from, in order:

- Fashion-MNIST (the default): the cache ``<datasets_dir>/FashionMNIST/raw/`` (torchvision's
  layout), else the Debian package's gzipped IDX files (``apt-get install dataset-fashion-mnist``),
  gunzipped into the cache once, else torchvision's download when ``download=True``.
- MNIST, CIFAR-10: torchvision's own layout under ``datasets_dir()``; download only when asked.
- digits: scikit-learn's bundled 8x8 digits, always there.

Command line::

    python -m cnnviz.data status
    python -m cnnviz.data fetch fashion-mnist|mnist|cifar10|digits|all
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import os
import re
import socket
import sys
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cnnviz.paths import atomic_path, datasets_dir

if TYPE_CHECKING:  # torch is imported where tensors are made, so `status` starts fast
    import torch

DATASET_NAMES = ("fashion-mnist", "mnist", "cifar10", "digits")
DEFAULT_DATASET = "fashion-mnist"

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
_DIGITS_TEST_SIZE = 360  # 1797 digits -> 1437 train / 360 test
_DIGITS_SPLIT_SEED = 0
_CONNECT_TIMEOUT_S = 10.0


class DatasetUnavailable(RuntimeError):
    """A dataset is not on this machine (or could not be fetched); the message says what to run."""


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, known without loading it.

    Attributes:
        name: the key in DATASET_NAMES, e.g. "fashion-mnist".
        title: the name to show people, e.g. "Fashion-MNIST".
        channels, height, width: the shape of one image, C x H x W.
        classes: class names, indexed by label.
        white_on_black: True when objects are light on a dark background (MNIST, Fashion-MNIST,
            digits), so a photo of a dark object on light paper must be inverted before a model
            trained on this dataset sees it.
        mean, std: per-channel mean and standard deviation of the training images in [0, 1].
        source: one line saying where the data comes from.
    """

    name: str
    title: str
    channels: int
    height: int
    width: int
    classes: tuple[str, ...]
    white_on_black: bool
    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str


_DIGIT_CLASSES = tuple(str(d) for d in range(10))

_INFOS = {
    info.name: info
    for info in (
        DatasetInfo(
            name="fashion-mnist",
            title="Fashion-MNIST",
            channels=1,
            height=28,
            width=28,
            classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
            white_on_black=True,
            mean=(0.2860,),
            std=(0.3530,),
            source="Zalando Research (Xiao et al., 2017), github.com/zalandoresearch/fashion-mnist",
        ),
        DatasetInfo(
            name="mnist",
            title="MNIST",
            channels=1,
            height=28,
            width=28,
            classes=_DIGIT_CLASSES,
            white_on_black=True,
            mean=(0.1307,),
            std=(0.3081,),
            source="LeCun, Cortes & Burges, yann.lecun.com/exdb/mnist, downloaded by torchvision",
        ),
        DatasetInfo(
            name="cifar10",
            title="CIFAR-10",
            channels=3,
            height=32,
            width=32,
            classes=("airplane", "automobile", "bird", "cat", "deer",
                     "dog", "frog", "horse", "ship", "truck"),
            white_on_black=False,
            mean=(0.4914, 0.4822, 0.4465),
            std=(0.2470, 0.2435, 0.2616),
            source="Krizhevsky (2009), www.cs.toronto.edu/~kriz/cifar.html, downloaded by torchvision",
        ),
        DatasetInfo(
            name="digits",
            title="Digits (8x8)",
            channels=1,
            height=8,
            width=8,
            classes=_DIGIT_CLASSES,
            white_on_black=True,
            # Measured on the 1437-image training split below, after scaling 0..16 to 0..255.
            mean=(0.3054,),
            std=(0.3760,),
            source="UCI optical handwritten digits, bundled with scikit-learn (load_digits)",
        ),
    )
}


def dataset_info(name: str) -> DatasetInfo:
    """Describe a dataset without loading it.

    Raises:
        ValueError: for a name not in DATASET_NAMES.
    """
    try:
        return _INFOS[name]
    except KeyError:
        raise ValueError(
            f"Unknown dataset {name!r}; choose one of: {', '.join(DATASET_NAMES)}."
        ) from None


@dataclass(frozen=True, eq=False)  # eq=False: comparing tensors field by field is ambiguous
class ImageDataset:
    """One whole dataset in memory. Shared between sessions: never modify the tensors in place.

    Attributes:
        info: what the dataset is (classes, mean/std, ...).
        train_images: uint8 (N_train, C, H, W), values 0..255.
        train_labels: int64 (N_train,), values 0..len(classes)-1.
        test_images: uint8 (N_test, C, H, W).
        test_labels: int64 (N_test,).
    """

    info: DatasetInfo
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def classes(self) -> tuple[str, ...]:
        return self.info.classes

    def __repr__(self) -> str:
        return (
            f"ImageDataset({self.name!r}, train={tuple(self.train_images.shape)}, "
            f"test={tuple(self.test_images.shape)}, classes={len(self.classes)})"
        )


@dataclass(frozen=True)
class DatasetStatus:
    """Whether a dataset can be loaded offline, and if not, the command that fetches it."""

    name: str
    title: str
    available: bool
    location: str | None
    how_to_get: str


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (any shape, values 0..255) -> float32 of the same shape in [0, 1]."""
    return images.float() / 255  # .float() is float32


# ---------------------------------------------------------------------------------------------
# Where the files are (cheap: only looks at the file system)


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
    if name == "digits":
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
            how_to_get = "pip install scikit-learn" if name == "digits" else _fetch_command(name)
        statuses.append(DatasetStatus(name, dataset_info(name).title, location is not None,
                                      location, how_to_get))
    return statuses


# ---------------------------------------------------------------------------------------------
# Getting the files into the cache


def _short_reason(error: BaseException) -> str:
    """One short clause from an exception: the last line, without urllib's <urlopen error ...>."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = lines[-1] if lines else type(error).__name__
    reason = re.sub(r"^<urlopen error (.*)>$", r"\1", reason)
    return reason[:200].rstrip(".")


def _decompress_debian_fashion_mnist(progress: bool) -> None:
    """Gunzip the Debian package's four IDX files into the cache, each one atomically."""
    from tqdm import tqdm

    sources = _debian_gz_files()
    folder = _cache_folder("fashion-mnist")
    total = sum(source.stat().st_size for source in sources)
    done = 0  # compressed bytes of the files already finished
    try:
        with tqdm(total=total, unit="B", unit_scale=True, desc="Fashion-MNIST (unpacking)",
                  disable=not progress) as bar:
            for source, target in zip(sources, _IDX_FILES):
                with atomic_path(folder / target) as tmp, open(source, "rb") as packed, \
                        gzip.open(packed) as unpacked, open(tmp, "wb") as out:
                    while chunk := unpacked.read(1 << 20):
                        out.write(chunk)
                        bar.update(done + packed.tell() - bar.n)
                done += source.stat().st_size
    except (OSError, EOFError) as error:
        raise DatasetUnavailable(
            f"The Fashion-MNIST files in {_debian_fashion_mnist_dir()} could not be unpacked "
            f"({_short_reason(error)}); reinstall `dataset-fashion-mnist` or run "
            f"`{_fetch_command('fashion-mnist')}` while online."
        ) from error


def _check_reachable(name: str, urls: list[str]) -> None:
    """Fail in seconds, not minutes, when none of the download servers can be reached.

    A firewall that drops packets would otherwise leave urllib waiting for the OS's TCP timeout.
    Skipped behind a proxy, where a direct connection says nothing about reachability.
    """
    if urllib.request.getproxies():
        return
    hosts, reason = [], ""
    for url in urls:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            socket.create_connection((parts.hostname, port), timeout=_CONNECT_TIMEOUT_S).close()
            return
        except OSError as error:
            hosts.append(parts.hostname)
            reason = _short_reason(error)
    raise DatasetUnavailable(
        f"{_unavailable_sentence(name)} The download failed: cannot reach "
        f"{', '.join(hosts)} ({reason})."
    )


def _torchvision_class(name: str):
    from torchvision import datasets

    return {"fashion-mnist": datasets.FashionMNIST, "mnist": datasets.MNIST,
            "cifar10": datasets.CIFAR10}[name]


def _download(name: str) -> None:
    """Download `name` with torchvision (its own progress bar) into its cache folder."""
    dataset_class = _torchvision_class(name)
    urls = list(getattr(dataset_class, "mirrors", None) or [dataset_class.url])
    _check_reachable(name, urls)
    try:
        # The test split is the smaller one to load after the download; both are downloaded.
        dataset_class(root=str(datasets_dir()), train=False, download=True)
    except Exception as error:  # a boundary: whatever broke, the user gets one sentence
        raise DatasetUnavailable(
            f"{_unavailable_sentence(name)} The download failed: {_short_reason(error)}."
        ) from error


def _make_local(name: str, *, download: bool, progress: bool) -> str:
    """Make `name` loadable offline (cache, then Debian files, then download); return where."""
    if name == "digits":
        location = _local_location("digits")
        if location is None:
            raise DatasetUnavailable(
                "The digits dataset comes with scikit-learn: run `pip install scikit-learn`."
            )
        return location
    folder = _cache_folder(name)
    if all(path.is_file() for path in _cache_files(name)):
        return str(folder)
    if name == "fashion-mnist" and all(path.is_file() for path in _debian_gz_files()):
        _decompress_debian_fashion_mnist(progress)
        return str(folder)
    if not download:
        raise DatasetUnavailable(_unavailable_sentence(name))
    _download(name)
    return str(folder)


def fetch(name: str, *, progress: bool = True) -> str:
    """Prepare a dataset for offline use and return the folder (or file) it is now in.

    Fashion-MNIST is unpacked from the Debian package when that is installed, else downloaded;
    MNIST and CIFAR-10 are downloaded by torchvision; digits needs nothing.

    Raises:
        ValueError: for an unknown name.
        DatasetUnavailable: when the download fails; the message says why in one clause.
    """
    dataset_info(name)
    return _make_local(name, download=True, progress=progress)


# ---------------------------------------------------------------------------------------------
# Reading the files into tensors


def _read_torchvision(name: str):
    """Read a cached torchvision dataset -> (train_images, train_labels, test_images, test_labels)."""
    import torch

    dataset_class = _torchvision_class(name)
    splits = [dataset_class(root=str(datasets_dir()), train=train, download=False)
              for train in (True, False)]
    tensors = []
    for split in splits:
        if name == "cifar10":
            images = torch.from_numpy(split.data).permute(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)
            labels = torch.tensor(split.targets, dtype=torch.int64)
        else:
            images = split.data.unsqueeze(1)  # (N, H, W) -> (N, 1, H, W)
            labels = split.targets.to(torch.int64)
        tensors += [images.contiguous(), labels]
    return tuple(tensors)


def _read_digits():
    """scikit-learn's digits as uint8 tensors, split 1437 / 360, stratified with a fixed seed."""
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    values = torch.from_numpy(digits.images.astype(np.int64))  # (1797, 8, 8), ink 0..16
    # round(v * 255 / 16) in integers: exact, and the one tie (v = 8 -> 127.5) rounds up.
    images = ((values * 255 + 8) // 16).to(torch.uint8).unsqueeze(1)  # (1797, 1, 8, 8)
    labels = torch.from_numpy(digits.target.astype(np.int64))
    train_index, test_index = train_test_split(
        np.arange(len(labels)), test_size=_DIGITS_TEST_SIZE, stratify=digits.target,
        random_state=_DIGITS_SPLIT_SEED,
    )
    train_index, test_index = torch.from_numpy(train_index), torch.from_numpy(test_index)
    return images[train_index], labels[train_index], images[test_index], labels[test_index]


def _read(name: str) -> ImageDataset:
    info = dataset_info(name)
    if name == "digits":
        return ImageDataset(info, *_read_digits())
    location = _cache_folder(name)
    try:
        dataset = ImageDataset(info, *_read_torchvision(name))
    except (RuntimeError, OSError, ValueError, AssertionError, EOFError) as error:
        reason = _short_reason(error)
    else:
        expected = (info.channels, info.height, info.width)
        shapes = [tuple(images.shape[1:]) for images in (dataset.train_images, dataset.test_images)]
        if shapes == [expected, expected]:
            return dataset
        reason = f"images are {shapes[0]}, expected {expected}"
    raise DatasetUnavailable(
        f"The {info.title} files in {location} could not be read ({reason}); delete that folder "
        f"and run `{_fetch_command(name)}` again."
    )


_loaded: dict[str, ImageDataset] = {}
# One lock per dataset: Streamlit serves sessions from threads, and two sessions asking for the
# same dataset at once must load (and unpack) it once; other datasets need not wait.
_locks = {name: threading.Lock() for name in DATASET_NAMES}


def load_dataset(name: str = DEFAULT_DATASET, *, download: bool = False) -> ImageDataset:
    """Load a whole dataset as uint8 tensors; once per process, later calls return the same object.

    Args:
        name: one of DATASET_NAMES.
        download: let torchvision download it when it is not on this machine.

    Returns:
        ImageDataset with train/test images uint8 (N, C, H, W) and labels int64 (N,).

    Raises:
        ValueError: for an unknown name.
        DatasetUnavailable: when the data is not here (and download is False) or fetching failed.

    Example:
        >>> data = load_dataset("digits")
        >>> data.train_images.shape
        torch.Size([1437, 1, 8, 8])
    """
    dataset_info(name)
    with _locks[name]:
        if name not in _loaded:
            _make_local(name, download=download, progress=False)
            _loaded[name] = _read(name)
        return _loaded[name]


def clear_cache() -> None:
    """Forget the datasets loaded in this process (tests use it after changing CNNVIZ_HOME)."""
    for name in DATASET_NAMES:
        with _locks[name]:
            _loaded.pop(name, None)


# ---------------------------------------------------------------------------------------------
# Command line


def _status_table(statuses: list[DatasetStatus]) -> str:
    rows = [("dataset", "title", "ready", "where / how to get it")]
    rows += [(s.name, s.title, "yes" if s.available else "no", s.location or s.how_to_get)
             for s in statuses]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3]
        for row in rows
    )


def main(argv: list[str] | None = None) -> int:
    """`status` prints what is here; `fetch NAME|all` prepares data for offline use."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnviz.data",
        description="See which datasets cnnviz can load offline, and fetch the missing ones.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="show which datasets are on this machine")
    fetch_parser = commands.add_parser("fetch", help="prepare a dataset for offline use")
    fetch_parser.add_argument("name", choices=(*DATASET_NAMES, "all"))
    args = parser.parse_args(argv)

    if args.command == "status":
        print(_status_table(dataset_status()))
        return 0
    failed = False
    for name in DATASET_NAMES if args.name == "all" else (args.name,):
        try:
            print(f"{dataset_info(name).title}: ready in {fetch(name)}")
        except DatasetUnavailable as error:
            print(error, file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
