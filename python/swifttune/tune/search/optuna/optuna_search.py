"""``OptunaSearch``: Ray Tune's Optuna searcher with Ray's signature. Its TPE is swifttune's Swift
implementation of Optuna 5.0's ``TPESampler`` rules (``docs/tpe-optuna.md``), so a suggestion costs
microseconds and Optuna itself is needed only to pass Optuna objects (distributions, a sampler)."""
from __future__ import annotations

import copy
import logging
import numbers
from typing import Any, Callable, Optional, Union

from ...._space import Categorical, Domain, GridSearch, SampleFrom, has_domains
from .._messages import UNDEFINED_SEARCH_SPACE, UNRESOLVED_SEARCH_SPACE, require_ready
from ..searcher import Searcher, _metric_value, check_points, check_trial_id

__all__ = ["OptunaSearch"]

logger = logging.getLogger(__name__)

DEFAULT_METRIC = "_metric"
_TRAINING_ITERATION = "training_iteration"
# The Swift searcher's options, with Optuna 5.0's TPESampler defaults.
_TPE_DEFAULTS: dict[str, Any] = {"n_startup_trials": 10, "n_ei_candidates": 24, "prior_weight": 1.0,
                                 "consider_magic_clip": True, "consider_endpoints": False, "multivariate": True,
                                 "group": False, "constant_liar": True}


