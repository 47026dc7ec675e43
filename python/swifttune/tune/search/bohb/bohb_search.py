"""``TuneBOHB``: Ray's BOHB searcher (``ray.tune.search.bohb.TuneBOHB``) with Ray's signature and
checks; the model (per-budget kernel densities of the good and bad configurations, hpbandster's
rules) is swifttune's Swift ``BOHBSearch``, so neither hpbandster nor ConfigSpace is needed. A
``ConfigSpace.ConfigurationSpace`` is taken as ``space`` when ConfigSpace is installed."""
from __future__ import annotations

from typing import Any, Optional, Union

from ...._space import GridSearch
from ..searcher import Searcher, check_points

__all__ = ["TuneBOHB"]

# hpbandster's BOHB config generator options (``bohb_config``), with their defaults.
_BOHB_OPTIONS = {"min_points_in_model": None, "top_n_percent": 15, "num_samples": 64, "random_fraction": 1 / 3,
                 "bandwidth_factor": 3, "min_bandwidth": 1e-3}


class TuneBOHB(Searcher):
    """BOHB (Bayesian Optimization HyperBand), as Ray's ``TuneBOHB``: to be used with
    ``HyperBandForBOHB``. Until a budget has more results than the model needs, configurations
    are random; then, with probability ``1 - random_fraction``, the best of ``num_samples``
    candidates drawn around good configurations by the ratio of the good and bad kernel densities
    of the largest budget with a model. ``bohb_config`` takes hpbandster's BOHB options
    (``min_points_in_model``, ``top_n_percent``, ``num_samples``, ``random_fraction``,
    ``bandwidth_factor``, ``min_bandwidth``). Trials the scheduler pauses do not count against
    ``max_concurrent`` (``ConcurrencyLimiter``'s bound is handed to the searcher, as in Ray).

    Ray draws from NumPy's and ConfigSpace's generators; swifttune from its own seeded streams
    (``seed``; unseeded, a fresh seed per run)."""

    _algorithm = "bohb"

    def __init__(self, space: Optional[Union[dict[str, Any], Any]] = None, bohb_config: Optional[dict[str, Any]] = None,
                 metric: Optional[str] = None, mode: Optional[str] = None,
                 points_to_evaluate: Optional[list[dict[str, Any]]] = None, seed: Optional[int] = None,
                 max_concurrent: int = 0) -> None:
        if mode:
            assert mode in ["min", "max"], "`mode` must be 'min' or 'max'."
        super().__init__(metric, mode)
        config = dict(bohb_config or {})
        unknown = sorted(set(config) - set(_BOHB_OPTIONS))
        if unknown:
            raise NotImplementedError(
                f"TuneBOHB: bohb_config option {unknown[0]!r} is not supported by swifttune; it takes hpbandster's "
                f"BOHB model options {sorted(_BOHB_OPTIONS)} (the optimizer's own options belong to hpbandster's "
                "runner, which Tune replaces)")
        self._bohb_config = config
        if space is not None and not isinstance(space, dict):
            space = _from_configspace(space)
        if isinstance(space, dict) and space:
            _check_convertible(space)
        self._space = space or None
        self._points = check_points(points_to_evaluate)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"TuneBOHB: `seed` must be an int or None, got {seed!r}")
        self._seed = seed
        if isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int):
            raise TypeError(f"TuneBOHB: `max_concurrent` must be an int, got {max_concurrent!r}")
        self._max_concurrent = max_concurrent

    def set_max_concurrency(self, max_concurrent: int) -> bool:
        """Ray's: TuneBOHB bounds its own concurrency (paused trials do not count)."""
        self._max_concurrent = max_concurrent
        return True

    def set_search_properties(self, metric: Optional[str], mode: Optional[str], config: Any, **spec: Any) -> bool:
        """Ray's: False when the searcher has a space of its own; else takes the Tuner's space,
        metric and mode."""
        if self._space:
            return False
        if isinstance(config, dict):
            _check_convertible(config)
        self._space = config
        if metric:
            self._metric = metric
        if mode:
            self._mode = mode
        if self._metric is None and self._mode:
            self._metric = "_metric"
        return True

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {k: v for k, v in self._bohb_config.items() if v is not None}
        options["metric"] = self._metric or "_metric"
        if self._max_concurrent > 0:  # (BOHB's own bound on running trials; 0: none)
            options["max_concurrent"] = self._max_concurrent
        return options

    @staticmethod
    def convert_search_space(spec: dict[str, Any]) -> dict[str, Any]:
        """Ray's checks of a Tune space for BOHB (grid search refused; each domain one BOHB takes);
        the space itself is what swifttune's searcher reads."""
        _check_convertible(spec)
        return spec


