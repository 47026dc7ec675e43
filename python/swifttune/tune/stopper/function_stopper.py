"""Ray Tune's ``FunctionStopper`` (``ray.tune.stopper.function_stopper``)."""
from __future__ import annotations

from typing import Any, Callable

from .stopper import Stopper

__all__ = ["FunctionStopper"]


class FunctionStopper(Stopper):
    """Provide a custom function to check if trial should be stopped: the engine calls
    ``function(trial_id, result)`` on the driver after each result; True stops the trial."""

    def __init__(self, function: Callable[[str, dict[str, Any]], bool]) -> None:
        self._fn = function

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        return bool(self._fn(trial_id, result))

    def stop_all(self) -> bool:
        return False

    @classmethod
    def is_valid_function(cls, fn: Any) -> bool:
        """Whether `fn` is a plain callable (not a ``Stopper``), as Ray decides it; a callable with
        a ``stop_all`` that is not a ``Stopper`` is refused with Ray's message."""
        is_function = callable(fn) and not issubclass(type(fn), Stopper)
        if is_function and hasattr(fn, "stop_all"):
            raise ValueError("Stop object must be ray.tune.Stopper subclass to be detected correctly.")
        return is_function
