"""Shared fixtures for swifttune's Python tests.

Run with: ``cd /work/main && PYTHONPATH=python python3 -m pytest -q python/tests``
"""
from __future__ import annotations

from pathlib import Path

import pytest

import swifttune
from swifttune import tune

from helpers import EXECUTORS, FileLog


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test starts with swifttune's process state as the module left it: `init(num_cpus=...)`
    and the warn-once set do not leak between tests, and nothing is written to the real home
    directory (the default storage path is ``~/swifttune_results``)."""
    monkeypatch.setattr(swifttune, "_num_cpus", swifttune._num_cpus)
    monkeypatch.setattr(swifttune, "_num_gpus", swifttune._num_gpus)
    monkeypatch.setattr(swifttune, "_custom_resources", swifttune._custom_resources)
    monkeypatch.setattr(swifttune, "_warned", set())
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def run_config(tmp_path: Path):
    """``run_config(**kw)``: a quiet RunConfig that stores under this test's tmp_path."""

    def make(**kw):
        kw.setdefault("storage_path", str(tmp_path / "results"))
        kw.setdefault("verbose", 0)
        return tune.RunConfig(**kw)

    return make


@pytest.fixture(params=EXECUTORS, ids=lambda e: e or "default")
def executor(request):
    """Runs a test once per executor that TuneConfig offers."""
    return request.param


@pytest.fixture
def log(tmp_path: Path) -> FileLog:
    """A file-backed log that trials (threads or worker processes) can append to."""
    return FileLog(tmp_path / "log.jsonl")
