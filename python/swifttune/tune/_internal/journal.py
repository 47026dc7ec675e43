"""The experiment state file as a snapshot and an append-only journal of changes (libswifttune's
``st_journal``): making a change durable costs what changed, not the experiment.

``experiment_state.json`` holds the Tuner's settings (the "head") and the engine's state under
``"engine"``; ``experiment_state.json.journal`` the engine's changes since, one line each, made
durable (fdatasync) as they are appended. The journal is folded into a new snapshot (written
atomically) when it outgrows it. Reading applies the journal; a last line cut short by a crash is
left out. See docs/reliability.md.
"""
from __future__ import annotations

import ctypes
import json
import os
from pathlib import Path
from typing import Any

from ..._lib import ExperimentHandle, Handle, SwiftTuneError, lib

__all__ = ["StateJournal", "load_state"]

ENGINE_KEY = b"engine"


class StateJournal(Handle):
    """The journal of one experiment's state file; one writer at a time (the state writer's thread)."""

    _free = "st_journal_free"

    def __init__(self, path: Path, experiment: ExperimentHandle) -> None:
        super().__init__(lib.call_handle("st_journal_new", os.fsencode(path), ENGINE_KEY))
        self.path = path
        self.experiment = experiment
        self.wants_compaction = True
        """Whether the next write must be the whole state: the first, one after a failed write, or
        one when the journal has outgrown the snapshot."""

    def _write(self, fn: str, *args: Any) -> None:
        """Calls a journal write; a failure makes the next write a compaction and raises ``OSError``
        (the storage's, with its errno) or ``SwiftTuneError``."""
        err = ctypes.c_int32()
        status = getattr(lib.c, fn)(*args, ctypes.byref(err))
        if status != 0:
            message = lib.c.st_last_error().decode("utf-8", "replace")
            self.wants_compaction = True
            if err.value:
                raise OSError(err.value, message, str(self.path))
            raise SwiftTuneError(status, message)

    def compact(self, head: dict[str, Any], background: bool = True) -> None:
        """Writes the whole state (`head` with the engine's state under "engine") atomically and
        starts a new journal. In the `background` (when the journal on disk is whole), the snapshot
        on disk and its journal are folded into a new one on a thread of the library's while
        changes go on being appended. Raises ``OSError`` (with the errno) when the storage fails."""
        self._write("st_journal_compact", self.p, self.experiment.p, json.dumps(head).encode("utf-8"), int(background))
        self.wants_compaction = False

    def append(self) -> None:
        """Appends the engine's changes since the last write and makes them durable. Raises
        ``OSError`` (with the errno) when the storage fails; the next write is then a compaction."""
        wants = ctypes.c_int32()
        self._write("st_journal_append", self.p, self.experiment.p, ctypes.byref(wants))
        self.wants_compaction = bool(wants.value)


def load_state(path: Path) -> dict[str, Any]:
    """The state file at `path` with its journal applied (a ``ValueError`` naming the file and line
    when one does not read)."""
    try:
        text = lib.call_string("st_journal_load", os.fsencode(path), ENGINE_KEY)
    except SwiftTuneError as e:
        raise ValueError(str(e)) from None
    saved: dict[str, Any] = json.loads(text or "null")
    return saved
