"""Ray Tune's ``ray.tune.analysis``: ``ExperimentAnalysis``, what ``tune.run`` returns."""
from .experiment_analysis import ExperimentAnalysis

__all__ = ["ExperimentAnalysis"]
