"""The run loop of one experiment on the driver: the executors take trials from the engine,
run them, and tell the engine how each run ended; the engine decides everything else."""
from __future__ import annotations

import datetime
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from ..._lib import END_COMPLETED, END_FAILED, END_STOPPED, NEXT_FINISHED, NEXT_START, ExperimentHandle
from ..checkpoint import CheckpointConfig
from ..error import TuneError
from ..experiment.trial import Trial, experiment_tag
from ..impl.config import FailureConfig
from ..schedulers.hyperband import HyperBandScheduler
from ..schedulers.pbt import PopulationBasedTraining
from .progress import ProgressOutput, evaluated_params
from .trainable_runner import is_class_trainable
from .trial_events import drain as drain_files, tensorboard_enabled
from .journal import StateJournal
from .state import STATE_FILE, StateWriter, write_atomically
from .trial_files import TrialFilesError
from .stop_bridge import start_stoppers
from ..._resources import head_gpus, trial_resources

if TYPE_CHECKING:
    from ..tuner import Tuner
    from .trial_session import TrialSession

__all__ = ["ExperimentRun"]

logger = logging.getLogger("swifttune.tune")

CALLBACK_STATES = "callback-states-{}.pkl"
"""Ray's file of the callbacks' states (one per session of the experiment; the newest is restored)."""

