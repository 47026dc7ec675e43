"""Ray's ``PopulationBasedTraining`` and ``PopulationBasedTrainingReplay``: Ray's arguments, checks
and defaults; the Swift engine's ``PopulationBasedTraining`` decides (quantiles, exploits, explores,
which trial runs next), and moves checkpoints and configurations between trials. Only the parts
that are Python code run here: a mutation given as a function, and ``custom_explore_fn``
(``_internal/pbt_bridge``)."""
from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any, Callable, Optional

from ..._space import Domain, SampleFrom, _plain_json, _NOT_JSON, to_node
from ..error import TuneError
from .trial_scheduler import FIFOScheduler, check_mode

__all__ = ["PopulationBasedTraining", "PopulationBasedTrainingReplay"]


class PopulationBasedTraining(FIFOScheduler):
    """Population Based Training, as Ray's ``PopulationBasedTraining``: every
    ``perturbation_interval`` of ``time_attr``, a trial in the bottom ``quantile_fraction`` of the
    population clones the checkpoint and configuration of a trial in the top quantile (exploit)
    and perturbs the configuration by ``hyperparam_mutations`` (explore); trials share the machine
    in turns, the least trained first. With ``synch=True`` every trial waits at each perturbation
    time for the others. With ``log_config`` (the default) each exploit is logged to the
    experiment folder's ``pbt_global.txt`` and ``pbt_policy_<trial_id>.txt``, as Ray does (replay
    one with ``PopulationBasedTrainingReplay``).

    Ray draws its choices from Python's global ``random``; swifttune's engine draws from its own
    streams, seeded from ``random`` when the experiment starts (so ``random.seed`` makes a run
    repeatable, as in Ray, though the draws differ from Ray's)."""

    _supports_buffered_results = False

    def __init__(self, time_attr: str = "time_total_s", metric: Optional[str] = None, mode: Optional[str] = None,
                 perturbation_interval: float = 60.0, burn_in_period: float = 0.0,
                 hyperparam_mutations: Optional[dict[str, Any]] = None, quantile_fraction: float = 0.25,
                 resample_probability: float = 0.25, perturbation_factors: tuple[float, float] = (1.2, 0.8),
                 custom_explore_fn: Optional[Callable[[dict[str, Any]], dict[str, Any]]] = None,
                 log_config: bool = True, require_attrs: bool = True, synch: bool = False) -> None:
        hyperparam_mutations = hyperparam_mutations or {}
        for value in hyperparam_mutations.values():
            if not isinstance(value, (dict, list, tuple, Domain, SampleFrom)) and not callable(value):
                raise TypeError("`hyperparam_mutation` values must be either a List, Tuple, Dict, a tune search space "
                                "object, or a callable.")
            if isinstance(value, SampleFrom):
                raise ValueError("arbitrary tune.sample_from objects are not supported for `hyperparam_mutation` values."
                                 "You must use other built in primitives liketune.uniform, tune.loguniform, etc.")
        if not hyperparam_mutations and not custom_explore_fn:
            raise TuneError("You must specify at least one of `hyperparam_mutations` or `custom_explore_fn` to use PBT.")
        if quantile_fraction > 0.5 or quantile_fraction < 0:
            raise ValueError("You must set `quantile_fraction` to a value between 0 and0.5. Current value: "
                             f"'{quantile_fraction}'")
        if perturbation_interval <= 0:
            raise ValueError("perturbation_interval must be a positive number greater than 0. Current value: "
                             f"'{perturbation_interval}'")
        if mode:
            assert mode in ["min", "max"], "`mode` must be 'min' or 'max'."
        super().__init__()
        self._metric = metric
        self._mode = mode
        self._time_attr = time_attr
        self._perturbation_interval = perturbation_interval
        self._burn_in_period = burn_in_period
        self._hyperparam_mutations = hyperparam_mutations
        self._quantile_fraction = quantile_fraction
        self._resample_probability = resample_probability
        self._perturbation_factors = perturbation_factors
        self._custom_explore_fn = custom_explore_fn
        self._log_config = log_config
        self._require_attrs = require_attrs
        self._synch = synch

    @property
    def mode(self) -> Optional[str]:
        return self._mode

    def set_search_properties(self, metric: Optional[str], mode: Optional[str], **spec: Any) -> bool:
        """Ray's: False when the scheduler has its own metric (or mode) and the TuneConfig one too."""
        if self._metric and metric:
            return False
        if self._mode and mode:
            return False
        if metric:
            self._metric = metric
        if mode:
            self._mode = mode
        if self._metric is None and self._mode:
            self._metric = "_metric"
        return True

    def _needs_front_end(self) -> bool:
        return self._custom_explore_fn is not None or _has_functions(self._hyperparam_mutations)

    def _spec(self) -> dict[str, Any]:
        check_mode(self._mode)  # (a missing metric or mode: the TuneConfig's, checked when the experiment is built)
        factors = list(self._perturbation_factors)
        for f in factors:
            if isinstance(f, bool) or not isinstance(f, (int, float)) or not math.isfinite(f):
                raise TypeError(f"PopulationBasedTraining: `perturbation_factors` must be numbers, got {f!r}")
        spec: dict[str, Any] = {
            "type": "pbt", "time_attr": self._time_attr, "metric": self._metric, "mode": self._mode,
            "perturbation_interval": float(self._perturbation_interval), "burn_in_period": float(self._burn_in_period),
            "hyperparam_mutations": _mutations_json(self._hyperparam_mutations, "hyperparam_mutations"),
            "quantile_fraction": float(self._quantile_fraction), "resample_probability": float(self._resample_probability),
            "perturbation_factors": factors, "custom_explore": self._custom_explore_fn is not None,
            "require_attrs": bool(self._require_attrs), "synch": bool(self._synch),
            # The engine's streams, seeded from Python's random (random.seed makes a run repeatable).
            "seed": random.getrandbits(63)}
        if self._needs_front_end():
            spec["callback_id"] = 0
        return spec

    def _describe(self) -> str:
        return "PopulationBasedTraining"

    def debug_string(self) -> str:
        return "PopulationBasedTraining"


