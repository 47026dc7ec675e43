"""Ray Tune's ``TimeoutStopper`` (``ray.tune.stopper.timeout``)."""
from __future__ import annotations

import datetime
from typing import Any, Union

from .stopper import Stopper, _builtin_spec, _engine_only

__all__ = ["TimeoutStopper"]


class TimeoutStopper(Stopper):
    """Stops all trials after a certain timeout (counted by the engine from its first check; the
    time between a save and ``Tuner.restore`` does not count).

    Args:
        timeout: Either a number specifying the timeout in seconds, or a `datetime.timedelta` object.
    """

    def __init__(self, timeout: Union[int, float, datetime.timedelta]) -> None:
        if isinstance(timeout, datetime.timedelta):
            self._timeout_seconds: float = timeout.total_seconds()
        elif isinstance(timeout, (int, float)):
            self._timeout_seconds = timeout
        else:
            raise ValueError("`timeout` parameter has to be either a number or a `datetime.timedelta` object. "
                             "Found: {}".format(type(timeout)))

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        return False

    def stop_all(self) -> bool:
        raise _engine_only("TimeoutStopper")

    def _spec(self, callbacks: list[Stopper]) -> dict[str, Any]:
        return _builtin_spec(self, TimeoutStopper, {"type": "timeout", "timeout": float(self._timeout_seconds)}, callbacks)
