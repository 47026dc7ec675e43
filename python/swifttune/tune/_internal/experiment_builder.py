"""Builds the engine for a Tuner: the searcher, scheduler and experiment specs handed to
libswifttune (or the saved state it resumes from)."""
from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING, Any, Optional

from ..._lib import ExperimentHandle, SchedulerHandle, SearcherHandle, SwiftTuneError, dumps, lib
from ..._resources import cluster_resources, trial_resources
from ..search._messages import UNDEFINED_METRIC_MODE
from ..._space import Categorical, grid_paths, has_domains, replace_at
from ..impl.config import FailureConfig, _stopper_of
from ..schedulers.trial_scheduler import FIFOScheduler, TrialScheduler, is_user_scheduler
from ..search.basic_variant import BasicVariantGenerator
from ..schedulers.async_hyperband import AsyncHyperBandScheduler
from ..schedulers.hyperband import HyperBandScheduler
from ..schedulers.median_stopping_rule import MedianStoppingRule
from ..schedulers.pbt import PopulationBasedTraining, PopulationBasedTrainingReplay
from ..search.searcher import Searcher, base_searcher, compose_spec
from ..stopper import Stopper
from .schedule_bridge import ScheduleBridge
from .search_bridge import SearchBridge, is_user_searcher, set_search_properties
from .stop_bridge import StopBridge
from .trainable_runner import is_class_trainable


if TYPE_CHECKING:
    from ..tuner import Tuner

__all__ = ["build_experiment", "executor_threads"]


