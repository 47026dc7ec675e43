"""``NevergradSearch``: Ray's searcher over ``nevergrad``'s gradient-free optimizers, with Ray's
rules: the optimizer is an ``Optimizer`` class or ``ConfiguredOptimizer`` (built on the space
with ``optimizer_kwargs``) or an optimizer instance (with ``space`` a list of parameter names or
None); each suggestion is the optimizer's ``ask()``, each completed trial ``tell``s it the metric
(negated for ``mode="max"``: nevergrad minimises); ``points_to_evaluate`` are the optimizer's first
candidates.

The library is asked by the engine through the user-searcher path (``search_bridge``): the engine
stays the loop and bounds it with ``ConcurrencyLimiter``. Needs ``pip install nevergrad``."""
from __future__ import annotations

import inspect
import logging
import math
import pickle
from collections.abc import Sequence
from typing import Any, Optional

from .._convert import RayDomain, domain_vars, unflatten_dict
from .._messages import UNRESOLVED_SEARCH_SPACE, require_ready
from ..searcher import Searcher
from ...result import DEFAULT_METRIC
from ...._optional import require

__all__ = ["NevergradSearch"]

logger = logging.getLogger(__name__)


def _library() -> Any:
    return require("nevergrad", "NevergradSearch needs the nevergrad library: pip install nevergrad")


