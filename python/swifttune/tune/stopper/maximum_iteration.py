"""Ray Tune's ``MaximumIterationStopper`` (``ray.tune.stopper.maximum_iteration``)."""
from __future__ import annotations

from typing import Any

from .stopper import Stopper, _builtin_spec, _engine_only

__all__ = ["MaximumIterationStopper"]


class MaximumIterationStopper(Stopper):
    """Stop trials after reaching a maximum number of iterations (results the stopper saw; the
    engine counts them, and keeps counting across ``Tuner.restore``).

    Args:
        max_iter: Number of iterations before stopping a trial.
    """

    def __init__(self, max_iter: int) -> None:
        self._max_iter = max_iter

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        raise _engine_only("MaximumIterationStopper")

    def stop_all(self) -> bool:
        return False

    def _spec(self, callbacks: list[Stopper]) -> dict[str, Any]:
        return _builtin_spec(self, MaximumIterationStopper, {"type": "maximum_iteration", "max_iter": self._max_iter},
                             callbacks)
