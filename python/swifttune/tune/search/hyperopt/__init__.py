"""``HyperOptSearch``: hyperopt's TPE, run by swifttune's Swift implementation."""
from .hyperopt_search import HyperOptSearch

__all__ = ["HyperOptSearch"]
