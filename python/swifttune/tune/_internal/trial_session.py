"""One run of a trial, on the driver's side: carries each reported result to the trial's files
and to the engine, and the engine's decision back."""
from __future__ import annotations

import json
import math
import pickle
import time
from typing import TYPE_CHECKING, Any, Optional

from ..._lib import CONTINUE, END_COMPLETED, END_FAILED, STOP, ReportSlots, SwiftTuneError, lib, metric_names, \
    metrics_for_engine, quick_report
from ..checkpoint import Checkpoint, CheckpointManager, checkpoint_name, keep_reported
from ..result import SHOULD_CHECKPOINT
from ..session import TrialStopped, check_report
from .interrupt import TrialInterrupted
from .result_json import strict_dumps
from .stop_bridge import ENGINE_SKIPS, report_result, stopper_error
from .trainable_runner import _FILLED, ReportClock
from ..trainable.trainable import date_text
from .trial_events import TrialEvents
from .trial_files import TrialFiles, storage_error
from ..._resources import visible_gpu_ids

if TYPE_CHECKING:
    from .run import ExperimentRun

__all__ = ["TrialSession"]


class TrialSession:
    """Numbers the results, writes them to the trial's files, tells the engine, keeps the trial's
    checkpoints. A trial that runs again (a retry, a pause, a restore) starts from what the engine
    kept: the results up to its latest checkpoint."""

    def __init__(self, run: "ExperimentRun", trial_id: str, config: dict[str, Any]) -> None:
        self.run = run
        self.trial_id = trial_id
        record = run.experiment.trial(trial_id)
        self.trial_name = run.trial_name(trial_id, config, record["number"])
        self.config = config
        self.trial_dir, fresh = run.trial_dir(trial_id, config, record["number"])
        self.resources = dict(run.trial_resources)
        # the engine's devices for this run, as the trial's process sees them
        self.gpu_ids = visible_gpu_ids(record.get("gpu_ids") or [], run.head_gpus)
        self.last = time.time()
        self.stopped = False
        events = TrialEvents(self.trial_dir) if run.tensorboard else None  # Ray's TBXLoggerCallback
        self.files = TrialFiles(self.trial_dir, json.dumps(config, default=str), events, run.storage_failed)
        kept = record.get("results") or []
        self.checkpoints = CheckpointManager(run.checkpoint_config, self.trial_dir)
        owner = record.get("checkpoint_trial")
        if fresh and not kept:  # a new trial in a folder made just now: nothing on disk to take up
            self.results: list[dict[str, Any]] = []
            self.checkpoints.latest = None if owner is not None else record.get("checkpoint")
            self.next_checkpoint = 0
        else:
            self.results = self.files.reopen(len(kept), lambda: list(run.experiment.trial(trial_id)["results"]),
                                             config, trial_id)
            # A checkpoint of another trial (PBT's exploit): the trial's own ones stay as they are.
            self.checkpoints.resync(self.results, record.get("checkpoint"), foreign=owner is not None)
            self.next_checkpoint = self.checkpoints.next_index()
        run.python_results[trial_id] = self.results
        latest = self.checkpoints.latest
        self.checkpoint: Optional[Checkpoint] = Checkpoint(self.trial_dir / latest) if latest else None
        if owner is not None and record.get("checkpoint"):
            run.pinned.add((owner, record["checkpoint"]))
            self.checkpoint = Checkpoint(run.trial_dir_of(owner) / record["checkpoint"])
        self.pending_save: Optional[str] = None
        self.clock = ReportClock()
        self.slots = ReportSlots()  # the engine's answers to this session's reports
        self.info = run.trial_info(trial_id, self.trial_name, config, str(self.trial_dir), record["number"])
        self.info.checkpoint = self.checkpoint
        experiment = run.experiment
        bridge = experiment.stop_bridge
        self.plain_path = (not run.callbacks and not run.stops_waiting and run.pbt is None and not run.class_trainable
                           and run.verbose < 3 and experiment.search_bridge is None
                           and experiment.schedule_bridge is None and not experiment._gil_free_report
                           and (bridge is None or not bridge.callbacks))
        """Whether a report with numbers only may take the plain path (``_plain_report``): nothing but
        the engine and the trial's files sees the result (no callbacks, stoppers, searcher or
        scheduler of the user's, no PBT or HyperBand front end, no result printed)."""
        self._tid = trial_id.encode()
        self._json_fields = (json.dumps(trial_id), self.clock.pid, json.dumps(self.clock.hostname),
                             json.dumps(self.clock.node_ip))
        self.ending: Optional[tuple[int, Optional[str], Optional[BaseException]]] = None
        """How a trial run in another process ended (``remote_message``): the engine's end code, the
        failure's text, the trial's exception."""

    def remote_message(self, msg: tuple[Any, ...]) -> Optional[tuple[Any, ...]]:
        """One message of worker.py's protocol from the process that runs the trial (a worker
        process, a Ray actor). A report is recorded and its answer returned (``("decision", code,
        save_name)``: the engine's decision, a save it asks for); a saved checkpoint is noted;
        "done" and "error" end the run, in ``ending``. Returns None when nothing is to be answered."""
        if msg[0] == "report":
            if msg[2] is None and self.plain_path and msg[3] is not None:
                decision = self._plain_remote_report(msg[1], msg[3])
                if decision is not None:
                    return ("decision", decision, None)
            name = msg[2]
            if name is not None:
                self.next_checkpoint += 1
                self.checkpoint = Checkpoint(self.trial_dir / name)
            decision = self.record(msg[1], name, prebuilt=msg[3] if len(msg) > 3 else None)
            if decision != CONTINUE:
                self.stopped = True
            return ("decision", decision, self.take_save())
        if msg[0] == "saved":
            self.saved(msg[1])
        elif msg[0] == "done":
            if msg[1] is not None and not self.stopped:
                self.record(pickle.loads(msg[1]))
            self.ending = (END_COMPLETED, None, None)
        else:  # ("error", traceback text, the pickled exception or None)
            error = None
            if len(msg) > 2 and msg[2] is not None:
                try:
                    error = pickle.loads(msg[2])
                except Exception:  # noqa: BLE001 - an exception that does not unpickle here
                    error = None
            self.ending = (END_FAILED, msg[1], error)
        return None

    def _engine_report(self, keys: tuple[str, ...], values: Any) -> Optional[tuple[int, float, float]]:
        """The engine's answer (decision, training_iteration, time_total_s) to a result whose
        `keys` and `values` (the trial's own metrics) are all plain numbers; None, with nothing
        told to anyone, when they are not (or the stoppers still look for a missing key)."""
        bridge = self.run.experiment.stop_bridge
        if bridge is not None and not bridge.warned_missing:
            return None
        for v in values:
            t = type(v)
            if t is not float and t is not int:
                return None
        if keys not in _plain_keys:
            for k in keys:
                if type(k) is not str or k in _NOT_PLAIN:
                    return None
            _plain_keys.add(keys)
        names = metric_names(keys)
        slots = self.slots
        status = quick_report(self.run.experiment.p, self._tid, names, values, slots)
        if status:
            try:
                lib.check(status)
            except SwiftTuneError as e:
                raise stopper_error(self.run, e) from None
        return slots.decision.value, slots.iteration.value, slots.total.value

    def _plain_report(self, metrics: dict[str, Any]) -> bool:
        """tune.report of plain numbers on the plain path: what ``record`` does for such a result,
        with the row's JSON line written out here. False (nothing done) when the result is not one
        for this path."""
        keys = tuple(metrics)
        if not _FILLED.isdisjoint(keys):
            return False
        clock = self.clock
        now = time.time()
        answer = self._engine_report(keys, metrics.values())
        if answer is None:
            return False
        decision, iteration, total = answer
        clock.count += 1
        last, clock.last = clock.last, now
        self.last = now
        since = now - clock.start
        date = date_text(now)
        row = dict(metrics, trial_id=self.trial_id, date=date, timestamp=int(now), time_this_iter_s=now - last,
                   pid=clock.pid, hostname=clock.hostname, node_ip=clock.node_ip, time_since_restore=since,
                   iterations_since_restore=clock.count)
        tid, pid, host, ip = self._json_fields
        head = strict_dumps(metrics)
        line = None if head is None else (f'{head[:-1]}, ' if len(head) > 2 else "{") + (
            f'"trial_id": {tid}, "date": "{date}", "timestamp": {int(now)}, "time_this_iter_s": {now - last!r}, '
            f'"pid": {pid}, "hostname": {host}, "node_ip": {ip}, "time_since_restore": {since!r}, '
            f'"iterations_since_restore": {clock.count}')
        self._keep(row, now, line, decision, iteration, total)
        return True

    def _plain_remote_report(self, filled: dict[str, Any], line: str) -> Optional[int]:
        """A worker's report (worker.py's ``prebuilt_line`` made `line`: the result has none of the
        fields added to it) of plain numbers on the plain path: what ``record`` does for it; its
        decision, or None (nothing done) when it is not one for this path."""
        own = len(filled) - len(_AUTO)  # the trial's own metrics come first, then ReportClock.fill's
        keys = tuple(filled)[:own]
        answer = self._engine_report(keys, list(filled.values())[:own])
        if answer is None:
            return None
        decision, iteration, total = answer
        now = time.time()
        self.last = now
        self._keep(filled, now, line[:-1], decision, iteration, total)
        return decision

    def _keep(self, row: dict[str, Any], now: float, line: Optional[str], decision: int, iteration: float,
              total: float) -> None:
        """The end of a plain report: the fields ``record`` adds (``training_iteration`` and
        ``time_total_s`` when the engine recorded the result, ``done``, ``checkpoint_dir_name``) put
        in `row` and at the end of `line` (the row's JSON line so far, without its closing brace;
        None: ``TrialFiles.append`` makes it), the row in the trial's files and results, the state
        asked for."""
        tail = ""
        if iteration == iteration:  # not NaN: the engine recorded the result
            row["training_iteration"] = number = _number(iteration)
            row["time_total_s"] = total
            if math.isfinite(iteration) and math.isfinite(total):
                tail = f', "training_iteration": {number!r}, "time_total_s": {total!r}'
            else:
                line = None  # JSON's own words for them: TrialFiles.append writes the line
        done = decision == STOP
        row["done"] = done
        row["checkpoint_dir_name"] = None
        if line is not None:
            line += tail + (', "done": true, "checkpoint_dir_name": null}' if done
                            else ', "done": false, "checkpoint_dir_name": null}')
        self.info.last_result = row
        self.files.append(row, now, line)
        row["config"] = self.config
        self.results.append(row)
        self.run.state.request_for_result()
        if decision != CONTINUE:
            self.stopped = True

    def write_params(self) -> None:
        """The trial's ``params.json``: its configuration, as Ray writes it."""
        path = self.trial_dir / "params.json"
        text = json.dumps(self.config, default=str)  # one write (json.dump writes piece by piece)
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            raise storage_error(e, path) from None

    def close(self) -> None:
        """Closes the trial's files."""
        self.files.close()

    def report(self, metrics: dict[str, Any], checkpoint: Optional[Checkpoint] = None) -> None:
        """tune.report in a thread-executor trial: the next report after a stop ends the trial
        (and the first one after the run was interrupted)."""
        if self.run.interrupted.is_set():
            raise TrialInterrupted()
        if self.stopped:
            raise TrialStopped()
        if checkpoint is None and self.plain_path and type(metrics) is dict and self._plain_report(metrics):
            return
        check_report(metrics, checkpoint)
        # The engine's numbers come from the trial's own metrics: the fields fill adds are text or
        # driver-only (so the engine would skip them), and the result is the smaller dict.
        numbers = metrics_for_engine(metrics, ENGINE_SKIPS)
        if self.record(self.clock.fill(self.trial_id, metrics), keep_reported(self, checkpoint), numbers) != CONTINUE:
            self.stopped = True

    def take_save(self) -> Optional[str]:
        """The folder name of the checkpoint the driver asked for after the last result, or None."""
        name, self.pending_save = self.pending_save, None
        return name

    def saved(self, name: str) -> None:
        """A class trainable saved the checkpoint asked for: the engine attaches it to the trial's
        latest result; older ones beyond ``num_to_keep`` go once a state naming it is on disk."""
        self.files.flush()  # the rows up to the checkpoint are on disk before a state names it
        self.run.experiment.attach_checkpoint(self.trial_id, name)
        state = self.run.state
        generation = state.request()
        drop = self.checkpoints.register(name, self.results[-1] if self.results else {})
        if drop:
            state.after_write(generation, lambda: self.checkpoints.delete(self.unpinned(drop)))
        self.kept_checkpoint(name)

    def unpinned(self, names: list[str]) -> list[str]:
        """Of the trial's checkpoints beyond ``num_to_keep``, those no other trial took (PBT)."""
        pinned = self.run.pinned
        return [n for n in names if (self.trial_id, n) not in pinned] if pinned else names

    def kept_checkpoint(self, name: str) -> None:
        """The trial's new latest checkpoint: Ray's ``on_checkpoint`` (the trial still shows the
        one before), the trial's checkpoint updated, then ``on_trial_save``."""
        checkpoint = Checkpoint(self.trial_dir / name)
        self.run.callback("on_checkpoint", self.info, checkpoint=checkpoint)
        self.checkpoint = checkpoint
        self.info.checkpoint = checkpoint
        self.run.callback("on_trial_save", self.info)

    def record(self, metrics: dict[str, Any], checkpoint: Optional[str] = None,
               numbers: Optional[dict[str, float]] = None, prebuilt: Optional[str] = None) -> int:
        """Takes `metrics` (a dict of its own, which becomes the recorded row; `numbers`, its entries
        for the engine when the caller has them already), tells the engine
        (which fills in ``training_iteration`` and ``time_total_s`` where the result lacks them), logs the result with Ray's other automatic fields, and returns the
        engine's decision. A driver killed between the two leaves the engine a row the files lack;
        a trial that runs again takes it from the engine (``TrialFiles.reopen``)."""
        now = time.time()
        run = self.run
        result = metrics  # a fresh dict (ReportClock.fill's, or unpickled from the worker): this row
        result.pop("config", None)
        answer = report_result(run, self.trial_id, result, checkpoint, self.config, self.slots, numbers)  # stop_bridge: stoppers see the result
        if not math.isnan(answer.training_iteration):  # NaN: the engine did not record the result
            result.setdefault("training_iteration", _number(answer.training_iteration))
            result.setdefault("time_total_s", answer.time_total_s)
        result.setdefault("time_this_iter_s", now - self.last)
        self.last = now
        result["trial_id"] = self.trial_id
        result.setdefault("timestamp", int(now))
        decision = answer.decision
        # Ray's order: the decision, done=True on a stop, the callbacks, then a checkpoint if due.
        result["done"] = bool(result.get("done")) or decision == STOP
        if checkpoint is not None or not run.class_trainable:
            result["checkpoint_dir_name"] = checkpoint
        self.info.last_result = result
        if run.stops_waiting:  # HyperBand: the PAUSED trials its decision stopped end first, as in Ray
            run.end_stopped()
        if run.pbt is not None:  # PBT: the exploits its decision made (the trial's config and tag, the logs)
            run.pbt.take_exploits()
        if run.callbacks:
            # Ray's callbacks see the result with its "config" (and may change the result in place)
            result["config"] = self.config
            run.callback("on_trial_result", self.info, result=result)
            result.pop("config", None)
        if prebuilt is not None:
            # The trial's process made the row's line up to the fields added here (worker.prebuilt_line):
            # they are appended as json.dumps writes them, unless a callback may have changed the row.
            prebuilt = None if run.callbacks else _extend_line(prebuilt, result)
        line = self.files.append(result, now, prebuilt)
        if run.verbose >= 3:
            print(f"Trial {self.trial_name} reported {line}", flush=True)
        # The engine's rule (checkpoint_frequency, checkpoint_at_end, a pause) or a forced one.
        if run.class_trainable and (answer.should_checkpoint or result.get(SHOULD_CHECKPOINT)):
            self.pending_save = checkpoint_name(self.next_checkpoint)
            self.next_checkpoint += 1
        result["config"] = self.config
        self.results.append(result)
        state = run.state
        if checkpoint is None:
            state.request_for_result()
        else:
            # Older checkpoints go only once a state naming the new latest one is on disk.
            generation = state.request()
            drop = self.checkpoints.register(checkpoint, result)
            if drop:
                state.after_write(generation, lambda: self.checkpoints.delete(self.unpinned(drop)))
            self.kept_checkpoint(checkpoint)
        return decision


