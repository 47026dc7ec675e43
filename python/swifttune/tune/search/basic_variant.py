"""``BasicVariantGenerator``: Ray's default search algorithm (random search and grid search), run by the
Swift engine's random searcher."""
from __future__ import annotations

from typing import Any, Optional

from ..._space import require_int
from .searcher import Searcher, check_points, seed_from

__all__ = ["BasicVariantGenerator"]


class BasicVariantGenerator(Searcher):
    """Random search (Ray's default search algorithm) in Swift, with Ray's parameters:
    ``max_concurrent`` (0: no limit) bounds the trials running at once; ``constant_grid_search``
    is accepted (grid values are combined with fresh random samples either way)."""

    _algorithm = "random"

    def __init__(self, points_to_evaluate: Optional[list[dict[str, Any]]] = None, max_concurrent: int = 0,
                 constant_grid_search: bool = False, random_state: Any = None) -> None:
        super().__init__()
        require_int("BasicVariantGenerator", "max_concurrent", max_concurrent, 0)  # 0: no limit
        self._points = check_points(points_to_evaluate)
        self._seed = seed_from("random_state", random_state)
        self.max_concurrent = int(max_concurrent)
        self.constant_grid_search = constant_grid_search

    def _spec(self, max_concurrent: Optional[int] = None, batch: bool = False) -> dict[str, Any]:
        if max_concurrent is None and self.max_concurrent > 0:
            max_concurrent = self.max_concurrent
        return super()._spec(max_concurrent, batch)
