"""Ray's ``ray.tune.search.hebo``: ``HEBOSearch`` (over HEBO) is not in swifttune; refused by name."""
from .._refused import refused_searcher

__all__ = ["HEBOSearch"]

HEBOSearch = refused_searcher("HEBOSearch", "HEBO")