def build_experiment(tuner: "Tuner") -> None:
    """Sets ``tuner._experiment`` (and the Python-side values the configurations refer to)."""
    if tuner._restored is not None:
        if _has_callback_searcher(tuner._restored):
            raise NotImplementedError(
                "Tuner.restore of an experiment whose search_alg is a Searcher subclass of your own is not supported by "
                "swifttune yet (its state lives in your object); run the experiment again with Tuner(...).fit(), or use "
                "one of swifttune's searchers (HyperOptSearch, BasicVariantGenerator), which restore.")
        tuner._experiment = ExperimentHandle(lib.call_handle("st_experiment_resume", dumps(tuner._restored),
                                                             dumps(tuner._resume_options)))
        cfg = tuner._restored["config"]
        tuner.tune_config.metric, tuner.tune_config.mode = cfg.get("metric"), cfg.get("mode")
        # The user's stoppers come back from their pickle; the engine's kept their counts.
        StopBridge(StopBridge.load(tuner._path), cfg.get("stop")).attach(tuner._experiment)
        if tuner._restored.get("scheduler", {}).get("scheduler") in ("pbt", "pb2"):
            # PBT's (or PB2's) Python side (function mutations, custom_explore_fn, log_config), as it was built.
            from .pbt_bridge import load_scheduler

            tuner.tune_config.scheduler = load_scheduler(tuner._path)
            tuner._scheduler_name = tuner.tune_config.scheduler._describe()
        if tuner._restored.get("scheduler", {}).get("scheduler") == "callback":
            # A scheduler of the user's: as it was built (Ray's Tuner pickle), told every trial again.
            scheduler = ScheduleBridge.load(tuner._path)
            tuner.tune_config.scheduler = scheduler
            tuner._scheduler_name = scheduler._describe()
            ScheduleBridge(scheduler).prepare(tuner._experiment)
        return
    tc = tuner.tune_config
    search = tc.search_alg if tc.search_alg is not None else BasicVariantGenerator()
    if not isinstance(search, Searcher):
        raise ValueError(f"search_alg must be a swifttune Searcher, got {type(search).__name__}")
    # A multi-objective searcher's lists of metrics and modes are its own (the engine ranks by
    # one metric only when TuneConfig names one).
    metric = tc.metric or (search.metric if isinstance(search.metric, str) else None)
    mode = tc.mode or (search.mode if isinstance(search.mode, str) else None)
    inner = base_searcher(search)
    if tc.max_concurrent_trials and getattr(search, "_wrapper_kind", None) == "limit":
        limit = search.max_concurrent  # type: ignore[attr-defined]
        if limit != tc.max_concurrent_trials:
            raise ValueError(
                f"You have specified `max_concurrent_trials={tc.max_concurrent_trials}`, but the `search_alg` is already "
                f"a `ConcurrencyLimiter` with `max_concurrent={limit}. FIX THIS by setting `max_concurrent_trials=None`.")
        import logging

        logging.getLogger("swifttune.tune").warning(
            f"You have specified `max_concurrent_trials={tc.max_concurrent_trials}`, but the `search_alg` is already a "
            "`ConcurrencyLimiter`. `max_concurrent_trials` will be ignored.")
    if getattr(search, "_wrapper_kind", None) == "repeat" and tc.num_samples % search.repeat:  # type: ignore[attr-defined]
        import warnings

        warnings.warn("`num_samples` is now expected to be the total number of trials, including the repeat trials. "
                      "For example, set num_samples=15 if you intend to obtain 3 search algorithm suggestions and repeat "
                      "each suggestion 5 times. Any leftover trials (num_samples mod repeat) will be ignored.")
    if is_user_searcher(inner):
        from ..schedulers.hb_bohb import HyperBandForBOHB

        hooks = [h for h in ("on_pause", "on_unpause") if callable(getattr(inner, h, None))]
        if hooks and isinstance(tuner.tune_config.scheduler, HyperBandForBOHB):
            raise NotImplementedError(
                f"{type(inner).__name__}.{hooks[0]}: HyperBandForBOHB's pause and unpause calls to a searcher of your own "
                "are not supported by swifttune (the engine tells only its own searchers); use TuneBOHB, or a searcher "
                "that does not depend on them")
        _build_with_user_searcher(tuner, search, inner, metric, mode)
        return
    if inner._algorithm == "tpe" and (not metric or not mode):
        # Ray needs them only where they are used: a model-based searcher (random and grid search
        # rank nothing; results are ranked when asked, get_best_result(metric, mode)).
        raise RuntimeError(UNDEFINED_METRIC_MODE.format(cls=type(inner).__name__, metric=metric, mode=mode))
    if inner._space is None and not tuner.param_space:
        if not isinstance(inner, BasicVariantGenerator):
            raise ValueError("The Tuner needs a `param_space`, or a search algorithm with its own `space`.")
        tuner.param_space = {}  # as Ray: random search over nothing, num_samples trials of config {}
    num_samples = tc.num_samples
    grids = grid_paths(tuner.param_space) if isinstance(inner, BasicVariantGenerator) else []
    space_for_search: Any = tuner.param_space
    if grids:
        # Ray's BasicVariantGenerator: every grid combination, num_samples times; the Swift
        # searcher gets each grid as a choice and the combinations as points to evaluate.
        for path, g in grids:
            space_for_search = replace_at(space_for_search, path, Categorical(g.values))
        combos = list(itertools.product(*[g.values for _, g in grids]))
        points = []
        for _ in range(max(num_samples, 1)):
            for combo in combos:
                point: dict[str, Any] = {}
                for (path, _), value in zip(grids, combo):
                    point = _set_path(point, path, value)
                points.append(point)
        inner._points = points + list(inner._points)
        if isinstance(inner, BasicVariantGenerator):  # (grids are read only for it)
            inner._grid_blocks = (len(combos), len(points))  # constant_grid_search: a sample's combinations share its draws
        num_samples = len(points)
    if not search.set_search_properties(metric, mode, space_for_search):
        raise ValueError(
            "You passed a `param_space` with search domains to the Tuner, but the search algorithm was "
            "already instantiated with a search space. Make sure to supply the search space only once."
        )
    if inner._space is not space_for_search and isinstance(tuner.param_space, dict) and tuner.param_space:
        # The searcher has its own space: param_space constants are merged into every configuration.
        tuner._constants = dict(tuner.param_space)
    spec = search._spec()
    tuner._refs = inner._refs
    _build_engine(tuner, spec, metric, mode, num_samples)


