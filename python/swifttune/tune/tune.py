"""Ray Tune's legacy entry points (``ray.tune.tune``): ``tune.run`` and ``tune.run_experiments``.

Each builds the ``Tuner`` (``TuneConfig``, ``RunConfig``) its arguments mean and runs it, so the
engine decides exactly as for ``Tuner.fit``; ``tune.run`` returns an ``ExperimentAnalysis``."""
from __future__ import annotations

import datetime
import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional, Union

from .analysis.experiment_analysis import ExperimentAnalysis
from .checkpoint import CheckpointConfig
from .error import TuneError
from .experiment.experiment import Experiment
from .impl.config import FailureConfig, RunConfig
from .progress_reporter import ProgressReporter
from .schedulers.trial_scheduler import TrialScheduler
from .search.searcher import Searcher
from .syncer import SyncConfig
from .tune_config import ResumeConfig, TuneConfig

__all__ = ["run", "run_experiments"]

logger = logging.getLogger("swifttune.tune")

_DEPRECATED_VALUE = "DEPRECATED"
_LOCAL_DIR_MESSAGE = ("The `local_dir` argument is deprecated. You should set the `storage_path` instead. See the "
                      "docs: https://docs.ray.io/en/latest/train/user-guides/"
                      "persistent-storage.html#setting-the-local-staging-directory")
_SCHEDULERS = ("fifo", "async_hyperband", "asha", "median_stopping_rule", "hyperband", "hb_bohb", "pbt", "pbt_replay",
               "pb2", "resource_changing")
_SEARCHERS = ("variant_generator", "random", "ax", "dragonfly", "skopt", "hyperopt", "bayesopt", "bohb", "nevergrad",
              "optuna", "zoopt", "hebo")


def _create_scheduler(scheduler: str, **kwargs: Any) -> TrialScheduler:
    """Ray's ``create_scheduler(scheduler, **kwargs)`` for the schedulers swifttune has: the
    scheduler named, built with ``kwargs``."""
    from .schedulers import (AsyncHyperBandScheduler, FIFOScheduler, HyperBandForBOHB, HyperBandScheduler,
                             MedianStoppingRule, PopulationBasedTraining, PopulationBasedTrainingReplay)
    from .schedulers.pb2 import PB2

    name = scheduler
    if name not in _SCHEDULERS:
        raise ValueError(f"The `scheduler` argument must be one of {list(_SCHEDULERS)}. Got: {name}")
    made: dict[str, Callable[..., TrialScheduler]] = {"fifo": FIFOScheduler, "async_hyperband": AsyncHyperBandScheduler,
                                                      "asha": AsyncHyperBandScheduler,
                                                      "median_stopping_rule": MedianStoppingRule,
                                                      "hyperband": HyperBandScheduler, "hb_bohb": HyperBandForBOHB,
                                                      # (as Ray's: without arguments they raise Ray's errors)
                                                      "pbt": PopulationBasedTraining,
                                                      "pbt_replay": PopulationBasedTrainingReplay,
                                                      "pb2": PB2}  # type: ignore[dict-item]
    if name not in made:
        raise NotImplementedError(f"scheduler={name!r} is not supported by swifttune; use 'fifo', 'asha' "
                                  "('async_hyperband'), 'median_stopping_rule', 'hyperband', 'hb_bohb' or a "
                                  "PopulationBasedTraining or PB2 instance instead.")
    return made[name](**kwargs)


def _create_searcher(search_alg: str, **kwargs: Any) -> Searcher:
    """Ray's ``create_searcher(search_alg, **kwargs)`` for the search algorithms swifttune has:
    the searcher named, built with ``kwargs``."""
    from .search.basic_variant import BasicVariantGenerator
    from .search.hyperopt import HyperOptSearch

    name = search_alg
    if name not in _SEARCHERS:
        raise ValueError(f"The `search_alg` argument must be one of {list(_SEARCHERS)}. Got: {name}")
    if name in ("variant_generator", "random"):
        return BasicVariantGenerator(**kwargs)
    if name == "hyperopt":
        return HyperOptSearch(**kwargs)
    if name == "bohb":
        from .search.bohb import TuneBOHB

        return TuneBOHB(**kwargs)
    if name == "optuna":
        from .search.optuna import OptunaSearch

        return OptunaSearch(**kwargs)
    raise NotImplementedError(f"search_alg={name!r} is not supported by swifttune; use 'variant_generator' "
                              "('random'), 'hyperopt' (swifttune's TPE), 'optuna' (Optuna's TPE) or 'bohb' instead.")


def _refuse(name: str, instead: str) -> None:
    raise NotImplementedError(f"{name} is not supported by swifttune; {instead}")


