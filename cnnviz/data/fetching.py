"""Getting the files into the cache: unpacked from the Debian package, or downloaded by
torchvision after a quick check that a server can be reached."""

from __future__ import annotations

import gzip
import re
import socket
import urllib.request
from urllib.parse import urlsplit

from cnnviz.data.catalog import SKLEARN_DATASETS, DatasetUnavailable, dataset_info
from cnnviz.data.files import (
    _IDX_FILES,
    _cache_files,
    _cache_folder,
    _debian_fashion_mnist_dir,
    _debian_gz_files,
    _fetch_command,
    _local_location,
    _unavailable_sentence,
)
from cnnviz.paths import atomic_path, datasets_dir


_CONNECT_TIMEOUT_S = 10.0


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
    if name in SKLEARN_DATASETS:
        location = _local_location(name)
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
    MNIST and CIFAR-10 are downloaded by torchvision; digits and digits-28 need nothing.

    Raises:
        ValueError: for an unknown name.
        DatasetUnavailable: when the download fails; the message says why in one clause.
    """
    dataset_info(name)
    return _make_local(name, download=True, progress=progress)
