"""Ray's ``ray.tune.schedulers.hb_bohb.HyperBandForBOHB``: not in swifttune yet, refused by name."""
from ._refused import refused_scheduler

__all__ = ["HyperBandForBOHB"]

HyperBandForBOHB = refused_scheduler(
    "HyperBandForBOHB", __name__,
    "use HyperBandScheduler (synchronous HyperBand, with the default search or HyperOptSearch), or ASHAScheduler.")
