"""Which trained models exist: shipped in pretrained/, trained here (runs/), or uploaded.

Every page that needs a trained network picks from this one list, so a model trained or uploaded
anywhere is usable everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
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
    # What tells this checkpoint from the others: the file's stem, or for a run (every run's
    # file is runs/<run id>/model.pt) when and which, e.g. "trained here 2026-11-23 14:05 (3fa2c1)".
    name: str = ""
    # The network whose features it reused (transfer learning), e.g. "lenet5-fashion-mnist"; "" for none.
    transferred_from: str = ""

    @property
    def key(self) -> str:
        """The one identity of this checkpoint in every menu: its path."""
        return str(self.path)

    @property
    def label(self) -> str:
        """A one-line name for menus, unique among list_trained_models' entries.

        E.g. "my-lenet: lenet5 on mnist, 98.0% (uploaded)", or for a run "lenet5 on fashion-mnist,
        89.1%, trained here 2026-11-23 14:05 (3fa2c1)". A name that already says the network and
        the dataset is not followed by them again: "lenet5-fashion-mnist, 90.9% (shipped)" (the
        long form was cut on a projector). Plain text: where markdown shows it, escape it (it holds
        a file's name and a checkpoint's meta).
        """
        acc = f", {self.test_accuracy:.1%}" if self.test_accuracy is not None else ""
        on = f" on {self.dataset}" if self.dataset else ""
        if self.source == "trained here":
            reused = f", features from {self.transferred_from}" if self.transferred_from else ""
            return f"{self.model_name}{on}{acc}{reused}, {self.name or _run_name(self.path)}"
        name = self.name or self.path.stem
        said = name.replace("_", "-").lower()
        if self.model_name and self.dataset and all(
                part.replace("_", "-").lower() in said for part in (self.model_name, self.dataset)):
            return f"{name}{acc} ({self.source})"
        return f"{name}: {self.model_name}{on}{acc} ({self.source})"


# A run's folder, as cnnviz.runs names it: 20261123-140512-lenet5-fashion-mnist-3fa2c1.
_RUN_FOLDER = re.compile(r"(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-.*-([0-9a-f]{6})")


def _run_name(path: Path) -> str:
    """When and which run wrote runs/<run id>/model.pt, readable; any other folder by its name."""
    folder = paths.run_id_of(path) or path.parent.name
    found = _RUN_FOLDER.fullmatch(folder)
    if found is None:
        return f"trained here ({folder})"
    year, month, day, hour, minute, _, run = found.groups()
    return f"trained here {year}-{month}-{day} {hour}:{minute} ({run})"


def _with_unique_labels(models: list[TrainedModel]) -> list[TrainedModel]:
    """Number the names of models whose labels coincide, so that no menu entry hides another."""
    seen: set[str] = set()
    unique = []
    for model in models:
        candidate, number = model, 2
        while candidate.label in seen:
            candidate = replace(model, name=f"{model.name} ({number})")
            number += 1
        seen.add(candidate.label)
        unique.append(candidate)
    return unique


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
        name=_run_name(path) if source == "trained here" else path.stem,
        transferred_from=_transferred_from(meta),
    )


def _transferred_from(meta: dict) -> str:
    """The meta's "transfer" source (cnnviz.train.transfer), as short plain text, or ""."""
    transfer = meta.get("transfer")
    source = transfer.get("from") if isinstance(transfer, dict) else None
    return source[:80] if isinstance(source, str) else ""


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
    found += [(p, "trained here") for p in paths.run_checkpoints()]
    found += [(Path(p), "uploaded") for p in uploaded]
    models, problems, seen = [], [], set()
    for path, source in found:
        if path in seen:  # an upload of a file that is listed already
            continue
        seen.add(path)
        try:
            models.append(describe_checkpoint(path, source))
        except (CheckpointError, OSError) as err:
            problems.append(f"{path.name}: {err}")
    return _with_unique_labels(models), problems


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
