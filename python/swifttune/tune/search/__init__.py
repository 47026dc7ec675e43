"""Search algorithms: the Swift searchers behind Ray Tune's ``Searcher`` interface, Ray's
wrappers of other libraries (``bayesopt``, ``nevergrad``; ``ax``, ``hebo`` and ``zoopt`` refused
by name), and Ray's messages for searchers left without a space, metric or mode."""
from ._messages import UNDEFINED_METRIC_MODE, UNDEFINED_SEARCH_SPACE, UNRESOLVED_SEARCH_SPACE
from .basic_variant import BasicVariantGenerator
from .concurrency_limiter import ConcurrencyLimiter
from .repeater import Repeater
from .sample import Domain, grid_search
from .searcher import Searcher

__all__ = ["Searcher", "ConcurrencyLimiter", "Repeater", "BasicVariantGenerator", "Domain", "grid_search",
           "UNRESOLVED_SEARCH_SPACE", "UNDEFINED_SEARCH_SPACE", "UNDEFINED_METRIC_MODE"]