def _build_with_user_searcher(tuner: "Tuner", search: Searcher, inner: Searcher, metric: Optional[str],
                              mode: Optional[str]) -> None:
    """The engine with a user's ``Searcher`` subclass, called back (search_bridge): the engine's
    limiter bounds it; its suggestions are merged into the param_space (Ray's ``merge_dicts``)."""
    space = tuner.param_space or {}
    # As Ray: asked only with a param_space (an empty one tells the searcher nothing).
    if space and not set_search_properties(inner, metric, mode, space) and has_domains(space):
        raise ValueError(
            "You passed a `param_space` parameter to `Tuner(...)` with unresolved parameters, but the search algorithm "
            "was already instantiated with a search space. Make sure that `config` does not contain any more "
            "parameter definitions - include them in the search algorithm's search space if necessary.")
    spec = compose_spec(search, {"algorithm": "callback", "id": 0, "mode": mode or "min"})
    refs: list[Any] = []
    tuner._refs = refs
    bridge = SearchBridge(inner, space, refs)
    _build_engine(tuner, spec, metric, mode, tuner.tune_config.num_samples)
    bridge.attach(tuner._experiment)


def _has_callback_searcher(state: dict[str, Any]) -> bool:
    """Whether a saved experiment state's searcher is a front end's (``{"searcher": "callback"}``),
    behind its limiter and any Repeater (whose own limiter is its ``inner``)."""
    limiter = state.get("limiter")
    while isinstance(limiter, dict) and isinstance(limiter.get("searcher"), dict):
        searcher = limiter["searcher"]
        if searcher.get("searcher") == "callback":
            return True
        limiter = searcher.get("inner")
    return False


def _build_engine(tuner: "Tuner", spec: dict[str, Any], metric: Optional[str], mode: Optional[str],
                  num_samples: int) -> None:
    """The engine for the searcher `spec`, the scheduler, the stoppers and the run settings."""
    tc, rc = tuner.tune_config, tuner.run_config
    tuner._total_num_samples = num_samples  # what Callback.setup is told (grid combinations included)
    searcher = SearcherHandle(lib.call_handle("st_searcher_new", dumps(spec)))
    scheduler_obj = tc.scheduler or FIFOScheduler()
    if not isinstance(scheduler_obj, TrialScheduler):
        raise ValueError(f"scheduler must be a swifttune TrialScheduler, got {type(scheduler_obj).__name__}")
    user_scheduler = is_user_scheduler(scheduler_obj)
    if isinstance(scheduler_obj, (AsyncHyperBandScheduler, HyperBandScheduler, MedianStoppingRule, PopulationBasedTraining)):
        _check_scheduler_metric(scheduler_obj, tc.metric, tc.mode, tuner._entrypoint)
    if isinstance(scheduler_obj, (PopulationBasedTraining, PopulationBasedTrainingReplay)):
        _check_pbt(tuner, scheduler_obj)
    else:  # Ray's set_search_properties of a scheduler of the user's, or Ray's base class's of FIFOScheduler
        _set_search_properties(scheduler_obj, tc.metric, tc.mode, rc, tc, tuner._entrypoint)
    scheduler_spec = {"type": "callback", "id": 0} if user_scheduler else scheduler_obj._spec()
    tuner._scheduler_name = scheduler_obj._describe()
    scheduler = SchedulerHandle(lib.call_handle("st_scheduler_new", dumps(scheduler_spec)))
    fc = rc.failure_config or FailureConfig()
    available = available_resources(tuner)
    config = {"metric": metric, "mode": mode, "num_samples": num_samples,
              "max_concurrent_trials": tc.max_concurrent_trials,
              "stop": {k: float(v) for k, v in rc.stop.items()} if isinstance(rc.stop, dict) else {},
              "time_budget_s": tc.time_budget_s, "max_failures": fc.max_failures, "fail_fast": bool(fc.fail_fast),
              # The engine's checkpoint rule (the report answers should_checkpoint; Ray's Trial.should_checkpoint).
              "checkpoint_frequency": getattr(rc.checkpoint_config, "checkpoint_frequency", 0) or 0,
              "checkpoint_at_end": bool(getattr(rc.checkpoint_config, "checkpoint_at_end", False)),
              # What the machine offers and each trial takes: the engine bounds the running trials by both.
              "resources": {"available": available, "per_trial": trial_resources(tuner.trainable)},
              # Ray's trials created ahead (a scheduler choosing among the waiting trials sees them).
              "max_pending_trials": max_pending_trials(tc.search_alg, available),
              # A class trainable saves when asked: a checkpoint PBT keeps is then awaited.
              "saves_on_demand": is_class_trainable(tuner.trainable)}
    stopper = _stopper_of(rc.stop)
    callbacks: list[Stopper] = []
    if stopper is not None:
        config["stop"] = {}
        config["stopper"] = stopper._spec(callbacks)
    check_engine_names(config, scheduler_spec, spec)
    try:
        try:
            tuner._experiment = ExperimentHandle(lib.call_handle("st_experiment_new", dumps(config), searcher.p,
                                                                 scheduler.p))
        except SwiftTuneError as e:
            if "no trial could start" not in str(e):
                raise
            raise SwiftTuneError(e.status, f"{e}; declare what the machine offers with swifttune.init(num_cpus=..., "
                                 "num_gpus=..., resources={...}), or ask for less with tune.with_resources") from None
    finally:
        searcher.close()
        scheduler.close()
    StopBridge(callbacks, rc.stop if isinstance(rc.stop, dict) else None).attach(tuner._experiment)
    if user_scheduler:
        ScheduleBridge(scheduler_obj).prepare(tuner._experiment)
    tc.metric, tc.mode = metric, mode


