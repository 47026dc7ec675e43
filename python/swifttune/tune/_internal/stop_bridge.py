"""The engine's calls back into Python stoppers (Ray's ``FunctionStopper`` and users' ``Stopper``
subclasses), and the report path that goes with them.

The engine evaluates the built-in stoppers itself; for user code it asks the callback registered
with ``st_experiment_set_stopper``, with the stopper's id, the trial's id and the numbers it
recorded. The callback answers with the full Python result the driver is reporting (or, for the
final call of a trial whose function returned, the trial's last result with ``done=True``).

Locks: the engine calls back under its own lock, on the thread whose ``report``, ``next`` or
``finish`` asked, after ctypes released the GIL; the callback takes the GIL back. So while a
callback stopper is set the report goes through the GIL-releasing library handle (never the
GIL-holding fast path, which would deadlock against a callback waiting for the GIL), and the
callback touches no lock the run loop holds across engine calls (it only sets ``run.error``)."""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from ... import _capi
from ..._lib import ExperimentHandle, ReportInfo, ReportSlots, SwiftTuneError, lib, metrics_for_engine
from ..stopper import Stopper

if TYPE_CHECKING:
    from .run import ExperimentRun

__all__ = ["StopBridge", "STOPPERS_FILE", "DRIVER_ONLY_FIELDS", "ENGINE_SKIPS", "report_result", "start_stoppers"]

logger = logging.getLogger("swifttune.tune")

STOPPERS_FILE = "stoppers.pkl"
"""The user's stoppers, pickled beside the state file so that ``Tuner.restore`` asks them again."""


class StopBridge:
    """The Python side of one experiment's stoppers: the user stoppers the engine asks by id, the
    result each trial is reporting, the ctypes callback (kept alive while the engine may call it)."""

    def __init__(self, callbacks: list[Stopper], stop_dict: Optional[dict[str, float]]) -> None:
        self.callbacks = callbacks
        self.stop_dict = dict(stop_dict or {})
        self.pending: dict[str, dict[str, Any]] = {}
        self.run: Optional["ExperimentRun"] = None
        self.error: Optional[BaseException] = None
        self.warned_missing = not self.stop_dict  # nothing to warn about: the report path skips the check
        self._fn = _capi.st_stopper_fn(self._call)

    def attach(self, experiment: ExperimentHandle) -> None:
        """Becomes the experiment's bridge; registers the callback with the engine (only when
        there are user stoppers). The handle keeps the bridge, and so the ctypes callback, alive."""
        experiment.stop_bridge = self
        if not self.callbacks:
            return
        lib.check(lib.c.st_experiment_set_stopper(experiment.p, self._fn, None))
        experiment._gil_free_report = True

    def bind(self, run: "ExperimentRun") -> "StopBridge":
        """The run whose ``error`` a failing stopper sets (fit then raises it)."""
        self.run = run
        return self

    def save(self, path: Path) -> None:
        """Pickles the user stoppers beside the experiment state (said once if they do not pickle)."""
        if not self.callbacks:
            return
        try:
            import cloudpickle

            from .state import write_atomically

            write_atomically(path / STOPPERS_FILE, cloudpickle.dumps(self.callbacks))
        except Exception as e:  # noqa: BLE001 - restoring then needs run_config stop again
            logger.warning("The experiment's stoppers could not be pickled (%s: %s); a restored experiment will not "
                           "ask them.", type(e).__name__, e)

    @staticmethod
    def load(path: Path) -> list[Stopper]:
        """The user stoppers pickled by ``save`` in `path` (none when absent)."""
        if not (path / STOPPERS_FILE).is_file():
            return []
        import cloudpickle

        with open(path / STOPPERS_FILE, "rb") as f:
            loaded: list[Stopper] = cloudpickle.load(f)
        return loaded

    def _fail(self, e: BaseException) -> None:
        keep_failure(self, e)

    def _call(self, stopper_id: int, query: int, trial_id: Optional[bytes], names: Any, values: Any, count: int,
              out_stop: Any, user: Any) -> int:
        """The engine's callback: 0 with ``*out_stop`` set, 1 when the stopper raised (kept for fit)."""
        try:
            stopper = self.callbacks[stopper_id]
            if query == _capi.ST_STOP_ALL:
                stop = stopper.stop_all()
            else:
                assert trial_id is not None
                tid = trial_id.decode()
                numbers = {names[i].decode(): values[i] for i in range(count)}
                stop = stopper(tid, self.shown_result(tid, numbers))
            out_stop[0] = 1 if stop else 0
            return 0
        except BaseException as e:  # noqa: BLE001 - fit raises it
            self._fail(e)
            return 1

    def shown_result(self, trial_id: str, numbers: dict[str, float]) -> dict[str, Any]:
        """The Python result the engine asks about: the one being reported, else (a trial whose
        function returned) the trial's last one with ``done=True``."""
        pending = self.pending.get(trial_id)
        if pending is None:
            results = self.run.python_results.get(trial_id) if self.run is not None else None
            if results:
                last = dict(results[-1])
                last["done"] = True
                return last
            pending = {"trial_id": trial_id}
        result = dict(pending)
        for k in ("training_iteration", "time_total_s"):
            if k not in result and k in numbers:
                v = numbers[k]
                result[k] = int(v) if float(v).is_integer() else v
        result.setdefault("done", bool(numbers.get("done", 0)))
        return result

    def warn_missing(self, metrics: dict[str, Any]) -> None:
        """Ray's warning, once, for a dict stop criterion the result lacks."""
        if self.warned_missing:
            return
        for criterion in self.stop_dict:
            if criterion not in metrics and criterion not in ("training_iteration", "time_total_s"):
                self.warned_missing = True
                logger.warning(f"Stopping criterion '{criterion}' not found in result dict! Available keys are "
                               f"{list(metrics.keys())}. If '{criterion}' is never reported, the run will continue "
                               "until training is finished.")
                return


