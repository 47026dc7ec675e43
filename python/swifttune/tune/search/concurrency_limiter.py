"""Ray's ``ConcurrencyLimiter``: at most ``max_concurrent`` unfinished trials of a searcher (the Swift
engine's limiter enforces it)."""
from __future__ import annotations

from typing import Any, Optional

from .searcher import Searcher, SearcherWrapper

__all__ = ["ConcurrencyLimiter"]


class ConcurrencyLimiter(SearcherWrapper):
    """Ray's ``ConcurrencyLimiter``: at most ``max_concurrent`` unfinished trials of ``searcher``."""

    _wrapper_kind = "limit"

    def __init__(self, searcher: Searcher, max_concurrent: int, batch: bool = False) -> None:
        if not (type(max_concurrent) is int and max_concurrent > 0):
            raise ValueError(f"max_concurrent must be a positive integer, got {max_concurrent!r}")
        if not isinstance(searcher, Searcher):
            raise RuntimeError(
                f"The `ConcurrencyLimiter` only works with `Searcher` objects (got {type(searcher)} as `searcher`). "
                "Please try to pass `max_concurrent` to the search generator directly."
            )
        super().__init__(searcher.metric, searcher.mode)
        self.searcher = searcher
        self.max_concurrent = max_concurrent
        self.batch = batch
        # Ray: a searcher that takes the bound itself (its set_max_concurrency answers True) is not limited here.
        self._limit_concurrency = not searcher.set_max_concurrency(max_concurrent)

    def set_max_concurrency(self, max_concurrent: int) -> bool:
        """Ray's: takes the new bound (before ``fit``) and answers True."""
        self.max_concurrent = max_concurrent
        return True

    def set_search_properties(self, metric: Optional[str], mode: Optional[str], config: Any, **spec: Any) -> bool:
        self._limit_concurrency = not self.searcher.set_max_concurrency(self.max_concurrent)
        return super().set_search_properties(metric, mode, config, **spec)
