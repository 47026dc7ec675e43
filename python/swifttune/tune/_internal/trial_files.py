"""A trial's result files, as Ray writes them: ``result.json`` (one JSON line per result, with the
configuration), ``progress.csv`` (the columns of the first result) and, when the experiment has
them, the TensorBoard event file (``trial_events.TrialEvents``, given the same lines)."""
from __future__ import annotations

import csv
import io
import json
import operator
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

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

_encoder = json.JSONEncoder(default=str)
_BATCH = 64
"""Rows a trial's files collect as text before they hand them to the file objects in one write
each (a write per row cost more than formatting it)."""
_BUFFER = 1 << 16
"""Bytes a trial file holds before it writes (below malloc's mmap threshold, so a trial's files
map no memory of their own)."""
_FLUSH_EVERY = 1.0
"""Seconds at most between a row being reported and it being in the trial's files on disk (the
flusher thread writes what the files hold; a report writes it at once after a quiet spell)."""


class _NotJSON(Exception):
    """A value JSON does not know (``strict_dumps``)."""


def _refuse(value: Any) -> Any:
    raise _NotJSON


def _make_fast_encoder(strict: bool = False) -> Optional[Callable[[Any, int], Any]]:
    """The C encoder behind ``_encoder``, built once (``JSONEncoder.encode`` builds one per call),
    or None where the interpreter has none (``dumps`` then takes the general path). `strict`:
    one that raises ``_NotJSON`` at a value JSON does not know (and checks no cycles: a cyclic
    value ends in RecursionError)."""
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        fast: Callable[[Any, int], Any] = make(None if strict else {}, _refuse if strict else str,
                                               encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True)
        probe: dict[str, Any] = {"a": 1.5, "b": [None, True, "\u00e9"], "c": float("nan"), "d": {"e": 2}}
        if not strict:
            probe["d"]["e"] = object
        if "".join(fast(probe, 0)) != _encoder.encode(probe):  # another interpreter's signature
            return None
    except Exception:  # noqa: BLE001 - the same
        return None
    return fast


_fast_encoder = _make_fast_encoder()
_strict_encoder = _make_fast_encoder(strict=True)


def dumps(value: Any) -> str:
    """JSON of a result (values JSON does not know as their ``str``), as ``json.dumps(value,
    default=str)`` writes it."""
    global _fast_encoder
    fast = _fast_encoder
    if fast is not None and type(value) is dict:
        try:
            return "".join(fast(value, 0))
        except Exception:  # noqa: BLE001 - a circular value, a failing __str__: the general path says what
            _fast_encoder = _make_fast_encoder()  # its circular-reference marks may be left set
    return _encoder.encode(value)


def strict_dumps(value: dict[str, Any]) -> Optional[str]:
    """``dumps(value)`` when every value in it is one JSON knows (str, int, float, bool, None,
    list, tuple, dict), else None: at no cost to the usual result (the C encoder stops at the
    first other value, a numpy number for one)."""
    strict = _strict_encoder
    if strict is None or type(value) is not dict:
        return None
    try:
        return "".join(strict(value, 0))
    except Exception:  # noqa: BLE001 - _NotJSON, or a cycle: dumps says what
        return None


def csv_value(v: Any) -> Any:
    """A result value as a ``progress.csv`` cell."""
    t = type(v)
    if t is float or t is int or t is str:
        return v
    return json.dumps(v) if isinstance(v, (dict, list)) else ("" if v is None else v)


