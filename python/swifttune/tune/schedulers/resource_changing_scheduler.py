"""Ray's ``ResourceChangingScheduler`` and its allocation functions: refused by name. swifttune's
engine gives every trial of an experiment the same resources (``tune.with_resources``), so a
trial's resources cannot change while it runs."""
from ._refused import refused_scheduler

__all__ = ["ResourceChangingScheduler", "DistributeResources", "DistributeResourcesToTopJob"]

_INSTEAD = ("the engine gives every trial the same resources (tune.with_resources, resources_per_trial), so they "
            "cannot change while a trial runs; use the base scheduler directly and size the trials with "
            "tune.with_resources.")

ResourceChangingScheduler = refused_scheduler("ResourceChangingScheduler", __name__, _INSTEAD)
DistributeResources = refused_scheduler("DistributeResources", __name__, _INSTEAD)
DistributeResourcesToTopJob = refused_scheduler("DistributeResourcesToTopJob", __name__, _INSTEAD)
