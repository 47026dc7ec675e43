"""Ray Tune's ``ExperimentPlateauStopper`` (``ray.tune.stopper.experiment_plateau``)."""
from __future__ import annotations

from typing import Any

from .stopper import Stopper, _builtin_spec, _engine_only

__all__ = ["ExperimentPlateauStopper"]


class ExperimentPlateauStopper(Stopper):
    """Early stop the experiment when a metric plateaued across trials: the ``top`` best values
    of ``metric`` over all results have a (population) standard deviation of at most ``std`` for
    more than ``patience`` results in a row. Evaluated by the engine (a result without the metric
    makes ``fit`` raise ``KeyError``, as in Ray).

    Args:
        metric: The metric to be monitored.
        std: The minimal standard deviation after which the tuning process has to stop.
        top: The number of best models to consider.
        mode: The mode to select the top results. Can either be "min" or "max".
        patience: Number of epochs to wait for a change in the top models.

    Raises:
        ValueError: If the mode parameter is not "min" nor "max".
        ValueError: If the top parameter is not an integer greater than 1.
        ValueError: If the standard deviation parameter is not a strictly positive float.
        ValueError: If the patience parameter is not a strictly positive integer.
    """

    def __init__(self, metric: str, std: float = 0.001, top: int = 10, mode: str = "min", patience: int = 0) -> None:
        if mode not in ("min", "max"):
            raise ValueError("The mode parameter can only be either min or max.")
        if not isinstance(top, int) or top <= 1:
            raise ValueError("Top results to consider must be a positive integer greater than one.")
        if not isinstance(patience, int) or patience < 0:
            raise ValueError("Patience must be a strictly positive integer.")
        if not isinstance(std, float) or std <= 0:
            raise ValueError("The standard deviation must be a strictly positive float number.")
        self._mode = mode
        self._metric = metric
        self._patience = patience
        self._std = std
        self._top = top

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        raise _engine_only("ExperimentPlateauStopper")

    def stop_all(self) -> bool:
        raise _engine_only("ExperimentPlateauStopper")

    def _spec(self, callbacks: list[Stopper]) -> dict[str, Any]:
        spec = {"type": "experiment_plateau", "metric": self._metric, "std": self._std, "top": self._top,
                "mode": self._mode, "patience": self._patience}
        return _builtin_spec(self, ExperimentPlateauStopper, spec, callbacks)
