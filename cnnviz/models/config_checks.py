"""Check model settings and explain a bad one in a sentence a student understands.

Every model constructor runs its arguments through these functions, so that ``get_model`` and
``load_checkpoint`` fail with a ``ValueError`` such as "lenet5: 'activation' must be one of
'relu', 'tanh', 'sigmoid', not 'swish'." rather than with a torch shape error three layers
deep. Each check returns the value as a plain Python type, ready to go into ``model.config``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence


def positive_int(model: str, key: str, value: Any, *, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an int in [minimum, maximum]; bools and floats are refused."""
    # bool is a subclass of int in Python; True channels is surely a mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{model}: '{key}' must be a whole number, not {value!r}.")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ValueError(f"{model}: '{key}' must be at least {minimum}{upper}, not {value}.")
    return int(value)


def choice(model: str, key: str, value: Any, options: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``options`` (compared with ==, bools kept apart from ints)."""
    for option in options:
        if type(value) is type(option) and value == option:
            return option
    listed = ", ".join(repr(option) for option in options)
    raise ValueError(f"{model}: '{key}' must be one of {listed}, not {value!r}.")


def flag(model: str, key: str, value: Any) -> bool:
    """Return ``value`` if it is a bool (True/False), never a truthy stand-in such as 1 or "yes"."""
    if not isinstance(value, bool):
        raise ValueError(f"{model}: '{key}' must be True or False, not {value!r}.")
    return value


def probability(model: str, key: str, value: Any) -> float:
    """Return ``value`` as a float in [0, 1), e.g. a dropout rate."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{model}: '{key}' must be a number from 0 up to (not including) 1, not {value!r}.")
    return float(value)


def int_list(model: str, key: str, value: Any, *, min_length: int = 1, max_length: int = 8) -> list[int]:
    """Return ``value`` (a list or tuple of positive ints) as a list of ints."""
    if not isinstance(value, (list, tuple)) or not min_length <= len(value) <= max_length:
        raise ValueError(
            f"{model}: '{key}' must be a list of {min_length} to {max_length} whole numbers, "
            f"such as [32, 64], not {value!r}."
        )
    return [positive_int(model, f"{key}[{index}]", item) for index, item in enumerate(value)]


def float_list(model: str, key: str, value: Any, *, length: int, positive: bool = False) -> list[float]:
    """Return ``value`` (``length`` finite numbers, all > 0 when ``positive``) as a list of floats."""
    if not isinstance(value, (list, tuple)) or len(value) != length:
        raise ValueError(
            f"{model}: '{key}' must be a list of {length} number(s), one per input channel, not {value!r}."
        )
    numbers = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, float)) or not math.isfinite(item):
            raise ValueError(f"{model}: '{key}' must hold plain numbers, not {item!r}.")
        if positive and item <= 0:
            raise ValueError(f"{model}: every value in '{key}' must be above 0, not {item!r}.")
        numbers.append(float(item))
    return numbers
