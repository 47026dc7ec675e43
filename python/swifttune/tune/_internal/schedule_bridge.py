"""The engine's calls back into a user's own ``TrialScheduler`` subclass (Ray's custom schedulers).

The engine stays the loop: it decides when a trial may start (limits, resources, the searcher),
records every result, applies stoppers and retries; it asks the callback registered with
``st_experiment_set_scheduler`` what Ray's ``TuneController`` asks a scheduler, in Ray's order:
``on_trial_add`` when a trial joins the table (and again for a failed run that is retried, after
``on_trial_error``), ``on_trial_result`` for the decision after each result no stopper ended,
``on_trial_complete`` when a run completed or was stopped, ``on_trial_error`` when one failed, and
``choose_trial_to_run`` when a trial may start and some wait. This module only answers: it keeps
the ``Trial`` objects the hooks are given (the same ones callbacks see), calls the user's hooks
with Ray's arguments, and carries the answers back.

Locks: as for stoppers and searchers (``stop_bridge``): the engine calls back under its own lock,
on the thread whose ``next``, ``report`` or ``finish`` asked, with the GIL released by ctypes;
reports then go through the GIL-releasing library handle."""
from __future__ import annotations

import ctypes
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from ... import _capi
from ..._lib import ExperimentHandle, lib
from ..experiment.trial import Trial, experiment_tag
from ..schedulers.trial_scheduler import TrialScheduler
from .search_bridge import flatten_dict
from .stop_bridge import keep_failure

if TYPE_CHECKING:
    from .run import ExperimentRun

__all__ = ["ScheduleBridge", "SCHEDULER_FILE", "TuneControllerView"]

logger = logging.getLogger("swifttune.tune")

SCHEDULER_FILE = "scheduler.pkl"
"""The user's scheduler as the experiment started, pickled beside the state file (Ray restores its
scheduler from the Tuner's pickle: as it was built, told every restored trial again)."""

_DECISIONS = {TrialScheduler.CONTINUE: _capi.ST_CONTINUE, TrialScheduler.STOP: _capi.ST_STOP,
              TrialScheduler.PAUSE: _capi.ST_PAUSE}
_STATUS = {_capi.ST_TRIAL_PENDING: Trial.PENDING, _capi.ST_TRIAL_PAUSED: Trial.PAUSED}
_WAITING = (Trial.PENDING, Trial.PAUSED)


