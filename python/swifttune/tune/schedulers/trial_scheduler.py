"""``TrialScheduler``, the base of the schedulers (swifttune's describe themselves to the Swift
engine, which decides; a user's own is called back by it), ``FIFOScheduler``, and the argument
checks the schedulers share."""
from __future__ import annotations

from typing import Any, Optional

from ..._space import require_number

__all__ = ["TrialScheduler", "FIFOScheduler", "check_mode", "check_names", "check_numbers", "is_user_scheduler"]

_DECISION_METHODS = ("on_trial_add", "on_trial_error", "on_trial_result", "on_trial_complete", "on_trial_remove",
                     "choose_trial_to_run")
_ENGINE_SCHEDULERS = ("AsyncHyperBandScheduler", "HyperBandScheduler", "MedianStoppingRule", "PopulationBasedTraining",
                      "PopulationBasedTrainingReplay")


def is_user_scheduler(scheduler: "TrialScheduler") -> bool:
    """Whether `scheduler` has decision code of the user's (one of Ray's ``TrialScheduler`` hooks
    written outside swifttune): the engine then calls it back (``schedule_bridge``); swifttune's
    own schedulers are decided in the engine. A subclass of ASHA, HyperBand or the median stopping
    rule that overrides a hook is refused by name: their rules live in the engine, out of reach of
    ``super()``."""
    own = [name for name in _DECISION_METHODS if _owner(scheduler, name) is not None]
    if not own:
        return False
    engine = [k.__name__ for k in type(scheduler).__mro__ if k.__module__.startswith("swifttune.")
              and k.__name__ in _ENGINE_SCHEDULERS]
    if engine:
        raise NotImplementedError(
            f"{type(scheduler).__name__}.{own[0]}: a subclass of {engine[0]} with decision code of your own is not "
            f"supported by swifttune ({engine[0]}'s rule is decided in the engine, out of reach of super()); subclass "
            "FIFOScheduler or TrialScheduler for a scheduler of your own, or use "
            f"{engine[0]} as it is.")
    return True


def _owner(scheduler: Any, name: str) -> Optional[type]:
    """The class outside swifttune that defines `name` for `scheduler`, if the first definer is one."""
    for klass in type(scheduler).__mro__:
        if name in vars(klass):
            return None if klass.__module__.startswith("swifttune.") else klass
    return None


class TrialScheduler:
    """Ray's ``TrialScheduler``: the base of swifttune's schedulers (which only describe
    themselves to the engine, where they decide) and of schedulers of your own, whose hooks the
    engine calls back with Ray's arguments (``tune_controller``, ``trial``, ``result``) and whose
    answers it follows. As in Ray, a direct subclass implements every hook it is called with."""

    CONTINUE = "CONTINUE"
    """Keep running the trial."""
    PAUSE = "PAUSE"
    """Stop the trial for now; it runs again when ``choose_trial_to_run`` chooses it."""
    STOP = "STOP"
    """Stop the trial."""
    NOOP = "NOOP"
    """Ray's "the scheduler acts on the trial itself" (refused by swifttune: the engine acts on answers)."""

    _metric: Optional[str] = None
    _supports_buffered_results = True

    @property
    def metric(self) -> Optional[str]:
        """The metric the scheduler ranks by."""
        return self._metric

    @metric.setter
    def metric(self, value: Optional[str]) -> None:
        self._metric = value

    @property
    def supports_buffered_results(self) -> bool:
        return self._supports_buffered_results

    def set_search_properties(self, metric: Optional[str], mode: Optional[str], **spec: Any) -> bool:
        """Ray's: takes the experiment's metric unless the scheduler has its own (then False, which
        is an error when the TuneConfig sets one too); the anonymous ``_metric`` without either."""
        if self._metric and metric:
            return False
        if metric:
            self._metric = metric
        if self._metric is None:
            self._metric = "_metric"
        return True

    def on_trial_add(self, tune_controller: Any, trial: Any) -> None:
        """Called when a new trial is added to the trial runner."""
        raise NotImplementedError

    def on_trial_error(self, tune_controller: Any, trial: Any) -> None:
        """Notification for the error of trial (a run that failed)."""
        raise NotImplementedError

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> str:
        """The decision after a result of a running trial: CONTINUE, PAUSE or STOP."""
        raise NotImplementedError

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> None:
        """Notification for the completion of trial (it returned, or was stopped)."""
        raise NotImplementedError

    def on_trial_remove(self, tune_controller: Any, trial: Any) -> None:
        """Called to remove a PENDING or PAUSED trial (swifttune's engine never removes one)."""
        raise NotImplementedError

    def choose_trial_to_run(self, tune_controller: Any) -> Optional[Any]:
        """One of the PENDING or PAUSED trials to start now, or None."""
        raise NotImplementedError

    def debug_string(self) -> str:
        """A line for the console."""
        raise NotImplementedError

    def save(self, checkpoint_path: str) -> None:
        """Save trial scheduler to a checkpoint."""
        raise NotImplementedError

    def restore(self, checkpoint_path: str) -> None:
        """Restore trial scheduler from checkpoint."""
        raise NotImplementedError

    def _spec(self) -> dict[str, Any]:
        """The engine's specification: a scheduler of your own is called back."""
        return {"type": "callback", "id": 0}

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
    """Runs every trial to its end, in the order they were added (Ray's ``FIFOScheduler``: its
    hooks do nothing, and it chooses the first PENDING trial, then the first PAUSED one). Subclass
    it for a scheduler of your own that changes one hook."""

    def on_trial_add(self, tune_controller: Any, trial: Any) -> None:
        pass

    def on_trial_error(self, tune_controller: Any, trial: Any) -> None:
        pass

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> str:
        return TrialScheduler.CONTINUE

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict[str, Any]) -> None:
        pass

    def on_trial_remove(self, tune_controller: Any, trial: Any) -> None:
        pass

    def choose_trial_to_run(self, tune_controller: Any) -> Optional[Any]:
        for trial in tune_controller.get_trials():
            if trial.status == "PENDING":
                return trial
        for trial in tune_controller.get_trials():
            if trial.status == "PAUSED":
                return trial
        return None

    def debug_string(self) -> str:
        return "Using FIFO scheduling algorithm."

    def _spec(self) -> dict[str, Any]:
        return {"type": "fifo"}

    def _describe(self) -> str:
        return "FIFO"
