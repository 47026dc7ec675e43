"""``BayesOptSearch``: Ray's searcher over ``bayesian-optimization`` (a Gaussian process with an
acquisition function), with Ray's rules: a first phase of ``random_search_steps`` suggestions
whose results are registered together once all have come, duplicates (to 5 decimals) skipped
and, past ``patience`` repeats of one configuration, the search finished; NaN and infinite
results left out; the metric maximised (``mode="min"`` negates it).

The library is asked for suggestions by the engine through the user-searcher path
(``search_bridge``): the engine stays the loop and bounds it with ``ConcurrencyLimiter``. Needs
``pip install bayesian-optimization==1.4.3`` (the version Ray names; 2.x removed
``UtilityFunction``)."""
from __future__ import annotations

import json
import logging
import math
import pickle
from collections import defaultdict
from typing import Any, Optional

from .._convert import RayDomain, domain_vars, unflatten_dict
from .._messages import UNRESOLVED_SEARCH_SPACE, require_ready
from ..searcher import Searcher
from ...result import DEFAULT_METRIC
from ..._internal.flatten import flatten_dict
from ...._optional import require

__all__ = ["BayesOptSearch"]

logger = logging.getLogger(__name__)

_PRECISION = 5
"""Decimals to which two suggested configurations count as the same (Ray's ``repeat_float_precision``)."""


def _library() -> Any:
    return require("bayes_opt", "BayesOptSearch needs the bayesian-optimization library: "
                   "pip install bayesian-optimization==1.4.3")


def _config_key(config: dict[str, Any]) -> str:
    """A configuration's identity for the duplicate rule: floats to 5 decimals."""
    flat = {k: (f"{v:.{_PRECISION}f}" if isinstance(v, float) else v) for k, v in flatten_dict(config).items()}
    return json.dumps(flat, sort_keys=True, default=str)


