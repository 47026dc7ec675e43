"""Trial schedulers with Ray Tune's names, parameters and defaults; the decisions are made by the
Swift engine."""
from .async_hyperband import ASHAScheduler, AsyncHyperBandScheduler
from .hyperband import HyperBandScheduler
from .median_stopping_rule import MedianStoppingRule
from .pbt import PopulationBasedTraining, PopulationBasedTrainingReplay
from .trial_scheduler import FIFOScheduler, TrialScheduler

__all__ = ["TrialScheduler", "FIFOScheduler", "HyperBandScheduler", "AsyncHyperBandScheduler", "ASHAScheduler",
           "MedianStoppingRule", "PopulationBasedTraining", "PopulationBasedTrainingReplay"]