class ExperimentRun:
    """One ``fit`` of a Tuner: the engine handle, the callbacks, the state writer, the trials'
    sessions; the executors' threads share it."""

    def __init__(self, tuner: "Tuner") -> None:
        self.tuner = tuner
        self.experiment: ExperimentHandle = tuner._experiment
        self.refs = tuner._refs
        self.name = tuner._name
        self.path = tuner._path
        self.verbose: int = tuner.run_config.verbose if tuner.run_config.verbose is not None else 1
        self.trial_resources = trial_resources(tuner.trainable)  # what each trial takes, by Ray's names
        self.head_gpus = head_gpus(tuner.trainable)  # the GPUs its own process sees
        self.python_results = tuner._python_results
        self.cond = threading.Condition()
        self.error: Optional[BaseException] = None
        # Ctrl-C / SIGUSR1 during fit (interrupt.py): no trial starts after it; the executors' hooks end running ones.
        self.interrupted = threading.Event()
        self.interrupt_hooks: list[Callable[[], None]] = []
        self.progress = ProgressOutput(tuner)
        self.callbacks: list[Any] = list(tuner.run_config.callbacks or [])
        # Ray's TensorBoard logger, on by default (its event files are written with the trial files)
        self.tensorboard = tensorboard_enabled(self.callbacks)
        self.callback_lock = threading.Lock()
        # The callbacks with step hooks of their own (Ray's on_step_begin / on_step_end).
        self.step_callbacks = [cb for cb in self.callbacks if _overrides(cb, "on_step_begin") or
                               _overrides(cb, "on_step_end")]
        self.infos: dict[str, Trial] = {}
        self.paused: dict[str, TrialSession] = {}  # the last run of each PAUSED trial
        # A scheduler that stops PAUSED trials when another trial reports (HyperBand's halvings).
        self.stops_waiting = isinstance(tuner.tune_config.scheduler, HyperBandScheduler)
        self.iteration = 0
        self.checkpoint_config = tuner.run_config.checkpoint_config or CheckpointConfig()
        self.class_trainable = is_class_trainable(tuner.trainable)
        if not self.class_trainable:
            check_function_checkpoint_config(self.checkpoint_config)
        self.reuse_actors = bool(getattr(tuner.tune_config, "reuse_actors", False))
        self.log_files = log_file_names(getattr(tuner.run_config, "log_to_file", False))
        self.trainable_name = getattr(tuner, "_trainable_name", "trainable")
        self.failure_config = tuner.run_config.failure_config or FailureConfig()
        # Ray's callback state: the callbacks with a get_state of their own, saved beside the state.
        self.stateful = [i for i, cb in enumerate(self.callbacks) if _overrides(cb, "get_state")]
        self.session = datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        self.journal = StateJournal(self.path / STATE_FILE, self.experiment)
        self.state = StateWriter(self.path / STATE_FILE, self.journal, self.state_head,
                                 self.save_callback_states if self.stateful else None, self.storage_fault,
                                 barrier=drain_files)
        self.warned: set[str] = set()
        self.dirs: dict[str, tuple[str, Path]] = {}  # each trial's name and folder, fixed when first made
        # Checkpoints other trials took by PBT's exploits: (owner trial, folder name), never deleted.
        self.pinned: set[tuple[str, str]] = set()
        start_stoppers(self)  # stop_bridge: the Python stoppers see this run (and are pickled beside it)
        scheduler = tuner.tune_config.scheduler
        self.pbt: Optional[Any] = None
        if isinstance(scheduler, PopulationBasedTraining):
            from .pbt_bridge import PBTBridge, save_scheduler

            if tuner._restored is None:
                save_scheduler(self.path, scheduler)
            self.pbt = PBTBridge(self, scheduler)

    def trial_info(self, trial_id: str, name: str, config: dict[str, Any], path: str, number: int = 0) -> Trial:
        with self.callback_lock:
            info = self.infos.get(trial_id)
            if info is None:
                info = self.infos[trial_id] = Trial(trial_id, name, config, local_path=path,
                                                    trainable_name=self.trainable_name,
                                                    experiment_tag=experiment_tag(number, config),
                                                    experiment_dir_name=self.path.name)
            info.config = config  # a scheduler may have changed it since (PBT's exploits)
            info.status = "RUNNING"
            self.paused.pop(trial_id, None)
        self.callback("on_trial_start", info)
        return info

    def callback(self, hook: str, trial: Optional[Trial], **kwargs: Any) -> None:
        """Calls `hook` on every callback that has it, one call at a time: an event of Ray's loop
        (``on_step_begin``, the hook, the iteration counted on, ``on_step_end``)."""
        if not self.callbacks:
            return
        with self.callback_lock:
            trials = list(self.infos.values())
            if hook == "on_experiment_end":
                for cb in self.callbacks:
                    fn = getattr(cb, hook, None)
                    if fn is not None:
                        fn(trials=trials)
                return
            for cb in self.step_callbacks:
                begin = getattr(cb, "on_step_begin", None)
                if begin is not None:
                    begin(iteration=self.iteration, trials=trials)
            self.iteration += 1
            for cb in self.callbacks:
                fn = getattr(cb, hook, None)
                if fn is not None:
                    fn(iteration=self.iteration, trials=trials, trial=trial, **kwargs)
            for cb in self.step_callbacks:
                end = getattr(cb, "on_step_end", None)
                if end is not None:
                    end(iteration=self.iteration, trials=trials)

    def setup_callbacks(self, total_num_samples: int) -> None:
        """Ray's ``Callback.setup`` before the first trial: the stop criteria, ``num_samples`` and
        the number of trials asked for (Ray's ``Experiment.public_spec``)."""
        tc, rc = self.tuner.tune_config, self.tuner.run_config
        if self.tuner._restored is not None:
            self.restore_callback_states()
        for cb in self.callbacks:
            setup = getattr(cb, "setup", None)
            if setup is not None:
                setup(stop=rc.stop, num_samples=tc.num_samples, total_num_samples=total_num_samples)

    def save_callback_states(self) -> None:
        """Ray's ``callback-states-<session>.pkl``: each stateful callback's ``get_state()`` by its
        place in ``RunConfig.callbacks``, written beside the state file (on the writer's thread,
        between callback events) when any has a state."""
        with self.callback_lock:
            states = {i: self.callbacks[i].get_state() for i in self.stateful}
        if not any(states.values()):
            return
        import cloudpickle

        write_atomically(self.path / CALLBACK_STATES.format(self.session), cloudpickle.dumps(states))

    def restore_callback_states(self) -> None:
        """A restored experiment's callbacks get their saved states back (``set_state``, for those
        that had one), from the newest callback-states file, before ``setup`` (Ray's order)."""
        files = sorted(self.path.glob(CALLBACK_STATES.format("*")), key=lambda p: p.stat().st_mtime)
        if not files:
            return
        import cloudpickle

        with open(files[-1], "rb") as f:
            states = cloudpickle.load(f)
        for i, cb in enumerate(self.callbacks):
            state = states.get(i)
            if state:
                cb.set_state(state)

    def _names(self, trial_id: str, config: dict[str, Any], number: int) -> tuple[str, Path]:
        """The trial's name and folder, fixed the first time (a configuration PBT changes later
        does not move them, as in Ray)."""
        known = self.dirs.get(trial_id)
        if known is None:
            known = self.dirs[trial_id] = (self.tuner._trial_name(trial_id, config, number),
                                           self.path / self.tuner._trial_dirname(trial_id, config, number))
        return known

    def trial_name(self, trial_id: str, config: dict[str, Any], number: int) -> str:
        """The trial's name (``trial_name_creator``, or Ray's default)."""
        return self._names(trial_id, config, number)[0]

    def trial_dir(self, trial_id: str, config: dict[str, Any], number: int) -> tuple[Path, bool]:
        """The trial's folder, made if needed; whether it was made now (so it is empty)."""
        d = self._names(trial_id, config, number)[1]
        try:
            os.mkdir(d)
            return d, True
        except FileExistsError:
            if not d.is_dir():
                raise
            return d, False
        except FileNotFoundError:  # the experiment folder is gone (or was never made): made again
            d.mkdir(parents=True, exist_ok=True)
            return d, False

    def trial_dir_of(self, trial_id: str) -> Path:
        """The folder of any trial of the experiment (another trial's checkpoint is there)."""
        known = self.dirs.get(trial_id)
        if known is not None:
            return known[1]
        t = self.experiment.trial(trial_id)
        config = self.tuner._decode(t.get("initial_configuration") or t["configuration"])
        return self._names(trial_id, config, t["number"])[1]

    def state_head(self) -> dict[str, Any]:
        """The Tuner's members of the state file, beside the engine's state (journal.py)."""
        return {"swifttune_tuner": 1, "name": self.name, "tune_config": self.tuner._config_summary(),
                "run_config": self.tuner._run_config_summary()}

    def end_trial(self, s: TrialSession, end: int, message: Optional[str], error: Optional[BaseException] = None) -> None:
        """Tells the engine how the trial's run ended (it decides whether a failed trial runs
        again) and asks for the experiment state to be saved."""
        if end == END_COMPLETED and s.stopped:
            end = END_STOPPED
        if end != END_FAILED and s.results:
            s.results[-1]["done"] = True
        info = self.experiment.finish(s.trial_id, end, message)
        if end == END_FAILED:
            assert message is not None
            write_error_pickle(s.trial_dir, error, message)
            with open(s.trial_dir / "error.txt", "a", encoding="utf-8") as f:
                f.write(f"Failure # {info.num_failures} (occurred at {datetime.datetime.now():%Y-%m-%d_%H-%M-%S})\n"
                        f"{message}\n")
        self.state.request()
        metric = self.tuner.tune_config.metric
        if end != END_FAILED and metric and info.metric_problem is not None:
            self.warn_unusable_metric(s, metric, info.metric_problem)
        if info.status == "PAUSED":  # a scheduler's PAUSE: it runs again when chosen (no callback, as Ray)
            with self.callback_lock:
                s.info.status = "PAUSED"
                self.paused[s.trial_id] = s
            self.end_stopped()
            return
        if info.retried:
            s.info.status = "PENDING"
            self.callback("on_trial_recover", s.info)
            limit = self.failure_config.max_failures
            logger.warning("Trial %s errored (failure %d; max_failures=%s); it runs again from %s.", s.trial_name,
                           info.num_failures, limit, "its latest checkpoint" if s.checkpoint else "the start")
            return
        s.info.status = "ERROR" if end == END_FAILED else "TERMINATED"
        self.close_trial(s)
        self.callback("on_trial_error" if end == END_FAILED else "on_trial_complete", s.info)
        self.end_stopped()
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
            # Ray's verbose=2: a line per finished trial (3 adds every result, printed as it is recorded).
            last = s.results[-1] if s.results else {}
            how = {END_COMPLETED: "completed", END_STOPPED: "stopped early", END_FAILED: "errored"}[end]
            shown = f" {metric}={last.get(metric)!r}" if metric and metric in last else ""
            print(f"Trial {s.trial_name} {how} after {len(s.results)} results.{shown}", flush=True)

    def close_trial(self, s: TrialSession) -> None:
        """Ray's TBXLoggerCallback at a trial's end: the hparams summaries of its event file."""
        events = s.files.events
        if events is not None:
            events.write_hparams(evaluated_params(self.tuner, s.config))

    def end_stopped(self) -> None:
        """The PAUSED trials the engine's scheduler ended (HyperBand's halvings; Ray's
        ``tune_controller.stop_trial``): TERMINATED, their event files closed, the callbacks'
        ``on_trial_complete`` called, as Ray does."""
        for trial_id in self.experiment.take_stopped():
            with self.callback_lock:
                s = self.paused.pop(trial_id, None)
                info = self.infos.get(trial_id)
                if info is not None:
                    info.status = "TERMINATED"
            if s is not None:
                self.close_trial(s)
            if info is not None:
                self.callback("on_trial_complete", info)

    def warn_unusable_metric(self, s: TrialSession, metric: str, problem: str) -> None:
        """Ray's behaviour for a trial whose metric is missing, NaN or infinite (the engine says
        which): recorded, left out of "best", told to the searcher as a failure; said once per
        experiment and kind."""
        if problem == "missing":
            text = f"Trial {s.trial_name} finished without reporting the metric '{metric}'"
        else:
            last = next((r[metric] for r in reversed(s.results) if metric in r), None)
            text = f"Trial {s.trial_name} finished with {metric}={last}"
        text += ("; it is recorded but never the best trial, and the searcher learns it as a failed trial "
                 "(further trials like this are not reported).")
        with self.callback_lock:
            if problem in self.warned:
                return
            self.warned.add(problem)
        logger.warning(text)

    def storage_fault(self, what: str, error: Optional[BaseException]) -> None:
        """The state writer's news of the storage (state.py): said once per turn; writes that failed
        for too long stop the experiment as Ctrl-C does (trials left to run again), and ``fit``
        raises the writer's ``StateWriteError``."""
        path = self.state.path
        if what == "failing":
            logger.warning("Could not write the experiment state to %s (%s). Trials go on, and the write is tried "
                           "again every second for up to %g s before the experiment is stopped; the state on disk is "
                           "the last complete one.", path, getattr(error, "strerror", None) or error,
                           self.state.write_timeout_s)
        elif what == "recovered":
            logger.warning("The experiment state is written to %s again.", path)
        else:
            logger.error("%s", error)
            self.interrupt()

    def interrupt(self) -> None:
        """The run was interrupted (interrupt.py; called from the signal handler): no trial starts
        after this, and each executor ends its running trials (they stay RUNNING in the state)."""
        self.interrupted.set()
        for hook in list(self.interrupt_hooks):
            hook()

    def take_trials(self, run: Callable[[str, str], None]) -> None:
        """One executor loop: ask the engine for the next trial, run it with `run`, repeat; wait
        while a limit holds trials back; stop when the engine is finished (or a run broke)."""
        try:
            while self.error is None and not self.interrupted.is_set():
                with self.cond:
                    action, trial_id, config_text = self.experiment.next()
                    self.end_stopped()
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
            if isinstance(e, TrialFilesError):
                self.storage_failed(e)
                return
            if self.error is None:  # stop_bridge may have set a Python stopper's own exception first
                self.error = e
            with self.cond:
                self.cond.notify_all()

    def storage_failed(self, e: TrialFilesError) -> None:
        """The storage failed under a trial's files (a report, a trial's end, or the files' writer
        thread says so): the experiment stops as Ctrl-C stops it, and fit raises `e`."""
        with self.cond:
            first = self.error is None
            if first:
                self.error = e
            self.cond.notify_all()
        if first and not self.interrupted.is_set():
            logger.error("Could not write %s (%s), so the experiment was stopped; the trials under way run again "
                         "when Tuner.restore(%r, trainable) continues it, once the storage is fixed.",
                         e.filename, e.strerror, str(self.path))
            self.interrupt()

    def maybe_print(self, final: bool = False) -> None:
        self.progress.maybe_print(final)


