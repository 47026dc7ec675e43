"""``swifttune.optuna.TPESampler``: Optuna 5.0's ``TPESampler`` as a drop-in sampler whose model is
swifttune's Swift implementation (``docs/tpe-optuna.md``).

The sampler keeps a mirror of the study in the library (``st_optuna``): before answering, it
reads the study's trials from its storage and hands on only those that changed since it last
looked (the trials below the first unfinished one are final and never read again), so a
suggestion costs about what the Swift model costs. Trials that other processes add, finish or
prune through a shared storage (RDB) are seen by the next suggestion, as Optuna's own sampler
sees them. With the constant liar, the relative values a trial drew are written to its system
attributes under Optuna's own keys, so Optuna's samplers in other workers read them too."""
from __future__ import annotations

import ctypes
import json
import math
import random
import threading
from collections.abc import Callable, Sequence
from typing import Any, Optional

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers import BaseSampler
from optuna.samplers._tpe import sampler as _tpe
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from .. import _capi
from .._lib import Handle, lib

__all__ = ["TPESampler"]

_RELATIVE_PARAMS_KEY = "tpe:relative_params"  # Optuna's key for a running trial's relative values
_SYSTEM_ATTR_MAX_LENGTH = 2045
_STATES = {TrialState.RUNNING: 0, TrialState.COMPLETE: 1, TrialState.PRUNED: 2, TrialState.FAIL: 3}
_UNSET = object()


class _OptunaHandle(Handle):
    _free = "st_optuna_free"


