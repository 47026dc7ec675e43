"""Ray Tune's ``NoopStopper`` (``ray.tune.stopper.noop``)."""
from __future__ import annotations

from typing import Any

from .stopper import Stopper, _builtin_spec

__all__ = ["NoopStopper"]


class NoopStopper(Stopper):
    """A stopper that never stops anything."""

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        return False

    def stop_all(self) -> bool:
        return False

    def _spec(self, callbacks: list[Stopper]) -> dict[str, Any]:
        return _builtin_spec(self, NoopStopper, {"type": "noop"}, callbacks)
