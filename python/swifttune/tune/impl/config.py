"""Ray Tune's run settings (``ray.tune.impl.config``): ``RunConfig``, ``FailureConfig`` and
``CheckpointConfig``."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Union

from .._internal.validation import is_int, is_number
from ..checkpoint import CheckpointConfig
from ..syncer import SyncConfig

if TYPE_CHECKING:
    from ..stopper import Stopper

__all__ = ["RunConfig", "FailureConfig", "CheckpointConfig", "local_storage_path", "validate_log_to_file"]

_LOCAL_DIR_MESSAGE = ("The `RunConfig(local_dir)` argument is deprecated. You should set the `RunConfig(storage_path)` "
                      "instead.See the docs: https://docs.ray.io/en/latest/train/user-guides/"
                      "persistent-storage.html#setting-the-local-staging-directory")


def local_storage_path(storage_path: Optional[Union[str, "os.PathLike[str]"]]) -> Optional[str]:
    """The local folder a ``storage_path`` names: a path (``~`` expanded) or a ``file://`` URI;
    any other URI raises ``NotImplementedError``."""
    if storage_path is None:
        return None
    text = os.fspath(storage_path)
    if "://" in text:
        if not text.startswith("file://"):
            raise NotImplementedError(
                f"storage_path={text!r} is not supported by swifttune (it stores on the local filesystem only); "
                "use a local path or a file:// URI instead, and copy the experiment folder to remote storage "
                "yourself.")
        text = text[len("file://"):]
    return os.path.expanduser(text)


def validate_log_to_file(log_to_file: Any) -> tuple[Optional[str], Optional[str]]:
    """Ray's check of ``log_to_file``: the stdout and stderr file names (relative to the trial's
    folder), or None for each when output is not captured."""
    if isinstance(log_to_file, bool) or log_to_file is None:
        return ("stdout", "stderr") if log_to_file else (None, None)
    if isinstance(log_to_file, str):
        return (log_to_file, log_to_file) if log_to_file else (None, None)
    if isinstance(log_to_file, Sequence):
        if len(log_to_file) != 2:
            raise ValueError(
                "If you pass a Sequence to `log_to_file` it has to have a length of 2 (for stdout and stderr, "
                "respectively). The Sequence you passed has length {}.".format(len(log_to_file)))
        out, err = log_to_file
        if not isinstance(out, str) or not isinstance(err, str):
            raise ValueError(f"The file names in `log_to_file` must be str, got {log_to_file!r}")
        return out, err
    raise ValueError(
        "You can pass a boolean, a string, or a Sequence of length 2 to `log_to_file`, but you passed something "
        "else ({}).".format(type(log_to_file)))


def _stopper_of(stop: Any) -> Optional["Stopper"]:
    """Ray's reading of ``RunConfig.stop`` (``ray.tune.experiment.Experiment``): None for a dict
    (the engine's thresholds, checked here), else the stopper it amounts to."""
    from ..stopper import CombinedStopper, FunctionStopper, Stopper

    if not stop:
        return None
    if isinstance(stop, list):
        if any(not isinstance(s, Stopper) for s in stop):
            stopper_types = [type(s) for s in stop]
            raise ValueError("If you pass a list as the `stop` argument to `tune.RunConfig()`, each element must be an "
                             f"instance of `tune.stopper.Stopper`. Got {stopper_types}.")
        return CombinedStopper(*stop)
    if isinstance(stop, dict):
        for k, v in stop.items():
            if isinstance(v, dict):
                raise ValueError("Stopping criteria is now flattened by default. Use forward slashes to nest values "
                                 "`key1/key2/key3`.")
            # A bool is a number to Ray's `result[key] >= value` (`{"done": True}` stops at done).
            if not isinstance(k, str) or not (is_number(v) or isinstance(v, bool)) or math.isnan(v):
                raise ValueError(f"`stop` thresholds must map metric names to numbers, got {k!r}: {v!r}")
        return None
    if callable(stop):
        if FunctionStopper.is_valid_function(stop):
            return FunctionStopper(stop)
        if isinstance(stop, Stopper):
            return stop
        raise ValueError("Provided stop object must be either a dict, a function, or a subclass of "
                         f"`ray.tune.Stopper`. Got {type(stop)}.")
    raise ValueError(f"Invalid stop criteria: {stop}. Must be a callable or dict. Got {type(stop)}.")


@dataclass
class FailureConfig:
    """Ray's ``FailureConfig``: a failed trial (it raised, or its worker process died) runs again
    up to ``max_failures`` times (-1: forever), from its latest checkpoint or else from the start.
    ``fail_fast=True`` ends the experiment at the first failure (``fit`` returns the results, the
    failed trial among ``errors``); ``fail_fast="raise"`` makes ``fit`` raise the trial's error."""

    max_failures: int = 0
    fail_fast: Union[bool, str] = False

    def __post_init__(self) -> None:
        if not is_int(self.max_failures):
            raise TypeError(f"`max_failures` must be an int, got {type(self.max_failures).__name__}")
        if self.max_failures < -1:
            raise ValueError(f"`max_failures` must be >= 0, or -1 to retry forever; got {self.max_failures}")
        if not (isinstance(self.fail_fast, bool) or (isinstance(self.fail_fast, str) and self.fail_fast.upper() == "RAISE")):
            raise ValueError(f"fail_fast must be one of {{bool, 'raise'}}. Got {self.fail_fast}.")
        if self.fail_fast and self.max_failures != 0:
            raise ValueError(f"max_failures must be 0 if fail_fast={self.fail_fast!r}.")

    @property
    def _raises(self) -> bool:
        return isinstance(self.fail_fast, str)


@dataclass
class RunConfig:
    """Run settings, with Ray Tune's names."""

    name: Optional[str] = None
    storage_path: Optional[str] = None
    """A local folder or a ``file://`` URI (default ``~/swifttune_results``); other URIs raise
    ``NotImplementedError``."""
    storage_filesystem: Any = None
    """Ray's pyarrow filesystem: not supported (``NotImplementedError``); use a local storage_path."""
    failure_config: Optional[FailureConfig] = None
    checkpoint_config: Optional[CheckpointConfig] = None
    sync_config: Optional[SyncConfig] = None
    """Accepted at its defaults: with local storage nothing is synced (``tune.SyncConfig``)."""
    verbose: Optional[int] = None
    """0: silent; 1: the status table every 5 s and at the end; 2: also a line per finished trial;
    3: also every reported result. None (Ray's default) means Ray 2.53's default output,
    ``AirVerbosity.DEFAULT``: 1."""
    stop: Optional[Union[Mapping[str, float], "Stopper", Callable[[str, Mapping[str, Any]], bool], list["Stopper"]]] = None
    """Ray's forms: a dict of thresholds (a trial stops once any key's value is >= its threshold,
    or its result has ``done=True``), a ``tune.Stopper``, a list of them (combined: any stops), or a
    function ``(trial_id, result) -> bool``."""
    callbacks: Optional[list[Any]] = None
    progress_reporter: Any = None
    """A ``tune.ProgressReporter`` (``tune.CLIReporter``...) that prints the progress instead of the
    default status table."""
    log_to_file: Union[bool, str, tuple[str, str]] = False
    """Ray's ``log_to_file``: True, a file name, or (stdout file, stderr file) in the trial's folder."""
    local_dir: Optional[str] = None
    """Deprecated in Ray (it raises, as Ray does): use ``storage_path``."""

    def __post_init__(self) -> None:
        if self.local_dir is not None:
            raise DeprecationWarning(_LOCAL_DIR_MESSAGE)
        if self.name is not None and (not isinstance(self.name, str) or not self.name or os.sep in self.name):
            raise ValueError(f"`name` must be a non-empty str without '{os.sep}', got {self.name!r}")
        if self.storage_path is not None and not isinstance(self.storage_path, (str, os.PathLike)):
            raise TypeError(f"`storage_path` must be a str or os.PathLike, got {type(self.storage_path).__name__}")
        if isinstance(self.storage_path, Path):
            self.storage_path = self.storage_path.as_posix()
        local_storage_path(self.storage_path)
        if self.storage_filesystem is not None:
            raise NotImplementedError("storage_filesystem is not supported by swifttune (it stores on the local "
                                      "filesystem only); use a local storage_path or a file:// URI instead.")
        if self.sync_config is None:
            self.sync_config = SyncConfig()
        elif not isinstance(self.sync_config, SyncConfig):
            raise TypeError(f"`sync_config` must be a tune.SyncConfig, got {type(self.sync_config).__name__}")
        validate_log_to_file(self.log_to_file)
        if self.progress_reporter is not None:
            from ..progress_reporter import ProgressReporter

            if not isinstance(self.progress_reporter, ProgressReporter):
                raise TypeError("`progress_reporter` must be a tune.ProgressReporter (such as tune.CLIReporter), "
                                f"got {type(self.progress_reporter).__name__}")
        self._verbose = self.verbose
        if self.verbose is None:
            self.verbose = 1
        if self.stop is not None:
            _stopper_of(self.stop)  # Ray's forms of `stop`, checked as Ray does
        if isinstance(self.verbose, bool):  # Ray's examples pass verbose=False (a Python int, 0)
            self.verbose = int(self.verbose)
        if not is_int(self.verbose) or not 0 <= self.verbose <= 3:
            raise ValueError(f"`verbose` must be 0, 1, 2 or 3, got {self.verbose!r}")
        if self.failure_config is not None and not isinstance(self.failure_config, FailureConfig):
            raise TypeError(f"`failure_config` must be a tune.FailureConfig, got {type(self.failure_config).__name__}")
        if self.checkpoint_config is not None and not isinstance(self.checkpoint_config, CheckpointConfig):
            raise TypeError(f"`checkpoint_config` must be a tune.CheckpointConfig, got {type(self.checkpoint_config).__name__}")
        if self.callbacks is not None and not isinstance(self.callbacks, (list, tuple)):
            raise TypeError(f"`callbacks` must be a list of tune.Callback, got {type(self.callbacks).__name__}")
