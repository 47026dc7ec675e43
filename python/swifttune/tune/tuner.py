"""``tune.Tuner``: runs trainables under the Swift engine, which decides what runs and when it stops."""
from __future__ import annotations

import csv
import datetime
import inspect
import itertools
import io
import json
import logging
import math
import os
import pickle
import signal
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

from .._lib import (CONTINUE, END_COMPLETED, END_FAILED, END_STOPPED, NEXT_FINISHED, NEXT_START, ExperimentHandle,
                    SchedulerHandle, SwiftTuneError, dumps, lib, metrics_for_engine)
from .._space import Categorical, decode_configuration, grid_paths, has_domains, replace_at
from ._state import STATE_FILE, StateWriter, write_atomically
from .checkpoint import Checkpoint, CheckpointConfig, CheckpointManager, best_checkpoints, keep_reported
from .result_grid import Result, ResultGrid, TuneError, _flatten
from .schedulers import FIFOScheduler, TrialScheduler
from .search import BasicVariantGenerator, ConcurrencyLimiter, Searcher

__all__ = ["Tuner", "TuneConfig", "RunConfig", "FailureConfig", "report", "get_context", "get_checkpoint",
           "TuneContext", "Trainable", "with_parameters", "with_resources", "Callback", "TrialInfo"]

logger = logging.getLogger("swifttune.tune")

