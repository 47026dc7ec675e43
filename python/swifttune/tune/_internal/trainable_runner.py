"""Runs one trial of a trainable (a function, or a ``Trainable`` class stepped until done or
stopped), the same way in both executors."""
from __future__ import annotations

import inspect
from typing import Any, Optional

from ..session import current_session, report
from ..trainable.trainable import Trainable

__all__ = ["run_trainable"]


def run_trainable(trainable: Any, config: dict[str, Any]) -> Optional[dict[str, Any]]:
    """Runs `trainable` on `config` in the session bound to this thread; a function's returned
    dict (its final result, reported by the caller) or None."""
    if inspect.isclass(trainable) and issubclass(trainable, Trainable):
        obj = trainable(config)
        try:
            while True:
                result = obj.step()
                report(result)
                if isinstance(result, dict) and result.get("done"):
                    return None
                session = current_session()
                if session is not None and session.stopped:
                    return None  # the engine stopped the trial: no further step()
        finally:
            obj.cleanup()
    out = trainable(config)
    return out if isinstance(out, dict) else None
