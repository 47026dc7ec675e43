"""A trial's result files, as Ray writes them: ``result.json`` (one JSON line per result, with the
configuration) and ``progress.csv`` (the columns of the first result)."""
from __future__ import annotations

import csv
import io
import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

from .state import write_atomically

__all__ = ["TrialFiles", "csv_value", "dumps"]

_encoder = json.JSONEncoder(default=str)
_BUFFER = 1 << 16
"""Bytes a trial file holds before it writes (below malloc's mmap threshold, so a trial's files
map no memory of their own)."""
_FLUSH_EVERY = 1.0
"""Seconds at most between a row being reported and it being in the trial's files on disk (the
flusher thread writes what the files hold; a report writes it at once after a quiet spell)."""
_PLAIN = frozenset((float, int, str, bool, type(None)))
"""Cell types the csv module writes as ``csv_value`` would (a row of only these skips it)."""


def dumps(value: Any) -> str:
    """JSON of a result (values JSON does not know as their ``str``)."""
    return _encoder.encode(value)


def csv_value(v: Any) -> Any:
    """A result value as a ``progress.csv`` cell."""
    t = type(v)
    if t is float or t is int or t is str:
        return v
    return json.dumps(v) if isinstance(v, (dict, list)) else ("" if v is None else v)


class TrialFiles:
    """Appends a trial's results to its files; a trial that runs again starts from the results the
    engine kept (rows after them belong to a run that did not count)."""

    def __init__(self, trial_dir: Path, config_json: str) -> None:
        self.trial_dir = trial_dir
        self.config_json = config_json
        self.result_path = trial_dir / "result.json"
        self.progress_path = trial_dir / "progress.csv"
        self.result_file: Optional[io.TextIOWrapper] = None
        self.progress_file: Optional[io.TextIOWrapper] = None
        self.progress_writer: Any = None
        self.columns: list[str] = []
        self.lock = threading.Lock()  # the flusher thread writes what the files hold
        self.dirty = False  # rows written since the last flush (the flusher knows of this trial)
        self.flushed_at = 0.0

    def reopen(self, keep: int, engine_rows: Callable[[], list[dict[str, Any]]],
               config: dict[str, Any], trial_id: str) -> list[dict[str, Any]]:
        """Cuts result.json and progress.csv back to the first `keep` results and opens them for
        appending; those results. Rows the files lost (written by another version, or edited) are
        taken from `engine_rows()`, the engine's numbers."""
        rows: list[dict[str, Any]] = []
        if keep > 0 and self.result_path.is_file():
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
        write_atomically(self.result_path, "".join(json.dumps(r, default=str) + "\n" for r in rows))
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        for r in rows:
            w.writerow([csv_value(r.get(k)) for k in header])
        write_atomically(self.progress_path, buf.getvalue())
        self.columns = header
        self._open()
        return rows

    def _open(self) -> io.TextIOWrapper:
        """Opens both files to append (buffered); the result file."""
        self.result_file = result_file = open(self.result_path, "a", encoding="utf-8", buffering=_BUFFER)
        self.progress_file = open(self.progress_path, "a", newline="", encoding="utf-8", buffering=_BUFFER)
        self.progress_writer = csv.writer(self.progress_file)
        return result_file

    def append(self, result: dict[str, Any]) -> str:
        """Appends one result (without its configuration, which is spliced in as text); its JSON."""
        line = dumps(result)
        config = self.config_json
        text = line[:-1] + ', "config": ' + config + "}\n" if line != "{}" else '{"config": ' + config + "}\n"
        with self.lock:
            result_file = self.result_file
            if result_file is None:
                result_file = self._open()
                self.columns = list(result)
                self.progress_writer.writerow(self.columns)
            result_file.write(text)
            row = list(map(result.get, self.columns))
            if not _PLAIN.issuperset(map(type, row)):
                row = [csv_value(v) for v in row]
            self.progress_writer.writerow(row)
            if result.get("checkpoint_dir_name") is not None:
                # The rows up to a checkpoint reach the files before a state naming it can be written:
                # a trial resumed from it finds them. (Rows after the latest checkpoint are reported
                # again on a resume; a finished trial's files are closed before the engine hears of it.)
                self._flush()
            elif (now := time.monotonic()) - self.flushed_at >= _FLUSH_EVERY:
                self._flush(now)  # a quiet spell before this row: it is on disk at once
            elif not self.dirty:
                self.dirty = True
                _flusher.add(self)  # on disk within _FLUSH_EVERY
        return line

    def _flush(self, now: Optional[float] = None) -> None:
        for f in (self.result_file, self.progress_file):
            if f is not None and not f.closed:
                f.flush()
        self.dirty = False
        self.flushed_at = time.monotonic() if now is None else now

    def flush(self) -> None:
        """Puts the rows written so far on disk."""
        with self.lock:
            self._flush()

    def close(self) -> None:
        """Closes both files (their rows are on disk before the engine hears the trial ended)."""
        with self.lock:
            for f in (self.result_file, self.progress_file):
                if f is not None:
                    f.close()
            self.dirty = False


class _Flusher:
    """One daemon thread that, every `_FLUSH_EVERY` seconds, writes the rows the trials' files
    hold (rows are buffered: a row per system call would cost more than the report)."""

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
                        try:
                            files._flush()
                        except (OSError, ValueError):  # a full disk: the next report or the close says so
                            pass


_flusher = _Flusher()
