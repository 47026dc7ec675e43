"""What the plots read: an experiment's trials as one table, whatever the experiment came as
(a ``ResultGrid``, an ``ExperimentAnalysis``, an experiment folder, or a hyperopt ``Trials``)."""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

__all__ = ["TrialRecord", "ExperimentData", "experiment_data"]


@dataclass(frozen=True)
class TrialRecord:
    """One trial: its number (creation order), id, status, flat parameters, its objective value
    (the metric's last finite value, Ray's "last" scope; None without one) and its intermediate
    values ((step, value) for each result that has the metric)."""

    number: int
    trial_id: str
    status: str
    params: dict[str, Any]
    value: Optional[float]
    intermediate: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class ExperimentData:
    """The trials, the metric and its mode ("min" or "max"), and where they came from."""

    trials: list[TrialRecord]
    metric: str
    mode: str
    source: str

    @property
    def completed(self) -> list[TrialRecord]:
        """The trials with an objective value, in creation order."""
        return [t for t in self.trials if t.value is not None]

    def best(self) -> Optional[TrialRecord]:
        """The trial with the best objective value (the first of equals), or None."""
        done = self.completed
        if not done:
            return None
        pick = min if self.mode == "min" else max
        return pick(done, key=lambda t: t.value)  # type: ignore[arg-type, return-value]

    def param_names(self) -> list[str]:
        """The parameters that vary between the completed trials, sorted (constants tell nothing)."""
        seen: dict[str, set[str]] = {}
        for t in self.completed:
            for k, v in t.params.items():
                seen.setdefault(k, set()).add(repr(v))
        return sorted(k for k, values in seen.items() if len(values) > 1)


def _finite(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _flat(config: Any) -> dict[str, Any]:
    from ..tune._internal.flatten import flatten_dict

    return flatten_dict(config) if isinstance(config, dict) else {}


def _record(number: int, trial_id: str, status: str, config: Any, history: list[dict[str, Any]],
            metric: str) -> TrialRecord:
    intermediate = []
    last: Optional[float] = None
    for i, row in enumerate(history):
        v = _finite(row.get(metric))
        if v is not None:
            step = _finite(row.get("training_iteration"))
            intermediate.append((step if step is not None else float(i + 1), v))
            last = v
    return TrialRecord(number, trial_id, status, _flat(config), last, intermediate)


def _check(metric: Optional[str], mode: Optional[str], where: str) -> tuple[str, str]:
    if not metric:
        raise ValueError(f"No metric to plot: pass `metric=` (the {where} names none).")
    if mode not in ("min", "max"):
        raise ValueError(f"`mode` must be 'min' or 'max' (the {where} names {mode!r}); pass `mode=`.")
    return metric, mode


def _from_folder(path: Path, metric: Optional[str], mode: Optional[str]) -> ExperimentData:
    from ..tune.analysis import ExperimentAnalysis
    from ..tune._internal.state import STATE_FILE

    state_file = path / STATE_FILE
    if not state_file.is_file():
        raise ValueError(f"{path} is not an experiment folder: it has no {STATE_FILE}")
    saved = json.loads(state_file.read_text(encoding="utf-8")).get("tune_config", {})
    metric, mode = _check(metric or saved.get("metric"), mode or saved.get("mode"), "experiment")
    analysis = ExperimentAnalysis(str(path))
    trials = [_record(i, t.trial_id, t.status, t.config, list(t.history), metric) for i, t in enumerate(analysis.trials)]
    return ExperimentData(trials, metric, mode, str(path))


def experiment_data(source: Any, metric: Optional[str] = None, mode: Optional[str] = None) -> ExperimentData:
    """The trials of `source`: a ``ResultGrid`` (its metric and mode unless given), an
    ``ExperimentAnalysis`` (likewise), an experiment folder (a path; the metric and mode its
    saved state names unless given), a hyperopt ``Trials`` (the loss, minimised), or an
    ``ExperimentData`` already."""
    from ..tune.result_grid import ResultGrid

    if isinstance(source, ExperimentData):
        return source
    if isinstance(source, ResultGrid):
        metric, mode = _check(metric or source._metric, mode or source._mode, "ResultGrid")
        trials = [_record(i, r.trial_id, r.status, r.config, r.history, metric) for i, r in enumerate(source)]
        return ExperimentData(trials, metric, mode, source.experiment_path)
    if isinstance(source, (str, os.PathLike)):
        return _from_folder(Path(source), metric, mode)
    if hasattr(source, "trials") and hasattr(source, "default_metric"):  # ExperimentAnalysis
        metric, mode = _check(metric or source.default_metric, mode or source.default_mode, "ExperimentAnalysis")
        trials = [_record(i, t.trial_id, t.status, t.config, list(t.history), metric)
                  for i, t in enumerate(source.trials)]
        return ExperimentData(trials, metric, mode, source.experiment_path)
    if hasattr(source, "trials") and hasattr(source, "losses"):  # hyperopt's Trials
        trials = []
        for i, doc in enumerate(source.trials):
            params = {k: v[0] for k, v in doc["misc"]["vals"].items() if v}
            loss = _finite(doc["result"].get("loss")) if doc["result"].get("status") == "ok" else None
            trials.append(TrialRecord(i, str(doc["tid"]), str(doc["result"].get("status")), params, loss,
                                      [(float(i + 1), loss)] if loss is not None else []))
        return ExperimentData(trials, metric or "loss", mode or "min", "hyperopt Trials")
    raise TypeError(f"Cannot plot a {type(source).__name__}: pass a ResultGrid, an ExperimentAnalysis, an experiment "
                    "folder or a hyperopt Trials.")
