"""Ray's ``HyperBandScheduler`` (synchronous HyperBand): Ray's arguments and checks; the Swift
engine's ``HyperBandScheduler`` decides (it pauses trials at each bracket's milestone, halves the
bracket once every trial got there, resumes the better trials from their checkpoints and stops the
others)."""
from __future__ import annotations

import math
from typing import Any, Optional

from .trial_scheduler import TrialScheduler, check_mode, check_names, check_numbers

__all__ = ["HyperBandScheduler"]


class HyperBandScheduler(TrialScheduler):
    """Synchronous HyperBand, as Ray's ``HyperBandScheduler``: trials fill brackets of successive
    halving (Ray's bands of ``round(log(max_t) / log(reduction_factor)) + 1`` brackets); a trial
    that reaches its bracket's milestone (in ``time_attr`` units) is paused until the whole bracket
    has, then the best ``1 / reduction_factor`` of the bracket resume from their checkpoints and the
    rest are stopped. Trials run at most ``max_t`` (with ``stop_last_trials``)."""

    _supports_buffered_results = False

    def __init__(self, time_attr: str = "training_iteration", metric: Optional[str] = None, mode: Optional[str] = None,
                 max_t: int = 81, reduction_factor: float = 3, stop_last_trials: bool = True) -> None:
        # Ray's checks and messages, in Ray's order, each with the argument and its value; then the
        # values Ray accepts here but fails on later (an endless loop for 0 < max_t < 1, an
        # OverflowError or an AssertionError for reduction_factor <= 1), refused now.
        name = type(self).__name__
        check_names(name, time_attr, metric)
        check_numbers(name, max_t=max_t, reduction_factor=reduction_factor)
        if not max_t > 0:
            raise ValueError(f"Max (time_attr) not valid! `max_t` must be positive, got {max_t!r}")
        check_mode(mode)
        if not max_t >= 1:
            raise ValueError(f"{name}: `max_t` must be at least 1 (its first bracket would be empty), got {max_t!r}")
        if not (reduction_factor > 1 and math.isfinite(reduction_factor)):
            raise ValueError(f"{name}: `reduction_factor` must be a finite number > 1, got {reduction_factor!r}")
        self.time_attr, self.metric, self.mode = time_attr, metric, mode
        self.max_t, self.reduction_factor, self.stop_last_trials = max_t, reduction_factor, stop_last_trials

    def _spec(self) -> dict[str, Any]:
        return {"type": "hyperband", "time_attr": self.time_attr, "metric": self.metric, "mode": self.mode,
                "max_t": self.max_t, "reduction_factor": self.reduction_factor,
                "stop_last_trials": self.stop_last_trials}

    def _describe(self) -> str:
        return "HyperBand"
