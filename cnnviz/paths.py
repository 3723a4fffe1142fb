"""Where cnnviz keeps its files, and how it writes them without ever leaving half a file.

Everything the dashboard writes at run time (decompressed datasets, trained runs, uploaded
checkpoints) goes under one cache folder, ``$CNNVIZ_HOME`` or ``<repo>/data`` by default, so a
lecturer can see it, copy it to a laptop before an offline lecture, or delete it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
PRETRAINED_DIR = REPO_ROOT / "pretrained"


def home_dir() -> Path:
    """The cache folder: ``$CNNVIZ_HOME`` when set, else ``<repo>/data``."""
    return Path(os.environ.get("CNNVIZ_HOME") or REPO_ROOT / "data")


def datasets_dir() -> Path:
    return home_dir() / "datasets"


def runs_dir() -> Path:
    return home_dir() / "runs"


def uploads_dir() -> Path:
    return home_dir() / "uploads"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only if the block succeeds.

    A crash, an exception or a full disk mid-write leaves the old file (or no file), never half
    of a new one, because ``os.replace`` within one folder is atomic.

    Example:
        with atomic_path("model.pt") as tmp:
            torch.save(obj, tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
