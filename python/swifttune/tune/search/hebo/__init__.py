"""Ray's ``ray.tune.search.hebo``: ``HEBOSearch`` (over HEBO) is not in swifttune; refused by name."""
from typing import Any

__all__ = ["HEBOSearch"]


class HEBOSearch:
    """Refused (``NotImplementedError``): swifttune has no adapter over HEBO."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "HEBOSearch (HEBO) is not supported by swifttune; use HyperOptSearch (TPE in Swift), BayesOptSearch, "
            "NevergradSearch, or your own Searcher subclass wrapping HEBO (the engine calls it back).")
