"""Ray Tune's ``ExperimentAnalysis``: the trials of one experiment, read from its folder (what
``tune.run`` returns; ``ExperimentAnalysis(path)`` reads a finished or interrupted experiment)."""
from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

from .._internal.flatten import flatten_dict
from .._internal.progress import ReportedTrial, lookup, reported_trials
from .._internal.state import STATE_FILE
from ..checkpoint import Checkpoint, CheckpointConfig, best_checkpoints
from ..impl.config import local_storage_path
from ..._optional import require

if TYPE_CHECKING:
    from ..tuner import Tuner

__all__ = ["ExperimentAnalysis"]

logger = logging.getLogger("swifttune.tune")

DEFAULT_METRIC = "_metric"
TRAINING_ITERATION = "training_iteration"
_SCOPES = ("all", "last", "avg", "last-5-avg", "last-10-avg")


def _pandas() -> Any:
    return require("pandas", "ExperimentAnalysis' data frames need pandas: pip install 'swifttune[pandas]' (or pandas)")


def _never_run(config: dict[str, Any]) -> None:
    raise RuntimeError("ExperimentAnalysis only reads an experiment; it runs no trial")


def _numeric(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def metric_analysis(trial: ReportedTrial, metric: str) -> Optional[dict[str, float]]:
    """Ray's ``Trial.metric_analysis[metric]``: max, min, avg, last, last-5-avg, last-10-avg of
    the values the trial reported (None when it never reported a number for it)."""
    values = [float(v) for r in trial.history if _numeric(v := lookup(metric, r))]
    if not values:
        return None
    return {"max": max(values), "min": min(values), "avg": sum(values) / len(values), "last": values[-1],
            "last-5-avg": sum(values[-5:]) / len(values[-5:]), "last-10-avg": sum(values[-10:]) / len(values[-10:])}


class ExperimentAnalysis:
    """Ray's ``ExperimentAnalysis(experiment_checkpoint_path, *, storage_filesystem=None,
    trials=None, default_metric=None, default_mode=None)``: the experiment's trials, their
    results and checkpoints, and the best trial by ``default_metric``/``default_mode`` (what
    ``tune.run`` was given)."""

    def __init__(self, experiment_checkpoint_path: Union[str, "os.PathLike[str]"], *, storage_filesystem: Any = None,
                 trials: Optional[list[ReportedTrial]] = None, default_metric: Optional[str] = None,
                 default_mode: Optional[str] = None) -> None:
        if storage_filesystem is not None:
            raise NotImplementedError("storage_filesystem is not supported by swifttune (it stores on the local "
                                      "filesystem only); pass the experiment's local path instead.")
        self.default_metric = default_metric
        if default_mode and default_mode not in ("min", "max"):
            raise ValueError("`default_mode` has to be None or one of [min, max]")
        self.default_mode = default_mode
        if self.default_metric is None and self.default_mode is not None:
            self.default_metric = DEFAULT_METRIC
        if not isinstance(experiment_checkpoint_path, (str, os.PathLike)):
            raise TypeError("`experiment_checkpoint_path` must be a str or os.PathLike, got "
                            f"{type(experiment_checkpoint_path).__name__}")
        path = str(local_storage_path(experiment_checkpoint_path))
        if path.endswith(".json"):
            path = os.path.dirname(path)
        self._experiment_fs_path = path
        if trials is None:
            if not (Path(path) / STATE_FILE).is_file():
                raise ValueError(
                    f"No experiment snapshot file of form '{STATE_FILE}' was found at: (local, {path})\n"
                    "Please check if you specified the correct experiment path, which should be a combination "
                    "of the `storage_path` and `name` specified in your run.")
            trials = self._load_trials()
        self.trials: list[ReportedTrial] = trials
        self._trial_dataframes: Optional[dict[str, Any]] = None
        self._configs = self.get_all_configs()

    @classmethod
    def _from_tuner(cls, tuner: "Tuner", default_metric: Optional[str], default_mode: Optional[str]) -> "ExperimentAnalysis":
        return cls(tuner._path, trials=reported_trials(tuner, from_files=True), default_metric=default_metric,
                   default_mode=default_mode)

    def _load_trials(self) -> list[ReportedTrial]:
        from ..tuner import Tuner

        tuner = Tuner.restore(self._experiment_fs_path, _never_run)
        return reported_trials(tuner, from_files=True)

    # -- data ------------------------------------------------------------------------------

    @property
    def experiment_path(self) -> str:
        """The experiment's folder."""
        return self._experiment_fs_path

    def get_all_configs(self, prefix: bool = False) -> dict[str, dict[str, Any]]:
        """Every trial's configuration by trial id (``prefix``: flattened, as ``config/...``)."""
        return {t.trial_id: (flatten_dict({"config": t.config}) if prefix else t.config) for t in self.trials}

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        """Every trial's last result by trial id."""
        return {t.trial_id: t.last_result for t in self.trials}

    @property
    def results_df(self) -> Any:
        """The last results as a pandas DataFrame indexed by trial id (nested keys as ``a/b``)."""
        pd = _pandas()
        return pd.DataFrame.from_records([flatten_dict(t.last_result) for t in self.trials], index="trial_id")

    @property
    def trial_dataframes(self) -> dict[str, Any]:
        """Every trial's results (one row per report) as a pandas DataFrame, by trial id."""
        if self._trial_dataframes is None:
            pd = _pandas()
            self._trial_dataframes = {t.trial_id: pd.json_normalize(t.history, sep="/") if t.history
                                      else pd.DataFrame() for t in self.trials}
        return self._trial_dataframes

    def dataframe(self, metric: Optional[str] = None, mode: Optional[str] = None) -> Any:
        """One row per trial: its result with the lowest (``mode="min"``) or highest ``metric``
        ever reported, or its last result without them; with ``config/...`` columns."""
        if mode and mode not in ("min", "max"):
            raise ValueError("If set, `mode` has to be one of [min, max]")
        if mode and not metric:
            raise ValueError("If a `mode` is passed to `ExperimentAnalysis.dataframe(), you'll also have to pass a "
                             "`metric`!")
        pd = _pandas()
        rows: dict[str, dict[str, Any]] = {}
        for trial_id, df in self.trial_dataframes.items():
            if df.empty:
                continue
            if metric not in df or not mode:
                idx: Any = -1
            else:
                idx = df[metric].idxmax() if mode == "max" else df[metric].idxmin()
            try:
                rows[trial_id] = df.iloc[idx].to_dict()
            except TypeError:
                logger.warning("Warning: Non-numerical value(s) encountered for %s", trial_id)
        for trial_id, config in self.get_all_configs(prefix=True).items():
            if trial_id in rows:
                rows[trial_id].update(config)
                rows[trial_id].update(logdir=trial_id)
        return pd.DataFrame(list(rows.values()))

    # -- the best trial --------------------------------------------------------------------

    def _validate_metric(self, metric: Optional[str]) -> str:
        if not metric and not self.default_metric:
            raise ValueError("No `metric` has been passed and  `default_metric` has not been set. Please specify "
                             "the `metric` parameter.")
        return str(metric or self.default_metric)

    def _validate_mode(self, mode: Optional[str]) -> str:
        if not mode and not self.default_mode:
            raise ValueError("No `mode` has been passed and  `default_mode` has not been set. Please specify the "
                             "`mode` parameter.")
        if mode and mode not in ("min", "max"):
            raise ValueError("If set, `mode` has to be one of [min, max]")
        return str(mode or self.default_mode)

    def get_best_trial(self, metric: Optional[str] = None, mode: Optional[str] = None, scope: str = "last",
                       filter_nan_and_inf: bool = True) -> Optional[ReportedTrial]:
        """The best trial by ``metric`` and ``mode`` over ``scope`` (last, avg, last-5-avg,
        last-10-avg: that value of each trial; all: each trial's best value); None (with a
        warning) when no trial reported the metric."""
        if len(self.trials) == 1:
            return self.trials[0]
        metric = self._validate_metric(metric)
        mode = self._validate_mode(mode)
        if scope not in _SCOPES:
            raise ValueError(
                "ExperimentAnalysis: attempting to get best trial for metric {} for scope {} not in [\"all\", "
                "\"last\", \"avg\", \"last-5-avg\", \"last-10-avg\"]. If you didn't pass a `metric` parameter to "
                "`tune.run()`, you have to pass one when fetching the best trial.".format(metric, scope))
        best, best_score = None, None
        for trial in self.trials:
            analysis = metric_analysis(trial, metric)
            if analysis is None:
                continue
            score = analysis[scope] if scope != "all" else analysis[mode]
            if filter_nan_and_inf and not math.isfinite(score):
                continue
            if best_score is None or (mode == "max" and best_score < score) or (mode == "min" and best_score > score):
                best, best_score = trial, score
        if best is None:
            logger.warning("Could not find best trial. Did you pass the correct `metric` parameter?")
        return best

    def get_best_config(self, metric: Optional[str] = None, mode: Optional[str] = None,
                        scope: str = "last") -> Optional[dict[str, Any]]:
        """The best trial's configuration (see ``get_best_trial``)."""
        best = self.get_best_trial(metric, mode, scope)
        return best.config if best else None

    def _checkpoints_with_metric(self, trial: ReportedTrial, metric: str) -> list[tuple[Checkpoint, Any]]:
        kept = best_checkpoints(Path(trial.local_path), trial.history, CheckpointConfig())
        return [(c, lookup(metric, r)) for c, r in kept]

    def get_best_checkpoint(self, trial: ReportedTrial, metric: Optional[str] = None,
                            mode: Optional[str] = None) -> Optional[Checkpoint]:
        """The trial's kept checkpoint whose result has the best ``metric`` (default:
        ``default_metric``, else ``training_iteration``); None (logged) without checkpoints."""
        metric = metric or self.default_metric or TRAINING_ITERATION
        mode = self._validate_mode(mode)
        scored = [(c, v) for c, v in self._checkpoints_with_metric(trial, metric)
                  if _numeric(v) and not math.isnan(float(v))]
        if not scored:
            logger.error(f"No checkpoints have been found for trial {trial}.")
            return None
        sign = -1.0 if mode == "min" else 1.0
        return max(scored, key=lambda cv: sign * float(cv[1]))[0]

    def get_last_checkpoint(self, trial: Optional[ReportedTrial] = None, metric: str = "training_iteration",
                            mode: str = "max") -> Optional[Checkpoint]:
        """The trial's latest checkpoint (highest ``training_iteration``); without a trial, of
        the best trial by ``metric`` and ``mode``."""
        trial = trial or self.get_best_trial(metric, mode)
        if trial is None:
            return None
        return self.get_best_checkpoint(trial, TRAINING_ITERATION, "max")

    def _need_defaults(self, what: str, instead: str) -> None:
        if not self.default_metric or not self.default_mode:
            raise ValueError(f"To fetch the `{what}`, pass a `metric` and `mode` parameter to `tune.run()`. "
                             f"Alternatively, use {instead} to set the metric and mode explicitly.")

    @property
    def best_trial(self) -> Optional[ReportedTrial]:
        """The best trial by the last results, ``default_metric`` and ``default_mode``."""
        self._need_defaults("best_trial", "the `get_best_trial(metric, mode)` method")
        return self.get_best_trial(self.default_metric, self.default_mode)

    @property
    def best_config(self) -> Optional[dict[str, Any]]:
        """The best trial's configuration."""
        self._need_defaults("best_config", "the `get_best_config(metric, mode)` method")
        return self.get_best_config(self.default_metric, self.default_mode)

    @property
    def best_checkpoint(self) -> Optional[Checkpoint]:
        """The best trial's best checkpoint."""
        self._need_defaults("best_checkpoint", "the `get_best_checkpoint(trial, metric, mode)` method")
        best = self.best_trial
        if not best:
            raise ValueError(f"No best trial found. Please check if you specified the correct default metric "
                             f"({self.default_metric}) and mode ({self.default_mode}).")
        return self.get_best_checkpoint(best, self.default_metric, self.default_mode)

    @property
    def best_dataframe(self) -> Any:
        """The best trial's results, one row per report (pandas)."""
        if not self.default_metric or not self.default_mode:
            raise ValueError("To fetch the `best_result`, pass a `metric` and `mode` parameter to `tune.run()`.")
        best = self.best_trial
        assert best is not None
        return self.trial_dataframes[best.trial_id]

    @property
    def best_result(self) -> dict[str, Any]:
        """The best trial's last result."""
        self._need_defaults("best_result", "`get_best_trial(metric, mode).last_result`")
        best = self.best_trial
        return best.last_result if best else {}

    @property
    def best_result_df(self) -> Any:
        """The best trial's last result as a one-row pandas DataFrame indexed by trial id."""
        pd = _pandas()
        return pd.DataFrame.from_records([flatten_dict(self.best_result)], index="trial_id")

    @property
    def best_path(self) -> Optional[str]:
        """The best trial's folder (``Trial.path``; Ray releases before 2.7 called it
        ``best_logdir``)."""
        self._need_defaults("best_path", "`get_best_trial(metric, mode).path`")
        best = self.best_trial
        return best.path if best else None

    @property
    def best_logdir(self) -> Optional[str]:
        """The best trial's folder (the name of earlier Ray releases for ``best_path``)."""
        return self.best_path

    def __repr__(self) -> str:
        return f"ExperimentAnalysis(experiment_path={self._experiment_fs_path!r}, trials={len(self.trials)})"
