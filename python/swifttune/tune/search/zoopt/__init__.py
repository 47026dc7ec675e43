"""Ray's ``ray.tune.search.zoopt``: ``ZOOptSearch`` (over zoopt) is not in swifttune; refused by name."""
from .._refused import refused_searcher

__all__ = ["ZOOptSearch"]

ZOOptSearch = refused_searcher("ZOOptSearch", "zoopt")
