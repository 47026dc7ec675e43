"""``swifttune.train``: where Ray has ``ray.train.RunConfig`` and friends."""
from ..tune.tuner import FailureConfig, RunConfig, report

__all__ = ["RunConfig", "FailureConfig", "report"]