def _check_pbt(tuner: "Tuner", scheduler: TrialScheduler) -> None:
    """Ray's checks and warnings of PBT at ``on_trial_add``: no search algorithm but the variant
    generator; ``num_to_keep <= 2`` warned about; a replay's policy overrides the param_space."""
    import warnings

    search = tuner.tune_config.search_alg
    if search is not None and not isinstance(base_searcher(search), BasicVariantGenerator):
        raise ValueError("Search algorithms cannot be used with {} schedulers. Please remove {}.".format(
            type(scheduler).__name__, search))
    if isinstance(scheduler, PopulationBasedTraining):
        keep = getattr(tuner.run_config.checkpoint_config, "num_to_keep", None)
        if keep and keep <= 2:
            warnings.warn("Using `CheckpointConfig.num_to_keep <= 2` with PBT can lead to restoration problems when "
                          "checkpoint are deleted too early for other trials to exploit them. If this happens, increase "
                          "the value of `num_to_keep`.")
    elif tuner.param_space and scheduler._policy:  # type: ignore[attr-defined]
        logging.getLogger("swifttune.tune").warning(
            "Trial was initialized with a config, which was overwritten. Did you start the PBT replay with a `config` "
            "parameter?")


def available_resources(tuner: "Tuner") -> dict[str, float]:
    """What trials may take at once: this machine's (``swifttune.init``), or the Ray cluster's for
    ``TuneConfig(executor="ray")`` (``ray_executor.ray_cluster_resources``)."""
    if tuner.tune_config.executor == "ray":
        from .ray_executor import ray_cluster_resources, ray_cluster_totals

        nodes, totals = ray_cluster_totals()
        tuner._ray_resources = totals  # the status table's totals, as Ray's
        return ray_cluster_resources(tuner.trainable, nodes, totals)
    return cluster_resources()


def max_pending_trials(search_alg: Any, available: dict[str, float]) -> int:
    """Ray's ``max_pending_trials``: ``TUNE_MAX_PENDING_TRIALS_PG`` when set, else 200 (or 1.1 per
    CPU of `available`, if more) for a ``BasicVariantGenerator`` and 1 for any other searcher."""
    import os

    setting = os.environ.get("TUNE_MAX_PENDING_TRIALS_PG", "auto")
    if setting != "auto":
        return int(setting)
    if search_alg is not None and not isinstance(search_alg, BasicVariantGenerator):
        return 1
    return max(200, int(available.get("CPU", 1.0) * 1.1))


