"""hyperopt's ``hyperopt.pyll.base``: ``scope`` and ``as_apply`` (see ``swifttune.hyperopt.pyll``)."""
from __future__ import annotations

from . import as_apply, scope

__all__ = ["scope", "as_apply"]
