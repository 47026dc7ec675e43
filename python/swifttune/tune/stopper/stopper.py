"""Ray Tune's ``Stopper`` base class and ``CombinedStopper`` (``ray.tune.stopper.stopper``).

The engine decides when a trial or the experiment stops. The built-in stoppers only describe
themselves to it; a user's ``Stopper`` subclass (and a function, through ``FunctionStopper``) is
user code the engine calls back on the driver, with the trial's id and the full result dict the
trial just reported."""
from __future__ import annotations

import abc
from typing import Any

__all__ = ["Stopper", "CombinedStopper"]


class Stopper(abc.ABC):
    """Base class for implementing a Tune experiment stopper (Ray's ``tune.Stopper``).

    Subclasses implement ``__call__(trial_id, result)`` (whether the trial stops after this
    result) and ``stop_all()`` (whether the whole experiment stops). The engine calls
    ``__call__`` after every result of a running trial (and once more with the last result and
    ``done=True`` when the trial's function returns), and ``stop_all`` whenever it is asked for a
    new trial or given a result; an exception in either makes ``Tuner.fit`` raise it."""

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        """Returns true if the trial should be terminated given the result."""
        raise NotImplementedError

    def stop_all(self) -> bool:
        """Returns true if the experiment should be terminated."""
        raise NotImplementedError

    def _spec(self, callbacks: list["Stopper"]) -> dict[str, Any]:
        """The engine's specification of this stopper: user code is asked through the engine's
        callback, under the id of its place in `callbacks`."""
        callbacks.append(self)
        return {"type": "callback", "id": len(callbacks) - 1}


def _builtin_spec(stopper: Stopper, base: type, spec: dict[str, Any], callbacks: list[Stopper]) -> dict[str, Any]:
    """`spec` for a built-in stopper the engine evaluates; a subclass that overrides ``__call__`` or
    ``stop_all`` is user code, asked through the callback."""
    cls = type(stopper)
    if cls.__call__ is base.__call__ and cls.stop_all is base.stop_all:  # type: ignore[attr-defined]
        return spec
    return Stopper._spec(stopper, callbacks)


def _engine_only(name: str) -> NotImplementedError:
    return NotImplementedError(
        f"{name} is evaluated by the swifttune engine, not in Python: pass it to tune.RunConfig(stop=...) (alone, in "
        "a list or in a CombinedStopper) instead of calling it from your own code.")


class CombinedStopper(Stopper):
    """Combine several stoppers via 'OR' (Ray's ``CombinedStopper``): they are asked in order, and
    no further than the first that says stop."""

    def __init__(self, *stoppers: Stopper) -> None:
        for s in stoppers:
            if not isinstance(s, Stopper):
                raise ValueError(f"CombinedStopper takes tune.Stopper instances, got {type(s)}.")
        self._stoppers = stoppers

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        return any(s(trial_id, result) for s in self._stoppers)

    def stop_all(self) -> bool:
        return any(s.stop_all() for s in self._stoppers)

    def _spec(self, callbacks: list[Stopper]) -> dict[str, Any]:
        cls = type(self)
        if cls.__call__ is not CombinedStopper.__call__ or cls.stop_all is not CombinedStopper.stop_all:
            return Stopper._spec(self, callbacks)
        return {"type": "combined", "stoppers": [s._spec(callbacks) for s in self._stoppers]}
