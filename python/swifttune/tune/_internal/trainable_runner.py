"""Runs one trial of a trainable (a function, or a ``Trainable`` class trained until done or
stopped, saving the checkpoints the driver asks for), the same way in both executors; and the
automatic result fields that the training process fills in."""
from __future__ import annotations

import contextlib
import inspect
import os
import platform
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Optional, Union

from ..session import current_session, report
from ..trainable.trainable import Trainable, date_text

__all__ = ["run_trainable", "is_class_trainable", "TrainableCache", "ReportClock", "host_info", "trial_output"]

_host: Optional[tuple[str, str]] = None


def host_info() -> tuple[str, str]:
    """This machine's hostname and IP address (Ray's ``hostname`` and ``node_ip``)."""
    global _host
    if _host is None:
        ip = "127.0.0.1"
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the outgoing interface
                ip = s.getsockname()[0]
        except OSError:
            pass
        _host = (platform.node(), ip)
    return _host


def is_class_trainable(trainable: Any) -> bool:
    """Whether `trainable` is a ``tune.Trainable`` class (else a function)."""
    return inspect.isclass(trainable) and issubclass(trainable, Trainable)


class ReportClock:
    """The automatic fields of a function trainable's results (Ray's ``time_this_iter_s``,
    ``date``, ``timestamp``, ``pid``, ``hostname``, ``node_ip``, ``time_since_restore``,
    ``iterations_since_restore``), measured where the trial runs. Fields the result has stay."""

    def __init__(self) -> None:
        self.start = self.last = time.time()
        self.count = 0
        self.pid = os.getpid()
        self.hostname, self.node_ip = host_info()

    def fill(self, trial_id: str, metrics: dict[str, Any]) -> dict[str, Any]:
        """A copy of `metrics` with the automatic fields it lacks (and without ``config``, which
        the driver adds)."""
        now = time.time()
        self.count += 1
        last, self.last = self.last, now
        # time_total_s is the engine's (summed over the trial's runs); the result's own fields stay.
        if _FILLED.isdisjoint(metrics):  # the usual case, in one step
            return dict(metrics, trial_id=trial_id, date=date_text(now), timestamp=int(now),
                        time_this_iter_s=now - last, pid=self.pid, hostname=self.hostname,
                        node_ip=self.node_ip, time_since_restore=now - self.start,
                        iterations_since_restore=self.count)
        out = dict(metrics)
        out.pop("config", None)
        auto = {"trial_id": trial_id, "date": date_text(now), "timestamp": int(now),
                "time_this_iter_s": now - last, "pid": self.pid, "hostname": self.hostname,
                "node_ip": self.node_ip, "time_since_restore": now - self.start,
                "iterations_since_restore": self.count}
        for k, v in auto.items():
            out.setdefault(k, v)
        return out


_FILLED = frozenset(("trial_id", "date", "timestamp", "time_this_iter_s", "pid", "hostname", "node_ip",
                     "time_since_restore", "iterations_since_restore", "config"))
"""The fields `ReportClock.fill` adds, and ``config`` (which it drops)."""


class TrainableCache:
    """The class trainables kept between trials with ``reuse_actors=True`` (one per worker process;
    the thread executor's threads share one): the next trial of the same class takes one through
    ``reset`` (``reset_config``); when that returns False it is stopped and a new one made."""

    def __init__(self) -> None:
        self.idle: list[Trainable] = []
        self.lock = threading.Lock()

    def make(self, trainable: Any, config: dict[str, Any], reuse: bool) -> Trainable:
        with self.lock:
            obj = self.idle.pop() if self.idle else None
        if obj is not None:
            if reuse and type(obj) is trainable and obj.reset(config):
                return obj
            obj.stop()
        made: Trainable = trainable(config)
        return made

    def release(self, obj: Trainable, reuse: bool) -> None:
        """The trial is over: keep `obj` for the next one (reuse), else stop it."""
        if reuse:
            with self.lock:
                self.idle.append(obj)
        else:
            obj.stop()

    def clear(self) -> None:
        """Stops the kept trainables (the executor is done)."""
        with self.lock:
            idle, self.idle = self.idle, []
        for obj in idle:
            obj.stop()


def run_trainable(trainable: Any, config: dict[str, Any], cache: Optional[TrainableCache] = None,
                  reuse: bool = False) -> Optional[dict[str, Any]]:
    """Runs `trainable` on `config` in the session bound to this thread; a function's returned
    dict (its final result, reported by the caller) or None. A class trainable resumes from the
    trial's latest checkpoint, and saves a checkpoint after each result the driver asks for one
    (``session.take_save()`` names its folder; ``session.saved(name)`` attaches it)."""
    if not is_class_trainable(trainable):
        out = trainable(config)
        return out if isinstance(out, dict) else None
    session = current_session()
    obj = (cache or TrainableCache()).make(trainable, config, reuse)
    finished = False
    try:
        if session is not None and session.checkpoint is not None:
            obj.restore(session.checkpoint)
        while True:
            result = obj.train()
            report(result)
            if session is None:
                break
            name = session.take_save()
            if name is not None:
                obj.save_into(Path(session.trial_dir) / name)
                session.saved(name)
            if result.get("done") or session.stopped:
                break  # done, or the engine stopped the trial: no further step()
        finished = True
    finally:
        if finished and cache is not None:
            cache.release(obj, reuse)
        else:
            obj.stop()
    return None



class _ThreadTee:
    """Stands in for ``sys.stdout`` or ``sys.stderr``: writes go to the stream it replaced and, on
    a thread that runs a trial with ``log_to_file``, also to that trial's file."""

    def __init__(self, base: Any) -> None:
        self._base = base
        self._local = threading.local()

    def write(self, text: str) -> int:
        n = self._base.write(text)
        f = getattr(self._local, "file", None)
        if f is not None:
            f.write(text)
        return int(n) if n is not None else len(text)

    def flush(self) -> None:
        self._base.flush()
        f = getattr(self._local, "file", None)
        if f is not None:
            f.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


_tee_lock = threading.Lock()


def _tee(name: str) -> _ThreadTee:
    with _tee_lock:
        stream = getattr(sys, name)
        if not isinstance(stream, _ThreadTee):
            stream = _ThreadTee(stream)
            setattr(sys, name, stream)
        return stream


@contextlib.contextmanager
def trial_output(trial_dir: Union[str, Path], names: Optional[tuple[str, str]]) -> Iterator[None]:
    """Ray's ``log_to_file``: what the trial on this thread prints also goes to ``names`` (stdout's
    and stderr's files in the trial folder, appended; the same name twice: one file)."""
    if names is None:
        yield
        return
    out_tee, err_tee = _tee("stdout"), _tee("stderr")
    out = open(Path(trial_dir) / names[0], "a", encoding="utf-8")
    err = out if names[1] == names[0] else open(Path(trial_dir) / names[1], "a", encoding="utf-8")
    out_tee._local.file, err_tee._local.file = out, err
    try:
        yield
    finally:
        out_tee.flush()
        err_tee.flush()
        out_tee._local.file = err_tee._local.file = None
        out.close()
        if err is not out:
            err.close()
