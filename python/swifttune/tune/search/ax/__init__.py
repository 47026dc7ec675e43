"""Ray's ``ray.tune.search.ax``: ``AxSearch`` (over ax-platform) is not in swifttune; refused by name."""
from .._refused import refused_searcher

__all__ = ["AxSearch"]

AxSearch = refused_searcher("AxSearch", "ax-platform")
