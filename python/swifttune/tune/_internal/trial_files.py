"""A trial's result files, as Ray writes them: ``result.json`` (one JSON line per result, with the
configuration), ``progress.csv`` (the columns of the first result) and, when the experiment has
them, the TensorBoard event file (``trial_events.TrialEvents``, given the same lines). The writer
thread (``file_writer``) writes all three from the results' JSON lines."""
from __future__ import annotations

import csv
import errno
import io
import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from .file_writer import ROWS, Rows, writer
from .result_json import dumps, strict_dumps
from .state import write_atomically

if TYPE_CHECKING:
    from .trial_events import TrialEvents

__all__ = ["TrialFiles", "TrialFilesError", "csv_value", "dumps", "strict_dumps"]


class TrialFilesError(OSError):
    """A trial's file could not be written: the storage failed (a full disk, a read-only or lost
    folder, an I/O error). It stops the experiment (``run.py``), which restores once the storage
    is fixed; it is never the trial's own failure. Names the file (``filename``)."""


def storage_error(e: OSError, path: Any) -> TrialFilesError:
    """`e`, as a ``TrialFilesError`` naming `path` (the file being written) when it names none."""
    if isinstance(e, TrialFilesError):
        return e
    return TrialFilesError(e.errno, e.strerror or str(e), str(e.filename if e.filename is not None else path))

_BATCH = 64
"""Rows a trial's files keep before they hand them to the writer thread at once."""
_FLUSH_EVERY = 1.0
"""Seconds at most between a row being reported and it being handed to the writer thread (which
writes it within ``file_writer.BATCH_WINDOW``; a report hands it over at once after a quiet spell)."""


def csv_value(v: Any) -> Any:
    """A result value as a ``progress.csv`` cell."""
    t = type(v)
    if t is float or t is int or t is str:
        return v
    return json.dumps(v) if isinstance(v, (dict, list)) else ("" if v is None else v)


