"""``tune.Tuner``: runs trainables under the Swift engine, which decides what runs and when it stops."""
from __future__ import annotations

import csv
import datetime
import inspect
import itertools
import io
import json
import os
import pickle
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
from .result_grid import Result, ResultGrid, _flatten
from .schedulers import FIFOScheduler, TrialScheduler
from .search import BasicVariantGenerator, ConcurrencyLimiter, Searcher

__all__ = ["Tuner", "TuneConfig", "RunConfig", "FailureConfig", "report", "get_context", "TuneContext", "Trainable",
           "with_parameters", "with_resources", "Callback", "TrialInfo"]

STATE_FILE = "experiment_state.json"


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


@dataclass
class FailureConfig:
    """Ray's ``FailureConfig`` (retries arrive with fault tolerance; accepted and kept here)."""

    max_failures: int = 0
    fail_fast: bool = False


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
    def __init__(self, run: "_Run", trial_id: str, config: dict[str, Any]) -> None:
        self.run = run
        self.trial_id = trial_id
        self.trial_name = run.trial_name(trial_id, config)
        self.config = config
        self.trial_dir = run.trial_dir(trial_id, config)
        self.resources = {"cpu": run.cpus_per_trial}
        self.start = time.time()
        self.last = self.start
        self.iteration = 0
        self.stopped = False
        self.results: list[dict[str, Any]] = run.python_results.setdefault(trial_id, [])
        self.result_file: Optional[io.TextIOWrapper] = None
        self.progress_file: Optional[io.TextIOWrapper] = None
        self.progress_writer: Any = None
        self.info = run.trial_info(trial_id, self.trial_name, config, str(self.trial_dir))
        self.columns: list[str] = []
        self.config_json = "null"

    def close(self) -> None:
        for f in (self.result_file, self.progress_file):
            if f is not None:
                f.close()

    def report(self, metrics: dict[str, Any]) -> None:
        """tune.report in a thread-executor trial: the next report after a stop ends the trial."""
        if self.stopped:
            raise _TrialStopped()
        if not isinstance(metrics, dict):
            raise ValueError(f"tune.report expects a dict of metrics, got {type(metrics).__name__}")
        if self.record(metrics) != CONTINUE:
            self.stopped = True

    def record(self, metrics: dict[str, Any]) -> int:
        """Adds Ray's automatic fields, tells the engine, logs the result; the engine's decision."""
        now = time.time()
        self.iteration += 1
        result = dict(metrics)
        result.setdefault("training_iteration", self.iteration)
        result.setdefault("time_total_s", now - self.start)
        result["time_this_iter_s"] = now - self.last
        self.last = now
        decision = self.run.experiment.report(self.trial_id, metrics_for_engine(result))
        result["trial_id"] = self.trial_id
        result["timestamp"] = int(now)
        result["done"] = False
        self.run.log_result(self, result)
        if self.run.callbacks:
            self.info.last_result = result
            self.run.callback("on_trial_result", self.info, result=result)
        result["config"] = self.config
        self.results.append(result)
        return decision


_local = threading.local()


def _session() -> Optional[_Session]:
    return getattr(_local, "session", None)


