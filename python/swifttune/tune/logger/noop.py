"""Ray's ``NoopLogger``: a per-trial ``Logger`` that logs nothing."""
from __future__ import annotations

from typing import Any

from .logger import Logger

__all__ = ["NoopLogger"]


class NoopLogger(Logger):
    """Logs nothing."""

    def on_result(self, result: dict[str, Any]) -> None:
        pass
