"""Nested configurations as flat ``a/b`` keys (result tables, data frames, the status table)."""
from __future__ import annotations

from typing import Any

__all__ = ["flatten_dict"]


def flatten_dict(d: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` as ``{"a/b": 1}``; anything but a dict gives ``{}``."""
    out: dict[str, Any] = {}
    if isinstance(d, dict):
        for k, v in d.items():
            key = f"{prefix}/{k}" if prefix else str(k)
            if isinstance(v, dict):
                out.update(flatten_dict(v, key))
            else:
                out[key] = v
    return out
