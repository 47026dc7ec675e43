"""The one writer thread of the trials' files (per process): it takes what the trials hand over
(their results for result.json, progress.csv and the event file; an event file's start; the
hparams at a trial's end), lets it gather for ``BATCH_WINDOW`` after the first, and writes all of
it in one call of libswifttune (``st_trial_files_write_batch``), in Swift and without the GIL: the
trials pay for their result's JSON line and a list append, and the formatting of the rows and
events and the system calls happen on this thread, in order, while the trials go on.

A result file or progress.csv that cannot be written is given to its ``TrialFiles``
(``fail``), which raises it as a ``TrialFilesError`` at its next use; an event file that cannot be
written is said once, by name, and the experiment goes on without it."""
from __future__ import annotations

import array
import ctypes
import json
import logging
import os
import struct
import threading
import time
from typing import Any, Optional, Protocol

from ..._lib import STATUS_NAMES, lib
from .tensorboard_values import hparams_json

__all__ = ["START", "HPARAMS", "ROWS", "Rows", "writer", "BATCH_WINDOW"]

logger = logging.getLogger("swifttune.tune")

BATCH_WINDOW = 0.05
"""Seconds the writer thread lets operations gather after the first before it writes them all
(in one call, so the trials hand the GIL over once per batch, not per file)."""

START, HPARAMS, ROWS = 0, 2, 3  # the batch's operations (1, an event file's results alone, is not used here)


class RowsOwner(Protocol):
    """What the writer tells of a result file or progress.csv that failed (``TrialFiles``)."""

    def fail(self, code: int, message: str, path: str) -> None: ...


class Rows:
    """A trial's results handed over at once: their JSON lines (without the configuration), wall
    times, event summaries and event lines given for some (by index), and rows of progress.csv
    given as text for some (the others are made from their lines)."""

    __slots__ = ("owner", "result_path", "progress_path", "events_path", "config", "columns", "lines", "times",
                 "extras", "event_lines", "csv_rows")

    def __init__(self, owner: RowsOwner, result_path: bytes, progress_path: bytes, events_path: bytes, config: bytes,
                 columns: bytes, lines: list[str], times: list[float], extras: list[tuple[int, bytes]],
                 event_lines: list[tuple[int, str]], csv_rows: list[tuple[int, str]]) -> None:
        self.owner, self.result_path, self.progress_path, self.events_path = owner, result_path, progress_path, events_path
        self.config, self.columns, self.lines, self.times = config, columns, lines, times
        self.extras, self.event_lines, self.csv_rows = extras, event_lines, csv_rows


def _sized(b: bytes) -> bytes:
    return struct.pack("<I", len(b)) + b


def _indexed(entries: list[tuple[int, Any]]) -> bytes:
    """(index, bytes or text) entries as the batch takes them: u32 index, u32 length, bytes."""
    out = []
    for i, x in entries:
        data = x if isinstance(x, bytes) else x.encode("utf-8")
        out.append(struct.pack("<II", i, len(data)) + data)
    return b"".join(out)


