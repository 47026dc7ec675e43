"""Ray's schedulers swifttune does not have yet: classes at Ray's module paths that refuse by name
(``NotImplementedError``), saying what to use instead, so a script fails at once and says why."""
from __future__ import annotations

from typing import Any

__all__ = ["refused_scheduler"]


def refused_scheduler(name: str, module: str, instead: str) -> type:
    """A class `name` whose construction raises ``NotImplementedError`` naming it and `instead`."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{name} is not supported by swifttune yet; {instead}")

    return type(name, (), {"__init__": __init__, "__module__": module,
                           "__doc__": f"Refused (``NotImplementedError``): {instead}"})
