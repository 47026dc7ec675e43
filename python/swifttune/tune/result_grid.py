"""Results of a tuning run: Ray Tune's ``ResultGrid`` and ``Result``."""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

from ._internal.flatten import flatten_dict
from ._internal.notebook import STYLE, html_table
from .error import TuneError
from .._optional import require

__all__ = ["Result", "ResultGrid", "TuneError"]


@dataclass
class Result:
    """One trial's outcome (Ray's ``ray.tune.Result``)."""

    trial_id: str
    config: dict[str, Any]
    history: list[dict[str, Any]]
    status: str
    error_text: Optional[str]
    path: str
    checkpoint: Any = None
    best_checkpoints: list[Any] = field(default_factory=list)

    @property
    def metrics(self) -> dict[str, Any]:
        """The last reported result (with ``training_iteration``, ``time_total_s``, ``config``...)."""
        return dict(self.history[-1]) if self.history else {}

    @property
    def error(self) -> Optional[BaseException]:
        """The failed trial's original exception (from its ``error.pkl``, as Ray keeps it), or a
        ``TuneError`` with the traceback text when it could not be kept; None if the trial did not fail."""
        if not self.error_text:
            return None
        cached = self.__dict__.get("_error")
        if cached is None:
            cached = self.__dict__["_error"] = _load_error(Path(self.path), self.error_text)
        return cached

    def get_best_checkpoint(self, metric: str, mode: str) -> Any:
        """The trial's best kept checkpoint by `metric` (its result's value; ``mode`` "max" or
        "min"), or None when no kept checkpoint's result has the metric (Ray's ``Result.get_best_checkpoint``)."""
        if not self.best_checkpoints:
            raise RuntimeError("No checkpoint exists in the trial directory!")
        if mode not in ("max", "min"):
            raise ValueError(f'Unsupported mode: {mode}. Please choose from ["min", "max"]!')
        scored = [(c, r[metric]) for c, r in self.best_checkpoints
                  if isinstance(r, dict) and isinstance(r.get(metric), (int, float)) and not isinstance(r.get(metric), bool)]
        if not scored:
            raise RuntimeError(f"Invalid metric name {metric}! You may choose from the following metrics: "
                               f"{self.metrics.keys()}.")
        pick = max if mode == "max" else min
        return pick(scored, key=lambda cr: cr[1])[0]

    @property
    def metrics_dataframe(self) -> Any:
        pd = _pandas()
        return pd.DataFrame([{k: v for k, v in r.items() if k != "config"} for r in self.history])

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.metrics.items() if k not in ("config",)}
        return f"Result(metrics={shown}, path={self.path!r}, filesystem='local', checkpoint=None)"

    def _repr_html_(self) -> str:
        """The result as a notebook shows it: the trial, its status, folder, checkpoint and error,
        its configuration and its last result, as HTML tables."""
        facts: list[list[Any]] = [["trial id", self.trial_id], ["status", self.status], ["path", self.path],
                 ["checkpoint", getattr(self.checkpoint, "path", self.checkpoint)]]
        if self.error_text:
            facts.append(["error", self.error_text.strip().splitlines()[-1] if self.error_text.strip() else ""])
        metrics = [[k, _shown(v)] for k, v in flatten_dict(
            {k: v for k, v in self.metrics.items() if k != "config"}).items()]
        config = [[k, _shown(v)] for k, v in flatten_dict(self.config).items()]
        return (f'<div class="swifttune-result"><h3>Result</h3>{html_table(None, facts)}'
                f'<h3>Configuration</h3>{html_table(["parameter", "value"], config)}'
                f'<h3>Last result</h3>{html_table(["metric", "value"], metrics)}</div>{STYLE}')


def _shown(value: Any) -> Any:
    """A value as a table cell: numbers and text as they are, anything else as its repr, cut to 80 characters."""
    if value is None or isinstance(value, (int, float, str)):
        return value if not isinstance(value, str) or len(value) <= 80 else value[:77] + "..."
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _load_error(trial_dir: Path, text: str) -> BaseException:
    path = trial_dir / "error.pkl"
    if path.is_file():
        try:
            import pickle

            with open(path, "rb") as f:
                error = pickle.load(f)
            if isinstance(error, BaseException):
                return error
        except Exception:  # noqa: BLE001 - an exception that does not unpickle here
            pass
    return TuneError(text)


def _pandas() -> Any:
    return require("pandas", "get_dataframe() needs pandas: pip install 'swifttune[pandas]' (or pandas)")


def _score(r: Result, metric: str, mode: str, scope: str) -> Optional[float]:
    values = [h[metric] for h in r.history if metric in h and isinstance(h[metric], (int, float))]
    if not values:
        return None
    if scope == "last":
        return float(values[-1])
    if scope == "avg":
        return sum(values) / len(values)
    if scope in ("last-5-avg", "last-10-avg"):
        n = 5 if scope == "last-5-avg" else 10
        tail = values[-n:]
        return sum(tail) / len(tail)
    return float(min(values) if mode == "min" else max(values))


