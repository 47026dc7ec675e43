"""Ray's ``CSVLoggerCallback``: every trial's ``progress.csv``."""
from __future__ import annotations

from .logger import LoggerCallback
from .refused import RefusedLogger

__all__ = ["CSVLoggerCallback", "CSVLogger"]


class CSVLoggerCallback(LoggerCallback):
    """Writes each trial's ``progress.csv`` (the columns of its first result), as Ray's does.
    swifttune's trial files write it for every experiment (Ray's default callbacks), so passing
    this callback keeps what happens anyway: the file is written once."""


class CSVLogger(RefusedLogger):
    """Ray's deprecated per-trial ``CSVLogger``: refused (``NotImplementedError``)."""

    _instead = "progress.csv is written for every trial (CSVLoggerCallback)"
