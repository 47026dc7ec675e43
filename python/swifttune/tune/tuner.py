"""``tune.Tuner``: runs trainables under the Swift engine, which decides what runs and when it stops."""
from __future__ import annotations

import datetime
import json
import logging
import os
import threading
import uuid
import warnings
from pathlib import Path
from typing import Any, Optional, Union

from .._lib import ExperimentHandle
from .._space import decode_configuration
from ._internal.executors import ProcessExecutor, ThreadExecutor
from ._internal.interrupt import catching_interrupts, interrupted_message
from ._internal.driver_lock import DriverLock
from ._internal.folder_trust import check_trusted
from ._internal.experiment_builder import build_experiment, executor_threads
from ._internal.restore import load_python_side, read_state, save_python_side
from ._internal.trial_events import drain as drain_events
from ._internal.run import ExperimentRun
from ._internal.state import STATE_FILE
from .checkpoint import Checkpoint, CheckpointConfig, best_checkpoints
from .experiment.trial import Trial, experiment_tag
from .impl.config import FailureConfig, RunConfig, local_storage_path
from .result_grid import Result, ResultGrid
from .._resources import trial_resources
from .tune_config import TuneConfig

__all__ = ["Tuner"]

logger = logging.getLogger("swifttune.tune")


class Tuner:
    """Ray Tune's ``Tuner``: ``Tuner(trainable, param_space=..., tune_config=..., run_config=...).fit()``."""

    _entrypoint = "Tuner(...)"
    """How Ray's messages name the entry point (``tune.run`` and ``run_experiments`` set theirs)."""
    _interrupted = False
    """Whether the last ``fit`` was interrupted (Ctrl-C / SIGUSR1; interrupt.py)."""

    def __init__(self, trainable: Any = None, *, param_space: Optional[dict[str, Any]] = None,
                 tune_config: Optional[TuneConfig] = None, run_config: Optional[RunConfig] = None,
                 _restored: Optional[dict[str, Any]] = None) -> None:
        registered_name: Optional[str] = None
        if isinstance(trainable, str):
            from .registry import get_trainable_cls

            registered_name, trainable = trainable, get_trainable_cls(trainable)
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
        self._ray_resources: Optional[dict[str, float]] = None  # the Ray cluster's totals (executor="ray")
        self._refs: list[Any] = []
        self._restored = _restored
        self._constants: dict[str, Any] = {}
        self._total_num_samples: Optional[int] = None  # trials asked for (grid combinations included): Callback.setup
        tc = self.tune_config
        if tc.mode is not None and tc.mode not in ("min", "max"):
            raise ValueError("`mode` must be one of ['min', 'max']")
        if tc.executor not in ("process", "thread", "ray"):
            raise ValueError(f"executor must be 'process', 'thread' or 'ray', got {tc.executor!r}")
        base = self._trainable_name = registered_name or getattr(trainable, "__name__", "trainable")
        self._name = self.run_config.name or f"{base}_{datetime.datetime.now():%Y-%m-%d_%H-%M-%S}_{uuid.uuid4().hex[:4]}"
        root = Path(local_storage_path(self.run_config.storage_path) or os.path.expanduser("~/swifttune_results"))
        self._path = root / self._name
        self._experiment: ExperimentHandle
        self._scheduler_name = "FIFO"
        self._resume_options: dict[str, str] = {"unfinished": "resume", "errored": "skip"}
        """The metric and mode the progress output shows when they differ from the engine's
        (``tune.run`` without a metric)."""

    # -- restore ---------------------------------------------------------------------------

    @classmethod
    def can_restore(cls, path: Union[str, os.PathLike[str]], storage_filesystem: Any = None) -> bool:
        """Whether ``path`` holds an experiment that ``Tuner.restore`` can continue."""
        _refuse_filesystem(storage_filesystem)
        return (Path(path) / STATE_FILE).is_file()

    @classmethod
    def restore(cls, path: Union[str, os.PathLike[str]], trainable: Any, resume_unfinished: bool = True,
                resume_errored: bool = False, restart_errored: bool = False,
                param_space: Optional[dict[str, Any]] = None, storage_filesystem: Any = None) -> "Tuner":
        """Continues the experiment saved at ``path`` (Ray's ``Tuner.restore``): finished trials
        keep their results; unfinished ones run again from their latest checkpoint (or end as they
        stand with ``resume_unfinished=False``); ERROR trials stay, or run again from their latest
        checkpoint (``resume_errored``) or from the start (``restart_errored``). The searcher goes
        on without repeating a suggestion and ``num_samples`` counts the trials made before."""
        _refuse_filesystem(storage_filesystem)
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"`path` must be a str or os.PathLike, got {type(path).__name__}")
        for name, flag in (("resume_unfinished", resume_unfinished), ("resume_errored", resume_errored),
                           ("restart_errored", restart_errored)):
            if not isinstance(flag, bool):
                raise TypeError(f"`{name}` must be a bool, got {type(flag).__name__}")
        p = Path(path)
        check_trusted(p)  # restoring unpickles files of the folder: no other user may have written it
        saved = read_state(p)
        engine = saved["engine"]
        tc = saved.get("tune_config", {})
        rcs = saved.get("run_config", {})
        fcs, ccs = rcs.get("failure_config") or {}, rcs.get("checkpoint_config") or {}
        tuner = cls(trainable, param_space=param_space,
                    tune_config=TuneConfig(metric=tc.get("metric"), mode=tc.get("mode"),
                                           num_samples=tc.get("num_samples", 1), executor=tc.get("executor", "process"),
                                           max_concurrent_trials=tc.get("max_concurrent_trials"),
                                           reuse_actors=tc.get("reuse_actors", False)),
                    run_config=RunConfig(name=p.name, storage_path=str(p.parent), verbose=rcs.get("verbose", 0),
                                         failure_config=FailureConfig(**fcs) if fcs else None,
                                         checkpoint_config=CheckpointConfig(**ccs) if ccs else None,
                                         log_to_file=_log_to_file(rcs.get("log_to_file", False))),
                    _restored=engine)
        tuner._resume_options = {"unfinished": "resume" if resume_unfinished else "skip",
                                 "errored": "resume" if resume_errored else ("restart" if restart_errored else "skip")}
        if param_space is not None:
            # Python-side values (objects, sample_from) come back from the param_space, in the
            # order they were numbered when the experiment started.
            from .._space import space_document

            space_document(param_space, tuner._refs)
        load_python_side(tuner, p, param_space is not None)
        tuner._trainable_name = tc.get("trainable_name", tuner._trainable_name)
        tuner._build()
        return tuner

    # -- fit -------------------------------------------------------------------------------

    # -- fit -------------------------------------------------------------------------------

    def _config_summary(self) -> dict[str, Any]:
        tc = self.tune_config
        return {"metric": tc.metric, "mode": tc.mode, "num_samples": tc.num_samples, "executor": tc.executor,
                "max_concurrent_trials": tc.max_concurrent_trials, "trainable_name": self._trainable_name,
                "reuse_actors": getattr(tc, "reuse_actors", False)}

    def _run_config_summary(self) -> dict[str, Any]:
        rc = self.run_config
        fc, cc = rc.failure_config or FailureConfig(), rc.checkpoint_config or CheckpointConfig()
        return {"verbose": rc.verbose, "log_to_file": getattr(rc, "log_to_file", False), "failure_config": {"max_failures": fc.max_failures, "fail_fast": fc.fail_fast},
                "checkpoint_config": {"num_to_keep": cc.num_to_keep, "checkpoint_score_attribute": cc.checkpoint_score_attribute,
                                      "checkpoint_score_order": cc.checkpoint_score_order,
                                      "checkpoint_frequency": cc.checkpoint_frequency, "checkpoint_at_end": cc.checkpoint_at_end}}

    def _build(self) -> None:
        build_experiment(self)

    def fit(self) -> ResultGrid:
        """Runs the experiment to its end and returns its results."""
        if not hasattr(self, "_experiment"):
            self._build()
        self._path.mkdir(parents=True, exist_ok=True)
        with DriverLock(self._path):  # one driver per experiment folder (driver_lock.py)
            return self._fit_locked()

    def _fit_locked(self) -> ResultGrid:
        if self._restored is None:
            save_python_side(self)
        import swifttune

        if self.tune_config.executor != "ray" and swifttune._ray_address is not None:
            warnings.warn(f"swifttune.init(address={swifttune._ray_address!r}) names a Ray cluster, but this experiment "
                          f"runs its trials on this machine (TuneConfig(executor={self.tune_config.executor!r})); pass "
                          "TuneConfig(executor='ray') to run them on the cluster.", stacklevel=3)
        if self.tune_config.executor in ("process", "ray"):
            import importlib.util

            if importlib.util.find_spec("cloudpickle") is None:
                raise ImportError(f"The {self.tune_config.executor} executor ships trainables with cloudpickle: pip install "
                                  "cloudpickle, or use tune.TuneConfig(executor='thread').")
        if self.tune_config.executor == "thread" and trial_resources(self.trainable).get("GPU"):
            raise NotImplementedError("Trials with GPUs (with_resources(..., {'gpu': ...})) are not supported by the thread "
                                      "executor (each trial needs its own CUDA_VISIBLE_DEVICES); use the process executor "
                                      "(TuneConfig(executor='process'), the default).")
        run = ExperimentRun(self)
        run.setup_callbacks(self._total_num_samples if self._total_num_samples is not None else self.tune_config.num_samples)
        executor: Any
        if self.tune_config.executor == "ray":
            from ._internal.ray_executor import RayExecutor

            executor = RayExecutor(run)
        else:
            executor = ThreadExecutor(run) if self.tune_config.executor == "thread" else ProcessExecutor(run)
        workers = [threading.Thread(target=executor.loop, args=(i,), name=f"swifttune-trial-{i}", daemon=True)
                   for i in range(executor_threads(self))]
        with catching_interrupts(run.interrupt):  # Ctrl-C: the run ends cleanly, restorable (interrupt.py)
            for w in workers:
                w.start()
            try:
                for w in workers:
                    w.join()
            finally:
                run.state.close()  # the final state, on disk before fit returns or raises
                drain_events()  # and every TensorBoard event
        if run.error is not None:
            raise run.error
        run.callback("on_experiment_end", None)
        run.maybe_print(final=True)
        self._interrupted = run.interrupted.is_set()
        if self._interrupted:
            logger.warning(interrupted_message(str(self._path), self._entrypoint))
        return self._grid()

    def get_results(self) -> ResultGrid:
        """The results so far (of a restored experiment: what was saved)."""
        if not hasattr(self, "_experiment"):
            self._build()
        return self._grid()

    def _grid(self) -> ResultGrid:
        trials = self._experiment.trial_summaries()  # each trial's results: Python's rows, or fetched when missing
        by_id = {t["id"]: t for t in trials}
        results = []
        for t in trials:
            config = self._decode(t["configuration"])
            py = self._python_results.get(t["id"]) or self._saved_results(t, config)
            trial_dir = self._trial_path(t)
            kept = best_checkpoints(trial_dir, py, self.run_config.checkpoint_config or CheckpointConfig()) \
                if t.get("checkpoint") or any(r.get("checkpoint_dir_name") for r in py) else []
            owner = by_id.get(t.get("checkpoint_trial") or "")  # another trial's checkpoint (PBT's exploit)
            owner_dir = trial_dir if owner is None else self._trial_path(owner)
            latest = Checkpoint(owner_dir / t["checkpoint"]) if t.get("checkpoint") else None
            results.append(Result(trial_id=t["id"], config=config, history=py, status=t["status"],
                                  error_text=t["error"], path=str(trial_dir), checkpoint=latest, best_checkpoints=kept))
        return ResultGrid(results, self._experiment, self.tune_config.metric, self.tune_config.mode, self._path)

    def _trial_path(self, t: dict[str, Any]) -> Path:
        """The folder of the engine's trial `t` (named after the configuration it started with)."""
        config = self._decode(t.get("initial_configuration") or t["configuration"])
        return self._path / self._trial_dirname(t["id"], config, t["number"])

    def _decode(self, config: Any) -> Any:
        """A configuration from the engine as the trainable sees it."""
        out = decode_configuration(config, self._refs)
        if self._constants and isinstance(out, dict):
            out = {**self._constants, **out}
        return out

    def _saved_results(self, t: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]]:
        """A trial's results from its result.json (a restored experiment), else from the engine
        (`t` is the engine's summary of the trial, with its number of results)."""
        path = self._trial_path(t) / "result.json"
        if path.is_file():
            with open(path, encoding="utf-8") as f:
                lines = f.read().split("\n")
            # The last line is whole only with its newline: a running trial may be writing it now.
            rows = [json.loads(line) for line in lines[:-1] if line.strip()]
            count = t["num_results"]
            if len(rows) >= count:
                rows = rows[:count]
                if rows:
                    rows[-1]["done"] = True
                return rows
        return [dict(r) for r in self._engine_results(t)]

    def _engine_results(self, t: dict[str, Any]) -> list[dict[str, Any]]:
        """The results the engine keeps of trial `t` (its summary), fetched only for a trial that has some."""
        if not t.get("num_results"):
            return []
        return list(self._experiment.trial(t["id"])["results"])

    def _trial_view(self, trial_id: str, config: Any, number: int) -> Trial:
        """The trial as a name creator sees it (Ray's ``Trial``; its name is Ray's default)."""
        return Trial(trial_id, f"{self._trainable_name}_{number:05d}", config, status="PENDING",
                     trainable_name=str(self._trainable_name), experiment_tag=experiment_tag(number, config),
                     experiment_dir_name=self._path.name)

    def _trial_name(self, trial_id: str, config: Any, number: int) -> str:
        """Ray's trial name: `trial_name_creator(trial)`, or the trainable's name and the trial's
        number (the engine's creation order)."""
        creator = self.tune_config.trial_name_creator
        if creator is not None:
            return str(creator(self._trial_view(trial_id, config, number)))
        return f"{self._trainable_name}_{number:05d}"

    def _trial_dirname(self, trial_id: str, config: dict[str, Any], number: int) -> str:
        tc = self.tune_config
        view = self._trial_view(trial_id, config, number)
        if tc.trial_dirname_creator:
            return str(tc.trial_dirname_creator(view))
        return self._trial_name(trial_id, config, number)


def _log_to_file(saved: Any) -> Any:
    """``log_to_file`` as the state file kept it (JSON turns a pair into a list)."""
    return tuple(saved) if isinstance(saved, list) else saved


def _refuse_filesystem(storage_filesystem: Any) -> None:
    if storage_filesystem is not None:
        raise NotImplementedError("storage_filesystem is not supported by swifttune (it stores on the local filesystem "
                                  "only); restore from a local path or a file:// URI instead.")