class TrialFiles:
    """Appends a trial's results to its files; a trial that runs again starts from the results the
    engine kept (rows after them belong to a run that did not count)."""

    def __init__(self, trial_dir: Path, config_json: str, events: Optional["TrialEvents"] = None) -> None:
        self.trial_dir = trial_dir
        self.events = events
        self.config_json = config_json
        self.result_path = trial_dir / "result.json"
        self.progress_path = trial_dir / "progress.csv"
        self.result_file: Optional[io.TextIOWrapper] = None
        self.progress_file: Optional[io.TextIOWrapper] = None
        self.progress_writer: Any = None
        self.columns: list[str] = []
        self.lines: list[str] = []  # result.json rows not yet handed to the file object
        self.rows: list[Any] = []  # progress.csv rows (cells), likewise
        self.csv_lines: list[str] = []  # the text the csv writer made of them
        self.cells: Callable[[dict[str, Any]], Any] = _row_cells([])
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
        self.columns = header
        self.cells = _row_cells(header)
        self._open()
        return rows

    def _open(self) -> io.TextIOWrapper:
        """Opens both files to append (buffered); the result file."""
        try:
            self.result_file = result_file = open(self.result_path, "a", encoding="utf-8", buffering=_BUFFER)
            self.progress_file = open(self.progress_path, "a", newline="", encoding="utf-8", buffering=_BUFFER)
        except OSError as e:
            raise storage_error(e, self.progress_path if self.result_file is not None else self.result_path) from None
        self.progress_writer = csv.writer(_Collect(self.csv_lines))
        return result_file

    def append(self, result: dict[str, Any], wall_time: Optional[float] = None) -> str:
        """Appends one result (without its configuration, which is spliced in as text), reported
        at `wall_time` (``time.time()``; now when not given); its JSON."""
        events = self.events
        prepared = None
        wall = 0.0
        if events is None:
            line = dumps(result)
        else:
            strict = strict_dumps(result)
            line = dumps(result) if strict is None else strict
            if strict is None or "[" in strict:  # a value the line does not carry as Ray logs it
                prepared = events.prepare(result)
            wall = time.time() if wall_time is None else wall_time
        config = self.config_json
        text = line[:-1] + ', "config": ' + config + "}\n" if line != "{}" else '{"config": ' + config + "}\n"
        with self.lock:
            result_file = self.result_file
            if result_file is None:
                result_file = self._open()
                self.columns = list(result)
                self.cells = _row_cells(self.columns)
                self.progress_writer.writerow(self.columns)
            lines = self.lines
            lines.append(text)
            if events is not None:
                events.last = result
                if prepared is None:  # the usual result: the event encoder reads its line (no config)
                    events.lines.append(line)
                    events.times.append(wall)
                else:
                    events.add_prepared(prepared, wall)
            if "[" in line or line.find("{", 1) >= 0:  # maybe a list or dict value: written as JSON
                self.rows.append([csv_value(result.get(k)) for k in self.columns])
            else:  # plain values, which the csv writer writes as csv_value would (None as "")
                try:
                    self.rows.append(self.cells(result))
                except KeyError:  # a column this result lacks
                    self.rows.append(list(map(result.get, self.columns)))
            if len(lines) >= _BATCH:
                self._drain()
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

    def _drain(self) -> None:
        """Hands the collected rows to the file objects (which write them once their buffers fill)."""
        if self.rows:
            self.progress_writer.writerows(self.rows)
            self.rows.clear()
        for f, lines in ((self.result_file, self.lines), (self.progress_file, self.csv_lines)):
            if lines and f is not None and not f.closed:
                text = "".join(lines)
                lines.clear()
                try:
                    f.write(text)
                except OSError as e:
                    raise storage_error(e, f.name) from None

    def _flush(self, now: Optional[float] = None) -> None:
        self._drain()
        for f in (self.result_file, self.progress_file):
            if f is not None and not f.closed:
                try:
                    f.flush()
                except OSError as e:
                    raise storage_error(e, f.name) from None
        self.dirty = False
        self.flushed_at = time.monotonic() if now is None else now
        if self.events is not None:
            self.events.write()

    def flush(self) -> None:
        """Puts the rows written so far on disk."""
        with self.lock:
            self._flush()

    def close(self) -> None:
        """Closes the files (their rows are on disk before the engine hears the trial ended)."""
        with self.lock:
            try:
                self._drain()
            finally:
                error: Optional[OSError] = None
                for f in (self.result_file, self.progress_file):
                    if f is not None:
                        try:
                            f.close()  # closed even when its last rows cannot be written
                        except OSError as e:
                            error = error or storage_error(e, f.name)
                self.dirty = False
                if error is not None:
                    raise error
            if self.events is not None:
                self.events.write()


def _row_cells(columns: list[str]) -> Callable[[dict[str, Any]], Any]:
    """The cells of a result for `columns`, in one call (KeyError for a missing column)."""
    if len(columns) == 1:
        key = columns[0]
        return lambda result: (result[key],)
    if not columns:
        return lambda result: ()
    return operator.itemgetter(*columns)


class _Collect:
    """A file-like sink for the csv writer: each row it writes is kept in `lines`."""

    __slots__ = ("write",)

    def __init__(self, lines: list[str]) -> None:
        self.write = lines.append


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
