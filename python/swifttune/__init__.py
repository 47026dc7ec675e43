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

__all__ = ["init", "shutdown", "is_initialized", "get_gpu_ids", "tune", "train", "SwiftTuneError", "__version__"]

_num_cpus: Optional[int] = None
_num_gpus: Optional[int] = None
_custom_resources: Optional[dict[str, float]] = None
_initialized = False
_ray_address: Optional[str] = None
_warned: set[str] = set()


def init(address: Optional[str] = None, *, num_cpus: Optional[int] = None, num_gpus: Optional[int] = None,
         resources: Optional[dict[str, float]] = None, configure_logging: bool = True, **kwargs: Any) -> dict[str, Any]:
    """Accepted like ``ray.init``: what the machine offers trials. ``num_cpus`` (default: the
    machine's CPUs; that many worker processes are started ahead for the process executor),
    ``num_gpus`` (default: the GPUs detected as Ray detects them) and custom ``resources`` bound
    how many trials run at once, each taking what ``tune.with_resources`` says (one CPU by
    default). ``address`` is the Ray cluster ``TuneConfig(executor="ray")`` runs trials on (Ray
    connects to it when the first such experiment starts; an experiment with another executor runs
    here and warns that it does).
    Other Ray options have no meaning here and are ignored with a warning (once each)."""
    global _num_cpus, _num_gpus, _custom_resources, _initialized, _ray_address
    from ._resources import check_custom

    if num_cpus is not None:
        if not isinstance(num_cpus, int) or num_cpus < 1:
            raise ValueError(f"num_cpus must be a positive integer, got {num_cpus!r}")
        _num_cpus = num_cpus
    if num_gpus is not None:
        if isinstance(num_gpus, bool) or not isinstance(num_gpus, int) or num_gpus < 0:
            raise ValueError(f"num_gpus must be a non-negative integer, got {num_gpus!r}")
        _num_gpus = num_gpus
    if resources is not None:
        _custom_resources = check_custom(resources)
    if address is not None:
        if not isinstance(address, str):
            raise TypeError(f"address must be a str (a Ray cluster's address, such as '10.0.0.1:6379' or 'auto'), "
                            f"got {type(address).__name__}")
        _ray_address = address
    for key in kwargs:
        if key not in _warned:
            _warned.add(key)
            warnings.warn(f"swifttune.init ignores the Ray option {key!r}", stacklevel=2)
    lib.version()  # load and check the library now
    from .tune._internal.worker_pool import worker_pool

    if address is None:  # with a cluster address, trials run in Ray's actors, not in these workers
        worker_pool.prestart(_cpus())  # the process executor's workers, started ahead as Ray's are
    _initialized = True
    return {"num_cpus": _cpus(), "num_gpus": _gpus(), "library": str(library_path())}


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


def _gpus() -> int:
    from ._resources import detect_gpus

    return _num_gpus if _num_gpus is not None else detect_gpus()


def get_gpu_ids() -> list[Any]:
    """Ray's ``ray.get_gpu_ids()``: inside a trial, the GPUs it was given (the ids in its
    ``CUDA_VISIBLE_DEVICES``: ints, or strings where the driver's ``CUDA_VISIBLE_DEVICES`` named
    devices otherwise); outside a trial, or for a trial without GPUs, ``[]``."""
    from .tune.session import current_session

    session = current_session()
    return [int(g) if g.isdigit() else g for g in (getattr(session, "gpu_ids", None) or [])]


from . import train, tune  # noqa: E402  (after init, which they do not need at import)
