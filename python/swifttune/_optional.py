"""Optional integrations (pandas, bayesian-optimization, nevergrad, mlflow, ...): imported only
when used, with a message saying how to install them when they are missing."""
from __future__ import annotations

import importlib
from typing import Any

__all__ = ["require"]


def require(module: str, message: str, error: type[Exception] = ImportError) -> Any:
    """`module`, imported; when it is not installed, `error` (ImportError unless Ray raises
    another) with `message`."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise error(message) from e
