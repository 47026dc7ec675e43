"""Ray Tune's ``TrialPlateauStopper`` (``ray.tune.stopper.trial_plateau``)."""
from __future__ import annotations

from typing import Any, Optional

from .stopper import Stopper, _builtin_spec, _engine_only

__all__ = ["TrialPlateauStopper"]


class TrialPlateauStopper(Stopper):
    """Early stop single trials when they reached a plateau: the (population) standard deviation
    of the trial's last ``num_results`` values of ``metric`` is below ``std``, after
    ``grace_period`` results and, with a ``metric_threshold``, once the latest value is past it
    (below it for ``mode="min"``, above for ``"max"``). Evaluated by the engine.

    Args:
        metric: Metric to check for convergence.
        std: Maximum metric standard deviation to decide if a trial plateaued. Defaults to 0.01.
        num_results: Number of results to consider for stdev calculation.
        grace_period: Minimum number of timesteps before a trial can be early stopped.
        metric_threshold: Minimum or maximum value the result has to exceed before it can be
            stopped early.
        mode: If a ``metric_threshold`` argument has been passed, this must be one of [min, max].
    """

    def __init__(self, metric: str, std: float = 0.01, num_results: int = 4, grace_period: int = 4,
                 metric_threshold: Optional[float] = None, mode: Optional[str] = None) -> None:
        self._metric = metric
        self._mode = mode
        self._std = std
        self._num_results = num_results
        self._grace_period = grace_period
        self._metric_threshold = metric_threshold
        if self._metric_threshold:
            if mode not in ["min", "max"]:
                raise ValueError(f"When specifying a `metric_threshold`, the `mode` argument has to be one of "
                                 f"[min, max]. Got: {mode}")
        if not isinstance(metric, str):
            raise TypeError(f"`metric` must be a string (the name of a reported result), got {metric!r}")
        if mode is not None and mode not in ("min", "max"):
            raise ValueError(f"`mode` must be 'min' or 'max'. Got {mode!r}")

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        raise _engine_only("TrialPlateauStopper")

    def stop_all(self) -> bool:
        return False

    def _spec(self, callbacks: list[Stopper]) -> dict[str, Any]:
        spec = {"type": "trial_plateau", "metric": self._metric, "std": float(self._std),
                "num_results": int(self._num_results), "grace_period": int(self._grace_period),
                "metric_threshold": None if self._metric_threshold is None else float(self._metric_threshold),
                "mode": self._mode}
        return _builtin_spec(self, TrialPlateauStopper, spec, callbacks)
