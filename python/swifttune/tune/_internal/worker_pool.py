"""The process executor's worker processes: started ahead (``swifttune.init``), reused across
trials and experiments, replaced when they die. With ``reuse_actors=True`` a worker runs trial
after trial in its own process; by default (Ray's ``reuse_actors=False``) it forks a new process
for each trial (worker.py), so a worker that ran trials itself is only taken again with reuse."""
from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from typing import Optional

__all__ = ["WorkerProcess", "WorkerPool", "worker_pool", "exit_reason"]


class WorkerProcess:
    """One worker process (``python -m swifttune.tune._internal.worker``) and its connection."""

    def __init__(self) -> None:
        import socket
        import subprocess
        from multiprocessing.connection import Connection

        parent, child = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        # A session of its own: a Ctrl-C sent to the driver's process group (a terminal's, or Jupyter's
        # "Interrupt the kernel") is the driver's to handle (interrupt.py), never the workers'.
        self.proc = subprocess.Popen([sys.executable, "-m", "swifttune.tune._internal.worker", str(child.fileno())],
                                     pass_fds=[child.fileno()], env=env, start_new_session=True)
        child.close()
        self.conn = Connection(parent.detach())
        self.trainable_id: Optional[int] = None
        self.ready = False
        self.used = False  # it ran a trial in its own process: its modules may hold that trial's state

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

    def kill(self) -> None:
        """Ends the worker at once, with the trial process it forked (it is in the middle of a trial
        nobody waits for)."""
        try:
            self.kill_group()
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001
            pass
        try:
            self.conn.close()
        except OSError:
            pass

    def kill_group(self) -> None:
        """Kills the worker and the trial processes it forked (its session's process group), from any
        thread, without touching the connection (its reader sees it end)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

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


class WorkerPool:
    """Idle worker processes, reused across trials and experiments; ``swifttune.init`` starts
    ``num_cpus`` of them ahead (as ``ray.init`` starts Ray's workers)."""

    def __init__(self) -> None:
        self._idle: list[WorkerProcess] = []
        self._lock = threading.Lock()

    def prestart(self, n: int) -> None:
        """Starts workers until `n` are idle, and waits until they are ready."""
        with self._lock:
            self._idle = [w for w in self._idle if w.alive()]
            while len(self._idle) < n:
                self._idle.append(WorkerProcess())
            idle = list(self._idle)
        for w in idle:  # started together, then waited for
            w.wait_ready()

    def take(self, fresh: bool = False) -> WorkerProcess:
        """An idle worker (with `fresh`, one that never ran a trial in its own process; a new one
        if none is idle)."""
        with self._lock:
            self._idle = [w for w in self._idle if w.alive()]
            for i, w in enumerate(self._idle):
                if not (fresh and w.used):
                    return self._idle.pop(i)
        return WorkerProcess()

    def give_back(self, w: WorkerProcess) -> None:
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


worker_pool = WorkerPool()
atexit.register(worker_pool.close_all)


def exit_reason(code: Optional[int]) -> Optional[str]:
    """How a worker process ended, in words: its exit code, or the signal that killed it."""
    if code is None:
        return None
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        extra = " (sent by another process, or by the kernel's out-of-memory killer)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{extra}"
    return f"exit code {code}"
