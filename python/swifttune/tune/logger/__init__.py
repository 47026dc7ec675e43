"""Ray Tune's loggers (``ray.tune.logger``): ``LoggerCallback`` for loggers of your own, the
JSON and CSV callbacks (what swifttune writes for every trial), ``LegacyLoggerCallback`` for
per-trial ``Logger`` classes, and ``pretty_print``."""
from .csv import CSVLogger, CSVLoggerCallback
from .json import JsonLogger, JsonLoggerCallback
from .logger import LegacyLoggerCallback, Logger, LoggerCallback, pretty_print
from .noop import NoopLogger
from .tensorboardx import TBXLogger, TBXLoggerCallback
from .unified import UnifiedLogger

DEFAULT_LOGGERS = (JsonLogger, CSVLogger, TBXLogger)
"""Ray's default per-trial logger classes (refused by swifttune: its trial files are written anyway)."""

__all__ = ["Logger", "LoggerCallback", "LegacyLoggerCallback", "pretty_print", "CSVLogger", "CSVLoggerCallback",
           "JsonLogger", "JsonLoggerCallback", "NoopLogger", "TBXLogger", "TBXLoggerCallback", "UnifiedLogger"]
