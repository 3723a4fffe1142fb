"""Which trained models exist: shipped in pretrained/, trained here (runs/), or uploaded.

Every page that needs a trained network picks from this one list, so a model trained or uploaded
anywhere is usable everywhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from cnnviz import paths

SOURCES = ("shipped", "trained here", "uploaded")


@dataclass(frozen=True)
class TrainedModel:
    """One checkpoint on disk, described without keeping its weights in memory."""

    path: Path
    source: str  # one of SOURCES
    model_name: str  # registry name, e.g. "lenet5"
    dataset: str  # e.g. "fashion-mnist", "" when the checkpoint does not say
    test_accuracy: float | None  # in [0, 1]
    num_parameters: int
    classes: tuple[str, ...]

    @property
    def label(self) -> str:
        """A one-line name for menus, e.g. "lenet5 on fashion-mnist, 90.9% (shipped)"."""
        acc = f", {self.test_accuracy:.1%}" if self.test_accuracy is not None else ""
        on = f" on {self.dataset}" if self.dataset else ""
        return f"{self.path.stem}: {self.model_name}{on}{acc} ({self.source})"


def describe_checkpoint(path: str | Path, source: str) -> TrainedModel:
    """Read one checkpoint safely and summarise it.

    Raises:
        cnnviz.models.CheckpointError: the file is not a usable checkpoint.
    """
    from cnnviz.models import count_parameters, load_checkpoint

    path = Path(path)
    model = load_checkpoint(path)
    meta = model.meta
    accuracy = meta.get("test_accuracy")
    return TrainedModel(
        path=path,
        source=source,
        model_name=model.config["name"],
        dataset=str(meta.get("dataset", "")),
        test_accuracy=float(accuracy) if isinstance(accuracy, (int, float)) else None,
        num_parameters=count_parameters(model),
        classes=tuple(model.classes),
    )


def list_trained_models(uploaded: Iterable[str | Path] = ()) -> tuple[list[TrainedModel], list[str]]:
    """All usable checkpoints, shipped first, and a sentence for each file that was skipped.

    Args:
        uploaded: paths of checkpoints uploaded in this browser session.

    Returns:
        (models, problems): problems name files that exist but could not be read, so that a
        broken file never hides the others.
    """
    from cnnviz.models import CheckpointError

    found: list[tuple[Path, str]] = []
    found += [(p, "shipped") for p in sorted(paths.PRETRAINED_DIR.glob("*.pt"))]
    found += [(p, "trained here") for p in sorted(paths.runs_dir().glob("*/model.pt"))]
    found += [(Path(p), "uploaded") for p in uploaded]
    models, problems = [], []
    for path, source in found:
        try:
            models.append(describe_checkpoint(path, source))
        except (CheckpointError, OSError) as err:
            problems.append(f"{path.name}: {err}")
    return models, problems


def store_upload(data: bytes, client: str = "", in_use: Iterable[str | Path] = ()) -> Path:
    """Validate an uploaded checkpoint and keep it under uploads/, named by its content hash.

    The file is checked before it is written (so nothing unusable lands on disk), then kept by
    cnnviz.upload_store within the per-student and total quotas, atomically; uploading the same
    file twice reuses it.

    Args:
        data: the uploaded file's bytes.
        client: who uploads it (one id per student's browser), "" for no one in particular.
        in_use: uploaded checkpoints that live sessions use, which are never deleted for room.

    Raises:
        cnnviz.models.CheckpointError: the bytes are not a usable cnnviz checkpoint.
        cnnviz.upload_store.UploadRefused: the server has no room for it (one sentence).
    """
    from cnnviz import upload_store
    from cnnviz.models import load_checkpoint

    load_checkpoint(data)
    return upload_store.store(data, client, in_use=in_use)
