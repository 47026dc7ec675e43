"""Ray's ``JsonLoggerCallback``: every trial's ``result.json`` and ``params.json``."""
from __future__ import annotations

from .logger import LoggerCallback
from .refused import RefusedLogger

__all__ = ["JsonLoggerCallback", "JsonLogger"]


class JsonLoggerCallback(LoggerCallback):
    """Writes each trial's ``params.json`` and ``result.json`` (a JSON line per result), as Ray's
    does. swifttune's trial files write them for every experiment (Ray's default callbacks), so
    passing this callback keeps what happens anyway: the files are written once."""


class JsonLogger(RefusedLogger):
    """Ray's deprecated per-trial ``JsonLogger``: refused (``NotImplementedError``)."""

    _instead = "result.json and params.json are written for every trial (JsonLoggerCallback)"
