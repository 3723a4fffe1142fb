"""Files sent to Streamlit's upload endpoint, held in memory within a quota per browser and in total.

Streamlit keeps every file PUT to /_stcore/upload_file/<session>/<file> in memory until its
session ends, whether or not a widget refers to it, so one crafted client could fill the server's
memory. Streamlit's file uploader reads its files (get_files) on every script run that draws it,
so the time a file was last fetched tells whether anyone uses it:

- a file that no widget fetched within a couple of minutes of its upload is an orphan, dropped
  at the next upload;
- when a new file would pass its browser's quota ($CNNVIZ_UPLOAD_MEMORY_CLIENT_MB, 100) or the
  server's ($CNNVIZ_UPLOAD_MEMORY_TOTAL_MB, 1024), that browser's files least recently used go
  first, then anyone's, but never a file uploaded or fetched in the last $CNNVIZ_UPLOAD_MEMORY_KEEP_S
  seconds (900): a student reading a page for a while keeps the photo it shows;
- still over, the upload is refused with one sentence. The file uploader asks for upload URLs
  before it sends a file, so a browser that is already full is refused there, and the browser
  shows the sentence beside the file; a file that passes that check but not the exact one below
  gets HTTP 413, which the browser shows as a bare status code.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from starlette.exceptions import HTTPException
from cnnviz import environment
from cnnviz.upload_store import UploadRefused
from dashboard import clients
from dashboard.internals import MemoryUploadedFileManager, UploadedFileRec, UploadFileUrlInfo

log = logging.getLogger(__name__)
MB = 1024 * 1024
ORPHAN_SECONDS = 120.0  # the frontend asks for its file within seconds of sending it


@dataclass(frozen=True)
class MemoryLimits:
    """How much the uploads in memory may take.

    Attributes:
        client_bytes: the most the files of one browser (all its tabs) may take.
        total_bytes: the most all files together may take.
        keep_seconds: a file uploaded or fetched this recently is never evicted.
        orphan_seconds: a file never fetched this long after its upload is dropped.
    """

    client_bytes: int
    total_bytes: int
    keep_seconds: float = 900.0
    orphan_seconds: float = ORPHAN_SECONDS

    @classmethod
    def from_env(cls) -> "MemoryLimits":
        """$CNNVIZ_UPLOAD_MEMORY_CLIENT_MB, $CNNVIZ_UPLOAD_MEMORY_TOTAL_MB and $CNNVIZ_UPLOAD_MEMORY_KEEP_S."""
        keep = environment.number("CNNVIZ_UPLOAD_MEMORY_KEEP_S", 900)
        return cls(
            client_bytes=int(environment.number("CNNVIZ_UPLOAD_MEMORY_CLIENT_MB", 100) * MB),
            total_bytes=int(environment.number("CNNVIZ_UPLOAD_MEMORY_TOTAL_MB", 1024) * MB),
            keep_seconds=keep,
            orphan_seconds=min(ORPHAN_SECONDS, keep),
        )


def _largest_upload() -> int:
    """server.maxUploadSize in bytes: the largest file a browser may send."""
    from streamlit import config

    return int(config.get_option("server.maxUploadSize") * MB)


class QuotaUploadedFileManager(MemoryUploadedFileManager):
    """Streamlit's in-memory upload store, with quotas, eviction and refusal (see the module).

    Args:
        upload_endpoint: the URL path of the upload route, as Streamlit's Server passes it.
        limits: the quotas; MemoryLimits.from_env() when None.
        client_of: the browser a session belongs to; clients.lookup(session).browser when None.
        largest_file: the largest file a browser may send, in bytes; server.maxUploadSize when None.
        clock: seconds, monotonic (for tests).
    """

    def __init__(
        self,
        upload_endpoint: str,
        *,
        limits: MemoryLimits | None = None,
        client_of: Callable[[str], str] | None = None,
        largest_file: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(upload_endpoint)
        self.limits = MemoryLimits.from_env() if limits is None else limits
        self._client_of = client_of or (lambda session: clients.lookup(session).browser)
        self._largest_file = largest_file
        self._clock = clock
        # Our own account of every file, kept beside Streamlit's storage rather than read from it.
        self._sizes: dict[tuple[str, str], int] = {}
        self._last_used: dict[tuple[str, str], float] = {}  # last upload or fetch
        self._fetched: set[tuple[str, str]] = set()
        self._quota_lock = threading.RLock()

    # -- Streamlit's interface --------------------------------------------------------------

    def get_files(self, session_id: str, file_ids: Sequence[str]) -> list[UploadedFileRec]:
        """Streamlit's get_files, noting that each file returned is in use now."""
        records = super().get_files(session_id, file_ids)
        with self._quota_lock:
            now = self._clock()
            for record in records:
                key = (session_id, record.file_id)
                if key in self._sizes:
                    self._last_used[key] = now
                    self._fetched.add(key)
        return records

    def add_file(self, session_id: str, file: UploadedFileRec) -> None:
        """Keep ``file`` if it fits, after evicting what may go.

        Raises:
            starlette.exceptions.HTTPException: 413 with the refusal sentence as its detail.
        """
        key = (session_id, file.file_id)
        with self._quota_lock:
            try:
                self._make_room(session_id, file.file_id, len(file.data))
            except UploadRefused as refused:
                log.warning("Refused an upload of %.1f MB: %s", len(file.data) / MB, refused)
                raise HTTPException(status_code=413, detail=str(refused)) from None
            super().add_file(session_id, file)
            self._sizes[key] = len(file.data)
            self._last_used[key] = self._clock()
            self._fetched.discard(key)

    def remove_file(self, session_id: str, file_id: str) -> None:
        with self._quota_lock:
            super().remove_file(session_id, file_id)
            self._forget((session_id, file_id))

    def remove_session_files(self, session_id: str) -> None:
        with self._quota_lock:
            super().remove_session_files(session_id)
            for key in [k for k in self._sizes if k[0] == session_id]:
                self._forget(key)

    def get_upload_urls(self, session_id: str, file_names: Sequence[str]) -> list[UploadFileUrlInfo]:
        """Streamlit's upload URLs, unless this browser or the server has no room for one more file.

        Raises:
            UploadRefused: with the sentence for the browser to show beside the file.
        """
        with self._quota_lock:
            largest = self._largest_file if self._largest_file is not None else _largest_upload()
            self._make_room(session_id, None, largest, dry_run=True)
        return super().get_upload_urls(session_id, file_names)

    # -- quotas --------------------------------------------------------------------------------

    def usage(self, session_id: str | None = None) -> int:
        """Bytes held for the browser of ``session_id``, or for everyone when None."""
        with self._quota_lock:
            if session_id is None:
                return sum(self._sizes.values())
            browser = self._client_of(session_id)
            return sum(size for (session, _), size in self._sizes.items() if self._client_of(session) == browser)

    def _orphaned(self, key: tuple[str, str], now: float) -> bool:
        """Never fetched by a widget, long after its upload."""
        return key not in self._fetched and now - self._last_used[key] > self.limits.orphan_seconds

    def _forget(self, key: tuple[str, str]) -> None:
        self._sizes.pop(key, None)
        self._last_used.pop(key, None)
        self._fetched.discard(key)

    def _evict(self, key: tuple[str, str], why: str) -> None:
        log.info("Dropped an uploaded file of %.1f MB (%s).", self._sizes.get(key, 0) / MB, why)
        self.remove_file(*key)

    def _make_room(self, session_id: str, file_id: str | None, size: int, dry_run: bool = False) -> None:
        """Evict until ``size`` more bytes fit for this session's browser and for the server.

        Args:
            file_id: the file being replaced (its old bytes do not count), or None.
            dry_run: only check that evicting could make the room; evict nothing, not even orphans
                (a file URL request must not cost anyone a file).

        Raises:
            UploadRefused: no room, even after every eviction allowed.
        """
        limits, now = self.limits, self._clock()
        if not dry_run:
            for key in [k for k in self._sizes if self._orphaned(k, now)]:
                self._evict(key, "no widget asked for it")
        if dry_run:
            size = min(size, limits.client_bytes, limits.total_bytes)
        elif size > min(limits.client_bytes, limits.total_bytes):
            raise UploadRefused(
                f"This file is {_mb(size)}, more than the {_mb(min(limits.client_bytes, limits.total_bytes))} "
                "this server holds for each student's uploads."
            )
        browser = self._client_of(session_id)
        others = {key: value for key, value in self._sizes.items() if key != (session_id, file_id)}
        owner = {session: self._client_of(session) for session, _ in others}
        removable = sorted((key for key in others if self._orphaned(key, now)
                            or now - self._last_used[key] >= limits.keep_seconds),
                           key=lambda key: self._last_used[key])  # least recently used first

        def used(of: str | None = None) -> int:
            return sum(value for key, value in others.items() if of is None or owner[key[0]] == of)

        def take(key: tuple[str, str], why: str) -> None:
            removable.remove(key)
            del others[key]
            if not dry_run:
                self._evict(key, why)

        while used(browser) + size > limits.client_bytes:
            mine = [key for key in removable if owner[key[0]] == browser]
            if not mine:
                raise UploadRefused(
                    f"Your uploads in use already take {_mb(used(browser))} of the {_mb(limits.client_bytes)} "
                    "this server holds for each student: remove a file you no longer need from its "
                    "uploader, then try again."
                )
            take(mine[0], "its browser was over its quota")
        while used() + size > limits.total_bytes:
            if not removable:
                raise UploadRefused(
                    f"The server's memory for uploads ({_mb(limits.total_bytes)}) is full of files in "
                    "use right now; try again in a few minutes."
                )
            mine = [key for key in removable if owner[key[0]] == browser]
            take((mine or removable)[0], "the server was over its quota")


def _mb(size: int) -> str:
    return f"{size / MB:.0f} MB" if size >= 10 * MB else f"{size / MB:.1f} MB"
