"""hyperopt's early-stopping helpers for ``fmin(early_stop_fn=...)``."""
from __future__ import annotations

from typing import Any, Callable


def no_progress_loss(iteration_stop_count: int = 20, percent_increase: float = 0.0) -> Callable[..., Any]:
    """Stops when the best loss has not improved (by more than `percent_increase` percent) for
    `iteration_stop_count` evaluations, as hyperopt's ``no_progress_loss``."""

    def stop_fn(trials: Any, best_loss: Any = None, iteration_no_progress: int = 0) -> tuple[bool, list[Any]]:
        new_loss = trials.trials[-1]["result"].get("loss")
        if best_loss is None:
            return False, [new_loss, iteration_no_progress + 1]
        best_loss_threshold = best_loss - abs(best_loss * (percent_increase / 100.0))
        if new_loss is not None and new_loss < best_loss_threshold:
            best_loss = new_loss
            iteration_no_progress = 0
        else:
            iteration_no_progress += 1
        return iteration_no_progress >= iteration_stop_count, [best_loss, iteration_no_progress]

    return stop_fn
