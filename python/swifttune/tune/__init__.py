"""swifttune's Ray Tune API: ``from swifttune import tune`` where you had ``from ray import tune``."""
from .callback import Callback
from .checkpoint import Checkpoint, CheckpointConfig
from .context import TuneContext
from .error import TuneError
from .impl.config import FailureConfig, RunConfig
from .result_grid import Result, ResultGrid
from .schedulers import ASHAScheduler, AsyncHyperBandScheduler, FIFOScheduler, MedianStoppingRule
from .search.sample import (choice, grid_search, lograndint, loguniform, qlograndint, qloguniform, qrandint,
                            qrandn, quniform, randint, randn, sample_from, uniform)
from .session import get_checkpoint, get_context, report
from .stopper import Stopper
from .trainable import Trainable, with_parameters, with_resources
from .tune_config import TuneConfig
from .tuner import Tuner

__all__ = ["Tuner", "Stopper", "TuneConfig", "RunConfig", "FailureConfig", "report", "get_context", "TuneContext", "Trainable",
           "with_parameters", "with_resources", "Result", "ResultGrid", "uniform", "quniform", "loguniform",
           "qloguniform", "randn", "qrandn", "randint", "qrandint", "lograndint", "qlograndint", "choice",
           "sample_from", "grid_search", "FIFOScheduler", "ASHAScheduler", "AsyncHyperBandScheduler",
           "MedianStoppingRule", "Callback", "Checkpoint", "CheckpointConfig", "get_checkpoint", "TuneError"]
