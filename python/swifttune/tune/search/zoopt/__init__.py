"""Ray's ``ray.tune.search.zoopt``: ``ZOOptSearch`` (over zoopt) is not in swifttune; refused by name."""
from typing import Any

__all__ = ["ZOOptSearch"]


class ZOOptSearch:
    """Refused (``NotImplementedError``): swifttune has no adapter over zoopt."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "ZOOptSearch (zoopt) is not supported by swifttune; use HyperOptSearch (TPE in Swift), BayesOptSearch, "
            "NevergradSearch, or your own Searcher subclass wrapping zoopt (the engine calls it back).")
