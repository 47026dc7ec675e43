"""A worker process of the process executor: runs trials of one trainable, sends every
``tune.report`` to the driver and learns from it whether to go on.

Started by the driver as ``python -m swifttune.tune._internal.worker FD`` with one end of a socket pair
on FD; it never loads libswifttune. Messages are pickles over a ``multiprocessing`` connection:
driver -> worker ``("trainable", bytes)``, ``("run", trial_id, trial_name, trial_dir, config_bytes,
resources, experiment_name, checkpoint_path_or_None, next_checkpoint_index, reuse_actors,
log_file_names_or_None, gpu_ids)`` (the trial runs with ``CUDA_VISIBLE_DEVICES`` set to its GPUs, empty for none, as Ray sets it), ``("exit",)``; worker -> driver ``("report", metrics,
checkpoint_name_or_None, json_line_or_None)`` (the row's JSON line so far: ``prebuilt_line``) (answered ``("decision", code, save_name_or_None)``; a reported checkpoint
is copied into the trial folder by the worker first; a class trainable asked to save one saves it as
``save_name`` in the trial folder and sends ``("saved", save_name)``), ``("done",
final_bytes_or_None)``, ``("error", traceback_text, exception_pickle_or_None)``, ``("died", exit_code)``
(the trial's forked process died before it answered; the worker then exits).

With ``reuse_actors=False`` (Ray's default) every trial runs in a child forked from the worker, which
itself only imports and unpickles the trainable: no module state passes from one trial to the next.
The child for a trial is forked while the trial before runs (``_Spare``), so the fork (a few
milliseconds) is off the trials' path.
"""
from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any, Callable, Optional

from ..._lib import CONTINUE
from ..checkpoint import keep_reported
from ..session import TrialStopped, check_report
from .report_loop import frame, write_all
from .result_json import strict_dumps
from .trainable_runner import _FILLED

_PROTOCOL = pickle.HIGHEST_PROTOCOL


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
        # A worker's socket is written and read directly (the hot path); another connection (the Ray
        # actor's in-memory one) through its send_bytes and recv.
        self.fd = conn.fileno() if isinstance(conn, Connection) else -1
        self.trial_id = trial_id
        self.trial_name = trial_name
        self.trial_dir = Path(trial_dir)
        self.config = config
        self.resources = resources
        self.run = _Run(experiment_name)
        self.stopped = False
        self.pending_save: Optional[str] = None
        self.gpu_ids: list[str] = []
        # What the trial's integrations leave to do when its function has returned (setup_wandb's run
        # finished): a forked trial process ends with os._exit, which runs no exit hooks.
        self.at_end: list[Callable[[], None]] = []
        from .trainable_runner import ReportClock

        self.clock = ReportClock()

    def report(self, metrics: dict[str, Any], checkpoint: Any = None) -> None:
        if self.stopped:
            raise TrialStopped()
        check_report(metrics, checkpoint)
        name = keep_reported(self, checkpoint)
        filled = self.clock.fill(self.trial_id, metrics)
        try:
            # A plain pickle in Connection.send_bytes' frame, written at once; the answer read in one go
            # (the hot path: no ForkingPickler, no separate read of the frame's header)
            data = pickle.dumps(("report", filled, name, prebuilt_line(metrics, filled)), _PROTOCOL)
            if self.fd >= 0:
                write_all(self.fd, frame(data))
                kind, decision, self.pending_save = pickle.loads(_read_frame(self.fd))
            else:
                self.conn.send_bytes(data)
                kind, decision, self.pending_save = self.conn.recv()
        except (EOFError, OSError):
            _driver_gone()
        if decision != CONTINUE:
            self.stopped = True

    def run_at_end(self) -> None:
        """Runs what the trial's integrations registered in `at_end` (an error is printed, the
        trial's outcome stays)."""
        hooks, self.at_end = self.at_end, []
        for hook in hooks:
            try:
                hook()
            except Exception:  # noqa: BLE001 - the trial itself ended as it ended
                traceback.print_exc()

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


def prebuilt_line(metrics: dict[str, Any], filled: dict[str, Any]) -> Optional[str]:
    """The JSON line of a report's row up to the fields the driver adds (``TrialSession.record``),
    made here, in the trial's process, rather than on the driver; None when the driver must make it
    (a result with fields of its own where the driver's go, or values JSON does not know)."""
    if not _DRIVER_FIELDS.isdisjoint(metrics):
        return None
    return strict_dumps(filled)


_DRIVER_FIELDS = _FILLED | {"training_iteration", "time_total_s", "done", "checkpoint_dir_name"}
"""The automatic fields (the report's and the driver's): a result with one of its own is put
together by the driver."""


def _read_frame(fd: int) -> bytes:
    """One message of ``Connection.send_bytes``' framing from `fd`, read in one call when it is
    all there (the usual answer, a few dozen bytes); EOFError when the connection ended."""
    data = os.read(fd, 1 << 16)
    if not data:
        raise EOFError
    while True:
        if len(data) >= 4:
            size = int.from_bytes(data[:4], "big", signed=True)
            head = 4
            if size == -1 and len(data) >= 12:
                size, head = int.from_bytes(data[4:12], "big"), 12
            if size >= 0 and len(data) >= head + size:
                if len(data) > head + size:
                    raise OSError("the driver sent more than one answer")
                return data[head:]
        more = os.read(fd, 1 << 16)
        if not more:
            raise EOFError
        data += more


_DRIVER_CHECK_S = 0.05
"""How often a worker waiting for its trial looks whether the driver is still its parent."""

_driver_pid = os.getppid()
"""The driver that started this worker (its parent)."""


def _driver_gone() -> None:
    """The driver died (killed, or its connection broke): nobody waits for this trial any more.
    Leave now, without running the rest of the trainable or its cleanup."""
    os._exit(0)


