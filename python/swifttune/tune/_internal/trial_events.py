"""A trial's TensorBoard event file, as Ray Tune's ``TBXLoggerCallback`` writes it: named as
tensorboardX names it (``events.out.tfevents.<time>.<host>``), in the trial's folder, with a
scalar per number of each result (``ray/tune/<key>``), histograms, images and videos for lists
and arrays, and the hparams summaries when the trial ends. On in every experiment where Ray turns
it on (``tensorboard_enabled``).

The trials pay almost nothing: a result's result.json line (text made anyway) and its wall time
are kept; the trial's files hand them over in batches, with the rows they write (within a second;
all of them when the trial ends). Everything that touches the event file (making it, encoding and
appending the events, under 2 us of CPU per result, the hparams) runs on one writer thread of its own,
in order, so no trial waits for it (making a file took half a millisecond on this project's
machine): what gathered within ``BATCH_WINDOW`` goes to ``st_tfevents_write_batch`` in one call,
in Swift and without the GIL. ``drain`` waits for it (a Tuner's ``fit`` returns with every event
file complete). A file that cannot be written is said once, by name,
and the experiment goes on: the result files are the experiment's record."""
from __future__ import annotations

import array
import ctypes
import importlib.util
import json
import logging
import os
import socket
import struct
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Optional

from ..._lib import STATUS_NAMES, lib
from .tensorboard_values import hparams_json, tensorboard_row

__all__ = ["TrialEvents", "tensorboard_enabled", "tensorboardx_importable", "DISABLE_ENV", "drain"]

logger = logging.getLogger("swifttune.tune")

DISABLE_ENV = "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"
"""Ray's environment variable: "1" leaves the default loggers (TensorBoard's among them) out."""


