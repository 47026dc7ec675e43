"""Ray's ``ray.tune.search.bohb``: ``TuneBOHB``, BOHB's model (Falkner et al. 2018, as
hpbandster's config generator builds it) run by swifttune's Swift searcher."""
from .bohb_search import TuneBOHB

__all__ = ["TuneBOHB"]
