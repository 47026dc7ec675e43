"""Ray's TensorBoard logger (``TBXLoggerCallback``): not in swifttune yet, refused by name."""
from __future__ import annotations

from typing import Any

from .logger import LoggerCallback
from .refused import RefusedLogger

__all__ = ["TBXLoggerCallback", "TBXLogger"]


class TBXLoggerCallback(LoggerCallback):
    """Refused (``NotImplementedError``): swifttune writes no TensorBoard event files yet."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "TBXLoggerCallback (TensorBoard event files) is not supported by swifttune yet; every trial's "
            "progress.csv and result.json hold the same values (ResultGrid.get_dataframe(), "
            "Result.metrics_dataframe).")


class TBXLogger(RefusedLogger):
    """Ray's deprecated per-trial ``TBXLogger``: refused (``NotImplementedError``)."""

    _instead = "TensorBoard event files are not written by swifttune yet"