class ScheduleBridge:
    """The Python side of one experiment's user scheduler: the ctypes callback (kept alive with
    the experiment handle), the trials in Ray's order (a requeued trial moves to the end), the
    view of the controller the hooks are given, and the chosen trial's id the engine reads."""

    def __init__(self, scheduler: TrialScheduler) -> None:
        self.scheduler = scheduler
        self.trials: list[Trial] = []
        self.by_id: dict[str, Trial] = {}
        self.controller = TuneControllerView(self)
        self.run: Optional["ExperimentRun"] = None
        self.error: Optional[BaseException] = None
        self._chosen: Any = None
        self.statuses: dict[str, str] = {}  # a restored experiment's trials, while they are added
        self._fn = _capi.st_scheduler_fn(self._call)

    def prepare(self, experiment: ExperimentHandle) -> None:
        """Becomes the experiment's bridge; reports then release the GIL and carry the Python row
        (``stop_bridge.report_result``), which ``on_trial_result`` gets. The callback is attached
        when a run binds (a restored experiment then tells its trials, which need the run)."""
        experiment.schedule_bridge = self
        experiment._gil_free_report = True

    def bind(self, run: "ExperimentRun") -> None:
        """The run whose trials the hooks see and whose ``error`` a failing hook sets; attaches
        the callback (a restored experiment's trials are added now, with their saved status)."""
        self.run = run
        self.statuses = {t["id"]: t["status"] for t in run.experiment.trial_summaries()}
        try:
            lib.check(lib.c.st_experiment_set_scheduler(run.experiment.p, self._fn, None))
        except Exception as e:
            raise (self.error if self.error is not None else e) from None
        self.statuses = {}

    def save(self, path: Path) -> None:
        """Pickles the scheduler as it is now, before any trial (said once if it does not pickle)."""
        try:
            import cloudpickle

            from .state import write_atomically

            write_atomically(path / SCHEDULER_FILE, cloudpickle.dumps(self.scheduler))
        except Exception as e:  # noqa: BLE001 - restoring then refuses with what to do
            logger.warning("The experiment's scheduler could not be pickled (%s: %s); Tuner.restore will not be able to "
                           "ask it.", type(e).__name__, e)

    @staticmethod
    def load(path: Path) -> TrialScheduler:
        """The user scheduler pickled by ``save`` in `path`."""
        if not (path / SCHEDULER_FILE).is_file():
            raise ValueError(f"The experiment in {path} was run with a TrialScheduler of your own, and it was not saved "
                             f"({SCHEDULER_FILE} is missing: it did not pickle); it cannot be restored.")
        import cloudpickle

        with open(path / SCHEDULER_FILE, "rb") as f:
            loaded: TrialScheduler = cloudpickle.load(f)
        return loaded

    def _call(self, scheduler_id: int, query: int, trial_id: Optional[bytes], names: Any, values: Any, count: int,
              text: Optional[bytes], out_decision: Any, out_trial: Any, user: Any) -> int:
        """The engine's callback: 0 when the user's hook answered, 1 when it raised (kept for fit)."""
        try:
            s, c = self.scheduler, self.controller
            if query == _capi.ST_SCHEDULE_CHOOSE:
                self._sync_statuses({names[i].decode(): _STATUS.get(int(values[i]), Trial.PENDING) for i in range(count)})
                chosen = s.choose_trial_to_run(c)
                self._chosen = None
                if chosen is not None:
                    tid = getattr(chosen, "trial_id", None)
                    if tid not in self.by_id:
                        raise TypeError(f"{type(s).__name__}.choose_trial_to_run must return one of the controller's "
                                        f"trials or None; got {chosen!r}")
                    self._chosen = ctypes.create_string_buffer(tid.encode())
                    out_trial[0] = ctypes.addressof(self._chosen)
                return 0
            assert trial_id is not None
            tid = trial_id.decode()
            if query == _capi.ST_SCHEDULE_ADD:
                assert text is not None
                added = json.loads(text)
                s.on_trial_add(c, self._add(tid, added["number"], added["configuration"]))
            elif query == _capi.ST_SCHEDULE_RESULT:
                trial = self.by_id[tid]
                trial.status = Trial.RUNNING
                decision = s.on_trial_result(c, trial, self._reported(tid, names, values, count))
                out_decision[0] = _decision(s, decision)
            elif query == _capi.ST_SCHEDULE_COMPLETE:
                s.on_trial_complete(c, self.by_id[tid], self._last(tid))
            else:
                s.on_trial_error(c, self.by_id[tid])
            return 0
        except BaseException as e:  # noqa: BLE001 - fit raises it
            keep_failure(self, e)
            return 1

    def _add(self, trial_id: str, number: int, configuration: Any) -> Trial:
        """The trial joins the table (Ray's order: at the end; a requeued one moves there), PENDING
        (a restored one with its saved status and last result)."""
        trial = self.by_id.get(trial_id)
        if trial is None:
            run = self.run
            assert run is not None
            config = run.tuner._decode(configuration)
            with run.callback_lock:
                trial = run.infos.get(trial_id)
                if trial is None:
                    trial = run.infos[trial_id] = Trial(
                        trial_id, run.trial_name(trial_id, config, number), config,
                        local_path=str(run.path / run.tuner._trial_dirname(trial_id, config, number)),
                        trainable_name=run.trainable_name, experiment_tag=experiment_tag(number, config),
                        experiment_dir_name=run.path.name)
            self.by_id[trial_id] = trial
            results = run.python_results.get(trial_id)
            if results:
                trial.last_result = results[-1]
        else:
            self.trials.remove(trial)
        trial.status = self.statuses.get(trial_id, Trial.PENDING)
        self.trials.append(trial)
        return trial

    def _sync_statuses(self, waiting: dict[str, str]) -> None:
        """The trials' statuses as the engine has them when it asks for a choice: the waiting ones
        from its list; one this side still shows waiting has started since (RUNNING)."""
        for trial in self.trials:
            status = waiting.get(trial.trial_id)
            if status is not None:
                trial.status = status
            elif trial.status in _WAITING:
                trial.status = Trial.RUNNING

    def _reported(self, trial_id: str, names: Any, values: Any, count: int) -> dict[str, Any]:
        """The result being reported, flattened, as Ray passes it to ``on_trial_result``."""
        numbers = {names[i].decode(): values[i] for i in range(count)}
        run = self.run
        stop_bridge = run.experiment.stop_bridge if run is not None else None
        if stop_bridge is None:
            return {"trial_id": trial_id, **numbers}
        return flatten_dict(stop_bridge.shown_result(trial_id, numbers))

    def _last(self, trial_id: str) -> dict[str, Any]:
        """The trial's last result, flattened (Ray's ``flatten_dict(trial.last_result)``; {} without one)."""
        results = self.run.python_results.get(trial_id) if self.run is not None else None
        return flatten_dict(dict(results[-1])) if results else {}


def _decision(scheduler: TrialScheduler, decision: Any) -> int:
    """The engine's code for a decision of Ray's; NOOP refused by name, anything else Ray's error."""
    code = _DECISIONS.get(decision) if isinstance(decision, str) else None
    if code is not None:
        return code
    if decision == TrialScheduler.NOOP:
        raise NotImplementedError(
            f"{type(scheduler).__name__}.on_trial_result returned TrialScheduler.NOOP (the scheduler acts on the trial "
            "through the controller): not supported by swifttune, whose engine acts on the answer; return "
            "TrialScheduler.CONTINUE, PAUSE or STOP.")
    raise ValueError(f"Invalid decision: {decision}")


class TuneControllerView:
    """What a user's scheduler is given as ``tune_controller`` (Ray's wrapper of its
    ``TuneController``): the trials, the live trials and the search algorithm. The controller's
    actions (``pause_trial``, ``stop_trial``, ...) are the engine's in swifttune: they are refused
    by name, with what to answer instead."""

    def __init__(self, bridge: ScheduleBridge) -> None:
        self._bridge = bridge

    def get_trials(self) -> list[Trial]:
        """Every trial, in Ray's order (creation order; a retried trial moves to the end)."""
        return self._bridge.trials

    def get_live_trials(self) -> set[Trial]:
        """The trials that have not ended (not TERMINATED or ERROR)."""
        return {t for t in self._bridge.trials if t.status not in (Trial.TERMINATED, Trial.ERROR)}

    @property
    def search_alg(self) -> Any:
        """The experiment's search algorithm."""
        run = self._bridge.run
        return run.tuner.tune_config.search_alg if run is not None else None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise NotImplementedError(
            f"tune_controller.{name} is not supported by swifttune: its engine runs, pauses and stops trials from your "
            "scheduler's answers; return TrialScheduler.PAUSE or STOP from on_trial_result, or choose the trial to run "
            "in choose_trial_to_run.")
