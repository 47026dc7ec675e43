"""Trial schedulers with Ray Tune's names, parameters and defaults; the decisions are made by the
Swift engine."""
from .async_hyperband import ASHAScheduler, AsyncHyperBandScheduler
from .hyperband import HyperBandScheduler
from .median_stopping_rule import MedianStoppingRule
from .pbt import PopulationBasedTraining, PopulationBasedTrainingReplay
from .hb_bohb import HyperBandForBOHB
from .resource_changing_scheduler import ResourceChangingScheduler
from .trial_scheduler import FIFOScheduler, TrialScheduler

__all__ = ["TrialScheduler", "FIFOScheduler", "HyperBandScheduler", "AsyncHyperBandScheduler", "ASHAScheduler",
           "MedianStoppingRule", "PopulationBasedTraining", "PopulationBasedTrainingReplay", "HyperBandForBOHB",
           "ResourceChangingScheduler"]


def __getattr__(name: str) -> object:
    if name == "PB2":  # (Ray imports it lazily too)
        from .pb2 import PB2

        return PB2
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
