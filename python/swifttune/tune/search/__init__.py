"""Search algorithms: the Swift searchers behind Ray Tune's ``Searcher`` interface."""
from .basic_variant import BasicVariantGenerator
from .concurrency_limiter import ConcurrencyLimiter
from .sample import Domain, grid_search
from .searcher import Searcher

__all__ = ["Searcher", "ConcurrencyLimiter", "BasicVariantGenerator", "Domain", "grid_search"]