def _overrides(callback: Any, hook: str) -> bool:
    """Whether `callback` has `hook` of its own (not the base class's no-op)."""
    from ..callback import Callback

    fn = getattr(type(callback), hook, None)
    return fn is not None and fn is not getattr(Callback, hook, None)


def check_function_checkpoint_config(config: CheckpointConfig) -> None:
    """Ray's errors for checkpoint settings a function trainable cannot follow."""
    if config.checkpoint_at_end:
        raise ValueError("'checkpoint_at_end' cannot be used with a function trainable. You should include one last "
                         "call to `ray.tune.report(metrics=..., checkpoint=...)` at the end of your training loop to "
                         "get this behavior.")
    if config.checkpoint_frequency:
        raise ValueError("'checkpoint_frequency' cannot be set for a function trainable. You will need to report a "
                         "checkpoint every `checkpoint_frequency` iterations within your training loop using "
                         "`ray.tune.report(metrics=..., checkpoint=...)` to get this behavior.")


def log_file_names(log_to_file: Any) -> Optional[tuple[str, str]]:
    """Ray's ``RunConfig(log_to_file=...)`` as the (stdout, stderr) file names in the trial folder:
    True is ``stdout`` and ``stderr``, a str one file for both, a pair two files; False is None."""
    if log_to_file is False or log_to_file is None:
        return None
    if log_to_file is True:
        return ("stdout", "stderr")
    if isinstance(log_to_file, str):
        return (log_to_file, log_to_file)
    if isinstance(log_to_file, (tuple, list)) and len(log_to_file) == 2 and all(isinstance(x, str) for x in log_to_file):
        return (log_to_file[0], log_to_file[1])
    raise ValueError("You can pass a boolean, a string, or a tuple of strings to `log_to_file` in your RunConfig, "
                     f"but you passed {log_to_file!r}.")


def write_error_pickle(trial_dir: Path, error: Optional[BaseException], message: str) -> None:
    """The trial's ``error.pkl`` (Ray's file): its original exception, or a ``TuneError`` with the
    traceback text when the exception does not pickle (``Result.error`` reads it)."""
    try:
        import cloudpickle as pickler
    except ImportError:  # pragma: no cover - the thread executor runs without cloudpickle
        import pickle as pickler  # type: ignore[no-redef]
    try:
        data = pickler.dumps(error if error is not None else TuneError(message))
    except Exception:  # noqa: BLE001 - an exception that does not pickle travels as text
        data = pickler.dumps(TuneError(message))
    with open(trial_dir / "error.pkl", "wb") as f:
        f.write(data)