def _resume_config(resume: Union[bool, str, None], resume_config: Optional[ResumeConfig]) -> Optional[ResumeConfig]:
    """Ray's reading of the legacy ``resume`` (True, False, "AUTO", "AUTO+ERRORED", ...)."""
    if resume is None or resume is False:
        return resume_config
    if resume_config is not None:
        return resume_config
    if resume is True:
        return ResumeConfig()
    if not isinstance(resume, str):
        raise ValueError(f"`resume` must be a bool or a str such as 'AUTO', got {resume!r}")
    settings = resume.split("+")
    if settings[0] in ("LOCAL", "REMOTE", "PROMPT", "ERRORED_ONLY"):
        raise DeprecationWarning(f"'{settings[0]}' is deprecated. Please pass in one of (True, False, 'AUTO').")
    if settings[0] != "AUTO":
        raise ValueError(f"Invalid resume setting: '{settings[0]}'")
    config = ResumeConfig()
    for setting in settings[1:]:
        if setting == "ERRORED":
            config = ResumeConfig(errored=ResumeConfig.ResumeType.RESUME)
        elif setting == "RESTART_ERRORED":
            config = ResumeConfig(errored=ResumeConfig.ResumeType.RESTART)
        elif setting == "ERRORED_ONLY":
            config = ResumeConfig(unfinished=ResumeConfig.ResumeType.SKIP, errored=ResumeConfig.ResumeType.RESUME)
        elif setting == "RESTART_ERRORED_ONLY":
            config = ResumeConfig(unfinished=ResumeConfig.ResumeType.SKIP, errored=ResumeConfig.ResumeType.RESTART)
        else:
            raise ValueError(f"Invalid resume setting: '{setting}'")
    return config


def _checkpoint_config(checkpoint_config: Optional[CheckpointConfig], keep_checkpoints_num: Optional[int],
                       checkpoint_score_attr: Optional[str], checkpoint_freq: int,
                       checkpoint_at_end: bool) -> CheckpointConfig:
    """``checkpoint_config`` with the deprecated checkpoint arguments folded in, as Ray does."""
    cc = checkpoint_config or CheckpointConfig()
    fields: dict[str, Any] = {"num_to_keep": cc.num_to_keep, "checkpoint_score_attribute": cc.checkpoint_score_attribute,
                              "checkpoint_score_order": cc.checkpoint_score_order,
                              "checkpoint_frequency": cc.checkpoint_frequency, "checkpoint_at_end": cc.checkpoint_at_end}
    if keep_checkpoints_num is not None:
        warnings.warn("keep_checkpoints_num is deprecated and will be removed. use checkpoint_config.num_to_keep "
                      "instead.", DeprecationWarning, stacklevel=3)
        fields["num_to_keep"] = keep_checkpoints_num
    if checkpoint_score_attr is not None:
        warnings.warn("checkpoint_score_attr is deprecated and will be removed. use "
                      "checkpoint_config.checkpoint_score_attribute instead.", DeprecationWarning, stacklevel=3)
        if checkpoint_score_attr.startswith("min-"):
            warnings.warn("using min- and max- prefixes to specify checkpoint score order is deprecated. Use "
                          "CheckpointConfig.checkpoint_score_order instead", DeprecationWarning, stacklevel=3)
            fields["checkpoint_score_attribute"], fields["checkpoint_score_order"] = checkpoint_score_attr[4:], "min"
        else:
            fields["checkpoint_score_attribute"], fields["checkpoint_score_order"] = checkpoint_score_attr, "max"
    if checkpoint_freq > 0:
        fields["checkpoint_frequency"] = checkpoint_freq
    if checkpoint_at_end:
        fields["checkpoint_at_end"] = checkpoint_at_end
    return CheckpointConfig(**fields)


