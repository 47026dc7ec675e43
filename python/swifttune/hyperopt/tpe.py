"""hyperopt's ``hyperopt.tpe``: ``suggest`` names swifttune's Swift TPE for ``fmin(algo=tpe.suggest)``
(with options through ``functools.partial(tpe.suggest, n_startup_jobs=..., n_EI_candidates=...,
gamma=..., prior_weight=...)``); the rules are hyperopt's (docs/tpe.md)."""
from __future__ import annotations

from typing import Any

__all__ = ["suggest"]


def suggest(*args: Any, **kwargs: Any) -> Any:
    """A marker for ``fmin(algo=tpe.suggest)``: the Swift searcher suggests; not called directly."""
    raise TypeError("tpe.suggest is a marker for swifttune.hyperopt.fmin(algo=tpe.suggest); it is not called directly")