def _has_functions(mutations: dict[str, Any]) -> bool:
    for v in mutations.values():
        if isinstance(v, dict):
            if _has_functions(v):
                return True
        elif not isinstance(v, (list, tuple, Domain)) and callable(v):
            return True
    return False


def _mutations_json(mutations: dict[str, Any], where: str) -> dict[str, Any]:
    """``hyperparam_mutations`` as the engine reads it: lists, domains, functions, nested dicts."""
    out: dict[str, Any] = {}
    for key, value in mutations.items():
        if not isinstance(key, str):
            raise TypeError(f"{where}: keys must be strings, got {key!r}")
        if isinstance(value, dict):
            out[key] = {"nested": _mutations_json(value, f"{where}[{key!r}]")}
        elif isinstance(value, (list, tuple)):
            items = [_plain_json(v) for v in value]
            if any(i is _NOT_JSON for i in items):
                raise NotImplementedError(
                    f"{where}[{key!r}]: a list of values JSON cannot carry ({list(value)!r}) is not supported by "
                    "swifttune's PopulationBasedTraining (the engine compares and shifts the values); list numbers, "
                    "strings, booleans or None, and map them to your objects inside the trainable.")
            out[key] = {"values": items}
        elif isinstance(value, Domain):
            out[key] = {"domain": to_node(value, None)}
        elif callable(value):
            out[key] = {"function": True}
        else:
            raise ValueError(f"Unsupported hyperparameter distribution type: {type(value)}")
    return out


class PopulationBasedTrainingReplay(FIFOScheduler):
    """Replays a Population Based Training run's schedule of configurations on one trial, as
    Ray's ``PopulationBasedTrainingReplay``: give it a ``pbt_policy_<trial_id>.txt`` written by
    ``PopulationBasedTraining(log_config=True)``; the trial starts with the policy's first
    configuration and, at each change point (a ``training_iteration``), pauses and resumes from
    that result's checkpoint with the next configuration (the engine decides)."""

    def __init__(self, policy_file: str) -> None:
        path = Path(policy_file).expanduser()
        if not path.exists():
            raise ValueError("Policy file not found: {}".format(path.as_posix()))
        self.policy_file = path.as_posix()
        initial_config, self._policy = self._load_policy(self.policy_file)
        self.experiment_tag = "replay_{}".format(path.name)
        self.config = initial_config
        self.current_config = self.config
        super().__init__()

    def _load_policy(self, policy_file: str) -> tuple[dict[str, Any], list[tuple[int, dict[str, Any]]]]:
        """Ray's reading of a policy file: the chain of exploits that ends with the last row."""
        raw_policy = []
        with open(policy_file, "rt") as fp:
            for row in fp.readlines():
                try:
                    parsed_row = json.loads(row)
                except json.JSONDecodeError:
                    raise ValueError("Could not read PBT policy file: {}.".format(policy_file)) from None
                raw_policy.append(tuple(parsed_row))
        policy: list[tuple[int, dict[str, Any]]] = []
        last_new_tag = None
        last_old_conf: Any = None
        for old_tag, new_tag, old_step, new_step, old_conf, new_conf in reversed(raw_policy):
            if last_new_tag and old_tag != last_new_tag:
                break
            last_new_tag = new_tag
            last_old_conf = old_conf
            policy.append((new_step, new_conf))
        return last_old_conf, list(reversed(policy))

    def _spec(self) -> dict[str, Any]:
        for _, conf in self._policy:
            if _plain_json(conf) is _NOT_JSON:
                raise NotImplementedError("PopulationBasedTrainingReplay: a policy whose configurations JSON cannot "
                                          "carry is not supported by swifttune.")
        return {"type": "pbt_replay", "initial_configuration": self.config if self._policy else None,
                "policy": [[step, conf] for step, conf in self._policy]}

    def _describe(self) -> str:
        return "PopulationBasedTrainingReplay"

    def debug_string(self) -> str:
        return "PopulationBasedTraining replay"

