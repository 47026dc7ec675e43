"""hyperopt's ``hyperopt.anneal``: ``suggest`` names swifttune's Swift annealing
(``AnnealSearch``, hyperopt's ``AnnealingAlgo`` rule for rule, docs/anneal.md) for
``fmin(algo=anneal.suggest)``; its options through ``functools.partial(anneal.suggest,
avg_best_idx=2.0, shrink_coef=0.1)``. Each trial starts from one of the best trials so far (a
geometric draw over the ranks) and draws every parameter from its prior narrowed around that
trial's value, the more narrowly the more trials have it."""
from __future__ import annotations

from typing import Any

__all__ = ["suggest"]


def suggest(*args: Any, **kwargs: Any) -> Any:
    """A marker for ``fmin(algo=anneal.suggest)``: the Swift searcher suggests; not called directly."""
    raise TypeError("anneal.suggest is a marker for swifttune.hyperopt.fmin(algo=anneal.suggest); it is not called "
                    "directly")
