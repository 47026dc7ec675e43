"""Ctrl-C during ``fit`` (SIGINT, or SIGUSR1), as Ray Tune takes it: the first signal ends the
run cleanly instead of killing it. No trial starts after it; running trials end where they are
(a worker process is killed, a trial on a thread ends at its next ``tune.report``) and stay
RUNNING in the saved state, so ``Tuner.restore`` runs them again; the experiment state is
written one last time, the callbacks hear ``on_experiment_end``, and ``fit`` returns the results
so far with Ray's "Experiment has been interrupted" warning. A second Ctrl-C goes to the handler
that was there before (Python's: ``KeyboardInterrupt``), as Ray's "Press CTRL+C to skip".

In a notebook, "Interrupt the kernel" is this SIGINT. Worker processes run in sessions of their
own (worker_pool), so a terminal's or Jupyter's Ctrl-C, sent to the driver's process group, does
not reach them: the driver decides.

``TUNE_DISABLE_SIGINT_HANDLER=1`` leaves SIGINT alone (as in Ray); the handlers are installed
only when ``fit`` runs on the main thread (Python's rule for signal handlers), and the previous
ones are put back when it returns.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from typing import Any, Callable, Iterator

__all__ = ["TrialInterrupted", "catching_interrupts", "STOP_MESSAGE", "interrupted_message"]

logger = logging.getLogger("swifttune.tune")

STOP_MESSAGE = ("Stop signal received (e.g. via SIGINT/Ctrl+C), ending the Tune run. This will try to checkpoint "
                "the experiment state one last time. Press CTRL+C (or send SIGINT/SIGKILL/SIGTERM) to skip. ")


class TrialInterrupted(BaseException):
    """Raised by ``tune.report`` in a thread-executor trial once the run was interrupted: the
    trial ends there, neither completed nor failed (it stays RUNNING in the saved state)."""


def interrupted_message(path: str, entrypoint: str) -> str:
    """Ray's warning at the end of an interrupted run, naming how to resume it."""
    restore = (f'Tuner.restore(path="{path}", trainable=...)' if entrypoint.startswith("Tuner")
               else "tune.run_experiments(..., resume=True)" if "run_experiments" in entrypoint
               else "tune.run(..., resume=True)")
    return f"Experiment has been interrupted, but the most recent state was saved.\nResume experiment with: {restore}"


@contextlib.contextmanager
def catching_interrupts(on_interrupt: Callable[[], None]) -> Iterator[None]:
    """While the block runs, SIGINT (unless ``TUNE_DISABLE_SIGINT_HANDLER`` is set) and SIGUSR1
    call `on_interrupt` (after Ray's warning) instead of raising; a second SIGINT goes to the
    handler that was there before. Outside the main thread it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        logger.warning(STOP_MESSAGE)
        if signum == signal.SIGINT and signal.SIGINT in previous:
            signal.signal(signal.SIGINT, _handler_or_default(previous[signal.SIGINT]))
        on_interrupt()

    if not int(os.environ.get("TUNE_DISABLE_SIGINT_HANDLER", "0") or 0):
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, handler)
    if hasattr(signal, "SIGUSR1"):
        previous[signal.SIGUSR1] = signal.signal(signal.SIGUSR1, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, _handler_or_default(old))


def _handler_or_default(handler: Any) -> Any:
    """A handler ``signal.signal`` takes back (None, one installed outside Python, is the default)."""
    return signal.SIG_DFL if handler is None else handler
