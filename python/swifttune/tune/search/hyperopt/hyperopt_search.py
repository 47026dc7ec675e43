"""``HyperOptSearch``: hyperopt's TPE, run by swifttune's Swift implementation."""
from __future__ import annotations

from typing import Any, Optional

from ...._space import HPNode, require_int, require_number
from ..searcher import Searcher, check_points, seed_from

__all__ = ["HyperOptSearch"]

N_INITIAL_POINTS = 20  # hyperopt's n_startup_jobs
GAMMA = 0.25  # hyperopt's gamma


class HyperOptSearch(Searcher):
    """Ray Tune's ``HyperOptSearch`` (Tree-structured Parzen Estimator) with the same signature.

    Args:
        space: a hyperopt space (``swifttune.hyperopt.hp`` or Ray ``tune.*`` domains); None takes
            the Tuner's ``param_space``.
        metric, mode: the metric and its direction; None takes the Tuner's.
        points_to_evaluate: configurations to try first, given by value (categories by value).
        n_initial_points: random trials before TPE takes over (hyperopt's ``n_startup_jobs``;
            None: hyperopt's default, 20).
        random_state_seed: seed; the same seed gives the same suggestions.
        gamma: the fraction of good trials, hyperopt's ``gamma``, in (0, 1] (None: 0.25).
        n_ei_candidates, prior_weight: hyperopt's ``n_EI_candidates`` and ``prior_weight`` (swifttune extras).
        constant_liar: swifttune's opt-in constant liar for parallel runs (not hyperopt's; default
            False, hyperopt-exact): running trials stay bad observations but count neither towards
            ``n_initial_points`` nor the split's size (Optuna's rule; docs/tpe.md).

    Every argument is checked here, before anything runs: a wrong type or an impossible value
    raises a TypeError or ValueError naming it.
    """

    _algorithm = "tpe"

    def __init__(self, space: Optional[dict[str, Any]] = None, metric: Optional[str] = None, mode: Optional[str] = None,
                 points_to_evaluate: Optional[list[dict[str, Any]]] = None, n_initial_points: Optional[int] = 20,
                 random_state_seed: Optional[int] = None, gamma: Optional[float] = 0.25, *, n_ei_candidates: int = 24,
                 prior_weight: float = 1.0, constant_liar: bool = False) -> None:
        super().__init__(metric, mode)
        from ....hyperopt._convert import from_pyll, is_pyll

        if space is not None and not is_pyll(space) and not isinstance(space, (dict, list, tuple, HPNode)):
            raise TypeError("HyperOptSearch: `space` must be a dict of search domains or a hyperopt space "
                            f"(hp.* expressions), got {type(space).__name__} {space!r}")
        points = check_points(points_to_evaluate)
        n_initial_points = N_INITIAL_POINTS if n_initial_points is None else n_initial_points
        require_int("HyperOptSearch", "n_initial_points", n_initial_points, 0)
        gamma = GAMMA if gamma is None else gamma
        require_number("HyperOptSearch", "gamma", gamma)
        if not 0 < gamma <= 1:
            raise ValueError(f"HyperOptSearch: `gamma` must be in (0, 1], got {gamma!r}")
        require_int("HyperOptSearch", "n_ei_candidates", n_ei_candidates, 1)
        require_number("HyperOptSearch", "prior_weight", prior_weight)
        if not prior_weight > 0:
            raise ValueError(f"HyperOptSearch: `prior_weight` must be positive, got {prior_weight!r}")
        self._seed = seed_from("random_state_seed", random_state_seed)
        self._space = from_pyll(space) if space is not None and is_pyll(space) else space
        self._points = points
        self.n_initial_points = int(n_initial_points)
        self.gamma = float(gamma)
        self.n_ei_candidates = int(n_ei_candidates)
        self.prior_weight = float(prior_weight)
        if not isinstance(constant_liar, bool):
            raise TypeError(f"HyperOptSearch: `constant_liar` must be True or False, got {constant_liar!r}")
        self.constant_liar = constant_liar

    def _options(self) -> dict[str, Any]:
        options = {"n_initial_points": self.n_initial_points, "gamma": self.gamma,
                   "n_EI_candidates": self.n_ei_candidates, "prior_weight": self.prior_weight}
        if self.constant_liar:
            options["constant_liar"] = True
        return options

    def get_state(self) -> dict[str, Any]:
        """The searcher's whole state (space, options, seed and every trial it was told of), as
        ``set_state`` takes it back (Ray's pair; the state is swifttune's JSON, not hyperopt's
        ``Trials``)."""
        import json

        from ...._lib import lib

        return {"swifttune_searcher": json.loads(lib.call_string("st_searcher_save", self._ensure().p) or "null"),
                "metric": self._metric, "mode": self._mode}

    def set_state(self, state: dict[str, Any]) -> None:
        """Continues from ``get_state``'s state: the next suggestions are the ones the searcher
        that gave it would have made."""
        import json

        from ...._lib import SearcherHandle, lib

        if not isinstance(state, dict) or "swifttune_searcher" not in state:
            raise ValueError("HyperOptSearch.set_state takes what HyperOptSearch.get_state returned (a state of "
                             "swifttune's searcher); a Ray HyperOptSearch state (hyperopt Trials) cannot be read.")
        if self._space is not None:
            self._spec()  # the references of the space's values that are not JSON, as the state's searcher had them
        self._handle = SearcherHandle(lib.call_handle("st_searcher_restore",
                                                      json.dumps(state["swifttune_searcher"]).encode("utf-8")))
        self._metric = state.get("metric", self._metric)
        self._mode = state.get("mode", self._mode)

    @staticmethod
    def convert_search_space(spec: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        """Ray's conversion of a Tune space to a hyperopt space (``swifttune.hyperopt.hp``
        expressions labelled by their ``a/b`` path; constants kept), rule for rule: ``randint``
        becomes ``uniformint(lower, upper - 1)``, ``qrandint`` an integer ``quniform(lower,
        upper - 1, q)``, log domains take the logs of their bounds, ``randn`` is ``normal``, a
        choice's nested spaces are converted under its label, ``lograndint`` becomes
        ``scope.int(qloguniform(log(lower), log(upper - 1), 1))`` and ``qlograndint``
        ``scope.int(qloguniform(log(lower), log(upper), q))``. A grid is Ray's ``ValueError``."""
        import copy
        import math

        from ...._space import Categorical, Domain, GridSearch, SampleFrom
        from ....hyperopt import hp
        from ....hyperopt.pyll import scope

        spec = copy.deepcopy(spec)
        found: list[tuple[tuple[Any, ...], Any]] = []

        def walk(node: Any, path: tuple[Any, ...]) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    walk(v, path + (k,))
            elif isinstance(node, GridSearch):
                raise ValueError("Grid search parameters cannot be automatically converted to a HyperOpt search space.")
            elif isinstance(node, (Domain, SampleFrom)):
                found.append((path, node))

        walk(spec, ())
        if not found:
            return {}

        def resolve(par: str, domain: Any) -> Any:
            if isinstance(domain, Categorical):
                options = []
                for i, category in enumerate(domain.categories):
                    if isinstance(category, dict):
                        options.append(HyperOptSearch.convert_search_space(category, prefix=par))
                    elif isinstance(category, list) and category and isinstance(category[0], (Domain, SampleFrom)):
                        options.append(HyperOptSearch.convert_search_space(dict(enumerate(category)),  # type: ignore[arg-type]
                                                                        prefix=f"{par}/{i}"))
                    elif isinstance(category, (Domain, SampleFrom)):
                        options.append(resolve(f"{par}/{i}", category))
                    else:
                        options.append(category)
                return hp.choice(par, options)
            if isinstance(domain, SampleFrom):
                raise ValueError("HyperOpt does not support parameters of type `Function` with samplers of type "
                                 "`NoneType`")
            a = domain.args
            kind = domain.kind
            if kind == "tune.uniform":
                return hp.uniform(par, a["lower"], a["upper"])
            if kind == "tune.quniform":
                return hp.quniform(par, a["lower"], a["upper"], a["q"])
            if kind == "tune.loguniform":
                return hp.loguniform(par, math.log(a["lower"]), math.log(a["upper"]))
            if kind == "tune.qloguniform":
                return hp.qloguniform(par, math.log(a["lower"]), math.log(a["upper"]), a["q"])
            if kind == "tune.randn":
                return hp.normal(par, a["mean"], a["sd"])
            if kind == "tune.qrandn":
                return hp.qnormal(par, a["mean"], a["sd"], a["q"])
            if kind == "tune.randint":
                return hp.uniformint(par, a["lower"], a["upper"] - 1)
            if kind == "tune.qrandint":
                return scope.int(hp.quniform(par, a["lower"], a["upper"] - 1, a["q"]))
            if kind == "tune.lograndint":
                return scope.int(hp.qloguniform(par, math.log(a["lower"]), math.log(a["upper"] - 1), 1.0))
            if kind == "tune.qlograndint":
                return scope.int(hp.qloguniform(par, math.log(a["lower"]), math.log(a["upper"]), a["q"]))
            raise ValueError(f"{par}: HyperOpt does not support parameters of type {kind}")

        for path, domain in found:
            par = "/".join(str(p) for p in ((prefix,) + path if prefix else path))
            node = spec
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = resolve(par, domain)
        return spec
