"""Plots of an experiment (``swifttune.visualization``; matplotlib, an optional extra: ``pip install
'swifttune[plot]'``): optimisation history, parallel coordinates, parameter importances, slices
and intermediate values, from a ``ResultGrid``, an ``ExperimentAnalysis``, an experiment folder or
a hyperopt ``Trials``. ``python -m swifttune plot PATH`` writes them as PNG files."""
from ._data import ExperimentData, TrialRecord, experiment_data
from .plots import (get_param_importances, plot_intermediate_values, plot_optimization_history,
                    plot_parallel_coordinate, plot_param_importances, plot_slice, save_plots)

__all__ = ["plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances", "plot_slice",
           "plot_intermediate_values", "get_param_importances", "save_plots", "experiment_data", "ExperimentData",
           "TrialRecord"]
