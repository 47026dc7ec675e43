"""``OptunaSearch`` over an Optuna study, as Ray runs it: for a define-by-run ``space``, a
``storage``, several metrics, or a sampler other than ``TPESampler``. Optuna keeps the trials;
the sampler is swifttune's ``swifttune.optuna.TPESampler`` (Optuna's rules in Swift, for one
objective or several) unless the user gave another one (then that sampler, Optuna's own code).
The engine calls these methods back (``search_bridge``), as it calls a user's own searcher."""
from __future__ import annotations

import time
import warnings
from typing import Any, Callable, Optional

__all__ = ["OptunaStudy", "make_sampler"]

DEFINE_BY_RUN_WARN_THRESHOLD_S = 1.0  # Ray's


def make_sampler(sampler: Any, seed: Optional[int]) -> Any:
    """The sampler the study runs: a ``TPESampler`` (given or default) as swifttune's, with its
    options; any other sampler as given."""
    import optuna

    if sampler is not None and type(sampler) is not optuna.samplers.TPESampler:
        return sampler
    from ....optuna import TPESampler
    from .optuna_search import _sampler_seed, _tpe_options

    if sampler is None:
        return TPESampler(seed=seed)
    try:
        o = _tpe_options(sampler, study=True)
    except NotImplementedError:
        return sampler  # a custom Parzen estimator class: Optuna's own
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # constraints_func's deprecation: the user's sampler warned
        return TPESampler(prior_weight=o["prior_weight"], consider_magic_clip=o["consider_magic_clip"],
                          consider_endpoints=o["consider_endpoints"], n_startup_trials=o["n_startup_trials"],
                          n_ei_candidates=o["n_ei_candidates"], gamma=sampler._gamma,
                          weights=sampler._parzen_estimator_parameters.weights, seed=_sampler_seed(sampler),
                          multivariate=sampler._multivariate, group=o["group"], constant_liar=o["constant_liar"],
                          constraints_func=sampler._constraints_func)


class OptunaStudy:
    """Ray's ``OptunaSearch`` methods over an Optuna study (``_setup_study``, ``suggest``,
    ``on_trial_result``, ``on_trial_complete``, ``add_evaluated_point``)."""

    def __init__(self, space: Any, metric: Any, mode: Any, sampler: Any, storage: Any, study_name: str,
                 seed: Optional[int], points: list[dict[str, Any]], evaluated_rewards: Optional[list[Any]]) -> None:
        import optuna

        self.space = space
        self.metric = metric
        self.mode = mode
        self.trials: dict[str, Any] = {}
        self.completed: set[str] = set()
        multi = isinstance(mode, list)
        directions = (dict(directions=["minimize" if m == "min" else "maximize" for m in mode]) if multi
                      else dict(direction="minimize" if mode == "min" else "maximize"))
        self.study = optuna.create_study(storage=storage, sampler=make_sampler(sampler, seed),
                                         pruner=optuna.pruners.NopPruner(), study_name=study_name, load_if_exists=True,
                                         **directions)
        if points:
            if evaluated_rewards:
                for point, reward in zip(points, evaluated_rewards):
                    self.add_evaluated_point(point, reward)
            else:
                for point in points:
                    self.study.enqueue_trial(point)

    def suggest(self, trial_id: str) -> dict[str, Any]:
        from .._convert import unflatten_dict

        if callable(self.space):
            if trial_id not in self.trials:
                self.trials[trial_id] = self.study.ask()
            params = _define_by_run(self.space, self.trials[trial_id])
        else:
            if trial_id not in self.trials:
                self.trials[trial_id] = self.study.ask(fixed_distributions=self.space)
            params = self.trials[trial_id].params
        return unflatten_dict(params)

    def on_trial_result(self, trial_id: str, result: dict[str, Any], log: Any) -> None:
        if isinstance(self.metric, list):
            return
        if trial_id in self.completed:
            log.warning(f"Received additional result for trial {trial_id}, but it already finished. Result: {result}")
            return
        self.trials[trial_id].report(result[self.metric], result["training_iteration"])

    def on_trial_complete(self, trial_id: str, result: Optional[dict[str, Any]], error: bool, log: Any) -> None:
        from optuna.trial import TrialState

        if trial_id in self.completed:
            log.warning(f"Received additional completion for trial {trial_id}, but it already finished. Result: {result}")
            return
        trial = self.trials[trial_id]
        value: Any = None
        if result:
            value = [result.get(m, None) for m in self.metric] if isinstance(self.metric, list) else result.get(self.metric)
        state = TrialState.COMPLETE
        if value is None:
            state = TrialState.FAIL if error else TrialState.PRUNED
        try:
            self.study.tell(trial, value, state=state)
        except Exception as exc:  # as Ray: e.g. a NaN value
            log.warning(exc)
        self.completed.add(trial_id)

    def add_evaluated_point(self, parameters: dict[str, Any], value: Any, error: bool = False, pruned: bool = False,
                            intermediate_values: Optional[list[float]] = None) -> None:
        import optuna
        from optuna.trial import TrialState

        if callable(self.space):
            raise TypeError("Define-by-run function passed in `space` argument is not yet supported when using "
                            "`evaluated_rewards`. Please provide an `OptunaDistribution` dict or pass a Ray Tune "
                            "search space to `tune.Tuner()`.")
        state = TrialState.FAIL if error else TrialState.PRUNED if pruned else TrialState.COMPLETE
        inter = dict(enumerate(intermediate_values)) if intermediate_values else None
        trial = optuna.trial.create_trial(state=state, value=None if state == TrialState.FAIL else value, params=parameters,
                                          distributions=self.space, intermediate_values=inter)
        self.study.add_trial(trial)


class _Captor:
    """Ray's ``_OptunaTrialSuggestCaptor``: the trial's ``suggest_*`` calls, their values kept."""

    def __init__(self, trial: Any) -> None:
        self._trial = trial
        self.captured_values: dict[str, Any] = {}

    def __getattr__(self, item: str) -> Any:
        attr = getattr(self._trial, item)
        if item.startswith("suggest_") and callable(attr):
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                name: str = kwargs.get("name", args[0] if args else "")  # the name is the first argument
                value = attr(*args, **kwargs)
                self.captured_values[name] = value
                return value

            return wrapper
        return attr


def _define_by_run(func: Callable[[Any], Optional[dict[str, Any]]], trial: Any) -> dict[str, Any]:
    """Ray's ``_suggest_from_define_by_run_func``: the values the function asked for, merged
    with the constants it returned (its checks and warning)."""
    captor = _Captor(trial)
    start = time.time()
    ret = func(captor)
    taken = time.time() - start
    if taken > DEFINE_BY_RUN_WARN_THRESHOLD_S:
        warnings.warn("Define-by-run function passed in the `space` argument took "
                      f"{taken} seconds to run. Ensure that actual computation, training takes place inside Tune's "
                      "train functions or Trainables passed to `tune.Tuner()`.")
    if ret is not None:
        if not isinstance(ret, dict):
            raise TypeError("The return value of the define-by-run function passed in the `space` argument should be "
                            f"either None or a `dict` with `str` keys. Got {type(ret)}.")
        if not all(isinstance(k, str) for k in ret.keys()):
            raise TypeError("At least one of the keys in the dict returned by the define-by-run function passed in "
                            "the `space` argument was not a `str`.")
    return {**captor.captured_values, **ret} if ret else captor.captured_values
