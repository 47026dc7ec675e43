"""swifttune's Ray Tune API: ``from swifttune import tune`` where you had ``from ray import tune``."""
from .checkpoint import Checkpoint, CheckpointConfig
from .result_grid import Result, ResultGrid, TuneError
from .schedulers import ASHAScheduler, AsyncHyperBandScheduler, FIFOScheduler, MedianStoppingRule
from .search.sample import (choice, grid_search, lograndint, loguniform, qlograndint, qloguniform, qrandint,
                            qrandn, quniform, randint, randn, sample_from, uniform)
from .tuner import (Callback, FailureConfig, RunConfig, Trainable, TuneConfig, TuneContext, Tuner, get_checkpoint,
                    get_context, report, with_parameters, with_resources)

__all__ = ["Tuner", "TuneConfig", "RunConfig", "FailureConfig", "report", "get_context", "TuneContext", "Trainable",
           "with_parameters", "with_resources", "Result", "ResultGrid", "uniform", "quniform", "loguniform",
           "qloguniform", "randn", "qrandn", "randint", "qrandint", "lograndint", "qlograndint", "choice",
           "sample_from", "grid_search", "FIFOScheduler", "ASHAScheduler", "AsyncHyperBandScheduler",
           "MedianStoppingRule", "Callback", "Checkpoint", "CheckpointConfig", "get_checkpoint", "TuneError"]
