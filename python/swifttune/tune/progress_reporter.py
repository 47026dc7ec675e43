"""Ray Tune's progress reporters (``ray.tune.progress_reporter``): ``ProgressReporter``, the base a
user subclasses, ``CLIReporter`` and ``JupyterNotebookReporter``.

Pass one as ``RunConfig(progress_reporter=...)`` or ``tune.run(progress_reporter=...)``: the run
loop asks it ``should_report(trials, done)`` at its periodic print and at the end, and calls
``report(trials, done, *sys_info)`` when it says yes. (Ray 2.53 uses a passed reporter only with
its legacy output engine, ``RAY_AIR_NEW_OUTPUT=0``, and otherwise warns and ignores it; swifttune
always uses it.)
"""
from __future__ import annotations

import html
import time
import warnings
from collections.abc import MutableMapping
from typing import Any, Optional, Union

from ._internal.notebook import NotebookDisplay, html_table, in_notebook, memory_usage, status_panel
from ._internal.progress import (AUTO_RESULT_KEYS, best_trial_str, lookup, time_passed_str, time_strings,
                                 trial_errors, trial_errors_str, trial_progress_str, trial_table)
from .experiment.trial import Trial

__all__ = ["ProgressReporter", "TuneReporterBase", "CLIReporter", "JupyterNotebookReporter"]

DEFAULT_METRIC = "_metric"
"""Ray's anonymous metric, used when only a mode is given."""

Columns = Union[list[str], dict[str, str]]


class ProgressReporter:
    """Ray's abstract progress reporter: subclass it and implement ``should_report`` and
    ``report``; ``setup`` receives the experiment's start time, total samples, metric and mode."""

    def setup(self, start_time: Optional[float] = None, total_samples: Optional[int] = None,
              metric: Optional[str] = None, mode: Optional[str] = None, **kwargs: Any) -> None:
        """Called once before the experiment's first report."""

    def should_report(self, trials: list[Trial], done: bool = False) -> bool:
        """Whether to call ``report`` now (``done``: the experiment has ended)."""
        raise NotImplementedError

    def report(self, trials: list[Trial], done: bool, *sys_info: Any) -> None:
        """Reports the trials' progress; ``sys_info`` holds the scheduler's and the resources' lines."""
        raise NotImplementedError


