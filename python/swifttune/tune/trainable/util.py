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


def with_resources(trainable: Any, resources: Union[dict[str, float], Callable[..., Any]]) -> Any:
    """Sets the resources a trial needs (Ray's ``tune.with_resources``): ``{"cpu": 2}`` runs at most
    num_cpus / 2 trials at once."""
    if callable(resources) and not isinstance(resources, dict):
        raise NotImplementedError("with_resources(resources=<a function of the config>) is not supported by swifttune; "
                                  "pass a dict such as {'cpu': 1} instead.")
    trainable._swifttune_resources = dict(resources)  # type: ignore[union-attr]
    return trainable