def _has_grid(spec: Any) -> bool:
    if isinstance(spec, GridSearch):
        return True
    if isinstance(spec, dict):
        return set(spec) == {"grid_search"} or any(_has_grid(v) for v in spec.values())
    return False


def _check_convertible(spec: dict[str, Any]) -> None:
    """Ray's ``convert_search_space`` refusal of grid search (the engine's BOHB searcher refuses,
    with Ray's message, each domain BOHB has no hyperparameter for)."""
    if _has_grid(spec):
        raise ValueError("Grid search parameters cannot be automatically converted to a TuneBOHB search space.")


def _from_configspace(cs: Any) -> dict[str, Any]:
    """A ``ConfigSpace.ConfigurationSpace`` as Tune domains (needs ConfigSpace, imported lazily):
    uniform and log-uniform floats and integers (quantized with ``q``), normal floats,
    categoricals and constants; conditions and forbidden clauses are refused by name."""
    try:
        import ConfigSpace
    except ImportError:
        raise ImportError("TuneBOHB: a `space` that is not a dict must be a ConfigSpace.ConfigurationSpace, and "
                          "ConfigSpace is not installed: pip install ConfigSpace, or give a dict of tune domains") from None
    from ...search import sample as s

    if not isinstance(cs, ConfigSpace.ConfigurationSpace):
        raise TypeError(f"TuneBOHB: `space` must be a dict of tune domains or a ConfigSpace.ConfigurationSpace, got "
                        f"{type(cs).__name__}")
    if list(getattr(cs, "get_conditions", lambda: cs.conditions)()) or \
            list(getattr(cs, "get_forbiddens", lambda: cs.forbidden_clauses)()):
        raise NotImplementedError("TuneBOHB: a ConfigurationSpace with conditions or forbidden clauses is not supported "
                                  "by swifttune; give the hyperparameters without them (or a dict of tune domains)")
    hps = list(getattr(cs, "get_hyperparameters", lambda: list(cs.values()))())
    out: dict[str, Any] = {}
    for hp in hps:
        name, q = hp.name, getattr(hp, "q", None)
        kind = type(hp).__name__
        if kind == "UniformFloatHyperparameter":
            lo, hi = float(hp.lower), float(hp.upper)
            if hp.log:
                out[name] = s.qloguniform(lo, hi, q) if q else s.loguniform(lo, hi)
            else:
                out[name] = s.quniform(lo, hi, q) if q else s.uniform(lo, hi)
        elif kind == "UniformIntegerHyperparameter":
            lo, hi = int(hp.lower), int(hp.upper)
            if hp.log:
                out[name] = s.qlograndint(lo, hi, int(q)) if q else s.lograndint(lo, hi + 1)
            else:
                out[name] = s.qrandint(lo, hi, int(q)) if q else s.randint(lo, hi + 1)
        elif kind == "NormalFloatHyperparameter" and not getattr(hp, "log", False) and \
                getattr(hp, "lower", None) is None:
            out[name] = s.qrandn(float(hp.mu), float(hp.sigma), q) if q else s.randn(float(hp.mu), float(hp.sigma))
        elif kind == "CategoricalHyperparameter" and getattr(hp, "weights", None) is None:
            out[name] = s.choice(list(hp.choices))
        elif kind == "Constant":
            out[name] = hp.value
        else:
            raise NotImplementedError(f"TuneBOHB: the ConfigSpace hyperparameter {name!r} ({kind}) is not supported by "
                                      "swifttune; use uniform/log-uniform floats or integers, normal floats, "
                                      "categoricals or constants")
    return _unflatten(out)


def _unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """``a/b`` names as nested dicts (Ray's ``unflatten_list_dict`` of BOHB's configurations)."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split("/")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return out
