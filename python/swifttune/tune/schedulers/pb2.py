"""Ray's ``ray.tune.schedulers.pb2.PB2`` (Population Based Bandits): not in swifttune yet, refused by name."""
from ._refused import refused_scheduler

__all__ = ["PB2"]

PB2 = refused_scheduler(
    "PB2", __name__,
    "use PopulationBasedTraining with hyperparam_mutations over the same bounds (for example "
    "{'lr': tune.uniform(low, high)} for hyperparam_bounds={'lr': [low, high]}): it exploits and explores in the "
    "engine, without PB2's Gaussian-process bandit.")
