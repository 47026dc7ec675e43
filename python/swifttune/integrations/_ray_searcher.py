"""swifttune's TPE as a Ray Tune search algorithm: Ray distributes the trials (one machine or a
cluster), swifttune decides what to try.

    from ray import tune
    from ray.tune.search import ConcurrencyLimiter
    from swifttune.integrations.ray import SwiftTPESearch

    search = ConcurrencyLimiter(SwiftTPESearch(metric="loss", mode="min"), max_concurrent=4)
    tune.Tuner(objective, param_space={"x": tune.uniform(0, 10)},
               tune_config=tune.TuneConfig(search_alg=search, num_samples=100)).fit()

The implementation behind ``swifttune.integrations.ray``, imported (with Ray) when one of its
names is first used.
"""
from __future__ import annotations

import json
from typing import Any, Optional

try:
    from ray.tune.search import Searcher as _RaySearcher
    from ray.tune.search import sample as _ray_sample
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("swifttune.integrations.ray.SwiftTPESearch needs Ray Tune: pip install \"ray[tune]\"") from e

from ..tune.search import sample as _tune
from ..tune.search.hyperopt import HyperOptSearch as _SwiftHyperOptSearch

__all__ = ["SwiftTPESearch", "convert_search_space"]


class SwiftTPESearch(_RaySearcher):
    """A ``ray.tune.search.Searcher`` that runs swifttune's TPE (hyperopt's algorithm, in Swift,
    through libswifttune). Ray's ``HyperOptSearch`` signature, so it replaces it in place:

    Args:
        space: a search space: Ray ``tune.*`` domains, swifttune's, or a hyperopt ``hp`` space
            (hyperopt's own or ``swifttune.hyperopt.hp``); None takes the Tuner's ``param_space``.
        metric, mode: the metric and its direction; None takes the Tuner's.
        points_to_evaluate: configurations to try first.
        n_initial_points: random trials before TPE takes over (hyperopt's ``n_startup_jobs``).
        random_state_seed: seed; the same seed gives the same suggestions.
        gamma: hyperopt's ``gamma``.
        n_ei_candidates, prior_weight: hyperopt's ``n_EI_candidates`` and ``prior_weight``.

    Errored trials are left out of the model, as hyperopt does; a trial whose result lacks the
    metric, or has it NaN or infinite, counts as errored. Ray's experiment checkpoints save and
    restore the searcher's whole state (``save`` / ``restore``), so a restored Ray experiment
    continues the same suggestion stream.
    """

    def __init__(self, space: Optional[Any] = None, metric: Optional[str] = None, mode: Optional[str] = None,
                 points_to_evaluate: Optional[list[dict[str, Any]]] = None, n_initial_points: int = 20,
                 random_state_seed: Optional[int] = None, gamma: float = 0.25, *, n_ei_candidates: int = 24,
                 prior_weight: float = 1.0) -> None:
        super().__init__(metric=metric, mode=mode)
        self._options: dict[str, Any] = {"points_to_evaluate": points_to_evaluate, "n_initial_points": n_initial_points,
                         "random_state_seed": random_state_seed, "gamma": gamma,
                         "n_ei_candidates": n_ei_candidates, "prior_weight": prior_weight}
        self._space_given = space is not None
        # Built now, so that a bad option raises here (with HyperOptSearch's messages).
        self._inner = _SwiftHyperOptSearch(convert_search_space(space) if space is not None else None,
                                           metric, mode, **self._options)

    # -- Ray's Searcher interface ----------------------------------------------------------

    def set_search_properties(self, metric: Optional[str], mode: Optional[str], config: dict[str, Any],
                              **spec: Any) -> bool:
        if self._space_given:
            return False  # as Ray's searchers: a space given twice is refused
        if self._inner._handle is not None:
            return False
        space = convert_search_space(config) if config else None
        self._inner = _SwiftHyperOptSearch(space, self._metric or metric, self._mode or mode, **self._options)
        self._space_given = space is not None
        if metric and not self._metric:
            self._metric = metric
        if mode and not self._mode:
            self._mode = mode
        return True

    def suggest(self, trial_id: str) -> Optional[dict[str, Any]]:
        if not self._space_given:
            raise RuntimeError(
                "SwiftTPESearch has no search space: pass `space` to it or a `param_space` to the Tuner "
                "(as with Ray's HyperOptSearch).")
        if not self._metric or not self._mode:
            raise RuntimeError(
                "SwiftTPESearch needs `metric` and `mode`: pass them to it or to tune.TuneConfig.")
        if self._inner._metric is None or self._inner._mode is None:
            self._inner._metric, self._inner._mode = self._metric, self._mode
        return self._inner.suggest(trial_id)

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        """Intermediate results do not change TPE's model (as in hyperopt)."""

    def on_trial_complete(self, trial_id: str, result: Optional[dict[str, Any]] = None, error: bool = False) -> None:
        usable = not error and result is not None and self._metric is not None and _finite(result.get(self._metric))
        self._inner.on_trial_complete(trial_id, result if usable else None, error=not usable)

    def save(self, checkpoint_path: str) -> None:
        """The whole searcher state (Ray calls this for its experiment checkpoints)."""
        with open(checkpoint_path, "w", encoding="utf-8") as f:
            json.dump(self.__getstate__(), f)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, encoding="utf-8") as f:
            self.__setstate__(json.load(f))

    # -- pickling (Ray pickles the Tuner's search algorithm with the experiment) -------------

    def __getstate__(self) -> dict[str, Any]:
        inner = self._inner
        state: Optional[str] = None
        if inner._handle is not None:
            from .._lib import lib

            state = lib.call_string("st_searcher_save", inner._handle.p)
        import cloudpickle

        return {"metric": self._metric, "mode": self._mode, "space_given": self._space_given, "searcher_state": state,
                # The Swift state holds the space; Python-side values (objects in the space) travel pickled.
                "python": cloudpickle.dumps({"space": inner._space, "refs": inner._refs,
                                             "options": self._options}).hex()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        import cloudpickle

        from .._lib import SearcherHandle, lib

        python = cloudpickle.loads(bytes.fromhex(state["python"]))
        _RaySearcher.__init__(self, metric=state["metric"], mode=state["mode"])
        self._options = python["options"]
        self._space_given = state["space_given"]
        self._inner = _SwiftHyperOptSearch(None, state["metric"], state["mode"], **self._options)
        self._inner._space = python["space"]
        self._inner._refs = python["refs"]
        if state["searcher_state"] is not None:
            self._inner._handle = SearcherHandle(lib.call_handle("st_searcher_restore", state["searcher_state"].encode()))


def _finite(v: Any) -> bool:
    import math
    import numbers

    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))


