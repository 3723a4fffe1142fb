"""The figure every benchmark prints: the median seconds of repeated calls, after a warm-up call
(lazy imports, the allocator, the first pass of a cache), so one slow call does not move it."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(function: Callable[[], object], repeats: int, warm_up: Callable[[], object] | None = None) -> float:
    """Median seconds of ``repeats`` calls of ``function``, after one call of ``warm_up`` (by
    default ``function`` itself; a shorter run of the same work saves a whole run's wait)."""
    (function if warm_up is None else warm_up)()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
