"""``HyperOptSearch``: hyperopt's TPE, run by swifttune's Swift implementation."""
from __future__ import annotations

from typing import Any, Optional

from .. import Searcher

__all__ = ["HyperOptSearch"]


class HyperOptSearch(Searcher):
    """Ray Tune's ``HyperOptSearch`` (Tree-structured Parzen Estimator) with the same signature.

    Args:
        space: a hyperopt space (``swifttune.hyperopt.hp`` or Ray ``tune.*`` domains); None takes
            the Tuner's ``param_space``.
        metric, mode: the metric and its direction; None takes the Tuner's.
        points_to_evaluate: configurations to try first, given by value (categories by value).
        n_initial_points: random trials before TPE takes over (hyperopt's ``n_startup_jobs``).
        random_state_seed: seed; the same seed gives the same suggestions.
        gamma: the fraction of good trials, hyperopt's ``gamma``.
        n_ei_candidates, prior_weight: hyperopt's ``n_EI_candidates`` and ``prior_weight`` (swifttune extras).
    """

    _algorithm = "tpe"

    def __init__(self, space: Optional[dict[str, Any]] = None, metric: Optional[str] = None, mode: Optional[str] = None,
                 points_to_evaluate: Optional[list[dict[str, Any]]] = None, n_initial_points: int = 20,
                 random_state_seed: Optional[int] = None, gamma: float = 0.25, *, n_ei_candidates: int = 24,
                 prior_weight: float = 1.0) -> None:
        super().__init__(metric, mode)
        if points_to_evaluate is not None and not isinstance(points_to_evaluate, list):
            raise TypeError("points_to_evaluate expected to be a list, got {}.".format(type(points_to_evaluate)))
        from ....hyperopt._convert import from_pyll, is_pyll

        self._space = from_pyll(space) if space is not None and is_pyll(space) else space
        self._points = list(points_to_evaluate or [])
        self._seed = random_state_seed
        self.n_initial_points = n_initial_points
        self.gamma = gamma
        self.n_ei_candidates = n_ei_candidates
        self.prior_weight = prior_weight

    def _options(self) -> dict[str, Any]:
        return {"n_initial_points": self.n_initial_points, "gamma": self.gamma,
                "n_EI_candidates": self.n_ei_candidates, "prior_weight": self.prior_weight}
