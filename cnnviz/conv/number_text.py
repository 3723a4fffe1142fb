"""Numbers as the worked sums write them."""

from __future__ import annotations

import numpy as np


def _number_text(value: float) -> str:
    """3 significant digits, whole numbers without a decimal point, -inf spelled out."""
    if not np.isfinite(value):
        return "-inf" if value < 0 else "inf"
    return str(int(round(value))) if abs(value - round(value)) < 1e-9 else f"{value:.3g}"


def _term_text(value: float) -> str:
    """A number inside a sum: negative ones in brackets, "3*(-1)"."""
    text = _number_text(value)
    return f"({text})" if value < 0 else text
