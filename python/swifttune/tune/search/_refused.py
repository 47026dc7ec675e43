"""Ray's wrappers of libraries swifttune has no adapter over: classes that refuse by name."""
from __future__ import annotations

from typing import Any

__all__ = ["refused_searcher"]


def refused_searcher(name: str, library: str) -> type:
    """A class `name` whose construction raises ``NotImplementedError`` naming it, its library and
    what to use instead."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            f"{name} ({library}) is not supported by swifttune; use HyperOptSearch (TPE in Swift), BayesOptSearch, "
            f"NevergradSearch, or your own Searcher subclass wrapping {library} (the engine calls it back).")

    return type(name, (), {"__init__": __init__, "__doc__": f"Refused (``NotImplementedError``): no adapter over {library}.",
                           "__module__": __name__})
