"""Trainables that Ray Tune's example scripts import from ``ray.tune.examples`` (for instance
``pb2_example`` takes ``pbt_function`` from there), so those scripts run with only their imports
rewritten. Only the importable pieces live here, not the example scripts themselves."""
