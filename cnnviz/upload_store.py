"""Uploaded checkpoints on disk, within a quota per student and in total.

A lecture server is shared by a room, so whatever one client uploads must not fill the disk for
everyone. Each upload lives in a folder of its own client (``uploads/<client>/upload-<hash>.pt``;
uploads without a client sit in ``uploads/`` itself): who uploaded it is the folder, when is the
file's modification time, so there is no second file to keep consistent with the first.

At every store, uploads nobody uses are expired after ``$CNNVIZ_UPLOAD_DAYS`` days (7 by
default). When a new file would pass the quota of its client (``$CNNVIZ_UPLOAD_CLIENT_MB``, 100)
or of the whole server (``$CNNVIZ_UPLOAD_TOTAL_MB``, 1024), orphaned uploads go first, oldest
first; still over, the upload is refused with one sentence. An upload in use by a live session
(the caller says which) or stored in the last minute (its page is about to remember it) is never
deleted.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from cnnviz import environment, paths

MB = 1024 * 1024
DAY = 24 * 3600
PATTERN = "upload-*.pt"
YOUNG_SECONDS = 60.0  # a file this fresh is never deleted: its page has yet to remember it
STALE_TEMP_SECONDS = 3600.0  # temporary files left by a crash mid-write are swept after this

# One store at a time, so two sessions never both spend the last free megabytes.
_lock = threading.Lock()


class UploadRefused(ValueError):
    """An upload the server has no room for; the message says why in one sentence."""


@dataclass(frozen=True)
class UploadQuota:
    """How much the upload folder may hold.

    Attributes:
        client_bytes: the most one client's uploads may take.
        total_bytes: the most all uploads together may take.
        max_age_seconds: uploads nobody uses are deleted once older than this.
    """

    client_bytes: int
    total_bytes: int
    max_age_seconds: float

    @classmethod
    def from_env(cls) -> "UploadQuota":
        """The quota set by $CNNVIZ_UPLOAD_CLIENT_MB, $CNNVIZ_UPLOAD_TOTAL_MB and $CNNVIZ_UPLOAD_DAYS."""
        return cls(
            client_bytes=int(environment.number("CNNVIZ_UPLOAD_CLIENT_MB", 100) * MB),
            total_bytes=int(environment.number("CNNVIZ_UPLOAD_TOTAL_MB", 1024) * MB),
            max_age_seconds=environment.number("CNNVIZ_UPLOAD_DAYS", 7) * DAY,
        )


@dataclass(frozen=True)
class _Stored:
    path: Path
    client: str  # "" for uploads kept without a client
    size: int
    mtime: float


def client_folder(client: str) -> str:
    """A folder name for a client id: letters, digits, '-' and '_' only (never a path)."""
    name = re.sub(r"[^A-Za-z0-9_-]", "", client)[:64]
    return name or ("anonymous" if client else "")


def upload_path(data: bytes, client: str = "", folder: Path | None = None) -> Path:
    """Where ``data`` uploaded by ``client`` is kept: named by its content hash."""
    folder = paths.uploads_dir() if folder is None else Path(folder)
    digest = hashlib.sha256(data).hexdigest()[:16]
    sub = client_folder(client)
    return (folder / sub if sub else folder) / f"upload-{digest}.pt"


def stored_uploads(folder: Path | None = None) -> list[tuple[Path, str, int]]:
    """Every kept upload as (path, client folder, bytes), oldest first."""
    return [(s.path, s.client, s.size) for s in _scan(paths.uploads_dir() if folder is None else Path(folder))]


def store(
    data: bytes,
    client: str = "",
    *,
    in_use: Iterable[str | os.PathLike] = (),
    quota: UploadQuota | None = None,
    folder: Path | None = None,
    now: float | None = None,
) -> Path:
    """Keep ``data`` for ``client``, atomically, making room within the quota if it can.

    Args:
        data: the file's bytes (the caller has checked they are worth keeping).
        client: who uploads it (one id per student's browser); "" keeps it without a client.
        in_use: paths that live sessions use: never deleted, whatever their age.
        quota: the limits; UploadQuota.from_env() when None.
        folder: the upload folder; paths.uploads_dir() when None.
        now: the time (seconds since the epoch), for tests.

    Returns:
        The path of the kept file. Storing the same bytes again for the same client reuses it.

    Raises:
        UploadRefused: the file does not fit, even after deleting every upload nobody uses.
    """
    quota = UploadQuota.from_env() if quota is None else quota
    folder = paths.uploads_dir() if folder is None else Path(folder)
    now = time.time() if now is None else now
    target = upload_path(data, client, folder)
    owner = client_folder(client)
    kept = {os.path.abspath(p) for p in in_use} | {os.path.abspath(target)}
    with _lock:
        stored = [s for s in _scan(folder) if not _expire(s, kept, quota, now, folder)]
        if target.exists():
            return target
        size = len(data)
        limit = min(quota.client_bytes, quota.total_bytes)
        if size > limit:
            raise UploadRefused(
                f"This checkpoint is {_mb(size)}, more than the {_mb(limit)} this server keeps for "
                "each student's uploads."
            )
        removable = [s for s in stored if _removable(s, kept, now)]  # oldest first

        def used(of: str | None = None) -> int:
            return sum(s.size for s in stored if of is None or s.client == of)

        while used(owner) + size > quota.client_bytes:
            mine = [s for s in removable if s.client == owner]
            if not mine:
                raise UploadRefused(
                    f"Your uploaded checkpoints in use take {_mb(used(owner))} of the {_mb(quota.client_bytes)} "
                    "this server keeps for each student: close the tabs that use older uploads, then try again."
                )
            _delete(mine[0], stored, removable, folder)
        while used() + size > quota.total_bytes:
            if not removable:
                raise UploadRefused(
                    f"The server's room for uploaded checkpoints ({_mb(quota.total_bytes)}) is full of "
                    "checkpoints in use right now; try again in a few minutes."
                )
            mine = [s for s in removable if s.client == owner]
            _delete((mine or removable)[0], stored, removable, folder)
        paths.atomic_write_bytes(target, data)
    return target


def expire(
    in_use: Iterable[str | os.PathLike] = (),
    *,
    quota: UploadQuota | None = None,
    folder: Path | None = None,
    now: float | None = None,
) -> list[Path]:
    """Delete uploads nobody uses that are older than the quota's age; return what was deleted."""
    quota = UploadQuota.from_env() if quota is None else quota
    folder = paths.uploads_dir() if folder is None else Path(folder)
    now = time.time() if now is None else now
    kept = {os.path.abspath(p) for p in in_use}
    with _lock:
        return [s.path for s in _scan(folder) if _expire(s, kept, quota, now, folder)]


def _scan(folder: Path) -> list[_Stored]:
    """Every upload under ``folder`` (its own files and one level of client folders), oldest
    first; temporary files left by a crash are swept on the way."""
    found: list[_Stored] = []
    if not folder.is_dir():
        return found
    now = time.time()
    for sub in [folder, *(p for p in folder.iterdir() if p.is_dir())]:
        for temp in sub.glob(".upload-*.tmp"):
            try:
                if now - temp.stat().st_mtime > STALE_TEMP_SECONDS:
                    temp.unlink(missing_ok=True)
            except OSError:
                pass
        for path in sub.glob(PATTERN):
            try:
                info = path.stat()
            except OSError:  # deleted meanwhile
                continue
            found.append(_Stored(path, "" if sub == folder else sub.name, info.st_size, info.st_mtime))
    found.sort(key=lambda s: (s.mtime, str(s.path)))
    return found


def _removable(stored: _Stored, kept: set[str], now: float) -> bool:
    return os.path.abspath(stored.path) not in kept and now - stored.mtime >= YOUNG_SECONDS


def _expire(stored: _Stored, kept: set[str], quota: UploadQuota, now: float, folder: Path) -> bool:
    """Delete ``stored`` if nobody uses it and it is past the age limit; True if it went."""
    if now - stored.mtime <= quota.max_age_seconds or not _removable(stored, kept, now):
        return False
    stored.path.unlink(missing_ok=True)
    _remove_if_empty(stored.path.parent, folder)
    return True


def _delete(victim: _Stored, stored: list[_Stored], removable: list[_Stored], folder: Path) -> None:
    victim.path.unlink(missing_ok=True)
    stored.remove(victim)
    removable.remove(victim)
    _remove_if_empty(victim.path.parent, folder)


def _remove_if_empty(sub: Path, folder: Path) -> None:
    """Remove a client's folder once its last upload is gone (never the upload folder itself)."""
    if sub == folder:
        return
    try:
        sub.rmdir()  # only succeeds when empty
    except OSError:
        pass


def _mb(size: int) -> str:
    return f"{size / MB:.0f} MB" if size >= 10 * MB else f"{size / MB:.1f} MB"