class ResultGrid:
    """All trials of a run (Ray's ``ResultGrid``): index it, iterate it, ask for the best."""

    def __init__(self, results: list[Result], experiment: Any, metric: Optional[str], mode: Optional[str],
                 path: Path) -> None:
        self._results = results
        self._experiment = experiment
        self._metric = metric
        self._mode = mode
        self.experiment_path = str(path)

    def __len__(self) -> int:
        return len(self._results)

    def __getitem__(self, i: int) -> Result:
        return self._results[i]

    def __iter__(self) -> Iterator[Result]:
        return iter(self._results)

    @property
    def errors(self) -> list[BaseException]:
        return [r.error for r in self._results if r.error is not None]

    @property
    def num_errors(self) -> int:
        return sum(1 for r in self._results if r.status == "ERROR")

    @property
    def num_terminated(self) -> int:
        return sum(1 for r in self._results if r.status == "TERMINATED")

    def get_best_result(self, metric: Optional[str] = None, mode: Optional[str] = None, scope: str = "last",
                        filter_nan_and_inf: bool = True) -> Result:
        """The best trial's result by Ray's rules (``scope``: last, avg, last-5-avg, last-10-avg, all)."""
        if len(self._results) == 1:
            return self._results[0]
        metric = metric or self._metric
        mode = mode or self._mode
        if not metric:
            raise ValueError(
                "No metric is provided. Either pass in a `metric` arg to `get_best_result` or specify a metric "
                "in the `TuneConfig` of your `Tuner`."
            )
        if mode is not None and mode not in ("min", "max"):
            raise ValueError("If set, `mode` has to be one of [min, max]")
        if mode not in ("min", "max"):
            raise ValueError(
                "No mode is provided. Either pass in a `mode` arg to `get_best_result` or specify a mode in the "
                "`TuneConfig` of your `Tuner`."
            )
        if scope not in ("all", "last", "avg", "last-5-avg", "last-10-avg"):
            raise ValueError(f'scope must be one of ["all", "last", "avg", "last-5-avg", "last-10-avg"], got {scope!r}')
        best: Optional[Result] = None
        best_score: Optional[float] = None
        for r in self._results:
            s = _score(r, metric, mode, scope)
            if s is None or (filter_nan_and_inf and not math.isfinite(s)):
                continue
            if best_score is None or (mode == "max" and s > best_score) or (mode == "min" and s < best_score):
                best, best_score = r, s
        if best is None:
            raise RuntimeError(
                "No best trial found for the given metric: {}. This means that no trial has reported this metric, "
                "or all values reported for this metric are NaN. To not ignore NaN values, you can set the "
                "`filter_nan_and_inf` arg to False.".format(metric)
            )
        return best

    def get_dataframe(self, filter_metric: Optional[str] = None, filter_mode: Optional[str] = None) -> Any:
        """One row per trial: its last result with ``config/...`` columns (pandas)."""
        pd = _pandas()
        rows = []
        for r in self._results:
            if filter_metric and filter_mode:
                values = [h for h in r.history if filter_metric in h]
                if not values:
                    continue
                pick = (min if filter_mode == "min" else max)(values, key=lambda h: h[filter_metric])
            else:
                pick = r.metrics
            row = {k: v for k, v in pick.items() if k != "config"}
            row.update({f"config/{k}": v for k, v in flatten_dict(r.config).items()})
            row["logdir"] = r.path
            row["trial_id"] = r.trial_id
            rows.append(row)
        return pd.DataFrame(rows)

    HTML_ROWS = 100
    """The trials a notebook shows of a grid (``get_dataframe()`` has them all)."""

    def _repr_html_(self) -> str:
        """The grid as a notebook shows it: a line of counts and one row per trial (its id, status,
        configuration, the grid's metric, iterations and time, and its error if it failed), the best
        trial by the grid's metric and mode named when there is one; the first ``HTML_ROWS`` trials."""
        counts: dict[str, int] = {}
        for r in self._results:
            counts[r.status] = counts.get(r.status, 0) + 1
        keys: list[str] = []
        for r in self._results[:self.HTML_ROWS]:
            keys += [k for k in flatten_dict(r.config) if k not in keys]
        metric = self._metric
        metrics = ([metric] if metric else []) + ["training_iteration", "time_total_s"]
        failed = any(r.error_text for r in self._results)
        header = ["trial id", "status", *keys, *metrics] + (["error"] if failed else [])
        rows = []
        for r in self._results[:self.HTML_ROWS]:
            flat, last = flatten_dict(r.config), r.metrics
            row = [r.trial_id, r.status, *[_shown(flat.get(k)) for k in keys], *[_shown(last.get(m)) for m in metrics]]
            if failed:
                row.append(r.error_text.strip().splitlines()[-1] if r.error_text and r.error_text.strip() else "")
            rows.append(row)
        summary = f"{len(self)} trials" + (f" ({', '.join(f'{n} {s}' for s, n in sorted(counts.items()))})"
                                           if counts else "")
        lines = [f"<h3>ResultGrid</h3><p>{html.escape(summary)}, in {html.escape(self.experiment_path)}</p>"]
        if metric and self._mode in ("min", "max"):
            try:
                best = self.get_best_result()
                lines.append(f"<p>Best trial by {html.escape(metric)} ({self._mode}): {html.escape(best.trial_id)}, "
                             f"{html.escape(metric)}={html.escape(str(best.metrics.get(metric)))}</p>")
            except (RuntimeError, ValueError):
                pass
        lines.append(html_table(header, rows))
        if len(self) > self.HTML_ROWS:
            lines.append(f"<p>... {len(self) - self.HTML_ROWS} more trials not shown (get_dataframe() has them "
                         "all)</p>")
        return f'<div class="swifttune-result">{"".join(lines)}</div>{STYLE}'

    def __repr__(self) -> str:
        return f"ResultGrid<[{', '.join(repr(r) for r in self._results[:3])}{', ...' if len(self) > 3 else ''}]>"