def run(run_or_experiment: Union[str, Callable[..., Any], type, Experiment, Sequence[Experiment]], *,
        name: Optional[str] = None, metric: Optional[str] = None, mode: Optional[str] = None, stop: Any = None,
        time_budget_s: Union[int, float, datetime.timedelta, None] = None, config: Optional[dict[str, Any]] = None,
        resources_per_trial: Optional[Mapping[str, Any]] = None, num_samples: int = 1,
        storage_path: Optional[str] = None, storage_filesystem: Any = None,
        search_alg: Union[Searcher, str, None] = None, scheduler: Union[TrialScheduler, str, None] = None,
        checkpoint_config: Optional[CheckpointConfig] = None, verbose: Optional[int] = None,
        progress_reporter: Optional[ProgressReporter] = None, log_to_file: Any = False,
        trial_name_creator: Optional[Callable[[Any], str]] = None,
        trial_dirname_creator: Optional[Callable[[Any], str]] = None, sync_config: Optional[SyncConfig] = None,
        export_formats: Optional[Sequence[str]] = None, max_failures: int = 0, fail_fast: Union[bool, str] = False,
        restore: Optional[str] = None, resume: Union[bool, str, None] = None,
        resume_config: Optional[ResumeConfig] = None, reuse_actors: bool = False, raise_on_failed_trial: bool = True,
        callbacks: Optional[Sequence[Any]] = None, max_concurrent_trials: Optional[int] = None,
        keep_checkpoints_num: Optional[int] = None, checkpoint_score_attr: Optional[str] = None,
        checkpoint_freq: int = 0, checkpoint_at_end: bool = False, chdir_to_trial_dir: Any = _DEPRECATED_VALUE,
        local_dir: Optional[str] = None, _remote: Optional[bool] = None, _remote_string_queue: Any = None,
        _entrypoint: Any = None) -> ExperimentAnalysis:
    """Ray's ``tune.run``: runs the trainable (or the ``Experiment``, or the trainable registered
    under that name) and returns an ``ExperimentAnalysis``. Raises ``TuneError("Trials did not
    complete", [...])`` when a trial errored and ``raise_on_failed_trial`` (the default)."""
    if _remote:
        _refuse("_remote", "run tune.run in the driver process (swifttune has no Ray client) instead.")
    if _remote_string_queue is not None:
        _refuse("_remote_string_queue", "run tune.run in the driver process instead.")
    if local_dir is not None:
        raise DeprecationWarning(_LOCAL_DIR_MESSAGE)
    if chdir_to_trial_dir != _DEPRECATED_VALUE:
        raise DeprecationWarning("`chdir_to_trial_dir` is deprecated. Use the RAY_CHDIR_TO_TRIAL_DIR environment "
                                 "variable instead. Set it to 0 to disable the default behavior of changing the "
                                 "working directory.", DeprecationWarning)
    if mode and mode not in ("min", "max"):
        raise ValueError("The `mode` parameter passed to `tune.run(...)` must be one of ['min', 'max']")
    config = config or {}
    if not isinstance(config, dict):
        raise ValueError(f"The `config` passed to `tune.run(...)` must be a dict. Got '{type(config)}' instead.")
    if export_formats:
        _refuse("export_formats", "save what you need in a checkpoint (tune.report(metrics, checkpoint=...)) instead.")
    if restore is not None:
        _refuse("restore", "load the checkpoint in the trainable, or continue an experiment with resume=True instead.")
    if isinstance(run_or_experiment, (list, tuple)):
        if len(run_or_experiment) != 1:
            _refuse("tune.run with several experiments", "use tune.run_experiments(experiments) instead.")
        run_or_experiment = run_or_experiment[0]
    if isinstance(scheduler, str):
        scheduler = _create_scheduler(scheduler)
    if isinstance(search_alg, str):
        search_alg = _create_searcher(search_alg)
    if isinstance(run_or_experiment, Experiment):
        exp = run_or_experiment
    else:
        trainable: Union[str, Callable[..., Any], type] = run_or_experiment  # type: ignore[assignment]
        exp = Experiment(name, trainable, stop=stop, time_budget_s=time_budget_s, config=config,
                         resources_per_trial=resources_per_trial, num_samples=num_samples, storage_path=storage_path,
                         storage_filesystem=storage_filesystem, sync_config=sync_config,
                         checkpoint_config=_checkpoint_config(checkpoint_config, keep_checkpoints_num,
                                                              checkpoint_score_attr, checkpoint_freq,
                                                              checkpoint_at_end),
                         trial_name_creator=trial_name_creator, trial_dirname_creator=trial_dirname_creator,
                         log_to_file=log_to_file, max_failures=max_failures)
    return _run_experiment(exp, metric=metric, mode=mode, search_alg=search_alg, scheduler=scheduler, verbose=verbose,
                           progress_reporter=progress_reporter, fail_fast=fail_fast,
                           resume_config=_resume_config(resume, resume_config), reuse_actors=reuse_actors,
                           raise_on_failed_trial=raise_on_failed_trial, callbacks=callbacks,
                           max_concurrent_trials=max_concurrent_trials,
                           entrypoint="tune.run_experiments(...)" if _entrypoint == "run_experiments" else "tune.run(...)")