class NevergradSearch(Searcher):
    """Gradient-free optimisation with ``nevergrad``, as Ray's ``NevergradSearch``: floats
    (``tune.uniform``, ``tune.loguniform`` as ``ng.p.Log``), integers (cast, the upper bound
    exclusive as in Tune) and categories (``ng.p.Choice``); quantisation is dropped with a warning."""

    _called_back = True  # the engine calls it back (search_bridge), as a user's own searcher

    def __init__(self, optimizer: Any = None, optimizer_kwargs: Optional[dict[str, Any]] = None,
                 space: Any = None, metric: Optional[str] = None, mode: Optional[str] = None,
                 points_to_evaluate: Optional[list[dict[str, Any]]] = None) -> None:
        _library()
        if mode and mode not in ("min", "max"):
            raise AssertionError("`mode` must be 'min' or 'max'.")
        super().__init__(metric=metric, mode=mode)
        self._space: Any = None
        self._opt_factory: Any = None
        self._nevergrad_opt: Any = None
        self._optimizer_kwargs = optimizer_kwargs or {}
        self._metric_op = -1.0 if mode == "max" else 1.0
        if points_to_evaluate is None:
            self._points_to_evaluate: Optional[list[dict[str, Any]]] = None
        elif not isinstance(points_to_evaluate, Sequence):
            raise ValueError(f"Invalid object type passed for `points_to_evaluate`: {type(points_to_evaluate)}. "
                             "Please pass a list of points (dictionaries) instead.")
        else:
            self._points_to_evaluate = list(points_to_evaluate)
        if isinstance(space, dict) and space and domain_vars(space, "Nevergrad"):
            logger.warning(UNRESOLVED_SEARCH_SPACE.format(par="space", cls=type(self)))
            space = self.convert_search_space(space)
        from nevergrad.optimization import Optimizer
        from nevergrad.optimization.base import ConfiguredOptimizer as Configured

        if isinstance(optimizer, Optimizer):
            if space is not None and not isinstance(space, list):
                raise ValueError("If you pass a configured optimizer to Nevergrad, either pass a list of parameter "
                                 "names or None as the `space` parameter.")
            if self._optimizer_kwargs:
                raise ValueError("If you pass in optimizer kwargs, either pass an `Optimizer` subclass or an "
                                 "instance of `ConfiguredOptimizer`.")
            self._parameters: Optional[list[str]] = space
            self._nevergrad_opt = optimizer
        elif (inspect.isclass(optimizer) and issubclass(optimizer, Optimizer)) or isinstance(optimizer, Configured):
            self._opt_factory = optimizer
            self._parameters = None
            self._space = space
        else:
            raise ValueError("The `optimizer` argument passed to NevergradSearch must be either an `Optimizer` or a "
                             "`ConfiguredOptimizer`.")
        self._live_trial_mapping: dict[str, Any] = {}
        # (`is not None`: Ray 2.53 tests the space's truth, which nevergrad 1.0's parameters refuse, so a
        # space given here raises there; here it works)
        if self._nevergrad_opt is not None or self._space is not None:
            self._setup_nevergrad()

    def _setup_nevergrad(self) -> None:
        if self._opt_factory is not None:
            self._nevergrad_opt = self._opt_factory(self._space, **self._optimizer_kwargs)
        self._metric_op = -1.0 if self._mode == "max" else 1.0
        if self._metric is None and self._mode:
            self._metric = DEFAULT_METRIC  # only a mode: the anonymous metric
        opt = self._nevergrad_opt
        if hasattr(opt, "instrumentation"):
            if opt.instrumentation.kwargs:
                if opt.instrumentation.args:
                    raise ValueError("Instrumented optimizers should use kwargs only")
                if self._parameters is not None:
                    raise ValueError("Instrumented optimizers should provide None as parameter_names")
            else:
                if self._parameters is None:
                    raise ValueError("Non-instrumented optimizers should have a list of parameter_names")
                if len(opt.instrumentation.args) != 1:
                    raise ValueError("Instrumented optimizers should use kwargs only")
        if self._parameters is not None and opt.dimension != len(self._parameters):
            raise ValueError("len(parameters_names) must match optimizer dimension for non-instrumented optimizers")
        if self._points_to_evaluate:
            # the optimizer's first candidates, in the given order (it asks the last suggested first)
            for point in reversed(self._points_to_evaluate):
                opt.suggest(point)

    def set_search_properties(self, metric: Optional[str], mode: Optional[str], config: Any, **spec: Any) -> bool:
        if self._nevergrad_opt is not None or self._space is not None:
            return False
        self._space = self.convert_search_space(config)
        if metric:
            self._metric = metric
        if mode:
            self._mode = mode
        self._setup_nevergrad()
        return True

    def suggest(self, trial_id: str) -> Optional[dict[str, Any]]:
        require_ready(self, self._nevergrad_opt is not None)
        candidate = self._nevergrad_opt.ask()
        self._live_trial_mapping[trial_id] = candidate
        if candidate.kwargs:
            return unflatten_dict(candidate.kwargs)
        if self._parameters:
            return unflatten_dict(dict(zip(self._parameters, candidate.args[0])))
        return unflatten_dict(candidate.value)

    def on_trial_complete(self, trial_id: str, result: Optional[dict[str, Any]] = None, error: bool = False) -> None:
        """Tells the optimizer the trial's metric (a trial without a result tells it nothing)."""
        if result:
            metric = self._metric if self._metric is not None else DEFAULT_METRIC
            self._nevergrad_opt.tell(self._live_trial_mapping[trial_id], self._metric_op * result[metric])
        self._live_trial_mapping.pop(trial_id)

    def save(self, checkpoint_path: str) -> None:
        """Pickles the searcher's state (the optimizer with its observations)."""
        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.__dict__, f)

    def restore(self, checkpoint_path: str) -> None:
        """Loads a state ``save`` wrote."""
        with open(checkpoint_path, "rb") as f:
            self.__dict__.update(pickle.load(f))

    @staticmethod
    def convert_search_space(spec: dict[str, Any]) -> Any:
        """A Tune space as a nevergrad ``ng.p.Dict`` of parameters by flat path (``a/b``)."""
        ng = _library()
        domains = domain_vars(spec, "Nevergrad")

        def parameter(d: RayDomain) -> Any:
            if d.quantized:
                logger.warning("Nevergrad does not support quantization. Dropped quantization.")
            if d.type_name == "Float":
                if d.sampler == "LogUniform":
                    return ng.p.Log(lower=d.lower, upper=d.upper, exponent=math.e)
                return ng.p.Scalar(lower=d.lower, upper=d.upper)
            if d.type_name == "Integer":
                assert d.upper is not None
                if d.sampler == "LogUniform":
                    return ng.p.Log(lower=d.lower, upper=d.upper - 1, exponent=math.e).set_integer_casting()
                return ng.p.Scalar(lower=d.lower, upper=d.upper - 1).set_integer_casting()
            if d.type_name == "Categorical":
                return ng.p.Choice(choices=list(d.categories))
            raise ValueError(f"Nevergrad does not support parameters of type `{d.type_name}` with samplers of type "
                             f"`{d.sampler or 'NoneType'}`")

        return ng.p.Dict(**{path: parameter(d) for path, d in domains})
