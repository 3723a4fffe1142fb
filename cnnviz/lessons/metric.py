"""One number shown as a metric: its label, its value as shown, and its hover help or None."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One number shown as a metric (st.metric's label, value and help).

    Attributes:
        label: what the number is.
        value: the number as shown, already formatted.
        help: the hover help, or None for none.
    """

    label: str
    value: str
    help: str | None = None
