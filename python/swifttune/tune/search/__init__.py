"""Search algorithms: the Swift searchers behind Ray Tune's ``Searcher`` interface."""
from .basic_variant import BasicVariantGenerator
from .concurrency_limiter import ConcurrencyLimiter
from .repeater import Repeater
from .sample import Domain, grid_search
from .searcher import Searcher

__all__ = ["Searcher", "ConcurrencyLimiter", "Repeater", "BasicVariantGenerator", "Domain", "grid_search"]
