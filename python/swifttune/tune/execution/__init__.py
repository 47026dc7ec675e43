"""Ray's ``ray.tune.execution``: ``PlacementGroupFactory`` (the resources of one trial)."""
from .placement_groups import PlacementGroupFactory

__all__ = ["PlacementGroupFactory"]
