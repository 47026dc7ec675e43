"""``TrialScheduler``, the base of the schedulers (each only describes itself to the Swift engine,
which decides), ``FIFOScheduler``, and the argument checks the schedulers share."""
from __future__ import annotations

from typing import Any, Optional

from ..._space import require_number

__all__ = ["TrialScheduler", "FIFOScheduler", "check_mode", "check_names", "check_numbers", "check_not_user_code"]

_DECISION_METHODS = ("set_search_properties", "on_trial_add", "on_trial_error", "on_trial_result", "on_trial_complete",
                     "on_trial_remove", "choose_trial_to_run")


def check_not_user_code(scheduler: "TrialScheduler") -> None:
    """Refuses a scheduler with decision code of the user's (Ray's ``TrialScheduler`` methods
    written outside swifttune, or no engine form at all): the engine would not call it, and
    running the built-in rule instead would quietly decide otherwise."""
    for name in _DECISION_METHODS:
        for klass in type(scheduler).__mro__:
            if name in vars(klass):
                if not klass.__module__.startswith("swifttune."):
                    raise NotImplementedError(
                        f"{type(scheduler).__name__}.{name}: a TrialScheduler with decision code of your own is not "
                        "supported by swifttune yet (the engine decides scheduling in Swift); use FIFOScheduler, "
                        "ASHAScheduler / AsyncHyperBandScheduler or MedianStoppingRule, or stop trials from a Stopper "
                        "subclass of your own (which the engine calls back).")
                break


class TrialScheduler:
    """Base class of swifttune's schedulers (they only describe themselves to the engine)."""

    CONTINUE = "CONTINUE"
    PAUSE = "PAUSE"
    STOP = "STOP"

    def _spec(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"{type(self).__name__}: a TrialScheduler of your own is not supported by swifttune yet; use FIFOScheduler, "
            "ASHAScheduler / AsyncHyperBandScheduler or MedianStoppingRule.")

    def _describe(self) -> str:
        return type(self).__name__


def check_mode(mode: Optional[str]) -> None:
    if mode is not None and mode not in ("min", "max"):
        raise ValueError(f"`mode` must be 'min' or 'max'! Got {mode!r}")


def check_names(scheduler: str, time_attr: Any, metric: Any) -> None:
    if not isinstance(time_attr, str):
        raise TypeError(f"{scheduler}: `time_attr` must be a string (the name of a reported result), got {time_attr!r}")
    if metric is not None and not isinstance(metric, str):
        raise TypeError(f"{scheduler}: `metric` must be a string (the name of a reported result), got {metric!r}")


def check_numbers(scheduler: str, **values: Any) -> None:
    """TypeErrors naming any argument that is not a number (before Ray's range checks)."""
    for name, value in values.items():
        require_number(scheduler, name, value)


class FIFOScheduler(TrialScheduler):
    """Runs every trial to its end."""

    def _spec(self) -> dict[str, Any]:
        return {"type": "fifo"}

    def _describe(self) -> str:
        return "FIFO"
