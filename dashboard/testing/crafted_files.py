"""Files a crafted client uploads, for the tests and benchmarks that play one against the server."""

from __future__ import annotations

import zipfile
from pathlib import Path


def zip_bomb(checkpoint: Path, target: Path, claimed_bytes: int) -> Path:
    """``checkpoint`` (a torch.save zip) written again as ``target`` with its pickle record replaced
    by ``claimed_bytes`` zeros under DEFLATE: a few MB on disk, ``claimed_bytes`` once read.

    torch.save never compresses; torch.load inflates such a record whole before looking at it.
    """
    with zipfile.ZipFile(checkpoint) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            if not info.filename.endswith("/data.pkl"):
                out.writestr(info, source.read(info.filename))
                continue
            record = zipfile.ZipInfo(info.filename)
            record.compress_type = zipfile.ZIP_DEFLATED
            with out.open(record, "w", force_zip64=True) as entry:
                zeros = bytes(2**24)
                for _ in range(claimed_bytes // len(zeros)):
                    entry.write(zeros)
    return target