def report(metrics: dict[str, Any], *, checkpoint: Any = None) -> None:
    """Reports a result of the current trial (Ray's ``tune.report``). Once the engine has stopped
    the trial, the next report ends it."""
    s = _session()
    if s is None:
        raise RuntimeError("tune.report() can only be called inside a trial run by swifttune's Tuner")
    s.report(metrics)


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
        return trainable(config, **kwargs)

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
        self.last_save = 0.0
        self.last_print = time.time()
        self.lock = threading.Lock()
        self._trainable_bytes: Optional[bytes] = None
        # Identifies this run's trainable to pooled workers (never reused, unlike id(self)).
        self.serial = next(_run_serials)
        self.callbacks: list[Any] = list(tuner.run_config.callbacks or [])
        self.callback_lock = threading.Lock()
        self.infos: dict[str, TrialInfo] = {}
        self.iteration = 0

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
            s.config_json = json.dumps(s.config, default=str)
        line = _dumps(result)  # `result` has no "config" yet: it is spliced in as text
        if self.verbose >= 3:
            print(f"Trial {s.trial_name} reported {line}", flush=True)
        s.result_file.write(line[:-1] + ', "config": ' + s.config_json + "}\n" if line != "{}" else '{"config": ' + s.config_json + "}\n")
        s.progress_writer.writerow([_csv_value(result.get(k)) for k in s.columns])

    def save_state(self, force: bool = False) -> None:
        now = time.time()
        with self.lock:
            if not force and now - self.last_save < 2.0:
                return
            self.last_save = now
            state = self.experiment.save()
            tmp = self.path / (STATE_FILE + ".tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                head = json.dumps({"swifttune_tuner": 1, "name": self.name, "tune_config": self.tuner._config_summary()})
                f.write(head[:-1] + ', "engine": ' + state + "}")  # the engine's JSON as it came, not re-encoded
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path / STATE_FILE)

    def run_trial(self, trial_id: str, config_text: str) -> None:
        config = self.tuner._decode(json.loads(config_text))
        s = _Session(self, trial_id, config)
        with open(s.trial_dir / "params.json", "w", encoding="utf-8") as f:
            json.dump(config, f, default=str)
        _local.session = s
        end, message = END_COMPLETED, None
        try:
            final = _run_trainable(self.tuner.trainable, config)
            if final is not None and not s.stopped:
                s.report(final)
        except _TrialStopped:
            pass
        except BaseException as e:  # noqa: BLE001 - a trial's failure is recorded, the run goes on
            if isinstance(e, KeyboardInterrupt):
                raise
            end, message = END_FAILED, "".join(traceback.format_exception(type(e), e, e.__traceback__))
            (s.trial_dir / "error.txt").write_text(message, encoding="utf-8")
        finally:
            _local.session = None
            s.close()
        self.end_trial(s, end, message)

    def end_trial(self, s: _Session, end: int, message: Optional[str]) -> None:
        """Tells the engine how the trial's run ended and saves the experiment state."""
        if end == END_COMPLETED and s.stopped:
            end = END_STOPPED
        if s.results:
            s.results[-1]["done"] = True
        self.experiment.finish(s.trial_id, end, message)
        s.info.status = "ERROR" if end == END_FAILED else "TERMINATED"
        self.callback("on_trial_error" if end == END_FAILED else "on_trial_complete", s.info)
        if self.verbose >= 2:
            # Ray's verbose=2: a line per finished trial (3 adds every result, printed in log_result).
            last = s.results[-1] if s.results else {}
            how = {END_COMPLETED: "completed", END_STOPPED: "stopped early", END_FAILED: "errored"}[end]
            metric = self.tuner.tune_config.metric
            shown = f" {metric}={last.get(metric)!r}" if metric and metric in last else ""
            print(f"Trial {s.trial_name} {how} after {len(s.results)} results.{shown}", flush=True)
        self.save_state()

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
            if worker and not worker[0].alive():
                worker.pop().close()
            if not worker:
                worker.append(worker_pool.take())
            worker[0].load(self.serial, self.trainable_bytes())
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
        end, message = END_COMPLETED, None
        try:
            worker.conn.send(("run", trial_id, s.trial_name, str(s.trial_dir), cloudpickle.dumps(config),
                              s.resources, self.name))
            while True:
                msg = worker.conn.recv()
                if msg[0] == "report":
                    decision = s.record(pickle.loads(msg[1]))
                    if decision != CONTINUE:
                        s.stopped = True
                    worker.conn.send(("decision", decision))
                elif msg[0] == "done":
                    if msg[1] is not None and not s.stopped:
                        s.record(pickle.loads(msg[1]))
                    break
                else:
                    end, message = END_FAILED, msg[1]
                    break
        except (EOFError, OSError, ConnectionError):
            code = worker.returncode()
            end, message = END_FAILED, f"the worker process running this trial died (exit code {code})"
            worker.close()
        finally:
            s.close()
        if message:
            (s.trial_dir / "error.txt").write_text(message, encoding="utf-8")
        self.end_trial(s, end, message)

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
        if trainable is None:
            raise ValueError("Tuner needs a trainable (a function or a tune.Trainable class)")
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
        base = getattr(trainable, "__name__", "trainable")
        self._name = self.run_config.name or f"{base}_{datetime.datetime.now():%Y-%m-%d_%H-%M-%S}_{uuid.uuid4().hex[:4]}"
        root = Path(self.run_config.storage_path or os.path.expanduser("~/swifttune_results"))
        self._path = root / self._name
        self._experiment: ExperimentHandle
        self._scheduler_name = "FIFO"

    # -- restore ---------------------------------------------------------------------------

    @classmethod
    def can_restore(cls, path: Union[str, os.PathLike[str]]) -> bool:
        """Whether ``path`` holds an experiment that ``Tuner.restore`` can continue."""
        return (Path(path) / STATE_FILE).is_file()

    @classmethod
    def restore(cls, path: Union[str, os.PathLike[str]], trainable: Any, **kwargs: Any) -> "Tuner":
        """Continues the experiment saved at ``path``: finished trials keep their results, unfinished
        ones run again, the searcher goes on without repeating suggestions."""
        p = Path(path)
        if not cls.can_restore(p):
            raise ValueError(f"Could not find an experiment state file in {p}")
        with open(p / STATE_FILE, encoding="utf-8") as f:
            saved = json.load(f)
        tc = saved.get("tune_config", {})
        param_space = kwargs.get("param_space")
        tuner = cls(trainable, param_space=param_space,
                    tune_config=TuneConfig(metric=tc.get("metric"), mode=tc.get("mode")),
                    run_config=RunConfig(name=p.name, storage_path=str(p.parent), verbose=kwargs.get("verbose", 0)),
                    _restored=saved["engine"])
        if param_space is not None:
            # Python-side values (objects, sample_from) come back from the param_space, in the
            # order they were numbered when the experiment started.
            from .._space import space_document

            space_document(param_space, tuner._refs)
        tuner._build()
        return tuner

    # -- fit -------------------------------------------------------------------------------

    def _config_summary(self) -> dict[str, Any]:
        tc = self.tune_config
        return {"metric": tc.metric, "mode": tc.mode, "num_samples": tc.num_samples}

    def _build(self) -> None:
        from .._lib import SearcherHandle  # local: keeps import-time light

        if self._restored is not None:
            self._experiment = ExperimentHandle(lib.call_handle("st_experiment_restore", dumps(self._restored)))
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
        config = {"metric": metric, "mode": mode, "num_samples": num_samples,
                  "max_concurrent_trials": tc.max_concurrent_trials, "stop": rc.stop or {},
                  "time_budget_s": tc.time_budget_s}
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
        for w in workers:
            w.join()
        run.save_state(force=True)
        if run.error is not None:
            raise run.error
        run.callback("on_experiment_end", None)
        run.maybe_print(final=True)
        return self._grid()

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
            results.append(Result(trial_id=t["id"], config=config, history=py, status=t["status"],
                                  error_text=t["error"], path=str(self._path / self._trial_dirname(t["id"], config))))
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
        return f"{getattr(self.trainable, '__name__', 'trainable')}_{trial_id.split('_')[-1]}"

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
