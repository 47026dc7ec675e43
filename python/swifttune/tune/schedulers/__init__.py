"""Trial schedulers with Ray Tune's names, parameters and defaults; the decisions are made by the
Swift engine."""
from __future__ import annotations

from typing import Any, Optional

from ..._space import require_number, require_int

__all__ = ["TrialScheduler", "FIFOScheduler", "AsyncHyperBandScheduler", "ASHAScheduler", "MedianStoppingRule"]


class TrialScheduler:
    """Base class of swifttune's schedulers (they only describe themselves to the engine)."""

    CONTINUE = "CONTINUE"
    PAUSE = "PAUSE"
    STOP = "STOP"

    def _spec(self) -> dict[str, Any]:
        raise NotImplementedError

    def _describe(self) -> str:
        return type(self).__name__


def _check_mode(mode: Optional[str]) -> None:
    if mode is not None and mode not in ("min", "max"):
        raise ValueError(f"`mode` must be 'min' or 'max'! Got {mode!r}")


def _check_names(scheduler: str, time_attr: Any, metric: Any) -> None:
    if not isinstance(time_attr, str):
        raise TypeError(f"{scheduler}: `time_attr` must be a string (the name of a reported result), got {time_attr!r}")
    if metric is not None and not isinstance(metric, str):
        raise TypeError(f"{scheduler}: `metric` must be a string (the name of a reported result), got {metric!r}")


def _check_numbers(scheduler: str, **values: Any) -> None:
    """TypeErrors naming any argument that is not a number (before Ray's range checks)."""
    for name, value in values.items():
        require_number(scheduler, name, value)


class FIFOScheduler(TrialScheduler):
    """Runs every trial to its end."""

    def _spec(self) -> dict[str, Any]:
        return {"type": "fifo"}

    def _describe(self) -> str:
        return "FIFO"


class AsyncHyperBandScheduler(TrialScheduler):
    """Asynchronous successive halving (ASHA), as Ray's ``AsyncHyperBandScheduler``."""

    def __init__(self, time_attr: str = "training_iteration", metric: Optional[str] = None, mode: Optional[str] = None,
                 max_t: int = 100, grace_period: int = 1, reduction_factor: float = 4, brackets: int = 1,
                 stop_last_trials: bool = True) -> None:
        # Ray's checks and messages, in Ray's order, each with the argument and its value.
        name = type(self).__name__
        _check_names(name, time_attr, metric)
        _check_numbers(name, max_t=max_t, grace_period=grace_period, reduction_factor=reduction_factor,
                       brackets=brackets)
        if not max_t > 0:
            raise ValueError(f"Max (time_attr) not valid! `max_t` must be positive, got {max_t!r}")
        if not max_t >= grace_period:
            raise ValueError(f"grace_period must be <= max_t! Got grace_period={grace_period!r}, max_t={max_t!r}")
        if not grace_period > 0:
            raise ValueError(f"grace_period must be positive! Got {grace_period!r}")
        if not reduction_factor > 1:
            raise ValueError(f"Reduction Factor not valid! `reduction_factor` must be > 1, got {reduction_factor!r}")
        if not brackets > 0:
            raise ValueError(f"brackets must be positive! Got {brackets!r}")
        _check_mode(mode)
        self.time_attr, self.metric, self.mode = time_attr, metric, mode
        self.max_t, self.grace_period, self.reduction_factor = max_t, grace_period, reduction_factor
        self.brackets, self.stop_last_trials = brackets, stop_last_trials

    def _spec(self) -> dict[str, Any]:
        return {"type": "asha", "time_attr": self.time_attr, "metric": self.metric, "mode": self.mode,
                "max_t": self.max_t, "grace_period": self.grace_period, "reduction_factor": self.reduction_factor,
                "brackets": self.brackets, "stop_last_trials": self.stop_last_trials}

    def _describe(self) -> str:
        return "AsyncHyperBand"


ASHAScheduler = AsyncHyperBandScheduler


class MedianStoppingRule(TrialScheduler):
    """The median stopping rule, as Ray's ``MedianStoppingRule``."""

    def __init__(self, time_attr: str = "time_total_s", metric: Optional[str] = None, mode: Optional[str] = None,
                 grace_period: float = 60.0, min_samples_required: int = 3, min_time_slice: int = 0,
                 hard_stop: bool = True) -> None:
        name = type(self).__name__
        _check_names(name, time_attr, metric)
        _check_numbers(name, grace_period=grace_period, min_time_slice=min_time_slice)
        if not grace_period >= 0:
            raise ValueError(f"{name}: `grace_period` must be >= 0, got {grace_period!r}")
        require_int(name, "min_samples_required", min_samples_required, 0)
        if not min_time_slice >= 0:
            raise ValueError(f"{name}: `min_time_slice` must be >= 0, got {min_time_slice!r}")
        _check_mode(mode)
        self.time_attr, self.metric, self.mode = time_attr, metric, mode
        self.grace_period, self.min_samples_required = grace_period, min_samples_required
        self.min_time_slice, self.hard_stop = min_time_slice, hard_stop

    def _spec(self) -> dict[str, Any]:
        return {"type": "median_stopping_rule", "time_attr": self.time_attr, "metric": self.metric, "mode": self.mode,
                "grace_period": self.grace_period, "min_samples_required": self.min_samples_required,
                "min_time_slice": self.min_time_slice, "hard_stop": self.hard_stop}

    def _describe(self) -> str:
        return "MedianStopping"
