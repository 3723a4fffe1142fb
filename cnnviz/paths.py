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


# The runs folder's layout, known here only: runs/<run id>/model.pt. The catalogue lists every
# such file as "trained here", so a run trained by the dashboard or the CLI is usable on every page.
_RUN_CHECKPOINT = "model.pt"


def run_folder(run_id: str) -> Path:
    """Where one run's files live: runs/<run id>.

    Raises:
        ValueError: ``run_id`` is not a plain folder name (a separator, "." or "..").
    """
    if not run_id or run_id in (".", "..") or Path(run_id).name != run_id or "\\" in run_id:
        raise ValueError("A run id is one folder name.")
    return runs_dir() / run_id


def run_checkpoint(run_id: str) -> Path:
    """The model a run saves: runs/<run id>/model.pt."""
    return run_folder(run_id) / _RUN_CHECKPOINT


def run_checkpoints() -> list[Path]:
    """Every run checkpoint on disk, sorted (run ids start with their date, so oldest first)."""
    return sorted(runs_dir().glob(f"*/{_RUN_CHECKPOINT}"))


def run_id_of(checkpoint: str | os.PathLike) -> str | None:
    """The run that wrote ``checkpoint`` (its folder's name), or None for a file that is no run's."""
    path = Path(checkpoint)
    return path.parent.name if path.name == _RUN_CHECKPOINT and path.parent.name else None


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
