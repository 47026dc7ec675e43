"""Ray's deprecated built-in per-trial ``Logger`` classes, refused by name."""
from __future__ import annotations

from typing import Any

from .logger import Logger

__all__ = ["RefusedLogger", "refused_logger"]


def refused_logger(name: str, instead: str) -> NotImplementedError:
    """``NotImplementedError`` naming a refused logger class and what to use instead."""
    return NotImplementedError(
        f"{name} is not supported by swifttune: {instead}. Your own Logger subclasses run with "
        "LegacyLoggerCallback([MyLogger]).")


class RefusedLogger(Logger):
    """A Ray logger class swifttune refuses: making one, or a ``LegacyLoggerCallback`` with it,
    raises ``NotImplementedError`` saying what to use instead."""

    _instead = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise self.refusal()

    @classmethod
    def refusal(cls) -> NotImplementedError:
        return refused_logger(f"{cls.__name__} (Ray's deprecated per-trial Logger class)", cls._instead)

    def on_result(self, result: dict[str, Any]) -> None:  # pragma: no cover - never made
        raise self.refusal()
