"""Ray Tune's ``TuneError``."""
from __future__ import annotations

__all__ = ["TuneError"]


class TuneError(RuntimeError):
    """The error of a failed trial, with its traceback as the message."""