class _Writer:
    """One daemon thread writing the operations given, in order, in batches: whatever gathered
    within ``BATCH_WINDOW`` of the first goes to ``st_trial_files_write_batch`` in one call
    (a forked process starts its own)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.ops: list[tuple[int, bytes, float, Any]] = []
        self.given = 0  # operations given so far
        self.written = 0  # operations written (or failed) so far
        self.hurry = 0  # callers of drain waiting: write at once
        self.thread: Optional[threading.Thread] = None
        self.pid = 0
        self.failed: set[bytes] = set()  # event files that could not be written

    def submit(self, kind: int, path: bytes, wall: float = 0.0, data: Any = None) -> int:
        """Gives an operation: START (an event file's first event), HPARAMS (`data`: the params and
        the last result) or ROWS (`data`: a ``Rows``; `path` its result file). Its number, for ``wait``."""
        with self.cond:
            if self.thread is None or self.pid != os.getpid():
                self.pid = os.getpid()
                self.ops, self.given, self.written = [], 0, 0
                self.thread = threading.Thread(target=self.loop, name="swifttune-files", daemon=True)
                self.thread.start()
            self.ops.append((kind, path, wall, data))
            self.given += 1
            if len(self.ops) == 1:  # the writer sleeps until a batch starts, then lets it gather undisturbed
                self.cond.notify_all()
            return self.given

    def loop(self) -> None:
        while True:
            with self.cond:
                while not self.ops:
                    self.cond.wait()
                deadline = time.monotonic() + BATCH_WINDOW
                while not self.hurry and (left := deadline - time.monotonic()) > 0:
                    self.cond.wait(left)
                ops, self.ops = self.ops, []
            try:
                self.write(ops)
            except Exception as e:  # noqa: BLE001 - a broken batch: its trials' files are told
                logger.warning("Trial files could not be written (%s).", e)
                for kind, _, _, data in ops:
                    if kind == ROWS:
                        data.owner.fail(0, str(e), os.fsdecode(data.result_path))
            with self.cond:
                self.written += len(ops)
                self.cond.notify_all()

    def write(self, ops: list[tuple[int, bytes, float, Any]]) -> None:
        """One ``st_trial_files_write_batch`` call for `ops`; failures go to their owners."""
        parts: list[bytes] = []
        owners: dict[bytes, RowsOwner] = {}
        for kind, path, wall, data in ops:
            if kind == ROWS:
                parts.append(self._rows(data))
                owners[data.result_path] = owners[data.progress_path] = data.owner
                continue
            if path in self.failed:
                continue
            payload = b""
            if kind == HPARAMS:
                text = hparams_json(*data)
                if text is None:
                    continue
                payload = text.encode("utf-8")
            parts.append(struct.pack("<BI", kind, len(path)) + path + struct.pack("<dI", wall, 0)
                         + _sized(payload) + _sized(b""))
        if not parts:
            return
        batch = b"".join(parts)
        out = ctypes.c_void_p()
        status = lib.c.st_trial_files_write_batch(batch, len(batch), ctypes.byref(out))
        if status:
            message = lib.c.st_last_error().decode("utf-8", "replace")
            raise OSError(f"writing the trial files failed ({STATUS_NAMES.get(status, status)}): {message}")
        text = lib.take_string(out)
        for failure in json.loads(text) if text else []:
            path = os.fsencode(failure["path"])
            owner = owners.get(path)
            if owner is not None:
                owner.fail(int(failure.get("errno") or 0), failure["message"], failure["path"])
            elif path not in self.failed:
                self.failed.add(path)
                logger.warning("The TensorBoard event file %s could not be written (%s); the experiment goes on "
                               "without it.", failure["path"], failure["message"])

    def _rows(self, r: Rows) -> bytes:
        data = "\n".join(r.lines).encode("utf-8")
        walls = array.array("d", r.times).tobytes()
        events = b"" if r.events_path in self.failed else r.events_path
        extras = b"".join(struct.pack("<II", i, len(x)) + x for i, x in r.extras) if events else b""
        return (struct.pack("<BI", ROWS, len(r.result_path)) + r.result_path + struct.pack("<dI", 0.0, len(r.times))
                + walls + _sized(data) + _sized(extras) + _sized(r.progress_path) + _sized(events) + _sized(r.config)
                + _sized(r.columns) + _sized(b"")  # no header: TrialFiles writes a new progress.csv's itself
                + _sized(_indexed(r.csv_rows))
                + _sized(_indexed(r.event_lines) if events else b""))

    def drain(self) -> None:
        """Returns once every operation given so far is written."""
        self.wait(None)

    def wait(self, target: Optional[int]) -> None:
        """Returns once operation number `target` (every one given so far: None) is written."""
        with self.cond:
            if self.thread is None or self.pid != os.getpid():
                return
            if target is None:
                target = self.given
            if self.written >= target:
                return
            self.hurry += 1
            self.cond.notify_all()
            try:
                while self.written < target:
                    self.cond.wait()
            finally:
                self.hurry -= 1


writer = _Writer()
