"""Numbers a lecture server's operator sets in the environment (limits, quotas, timeouts).

A value that is unset, unreadable or negative means the default: a typo in a service file must
not switch a protection off.
"""

from __future__ import annotations

import os


def number(name: str, default: float) -> float:
    """``$name`` as a non-negative number, else ``default``."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value >= 0 and value == value else default


def count(name: str, default: int) -> int:
    """``$name`` as a whole number of at least 1, else ``default``."""
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value >= 1 else default