def keep_failure(bridge: Any, e: BaseException) -> None:
    """A user callback's exception, kept as the bridge's ``error`` and its run's (the first of
    each): the engine call that asked fails, and ``fit`` raises it."""
    if bridge.error is None:
        bridge.error = e
    run = bridge.run
    if run is not None and run.error is None:
        run.error = e


def start_stoppers(run: "ExperimentRun") -> None:
    """At the start of a ``fit``: the Python stoppers see `run`, and are pickled beside its state."""
    bridge: Optional[StopBridge] = run.experiment.stop_bridge
    if bridge is not None:
        bridge.bind(run)
        bridge.save(run.path)
    if run.experiment.search_bridge is not None:
        run.experiment.search_bridge.bind(run)
    schedule_bridge = run.experiment.schedule_bridge
    if schedule_bridge is not None:
        if run.tuner._restored is None:
            schedule_bridge.save(run.path)  # as it was built, before any trial (Ray's Tuner pickle)
        schedule_bridge.bind(run)


# Ray's automatic fields the engine does not keep (it records the trial's own metrics,
# training_iteration, time_total_s and done): the result files have them. Stopping or scheduling on
# them is refused when the experiment is built (experiment_builder.check_engine_names).
DRIVER_ONLY_FIELDS = frozenset(("pid", "timestamp", "time_this_iter_s", "time_since_restore", "iterations_since_restore"))
ENGINE_SKIPS = DRIVER_ONLY_FIELDS | {"config"}
"""What a result's numbers for the engine leave out (``config`` is the driver's)."""

_MISSING_KEY = re.compile(r"^stopper: \w+: the result has no '(.*)'")


def report_result(run: "ExperimentRun", trial_id: str, metrics: dict[str, Any], checkpoint: Optional[str],
                  config: Any, slots: Optional[ReportSlots] = None,
                  numbers: Optional[dict[str, float]] = None) -> ReportInfo:
    """``ExperimentHandle.report_result`` with the experiment's stoppers in the loop: the result is
    what a callback stopper is shown; a stopper's failure becomes the exception fit raises (the
    user's own, or ``KeyError`` for a metric a built-in stopper needs, as in Ray). `numbers`: the
    result's entries for the engine, when the caller has them already."""
    bridge: Optional[StopBridge] = run.experiment.stop_bridge
    if numbers is None:
        numbers = metrics_for_engine(metrics, ENGINE_SKIPS)
    if bridge is None:
        return run.experiment.report_result(trial_id, numbers, checkpoint, slots)
    bridge.warn_missing(metrics)
    experiment = run.experiment
    if bridge.callbacks or experiment.search_bridge is not None or experiment.schedule_bridge is not None:
        # a user's stopper, searcher or scheduler sees the row
        row = {**metrics, "trial_id": trial_id, "config": config}
        if checkpoint is not None or not run.class_trainable:  # as the row is written (trial_session.record)
            row["checkpoint_dir_name"] = checkpoint
        bridge.pending[trial_id] = row
    try:
        return run.experiment.report_result(trial_id, numbers, checkpoint, slots)
    except SwiftTuneError as e:
        raise stopper_error(run, e) from None
    finally:
        bridge.pending.pop(trial_id, None)


def stopper_error(run: "ExperimentRun", e: SwiftTuneError) -> BaseException:
    """The exception a failed engine call stands for: a Python stopper's own exception, a
    ``KeyError`` for a built-in stopper's missing metric (set as the run's error), or `e`."""
    bridge: Optional[StopBridge] = run.experiment.stop_bridge
    if bridge is not None and bridge.error is not None:
        return bridge.error
    for user in (run.experiment.search_bridge, run.experiment.schedule_bridge):
        if user is not None and user.error is not None:
            return user.error
    m = _MISSING_KEY.match(str(e))
    if m:
        err = KeyError(m.group(1))
        if run.error is None:
            run.error = err
        return err
    return e