def tensorboardx_importable() -> bool:
    """Whether tensorboardX and the packages it imports (numpy, protobuf) are installed; found
    without importing them (tensorboardX takes a tenth of a second to import, and swifttune only
    needs it for lists and arrays in results)."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in ("tensorboardX", "numpy", "google.protobuf"))
    except (ImportError, ValueError):
        return False


def tensorboard_enabled(callbacks: Iterable[Any]) -> bool:
    """Ray's rule (``_create_default_callbacks``): the event files are written when the
    callbacks hold a ``TBXLoggerCallback``, or else when ``TUNE_DISABLE_AUTO_CALLBACK_LOGGERS``
    is not "1" and tensorboardX can be imported (else Ray's warning says how to get it)."""
    from ..logger.tensorboardx import TBXLoggerCallback

    if any(isinstance(cb, TBXLoggerCallback) for cb in callbacks):
        return True
    if os.environ.get(DISABLE_ENV, "0") == "1":
        return False
    if tensorboardx_importable():
        return True
    logger.warning("The TensorboardX logger cannot be instantiated because either TensorboardX or one of it's "
                   "dependencies is not installed. Please make sure you have the latest version of TensorboardX "
                   "installed: `pip install -U tensorboardx`")
    return False


_host: Optional[str] = None


def _hostname() -> str:
    global _host
    if _host is None:
        _host = socket.gethostname()
    return _host


def _check(status: int) -> None:
    """A failed libswifttune call as ``OSError`` (as a failed write of result.json is)."""
    if status:
        message = lib.c.st_last_error().decode("utf-8", "replace")
        raise OSError(f"writing the TensorBoard event file failed ({STATUS_NAMES.get(status, status)}): {message}")


BATCH_WINDOW = 0.05
"""Seconds the writer thread lets operations gather after the first before it writes them all
(in one call of libswifttune, so the trials hand the GIL over once per batch, not per file)."""


class _Writer:
    """One daemon thread that writes the event files' operations (make a file, append results,
    append hparams) in the order they were given, in batches: whatever gathered within
    ``BATCH_WINDOW`` of the first goes to ``st_tfevents_write_batch`` in one call, without the GIL
    (per process; a forked process starts its own)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.ops: list[tuple[int, bytes, float, Any, Any, Any]] = []
        self.given = 0  # operations given so far
        self.written = 0  # operations written (or failed) so far
        self.hurry = False  # drain waits: write at once
        self.thread: Optional[threading.Thread] = None
        self.pid = 0
        self.failed: set[bytes] = set()

    def submit(self, kind: int, path: bytes, wall: float = 0.0, data: Any = None, times: Any = None,
               extras: Any = None) -> None:
        with self.cond:
            if self.thread is None or self.pid != os.getpid():
                self.pid = os.getpid()
                self.ops, self.given, self.written = [], 0, 0
                self.thread = threading.Thread(target=self.loop, name="swifttune-events", daemon=True)
                self.thread.start()
            self.ops.append((kind, path, wall, data, times, extras))
            self.given += 1
            if len(self.ops) == 1:  # the writer sleeps until a batch starts, then lets it gather undisturbed
                self.cond.notify_all()

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
            except Exception as e:  # noqa: BLE001 - a broken batch: said, the experiment goes on
                logger.warning("TensorBoard event files could not be written (%s); the experiment goes on.", e)
            with self.cond:
                self.written += len(ops)
                self.cond.notify_all()

    def write(self, ops: list[tuple[int, bytes, float, Any, Any, Any]]) -> None:
        """One ``st_tfevents_write_batch`` call for `ops`; each file that fails is said once."""
        parts: list[bytes] = []
        for kind, path, wall, data, times, extras in ops:
            if path in self.failed:
                continue
            if kind == _HPARAMS:
                data = hparams_json(*data)
                if data is None:
                    continue
                data = data.encode("utf-8")
            elif kind == _RESULTS:
                data = "\n".join(data).encode("utf-8")
            else:
                data = b""
            walls = array.array("d", times or ()).tobytes()
            blob = b"".join(struct.pack("<II", i, len(x)) + x for i, x in extras) if extras else b""
            parts.append(struct.pack("<BI", kind, len(path)) + path + struct.pack("<dI", wall, len(walls) // 8) + walls
                         + struct.pack("<I", len(data)) + data + struct.pack("<I", len(blob)) + blob)
        if not parts:
            return
        batch = b"".join(parts)
        out = ctypes.c_void_p()
        _check(lib.c.st_tfevents_write_batch(batch, len(batch), ctypes.byref(out)))
        text = lib.take_string(out)
        for failure in json.loads(text) if text else []:
            path = os.fsencode(failure["path"])
            if path not in self.failed:
                self.failed.add(path)
                logger.warning("The TensorBoard event file %s could not be written (%s); the experiment goes on "
                               "without it.", failure["path"], failure["message"])

    def drain(self) -> None:
        """Returns once every operation given so far is written."""
        with self.cond:
            if self.thread is None or self.pid != os.getpid():
                return
            target = self.given
            self.hurry = True
            self.cond.notify_all()
            try:
                while self.written < target:
                    self.cond.wait()
            finally:
                self.hurry = False


_START, _RESULTS, _HPARAMS = 0, 1, 2
_writer = _Writer()


def drain() -> None:
    """Waits until every event written so far is in its file."""
    _writer.drain()


class TrialEvents:
    """One run of a trial's event file: created, with tensorboardX's first event, when the run
    starts (an existing file of the same name, from a run in the same second, is appended to).
    ``lines``, ``times`` and ``extras`` are what the report path adds, under the trial files'
    lock, until ``write`` hands them to the writer thread."""

    __slots__ = ("path", "lines", "times", "extras", "last")

    def __init__(self, trial_dir: Path, now: Optional[float] = None) -> None:
        wall = time.time() if now is None else now
        self.path = os.fsencode(trial_dir / f"events.out.tfevents.{str(wall)[:10]}.{_hostname()}")
        self.lines: list[str] = []  # the results' JSON lines (without their config)
        self.times: list[float] = []  # their wall times
        self.extras: list[tuple[int, bytes]] = []  # (index in lines, an encoded Summary)
        self.last: Optional[dict[str, Any]] = None  # the run's latest result (Ray's hparams metrics)
        _writer.submit(_START, self.path, wall)

    @staticmethod
    def prepare(result: dict[str, Any]) -> tuple[str, list[bytes]]:
        """A result with values its JSON line does not carry (numpy scalars, lists, arrays):
        the line to encode instead and its encoded summaries (done before the files' lock)."""
        return tensorboard_row(result)

    def add_prepared(self, prepared: tuple[str, list[bytes]], now: float) -> None:
        """Adds a result `prepare` made."""
        line, extras = prepared
        index = len(self.lines)
        self.lines.append(line)
        self.times.append(now)
        for summary in extras:
            self.extras.append((index, summary))

    def write(self) -> None:
        """Hands the results added so far to the writer thread, which appends them to the file."""
        times = self.times
        if not times:
            return
        lines, extras = self.lines, self.extras
        self.lines, self.times, self.extras = [], [], []
        _writer.submit(_RESULTS, self.path, 0.0, lines, times, extras)

    def write_hparams(self, params: dict[str, Any]) -> None:
        """Ray's hparams summaries for a trial that ended: its evaluated parameters and the tags
        of the scalars of this run's latest result (nothing when it has neither, as in Ray)."""
        _writer.submit(_HPARAMS, self.path, time.time(), (params, self.last))
