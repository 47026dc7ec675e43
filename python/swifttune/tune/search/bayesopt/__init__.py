"""Ray's ``ray.tune.search.bayesopt``: ``BayesOptSearch`` over the ``bayesian-optimization`` library."""
from .bayesopt_search import BayesOptSearch

__all__ = ["BayesOptSearch"]
