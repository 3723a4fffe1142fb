"""The image datasets cnnviz trains and explains on, loaded once per process as uint8 tensors.

Each dataset comes back whole, as ``(N, C, H, W)`` uint8 tensors plus int64 labels (the airbench
way: batches are taken by indexing, augmentation is a batched tensor op, no per-sample PIL work).

Where the files come from, in order:

- Fashion-MNIST (the default): the cache ``<datasets_dir>/FashionMNIST/raw/`` (torchvision's
  layout), else the Debian package's gzipped IDX files (``apt-get install dataset-fashion-mnist``),
  gunzipped into the cache once, else torchvision's download when ``download=True``.
- MNIST, CIFAR-10: torchvision's own layout under ``datasets_dir()``; download only when asked.
- digits: scikit-learn's bundled 8x8 digits, always there; digits-28: the same, upsampled to
  28x28 (bilinear), so a network trained on Fashion-MNIST takes them (transfer learning).

Command line::

    python -m cnnviz.data status
    python -m cnnviz.data fetch fashion-mnist|mnist|cifar10|digits|digits-28|all

The package is read as one module (cnnviz.data.X); each idea lives in its own file:

    catalog   what each dataset is (DatasetInfo) and the form it comes back in (ImageDataset)
    files     where the files are, and dataset_status()
    fetching  unpacking or downloading them into the cache: fetch()
    loading   reading them into tensors once per process: load_dataset()
    cli       the command line above (run by __main__)
"""

from __future__ import annotations

from cnnviz.data.catalog import (
    DATASET_NAMES,
    DEFAULT_DATASET,
    DatasetInfo,
    DatasetUnavailable,
    ImageDataset,
    dataset_info,
    to_float,
)
from cnnviz.data.cli import main
from cnnviz.data.fetching import fetch
from cnnviz.data.files import DEBIAN_FASHION_MNIST_DIR, DEBIAN_FASHION_MNIST_ENV, DatasetStatus, dataset_status
from cnnviz.data.loading import clear_cache, load_dataset

__all__ = [
    "DATASET_NAMES", "DEBIAN_FASHION_MNIST_DIR", "DEBIAN_FASHION_MNIST_ENV", "DEFAULT_DATASET",
    "DatasetInfo", "DatasetStatus", "DatasetUnavailable", "ImageDataset",
    "clear_cache", "dataset_info", "dataset_status", "fetch", "load_dataset", "main", "to_float",
]
