"""Type checks shared by the config classes."""
from __future__ import annotations

from typing import Any

__all__ = ["is_int", "is_number"]


def is_int(v: Any) -> bool:
    """An int that is not a bool."""
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: Any) -> bool:
    """An int or float that is not a bool."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)