class TuneReporterBase(ProgressReporter):
    """Ray's base of the default reporters: the "== Status ==" text with the trial table.

    ``metric_columns`` (a list, or a dict of metric name to shown name; inferred from the results,
    up to ``infer_limit``, when not given), ``parameter_columns`` (likewise; all searched
    parameters when empty), ``total_samples``, ``max_progress_rows`` and ``max_error_rows`` (rows
    before a table is cut, while the experiment runs), ``max_column_length``,
    ``max_report_frequency`` (seconds between reports), ``print_intermediate_tables`` (None: only
    at verbose 3), ``metric``/``mode`` (the current best trial) and ``sort_by_metric``."""

    DEFAULT_COLUMNS: dict[str, str] = {
        "mean_accuracy": "acc",
        "mean_loss": "loss",
        "training_iteration": "iter",
        "time_total_s": "total time (s)",
        "timesteps_total": "ts",
        "episode_reward_mean": "reward",
    }
    VALID_SUMMARY_TYPES = (int, float, type(None))

    def __init__(self, *, metric_columns: Optional[Columns] = None, parameter_columns: Optional[Columns] = None,
                 total_samples: Optional[int] = None, max_progress_rows: int = 20, max_error_rows: int = 20,
                 max_column_length: int = 20, max_report_frequency: int = 5, infer_limit: int = 3,
                 print_intermediate_tables: Optional[bool] = None, metric: Optional[str] = None,
                 mode: Optional[str] = None, sort_by_metric: bool = False) -> None:
        for name, value in (("metric_columns", metric_columns), ("parameter_columns", parameter_columns)):
            if value is not None and not isinstance(value, (list, tuple, dict)):
                raise TypeError(f"`{name}` must be a list of names or a dict of name to shown name, got "
                                f"{type(value).__name__}")
        if mode is not None and mode not in ("min", "max"):
            raise ValueError("`mode` has to be None or one of [min, max]")
        self._total_samples = total_samples
        self._metrics_override = metric_columns is not None
        self._inferred_metrics: dict[str, str] = {}
        self._metric_columns: Columns = (dict(metric_columns) if isinstance(metric_columns, dict)
                                         else list(metric_columns) if metric_columns is not None
                                         else dict(self.DEFAULT_COLUMNS))
        self._parameter_columns: Columns = (dict(parameter_columns) if isinstance(parameter_columns, dict)
                                            else list(parameter_columns or []))
        self._max_progress_rows = max_progress_rows
        self._max_error_rows = max_error_rows
        self._max_column_length = max_column_length
        self._infer_limit = infer_limit
        self._print_intermediate_tables_arg = print_intermediate_tables
        self._max_report_freqency = max_report_frequency
        self._last_report_time = 0.0
        self._start_time = time.time()
        self._metric = metric
        self._mode = mode
        self._sort_by_metric = sort_by_metric
        self._verbosity = 3
        """The run's verbosity (set by the run loop): tables at the end from 2, every time from 3."""

    @property
    def _print_intermediate_tables(self) -> bool:
        if self._print_intermediate_tables_arg is None:
            return self._verbosity >= 3
        return bool(self._print_intermediate_tables_arg)

    def setup(self, start_time: Optional[float] = None, total_samples: Optional[int] = None,
              metric: Optional[str] = None, mode: Optional[str] = None, **kwargs: Any) -> None:
        self.set_start_time(start_time)
        if total_samples is not None and self._total_samples is None:
            self.set_total_samples(total_samples)
        self.set_search_properties(metric=metric, mode=mode)

    def set_search_properties(self, metric: Optional[str], mode: Optional[str]) -> bool:
        if (self._metric and metric) or (self._mode and mode):
            raise ValueError(
                "You passed a `metric` or `mode` argument to `tune.TuneConfig()`, but the reporter you are using "
                "was already instantiated with their own `metric` and `mode` parameters. Either remove the "
                "arguments from your reporter or from your call to `tune.TuneConfig()`")
        if metric:
            self._metric = metric
        if mode:
            self._mode = mode
        if self._metric is None and self._mode:
            self._metric = DEFAULT_METRIC
        return True

    def set_total_samples(self, total_samples: Optional[int]) -> None:
        self._total_samples = total_samples

    def set_start_time(self, timestamp: Optional[float] = None) -> None:
        self._start_time = time.time() if timestamp is None else timestamp

    def should_report(self, trials: list[Trial], done: bool = False) -> bool:
        if time.time() - self._last_report_time > self._max_report_freqency:
            self._last_report_time = time.time()
            return True
        return done

    def add_metric_column(self, metric: str, representation: Optional[str] = None) -> None:
        """Adds a metric column (``representation``: its shown name, only with dict columns)."""
        self._metrics_override = True
        _add_column(self._metric_columns, metric, representation, "metric")

    def add_parameter_column(self, parameter: str, representation: Optional[str] = None) -> None:
        """Adds a parameter column (``representation``: its shown name, only with dict columns)."""
        _add_column(self._parameter_columns, parameter, representation, "parameter")

    def _progress_str(self, trials: list[Any], done: bool, *sys_info: Any, fmt: str = "psql",
                      delim: str = "\n") -> str:
        """The whole report: status lines, the current best trial, the trial table, the errors."""
        if self._sort_by_metric and (self._metric is None or self._mode is None):
            self._sort_by_metric = False
            warnings.warn("Both 'metric' and 'mode' must be set to be able to sort by metric. No sorting is performed.")
        if not self._metrics_override:
            assert isinstance(self._metric_columns, dict)
            self._metric_columns.update(self._infer_user_metrics(trials, self._infer_limit))
        messages = ["== Status ==", time_passed_str(self._start_time, time.time()), *[str(s) for s in sys_info]]
        max_progress = None if done else self._max_progress_rows
        max_error = None if done else self._max_error_rows
        best, metric = self._current_best_trial(trials)
        if best is not None and metric is not None:
            messages.append(best_trial_str(best, metric, self._parameter_columns))
        if self._verbosity >= 1:
            messages.append(trial_progress_str(
                trials, metric_columns=self._metric_columns, parameter_columns=self._parameter_columns,
                total_samples=self._total_samples,
                force_table=self._print_intermediate_tables or (self._verbosity >= 2 and done),
                max_rows=max_progress, max_column_length=self._max_column_length, metric=self._metric,
                mode=self._mode, sort_by_metric=self._sort_by_metric))
            messages.append(trial_errors_str(trials, max_rows=max_error))
        return delim.join(messages) + delim

    def _infer_user_metrics(self, trials: list[Any], limit: int = 4) -> dict[str, str]:
        """Up to `limit` numeric metrics the trials report, beyond the default and automatic ones."""
        if len(self._inferred_metrics) >= limit:
            return self._inferred_metrics
        self._inferred_metrics = {}
        for t in trials:
            for metric, value in (t.last_result or {}).items():
                if (metric not in self.DEFAULT_COLUMNS and metric not in AUTO_RESULT_KEYS
                        and type(value) in self.VALID_SUMMARY_TYPES):
                    self._inferred_metrics[metric] = metric
                if len(self._inferred_metrics) >= limit:
                    return self._inferred_metrics
        return self._inferred_metrics

    def _current_best_trial(self, trials: list[Any]) -> tuple[Optional[Any], Optional[str]]:
        if not trials:
            return None, None
        metric, mode = self._metric, self._mode
        if not metric and len(self._inferred_metrics) == 1:
            metric = next(iter(self._inferred_metrics))
        if not metric or not mode:
            return None, metric
        sign = 1.0 if mode == "max" else -1.0
        best, best_value = None, float("-inf")
        for t in trials:
            value = lookup(metric, t.last_result or {})
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
                continue
            if best is None or value * sign > best_value:
                best, best_value = t, value * sign
        return best, metric


