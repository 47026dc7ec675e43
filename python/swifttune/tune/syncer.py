"""Ray Tune's ``SyncConfig`` (``ray.tune.syncer``, also ``ray.tune.SyncConfig``).

Ray syncs an experiment's files to a remote ``storage_path``; with a local ``storage_path`` it
syncs nothing. swifttune stores on the local filesystem only, so the defaults are accepted with
that meaning (nothing to sync), and a setting that only matters for a remote store raises
``NotImplementedError``.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from ._internal.validation import is_int, is_number

__all__ = ["SyncConfig"]

DEFAULT_SYNC_PERIOD = 300
DEFAULT_SYNC_TIMEOUT = 1800


@dataclass
class SyncConfig:
    """Ray's ``SyncConfig(sync_period=300, sync_timeout=1800, sync_artifacts=False,
    sync_artifacts_on_checkpoint=True)``. Results and checkpoints are written straight into the
    local ``storage_path``, so there is nothing to sync: other values raise ``NotImplementedError``."""

    sync_period: int = DEFAULT_SYNC_PERIOD
    sync_timeout: int = DEFAULT_SYNC_TIMEOUT
    sync_artifacts: bool = False
    sync_artifacts_on_checkpoint: bool = True

    def __post_init__(self) -> None:
        for name in ("sync_period", "sync_timeout"):
            value = getattr(self, name)
            if not is_number(value) or value < 0:
                raise ValueError(f"`{name}` must be a number of seconds >= 0, got {value!r}")
        for name in ("sync_artifacts", "sync_artifacts_on_checkpoint"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"`{name}` must be a bool, got {type(getattr(self, name)).__name__}")
        for f in fields(self):
            value = getattr(self, f.name)
            if value != f.default or (is_int(f.default) and type(value) is bool):
                raise NotImplementedError(
                    f"SyncConfig({f.name}={value!r}) is not supported by swifttune; it only matters when syncing to a "
                    "remote storage_path, and swifttune writes results and checkpoints straight into a local "
                    "storage_path (nothing is synced): leave SyncConfig at its defaults instead.")