class TPESampler(BaseSampler):
    """Optuna's ``TPESampler`` (5.0), same arguments and defaults, run by swifttune's Swift TPE.

    ``multivariate`` (default: True for one objective), ``group``, ``constant_liar`` (default
    True), ``n_startup_trials``, ``n_ei_candidates``, ``seed`` and the deprecated
    ``prior_weight``, ``consider_magic_clip``, ``consider_endpoints`` and ``gamma`` / ``weights``
    work as in Optuna (Optuna's own ``default_gamma``, ``hyperopt_default_gamma`` and
    ``default_weights`` as Swift rules; a function of your own is called back from the library
    with n, as Optuna calls it, and checked as Optuna checks it). Studies of several objectives
    run Optuna's multi-objective TPE (the good group by non-domination rank and hypervolume
    subset selection, ``multivariate`` False and the uncapped ``default_gamma_multiobjective`` by
    default). Constrained studies (``trial.set_constraint``,
    or the deprecated ``constraints_func``) rank infeasible trials after every feasible one, by
    their total violation, as Optuna 5.0 does.
    """

    def __init__(self, *, consider_prior: Optional[bool] = None, prior_weight: Optional[float] = None,
                 consider_magic_clip: Optional[bool] = None, consider_endpoints: Optional[bool] = None,
                 n_startup_trials: int = 10, n_ei_candidates: int = 24,
                 gamma: Optional[Callable[[int], int]] = None, weights: Optional[Callable[[int], Any]] = None,
                 seed: Optional[int] = None, multivariate: Optional[bool] = None, group: bool = False,
                 warn_independent_sampling: Optional[bool] = None, constant_liar: bool = True,
                 constraints_func: Optional[Callable[[FrozenTrial], Sequence[float]]] = None) -> None:
        if consider_prior is False:
            raise NotImplementedError("TPESampler: consider_prior=False is not supported (Optuna 5.0 always keeps the "
                                      "prior; the argument is deprecated)")
        if group and multivariate is False:
            raise ValueError("``group`` option can only be enabled when ``multivariate`` is enabled.")
        options: dict[str, Any] = {
            "n_startup_trials": int(n_startup_trials), "n_ei_candidates": int(n_ei_candidates),
            "prior_weight": 1.0 if prior_weight is None else float(prior_weight),
            "consider_magic_clip": True if consider_magic_clip is None else bool(consider_magic_clip),
            "consider_endpoints": False if consider_endpoints is None else bool(consider_endpoints),
            "group": bool(group), "constant_liar": bool(constant_liar)}
        self._gamma_default = gamma is None  # Optuna picks it by the study's number of objectives
        # Optuna's own functions run as Swift rules; a function of the user's is called back.
        self._gamma_fn: Optional[Callable[[int], int]] = None
        self._weights_fn: Optional[Callable[[int], Any]] = None
        if gamma is None or gamma is _tpe.default_gamma:
            options["gamma"] = {"rule": "linear", "fraction": 0.1, "cap": 25}
        elif gamma is _tpe.default_gamma_multiobjective:
            options["gamma"] = {"rule": "linear", "fraction": 0.1, "cap": None}
        elif gamma is _tpe.hyperopt_default_gamma:
            options["gamma"] = {"rule": "sqrt", "fraction": 0.25, "cap": 25}
        else:
            self._gamma_fn = gamma
        if weights is not None and weights is not _tpe.default_weights:
            self._weights_fn = weights
        if constraints_func is not None:
            from optuna import _deprecated
            from optuna._warnings import optuna_warn

            msg = _deprecated._DEPRECATION_WARNING_TEMPLATE.format(name="`constraints_func`", d_ver="5.0.0",
                                                                   r_ver="7.0.0")
            optuna_warn(f"{msg} Use `optuna.trial.Trial.set_constraint` instead.", FutureWarning)
        self._constraints_func = constraints_func
        self._options = options
        self._multivariate = multivariate
        self._group = bool(group)
        self._constant_liar = bool(constant_liar)
        self._n_startup_trials = int(n_startup_trials)
        self._seed = seed if seed is not None else random.SystemRandom().randrange(2**63)
        self._lock = threading.RLock()
        self._reset()

    def _reset(self) -> None:
        self._callback: Any = None  # the ctypes function the library calls for gamma / weights
        self._callback_error: Optional[BaseException] = None
        self._handle: Optional[_OptunaHandle] = None
        self._study_key: Any = None
        self._slots: dict[tuple[str, Any], int] = {}  # (name, distribution) -> slot
        self._slot_info: list[tuple[str, BaseDistribution]] = []
        self._by_name: dict[str, list[tuple[int, BaseDistribution]]] = {}
        self._low_water = 0  # every trial below this number is final and mirrored
        self._mirrored: dict[int, Any] = {}  # number -> what was mirrored of a trial not final

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_lock", None)
        for k in ("_handle", "_study_key", "_slots", "_slot_info", "_by_name", "_low_water", "_mirrored", "_callback",
                  "_callback_error"):
            state.pop(k, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()
        self._reset()

    def reseed_rng(self) -> None:
        """A new random seed (Optuna calls it for each worker process)."""
        with self._lock:
            self._seed = random.SystemRandom().randrange(2**63)
            self._reset()

    # -- the mirror -----------------------------------------------------------------------------

    def _is_multivariate(self, study: Study) -> bool:
        """Optuna's rule: as given, else True with ``group``, else True for one objective only."""
        if self._multivariate is not None:
            return bool(self._multivariate)
        if self._group:
            if study._is_multi_objective():
                optuna.logging.get_logger("optuna.samplers._tpe.sampler").warning(
                    "``multivariate`` defaults to False for multi-objective optimization, but it is treated as True "
                    "because ``group`` can only be enabled with the multivariate TPE. Set ``multivariate=True`` "
                    "explicitly to suppress this warning.")
            return True
        return not study._is_multi_objective()

    def _study_handle(self, study: Study) -> _OptunaHandle:
        key = (id(study._storage), study._study_id)
        if self._handle is None or self._study_key != key:
            self._reset()
            options = dict(self._options, multivariate=self._is_multivariate(study))
            names = ["maximize" if d == optuna.study.StudyDirection.MAXIMIZE else "minimize" for d in study.directions]
            config_dict: dict[str, Any] = {"optuna": options, "seed": self._seed % 2**63}
            if len(names) > 1:
                config_dict["directions"] = names
                if self._gamma_default:
                    options["gamma"] = {"rule": "linear", "fraction": 0.1, "cap": None}  # default_gamma_multiobjective
            else:
                config_dict["direction"] = names[0]
            config = json.dumps(config_dict)
            self._handle = _OptunaHandle(lib.call_handle("st_optuna_new", config.encode()))
            self._study_key = key
            which = (_capi.ST_OPTUNA_GAMMA if self._gamma_fn is not None else 0) | \
                (_capi.ST_OPTUNA_WEIGHTS if self._weights_fn is not None else 0)
            if which:
                self._callback = _capi.st_optuna_fn(self._call_function)
                lib.check(lib.c.st_optuna_set_functions(self._handle.p, self._callback, which, None))
        return self._handle

    def _call_function(self, function: int, n: int, out: Any, user_data: Any) -> int:
        """The library asks for the user's gamma(n) or weights(n) (checked as Optuna checks
        them); an exception is kept for the sampling call to raise."""
        try:
            if function == _capi.ST_OPTUNA_GAMMA:
                assert self._gamma_fn is not None
                out[0] = float(int(self._gamma_fn(n)))
            else:
                assert self._weights_fn is not None
                w = _checked_weights(self._weights_fn, n)
                for i in range(n):
                    out[i] = float(w[i])
            return 0
        except BaseException as e:  # noqa: BLE001 - carried across the C call, raised after it
            if self._callback_error is None:
                self._callback_error = e
            return 1

    def _check(self, status: int) -> None:
        """Raises the user's gamma / weights exception if one made the call fail, else as usual."""
        error, self._callback_error = self._callback_error, None
        if status != 0 and error is not None:
            raise error
        lib.check(status)

    def _slot(self, handle: _OptunaHandle, name: str, d: BaseDistribution) -> int:
        key = (name, d)
        slot = self._slots.get(key)
        if slot is not None:
            return slot
        out = ctypes.c_int32()
        if isinstance(d, CategoricalDistribution):
            status = lib.c.st_optuna_slot(handle.p, name.encode(), 2, 0.0, 0.0, 0.0, 0, len(d.choices), ctypes.byref(out))
        elif isinstance(d, FloatDistribution):
            step = math.nan if d.step is None else float(d.step)
            status = lib.c.st_optuna_slot(handle.p, name.encode(), 0, float(d.low), float(d.high), step, int(d.log), 0,
                                          ctypes.byref(out))
        elif isinstance(d, IntDistribution):
            status = lib.c.st_optuna_slot(handle.p, name.encode(), 1, float(d.low), float(d.high), float(d.step),
                                          int(d.log), 0, ctypes.byref(out))
        else:
            raise NotImplementedError(f"swifttune.optuna.TPESampler: distribution {d!r} of {name!r} is not supported")
        lib.check(status)
        self._slots[key] = out.value
        self._slot_info.append((name, d))
        self._by_name.setdefault(name, []).append((out.value, d))
        return out.value

    def _sync(self, study: Study) -> _OptunaHandle:
        """Hands the library every trial that is new or changed since the last look."""
        handle = self._study_handle(study)
        trials = study._storage.get_all_trials(study._study_id, deepcopy=False)
        multivariate = self._is_multivariate(study)
        all_final = True
        for trial in trials[self._low_water:] if _ordered(trials, self._low_water) else trials:
            number = trial.number
            if number < self._low_water:
                continue
            state = trial.state
            final = state.is_finished()
            if state == TrialState.WAITING:
                all_final = False
                continue
            relative = _relative_values(trial) if state == TrialState.RUNNING and multivariate else None
            violation = _violation(trial)
            signature = (state, len(trial.params), len(trial.intermediate_values), trial.values,
                         None if relative is None else len(relative), violation)
            if self._mirrored.get(number) != signature:
                self._mirror(handle, trial, relative, violation)
                self._mirrored[number] = signature
            if final and all_final:
                self._low_water = number + 1
                self._mirrored.pop(number, None)
            elif not final:
                all_final = False
        return handle

    def _mirror(self, handle: _OptunaHandle, trial: FrozenTrial, relative: Optional[dict[str, Any]],
                violation: float) -> None:
        slots, values = [], []
        for name, value in trial.params.items():
            d = trial.distributions[name]
            slots.append(self._slot(handle, name, d))
            values.append(float(d.to_internal_repr(value)))
        unused_slots, unused_values = [], []
        if relative:
            # Optuna reads a running trial's relative values with the relative search space's
            # distributions: the ones registered under the name that hold the value.
            for name, value in relative.items():
                if name in trial.params:
                    continue
                for slot, d in self._by_name.get(name, ()):
                    try:
                        internal = float(d.to_internal_repr(value))
                    except (ValueError, TypeError):
                        continue
                    if d._contains(internal):
                        unused_slots.append(slot)
                        unused_values.append(internal)
                        break
        state = trial.state
        objectives = [float(v) for v in trial.values or ()] if state == TrialState.COMPLETE else []
        if state == TrialState.COMPLETE and not objectives:
            state = TrialState.FAIL  # no value to rank it by: left out, as a NaN value is
        report_step, report_value = math.nan, 0.0
        if trial.intermediate_values:
            report_step, report_value = max(trial.intermediate_values.items())
        n, m, k = len(slots), len(unused_slots), len(objectives)
        lib.check(lib.c.st_optuna_set_trial_values(
            handle.p, trial.number, _STATES[state], (ctypes.c_double * k)(*objectives), k, (ctypes.c_int32 * n)(*slots),
            (ctypes.c_double * n)(*values), n, float(report_step), float(report_value), (ctypes.c_int32 * m)(*unused_slots),
            (ctypes.c_double * m)(*unused_values), m, violation))

    # -- Optuna's sampler interface ------------------------------------------------------------

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        """Optuna's relative search space: with ``multivariate``, the parameters every finished
        trial has with one distribution (or, with ``group``, the groups of parameters seen in the
        same trials), single-valued ones left out."""
        with self._lock:
            if not self._is_multivariate(study):
                return {}
            handle = self._sync(study)
            n = len(self._slot_info)
            out = (ctypes.c_int32 * max(n, 1))()
            count = ctypes.c_int32()
            self._check(lib.c.st_optuna_relative_space(handle.p, trial.number, out, n, ctypes.byref(count)))
            space = {}
            for k in range(count.value):
                name, d = self._slot_info[out[k]]
                space[name] = d
            return space

    def sample_relative(self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        """TPE's joint choice for the relative search space (none before ``n_startup_trials``
        finished trials); with the constant liar it is written to the trial's system attributes
        under Optuna's keys."""
        if not search_space:
            return {}
        with self._lock:
            handle = self._sync(study)
            names = list(search_space)
            slots = [self._slot(handle, name, search_space[name]) for name in names]
            n = len(slots)
            values = (ctypes.c_double * n)()
            sampled = ctypes.c_int32()
            self._check(lib.c.st_optuna_sample_relative(handle.p, trial.number, (ctypes.c_int32 * n)(*slots), n, values,
                                                        ctypes.byref(sampled)))
            if not sampled.value:
                return {}
            params = {}
            for k, name in enumerate(names):
                if not math.isnan(values[k]):
                    params[name] = search_space[name].to_external_repr(values[k])
        if params and self._constant_liar:
            text = json.dumps(params)
            for i in range(0, len(text), _SYSTEM_ATTR_MAX_LENGTH):
                study._storage.set_trial_system_attr(trial._trial_id, f"{_RELATIVE_PARAMS_KEY}:{i // _SYSTEM_ATTR_MAX_LENGTH}",
                                                     text[i:i + _SYSTEM_ATTR_MAX_LENGTH])
        return params

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        """Optuna's random sampling before ``n_startup_trials`` finished trials, then TPE's choice
        from the trials that have the parameter."""
        with self._lock:
            handle = self._sync(study)
            slot = self._slot(handle, param_name, param_distribution)
            out = ctypes.c_double()
            self._check(lib.c.st_optuna_sample_independent(handle.p, trial.number, slot, ctypes.byref(out)))
            return param_distribution.to_external_repr(out.value)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        """Nothing to prepare (the mirror is brought up to date when asked)."""

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Optional[Sequence[float]]) -> None:
        """With ``constraints_func``, its values stored as the trial's constraints (Optuna's
        own step); the next question reads the finished trial from the storage."""
        if self._constraints_func is not None:
            from optuna.samplers._base import _process_constraints_after_trial

            _process_constraints_after_trial(self._constraints_func, study, trial, state)


def _checked_weights(weights_fn: Callable[[int], Any], n: int) -> Any:
    """`weights_fn(n)` as Optuna's ``_ParzenEstimator._call_weights_func`` takes it: the first n,
    none negative, not all zero, all finite (Optuna's messages); fewer than n is refused."""
    import numpy as np

    w = np.array(weights_fn(n), dtype=float)[:n]
    if np.any(w < 0):
        raise ValueError(f"The `weights` function is not allowed to return negative values {w}. "
                         + f"The argument of the `weights` function is {n}.")
    if len(w) > 0 and np.sum(w) <= 0:
        raise ValueError(f"The `weight` function is not allowed to return all-zero values {w}."
                         + f" The argument of the `weights` function is {n}.")
    if not np.all(np.isfinite(w)):
        raise ValueError("The `weights`function is not allowed to return infinite or NaN values "
                         + f"{w}. The argument of the `weights` function is {n}.")
    if len(w) < n:
        raise ValueError(f"The `weights` function returned {len(w)} weights for {n} observations.")
    return w


def _violation(trial: FrozenTrial) -> float:
    """A finished trial's constraint violation (Optuna's ``_get_infeasible_trial_score``: the sum
    of its positive constraint values); 0 while it runs, whose constraints are not final."""
    if trial.state not in (TrialState.COMPLETE, TrialState.PRUNED):
        return 0.0
    return float(sum(v for v in trial.constraints.values() if v > 0))


def _ordered(trials: Sequence[FrozenTrial], low_water: int) -> bool:
    """Whether `trials` is indexed by number from 0 (as Optuna's storages return a study's
    trials), so the final ones below `low_water` can be skipped by position."""
    return low_water == 0 or (len(trials) >= low_water and trials[low_water - 1].number == low_water - 1)


def _relative_values(trial: FrozenTrial) -> Optional[dict[str, Any]]:
    """The relative values a running trial drew (Optuna's system attributes), by name."""
    parts = []
    i = 0
    while (part := trial.system_attrs.get(f"{_RELATIVE_PARAMS_KEY}:{i}")):
        parts.append(part)
        i += 1
    if not parts:
        return None
    try:
        params = json.loads("".join(parts))
    except json.JSONDecodeError:
        return None
    return params if isinstance(params, dict) else None
