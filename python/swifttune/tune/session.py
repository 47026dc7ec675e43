"""Inside a trial: ``tune.report``, ``tune.get_checkpoint`` and ``tune.get_context``.

A trial runs with a session bound to its thread: on the driver (the thread executor) the driver's
trial session, in a worker process the session that talks to the driver. Both have ``report``,
``checkpoint``, ``stopped`` and the names ``TuneContext`` shows."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Optional

from .checkpoint import Checkpoint

if TYPE_CHECKING:
    from .context import TuneContext

__all__ = ["report", "get_checkpoint", "get_context", "TrialStopped", "check_report", "current_session",
           "bind_session"]


class TrialStopped(BaseException):
    """Raised by ``tune.report`` in a trial the engine stopped, to end it (not an error)."""


_local = threading.local()


def current_session() -> Any:
    """The session of the trial running on this thread, or None."""
    return getattr(_local, "session", None)


def bind_session(session: Any) -> None:
    """Binds `session` (None: unbinds) to this thread, for the trial it runs."""
    _local.session = session


def check_report(metrics: Any, checkpoint: Any) -> None:
    """``tune.report``'s argument checks, the same in both executors."""
    if not isinstance(metrics, dict):
        raise ValueError(f"tune.report expects a dict of metrics, got {type(metrics).__name__}")
    for k in metrics:
        if not isinstance(k, str):
            raise TypeError(f"tune.report: metric names must be str, got {k!r}")
    if checkpoint is not None and not isinstance(checkpoint, Checkpoint):
        raise TypeError(f"tune.report: `checkpoint` must be a tune.Checkpoint, got {type(checkpoint).__name__}")


def report(metrics: dict[str, Any], *, checkpoint: Optional[Checkpoint] = None) -> None:
    """Reports a result of the current trial (Ray's ``tune.report``), with a checkpoint to copy
    into the trial's folder if given. Once the engine has stopped the trial, the next report ends it."""
    s = current_session()
    if s is None:
        raise RuntimeError("tune.report() can only be called inside a trial run by swifttune's Tuner")
    s.report(metrics, checkpoint)


def get_checkpoint() -> Optional[Checkpoint]:
    """The trial's latest checkpoint (Ray's ``tune.get_checkpoint``): the one to resume from when
    the trial runs again after a failure, a pause or a restore; None for a fresh trial."""
    s = current_session()
    if s is None:
        raise RuntimeError("tune.get_checkpoint() can only be called inside a trial run by swifttune's Tuner")
    checkpoint: Optional[Checkpoint] = s.checkpoint
    return checkpoint


def get_context() -> "TuneContext":
    """The current trial's context (Ray's ``tune.get_context``)."""
    from .context import TuneContext

    s = current_session()
    if s is None:
        raise RuntimeError("tune.get_context() can only be called inside a trial run by swifttune's Tuner")
    return TuneContext(s)
