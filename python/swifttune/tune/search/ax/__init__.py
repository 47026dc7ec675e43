"""Ray's ``ray.tune.search.ax``: ``AxSearch`` (over ax-platform) is not in swifttune; refused by name."""
from typing import Any

__all__ = ["AxSearch"]


class AxSearch:
    """Refused (``NotImplementedError``): swifttune has no adapter over ax-platform."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "AxSearch (ax-platform) is not supported by swifttune; use HyperOptSearch (TPE in Swift), BayesOptSearch, "
            "NevergradSearch, or your own Searcher subclass wrapping ax-platform (the engine calls it back).")
