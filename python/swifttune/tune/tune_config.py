"""Ray Tune's ``TuneConfig``: how to tune (metric, mode, search algorithm, scheduler, samples)."""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Optional

from ._internal.validation import is_int, is_number
from .schedulers.trial_scheduler import TrialScheduler
from .search.searcher import Searcher

__all__ = ["TuneConfig", "ResumeConfig"]

_DEPRECATED_VALUE = "DEPRECATED"


@dataclass
class TuneConfig:
    """Tuning settings, with Ray Tune's names and defaults."""

    metric: Optional[str] = None
    mode: Optional[str] = None
    search_alg: Optional[Searcher] = None
    scheduler: Optional[TrialScheduler] = None
    num_samples: int = 1
    max_concurrent_trials: Optional[int] = None
    time_budget_s: Optional[float] = None
    reuse_actors: bool = False
    """Ray's ``reuse_actors``: run a new trial in a worker that a finished trial used (default False,
    as Ray)."""
    trial_name_creator: Optional[Callable[[Any], str]] = None
    trial_dirname_creator: Optional[Callable[[Any], str]] = None
    chdir_to_trial_dir: Any = _DEPRECATED_VALUE
    """Deprecated in Ray (it raises, as Ray does): set the ``RAY_CHDIR_TO_TRIAL_DIR`` environment
    variable instead."""
    executor: str = "process"
    """swifttune extra: "process" (the default, like Ray's workers) runs trials in a pool of worker
    processes; "thread" runs them on threads of this process (lowest overhead, for objectives that
    release the GIL or cannot be pickled); "ray" runs each trial in a Ray actor on the Ray cluster
    this process is connected to (``swifttune.init(address=...)`` or ``ray.init(address=...)``),
    with the trial's resources as the actor's, while swifttune's engine decides here."""

    def __post_init__(self) -> None:
        if self.chdir_to_trial_dir != _DEPRECATED_VALUE:
            raise DeprecationWarning(
                "`chdir_to_trial_dir` is deprecated. Use the RAY_CHDIR_TO_TRIAL_DIR environment variable instead. "
                "Set it to 0 to disable the default behavior of changing the working directory.")
        if not isinstance(self.reuse_actors, bool):
            raise TypeError(f"`reuse_actors` must be a bool, got {type(self.reuse_actors).__name__}")
        if self.metric is not None and not isinstance(self.metric, str):
            raise TypeError(f"`metric` must be a str (the reported metric to optimise) or None, got {type(self.metric).__name__}")
        if self.mode is not None and self.mode not in ("min", "max"):
            raise ValueError(f"`mode` must be one of ['min', 'max'], got {self.mode!r}")
        if not is_int(self.num_samples):
            raise TypeError(f"`num_samples` must be an int, got {type(self.num_samples).__name__}")
        if self.num_samples < -1:
            raise ValueError(f"`num_samples` must be >= 0, or -1 to sample until `time_budget_s`; got {self.num_samples}")
        if self.max_concurrent_trials is not None and (not is_int(self.max_concurrent_trials) or self.max_concurrent_trials < 1):
            raise ValueError(f"`max_concurrent_trials` must be None or an int >= 1, got {self.max_concurrent_trials!r}")
        if self.time_budget_s is not None:
            if isinstance(self.time_budget_s, datetime.timedelta):
                self.time_budget_s = self.time_budget_s.total_seconds()
            if not is_number(self.time_budget_s) or not self.time_budget_s >= 0:
                raise ValueError(f"`time_budget_s` must be None or a number of seconds >= 0, got {self.time_budget_s!r}")
        for name in ("trial_name_creator", "trial_dirname_creator"):
            if getattr(self, name) is not None and not callable(getattr(self, name)):
                raise TypeError(f"`{name}` must be a function of the trial, got {type(getattr(self, name)).__name__}")
        if self.executor not in ("process", "thread", "ray"):
            raise ValueError(f"`executor` must be 'process', 'thread' or 'ray', got {self.executor!r}")


class ResumeType(str, Enum):
    """How ``ResumeConfig`` treats trials in one state."""

    RESUME = "resume"
    RESTART = "restart"
    SKIP = "skip"


@dataclass
class ResumeConfig:
    """Ray's ``ResumeConfig`` (``tune.run(resume_config=...)``): what becomes of finished,
    unfinished and errored trials when an experiment continues. Finished trials are skipped (their
    results kept); unfinished ones resume from their latest checkpoint or are skipped; errored ones
    are skipped, resumed or restarted."""

    ResumeType = ResumeType

    finished: str = ResumeType.SKIP
    unfinished: str = ResumeType.RESUME
    errored: str = ResumeType.SKIP

    def __post_init__(self) -> None:
        for name in ("finished", "unfinished", "errored"):
            value = getattr(self, name)
            if value not in ("resume", "restart", "skip"):
                raise ValueError(f"`{name}` must be a ResumeConfig.ResumeType, got {value!r}")
        if self.finished != "skip":
            raise NotImplementedError(f"ResumeConfig(finished={self.finished!r}) is not supported by swifttune; "
                                      "finished trials keep their results (ResumeType.SKIP): start a new experiment "
                                      "to run them again instead.")
        if self.unfinished == "restart":
            raise NotImplementedError("ResumeConfig(unfinished=RESTART) is not supported by swifttune; use "
                                      "ResumeType.RESUME (from the latest checkpoint) or ResumeType.SKIP instead.")