_PICKLE_FILE = "tuner.pkl"


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
    trial_name_creator: Optional[Callable[[Any], str]] = None
    trial_dirname_creator: Optional[Callable[[Any], str]] = None
    executor: str = "process"
    """swifttune extra: "process" (the default, like Ray's workers) runs trials in a pool of worker
    processes; "thread" runs them on threads of this process (lowest overhead, for objectives that
    release the GIL or cannot be pickled)."""

    def __post_init__(self) -> None:
        if self.metric is not None and not isinstance(self.metric, str):
            raise TypeError(f"`metric` must be a str (the reported metric to optimise) or None, got {type(self.metric).__name__}")
        if self.mode is not None and self.mode not in ("min", "max"):
            raise ValueError(f"`mode` must be one of ['min', 'max'], got {self.mode!r}")
        if not _is_int(self.num_samples):
            raise TypeError(f"`num_samples` must be an int, got {type(self.num_samples).__name__}")
        if self.num_samples < -1:
            raise ValueError(f"`num_samples` must be >= 0, or -1 to sample until `time_budget_s`; got {self.num_samples}")
        if self.max_concurrent_trials is not None and (not _is_int(self.max_concurrent_trials) or self.max_concurrent_trials < 1):
            raise ValueError(f"`max_concurrent_trials` must be None or an int >= 1, got {self.max_concurrent_trials!r}")
        if self.time_budget_s is not None:
            if isinstance(self.time_budget_s, datetime.timedelta):
                self.time_budget_s = self.time_budget_s.total_seconds()
            if not _is_number(self.time_budget_s) or not self.time_budget_s >= 0:
                raise ValueError(f"`time_budget_s` must be None or a number of seconds >= 0, got {self.time_budget_s!r}")
        for name in ("trial_name_creator", "trial_dirname_creator"):
            if getattr(self, name) is not None and not callable(getattr(self, name)):
                raise TypeError(f"`{name}` must be a function of the trial, got {type(getattr(self, name)).__name__}")
        if self.executor not in ("process", "thread"):
            raise ValueError(f"`executor` must be 'process' or 'thread', got {self.executor!r}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@dataclass
class FailureConfig:
    """Ray's ``FailureConfig``: a failed trial (it raised, or its worker process died) runs again
    up to ``max_failures`` times (-1: forever), from its latest checkpoint or else from the start.
    ``fail_fast=True`` ends the experiment at the first failure (``fit`` returns the results, the
    failed trial among ``errors``); ``fail_fast="raise"`` makes ``fit`` raise the trial's error."""

    max_failures: int = 0
    fail_fast: Union[bool, str] = False

    def __post_init__(self) -> None:
        if not _is_int(self.max_failures):
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
    stop: Optional[dict[str, float]] = None
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
            if callable(self.stop) or not isinstance(self.stop, dict):
                raise TypeError("`stop` must be a dict of thresholds such as {'training_iteration': 10} "
                                f"(swifttune has no Stopper objects), got {type(self.stop).__name__}")
            for k, v in self.stop.items():
                if not isinstance(k, str) or not _is_number(v) or math.isnan(v):
                    raise ValueError(f"`stop` thresholds must map metric names to numbers, got {k!r}: {v!r}")
        if not _is_int(self.verbose) or not 0 <= self.verbose <= 3:
            raise ValueError(f"`verbose` must be 0, 1, 2 or 3, got {self.verbose!r}")
        if self.failure_config is not None and not isinstance(self.failure_config, FailureConfig):
            raise TypeError(f"`failure_config` must be a tune.FailureConfig, got {type(self.failure_config).__name__}")
        if self.checkpoint_config is not None and not isinstance(self.checkpoint_config, CheckpointConfig):
            raise TypeError(f"`checkpoint_config` must be a tune.CheckpointConfig, got {type(self.checkpoint_config).__name__}")
        if self.callbacks is not None and not isinstance(self.callbacks, (list, tuple)):
            raise TypeError(f"`callbacks` must be a list of tune.Callback, got {type(self.callbacks).__name__}")


class Callback:
    """Ray Tune's experiment callback (``RunConfig(callbacks=[...])``): override the hooks you need.
    They are called in the driver, one at a time, with the iteration (a running count of events),
    the trials so far, the trial concerned and, for results, the result."""

    def on_trial_start(self, iteration: int, trials: list["TrialInfo"], trial: "TrialInfo", **info: Any) -> None:
        pass

    def on_trial_result(self, iteration: int, trials: list["TrialInfo"], trial: "TrialInfo",
                        result: dict[str, Any], **info: Any) -> None:
        pass

    def on_trial_complete(self, iteration: int, trials: list["TrialInfo"], trial: "TrialInfo", **info: Any) -> None:
        pass

    def on_trial_error(self, iteration: int, trials: list["TrialInfo"], trial: "TrialInfo", **info: Any) -> None:
        pass

    def on_trial_recover(self, iteration: int, trials: list["TrialInfo"], trial: "TrialInfo", **info: Any) -> None:
        """A failed trial will run again (``FailureConfig.max_failures``)."""

    def on_experiment_end(self, trials: list["TrialInfo"], **info: Any) -> None:
        pass


@dataclass
class TrialInfo:
    """What callbacks see of a trial (the attributes of Ray's ``Trial`` that callbacks use)."""

    trial_id: str
    trial_name: str
    config: dict[str, Any]
    status: str = "RUNNING"
    last_result: dict[str, Any] = field(default_factory=dict)
    local_path: str = ""

    def __str__(self) -> str:
        return self.trial_name


# ---------------------------------------------------------------------------------------------
# The trial session: what tune.report and tune.get_context see inside a trainable.


class _TrialStopped(BaseException):
    """Raised by ``tune.report`` in a trial the engine stopped, to end it (not an error)."""


class TuneContext:
    """What ``tune.get_context()`` returns inside a trial."""

    def __init__(self, session: "_Session") -> None:
        self._s = session

    def get_trial_id(self) -> str:
        return self._s.trial_id

    def get_trial_name(self) -> str:
        return self._s.trial_name

    def get_trial_dir(self) -> str:
        return str(self._s.trial_dir)

    def get_trial_resources(self) -> dict[str, float]:
        return dict(self._s.resources)

    def get_experiment_name(self) -> str:
        return self._s.run.name


class _Session:
    """One run of a trial, on the driver's side: numbers the results, writes them to the trial's
    files, tells the engine, keeps the trial's checkpoints. A trial that runs again (a retry, a
    pause, a restore) starts from what the engine kept: the results up to its latest checkpoint."""

    def __init__(self, run: "_Run", trial_id: str, config: dict[str, Any]) -> None:
        self.run = run
        self.trial_id = trial_id
        self.trial_name = run.trial_name(trial_id, config)
        self.config = config
        self.trial_dir = run.trial_dir(trial_id, config)
        self.resources = {"cpu": run.cpus_per_trial}
        self.start = time.time()
        self.last = self.start
        self.stopped = False
        self.result_file: Optional[io.TextIOWrapper] = None
        self.progress_file: Optional[io.TextIOWrapper] = None
        self.progress_writer: Any = None
        self.columns: list[str] = []
        self.config_json = json.dumps(config, default=str)
        record = run.experiment.trial(trial_id)
        kept = record.get("results") or []
        self.iteration = int(kept[-1].get("training_iteration", len(kept))) if kept else 0
        self.time_offset = float(kept[-1].get("time_total_s", 0.0)) if kept else 0.0
        self.checkpoints = CheckpointManager(run.checkpoint_config, self.trial_dir)
        self.results: list[dict[str, Any]] = self.open_files(len(kept))
        run.python_results[trial_id] = self.results
        self.checkpoints.resync(self.results, record.get("checkpoint"))
        self.next_checkpoint = self.checkpoints.next_index()
        latest = self.checkpoints.latest
        self.checkpoint: Optional[Checkpoint] = Checkpoint(self.trial_dir / latest) if latest else None
        self.info = run.trial_info(trial_id, self.trial_name, config, str(self.trial_dir))

    def open_files(self, keep: int) -> list[dict[str, Any]]:
        """Truncates result.json and progress.csv to the `keep` results the engine kept (rows
        after them belong to a run that did not count) and opens them for appending; those rows."""
        rows: list[dict[str, Any]] = []
        result_path, progress_path = self.trial_dir / "result.json", self.trial_dir / "progress.csv"
        if keep > 0 and result_path.is_file():
            with open(result_path, encoding="utf-8") as f:
                lines = f.read().split("\n")
            for line in lines[:keep]:
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    break
        if len(rows) < keep:
            # The files lost rows (written by another version, or edited): the engine's numbers stand in.
            engine_rows = self.run.experiment.trial(self.trial_id)["results"][:keep]
            rows = rows + [dict(r, trial_id=self.trial_id, config=self.config) for r in engine_rows[len(rows):]]
        if not rows:
            for path in (result_path, progress_path):
                if path.exists():
                    path.unlink()
            return rows
        header: list[str] = []
        if progress_path.is_file():
            with open(progress_path, newline="", encoding="utf-8") as f:
                header = next(csv.reader(f), [])
        if not header:
            header = [k for k in rows[0] if k != "config"]
        write_atomically(result_path, "".join(json.dumps(r, default=str) + "\n" for r in rows))
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        for r in rows:
            w.writerow([_csv_value(r.get(k)) for k in header])
        write_atomically(progress_path, buf.getvalue())
        self.columns = header
        self.result_file = open(result_path, "a", encoding="utf-8")
        self.progress_file = open(progress_path, "a", newline="", encoding="utf-8")
        self.progress_writer = csv.writer(self.progress_file)
        return rows

    def close(self) -> None:
        for f in (self.result_file, self.progress_file):
            if f is not None:
                f.close()

    def report(self, metrics: dict[str, Any], checkpoint: Optional[Checkpoint] = None) -> None:
        """tune.report in a thread-executor trial: the next report after a stop ends the trial."""
        if self.stopped:
            raise _TrialStopped()
        _check_report(metrics, checkpoint)
        if self.record(metrics, keep_reported(self, checkpoint)) != CONTINUE:
            self.stopped = True

    def record(self, metrics: dict[str, Any], checkpoint: Optional[str] = None) -> int:
        """Adds Ray's automatic fields, logs the result, tells the engine (the file first: a
        driver killed in between leaves a row the engine never had, which a restart drops); the
        engine's decision."""
        now = time.time()
        self.iteration += 1
        result = dict(metrics)
        result.setdefault("training_iteration", self.iteration)
        result.setdefault("time_total_s", self.time_offset + (now - self.start))
        result["time_this_iter_s"] = now - self.last
        self.last = now
        numbers = metrics_for_engine(result)
        result["trial_id"] = self.trial_id
        result["timestamp"] = int(now)
        result["done"] = False
        if checkpoint is not None:
            result["checkpoint_dir_name"] = checkpoint
        self.run.log_result(self, result)
        experiment = self.run.experiment
        decision = experiment.report(self.trial_id, numbers) if checkpoint is None else \
            experiment.report_checkpoint(self.trial_id, numbers, checkpoint)
        if self.run.callbacks:
            self.info.last_result = result
            self.run.callback("on_trial_result", self.info, result=result)
        result["config"] = self.config
        self.results.append(result)
        state = self.run.state
        if checkpoint is None:
            state.request_for_result()
        else:
            # Older checkpoints go only once a state naming the new latest one is on disk.
            generation = state.request()
            drop = self.checkpoints.register(checkpoint, result)
            if drop:
                state.after_write(generation, lambda: self.checkpoints.delete(drop))
        return decision


def _check_report(metrics: Any, checkpoint: Any) -> None:
    if not isinstance(metrics, dict):
        raise ValueError(f"tune.report expects a dict of metrics, got {type(metrics).__name__}")
    for k in metrics:
        if not isinstance(k, str):
            raise TypeError(f"tune.report: metric names must be str, got {k!r}")
    if checkpoint is not None and not isinstance(checkpoint, Checkpoint):
        raise TypeError(f"tune.report: `checkpoint` must be a tune.Checkpoint, got {type(checkpoint).__name__}")


_local = threading.local()


def _session() -> Optional[_Session]:
    return getattr(_local, "session", None)


def report(metrics: dict[str, Any], *, checkpoint: Optional[Checkpoint] = None) -> None:
    """Reports a result of the current trial (Ray's ``tune.report``), with a checkpoint to copy
    into the trial's folder if given. Once the engine has stopped the trial, the next report ends it."""
    s = _session()
    if s is None:
        raise RuntimeError("tune.report() can only be called inside a trial run by swifttune's Tuner")
    s.report(metrics, checkpoint)


def get_checkpoint() -> Optional[Checkpoint]:
    """The trial's latest checkpoint (Ray's ``tune.get_checkpoint``): the one to resume from when
    the trial runs again after a failure, a pause or a restore; None for a fresh trial."""
    s = _session()
    if s is None:
        raise RuntimeError("tune.get_checkpoint() can only be called inside a trial run by swifttune's Tuner")
    return s.checkpoint


def get_context() -> TuneContext:
    """The current trial's context (Ray's ``tune.get_context``)."""
    s = _session()
    if s is None:
        raise RuntimeError("tune.get_context() can only be called inside a trial run by swifttune's Tuner")
    return TuneContext(s)


class Trainable:
    """Ray's class API: override ``setup(config)``, ``step()`` (returns a result dict; a true
    ``done`` ends the trial) and optionally ``cleanup()``."""

    def __init__(self, config: Optional[dict[str, Any]] = None) -> None:
        self.config = config or {}
        self.setup(self.config)

    def setup(self, config: dict[str, Any]) -> None:
        pass

    def step(self) -> dict[str, Any]:
        raise NotImplementedError

    def cleanup(self) -> None:
        pass


def with_parameters(trainable: Callable[..., Any], **kwargs: Any) -> Callable[..., Any]:
    """Passes large objects to the trainable by reference (Ray's ``tune.with_parameters``)."""
    if inspect.isclass(trainable) and issubclass(trainable, Trainable):
        class _WithParameters(trainable):  # type: ignore[misc, valid-type]
            def setup(self, config: dict[str, Any]) -> None:
                super().setup(config, **kwargs)  # type: ignore[call-arg]
        _WithParameters.__name__ = trainable.__name__
        return _WithParameters

    def inner(config: dict[str, Any]) -> Any:
        return trainable(config, **kwargs)  # type: ignore[call-arg]

    inner.__name__ = getattr(trainable, "__name__", "trainable")
    return inner


def with_resources(trainable: Any, resources: Union[dict[str, float], Callable[..., Any]]) -> Any:
    """Sets the resources a trial needs (Ray's ``tune.with_resources``): ``{"cpu": 2}`` runs at most
    num_cpus / 2 trials at once."""
    if callable(resources) and not isinstance(resources, dict):
        raise ValueError("swifttune's with_resources takes a dict such as {'cpu': 1}")
    trainable._swifttune_resources = dict(resources)  # type: ignore[union-attr]
    return trainable


def _run_trainable(trainable: Any, config: dict[str, Any]) -> Optional[dict[str, Any]]:
    if inspect.isclass(trainable) and issubclass(trainable, Trainable):
        obj = trainable(config)
        try:
            while True:
                result = obj.step()
                report(result)
                if isinstance(result, dict) and result.get("done"):
                    return None
                session = _session()
                if session is not None and session.stopped:
                    return None  # the engine stopped the trial: no further step()
        finally:
            obj.cleanup()
    out = trainable(config)
    return out if isinstance(out, dict) else None


# ---------------------------------------------------------------------------------------------
# One run of an experiment.


_run_serials = itertools.count()


class _Run:
    def __init__(self, tuner: "Tuner") -> None:
        self.tuner = tuner
        self.experiment: ExperimentHandle = tuner._experiment
        self.refs = tuner._refs
        self.name = tuner._name
        self.path = tuner._path
        self.verbose = tuner.run_config.verbose
        self.cpus_per_trial = float(getattr(tuner.trainable, "_swifttune_resources", {}).get("cpu", 1))
        self.python_results = tuner._python_results
        self.cond = threading.Condition()
        self.error: Optional[BaseException] = None
        self.last_print = time.time()
        self.lock = threading.Lock()
        self._trainable_bytes: Optional[bytes] = None
        # Identifies this run's trainable to pooled workers (never reused, unlike id(self)).
        self.serial = next(_run_serials)
        self.callbacks: list[Any] = list(tuner.run_config.callbacks or [])
        self.callback_lock = threading.Lock()
        self.infos: dict[str, TrialInfo] = {}
        self.iteration = 0
        self.checkpoint_config = tuner.run_config.checkpoint_config or CheckpointConfig()
        self.failure_config = tuner.run_config.failure_config or FailureConfig()
        self.state = StateWriter(self.path / STATE_FILE, self.render_state)
        self.warned: set[str] = set()

    def trial_info(self, trial_id: str, name: str, config: dict[str, Any], path: str) -> TrialInfo:
        with self.callback_lock:
            info = self.infos.get(trial_id)
            if info is None:
                info = self.infos[trial_id] = TrialInfo(trial_id, name, config, local_path=path)
            info.status = "RUNNING"
        self.callback("on_trial_start", info)
        return info

    def callback(self, hook: str, trial: Optional[TrialInfo], **kwargs: Any) -> None:
        """Calls `hook` on every callback that has it, one call at a time."""
        if not self.callbacks:
            return
        with self.callback_lock:
            self.iteration += 1
            trials = list(self.infos.values())
            for cb in self.callbacks:
                fn = getattr(cb, hook, None)
                if fn is None:
                    continue
                if hook == "on_experiment_end":
                    fn(trials=trials)
                else:
                    fn(iteration=self.iteration, trials=trials, trial=trial, **kwargs)

    def trial_name(self, trial_id: str, config: dict[str, Any]) -> str:
        return self.tuner._trial_name(trial_id, config)

    def trial_dir(self, trial_id: str, config: dict[str, Any]) -> Path:
        d = self.path / self.tuner._trial_dirname(trial_id, config)
        d.mkdir(parents=True, exist_ok=True)
        return d

    def log_result(self, s: _Session, result: dict[str, Any]) -> None:
        """Appends the result to the trial's result.json (JSON lines, with the configuration) and
        progress.csv (the columns of the first result)."""
        if s.result_file is None:
            s.result_file = open(s.trial_dir / "result.json", "a", encoding="utf-8")
            s.progress_file = open(s.trial_dir / "progress.csv", "a", newline="", encoding="utf-8")
            s.columns = list(result)
            s.progress_writer = csv.writer(s.progress_file)
            s.progress_writer.writerow(s.columns)
        line = _dumps(result)  # `result` has no "config" yet: it is spliced in as text
        if self.verbose >= 3:
            print(f"Trial {s.trial_name} reported {line}", flush=True)
        s.result_file.write(line[:-1] + ', "config": ' + s.config_json + "}\n" if line != "{}" else '{"config": ' + s.config_json + "}\n")
        s.progress_writer.writerow([_csv_value(result.get(k)) for k in s.columns])
        if "checkpoint_dir_name" in result:
            # The rows up to a checkpoint reach the files before a state naming it can be written:
            # a trial resumed from it finds them. (Rows after the latest checkpoint are reported
            # again on a resume; a finished trial's files are closed before the engine hears of it.)
            s.result_file.flush()
            s.progress_file.flush()  # type: ignore[union-attr]

    def render_state(self) -> str:
        """The state file: the Tuner's settings and the engine's JSON as it came (not re-encoded)."""
        head = json.dumps({"swifttune_tuner": 1, "name": self.name, "tune_config": self.tuner._config_summary(),
                           "run_config": self.tuner._run_config_summary()})
        return head[:-1] + ', "engine": ' + self.experiment.save() + "}"

    def run_trial(self, trial_id: str, config_text: str) -> None:
        config = self.tuner._decode(json.loads(config_text))
        s = _Session(self, trial_id, config)
        with open(s.trial_dir / "params.json", "w", encoding="utf-8") as f:
            json.dump(config, f, default=str)
        _local.session = s
        end, message, error = END_COMPLETED, None, None
        try:
            final = _run_trainable(self.tuner.trainable, config)
            if final is not None and not s.stopped:
                s.report(final)
        except _TrialStopped:
            pass
        except BaseException as e:  # noqa: BLE001 - a trial's failure is recorded, the run goes on
            if isinstance(e, KeyboardInterrupt):
                raise
            end, message, error = END_FAILED, "".join(traceback.format_exception(type(e), e, e.__traceback__)), e
        finally:
            _local.session = None
            s.close()
        self.end_trial(s, end, message, error)

    def end_trial(self, s: _Session, end: int, message: Optional[str], error: Optional[BaseException] = None) -> None:
        """Tells the engine how the trial's run ended (it decides whether a failed trial runs
        again) and asks for the experiment state to be saved."""
        if end == END_COMPLETED and s.stopped:
            end = END_STOPPED
        retried = False
        if end == END_FAILED:
            assert message is not None
            failures = len(self.failures_of(s)) + 1
            with open(s.trial_dir / "error.txt", "a", encoding="utf-8") as f:
                f.write(f"Failure # {failures} (occurred at {datetime.datetime.now():%Y-%m-%d_%H-%M-%S})\n{message}\n")
        elif s.results:
            s.results[-1]["done"] = True
        self.experiment.finish(s.trial_id, end, message)
        if end == END_FAILED:
            retried = self.experiment.trial(s.trial_id)["status"] == "PENDING"
        self.state.request()
        metric = self.tuner.tune_config.metric
        if end != END_FAILED and metric:
            self.warn_unusable_metric(s, metric)
        if retried:
            s.info.status = "PENDING"
            self.callback("on_trial_recover", s.info)
            limit = self.failure_config.max_failures
            logger.warning("Trial %s errored (failure %d; max_failures=%s); it runs again from %s.", s.trial_name,
                           len(self.failures_of(s)), limit, "its latest checkpoint" if s.checkpoint else "the start")
            return
        s.info.status = "ERROR" if end == END_FAILED else "TERMINATED"
        self.callback("on_trial_error" if end == END_FAILED else "on_trial_complete", s.info)
        if end == END_FAILED and self.failure_config.fail_fast:
            if self.failure_config._raises:
                with self.cond:
                    if self.error is None:
                        self.error = error if error is not None else TuneError(message or "trial failed")
                    self.cond.notify_all()
            else:
                logger.error("Trial %s failed and fail_fast=True: the experiment stops (its error is in "
                             "ResultGrid.errors).", s.trial_name)
        if self.verbose >= 2:
            # Ray's verbose=2: a line per finished trial (3 adds every result, printed in log_result).
            last = s.results[-1] if s.results else {}
            how = {END_COMPLETED: "completed", END_STOPPED: "stopped early", END_FAILED: "errored"}[end]
            shown = f" {metric}={last.get(metric)!r}" if metric and metric in last else ""
            print(f"Trial {s.trial_name} {how} after {len(s.results)} results.{shown}", flush=True)

    @staticmethod
    def failures_of(s: _Session) -> list[str]:
        path = s.trial_dir / "error.txt"
        if not path.is_file():
            return []
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("Failure # ")]

    def warn_unusable_metric(self, s: _Session, metric: str) -> None:
        """Ray's behaviour for a trial whose metric is missing, NaN or infinite: recorded, left
        out of "best", told to the searcher as a failure; said once per experiment and kind."""
        values = [r.get(metric) for r in s.results if metric in r]
        if not values:
            kind, text = "missing", f"Trial {s.trial_name} finished without reporting the metric '{metric}'"
        elif isinstance(values[-1], (int, float)) and not math.isfinite(values[-1]):
            kind, text = "nonfinite", f"Trial {s.trial_name} finished with {metric}={values[-1]}"
        else:
            return
        text += ("; it is recorded but never the best trial, and the searcher learns it as a failed trial "
                 "(further trials like this are not reported).")
        with self.callback_lock:
            if kind in self.warned:
                return
            self.warned.add(kind)
        logger.warning(text)

    def take_trials(self, run: Callable[[str, str], None]) -> None:
        """One executor loop: ask the engine for the next trial, run it with `run`, repeat; wait
        while a limit holds trials back; stop when the engine is finished (or a run broke)."""
        try:
            while self.error is None:
                with self.cond:
                    action, trial_id, config_text = self.experiment.next()
                    if action == NEXT_FINISHED:
                        self.cond.notify_all()
                        return
                    if action != NEXT_START:
                        self.cond.wait(timeout=0.5)
                        continue
                assert trial_id is not None and config_text is not None
                self.state.request()  # a trial started: a state change
                run(trial_id, config_text)
                with self.cond:
                    self.cond.notify_all()
                self.maybe_print()
        except BaseException as e:  # noqa: BLE001 - reported by fit()
            self.error = e
            with self.cond:
                self.cond.notify_all()

    def worker(self) -> None:
        """The thread executor: trials run on this thread."""
        self.take_trials(self.run_trial)

    def process_worker(self, index: int) -> None:
        """The process executor: trials run in a worker process this thread drives (replaced
        when it dies)."""
        worker: list[_WorkerProcess] = []

        def run(trial_id: str, config_text: str) -> None:
            failure = "no worker process could be started"
            for _ in range(3):
                if worker and not worker[0].alive():
                    worker.pop().close()
                if not worker:
                    worker.append(worker_pool.take())
                try:
                    worker[0].load(self.serial, self.trainable_bytes())
                    break
                except (EOFError, OSError, ConnectionError) as e:
                    failure = f"the worker process could not take the trial ({_exit_reason(worker[0].returncode()) or e})"
                    worker.pop().close()
            else:
                s = _Session(self, trial_id, self.tuner._decode(json.loads(config_text)))
                s.close()
                self.end_trial(s, END_FAILED, failure)
                return
            self.run_remote_trial(worker[0], trial_id, config_text)

        try:
            self.take_trials(run)
        finally:
            for w in worker:
                worker_pool.give_back(w)

    def trainable_bytes(self) -> bytes:
        """The trainable pickled once for every worker (cloudpickle: functions from __main__ by value)."""
        with self.lock:
            if self._trainable_bytes is None:
                import cloudpickle

                self._trainable_bytes = cloudpickle.dumps(self.tuner.trainable)
            return self._trainable_bytes

    def run_remote_trial(self, worker: "_WorkerProcess", trial_id: str, config_text: str) -> None:
        import cloudpickle

        config = self.tuner._decode(json.loads(config_text))
        s = _Session(self, trial_id, config)
        with open(s.trial_dir / "params.json", "w", encoding="utf-8") as f:
            json.dump(config, f, default=str)
        end, message, error = END_COMPLETED, None, None
        try:
            worker.conn.send(("run", trial_id, s.trial_name, str(s.trial_dir), cloudpickle.dumps(config),
                              s.resources, self.name, s.checkpoint.path if s.checkpoint else None, s.next_checkpoint))
            while True:
                msg = worker.conn.recv()
                if msg[0] == "report":
                    name = msg[2]
                    if name is not None:
                        s.next_checkpoint += 1
                        s.checkpoint = Checkpoint(s.trial_dir / name)
                    decision = s.record(pickle.loads(msg[1]), name)
                    if decision != CONTINUE:
                        s.stopped = True
                    worker.conn.send(("decision", decision))
                elif msg[0] == "done":
                    if msg[1] is not None and not s.stopped:
                        s.record(pickle.loads(msg[1]))
                    break
                else:
                    end, message = END_FAILED, msg[1]
                    if len(msg) > 2 and msg[2] is not None:
                        try:
                            error = pickle.loads(msg[2])
                        except Exception:  # noqa: BLE001 - an exception that does not unpickle here
                            error = None
                    break
        except (EOFError, OSError, ConnectionError):
            reason = _exit_reason(worker.returncode()) or "its connection broke"
            end, message = END_FAILED, f"The worker process running trial {s.trial_name} died: {reason}."
            worker.close()
        finally:
            s.close()
        self.end_trial(s, end, message, error)

    def maybe_print(self, final: bool = False) -> None:
        if self.verbose < 1:
            return
        now = time.time()
        if not final and now - self.last_print < 5.0:
            return
        self.last_print = now
        print(self.tuner._status_table(final), flush=True)


