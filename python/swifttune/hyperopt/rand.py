"""hyperopt's ``hyperopt.rand``: ``suggest`` names swifttune's Swift random search for
``fmin(algo=rand.suggest)`` (each parameter drawn from its prior)."""
from __future__ import annotations

from typing import Any

__all__ = ["suggest"]


def suggest(*args: Any, **kwargs: Any) -> Any:
    """A marker for ``fmin(algo=rand.suggest)``: the Swift searcher suggests; not called directly."""
    raise TypeError("rand.suggest is a marker for swifttune.hyperopt.fmin(algo=rand.suggest); it is not called directly")