def convert_search_space(space: Any) -> Any:
    """A search space for swifttune from Ray ``tune.*`` domains (nested dicts and lists of them,
    with constants); hyperopt spaces and swifttune's own domains pass through. Grid search and
    ``sample_from`` cannot be given to TPE, and raise (as in Ray's HyperOptSearch)."""
    if isinstance(space, _ray_sample.Domain):
        return _convert_domain(space)
    if isinstance(space, dict):
        if set(space) == {"grid_search"}:
            raise ValueError("Grid search parameters cannot be automatically converted to a search space for "
                             "SwiftTPESearch (as for HyperOptSearch): use tune.choice instead.")
        return {k: convert_search_space(v) for k, v in space.items()}
    if isinstance(space, list):
        return [convert_search_space(v) for v in space]
    return space


def _convert_domain(domain: Any) -> Any:
    sampler = domain.get_sampler()
    q = None
    if isinstance(sampler, _ray_sample.Quantized):
        q = sampler.q
        sampler = sampler.get_sampler()
    if isinstance(domain, _ray_sample.Categorical):
        return _tune.choice([convert_search_space(c) for c in domain.categories])
    if isinstance(domain, _ray_sample.Function):
        raise ValueError("tune.sample_from cannot be converted to a search space for SwiftTPESearch "
                         "(as for HyperOptSearch): use tune.* sampling functions.")
    lower, upper = domain.lower, domain.upper
    if isinstance(domain, _ray_sample.Float):
        if isinstance(sampler, _ray_sample.LogUniform):
            return _tune.loguniform(lower, upper) if q is None else _tune.qloguniform(lower, upper, q)
        if isinstance(sampler, _ray_sample.Normal):
            return _tune.randn(sampler.mean, sampler.sd) if q is None else _tune.qrandn(sampler.mean, sampler.sd, q)
        return _tune.uniform(lower, upper) if q is None else _tune.quniform(lower, upper, q)
    if isinstance(domain, _ray_sample.Integer):
        if isinstance(sampler, _ray_sample.LogUniform):
            return _tune.lograndint(lower, upper) if q is None else _tune.qlograndint(lower, upper, int(q))
        return _tune.randint(lower, upper) if q is None else _tune.qrandint(lower, upper, int(q))
    raise ValueError(f"SwiftTPESearch cannot convert the Ray search domain {domain!r}")