class _WorkerProcess:
    """One worker process (``python -m swifttune.tune._worker``) and its connection."""

    def __init__(self) -> None:
        import socket
        import subprocess
        from multiprocessing.connection import Connection

        parent, child = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.proc = subprocess.Popen([sys.executable, "-m", "swifttune.tune._worker", str(child.fileno())],
                                     pass_fds=[child.fileno()], env=env)
        child.close()
        self.conn = Connection(parent.detach())
        self.trainable_id: Optional[int] = None
        self.ready = False

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Waits for the worker's "ready" (sent once its imports are done)."""
        if not self.ready and self.conn.poll(timeout):
            msg = self.conn.recv()
            self.ready = msg == ("ready",)

    def load(self, trainable_id: int, trainable_bytes: bytes) -> None:
        """Sends the trainable (once per experiment)."""
        self.wait_ready()
        if self.trainable_id != trainable_id:
            self.conn.send(("trainable", trainable_bytes))
            self.trainable_id = trainable_id

    def alive(self) -> bool:
        return self.proc.poll() is None and not self.conn.closed

    def returncode(self) -> Optional[int]:
        try:
            return self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001
            return None

    def close(self) -> None:
        try:
            if not self.conn.closed:
                self.conn.send(("exit",))
                self.conn.close()
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001
            self.proc.kill()


