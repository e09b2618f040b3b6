"""Boundary checks shared by the pipelines: a clear ValueError quoting the bad value."""

from __future__ import annotations

from typing import Any


def check_number(value: Any, name: str, low: float, high: float, whole: bool = False) -> float:
    """`value` as a float (an int when `whole`) in [low, high]; bools, strings, NaN and fractions
    (when `whole`) are refused with a sentence naming `name`."""
    try:
        bad_type = isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not float(value).is_integer())
    except OverflowError:  # an integer too large for a float: out of any range
        raise ValueError(f"{name} must be from {low} to {high}, got a number with {len(str(value))} digits") from None
    if bad_type:
        raise ValueError(f"{name} must be a {'whole ' if whole else ''}number from {low} to {high}, got {value!r}")
    if not low <= value <= high:  # also rejects NaN
        raise ValueError(f"{name} must be from {low} to {high}, got {value!r}")
    return int(value) if whole else float(value)
