"""Ray's ``PlacementGroupFactory``: a trial's resources as bundles. swifttune runs every trial on
one machine, so the bundles' sum is what the trial takes: ``PACK``, ``STRICT_PACK`` and
``SPREAD`` all put them on the one node there, as Ray does on one node; ``STRICT_SPREAD`` with
several bundles (one node each) cannot be placed on one machine and is refused."""
from __future__ import annotations

import numbers
from typing import Any

__all__ = ["PlacementGroupFactory"]

_STRATEGIES = ("PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD")


class PlacementGroupFactory:
    """Bundles of resources (``[{"CPU": 1, "GPU": 1}, {"CPU": 2}]``) for one trial, summed
    (``required_resources``)."""

    def __init__(self, bundles: list[dict[str, float]], strategy: str = "PACK", *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise NotImplementedError("PlacementGroupFactory's Ray placement-group options (name, lifetime, ...) are "
                                      "not supported by swifttune; pass bundles and a strategy.")
        if not bundles:
            raise ValueError("Cannot initialize a ResourceRequest with zero bundles.")
        if not isinstance(bundles, list) or not all(isinstance(b, dict) for b in bundles):
            raise ValueError("Bundles must be a list of resource dictionaries. For instance, "
                             "`[{'CPU': 1.0}, {'GPU': 1.0}]`.")
        if strategy not in _STRATEGIES:
            raise ValueError(f"Invalid placement group strategy {strategy!r}; use one of {', '.join(_STRATEGIES)}.")
        if strategy == "STRICT_SPREAD" and len(bundles) > 1:
            raise NotImplementedError("PlacementGroupFactory(strategy='STRICT_SPREAD') with several bundles needs a node "
                                      "per bundle, and swifttune runs trials on one machine (Ray would wait for the "
                                      "nodes forever); use 'PACK' or 'SPREAD'.")
        for b in bundles:
            for k, v in b.items():
                if isinstance(v, bool) or not isinstance(v, numbers.Real) or v < 0:
                    raise ValueError(f"PlacementGroupFactory: resource {k!r} must be a number >= 0, got {v!r}")
        # as Ray: zero amounts dropped, an empty head bundle left out
        kept = [{k: float(v) for k, v in b.items() if v != 0} for b in bundles]
        self._head_bundle_is_empty = not kept[0]
        if self._head_bundle_is_empty:
            kept.pop(0)
            if not kept:
                raise ValueError("Cannot initialize a ResourceRequest with an empty head and zero worker bundles.")
        self.bundles = kept
        self.strategy = strategy

    @property
    def head_bundle_is_empty(self) -> bool:
        """Whether the first bundle asked for nothing (it is then left out, as in Ray)."""
        return self._head_bundle_is_empty

    @property
    def required_resources(self) -> dict[str, float]:
        """The bundles' sum, by resource name."""
        out: dict[str, float] = {}
        for b in self.bundles:
            for k, v in b.items():
                out[k] = out.get(k, 0.0) + float(v)
        return out

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlacementGroupFactory) and (self.bundles, self.strategy) == (other.bundles,
                                                                                              other.strategy)

    def __repr__(self) -> str:
        return f"<PlacementGroupFactory (_bound=<BoundArguments (bundles={self.bundles}, strategy={self.strategy!r})>)>"