class OptunaSearch(Searcher):
    """Ray Tune's ``OptunaSearch`` (``ray.tune.search.optuna.OptunaSearch``) with the same signature.

    Args:
        space: Optuna distributions by parameter name (``{"x": FloatDistribution(0, 1)}``; "a/b"
            names nest), or Tune domains (converted as Ray converts them, with Ray's warning);
            None takes the Tuner's ``param_space``.
        metric, mode: the metric and its direction; None takes the Tuner's.
        points_to_evaluate: configurations to try first (Optuna's ``enqueue_trial``).
        sampler: an ``optuna.samplers.TPESampler``: its options run in swifttune's TPE. None is
            ``TPESampler(seed=seed)``. Any other sampler (or a TPESampler with options swifttune's
            rules have not) runs through Optuna itself, over an Optuna study.
        study_name: the name of Optuna's study.
        storage: an Optuna storage: the search runs over an Optuna study kept there (Ray's path),
            sampled by ``swifttune.optuna.TPESampler``.

    A define-by-run ``space`` (a function of an Optuna trial), a ``storage``, a list of metrics
    and modes (several objectives: Optuna's multi-objective TPE, in Swift) or another sampler run over an
    Optuna study, as Ray runs them; otherwise the whole searcher is Swift.
        seed: the sampler's seed when no sampler is given.
        evaluated_rewards: the results of ``points_to_evaluate``, which then count as finished trials.
    """

    _algorithm = "optuna_tpe"

    def __init__(self, space: Optional[Union[dict[str, Any], list[tuple[Any, ...]], Callable[..., Any]]] = None,
                 metric: Optional[Union[str, list[str]]] = None, mode: Optional[Union[str, list[str]]] = None,
                 points_to_evaluate: Optional[list[dict[str, Any]]] = None, sampler: Any = None,
                 study_name: Optional[str] = None, storage: Any = None, seed: Optional[int] = None,
                 evaluated_rewards: Optional[list[Any]] = None) -> None:
        multi = isinstance(metric, list) or isinstance(mode, list)
        if multi and mode is not None and not isinstance(mode, list):
            raise ValueError("OptunaSearch: with a list of metrics, `mode` must be a list of 'min' / 'max' as long")
        Searcher.__init__(self, None if multi else metric, None if multi else mode)  # type: ignore[arg-type]
        if multi:
            self._metric, self._mode = metric, mode  # type: ignore[assignment]
        if space is not None and not isinstance(space, dict) and not callable(space):
            raise TypeError(f"OptunaSearch: `space` must be a dict of Optuna distributions or Tune domains, or a "
                            f"define-by-run function, got {type(space).__name__} {space!r}")
        if sampler is not None:
            from optuna.samplers import BaseSampler

            assert isinstance(sampler, BaseSampler), (
                "You can only pass an instance of `optuna.samplers.BaseSampler` as a sampler to `OptunaSearcher`.")
        # Ray's study path (an Optuna study; the engine calls the searcher back) for what the
        # Swift searcher alone does not do: define-by-run, a storage, several metrics, a sampler
        # other than TPESampler, or TPESampler options it has not.
        self._study_mode = bool(callable(space) or storage is not None or multi or
                                (sampler is not None and not _swift_runs(sampler)))
        self._called_back = self._study_mode
        self._storage = storage
        self._study: Any = None
        if study_name is not None and not isinstance(study_name, str):
            raise TypeError(f"OptunaSearch: `study_name` must be a string, got {study_name!r}")
        self._study_name = study_name or "optuna"
        if isinstance(space, dict) and space:
            if has_domains(space):
                logger.warning(UNRESOLVED_SEARCH_SPACE.format(par="space", cls=type(self).__name__))
                space = self.convert_search_space(space)
            else:
                space = _from_optuna_space(space)
        self._space = space or None
        self._points = [_nest(p) for p in check_points(points_to_evaluate)]
        self._evaluated_rewards = None if evaluated_rewards is None else list(evaluated_rewards)
        if self._evaluated_rewards is not None and len(self._evaluated_rewards) != len(self._points):
            raise ValueError(f"Dim of point {len(self._points)} and reward {len(self._evaluated_rewards)} do not match")
        if sampler is not None and seed is not None:
            logger.warning("You passed an initialized sampler to `OptunaSearch`. The `seed` parameter has to be "
                           "passed to the sampler directly and will be ignored.")
        self._sampler = sampler
        self._tpe = _tpe_options(sampler) if not self._study_mode else dict(_TPE_DEFAULTS)
        if sampler is not None and not self._study_mode:
            self._seed = _sampler_seed(sampler)
        elif seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
                raise TypeError(f"OptunaSearch: `seed` must be an int or None, got {seed!r}")
            self._seed = int(seed)
        self._evaluated: list[dict[str, Any]] = []
        self._completed: set[str] = set()
        if self._study_mode:
            self._study_points = list(check_points(points_to_evaluate))  # as given: Optuna's names
            if self._space is not None:
                self._setup_study()
            return
        if self._evaluated_rewards is not None:
            for point, reward in zip(self._points, self._evaluated_rewards):
                self._evaluated.append(_evaluated(point, reward))
            self._points = []

    # -- Ray's study path (define-by-run, storage, several metrics, other samplers) ------------

    def _setup_study(self) -> None:
        from ._study import OptunaStudy

        if self._metric is None and self._mode:
            if isinstance(self._mode, list):
                raise ValueError("If ``mode`` is a list (multi-objective optimization case), ``metric`` must be defined.")
            self._metric = DEFAULT_METRIC
        space = self._space if callable(self._space) else _to_optuna_space(self._space)
        self._study = OptunaStudy(space, self._metric, self._mode, self._sampler, self._storage, self._study_name,
                                  self._seed, self._study_points, self._evaluated_rewards)

    def _require(self) -> Any:
        require_ready(self, self._space is not None)
        if self._study is None:
            self._setup_study()
        return self._study

    def save(self, checkpoint_path: str) -> None:
        """Ray's: the searcher pickled (in study mode the Optuna study with it); swifttune's own
        searcher saves its Swift state."""
        if not self._study_mode:
            return super().save(checkpoint_path)
        import pickle

        state = {k: v for k, v in self.__dict__.items() if k != "_handle"}
        with open(checkpoint_path, "wb") as f:
            pickle.dump(state, f)

    def restore(self, checkpoint_path: str) -> None:
        """Ray's: back to what ``save`` wrote."""
        if not self._study_mode:
            return super().restore(checkpoint_path)
        import pickle

        with open(checkpoint_path, "rb") as f:
            self.__dict__.update(pickle.load(f))

    def _options(self) -> dict[str, Any]:
        return {"metric": self._metric or DEFAULT_METRIC, "optuna": dict(self._tpe), "evaluated_points": list(self._evaluated)}

    def set_search_properties(self, metric: Optional[str], mode: Optional[str], config: Any, **spec: Any) -> bool:
        """Ray's: False when the searcher has a space of its own; else takes the Tuner's space
        (converted as Ray converts it), metric and mode."""
        if self._space is not None or self._handle is not None:
            return False
        self._space = self.convert_search_space(config) if isinstance(config, dict) else config
        if metric:
            self._metric = metric
        if mode:
            self._mode = mode
        if self._study_mode:
            self._setup_study()
        return True

    def _spec(self, max_concurrent: Optional[int] = None, batch: bool = False) -> dict[str, Any]:
        if self._space is None:
            raise RuntimeError(UNDEFINED_SEARCH_SPACE.format(cls=type(self).__name__, space="space"))
        if self._metric is None and self._mode:
            self._metric = DEFAULT_METRIC  # Ray's _setup_study
        return super()._spec(max_concurrent, batch)

    def suggest(self, trial_id: str) -> Optional[dict[str, Any]]:
        """A configuration for a new trial (Ray's ``RuntimeError`` without a space, metric or mode)."""
        require_ready(self, self._space is not None)
        if self._study_mode:
            return self._require().suggest(trial_id)
        return super().suggest(trial_id)

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        """Records the metric at the result's ``training_iteration`` as the trial's intermediate
        value (Ray's ``trial.report(metric, step)``); it ranks trials that end without a metric."""
        import ctypes

        from ...._lib import lib

        check_trial_id("on_trial_result", trial_id)
        if self._study_mode:
            return self._require().on_trial_result(trial_id, result, logger)
        if trial_id in self._completed:
            logger.warning(f"Received additional result for trial {trial_id}, but it already finished. Result: {result}")
            return
        metric = self._metric or DEFAULT_METRIC
        value = _metric_value(metric, result[metric])
        step = result[_TRAINING_ITERATION]
        names = (ctypes.c_char_p * 2)(metric.encode(), _TRAINING_ITERATION.encode())
        values = (ctypes.c_double * 2)(value, float(step))
        lib.check(lib.c.st_searcher_observe(self._ensure().p, trial_id.encode(), names, values, 2))

    def on_trial_complete(self, trial_id: str, result: Optional[dict[str, Any]] = None, error: bool = False) -> None:
        """Ray's rules: a result with the metric completes the trial (even with ``error``), no
        metric prunes it, an error without one fails it; a second completion is warned about and ignored."""
        from ...._lib import lib
        from ...._lib import OUTCOME_COMPLETED, OUTCOME_FAILED, OUTCOME_NO_METRIC

        check_trial_id("on_trial_complete", trial_id)
        if self._study_mode:
            return self._require().on_trial_complete(trial_id, result, error, logger)
        if trial_id in self._completed:
            logger.warning(f"Received additional completion for trial {trial_id}, but it already finished. "
                           f"Result: {result}")
            return
        metric = self._metric or DEFAULT_METRIC
        value = result.get(metric) if result else None
        if value is not None:
            outcome, number = OUTCOME_COMPLETED, _metric_value(metric, value)
        else:
            outcome, number = (OUTCOME_FAILED if error else OUTCOME_NO_METRIC), 0.0
        lib.check(lib.c.st_searcher_tell(self._ensure().p, trial_id.encode(), outcome, number))
        self._completed.add(trial_id)

    def add_evaluated_point(self, parameters: dict[str, Any], value: float, error: bool = False, pruned: bool = False,
                            intermediate_values: Optional[list[float]] = None) -> None:
        """Ray's: a configuration evaluated elsewhere joins the study as a finished trial
        (``FAIL`` with ``error``, ``PRUNED`` with ``pruned``, else ``COMPLETE`` with ``value``)."""
        import json

        from ...._lib import lib

        require_ready(self, self._space is not None)
        if self._study_mode:
            return self._require().add_evaluated_point(parameters, value, error, pruned, intermediate_values)
        point = _evaluated(parameters, None if error else value, error=error, pruned=pruned)
        if intermediate_values:
            # Ray: dict(enumerate(intermediate_values)); the latest step ranks a pruned trial.
            point["report"] = [len(intermediate_values) - 1, float(intermediate_values[-1])]
            if self._handle is not None:
                raise NotImplementedError("OptunaSearch.add_evaluated_point: `intermediate_values` after the first "
                                          "suggestion are not supported by swifttune yet; add evaluated points before "
                                          "the search starts")
        self._evaluated.append(point)
        if self._handle is not None:
            from ...._lib import OUTCOME_COMPLETED, OUTCOME_FAILED, OUTCOME_NO_METRIC

            code = {"completed": OUTCOME_COMPLETED, "no_metric": OUTCOME_NO_METRIC, "failed": OUTCOME_FAILED}[point["outcome"]]
            lib.check(lib.c.st_searcher_add_evaluated(self._handle.p, f"__evaluated_{len(self._evaluated) - 1}".encode(),
                                                      json.dumps(point["configuration"]).encode(), code,
                                                      float(point.get("value", 0.0))))

    @staticmethod
    def convert_search_space(spec: dict[str, Any]) -> dict[str, Any]:
        """Ray's conversion of a Tune space to Optuna distributions, rule for rule: ``uniform``
        and ``quniform`` are ``FloatDistribution`` (q as its step), log-uniform floats
        ``FloatDistribution(log=True)`` (a q dropped, with Ray's warning), ``randint`` is
        ``IntDistribution(lower, upper - 1)``, ``qrandint`` ``IntDistribution(lower, upper,
        step=q)``, ``lograndint`` ``IntDistribution(lower, upper - 1, log=True)``, ``choice`` is
        categorical; ``randn`` and grids are Ray's ``ValueError``. Constants stay constants.
        The result is swifttune's nested space of those distributions."""
        if not has_domains(spec):
            return copy.deepcopy(spec)

        def walk(node: Any, path: str) -> Any:
            if isinstance(node, GridSearch):
                raise ValueError("Grid search parameters cannot be automatically converted to an Optuna search space.")
            if isinstance(node, dict):
                return {k: walk(v, f"{path}/{k}" if path else str(k)) for k, v in node.items()}
            if isinstance(node, (Domain, SampleFrom)):
                return _from_tune(node)
            if isinstance(node, (list, tuple)) and has_domains(node):
                raise ValueError("Optuna search does not support search domains inside lists")
            return node

        return walk(spec, "")


