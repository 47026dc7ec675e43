"""``OptunaSearch``: Optuna's TPE (``optuna.samplers.TPESampler``), run by swifttune's Swift implementation."""
from .optuna_search import OptunaSearch

__all__ = ["OptunaSearch"]