def _run_experiment(exp: Experiment, *, metric: Optional[str], mode: Optional[str], search_alg: Optional[Searcher],
                    scheduler: Optional[TrialScheduler], verbose: Optional[int],
                    progress_reporter: Optional[ProgressReporter], fail_fast: Union[bool, str],
                    resume_config: Optional[ResumeConfig], reuse_actors: bool, raise_on_failed_trial: bool,
                    callbacks: Optional[Sequence[Any]], max_concurrent_trials: Optional[int],
                    entrypoint: str = "tune.run(...)") -> ExperimentAnalysis:
    """One experiment through a Tuner (restored when resuming and its folder holds one)."""
    from .registry import get_trainable_cls
    from .trainable import with_resources
    from .tuner import Tuner

    trainable = get_trainable_cls(exp.run) if isinstance(exp.run, str) else exp.run
    if exp.resources_per_trial is not None:
        trainable = with_resources(trainable, dict(exp.resources_per_trial))
    if verbose is None:
        # Ray 2.53: tune.run's default is AirVerbosity.VERBOSE (2); with a reporter (its legacy
        # output) Verbosity.V3_TRIAL_DETAILS, which RunConfig's None stands for there.
        verbose = None if progress_reporter is not None else 2
    run_config = RunConfig(name=exp.name, storage_path=exp.storage_path, sync_config=exp.sync_config,
                           checkpoint_config=exp.checkpoint_config,
                           failure_config=FailureConfig(max_failures=exp.max_failures, fail_fast=fail_fast),
                           verbose=verbose, stop=exp.stop, callbacks=list(callbacks) if callbacks else None,
                           progress_reporter=progress_reporter, log_to_file=exp.log_to_file)
    tune_config = TuneConfig(metric=metric, mode=mode, search_alg=search_alg, scheduler=scheduler,
                             num_samples=exp.num_samples, max_concurrent_trials=max_concurrent_trials,
                             time_budget_s=exp.time_budget_s,  # type: ignore[arg-type]  # TuneConfig takes a timedelta too
                             reuse_actors=reuse_actors,
                             trial_name_creator=exp.trial_name_creator,
                             trial_dirname_creator=exp.trial_dirname_creator)
    tuner = Tuner(trainable, param_space=exp.config, tune_config=tune_config, run_config=run_config)
    tuner._entrypoint = entrypoint  # how Ray's messages name it
    if isinstance(exp.run, str):
        tuner._trainable_name = exp.run
    if resume_config is not None and Tuner.can_restore(tuner._path):
        restored = Tuner.restore(str(tuner._path), trainable,
                                 resume_unfinished=resume_config.unfinished == "resume",
                                 resume_errored=resume_config.errored == "resume",
                                 restart_errored=resume_config.errored == "restart")
        restored.run_config = run_config
        restored._entrypoint = entrypoint
        restored.tune_config.reuse_actors = reuse_actors
        tuner = restored
    elif resume_config is not None:
        logger.info("Tried to resume experiment from %s, but no experiment state was found there: starting a new "
                    "experiment.", tuner._path)
    tuner.fit()
    analysis = ExperimentAnalysis._from_tuner(tuner, metric, mode)
    incomplete = [t for t in analysis.trials if t.status != "TERMINATED"]
    if incomplete and raise_on_failed_trial and not getattr(tuner, "_interrupted", False):
        raise TuneError("Trials did not complete", incomplete)
    if incomplete:
        logger.error("Trials did not complete: %s", incomplete)
    return analysis


def run_experiments(experiments: Union[Experiment, Mapping[str, Any], Sequence[Union[Experiment, Mapping[str, Any]]]],
                    scheduler: Optional[TrialScheduler] = None, verbose: Optional[int] = None,
                    progress_reporter: Optional[ProgressReporter] = None, resume: Union[bool, str, None] = None,
                    resume_config: Optional[ResumeConfig] = None, reuse_actors: bool = False,
                    raise_on_failed_trial: bool = True, concurrent: bool = True,
                    callbacks: Optional[Sequence[Any]] = None, _remote: Optional[bool] = None) -> list[Any]:
    """Ray's ``tune.run_experiments``: runs each ``Experiment`` (or ``{name: spec}`` entry, as
    ``Experiment.from_json``) and returns all their trials. swifttune runs several experiments one
    after another (``concurrent=True`` in Ray interleaves them); the trials are the same."""
    if _remote:
        _refuse("_remote", "run tune.run_experiments in the driver process (swifttune has no Ray client) instead.")
    exps: list[Experiment] = []
    items = experiments if isinstance(experiments, (list, tuple)) else [experiments]
    for item in items:
        if isinstance(item, Experiment):
            exps.append(item)
        elif isinstance(item, Mapping):
            exps.extend(Experiment.from_json(n, dict(spec)) for n, spec in item.items())
        else:
            raise TuneError(f"Invalid argument: {item!r}")
    if len(exps) > 1 and concurrent:
        # The same trials and answers as Ray's interleaved run, one experiment after another: said, not hidden.
        logger.warning("swifttune runs the %d experiments one after another (Ray interleaves them with "
                       "concurrent=True): the same trials, in more wall time; pass concurrent=False to say so.",
                       len(exps))
    trials: list[Any] = []
    for exp in exps:
        analysis = run(exp, scheduler=scheduler, verbose=verbose, progress_reporter=progress_reporter, resume=resume,
                       resume_config=resume_config, reuse_actors=reuse_actors,
                       raise_on_failed_trial=raise_on_failed_trial, callbacks=callbacks, _entrypoint="run_experiments")
        trials.extend(analysis.trials)
    return trials
