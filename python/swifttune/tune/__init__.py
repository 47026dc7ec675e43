"""swifttune's Ray Tune API: ``from swifttune import tune`` where you had ``from ray import tune``."""
from .analysis import ExperimentAnalysis
from .callback import Callback
from .checkpoint import Checkpoint, CheckpointConfig
from .context import TuneContext
from .error import TuneError
from .execution.placement_groups import PlacementGroupFactory
from .experiment import Experiment
from .impl.config import FailureConfig, RunConfig
from .progress_reporter import CLIReporter, JupyterNotebookReporter, ProgressReporter
from .registry import register_trainable
from .result_grid import Result, ResultGrid
from .schedulers import ASHAScheduler, AsyncHyperBandScheduler, FIFOScheduler, MedianStoppingRule
from .search.sample import (choice, grid_search, lograndint, loguniform, qlograndint, qloguniform, qrandint,
                            qrandn, quniform, randint, randn, sample_from, uniform)
from .session import get_checkpoint, get_context, report
from .syncer import SyncConfig
from .stopper import Stopper
from .trainable import Trainable, with_parameters, with_resources
from .tune import _create_scheduler as create_scheduler
from .tune import _create_searcher as create_searcher
from .tune import run, run_experiments
from .tune_config import ResumeConfig, TuneConfig
from .tuner import Tuner

__all__ = ["Tuner", "Stopper", "TuneConfig", "RunConfig", "FailureConfig", "report", "get_context", "TuneContext", "Trainable",
           "with_parameters", "with_resources", "Result", "ResultGrid", "uniform", "quniform", "loguniform",
           "qloguniform", "randn", "qrandn", "randint", "qrandint", "lograndint", "qlograndint", "choice",
           "sample_from", "grid_search", "FIFOScheduler", "ASHAScheduler", "AsyncHyperBandScheduler",
           "MedianStoppingRule", "Callback", "Checkpoint", "CheckpointConfig", "get_checkpoint", "TuneError",
           "run", "run_experiments", "Experiment", "ExperimentAnalysis", "register_trainable", "CLIReporter",
           "JupyterNotebookReporter", "ProgressReporter", "SyncConfig", "ResumeConfig", "create_scheduler",
           "create_searcher", "PlacementGroupFactory"]
