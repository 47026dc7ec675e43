"""Ray Tune's run settings (``ray.tune.impl.config``): ``RunConfig``, ``FailureConfig`` and
``CheckpointConfig``."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Union

from .._internal.validation import is_int, is_number
from ..checkpoint import CheckpointConfig

if TYPE_CHECKING:
    from ..stopper import Stopper

__all__ = ["RunConfig", "FailureConfig", "CheckpointConfig"]


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
            if not isinstance(k, str) or not is_number(v) or math.isnan(v):
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
    stop: Optional[Union[Mapping[str, float], "Stopper", Callable[[str, Mapping[str, Any]], bool], list["Stopper"]]] = None
    """Ray's forms: a dict of thresholds (a trial stops once any key's value is >= its threshold,
    or its result has ``done=True``), a ``tune.Stopper``, a list of them (combined: any stops), or a
    function ``(trial_id, result) -> bool``."""
    verbose: int = 1
    """0: silent; 1: the status table every 5 s and at the end; 2: also a line per finished trial;
    3: also every reported result."""
    failure_config: Optional[FailureConfig] = None
    callbacks: Optional[list[Any]] = None
    checkpoint_config: Optional[CheckpointConfig] = None

    def __post_init__(self) -> None:
        if self.name is not None and (not isinstance(self.name, str) or not self.name or os.sep in self.name):
            raise ValueError(f"`name` must be a non-empty str without '{os.sep}', got {self.name!r}")
        if self.storage_path is not None and not isinstance(self.storage_path, (str, os.PathLike)):
            raise TypeError(f"`storage_path` must be a str or os.PathLike, got {type(self.storage_path).__name__}")
        if self.stop is not None:
            _stopper_of(self.stop)  # Ray's forms of `stop`, checked as Ray does
        if not is_int(self.verbose) or not 0 <= self.verbose <= 3:
            raise ValueError(f"`verbose` must be 0, 1, 2 or 3, got {self.verbose!r}")
        if self.failure_config is not None and not isinstance(self.failure_config, FailureConfig):
            raise TypeError(f"`failure_config` must be a tune.FailureConfig, got {type(self.failure_config).__name__}")
        if self.checkpoint_config is not None and not isinstance(self.checkpoint_config, CheckpointConfig):
            raise TypeError(f"`checkpoint_config` must be a tune.CheckpointConfig, got {type(self.checkpoint_config).__name__}")
        if self.callbacks is not None and not isinstance(self.callbacks, (list, tuple)):
            raise TypeError(f"`callbacks` must be a list of tune.Callback, got {type(self.callbacks).__name__}")
