"""Ray's ``ray.tune.search.nevergrad``: ``NevergradSearch`` over the ``nevergrad`` library."""
from .nevergrad_search import NevergradSearch

__all__ = ["NevergradSearch"]
