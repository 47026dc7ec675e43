"""Ray Tune's experiment ``Callback``."""
from __future__ import annotations

from typing import Any

from .experiment.trial import Trial

__all__ = ["Callback"]


class Callback:
    """Ray Tune's experiment callback (``RunConfig(callbacks=[...])``): override the hooks you need.
    They are called in the driver, one at a time, with the iteration (a running count of events),
    the trials so far, the trial concerned and, for results, the result."""

    def on_trial_start(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        pass

    def on_trial_result(self, iteration: int, trials: list["Trial"], trial: "Trial",
                        result: dict[str, Any], **info: Any) -> None:
        pass

    def on_trial_complete(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        pass

    def on_trial_error(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        pass

    def on_trial_recover(self, iteration: int, trials: list["Trial"], trial: "Trial", **info: Any) -> None:
        """A failed trial will run again (``FailureConfig.max_failures``)."""

    def on_experiment_end(self, trials: list["Trial"], **info: Any) -> None:
        pass
