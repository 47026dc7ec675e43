"""Ray Tune's experiment ``Callback``: every hook Ray calls, at the moments Ray calls it."""
from __future__ import annotations

from typing import Any, Optional

from .experiment.trial import Trial

__all__ = ["Callback"]


class Callback:
    """Ray Tune's experiment callback (``RunConfig(callbacks=[...])``): override the hooks you need.
    They are called in the driver, one at a time, with the iteration (a running count of the
    driver's steps), the trials so far, the trial concerned and, for results, the result.

    The order is Ray's: ``setup`` once before the first trial; for each event (a trial starting,
    a result, a checkpoint, a trial ending) ``on_step_begin``, the event's hooks, then
    ``on_step_end`` with the iteration counted on; ``on_experiment_end`` last. A reported
    checkpoint calls ``on_checkpoint`` then ``on_trial_save`` after the result's
    ``on_trial_result``. ``on_trial_restore`` exists for subclasses, and, as in Ray 2.53, is
    never called."""

    def setup(self, stop: Optional[Any] = None, num_samples: Optional[int] = None,
              total_num_samples: Optional[int] = None, **info: Any) -> None:
        """Called once before the first trial starts, with the experiment's stop criteria, its
        ``num_samples`` and the number of trials it asks for (grid combinations included)."""

    def on_step_begin(self, iteration: int, trials: list["Trial"], **info: Any) -> None:
        """Called before the driver handles an event."""

    def on_step_end(self, iteration: int, trials: list["Trial"], **info: Any) -> None:
        """Called after the driver handled an event (the iteration counted on)."""

    def on_trial_start(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        pass

    def on_trial_restore(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        """Defined as in Ray; Ray 2.53 never calls it, and neither does swifttune."""

    def on_trial_save(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        """Called after a trial's checkpoint is kept (after ``on_checkpoint``)."""

    def on_trial_result(self, iteration: int, trials: list["Trial"], trial: "Trial",
                        result: dict[str, Any], **info: Any) -> None:
        pass

    def on_trial_complete(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        pass

    def on_trial_recover(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        """A failed trial will run again (``FailureConfig.max_failures``)."""

    def on_trial_error(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        pass

    def on_checkpoint(self, iteration: int, trials: list["Trial"], trial: "Trial", checkpoint: Any,
                      **info: Any) -> None:
        """Called after a trial saved a checkpoint (a ``tune.Checkpoint``)."""

    def on_experiment_end(self, trials: list["Trial"], **info: Any) -> None:
        pass

    def get_state(self) -> Optional[dict[str, Any]]:
        """The callback's state for an experiment checkpoint (None: nothing to keep). swifttune
        keeps none: a callback with state of its own raises ``NotImplementedError`` at ``fit``."""
        return None

    def set_state(self, state: dict[str, Any]) -> None:
        """Restores what ``get_state`` returned."""