class CLIReporter(TuneReporterBase):
    """Ray's command-line reporter: prints the "== Status ==" text (see ``TuneReporterBase`` for
    the arguments)."""

    def __init__(self, *, metric_columns: Optional[Columns] = None, parameter_columns: Optional[Columns] = None,
                 total_samples: Optional[int] = None, max_progress_rows: int = 20, max_error_rows: int = 20,
                 max_column_length: int = 20, max_report_frequency: int = 5, infer_limit: int = 3,
                 print_intermediate_tables: Optional[bool] = None, metric: Optional[str] = None,
                 mode: Optional[str] = None, sort_by_metric: bool = False) -> None:
        super().__init__(metric_columns=metric_columns, parameter_columns=parameter_columns,
                         total_samples=total_samples, max_progress_rows=max_progress_rows,
                         max_error_rows=max_error_rows, max_column_length=max_column_length,
                         max_report_frequency=max_report_frequency, infer_limit=infer_limit,
                         print_intermediate_tables=print_intermediate_tables, metric=metric, mode=mode,
                         sort_by_metric=sort_by_metric)

    def _print(self, msg: str) -> None:
        print(msg, flush=True)

    def report(self, trials: list[Trial], done: bool, *sys_info: Any) -> None:
        self._print(self._progress_str(trials, done, *sys_info))