def _extend_line(line: str, result: dict[str, Any]) -> Optional[str]:
    """`line` (the JSON of the row before ``record`` added its fields, which the row had none of)
    with those fields appended, in the row's order; None where a value is not one written here."""
    parts = [line[:-1]]
    for key in ("training_iteration", "time_total_s", "done", "checkpoint_dir_name"):
        if key not in result:
            continue
        v = result[key]
        t = type(v)
        if t is int or t is bool or v is None:
            text = "null" if v is None else ("true" if v is True else "false" if v is False else str(v))
        elif t is float and math.isfinite(v):
            text = float.__repr__(v)
        elif t is str:
            text = json.dumps(v)
        else:
            return None
        parts.append(f', "{key}": {text}')
    return "".join(parts) + "}" if line != "{}" else None


_plain_keys: set[tuple[str, ...]] = set()
"""Key tuples found fit for the plain path (str keys, none of ``_NOT_PLAIN``)."""

_AUTO = ("trial_id", "date", "timestamp", "time_this_iter_s", "pid", "hostname", "node_ip", "time_since_restore",
         "iterations_since_restore")
"""The fields ``ReportClock.fill`` adds, in its order."""

_NOT_PLAIN = _FILLED | ENGINE_SKIPS | {"training_iteration", "time_total_s", "done", "checkpoint_dir_name",
                                       SHOULD_CHECKPOINT}
"""Keys a result on the plain path has none of (they are the driver's, or change what a report does)."""


def _number(x: float) -> Any:
    """An engine number as Ray writes it: whole numbers as ints (``training_iteration`` is 1, 2, ...)."""
    return int(x) if x.is_integer() else x