class TrialFiles:
    """Appends a trial's results to its files; a trial that runs again starts from the results the
    engine kept (rows after them belong to a run that did not count). The report path makes a
    result's JSON line and keeps it; the rows go to the writer thread (``file_writer``) in batches,
    which writes result.json, progress.csv and the event file in Swift."""

    def __init__(self, trial_dir: Path, config_json: str, events: Optional["TrialEvents"] = None,
                 on_error: Optional[Callable[[TrialFilesError], None]] = None) -> None:
        self.trial_dir = trial_dir
        self.on_error = on_error
        """Told (on the writer thread) when a write of these files failed: the run stops."""
        self.events = events
        self.config_json = config_json
        self.result_path = trial_dir / "result.json"
        self.progress_path = trial_dir / "progress.csv"
        self._paths = (os.fsencode(self.result_path), os.fsencode(self.progress_path), config_json.encode("utf-8"))
        self.columns: Optional[list[str]] = None  # progress.csv's columns, once known
        self.columns_json = b"[]"
        self.lines: list[str] = []  # results' JSON lines (without the config) not yet handed over
        self.times: list[float] = []  # their wall times
        self.extras: list[tuple[int, bytes]] = []  # (index in lines, an encoded Summary)
        self.event_lines: list[tuple[int, str]] = []  # (index, the line the event file reads instead)
        self.csv_rows: list[tuple[int, str]] = []  # (index, a progress.csv row made here)
        self.lock = threading.Lock()  # the flusher thread hands over what the files hold
        self.dirty = False  # rows kept since the last hand-over (the flusher knows of this trial)
        self.flushed_at = 0.0
        self.error: Optional[TrialFilesError] = None  # a write of the writer thread that failed

    def fail(self, code: int, message: str, path: str) -> None:
        """The writer thread could not write `path`: the run is told, and the next use of these
        files raises it."""
        if self.error is None:
            self.error = TrialFilesError(code or errno.EIO, message, path)
            if self.on_error is not None:
                self.on_error(self.error)

    def reopen(self, keep: int, engine_rows: Callable[[], list[dict[str, Any]]],
               config: dict[str, Any], trial_id: str) -> list[dict[str, Any]]:
        """Cuts result.json and progress.csv back to the first `keep` results; those results. Rows
        the files lost (written by another version, or edited) are taken from `engine_rows()`, the
        engine's numbers."""
        rows: list[dict[str, Any]] = []
        exists = self.result_path.is_file()
        if exists:  # an earlier run of the trial (made at its first row): its rows are written before they are read
            writer.drain()
        if keep > 0 and exists:
            with open(self.result_path, encoding="utf-8") as f:
                lines = f.read().split("\n")
            for line in lines[:keep]:
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    break
        if len(rows) < keep:
            kept = engine_rows()[:keep]
            rows = rows + [dict(r, trial_id=trial_id, config=config) for r in kept[len(rows):]]
        if not rows:
            for path in (self.result_path, self.progress_path):
                if path.exists():
                    path.unlink()
            return rows
        header: list[str] = []
        if self.progress_path.is_file():
            with open(self.progress_path, newline="", encoding="utf-8") as f:
                header = next(csv.reader(f), [])
        if not header:
            header = [k for k in rows[0] if k != "config"]
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        for r in rows:
            w.writerow([csv_value(r.get(k)) for k in header])
        path = self.result_path
        try:
            write_atomically(path, "".join(json.dumps(r, default=str) + "\n" for r in rows))
            path = self.progress_path
            write_atomically(path, buf.getvalue())
        except OSError as e:
            raise storage_error(e, path) from None
        self._set_columns(header, new_file=False)
        return rows

    def _set_columns(self, columns: list[str], new_file: bool) -> None:
        """progress.csv's columns; for a new file, the files made at once (the first rows follow
        within ``file_writer.BATCH_WINDOW``), progress.csv with its header."""
        self.columns = columns
        self.columns_json = json.dumps(columns).encode("utf-8")
        if new_file:
            buf = io.StringIO()
            csv.writer(buf).writerow(columns)
            path = self.result_path
            try:
                with open(path, "a", encoding="utf-8"):
                    pass
                path = self.progress_path
                with open(path, "a", newline="", encoding="utf-8") as f:
                    f.write(buf.getvalue())
            except OSError as e:
                raise storage_error(e, path) from None

    def append(self, result: dict[str, Any], wall_time: Optional[float] = None, line: Optional[str] = None) -> str:
        """Appends one result (without its configuration, which the writer adds to its line),
        reported at `wall_time` (``time.time()``; now when not given); its JSON (`line`, when the
        caller has it: ``strict_dumps(result)``)."""
        events = self.events
        strict = strict_dumps(result) if line is None else line
        line = dumps(result) if strict is None else strict
        plain = strict is not None and "[" not in line and line.find("{", 1) < 0
        prepared = events.prepare(result) if events is not None and (strict is None or "[" in strict) else None
        wall = time.time() if wall_time is None else wall_time
        with self.lock:
            if self.error is not None:
                raise self.error
            if self.columns is None:  # the first row of a new progress.csv: its columns are this result's keys
                self._set_columns(list(result), new_file=True)
            index = len(self.lines)
            self.lines.append(line)
            self.times.append(wall)
            if events is not None:
                events.last = result
                if prepared is not None:  # a line and summaries of its own for the event file
                    self.event_lines.append((index, prepared[0]))
                    for summary in prepared[1]:
                        self.extras.append((index, summary))
            if not plain:  # a list, dict or other value: the csv module writes the row
                self.csv_rows.append((index, self._csv_row(result)))
            if result.get("checkpoint_dir_name") is not None:
                # The rows up to a checkpoint are handed over before a state naming it can be written
                # (the state writer waits for the writer thread first): a trial resumed from it finds them.
                self._submit()
            elif len(self.lines) >= _BATCH:
                self._submit()
            elif (now := time.monotonic()) - self.flushed_at >= _FLUSH_EVERY:
                self._submit(now)  # a quiet spell before this row: it is handed over at once
            elif not self.dirty:
                self.dirty = True
                _flusher.add(self)  # handed over within _FLUSH_EVERY
        return line

    def _csv_row(self, result: dict[str, Any]) -> str:
        buf = io.StringIO()
        csv.writer(buf).writerow([csv_value(result.get(k)) for k in self.columns or ()])
        return buf.getvalue()

    def _submit(self, now: Optional[float] = None) -> None:
        """Hands the rows kept so far to the writer thread."""
        self.dirty = False
        self.flushed_at = time.monotonic() if now is None else now
        if not self.lines:
            return
        events = self.events
        result_path, progress_path, config = self._paths
        rows = Rows(self, result_path, progress_path, events.path if events is not None else b"", config,
                    self.columns_json, self.lines, self.times, self.extras, self.event_lines, self.csv_rows)
        self.lines, self.times, self.extras, self.event_lines, self.csv_rows = [], [], [], [], []
        writer.submit(ROWS, result_path, 0.0, rows)

    def flush(self) -> None:
        """Hands the rows kept so far to the writer thread: they are on disk before any state the
        experiment writes after this (the state writer waits for the writer thread first), and
        within ``file_writer.BATCH_WINDOW``. Raises the error of a write that failed."""
        with self.lock:
            if self.error is not None:
                raise self.error
            self._submit()

    def close(self) -> None:
        """Hands the last rows over (on disk before a state that says the trial ended); raises the
        error of a write that failed."""
        self.flush()



class _Flusher:
    """One daemon thread that, every `_FLUSH_EVERY` seconds, hands the rows the trials' files
    hold to the writer thread (rows go in batches: a hand-over per row would cost more than the report)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: list[TrialFiles] = []
        self.thread: Optional[threading.Thread] = None
        self.pid = 0

    def add(self, files: TrialFiles) -> None:
        with self.lock:
            self.pending.append(files)
            if self.thread is None or self.pid != os.getpid():  # none yet, or forked: a thread of our own
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self.loop, name="swifttune-flush", daemon=True)
                self.thread.start()

    def loop(self) -> None:
        while True:
            time.sleep(_FLUSH_EVERY)
            with self.lock:
                due, self.pending = self.pending, []
                if not due:  # nothing buffered for a while: the thread ends (add starts another)
                    self.thread = None
                    return
            for files in due:
                with files.lock:
                    if files.dirty:
                        files._submit()


_flusher = _Flusher()