class JupyterNotebookReporter(TuneReporterBase):
    """Ray's notebook reporter: in a Jupyter notebook, the "Tune Status" panel (current time, time
    running, memory; the scheduler's and the resources' lines; messages; the trial table) as HTML
    in the running cell, updated in place (``overwrite``: the cell's earlier output is cleared
    before the first report). Outside a notebook it warns, as Ray does, and prints
    ``CLIReporter``'s text instead (where Ray would print ``<IPython.core.display.HTML object>``).
    See ``TuneReporterBase`` for the other arguments. In a notebook, ``Tuner.fit`` and
    ``tune.run`` use one when no ``progress_reporter`` is given, as Ray does."""

    def __init__(self, *, overwrite: bool = True, metric_columns: Optional[Columns] = None,
                 parameter_columns: Optional[Columns] = None, total_samples: Optional[int] = None,
                 max_progress_rows: int = 20, max_error_rows: int = 20, max_column_length: int = 20,
                 max_report_frequency: int = 5, infer_limit: int = 3,
                 print_intermediate_tables: Optional[bool] = None, metric: Optional[str] = None,
                 mode: Optional[str] = None, sort_by_metric: bool = False) -> None:
        super().__init__(metric_columns=metric_columns, parameter_columns=parameter_columns,
                         total_samples=total_samples, max_progress_rows=max_progress_rows,
                         max_error_rows=max_error_rows, max_column_length=max_column_length,
                         max_report_frequency=max_report_frequency, infer_limit=infer_limit,
                         print_intermediate_tables=print_intermediate_tables, metric=metric, mode=mode,
                         sort_by_metric=sort_by_metric)
        if not isinstance(overwrite, bool):
            raise TypeError(f"`overwrite` must be a bool, got {type(overwrite).__name__}")
        self._overwrite = overwrite
        self._in_notebook = in_notebook()
        self._display = NotebookDisplay(overwrite)
        if not self._in_notebook:
            warnings.warn(
                "You are using the `JupyterNotebookReporter`, but not IPython/Jupyter-compatible environment was "
                "detected. swifttune prints the `CLIReporter`'s text instead; pass a `CLIReporter` as the "
                "`progress_reporter` argument to `tune.RunConfig()` to say so.")

    def report(self, trials: list[Trial], done: bool, *sys_info: Any) -> None:
        if self._in_notebook:
            self._display.show(self._progress_html(trials, done, *sys_info))
        else:
            print(self._progress_str(trials, done, *sys_info), flush=True)

    def _progress_html(self, trials: list[Trial], done: bool, *sys_info: Any) -> str:
        """The "Tune Status" panel as HTML (Ray's ``JupyterNotebookReporter._progress_html``): the
        whole trial table at the end, up to ``max_progress_rows`` rows while the experiment runs."""
        if not self._metrics_override:
            assert isinstance(self._metric_columns, dict)
            self._metric_columns.update(self._infer_user_metrics(trials, self._infer_limit))
        current_time, running_for = time_strings(self._start_time, time.time())
        header, rows, overflow = trial_table(
            trials, self._metric_columns, self._parameter_columns, max_rows=None if done else self._max_progress_rows,
            max_column_length=self._max_column_length, metric=self._metric, mode=self._mode,
            sort_by_metric=self._sort_by_metric)
        messages = [html.escape(overflow)] if overflow else []
        before, error_header, error_rows, after = trial_errors(trials, None if done else self._max_error_rows)
        if error_rows:
            messages.append("<br>".join([*map(html.escape, before), html_table(error_header, error_rows),
                                         *map(html.escape, after)]))
        return status_panel(current_time, running_for, memory_usage(), [str(s) for s in sys_info],
                            html_table(header, rows), messages)


def _add_column(columns: Any, name: str, representation: Optional[str], kind: str) -> None:
    """Ray's ``add_metric_column`` / ``add_parameter_column`` on a list or dict of columns."""
    if name in columns:
        raise ValueError("Column {} already exists.".format(name))
    if isinstance(columns, MutableMapping):
        columns[name] = representation or name
    else:
        if representation is not None and representation != name:
            raise ValueError(f"`representation` cannot differ from `{kind}` if this reporter was initialized "
                             "with a list of metric columns.")
        columns.append(name)
