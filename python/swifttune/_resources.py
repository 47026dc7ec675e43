"""The resources trials run on, by Ray's names: what the machine offers (``swifttune.init``'s
``num_cpus``, ``num_gpus`` and ``resources``, or what is detected as Ray detects it) and what
each trial takes (``tune.with_resources``, ``resources_per_trial``, ``PlacementGroupFactory``).
The engine bounds the trials running at once by every resource and hands each its GPUs."""
from __future__ import annotations

import math
import numbers
import os
from typing import Any, Mapping, Optional

__all__ = ["cluster_resources", "detect_gpus", "per_trial", "check_custom", "trial_resources", "visible_gpu_ids"]

DEFAULT_PER_TRIAL = {"CPU": 1.0}
"""What a trial takes without ``with_resources`` (Ray's default: one CPU)."""


def detect_gpus() -> int:
    """The GPUs Ray would see on this machine without ``num_gpus``: the devices listed in
    ``CUDA_VISIBLE_DEVICES`` when it is set, else the NVIDIA devices the driver lists
    (``/proc/driver/nvidia/gpus``), else none."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = [v for v in visible.split(",") if v.strip()]
        return 0 if ids == ["NoDevFiles"] else len(ids)
    try:
        return len(os.listdir("/proc/driver/nvidia/gpus"))
    except OSError:
        return 0


def detect_memory() -> float:
    """The memory trials may declare (``{"memory": bytes}``): 70% of the machine's physical
    memory, about what Ray leaves to tasks besides its object store."""
    try:
        return 0.7 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not Linux
        return 0.0


def cluster_resources() -> dict[str, float]:
    """What the machine offers trials, by Ray's names (``CPU``, ``GPU``, ``memory``, custom)."""
    import swifttune

    out = {"CPU": float(swifttune._cpus()), "GPU": float(swifttune._gpus()), "memory": detect_memory()}
    out.update({k: float(v) for k, v in (swifttune._custom_resources or {}).items()})
    return out


def _amount(where: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (float(value) >= 0):
        raise ValueError(f"{where}: resource {name!r} must be a number >= 0, got {value!r}")
    return float(value)


def per_trial(resources: Any) -> dict[str, float]:
    """Ray's reading of a trial's resources: a dict (``cpu``/``CPU``, ``gpu``/``GPU``, ``memory``,
    and custom names, or a ``custom_resources`` dict of them; an unnamed CPU count is 0, as in Ray's
    ``resource_dict_to_pg_factory``) or a ``PlacementGroupFactory`` (its bundles summed)."""
    from .tune.execution.placement_groups import PlacementGroupFactory

    if isinstance(resources, PlacementGroupFactory):
        return resources.required_resources
    if not isinstance(resources, Mapping):
        raise TypeError(f"resources must be a dict such as {{'cpu': 1, 'gpu': 1}} or a PlacementGroupFactory, "
                        f"got {resources!r}")
    spec = dict(resources)
    cpu = spec.pop("cpu", spec.pop("CPU", 0.0))
    gpu = spec.pop("gpu", spec.pop("GPU", 0.0))
    memory = spec.pop("memory", 0.0)
    custom = dict(spec.pop("custom_resources", {}) or {}) or spec
    out = {"CPU": _amount("with_resources", "cpu", cpu), "GPU": _amount("with_resources", "gpu", gpu),
           "memory": _amount("with_resources", "memory", memory)}
    for k, v in custom.items():
        out[str(k)] = _amount("with_resources", str(k), v)
    return out


def check_custom(resources: Optional[Mapping[str, Any]]) -> dict[str, float]:
    """``swifttune.init(resources=...)``: custom resources by name (Ray's errors for ``CPU`` and ``GPU``)."""
    if resources is None:
        return {}
    if not isinstance(resources, Mapping):
        raise TypeError(f"resources must be a dict of custom resource amounts, got {resources!r}")
    out = {}
    for k, v in resources.items():
        if k in ("CPU", "GPU"):
            raise ValueError("Use the 'num_cpus' and 'num_gpus' keyword instead of 'CPU' and 'GPU' in 'resources' "
                             "keyword")
        out[str(k)] = _amount("init", str(k), v)
    return out


def trial_resources(trainable: Any) -> dict[str, float]:
    """What each trial of `trainable` takes (``with_resources``'s amounts, or one CPU)."""
    return dict(getattr(trainable, "_swifttune_resources", None) or DEFAULT_PER_TRIAL)


def head_gpus(trainable: Any) -> float:
    """The GPUs the trial's own process takes: all of them, but for a ``PlacementGroupFactory``
    only its head bundle's (as in Ray)."""
    return float(getattr(trainable, "_swifttune_head_gpus", trial_resources(trainable).get("GPU", 0.0)))


def visible_gpu_ids(devices: list[int], head: Optional[float] = None) -> list[str]:
    """The ids of the engine's GPU devices as a trial's process sees them (Ray's
    ``get_gpu_ids``): the driver's ``CUDA_VISIBLE_DEVICES`` entries at those places when it is
    set, else the indices; with `head`, only the first ``ceil(head)`` of them (none for 0)."""
    if head is not None:
        devices = devices[:math.ceil(head)] if head > 0 else []
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = [v.strip() for v in visible.split(",") if v.strip()]
        return [ids[i] if i < len(ids) else str(i) for i in devices]
    return [str(i) for i in devices]