class _WorkerPool:
    """Idle worker processes, reused across trials and experiments; ``swifttune.init`` starts
    ``num_cpus`` of them ahead (as ``ray.init`` starts Ray's workers)."""

    def __init__(self) -> None:
        self._idle: list[_WorkerProcess] = []
        self._lock = threading.Lock()

    def prestart(self, n: int) -> None:
        """Starts workers until `n` are idle, and waits until they are ready."""
        with self._lock:
            self._idle = [w for w in self._idle if w.alive()]
            while len(self._idle) < n:
                self._idle.append(_WorkerProcess())
            idle = list(self._idle)
        for w in idle:  # started together, then waited for
            w.wait_ready()

    def take(self) -> _WorkerProcess:
        with self._lock:
            while self._idle:
                w = self._idle.pop()
                if w.alive():
                    return w
                w.close()
        return _WorkerProcess()

    def give_back(self, w: _WorkerProcess) -> None:
        if w.alive():
            with self._lock:
                self._idle.append(w)
        else:
            w.close()

    def close_all(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for w in idle:
            w.close()


worker_pool = _WorkerPool()
import atexit  # noqa: E402

atexit.register(worker_pool.close_all)


@dataclass
class _TrialView:
    trial_id: str
    config: dict[str, Any]

    def __str__(self) -> str:
        return self.trial_id


class Tuner:
    """Ray Tune's ``Tuner``: ``Tuner(trainable, param_space=..., tune_config=..., run_config=...).fit()``."""

    def __init__(self, trainable: Any = None, *, param_space: Optional[dict[str, Any]] = None,
                 tune_config: Optional[TuneConfig] = None, run_config: Optional[RunConfig] = None,
                 _restored: Optional[dict[str, Any]] = None) -> None:
        if trainable is None or not callable(trainable):
            raise ValueError("Tuner needs a trainable (a function or a tune.Trainable class), got "
                             f"{type(trainable).__name__}")
        if param_space is not None and not isinstance(param_space, dict):
            raise TypeError(f"`param_space` must be a dict, got {type(param_space).__name__}")
        if tune_config is not None and not isinstance(tune_config, TuneConfig):
            raise TypeError(f"`tune_config` must be a tune.TuneConfig, got {type(tune_config).__name__}")
        if run_config is not None and not isinstance(run_config, RunConfig):
            raise TypeError(f"`run_config` must be a tune.RunConfig, got {type(run_config).__name__}")
        self.trainable = trainable
        self.param_space = param_space or {}
        self.tune_config = tune_config or TuneConfig()
        self.run_config = run_config or RunConfig()
        self._python_results: dict[str, list[dict[str, Any]]] = {}
        self._refs: list[Any] = []
        self._restored = _restored
        self._constants: dict[str, Any] = {}
        tc = self.tune_config
        if tc.mode is not None and tc.mode not in ("min", "max"):
            raise ValueError("`mode` must be one of ['min', 'max']")
        if tc.executor not in ("process", "thread"):
            raise ValueError(f"executor must be 'process' or 'thread', got {tc.executor!r}")
        base = self._trainable_name = getattr(trainable, "__name__", "trainable")
        self._name = self.run_config.name or f"{base}_{datetime.datetime.now():%Y-%m-%d_%H-%M-%S}_{uuid.uuid4().hex[:4]}"
        root = Path(self.run_config.storage_path or os.path.expanduser("~/swifttune_results"))
        self._path = root / self._name
        self._experiment: ExperimentHandle
        self._scheduler_name = "FIFO"
        self._resume_options: dict[str, str] = {"unfinished": "resume", "errored": "skip"}

    # -- restore ---------------------------------------------------------------------------

    @classmethod
    def can_restore(cls, path: Union[str, os.PathLike[str]]) -> bool:
        """Whether ``path`` holds an experiment that ``Tuner.restore`` can continue."""
        return (Path(path) / STATE_FILE).is_file()

    @classmethod
    def restore(cls, path: Union[str, os.PathLike[str]], trainable: Any, resume_unfinished: bool = True,
                resume_errored: bool = False, restart_errored: bool = False,
                param_space: Optional[dict[str, Any]] = None) -> "Tuner":
        """Continues the experiment saved at ``path`` (Ray's ``Tuner.restore``): finished trials
        keep their results; unfinished ones run again from their latest checkpoint (or end as they
        stand with ``resume_unfinished=False``); ERROR trials stay, or run again from their latest
        checkpoint (``resume_errored``) or from the start (``restart_errored``). The searcher goes
        on without repeating a suggestion and ``num_samples`` counts the trials made before."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"`path` must be a str or os.PathLike, got {type(path).__name__}")
        for name, flag in (("resume_unfinished", resume_unfinished), ("resume_errored", resume_errored),
                           ("restart_errored", restart_errored)):
            if not isinstance(flag, bool):
                raise TypeError(f"`{name}` must be a bool, got {type(flag).__name__}")
        p = Path(path)
        if not cls.can_restore(p):
            raise ValueError(f"Could not find an experiment state file ({STATE_FILE}) in {p}")
        try:
            with open(p / STATE_FILE, encoding="utf-8") as f:
                saved = json.load(f)
            engine = saved["engine"]
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"The experiment state file {p / STATE_FILE} is not a swifttune experiment state: {e}") from e
        tc = saved.get("tune_config", {})
        rcs = saved.get("run_config", {})
        fcs, ccs = rcs.get("failure_config") or {}, rcs.get("checkpoint_config") or {}
        tuner = cls(trainable, param_space=param_space,
                    tune_config=TuneConfig(metric=tc.get("metric"), mode=tc.get("mode"),
                                           num_samples=tc.get("num_samples", 1), executor=tc.get("executor", "process"),
                                           max_concurrent_trials=tc.get("max_concurrent_trials")),
                    run_config=RunConfig(name=p.name, storage_path=str(p.parent), verbose=rcs.get("verbose", 0),
                                         failure_config=FailureConfig(**fcs) if fcs else None,
                                         checkpoint_config=CheckpointConfig(**ccs) if ccs else None),
                    _restored=engine)
        tuner._resume_options = {"unfinished": "resume" if resume_unfinished else "skip",
                                 "errored": "resume" if resume_errored else ("restart" if restart_errored else "skip")}
        if param_space is not None:
            # Python-side values (objects, sample_from) come back from the param_space, in the
            # order they were numbered when the experiment started.
            from .._space import space_document

            space_document(param_space, tuner._refs)
        if (p / _PICKLE_FILE).is_file():
            # What only Python knew, as it was pickled when the experiment started.
            import cloudpickle

            try:
                with open(p / _PICKLE_FILE, "rb") as f:
                    pickled = cloudpickle.load(f)
            except Exception as e:  # noqa: BLE001 - say what to do instead
                raise ValueError(f"The Python side of the experiment saved in {p / _PICKLE_FILE} could not be loaded "
                                 f"({type(e).__name__}: {e}); pass the experiment's param_space to Tuner.restore.") from e
            if param_space is None:
                tuner._refs = pickled["refs"]
            tuner._constants = pickled["constants"]
            tuner.tune_config.trial_name_creator = pickled["trial_name_creator"]
            tuner.tune_config.trial_dirname_creator = pickled["trial_dirname_creator"]
        tuner._trainable_name = tc.get("trainable_name", tuner._trainable_name)
        tuner._build()
        return tuner

    # -- fit -------------------------------------------------------------------------------

    def _config_summary(self) -> dict[str, Any]:
        tc = self.tune_config
        return {"metric": tc.metric, "mode": tc.mode, "num_samples": tc.num_samples, "executor": tc.executor,
                "max_concurrent_trials": tc.max_concurrent_trials, "trainable_name": self._trainable_name}

    def _run_config_summary(self) -> dict[str, Any]:
        rc = self.run_config
        fc, cc = rc.failure_config or FailureConfig(), rc.checkpoint_config or CheckpointConfig()
        return {"verbose": rc.verbose, "failure_config": {"max_failures": fc.max_failures, "fail_fast": fc.fail_fast},
                "checkpoint_config": {"num_to_keep": cc.num_to_keep, "checkpoint_score_attribute": cc.checkpoint_score_attribute,
                                      "checkpoint_score_order": cc.checkpoint_score_order}}

    def _build(self) -> None:
        from .._lib import SearcherHandle  # local: keeps import-time light

        if self._restored is not None:
            self._experiment = ExperimentHandle(lib.call_handle("st_experiment_resume", dumps(self._restored),
                                                                dumps(self._resume_options)))
            cfg = self._restored["config"]
            self.tune_config.metric, self.tune_config.mode = cfg["metric"], cfg["mode"]
            return
        tc, rc = self.tune_config, self.run_config
        search = tc.search_alg if tc.search_alg is not None else BasicVariantGenerator()
        if not isinstance(search, Searcher):
            raise ValueError(f"search_alg must be a swifttune Searcher, got {type(search).__name__}")
        metric = tc.metric or search.metric
        mode = tc.mode or search.mode
        if metric is None or mode is None:
            raise ValueError(
                "You must pass `metric` and `mode` to `tune.TuneConfig` (or to the search algorithm): swifttune "
                "needs them to rank trials."
            )
        inner = search.searcher if isinstance(search, ConcurrencyLimiter) else search
        if inner._space is None and not self.param_space:
            raise ValueError("The Tuner needs a `param_space`, or a search algorithm with its own `space`.")
        num_samples = tc.num_samples
        grids = grid_paths(self.param_space) if isinstance(inner, BasicVariantGenerator) else []
        space_for_search: Any = self.param_space
        if grids:
            # Ray's BasicVariantGenerator: every grid combination, num_samples times; the Swift
            # searcher gets each grid as a choice and the combinations as points to evaluate.
            import itertools

            for path, g in grids:
                space_for_search = replace_at(space_for_search, path, Categorical(g.values))
            combos = list(itertools.product(*[g.values for _, g in grids]))
            points = []
            for _ in range(max(num_samples, 1)):
                for combo in combos:
                    point: dict[str, Any] = {}
                    for (path, _), value in zip(grids, combo):
                        point = _set_path(point, path, value)
                    points.append(point)
            inner._points = points + list(inner._points)
            num_samples = len(points)
        if not search.set_search_properties(metric, mode, space_for_search):
            raise ValueError(
                "You passed a `param_space` with search domains to the Tuner, but the search algorithm was "
                "already instantiated with a search space. Make sure to supply the search space only once."
            )
        if inner._space is not space_for_search and isinstance(self.param_space, dict) and self.param_space:
            # The searcher has its own space: param_space constants are merged into every configuration.
            self._constants = dict(self.param_space)
        spec = search._spec()
        self._refs = inner._refs
        searcher = SearcherHandle(lib.call_handle("st_searcher_new", dumps(spec)))
        scheduler_obj = tc.scheduler or FIFOScheduler()
        if not isinstance(scheduler_obj, TrialScheduler):
            raise ValueError(f"scheduler must be a swifttune TrialScheduler, got {type(scheduler_obj).__name__}")
        self._scheduler_name = scheduler_obj._describe()
        scheduler = SchedulerHandle(lib.call_handle("st_scheduler_new", dumps(scheduler_obj._spec())))
        fc = rc.failure_config or FailureConfig()
        config = {"metric": metric, "mode": mode, "num_samples": num_samples,
                  "max_concurrent_trials": tc.max_concurrent_trials, "stop": rc.stop or {},
                  "time_budget_s": tc.time_budget_s, "max_failures": fc.max_failures, "fail_fast": bool(fc.fail_fast)}
        try:
            self._experiment = ExperimentHandle(lib.call_handle("st_experiment_new", dumps(config), searcher.p, scheduler.p))
        finally:
            searcher.close()
            scheduler.close()
        tc.metric, tc.mode = metric, mode

    def _concurrency(self) -> int:
        from .. import _cpus

        cpus_per_trial = float(getattr(self.trainable, "_swifttune_resources", {}).get("cpu", 1)) or 1
        n = max(1, int(_cpus() // cpus_per_trial)) if cpus_per_trial > 0 else _cpus()
        tc = self.tune_config
        if tc.max_concurrent_trials:
            n = min(n, tc.max_concurrent_trials)
        alg = tc.search_alg
        if isinstance(alg, ConcurrencyLimiter):
            n = min(n, alg.max_concurrent)
        if tc.num_samples > 0:
            n = min(n, tc.num_samples)
        return max(1, n)

    def fit(self) -> ResultGrid:
        """Runs the experiment to its end and returns its results."""
        if not hasattr(self, "_experiment"):
            self._build()
        self._path.mkdir(parents=True, exist_ok=True)
        if self._restored is None:
            self._save_python_side()
        if self.tune_config.executor == "process":
            import importlib.util

            if importlib.util.find_spec("cloudpickle") is None:
                raise ImportError("The process executor ships trainables with cloudpickle: pip install cloudpickle, "
                                  "or use tune.TuneConfig(executor='thread').")
        run = _Run(self)
        target = run.worker if self.tune_config.executor == "thread" else run.process_worker
        workers = [threading.Thread(target=target, args=() if target == run.worker else (i,),
                                    name=f"swifttune-trial-{i}", daemon=True)
                   for i in range(self._concurrency())]
        for w in workers:
            w.start()
        try:
            for w in workers:
                w.join()
        finally:
            run.state.close()  # the final state, on disk before fit returns or raises
        if run.error is not None:
            raise run.error
        run.callback("on_experiment_end", None)
        run.maybe_print(final=True)
        return self._grid()

    def _save_python_side(self) -> None:
        """What only Python knows, pickled beside the state (as Ray pickles its experiment): the
        search space's Python values (objects, functions), constants merged into configurations,
        and the trial name creators, so ``Tuner.restore`` needs no more than the trainable."""
        tc = self.tune_config
        try:
            import cloudpickle

            data = cloudpickle.dumps({"refs": self._refs, "constants": self._constants,
                                      "trial_name_creator": tc.trial_name_creator,
                                      "trial_dirname_creator": tc.trial_dirname_creator})
        except Exception as e:  # noqa: BLE001 - restoring then needs the param_space
            logger.warning("The search space's Python values could not be pickled (%s: %s); Tuner.restore will "
                           "need param_space=...", type(e).__name__, e)
            return
        write_atomically(self._path / _PICKLE_FILE, data)

    def get_results(self) -> ResultGrid:
        """The results so far (of a restored experiment: what was saved)."""
        if not hasattr(self, "_experiment"):
            self._build()
        return self._grid()

    def _grid(self) -> ResultGrid:
        trials = self._experiment.trials()
        results = []
        for t in trials:
            config = self._decode(t["configuration"])
            py = self._python_results.get(t["id"]) or self._saved_results(t, config)
            trial_dir = self._path / self._trial_dirname(t["id"], config)
            kept = best_checkpoints(trial_dir, py, self.run_config.checkpoint_config or CheckpointConfig()) \
                if t.get("checkpoint") or any("checkpoint_dir_name" in r for r in py) else []
            latest = Checkpoint(trial_dir / t["checkpoint"]) if t.get("checkpoint") else None
            results.append(Result(trial_id=t["id"], config=config, history=py, status=t["status"],
                                  error_text=t["error"], path=str(trial_dir), checkpoint=latest, best_checkpoints=kept))
        return ResultGrid(results, self._experiment, self.tune_config.metric, self.tune_config.mode, self._path)

    def _decode(self, config: Any) -> Any:
        """A configuration from the engine as the trainable sees it."""
        out = decode_configuration(config, self._refs)
        if self._constants and isinstance(out, dict):
            out = {**self._constants, **out}
        return out

    def _saved_results(self, t: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]]:
        """A trial's results from its result.json (a restored experiment), else from the engine."""
        path = self._path / self._trial_dirname(t["id"], config) / "result.json"
        if path.is_file():
            with open(path, encoding="utf-8") as f:
                rows = [json.loads(line) for line in f if line.strip()]
            if len(rows) >= len(t["results"]):
                rows = rows[: len(t["results"])]
                if rows:
                    rows[-1]["done"] = True
                return rows
        return [dict(r) for r in t["results"]]

    def _trial_name(self, trial_id: str, config: Any) -> str:
        """Ray's trial name: `trial_name_creator(trial)`, or the trainable's name and the trial number."""
        creator = self.tune_config.trial_name_creator
        if creator is not None:
            return str(creator(_TrialView(trial_id, config)))
        return f"{self._trainable_name}_{trial_id.split('_')[-1]}"

    def _trial_dirname(self, trial_id: str, config: dict[str, Any]) -> str:
        tc = self.tune_config
        view = _TrialView(trial_id, config)
        if tc.trial_dirname_creator:
            return str(tc.trial_dirname_creator(view))
        return self._trial_name(trial_id, config)

    # -- console ---------------------------------------------------------------------------

    def _status_table(self, final: bool) -> str:
        trials = self._experiment.trials()
        metric = self.tune_config.metric
        counts: dict[str, int] = {}
        for t in trials:
            counts[t["status"]] = counts.get(t["status"], 0) + 1
        out = io.StringIO()
        out.write("\nTrial status: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "\n")
        out.write(f"Using {self._scheduler_name} scheduling algorithm.\n")
        from .. import _cpus

        cpus_per_trial = float(getattr(self.trainable, "_swifttune_resources", {}).get("cpu", 1))
        running = counts.get("RUNNING", 0)
        out.write(f"Logical resource usage: {running * cpus_per_trial:.1f}/{_cpus()} CPUs, 0/0 GPUs\n")
        best = self._experiment.best_trial(None, None, "last", True)
        if best is not None and metric and best.get("last_result"):
            out.write(f"Current best trial: {self._trial_name(best['id'], best['configuration'])} with {metric}={best['last_result'].get(metric)} "
                      f"and params={json.dumps(best['configuration'], default=str)}\n")
        keys = _flat_keys([t["configuration"] for t in trials[:20]])
        header = ["Trial name", "status"] + keys + ([metric] if metric else []) + ["iter", "total time (s)"]
        rows = []
        shown = trials if final and len(trials) <= 20 else trials[:20]
        for t in shown:
            flat = _flatten(t["configuration"])
            last = t.get("last_result") or {}
            rows.append([self._trial_name(t["id"], t["configuration"]), t["status"]] + [_fmt(flat.get(k)) for k in keys]
                        + ([_fmt(last.get(metric))] if metric else [])
                        + [_fmt(last.get("training_iteration")), _fmt(last.get("time_total_s"))])
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else [len(h) for h in header]
        out.write("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |\n")
        for r in rows:
            out.write("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |\n")
        if len(trials) > len(shown):
            out.write(f"... {len(trials) - len(shown)} more trials not shown\n")
        return out.getvalue()


def _exit_reason(code: Optional[int]) -> Optional[str]:
    """How a worker process ended, in words: its exit code, or the signal that killed it."""
    if code is None:
        return None
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        extra = " (sent by another process, or by the kernel's out-of-memory killer)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{extra}"
    return f"exit code {code}"


def _set_path(d: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = dict(d)
    if len(path) == 1:
        out[path[0]] = value
    else:
        out[path[0]] = _set_path(out.get(path[0], {}), path[1:], value)
    return out


_encoder = json.JSONEncoder(default=str)


def _dumps(value: Any) -> str:
    return _encoder.encode(value)


def _csv_value(v: Any) -> Any:
    t = type(v)
    if t is float or t is int or t is str:
        return v
    return json.dumps(v) if isinstance(v, (dict, list)) else ("" if v is None else v)


def _flat_keys(configs: list[Any]) -> list[str]:
    keys: list[str] = []
    for c in configs:
        for k in _flatten(c):
            if k not in keys:
                keys.append(k)
    return sorted(keys)


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
