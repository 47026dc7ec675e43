"""Ray Tune's trainable registry (``ray.tune.registry``): ``tune.register_trainable(name, trainable)``
makes ``tune.run(name)``, ``tune.Tuner(name)`` and ``Experiment(run=name)`` find it."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Union

from .error import TuneError

__all__ = ["register_trainable", "get_trainable_cls", "validate_trainable", "is_function_trainable",
           "TRAINABLE_CLASS"]

logger = logging.getLogger("swifttune.tune")

TRAINABLE_CLASS = "trainable_class"
"""The registry category of trainables (Ray's name)."""

_trainables: dict[str, Any] = {}
_lock = threading.Lock()


def register_trainable(name: str, trainable: Union[Callable[..., Any], type], warn: bool = True) -> None:
    """Registers a trainable function or ``tune.Trainable`` class under ``name``."""
    from .trainable import Trainable

    if not isinstance(name, str) or not name:
        raise TypeError(f"The trainable's name must be a non-empty str, got {name!r}")
    if isinstance(trainable, type):
        if not issubclass(trainable, Trainable):
            raise TypeError("Second argument must be convertable to Trainable", trainable)
        logger.debug("Detected class for trainable.")
    elif callable(trainable):
        logger.debug("Detected function for trainable.")
    else:
        raise TypeError("Second argument must be convertable to Trainable", trainable)
    with _lock:
        _trainables[name] = trainable


def validate_trainable(trainable_name: str) -> None:
    """Raises Ray's ``TuneError("Unknown trainable: ...")`` for a name never registered."""
    with _lock:
        known = trainable_name in _trainables
    if not known:
        raise TuneError(f"Unknown trainable: {trainable_name}")


def get_trainable_cls(trainable_name: str) -> Any:
    """The trainable registered under ``trainable_name`` (a function or a Trainable class)."""
    validate_trainable(trainable_name)
    with _lock:
        return _trainables[trainable_name]


def is_function_trainable(trainable: Union[str, Callable[..., Any], type]) -> bool:
    """Whether ``trainable`` (or the one registered under that name) is a function."""
    if isinstance(trainable, str):
        trainable = get_trainable_cls(trainable)
    return not isinstance(trainable, type) and callable(trainable)


def _unregister_trainables() -> None:
    with _lock:
        _trainables.clear()
