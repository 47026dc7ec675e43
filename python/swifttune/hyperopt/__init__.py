"""swifttune's hyperopt-compatible API. ``from swifttune.hyperopt import hp``."""
from . import hp

__all__ = ["hp"]
