"""Reading the files into uint8 tensors, once per process and once per dataset however many
sessions ask at the same time."""

from __future__ import annotations

import threading

from cnnviz.data.catalog import (
    DATASET_NAMES,
    DEFAULT_DATASET,
    UPSAMPLED_SIZE,
    DatasetUnavailable,
    ImageDataset,
    dataset_info,
)
from cnnviz.data.fetching import _make_local, _short_reason, _torchvision_class
from cnnviz.data.files import _cache_folder, _fetch_command
from cnnviz.paths import datasets_dir


_DIGITS_TEST_SIZE = 360  # 1797 digits -> 1437 train / 360 test
_DIGITS_SPLIT_SEED = 0


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


def upsample(images, size: int = UPSAMPLED_SIZE):
    """uint8 (N, C, h, w) -> uint8 (N, C, size, size): torch's bilinear resize (align_corners=False),
    rounded to the nearest integer."""
    import torch

    resized = torch.nn.functional.interpolate(images.float(), size=(size, size), mode="bilinear",
                                              align_corners=False)
    return resized.round().clamp(0, 255).to(torch.uint8)


def _read_digits_28():
    """The digits' own split (the same images and labels, in the same order), each image upsampled."""
    train_x, train_y, test_x, test_y = _read_digits()
    return upsample(train_x), train_y, upsample(test_x), test_y


def _read(name: str) -> ImageDataset:
    info = dataset_info(name)
    if name == "digits":
        return ImageDataset(info, *_read_digits())
    if name == "digits-28":
        return ImageDataset(info, *_read_digits_28())
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