class _Spare:
    """A child forked ahead of its trial (Ray's reuse_actors=False): it waits for its "run"
    message on a pipe of its own, so the fork is not on the trial's path. Its `ready` pipe says
    whether it answered the driver (b"1") or died before it did (end of file)."""

    def __init__(self, conn: Connection, trainable: Any, inherited: list[int]) -> None:
        from .trainable_runner import TrainableCache

        msg_r, self.msg_w = os.pipe()
        self.ready, ready_w = os.pipe()
        gc.freeze()  # the child's garbage collector leaves the parent's objects (and their pages) alone
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:
            code = 0
            try:
                for fd in (self.msg_w, self.ready, *inherited):
                    os.close(fd)
                data = _read_all(msg_r)
                if data:  # nothing: the worker retired this child unused
                    _run_trial(conn, trainable, pickle.loads(data), TrainableCache())
                    os.write(ready_w, b"1")
            except BaseException:  # noqa: BLE001 - a child never returns into the worker's loop
                code = 1
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        os.close(msg_r)
        os.close(ready_w)

    def start(self, msg: tuple[Any, ...]) -> None:
        """Hands the child its trial."""
        data = pickle.dumps(msg)
        view = memoryview(len(data).to_bytes(8, "little") + data)
        while view:
            view = view[os.write(self.msg_w, view):]
        os.close(self.msg_w)
        self.msg_w = -1

    def wait(self) -> Optional[int]:
        """Waits until the child's trial ended: None when it answered the driver, else the exit
        code of a child that died before it did. When the driver dies meanwhile (killed: this
        worker now has another parent), the trial is killed at once and the worker leaves: a trial
        of a dead driver must not go on writing into its folder (a restored driver runs it again
        there)."""
        import select

        while not select.select([self.ready], [], [], _DRIVER_CHECK_S)[0]:
            if os.getppid() != _driver_pid:
                os.kill(self.pid, signal.SIGKILL)
                _driver_gone()
        answered = os.read(self.ready, 1) == b"1"
        os.close(self.ready)
        if answered:
            return None  # it is exiting: `reap` collects it once the next trial is under way
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)

    def reap(self) -> None:
        """Collects a child whose trial answered the driver (it exits right after)."""
        os.waitpid(self.pid, 0)

    def retire(self) -> None:
        """Ends an unused child (its pipe closes: it exits)."""
        if self.msg_w >= 0:
            os.close(self.msg_w)
        os.close(self.ready)
        os.waitpid(self.pid, 0)


def _read_all(fd: int) -> bytes:
    head = b""
    while len(head) < 8:
        chunk = os.read(fd, 8 - len(head))
        if not chunk:
            return b""
        head += chunk
    size, parts, got = int.from_bytes(head, "little"), [], 0
    while got < size:
        chunk = os.read(fd, min(size - got, 1 << 20))
        if not chunk:
            return b""
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def main() -> None:
    import cloudpickle

    from .trainable_runner import TrainableCache, host_info

    host_info()  # looked up once here: every forked child has it
    conn = Connection(int(sys.argv[1]))
    try:
        conn.send(("ready",))  # imports done: the driver may wait for this
    except OSError:
        _driver_gone()
    trainable: Optional[Any] = None
    cache = TrainableCache()  # a class trainable kept between trials (reuse_actors=True)
    spare: Optional[_Spare] = None
    finished: Optional[_Spare] = None  # the last trial's child, reaped after the next one started
    try:
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
                if spare is not None:  # forked with the trainable before
                    spare.retire()
                    spare = None
                trainable = cloudpickle.loads(msg[1])
                continue
            if msg[9]:  # reuse_actors=True: the trial runs in this process, after the ones before
                _run_trial(conn, trainable, msg, cache)
                continue
            # Ray's reuse_actors=False: a new process per trial, forked from this one (which never runs a
            # trial itself, so the child's modules are as freshly imported). The child for the next
            # trial is forked while this one runs.
            child = spare if spare is not None else _Spare(conn, trainable, [])
            child.start(msg)
            spare = _Spare(conn, trainable, [child.ready])
            if finished is not None:
                finished.reap()
                finished = None
            died = child.wait()
            finished = child if died is None else None
            if died is not None:
                try:
                    conn.send(("died", died))
                except OSError:
                    pass
                return  # the connection may hold half a message: this worker is done
    finally:
        if finished is not None:
            finished.reap()
        if spare is not None:
            spare.retire()


def _run_trial(conn: Connection, trainable: Any, msg: tuple[Any, ...], cache: Any) -> None:
    """Runs the trial of a "run" message and sends the driver how it ended."""
    import cloudpickle

    from ..session import TrialStopped, bind_session
    from .trainable_runner import run_trainable, trial_output

    (_, trial_id, trial_name, trial_dir, config_bytes, resources, experiment_name, checkpoint, next_checkpoint,
     reuse, log_files, gpu_ids) = msg
    os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(gpu_ids)  # Ray's rule: a trial sees only its own GPUs
    config = cloudpickle.loads(config_bytes)
    session = RemoteSession(conn, trial_id, trial_name, trial_dir, config, resources, experiment_name,
                            checkpoint, next_checkpoint)
    session.gpu_ids = list(gpu_ids)
    bind_session(session)
    try:
        with trial_output(trial_dir, log_files):
            try:
                final = run_trainable(trainable, config, cache, reuse)
            finally:
                session.run_at_end()
        # A returned dict is the trial's last result, with the automatic fields as every report (thread executor alike).
        reply: tuple[Any, ...] = ("done", pickle.dumps(session.clock.fill(trial_id, final))
                                  if final is not None and not session.stopped else None)
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
