"""Ray's ``ray.tune.search.bohb.TuneBOHB``: not in swifttune yet, refused by name."""
from ...schedulers._refused import refused_scheduler

__all__ = ["TuneBOHB"]

TuneBOHB = refused_scheduler(
    "TuneBOHB", __name__,
    "use HyperOptSearch (TPE in Swift) with HyperBandScheduler or ASHAScheduler.")
