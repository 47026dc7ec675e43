"""``swifttune.optuna``: drop-ins for Optuna (``optuna`` itself must be installed:
``pip install 'swifttune[optuna]'``).

``TPESampler`` is ``optuna.samplers.TPESampler`` with its model in Swift: use it in an ordinary
Optuna study (``optuna.create_study(sampler=swifttune.optuna.TPESampler(seed=0))``)."""
from __future__ import annotations

from .._optional import require

require("optuna", "swifttune.optuna needs Optuna: pip install 'swifttune[optuna]' (or pip install optuna)")

from ._sampler import TPESampler  # noqa: E402

__all__ = ["TPESampler"]