def check_engine_names(*specs: Any) -> None:
    """Refuses a stop key, scheduler ``time_attr`` or metric that names one of Ray's automatic
    fields the engine does not keep (``DRIVER_ONLY_FIELDS``): it would never be reached."""
    from .stop_bridge import DRIVER_ONLY_FIELDS

    def names(node: Any, key: Optional[str] = None) -> Any:
        if isinstance(node, dict):
            for k, v in node.items():
                if key == "stop":
                    yield k
                yield from names(v, k)
        elif isinstance(node, list):
            for v in node:
                yield from names(v, key)
        elif key in ("metric", "time_attr") and isinstance(node, str):
            yield node

    for spec in specs:
        for name in names(spec):
            if name in DRIVER_ONLY_FIELDS:
                raise NotImplementedError(
                    f"{name!r} as a stop criterion, time_attr or metric is not supported by swifttune (the engine "
                    "decides on the trial's own metrics, training_iteration, time_total_s and done; the result files "
                    f"have {name!r}); report the value under a name of your own and use that instead.")


def scheduler_conflict(entrypoint: str) -> str:
    """Ray's error for a metric or mode given both to the scheduler and to the entry point."""
    return (f"You passed a `metric` or `mode` argument to `{entrypoint}`, but the scheduler you are using was already "
            "instantiated with their own `metric` and `mode` parameters. Either remove the arguments from your "
            f"scheduler or from `{entrypoint}` args.")


def _set_search_properties(scheduler: TrialScheduler, metric: Optional[str], mode: Optional[str],
                           rc: Any, tc: Any, entrypoint: str) -> None:
    """Ray's call of a user scheduler's ``set_search_properties(metric, mode, **public_spec)`` (a
    scheduler that takes no ``**spec`` is asked again without, with Ray's warning); False with a
    TuneConfig metric or mode is Ray's error."""
    # Ray's Experiment.public_spec: the dict stop criteria ({} for a stopper or none).
    spec = {"stop": rc.stop if isinstance(rc.stop, dict) else {}, "num_samples": tc.num_samples,
            "time_budget_s": tc.time_budget_s}
    try:
        ok = scheduler.set_search_properties(metric, mode, **spec)
    except TypeError as e:
        # Ray's test of the message, which Python 3.10+ qualifies with the class (so Ray raises it)
        if not str(e).startswith("set_search_properties() got an unexpected keyword argument"):
            raise
        import logging

        logging.getLogger("swifttune.tune").warning(
            "Please update custom Scheduler to take in function signature as ``def set_search_properties(metric, "
            "mode, **spec) -> bool``.")
        ok = scheduler.set_search_properties(metric, mode)
    if not ok:
        raise ValueError(scheduler_conflict(entrypoint))


def _check_scheduler_metric(scheduler: TrialScheduler, metric: Optional[str], mode: Optional[str],
                            entrypoint: str) -> None:
    """Ray's checks of a scheduler that ranks trials (``tune.run``'s ``set_search_properties`` and
    the scheduler's ``on_trial_add``): the TuneConfig's metric and mode, or its own, not both."""
    if not isinstance(scheduler, (AsyncHyperBandScheduler, HyperBandScheduler, MedianStoppingRule, PopulationBasedTraining)):
        return
    own_metric, own_mode = scheduler.metric, scheduler.mode
    if (own_metric and metric) or (own_mode and mode):
        raise ValueError(scheduler_conflict(entrypoint))
    final_mode = own_mode or mode
    final_metric = own_metric or metric or ("_metric" if final_mode else None)
    if not final_metric or not final_mode:
        raise ValueError(
            "{} has been instantiated without a valid `metric` ({}) or `mode` ({}) parameter. Either pass these "
            "parameters when instantiating the scheduler, or pass them as parameters to `tune.TuneConfig()`".format(
                type(scheduler).__name__, final_metric, final_mode))


def executor_threads(tuner: "Tuner") -> int:
    """How many executor threads to start: as many trials as the engine lets run at once (its
    ``max_concurrent_trials`` and resources; without a bound, one per CPU). The engine decides
    which of them run a trial at a time (its concurrency limiter, ``num_samples``); the others
    wait or end."""
    from ... import _cpus

    n = tuner._experiment.max_running()
    return max(1, n if n is not None else _cpus())


def _set_path(d: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = dict(d)
    if len(path) == 1:
        out[path[0]] = value
    else:
        out[path[0]] = _set_path(out.get(path[0], {}), path[1:], value)
    return out
