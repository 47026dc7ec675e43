"""Ray's ``ray.tune.schedulers.pb2.PB2`` (Population Based Bandits): Population Based Training
whose explore step picks the new hyperparameters with a time-varying Gaussian-process bandit
over ``hyperparam_bounds`` (Parker-Holder et al. 2020). Ray's arguments, checks and defaults;
the Swift engine decides (quantiles, exploits, the Gaussian process and its acquisition), without
scikit-learn or pandas."""
from __future__ import annotations

import math
from typing import Any, Callable, Optional, Union

from ..error import TuneError
from .pbt import PopulationBasedTraining

__all__ = ["PB2"]


class PB2(PopulationBasedTraining):
    """Population Based Bandits, as Ray's ``PB2``: trials are perturbed as by
    ``PopulationBasedTraining`` (every ``perturbation_interval``, the bottom ``quantile_fraction``
    clone the top), and the cloned configuration's ``hyperparam_bounds`` keys are chosen by a
    Gaussian-process bandit (UCB) trained on the score's change per unit of ``time_attr``
    for every configuration seen so far. Keys a trial's configuration lacks are drawn uniformly
    from their bounds. Logs as PBT's (``pbt_global.txt``, ``pbt_policy_<trial_id>.txt``).

    Ray draws the bandit's random starts from NumPy's global generator; swifttune's engine from
    its own streams, seeded from Python's ``random`` when the experiment starts."""

    def __init__(self, time_attr: str = "time_total_s", metric: Optional[str] = None, mode: Optional[str] = None,
                 perturbation_interval: float = 60.0,
                 hyperparam_bounds: Optional[dict[str, Union[dict[str, Any], list[float], tuple[float, float]]]] = None,
                 quantile_fraction: float = 0.25, log_config: bool = True, require_attrs: bool = True,
                 synch: bool = False, custom_explore_fn: Optional[Callable[[dict[str, Any]], dict[str, Any]]] = None) -> None:
        hyperparam_bounds = hyperparam_bounds or {}
        if not hyperparam_bounds:
            raise TuneError("`hyperparam_bounds` must be specified to use PB2 scheduler.")
        super().__init__(time_attr=time_attr, metric=metric, mode=mode, perturbation_interval=perturbation_interval,
                         hyperparam_mutations=hyperparam_bounds, quantile_fraction=quantile_fraction,
                         resample_probability=0, custom_explore_fn=custom_explore_fn, log_config=log_config,
                         require_attrs=require_attrs, synch=synch)
        self._hyperparam_bounds = hyperparam_bounds
        self._hyperparam_bounds_flat = _flatten(hyperparam_bounds)
        self._validate_hyperparam_bounds(self._hyperparam_bounds_flat)

    def _validate_hyperparam_bounds(self, hyperparam_bounds: dict[str, Any]) -> None:
        """Ray's check: each bound a list or tuple ``[low, high]`` with ``low <= high``."""
        for key, value in hyperparam_bounds.items():
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise ValueError("`hyperparam_bounds` values must either be a list or tuple of size 2, but got "
                                 f"{value} instead for the param '{key}'")
            low, high = value
            if low > high:
                raise ValueError("`hyperparam_bounds` values must be of the form [low, high] where low <= high, but "
                                 f"got {value} instead for param '{key}'.")

    def _needs_front_end(self) -> bool:
        return self._custom_explore_fn is not None

    def _spec(self) -> dict[str, Any]:
        spec = super()._spec()
        for key in ("burn_in_period", "hyperparam_mutations", "resample_probability", "perturbation_factors"):
            del spec[key]
        spec["type"] = "pb2"
        spec["hyperparam_bounds"] = _bounds_json(self._hyperparam_bounds, "")
        return spec

    def _describe(self) -> str:
        return "PB2"

    def debug_string(self) -> str:
        return "PB2"


def _flatten(bounds: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Ray's ``flatten_dict(..., prevent_delimiter=True)``: nested keys as ``a/b``; a key with a
    ``/`` refused."""
    out: dict[str, Any] = {}
    for key, value in bounds.items():
        if "/" in str(key):
            raise ValueError("Found delimiter `/` in key when trying to flatten array. Please avoid using the delimiter "
                             "in your specification.")
        name = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict):
            out.update(_flatten(value, name))
        else:
            out[name] = value
    return out


def _bounds_json(bounds: dict[str, Any], where: str) -> dict[str, Any]:
    """The bounds as the engine reads them: ``[low, high]`` numbers, nested objects."""
    out: dict[str, Any] = {}
    for key, value in bounds.items():
        name = f"{where}/{key}" if where else key
        if isinstance(value, dict):
            out[key] = _bounds_json(value, name)
            continue
        low, high = value
        for v in (low, high):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise TypeError(f"PB2: `hyperparam_bounds['{name}']` must be two finite numbers, got {list(value)!r}")
        out[key] = [float(low), float(high)]
    return out
