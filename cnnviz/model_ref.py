"""One reference to a network, whichever page, menu or cache names it.

A network is either a zoo architecture (built from the registry, by name) or a checkpoint file.
``ModelRef`` says which, in typed fields instead of a string to parse back; its ``key`` is a
tuple of primitives, unique per network and cheap to hash, so a cache keyed on it holds one
entry per network, whatever menu text the reference carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnnviz.catalog import TrainedModel

ZOO = "zoo"
CHECKPOINT = "checkpoint"


@dataclass(frozen=True)
class ModelRef:
    """A zoo network or a checkpoint file, with the text its menus show.

    Two references to the same network are equal whatever their labels: a page may prefix its
    menu's text without making a second cache entry.
    """

    kind: str  # ZOO or CHECKPOINT
    name: str = ""  # the registry name, for a zoo network
    path: str = ""  # the file, for a checkpoint
    # The file's modification time (ns), for a checkpoint: a re-written file is another network.
    version: int = 0
    label: str = field(default="", compare=False)  # the menu text, as links carry it

    @property
    def key(self) -> tuple[str, str, str, int]:
        """What tells this network from every other one: primitives only."""
        return (self.kind, self.name, self.path, self.version)

    @property
    def is_zoo(self) -> bool:
        return self.kind == ZOO

    @classmethod
    def zoo(cls, name: str, label: str | None = None) -> ModelRef:
        """The zoo network registered as ``name``.

        Args:
            name: a registry name, e.g. "resnet18".
            label: the menu text; by default "zoo: <its title>", e.g. "zoo: ResNet-18".

        Raises:
            ValueError: no network is registered under that name.
        """
        from cnnviz.models import model_spec

        title = model_spec(name).title
        return cls(ZOO, name=name, label=f"zoo: {title}" if label is None else label)

    @classmethod
    def checkpoint(cls, model: TrainedModel | str | Path, label: str | None = None) -> ModelRef:
        """The checkpoint file of a catalog entry (or at a path), as it is on disk now.

        Args:
            model: a catalog.TrainedModel, or a checkpoint's path.
            label: the menu text; by default the entry's label (a bare path: its file name).

        Raises:
            OSError: the file is gone (its modification time cannot be read).
        """
        if isinstance(model, (str, Path)):
            path, default_label = Path(model), Path(model).name
        else:
            path, default_label = Path(model.path), model.label
        return cls(CHECKPOINT, path=str(path), version=path.stat().st_mtime_ns,
                   label=default_label if label is None else label)
