"""Ray's deprecated ``UnifiedLogger`` (JSON, CSV and TensorBoard per trial): refused."""
from __future__ import annotations

from .refused import RefusedLogger

__all__ = ["UnifiedLogger"]


class UnifiedLogger(RefusedLogger):
    """Ray's deprecated per-trial ``UnifiedLogger``: refused (``NotImplementedError``)."""

    _instead = "result.json, params.json and progress.csv are written for every trial"
