"""A worker process of the process executor: runs trials of one trainable, sends every
``tune.report`` to the driver and learns from it whether to go on.

Started by the driver as ``python -m swifttune.tune._internal.worker FD`` with one end of a socket pair
on FD; it never loads libswifttune. Messages are pickles over a ``multiprocessing`` connection:
driver -> worker ``("trainable", bytes)``, ``("run", trial_id, trial_name, trial_dir, config_bytes,
resources, experiment_name, checkpoint_path_or_None, next_checkpoint_index, reuse_actors,
log_file_names_or_None)``, ``("exit",)``; worker -> driver ``("report", metrics_bytes,
checkpoint_name_or_None)`` (answered ``("decision", code, save_name_or_None)``; a reported checkpoint
is copied into the trial folder by the worker first; a class trainable asked to save one saves it as
``save_name`` in the trial folder and sends ``("saved", save_name)``), ``("done",
final_bytes_or_None)``, ``("error", traceback_text, exception_pickle_or_None)``, ``("died", exit_code)``
(the trial's forked process died before it answered; the worker then exits).

With ``reuse_actors=False`` (Ray's default) every trial runs in a child forked from the worker, which
itself only imports and unpickles the trainable: no module state passes from one trial to the next,
at the cost of a fork (about a millisecond) instead of a new interpreter.
"""
from __future__ import annotations

import gc
import os
import pickle
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any, Optional

from ..._lib import CONTINUE


class _Run:
    def __init__(self, name: str) -> None:
        self.name = name


class RemoteSession:
    """What ``tune.report`` and ``tune.get_context`` see inside a worker process."""

    def __init__(self, conn: Connection, trial_id: str, trial_name: str, trial_dir: str, config: Any,
                 resources: dict[str, float], experiment_name: str, checkpoint: Optional[str], next_checkpoint: int) -> None:
        from pathlib import Path

        from ..checkpoint import Checkpoint

        self.checkpoint = Checkpoint(checkpoint) if checkpoint else None
        self.next_checkpoint = next_checkpoint
        self.conn = conn
        self.trial_id = trial_id
        self.trial_name = trial_name
        self.trial_dir = Path(trial_dir)
        self.config = config
        self.resources = resources
        self.run = _Run(experiment_name)
        self.stopped = False
        self.pending_save: Optional[str] = None
        from .trainable_runner import ReportClock

        self.clock = ReportClock()

    def report(self, metrics: dict[str, Any], checkpoint: Any = None) -> None:
        from ..checkpoint import keep_reported
        from ..session import TrialStopped, check_report

        if self.stopped:
            raise TrialStopped()
        check_report(metrics, checkpoint)
        name = keep_reported(self, checkpoint)
        try:
            self.conn.send(("report", pickle.dumps(self.clock.fill(self.trial_id, metrics)), name))
            kind, decision, self.pending_save = self.conn.recv()
        except (EOFError, OSError):
            _driver_gone()
        if decision != CONTINUE:
            self.stopped = True

    def take_save(self) -> Optional[str]:
        """The folder name of the checkpoint the driver asked for after the last report, or None."""
        name, self.pending_save = self.pending_save, None
        return name

    def saved(self, name: str) -> None:
        """Tells the driver the checkpoint it asked for is in the trial folder."""
        try:
            self.conn.send(("saved", name))
        except OSError:
            _driver_gone()


def _driver_gone() -> None:
    """The driver died (killed, or its connection broke): nobody waits for this trial any more.
    Leave now, without running the rest of the trainable or its cleanup."""
    os._exit(0)


def main() -> None:
    import cloudpickle

    from .trainable_runner import TrainableCache

    conn = Connection(int(sys.argv[1]))
    try:
        conn.send(("ready",))  # imports done: the driver may wait for this
    except OSError:
        _driver_gone()
    trainable: Optional[Any] = None
    cache = TrainableCache()  # a class trainable kept between trials (reuse_actors=True)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] == "exit":
            cache.clear()
            return
        if msg[0] == "trainable":
            cache.clear()
            trainable = cloudpickle.loads(msg[1])
            continue
        if msg[9]:  # reuse_actors=True: the trial runs in this process, after the ones before
            _run_trial(conn, trainable, msg, cache)
            continue
        # Ray's reuse_actors=False: a new process per trial, forked from this one (which never runs a
        # trial itself, so the child's modules are as freshly imported). The child marks on a pipe
        # that it answered the driver; a child that died before it did is reported as died.
        ready_r, ready_w = os.pipe()
        gc.freeze()  # the child's garbage collector leaves the parent's objects (and their pages) alone
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            try:
                _run_trial(conn, trainable, msg, TrainableCache())
                os.write(ready_w, b"1")
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(0)
        os.close(ready_w)
        _, status = os.waitpid(pid, 0)
        answered = os.read(ready_r, 1) == b"1"
        os.close(ready_r)
        if not answered:
            code = os.waitstatus_to_exitcode(status)
            try:
                conn.send(("died", code))
            except OSError:
                pass
            return  # the connection may hold half a message: this worker is done


def _run_trial(conn: Connection, trainable: Any, msg: tuple[Any, ...], cache: Any) -> None:
    """Runs the trial of a "run" message and sends the driver how it ended."""
    import cloudpickle

    from ..session import TrialStopped, bind_session
    from .trainable_runner import run_trainable, trial_output

    (_, trial_id, trial_name, trial_dir, config_bytes, resources, experiment_name, checkpoint, next_checkpoint,
     reuse, log_files) = msg
    config = cloudpickle.loads(config_bytes)
    session = RemoteSession(conn, trial_id, trial_name, trial_dir, config, resources, experiment_name,
                            checkpoint, next_checkpoint)
    bind_session(session)
    try:
        with trial_output(trial_dir, log_files):
            final = run_trainable(trainable, config, cache, reuse)
        reply: tuple[Any, ...] = ("done", pickle.dumps(final) if final is not None and not session.stopped else None)
    except TrialStopped:
        reply = ("done", None)
    except BaseException as e:  # noqa: BLE001 - the driver records the failure
        try:
            exception: Optional[bytes] = cloudpickle.dumps(e)
        except Exception:  # noqa: BLE001 - an exception that does not pickle travels as text only
            exception = None
        reply = ("error", "".join(traceback.format_exception(type(e), e, e.__traceback__)), exception)
    finally:
        bind_session(None)
    try:
        conn.send(reply)
    except OSError:
        _driver_gone()


if __name__ == "__main__":
    main()
