"""Ray's messages of ``ray.tune.search`` for searchers left without a space, a metric or a mode."""
from __future__ import annotations

from typing import Any

__all__ = ["UNRESOLVED_SEARCH_SPACE", "UNDEFINED_SEARCH_SPACE", "UNDEFINED_METRIC_MODE", "require_ready"]

UNRESOLVED_SEARCH_SPACE = (
    "You passed a `{par}` parameter to {cls} that contained unresolved search space definitions. {cls} should however "
    "be instantiated with fully configured search spaces only. To use Ray Tune's automatic search space conversion, "
    "pass the space definition as part of the `param_space` argument to `tune.Tuner()` instead.")

UNDEFINED_SEARCH_SPACE = (
    "Trying to sample a configuration from {cls}, but no search space has been defined. Either pass the `{space}` "
    "argument when instantiating the search algorithm, or pass a `param_space` to `tune.Tuner()`.")

UNDEFINED_METRIC_MODE = (
    "Trying to sample a configuration from {cls}, but the `metric` ({metric}) or `mode` ({mode}) parameters have not "
    "been set. Either pass these arguments when instantiating the search algorithm, or pass them to "
    "`tune.TuneConfig()`.")


def require_ready(searcher: Any, has_space: bool) -> None:
    """Ray's ``RuntimeError``s of a wrapper asked for a suggestion without a space, or without a
    metric and mode."""
    cls = type(searcher).__name__
    if not has_space:
        raise RuntimeError(UNDEFINED_SEARCH_SPACE.format(cls=cls, space="space"))
    if not searcher.metric or not searcher.mode:
        raise RuntimeError(UNDEFINED_METRIC_MODE.format(cls=cls, metric=searcher.metric, mode=searcher.mode))
