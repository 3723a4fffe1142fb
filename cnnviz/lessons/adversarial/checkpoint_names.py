"""Short, distinct names for the checkpoints the sweep compares, for its legends and tabs."""

from __future__ import annotations

from cnnviz import paths


def short_names(found) -> dict[str, str]:
    """A distinct short name per checkpoint for legends and tabs: the file's stem, or the run's
    folder for runs/<id>/model.pt, numbered when two coincide.

    Args:
        found: catalog entries (anything with ``key`` and ``path``), in menu order.

    Returns:
        {entry key: short name}.
    """
    names: dict[str, str] = {}
    for m in found:
        base = paths.run_id_of(m.path) or m.path.stem
        name, number = base, 2
        while name in names.values():
            name, number = f"{base} ({number})", number + 1
        names[m.key] = name
    return names