class BayesOptSearch(Searcher):
    """Bayesian optimisation with ``bayesian-optimization``, as Ray's ``BayesOptSearch``: float
    parameters only (``tune.uniform``; other samplers and quantisation are dropped with a
    warning, integers and categories raise Ray's ``ValueError``). ``space`` may be the library's
    own bounds (``{"x": (0, 1)}``) or come from the Tuner's ``param_space``."""

    _called_back = True  # the engine calls it back (search_bridge), as a user's own searcher

    def __init__(self, space: Optional[dict[str, Any]] = None, metric: Optional[str] = None,
                 mode: Optional[str] = None, points_to_evaluate: Optional[list[dict[str, Any]]] = None,
                 utility_kwargs: Optional[dict[str, Any]] = None, random_state: int = 42,
                 random_search_steps: int = 10, verbose: int = 0, patience: int = 5, skip_duplicate: bool = True,
                 analysis: Any = None) -> None:
        byo = _library()
        if mode and mode not in ("min", "max"):
            raise AssertionError("`mode` must be 'min' or 'max'.")
        if patience <= 0:
            raise ValueError("patience must be set to a value greater than 0!")
        super().__init__(metric=metric, mode=mode)
        self._config_counter: dict[str, int] = defaultdict(int)
        self._patience = patience
        self.repeat_float_precision = _PRECISION
        self._skip_duplicate = skip_duplicate
        self._metric_op = 1.0 if mode == "max" else -1.0
        self._points_to_evaluate = list(points_to_evaluate) if points_to_evaluate else []
        self._live_trial_mapping: dict[str, dict[str, Any]] = {}
        self._buffered_trial_results: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.random_search_trials = random_search_steps
        self._total_random_search_trials = 0
        self.utility = byo.UtilityFunction(**(utility_kwargs if utility_kwargs is not None
                                              else {"kind": "ucb", "kappa": 2.576, "xi": 0.0}))
        self._analysis = analysis
        self._verbose = verbose
        self._random_state = random_state
        self.optimizer: Any = None
        bounds: Any = space
        if isinstance(space, dict) and space and domain_vars(space, "BayesOpt"):
            logger.warning(UNRESOLVED_SEARCH_SPACE.format(par="space", cls=type(self)))
            bounds = self.convert_search_space(space, join=True)
        self._space = bounds
        if bounds:
            self._setup_optimizer()

    def _setup_optimizer(self) -> None:
        if self._metric is None and self._mode:
            self._metric = DEFAULT_METRIC  # only a mode: the anonymous metric
        self.optimizer = _library().BayesianOptimization(f=None, pbounds=self._space, verbose=self._verbose,
                                                         random_state=self._random_state)
        if self._analysis is not None:
            self.register_analysis(self._analysis)

    def set_search_properties(self, metric: Optional[str], mode: Optional[str], config: Any, **spec: Any) -> bool:
        if self.optimizer is not None:
            return False
        self._space = self.convert_search_space(config)
        if metric:
            self._metric = metric
        if mode:
            self._mode = mode
        self._metric_op = 1.0 if self._mode == "max" else -1.0
        self._setup_optimizer()
        return True

    def suggest(self, trial_id: str) -> Optional[dict[str, Any]]:
        require_ready(self, self.optimizer is not None)
        config = self._points_to_evaluate.pop(0) if self._points_to_evaluate else self.optimizer.suggest(self.utility)
        key = _config_key(config)
        seen = key in self._config_counter
        self._config_counter[key] += 1
        if self._patience is not None and max(self._config_counter.values()) > self._patience:
            return Searcher.FINISHED  # type: ignore[return-value]  # a configuration back more than `patience` times
        if seen and self._skip_duplicate:
            logger.info("Skipping duplicated config: %s.", config)
            return None
        if len(self._buffered_trial_results) < self.random_search_trials:
            # the random phase: at most random_search_steps suggestions until their results are in
            if self._total_random_search_trials == self.random_search_trials:
                return None
            if config:
                self._total_random_search_trials += 1
        self._live_trial_mapping[trial_id] = config
        return unflatten_dict(config)

    def register_analysis(self, analysis: Any) -> None:
        """Registers the results of an earlier experiment (an ``ExperimentAnalysis``) with the
        Gaussian process: each trial's configuration and its row of ``dataframe(metric, mode)``."""
        rows = analysis.dataframe(metric=self._metric, mode=self._mode).iterrows()
        for (_, report), params in zip(rows, analysis.get_all_configs().values()):
            self._register_result(params, report)

    def on_trial_complete(self, trial_id: str, result: Optional[dict[str, Any]] = None, error: bool = False) -> None:
        params = self._live_trial_mapping.pop(trial_id, None)
        if result is None or params is None or error:
            return
        if len(self._buffered_trial_results) >= self.random_search_trials:
            self._register_result(params, result)
            return
        self._buffered_trial_results.append((params, result))
        if len(self._buffered_trial_results) == self.random_search_trials:
            for p, r in self._buffered_trial_results:  # the random phase is over: all of it at once
                self._register_result(p, r)

    def _register_result(self, params: dict[str, Any], result: Any) -> None:
        value = result[self.metric]
        try:
            finite = math.isfinite(float(value))
        except (TypeError, ValueError):
            finite = True  # not a number: the library says what is wrong with it
        if finite:  # NaN and infinite results are left out (Ray's is_nan_or_inf)
            self.optimizer.register(params, self._metric_op * value)

    def get_state(self) -> dict[str, Any]:
        """The searcher's whole state (the optimizer with its observations)."""
        return self.__dict__.copy()

    def set_state(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def save(self, checkpoint_path: str) -> None:
        """Pickles the state to `checkpoint_path`."""
        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.get_state(), f)

    def restore(self, checkpoint_path: str) -> None:
        """Loads a state ``save`` wrote."""
        with open(checkpoint_path, "rb") as f:
            self.set_state(pickle.load(f))

    @staticmethod
    def convert_search_space(spec: dict[str, Any], join: bool = False) -> dict[str, Any]:
        """A Tune space as bayesian-optimization's bounds, ``{"a/b": (lower, upper)}`` (with
        `join`, merged into the flattened `spec`)."""
        domains = domain_vars(spec, "BayesOpt")

        def bounds(d: RayDomain) -> tuple[Any, Any]:
            if d.quantized:
                logger.warning("BayesOpt search does not support quantization. Dropped quantization.")
            if d.type_name == "Float":
                if d.sampler != "Uniform":
                    logger.warning("BayesOpt does not support specific sampling methods. The %s sampler will be "
                                   "dropped.", d.sampler)
                if d.lower is None or d.upper is None:
                    raise ValueError("BayesOpt needs bounded parameters: tune.randn has no bounds; use tune.uniform.")
                return (d.lower, d.upper)
            raise ValueError(f"BayesOpt does not support parameters of type `{d.type_name}`")

        out = {path: bounds(d) for path, d in domains}
        if join:
            flat = flatten_dict(spec)
            flat.update(out)
            return flat
        return out
