"""Ray Tune's class API, ``Trainable``."""
from __future__ import annotations

from typing import Any, Optional

__all__ = ["Trainable"]


class Trainable:
    """Ray's class API: override ``setup(config)``, ``step()`` (returns a result dict; a true
    ``done`` ends the trial) and optionally ``cleanup()``."""

    def __init__(self, config: Optional[dict[str, Any]] = None) -> None:
        self.config = config or {}
        self.setup(self.config)

    def setup(self, config: dict[str, Any]) -> None:
        pass

    def step(self) -> dict[str, Any]:
        raise NotImplementedError

    def cleanup(self) -> None:
        pass
