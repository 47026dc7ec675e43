"""The W&B logging process of one trial, behind ``WandbLoggerCallback``.

wandb keeps one run per process: ``wandb.log`` and ``wandb.config`` act on it, and ``wandb.init``
with Ray's ``reinit=True`` finishes the run before. Ray therefore logs each trial from an actor of
its own, fed by a queue. swifttune does the same with a plain process per trial, ``python -m
swifttune.air._internal.wandb_logging FD``, its working directory the trial folder (where Ray's
actor changes to) and one end of a socket pair on FD.

The driver's side (``TrialLogger``) never waits on wandb: the callback's hooks pickle each item
(an item that does not pickle fails in the hook, as it does in Ray's queue) and put it on a
queue; a thread of the trial's own starts the process and sends the items in order. The process runs ``wandb.init``
with the callback's arguments and then, item by item: a result is logged as Ray's logging actor
logs it; a checkpoint folder becomes a ``model`` artifact; at the end (or when the driver is
gone) it finishes the run and exits.

Messages (pickles over a ``multiprocessing`` connection), driver to process: ``("init", logdir,
exclude, to_config, init_kwargs)`` first, then ``("result", result)``, ``("checkpoint", path)``
and ``("end",)``.
"""
from __future__ import annotations

import logging
import os
import pickle
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any, Optional

__all__ = ["TrialLogger", "split_result"]

logger = logging.getLogger("swifttune.air.integrations.wandb")

_PROTOCOL = pickle.HIGHEST_PROTOCOL
_END = pickle.dumps(("end",), _PROTOCOL)


class TrialLogger:
    """The driver's handle on one trial's logging process: `put` queues an item and returns at
    once; `end` queues the end; `wait` and `kill` are for the experiment's end."""

    def __init__(self, trial_name: str, logdir: str, exclude: list[str], to_config: list[str],
                 init_kwargs: dict[str, Any]) -> None:
        self.trial_name = trial_name
        self.ended = False
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self._killed = False
        self._lock = threading.Lock()
        self._items: "queue.SimpleQueue[Optional[bytes]]" = queue.SimpleQueue()
        self.put(("init", logdir, list(exclude), list(to_config), dict(init_kwargs)))
        self._thread = threading.Thread(target=self._feed, args=(logdir,), daemon=True,
                                        name=f"swifttune-wandb-{trial_name}")
        self._thread.start()

    def put(self, item: tuple[Any, ...]) -> None:
        """Queues `item` for the process (pickled here: one that does not pickle raises here)."""
        self._items.put(pickle.dumps(item, _PROTOCOL))

    def end(self) -> None:
        """Queues the end: the process finishes the run once it has logged what came before."""
        if not self.ended:
            self.ended = True
            self._items.put(None)

    def done(self) -> bool:
        """Everything sent and the process exited (or never started)."""
        return not self._thread.is_alive() and (self.proc is None or self.proc.poll() is not None)

    def wait(self, timeout: Optional[float]) -> bool:
        """Waits up to `timeout` seconds (None: as long as it takes) for `done`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        if self.proc is not None:
            try:
                self.proc.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                return False
        return True

    def kill(self) -> None:
        """Ends the process at once (what it has not logged is lost)."""
        self.ended = True
        with self._lock:
            self._killed = True
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
        self._items.put(None)  # wakes a feeder waiting for items

    def failure(self) -> Optional[str]:
        """How a process that ended on its own failed (its exit code), or None."""
        code = self.proc.poll() if self.proc is not None else None
        if self._killed or not code:
            return None
        return f"exit code {code}"

    def _start(self, logdir: str) -> Optional[Connection]:
        parent, child = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        try:
            with self._lock:
                if self._killed:
                    parent.close()
                    return None
                self.proc = subprocess.Popen([sys.executable, "-m", __name__, str(child.fileno())],
                                             pass_fds=[child.fileno()], env=env, cwd=logdir or None)
        except OSError:
            parent.close()
            raise
        finally:
            child.close()
        return Connection(parent.detach())

    def _feed(self, logdir: str) -> None:
        conn: Optional[Connection] = None
        try:
            conn = self._start(logdir)
        except OSError as e:
            logger.warning("The W&B logging process of trial %s could not be started (%s); its results are not "
                           "logged to W&B.", self.trial_name, e)
            return
        try:
            while conn is not None:
                data = self._items.get()
                if self._killed:
                    break
                conn.send_bytes(_END if data is None else data)
                if data is None:
                    break
        except OSError as e:
            if not self._killed:
                logger.warning("The W&B logging process of trial %s ended before it was sent everything (%s); "
                               "the results after that are not logged to W&B (its output above says why).",
                               self.trial_name, e)
        finally:
            if conn is not None:
                conn.close()


def split_result(result: dict[str, Any], exclude: set[str],
                 to_config: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ray's logging actor's rule for one result: (what ``wandb.log`` gets, what updates the run's
    config). The result is flattened with ``/``; a key under an excluded one is left out; one
    under a `to_config` key goes to the config (with the result's ``config``, less its
    ``callbacks``); of the rest only values W&B takes (numbers, its media) are logged."""
    from ...tune._internal.flatten import flatten_dict
    from ..integrations.wandb import _is_allowed_type

    def under(key: str, names: set[str]) -> bool:
        return any(key == n or key.startswith(n + "/") for n in names)

    config_update = dict(result.get("config", {}))
    log: dict[str, Any] = {}
    for k, v in flatten_dict(result).items():
        if under(k, exclude):
            continue
        if under(k, to_config):
            config_update[k] = v
        elif _is_allowed_type(v):
            log[k] = v
    config_update.pop("callbacks", None)
    return log, config_update


def main() -> None:
    """The logging process: one W&B run, logged from the driver's items, then finished."""
    import urllib.error

    from ..integrations.wandb import _run_wandb_process_run_info_hook, _wandb

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C for the driver: the run ends when the driver is gone
    conn = Connection(int(sys.argv[1]))
    try:
        _, logdir, exclude, to_config, init_kwargs = conn.recv()
    except (EOFError, OSError):
        return
    wandb = _wandb()
    os.environ["WANDB_START_METHOD"] = "thread"  # as Ray's actor: already a process of its own
    run = wandb.init(**init_kwargs)
    run.config.trial_log_path = logdir
    _run_wandb_process_run_info_hook(run)
    excluded, configured = set(exclude), set(to_config)
    while True:
        try:
            item = conn.recv()
        except (EOFError, OSError):  # the driver is gone: finish with what came
            break
        if item[0] == "end":
            break
        if item[0] == "checkpoint":
            artifact = wandb.Artifact(name=f"checkpoint_{init_kwargs.get('name', 'unknown')}", type="model")
            artifact.add_dir(item[1])
            run.log_artifact(artifact)
            continue
        log, config_update = split_result(item[1], excluded, configured)
        try:
            run.config.update(config_update, allow_val_change=True)
            run.log(log, step=log.get("training_iteration"))
        except urllib.error.HTTPError as e:  # Ray's rule: a few lost points are no reason to stop
            logger.warning("Failed to log result to w&b: %s", e)
        except FileNotFoundError as e:
            logger.error("FileNotFoundError: Did not log result to Weights & Biases. Possible cause: relative file "
                         "path used instead of absolute path. Error: %s", e)
    run.finish()
    wandb.teardown()  # waits until wandb's service has written (uploaded) everything


if __name__ == "__main__":
    main()
