"""Ray's ``MedianStoppingRule``: Ray's arguments and checks; the Swift engine's ``MedianStoppingRule``
decides."""
from __future__ import annotations

from typing import Any, Optional

from ..._space import require_int
from .trial_scheduler import TrialScheduler, check_mode, check_names, check_numbers

__all__ = ["MedianStoppingRule"]


class MedianStoppingRule(TrialScheduler):
    """The median stopping rule, as Ray's ``MedianStoppingRule``."""

    def __init__(self, time_attr: str = "time_total_s", metric: Optional[str] = None, mode: Optional[str] = None,
                 grace_period: float = 60.0, min_samples_required: int = 3, min_time_slice: int = 0,
                 hard_stop: bool = True) -> None:
        name = type(self).__name__
        check_names(name, time_attr, metric)
        check_numbers(name, grace_period=grace_period, min_time_slice=min_time_slice)
        if not grace_period >= 0:
            raise ValueError(f"{name}: `grace_period` must be >= 0, got {grace_period!r}")
        require_int(name, "min_samples_required", min_samples_required, 0)
        if not min_time_slice >= 0:
            raise ValueError(f"{name}: `min_time_slice` must be >= 0, got {min_time_slice!r}")
        check_mode(mode)
        self.time_attr, self.metric, self.mode = time_attr, metric, mode
        self.grace_period, self.min_samples_required = grace_period, min_samples_required
        self.min_time_slice, self.hard_stop = min_time_slice, hard_stop

    def _spec(self) -> dict[str, Any]:
        return {"type": "median_stopping_rule", "time_attr": self.time_attr, "metric": self.metric, "mode": self.mode,
                "grace_period": self.grace_period, "min_samples_required": self.min_samples_required,
                "min_time_slice": self.min_time_slice, "hard_stop": self.hard_stop}

    def _describe(self) -> str:
        return "MedianStopping"
