"""swifttune: Ray Tune's and hyperopt's APIs over a Swift tuning engine (libswifttune).

Swap the imports: ``from swifttune import tune`` for ``from ray import tune``,
``from swifttune.hyperopt import hp`` for ``from hyperopt import hp``.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Optional

from ._capi import ST_VERSION as __version__
from ._lib import SwiftTuneError, library_path, lib

__all__ = ["init", "shutdown", "is_initialized", "tune", "train", "SwiftTuneError", "__version__"]

_num_cpus: Optional[int] = None
_initialized = False
_warned: set[str] = set()


def init(num_cpus: Optional[int] = None, configure_logging: bool = True, **kwargs: Any) -> dict[str, Any]:
    """Accepted like ``ray.init``: ``num_cpus`` bounds how many trials run at once, and that many
    worker processes are started ahead for the process executor; other Ray options have no
    meaning here and are ignored with a warning (once each)."""
    global _num_cpus, _initialized
    if num_cpus is not None:
        if not isinstance(num_cpus, int) or num_cpus < 1:
            raise ValueError(f"num_cpus must be a positive integer, got {num_cpus!r}")
        _num_cpus = num_cpus
    for key in kwargs:
        if key not in _warned:
            _warned.add(key)
            warnings.warn(f"swifttune.init ignores the Ray option {key!r}", stacklevel=2)
    lib.version()  # load and check the library now
    from .tune._internal.worker_pool import worker_pool

    worker_pool.prestart(_cpus())  # the process executor's workers, started ahead as Ray's are
    _initialized = True
    return {"num_cpus": _cpus(), "library": str(library_path())}


def shutdown() -> None:
    """Accepted like ``ray.shutdown``: stops the idle worker processes."""
    global _initialized
    from .tune._internal.worker_pool import worker_pool

    worker_pool.close_all()
    _initialized = False


def is_initialized() -> bool:
    return _initialized


def _cpus() -> int:
    return _num_cpus or os.cpu_count() or 1


from . import train, tune  # noqa: E402  (after init, which they do not need at import)
