"""Ray Tune's stoppers (``ray.tune.stopper``)."""
from .experiment_plateau import ExperimentPlateauStopper
from .function_stopper import FunctionStopper
from .maximum_iteration import MaximumIterationStopper
from .noop import NoopStopper
from .stopper import CombinedStopper, Stopper
from .timeout import TimeoutStopper
from .trial_plateau import TrialPlateauStopper

__all__ = [
    "Stopper",
    "CombinedStopper",
    "ExperimentPlateauStopper",
    "FunctionStopper",
    "MaximumIterationStopper",
    "NoopStopper",
    "TimeoutStopper",
    "TrialPlateauStopper",
]
