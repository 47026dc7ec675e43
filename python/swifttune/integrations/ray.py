"""swifttune's TPE as a Ray Tune search algorithm: Ray distributes the trials (one machine or a
cluster), swifttune decides what to try.

    from ray import tune
    from ray.tune.search import ConcurrencyLimiter
    from swifttune.integrations.ray import SwiftTPESearch

    search = ConcurrencyLimiter(SwiftTPESearch(metric="loss", mode="min"), max_concurrent=4)
    tune.Tuner(objective, param_space={"x": tune.uniform(0, 10)},
               tune_config=tune.TuneConfig(search_alg=search, num_samples=100)).fit()

This module imports without Ray; Ray (``pip install "ray[tune]"``) is imported when
``SwiftTPESearch`` or ``convert_search_space`` is first used, and its absence is then an
ImportError saying so. ``import swifttune`` never imports Ray.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["SwiftTPESearch", "convert_search_space"]

if TYPE_CHECKING:
    from ._ray_searcher import SwiftTPESearch, convert_search_space


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import _ray_searcher

        value = getattr(_ray_searcher, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
