"""One driver per experiment: while ``Tuner.fit`` runs, it holds an exclusive lock on the
experiment folder's ``.driver.lock`` (``fcntl.flock``), and a second ``fit`` of the same folder
(a new ``Tuner`` of the same name, or ``Tuner.restore(path).fit()``), from this process or any
other, is refused with a ``TuneError`` naming the driver that holds it.

The kernel drops the lock when its file is closed, and so when the process ends however it ends
(SIGKILL, a crash, a lost machine's NFS lease), so a dead driver leaves nothing to clean up: the
file stays, the lock does not. Reading an experiment while it runs (``Tuner.restore(path)`` and
``get_results``, ``ExperimentAnalysis``, the report page) takes no lock."""
from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Optional

from ..error import TuneError

__all__ = ["DriverLock", "LOCK_FILE"]

LOCK_FILE = ".driver.lock"


class DriverLock:
    """The lock of one experiment folder, held from ``__enter__`` to ``__exit__``."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_FILE
        self._fd: Optional[int] = None

    def __enter__(self) -> "DriverLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise TuneError(
                f"The experiment at {self.path.parent} is being run by another driver ({holder}): two drivers "
                "would overwrite each other's state. Wait for it to end or stop it (Ctrl-C leaves the experiment "
                "restorable), then run Tuner.restore(path, trainable).fit(); or give this run another "
                "RunConfig(name=...). Reading its results while it runs needs no lock: "
                "Tuner.restore(path, trainable).get_results().") from None
        except OSError:
            os.close(fd)
            raise
        # Who holds it, for the message of a driver refused (best effort: the lock is what counts).
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}).encode()
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, record, 0)
        except OSError:
            pass
        self._fd = fd
        return self

    def __exit__(self, kind: Optional[type[BaseException]], value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def _read_holder(fd: int) -> str:
    """The holder's record, as words: "pid 123 on host-a since 10:02:03"."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(data["since"])))
        return f"pid {int(data['pid'])} on {data['host']}, since {since}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that holds its lock"
