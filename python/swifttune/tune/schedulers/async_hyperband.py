"""Ray's ``AsyncHyperBandScheduler`` (ASHA) and its alias ``ASHAScheduler``: Ray's arguments and checks;
the Swift engine's ``ASHAScheduler`` decides."""
from __future__ import annotations

from typing import Any, Optional

from .trial_scheduler import TrialScheduler, check_mode, check_names, check_numbers

__all__ = ["AsyncHyperBandScheduler", "ASHAScheduler"]


class AsyncHyperBandScheduler(TrialScheduler):
    """Asynchronous successive halving (ASHA), as Ray's ``AsyncHyperBandScheduler``."""

    def __init__(self, time_attr: str = "training_iteration", metric: Optional[str] = None, mode: Optional[str] = None,
                 max_t: int = 100, grace_period: int = 1, reduction_factor: float = 4, brackets: int = 1,
                 stop_last_trials: bool = True) -> None:
        # Ray's checks and messages, in Ray's order, each with the argument and its value.
        name = type(self).__name__
        check_names(name, time_attr, metric)
        check_numbers(name, max_t=max_t, grace_period=grace_period, reduction_factor=reduction_factor,
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
        check_mode(mode)
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
