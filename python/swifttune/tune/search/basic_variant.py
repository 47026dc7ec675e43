"""``BasicVariantGenerator``: Ray's default search algorithm (random search and grid search), run by the
Swift engine's random searcher."""
from __future__ import annotations

from typing import Any, Optional

from ..._space import require_int
from .searcher import Searcher, check_points, seed_from

__all__ = ["BasicVariantGenerator"]


class BasicVariantGenerator(Searcher):
    """Random search (Ray's default search algorithm) in Swift, with Ray's parameters:
    ``max_concurrent`` (0: no limit) bounds the trials running at once. Grid values are combined
    with fresh random samples (Ray's default), or, with ``constant_grid_search=True``, every grid
    combination of one sample shares the sample's random values (one draw per ``num_samples``)."""

    _algorithm = "random"

    def __init__(self, points_to_evaluate: Optional[list[dict[str, Any]]] = None, max_concurrent: int = 0,
                 constant_grid_search: bool = False, random_state: Any = None) -> None:
        super().__init__()
        require_int("BasicVariantGenerator", "max_concurrent", max_concurrent, 0)  # 0: no limit
        self._points = check_points(points_to_evaluate)
        self._seed = seed_from("random_state", random_state)
        self.max_concurrent = int(max_concurrent)
        self.constant_grid_search = bool(constant_grid_search)
        self._grid_blocks = (0, 0)  # (combinations per sample, grid points): set by the Tuner for a grid

    def _options(self) -> dict[str, Any]:
        block, points = self._grid_blocks
        if not self.constant_grid_search or block == 0:
            return {}
        return {"constant_grid_block": block, "constant_grid_points": points}

    def _spec(self, max_concurrent: Optional[int] = None, batch: bool = False) -> dict[str, Any]:
        if max_concurrent is None and self.max_concurrent > 0:
            max_concurrent = self.max_concurrent
        return super()._spec(max_concurrent, batch)
