"""Ray Tune's ``with_parameters`` and ``with_resources``."""
from __future__ import annotations

import inspect
from typing import Any, Callable, Union

from .trainable import Trainable

__all__ = ["with_parameters", "with_resources"]


def with_parameters(trainable: Callable[..., Any], **kwargs: Any) -> Callable[..., Any]:
    """Passes large objects to the trainable by reference (Ray's ``tune.with_parameters``)."""
    if inspect.isclass(trainable) and issubclass(trainable, Trainable):
        class _WithParameters(trainable):  # type: ignore[misc, valid-type]
            def setup(self, config: dict[str, Any]) -> None:
                super().setup(config, **kwargs)  # type: ignore[call-arg]
        _WithParameters.__name__ = trainable.__name__
        return _WithParameters

    def inner(config: dict[str, Any]) -> Any:
        return trainable(config, **kwargs)  # type: ignore[call-arg]

    inner.__name__ = getattr(trainable, "__name__", "trainable")
    return inner


def with_resources(trainable: Any, resources: Union[dict[str, float], Any, Callable[..., Any]]) -> Any:
    """Sets the resources each trial takes (Ray's ``tune.with_resources``): a dict (``cpu``,
    ``gpu``, ``memory`` in bytes, custom names; a CPU count not given is 0, as in Ray) or a
    ``PlacementGroupFactory`` (its bundles summed). The engine runs only as many trials at once as
    every resource of ``swifttune.init`` holds, and gives each its own GPUs."""
    from ..._resources import per_trial
    from ..execution.placement_groups import PlacementGroupFactory

    if callable(resources) and not isinstance(resources, (dict, PlacementGroupFactory)):
        raise NotImplementedError("with_resources(resources=<a function of the config>) is not supported by swifttune; "
                                  "pass a dict such as {'cpu': 1} instead.")
    amounts = per_trial(resources)
    if not any(amounts.values()):
        raise ValueError("Cannot initialize a ResourceRequest with an empty head and zero worker bundles.")
    trainable._swifttune_resources = amounts  # type: ignore[union-attr]
    # The trial's own process sees the GPUs of the head bundle only (Ray: the other bundles are for
    # the workers a trial starts itself).
    head = resources.bundles[0] if isinstance(resources, PlacementGroupFactory) and not resources.head_bundle_is_empty \
        else (amounts if not isinstance(resources, PlacementGroupFactory) else {})
    trainable._swifttune_head_gpus = float(head.get("GPU", 0.0))  # type: ignore[union-attr]
    # The Ray executor makes a placement group of these bundles per trial (ray_executor.py).
    trainable._swifttune_placement = resources if isinstance(resources, PlacementGroupFactory) else None  # type: ignore[union-attr]
    return trainable