# ---------------------------------------------------------------------------------------------
# Conversions


def _optuna_domain(kind: str, low: Any, high: Any, step: Any = None, log: bool = False) -> Domain:
    args: dict[str, Any] = {"low": low, "high": high}
    if step is not None:
        args["step"] = step
    if log:
        args["log"] = True
    return Domain(kind, args)


def _adjust_high(low: Any, high: Any, step: Any, integer: bool) -> Any:
    """Optuna's adjustment of a range not divisible by its step (with Optuna's warning)."""
    import decimal
    import warnings

    if integer:
        r = high - low
        if r % step == 0:
            return high
        new = r // step * step + low
    else:
        d_low, d_high, d_step = (decimal.Decimal(str(x)) for x in (low, high, step))
        if (d_high - d_low) % d_step == 0:
            return high
        new = float(((d_high - d_low) // d_step) * d_step + d_low)
    warnings.warn(f"The distribution is specified by [{low}, {high}] and step={step}, but the range is not divisible "
                  f"by `step`. It will be replaced with [{low}, {new}].")
    return new


def _from_tune(domain: Any) -> Domain:
    """One Tune domain as Ray's ``OptunaSearch.convert_search_space`` converts it."""
    kind = getattr(domain, "kind", None)
    args = getattr(domain, "args", {})
    if isinstance(domain, Categorical):
        if any(has_domains(c) for c in domain.categories):
            raise ValueError("Optuna search does not support parameters of type `Categorical` with nested search spaces")
        return Categorical(domain.categories)
    lower: Any = args.get("lower")
    upper: Any = args.get("upper")
    q: Any = args.get("q")
    if kind in ("tune.uniform", "tune.quniform"):
        if q:
            return _optuna_domain("optuna.float", float(lower), _adjust_high(lower, upper, q, False), step=q)
        return _optuna_domain("optuna.float", float(lower), float(upper))
    if kind in ("tune.loguniform", "tune.qloguniform"):
        if q:
            logger.warning("Optuna does not handle quantization in loguniform sampling. The parameter will be passed "
                           "but it will probably be ignored.")
            logger.warning("Optuna does not support both quantization and sampling from LogUniform. Dropped "
                           "quantization.")
        return _optuna_domain("optuna.float", float(lower), float(upper), log=True)
    if kind == "tune.randint":
        return _optuna_domain("optuna.int", int(lower), int(upper) - 1, step=1)
    if kind == "tune.qrandint":
        step = int(q or 1)
        return _optuna_domain("optuna.int", int(lower), _adjust_high(int(lower), int(upper), step, True), step=step)
    if kind in ("tune.lograndint", "tune.qlograndint"):
        step = int(q or 1)
        if step != 1:
            raise ValueError("Samplers and other components in Optuna only accept step is 1 when `log` argument is True.")
        return _optuna_domain("optuna.int", int(lower), int(upper) - 1, log=True)
    name = {"tune.randn": "Float", "tune.qrandn": "Float"}.get(str(kind), type(domain).__name__)
    sampler = {"tune.randn": "Normal", "tune.qrandn": "Quantized"}.get(str(kind), type(domain).__name__)
    raise ValueError(f"Optuna search does not support parameters of type `{name}` with samplers of type `{sampler}`")


def _is_optuna_distribution(value: Any) -> bool:
    return type(value).__module__.startswith("optuna.")


def _from_optuna_space(space: dict[str, Any]) -> dict[str, Any]:
    """A dict of Optuna distributions ("a/b" names nest, as Ray's ``unflatten_dict`` nests the
    configuration) as swifttune's space; other values stay constants."""
    out: dict[str, Any] = {}
    for name, value in space.items():
        node = _from_optuna_distribution(name, value) if _is_optuna_distribution(value) else value
        parts = str(name).split("/")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = node
    return out


def _from_optuna_distribution(name: str, d: Any) -> Any:
    from optuna import distributions as od

    if isinstance(d, od.CategoricalDistribution):
        return Categorical(list(d.choices))
    if isinstance(d, od.FloatDistribution):
        return _optuna_domain("optuna.float", float(d.low), float(d.high), step=d.step, log=bool(d.log))
    if isinstance(d, od.IntDistribution):
        return _optuna_domain("optuna.int", int(d.low), int(d.high), step=None if d.log else int(d.step), log=bool(d.log))
    raise ValueError(f"OptunaSearch: parameter {name!r}: unsupported Optuna distribution {d!r}")


def _nest(parameters: dict[str, Any]) -> dict[str, Any]:
    """A configuration with Optuna's flat "a/b" parameter names nested (Ray's ``unflatten_dict``);
    nested dicts stay as they are."""
    config: dict[str, Any] = {}
    for name, v in parameters.items():
        parts = str(name).split("/")
        target = config
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        if isinstance(v, dict) and isinstance(target.get(parts[-1]), dict):
            target[parts[-1]].update(v)
        else:
            target[parts[-1]] = v
    return config


def _to_optuna_space(space: Any) -> dict[str, Any]:
    """swifttune's nested space of Optuna distributions as Optuna's flat dict ("a/b" names)."""
    from optuna import distributions as od

    out: dict[str, Any] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}/{k}" if path else str(k))
        elif isinstance(node, Categorical):
            out[path] = od.CategoricalDistribution(node.categories)
        elif isinstance(node, Domain) and node.kind in ("optuna.float", "optuna.int"):
            a = node.args
            if node.kind == "optuna.float":
                out[path] = od.FloatDistribution(a["low"], a["high"], log=bool(a.get("log")), step=a.get("step"))
            else:
                out[path] = od.IntDistribution(a["low"], a["high"], log=bool(a.get("log")), step=a.get("step", 1))
        elif isinstance(node, Domain):
            out[path] = _to_optuna_space({"x": _from_tune(node)})["x"]

    walk(space, "")
    return out


def _swift_runs(sampler: Any) -> bool:
    """Whether swifttune's Swift searcher runs `sampler`'s rules: an ``optuna.samplers.TPESampler``
    whose options it has (else the sampler runs over an Optuna study: swifttune's sampler for a
    ``constraints_func`` or ``gamma`` / ``weights`` functions of the user's, Optuna's own code for
    other samplers)."""
    try:
        _tpe_options(sampler)
    except NotImplementedError:
        return False
    return True


def _evaluated(parameters: dict[str, Any], value: Any, error: bool = False, pruned: bool = False) -> dict[str, Any]:
    """An evaluated point as the searcher specification's `evaluated_points` holds it ("a/b"
    names nested as the space nests them)."""
    if not isinstance(parameters, dict):
        raise TypeError(f"OptunaSearch: evaluated parameters must be a dict, got {parameters!r}")
    config = _nest(parameters)
    if error:
        return {"configuration": config, "outcome": "failed"}
    if pruned:
        return {"configuration": config, "outcome": "no_metric"}
    if value is None:
        raise ValueError("No values were told. Values are required when state is TrialState.COMPLETE.")
    if isinstance(value, (list, tuple)):
        raise NotImplementedError("OptunaSearch: multi-objective rewards are not supported by swifttune yet")
    return {"configuration": config, "outcome": "completed", "value": float(value)}


# ---------------------------------------------------------------------------------------------
# Samplers


def _tpe_options(sampler: Any, study: bool = False) -> dict[str, Any]:
    """The Swift searcher's options for an Optuna sampler (None: Optuna's TPESampler defaults);
    `study`: for swifttune's sampler in an Optuna study, which also takes ``constraints_func``
    and ``gamma`` / ``weights`` functions of the user's (left out of the options)."""
    opts = dict(_TPE_DEFAULTS)
    if sampler is None:
        return opts
    try:
        from optuna.samplers import BaseSampler, TPESampler
        from optuna.samplers._tpe import sampler as tpe_module
        from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator
    except ImportError as e:  # pragma: no cover - an Optuna sampler cannot exist without Optuna
        raise ImportError("OptunaSearch: `sampler` needs Optuna (pip install 'swifttune[optuna]')") from e
    assert isinstance(sampler, BaseSampler), (
        "You can only pass an instance of `optuna.samplers.BaseSampler` as a sampler to `OptunaSearcher`.")
    if type(sampler) is not TPESampler:
        raise NotImplementedError(
            f"OptunaSearch: sampler {type(sampler).__name__} is not supported by swifttune yet; it runs Optuna's "
            "TPESampler rules in Swift (pass an optuna.samplers.TPESampler, or none)")
    if sampler._constraints_func is not None and not study:
        raise NotImplementedError("OptunaSearch: TPESampler's `constraints_func` is not supported by swifttune yet")
    if sampler._parzen_estimator_cls is not _ParzenEstimator:
        raise NotImplementedError("OptunaSearch: a custom Parzen estimator class is not supported by swifttune")
    p = sampler._parzen_estimator_parameters
    opts.update(n_startup_trials=int(sampler._n_startup_trials), n_ei_candidates=int(sampler._n_ei_candidates),
                prior_weight=float(p.prior_weight), consider_magic_clip=bool(p.consider_magic_clip),
                consider_endpoints=bool(p.consider_endpoints), group=bool(sampler._group),
                constant_liar=bool(sampler._constant_liar))
    if sampler._multivariate is not None:
        opts["multivariate"] = bool(sampler._multivariate)
    gamma = sampler._gamma
    if gamma is tpe_module.hyperopt_default_gamma:
        opts["gamma"] = {"rule": "sqrt", "fraction": 0.25, "cap": 25}
    elif gamma is tpe_module.default_gamma_multiobjective:
        opts["gamma"] = {"rule": "linear", "fraction": 0.1, "cap": None}
    elif gamma is not None and gamma is not tpe_module.default_gamma and not study:
        raise NotImplementedError("OptunaSearch: a custom `gamma` function is not supported by swifttune yet; Optuna's "
                                  "default_gamma and hyperopt_default_gamma are")
    if p.weights is not tpe_module.default_weights and not study:
        raise NotImplementedError("OptunaSearch: a custom `weights` function is not supported by swifttune yet; Optuna's "
                                  "default_weights is")
    return opts


def _sampler_seed(sampler: Any) -> Optional[int]:
    """A seed drawn from a copy of the sampler's own random state: a seeded sampler gives the
    same swifttune seed every time, an unseeded one a fresh one."""
    rng = copy.deepcopy(sampler._rng.rng)
    return int(rng.randint(0, 2**31 - 1))
