"""Writes the experiment state, from a thread of its own, as a snapshot and a journal of changes.

Every trial state change asks for a write; results ask at most every half second. Requests made
while a write runs are folded into the next one, so trial threads never wait on the disk. A write
appends the engine's changes since the previous one to ``experiment_state.json.journal`` and makes
them durable (``journal.py``; its cost is what changed, not the experiment), or, when the journal
has outgrown the snapshot (or a write failed), writes the whole state to ``experiment_state.json``
atomically and starts a new journal. A driver killed at any moment leaves a snapshot and journal
that read back as a state the experiment was in; every change is on disk within about a second.

Storage that fails (a full disk, a folder turned read-only or gone, an I/O error) does not stop the
trials at once: the write is tried again every second, the state on disk staying the last complete
one, and once a write succeeds the experiment carries on as if nothing happened. Writes that keep
failing for ``write_timeout_s()`` (60 s; ``SWIFTTUNE_STATE_WRITE_TIMEOUT_S``) stop the experiment
with a ``StateWriteError`` naming the path: it restores, from that last complete state, once the
storage is fixed. ``on_fault`` hears of each turn ("failing", "recovered", "gave_up").
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

if TYPE_CHECKING:
    from .journal import StateJournal

STATE_FILE = "experiment_state.json"

RESULT_SAVE_PERIOD_S = 0.5
"""Results alone ask for a write at most this often."""

MAX_PAUSE_S = 0.5
"""The longest a write waits after the previous one (with the result period, a change is on disk
within about a second)."""

RETRY_S = 1.0
"""A write that failed is tried again this long after."""


def write_timeout_s() -> float:
    """How long state writes may keep failing before the experiment is stopped:
    ``SWIFTTUNE_STATE_WRITE_TIMEOUT_S`` seconds, 60 by default."""
    text = os.environ.get("SWIFTTUNE_STATE_WRITE_TIMEOUT_S", "60")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"SWIFTTUNE_STATE_WRITE_TIMEOUT_S must be a number of seconds, got {text!r}") from None
    if not value >= 0:
        raise ValueError(f"SWIFTTUNE_STATE_WRITE_TIMEOUT_S must be >= 0, got {text!r}")
    return value


class StateWriteError(OSError):
    """The experiment state could not be written for ``write_timeout_s()`` seconds: the experiment
    was stopped (an ``OSError`` with the last failure's errno and the state file's path)."""


def write_atomically(path: Path, content: Union[str, bytes]) -> None:
    """Replaces `path` with `content`: temporary file, fsync, rename, fsync of the directory."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        try:
            data = content.encode("utf-8") if isinstance(content, str) else content
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        try:  # a half-written temporary file only takes space (a full disk needs it back)
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - directories that cannot be opened
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover - filesystems without directory fsync
        pass
    finally:
        os.close(dfd)


def write_state(journal: "StateJournal", head: Callable[[], dict[str, Any]], final: bool = False) -> None:
    """One write of the experiment state: the whole state (`head()` with the engine's) when the
    journal asks for it (in the background while trials run, so no change waits for it; at once
    for the `final` write), otherwise the engine's changes since the previous write."""
    if journal.wants_compaction or final:
        journal.compact(head(), background=not final)
    else:
        journal.append()


class StateWriter:
    """Writes the experiment's state through ``journal`` whenever asked, one write at a time, on its
    own thread (then runs ``companion``, when given, for what is saved beside the state)."""

    def __init__(self, path: Path, journal: "StateJournal", head: Callable[[], dict[str, Any]],
                 companion: Optional[Callable[[], None]] = None,
                 on_fault: Optional[Callable[[str, Optional[BaseException]], None]] = None,
                 barrier: Optional[Callable[[], None]] = None) -> None:
        self.path = path
        self.journal = journal
        self.head = head
        """The Tuner's members of the state file (its settings), beside the engine's."""
        self.barrier = barrier
        """Called on this thread before each state is rendered (what was handed to other writers
        before the request is on disk before the state is: the trials' rows)."""
        self.companion = companion
        """Written after each state, on this thread (the callbacks' states, Ray's callback-states file)."""
        self.on_fault = on_fault
        """Called on this thread when writes start failing ("failing", the error), succeed again
        ("recovered", None), or have failed too long ("gave_up", the ``StateWriteError``)."""
        self.write_timeout_s = write_timeout_s()
        self._failing_since: Optional[float] = None
        self._cond = threading.Condition()
        self._requested = 0
        self._written = 0
        self._last_result_request = 0.0
        self._closed = False
        self._urgent = False
        self._closing = False
        self._deferred = False
        """A result asked for no write (one was asked for less than half a second before)."""
        self._after: list[tuple[int, Callable[[], None]]] = []
        self._last_end = 0.0
        self._last_duration = 0.0
        self.error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._loop, name="swifttune-state", daemon=True)
        self._thread.start()

    def request(self) -> int:
        """Asks for a write of the state as it is now; the generation to ``wait`` for."""
        with self._cond:
            self._requested += 1
            self._cond.notify_all()
            return self._requested

    def request_for_result(self) -> None:
        """Asks for a write unless one was asked for in the last half second; then the writer asks
        for one itself once the half second is over, so a result is on disk within about a second
        even when nothing follows it."""
        now = time.monotonic()
        if now - self._last_result_request >= RESULT_SAVE_PERIOD_S:
            self._last_result_request = now
            self.request()
        elif not self._deferred:
            with self._cond:
                self._deferred = True
                self._cond.notify_all()

    def after_write(self, generation: int, action: Callable[[], None]) -> None:
        """Runs `action` on the writer thread once a write that started after ``request`` returned
        `generation` is on disk (deleting what that state no longer names, for example)."""
        with self._cond:
            self._after.append((generation, action))
            self._cond.notify_all()

    def wait(self, generation: int) -> None:
        """Returns once a write that started after ``request`` returned `generation` is on disk."""
        with self._cond:
            while self._written < generation and self.error is None and not self._closed:
                self._cond.wait()
            if self.error is not None:
                raise self.error

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._requested == self._written and not self._closed:
                    if not self._deferred:
                        self._cond.wait()
                        continue
                    remaining = self._last_result_request + RESULT_SAVE_PERIOD_S - time.monotonic()
                    if remaining > 0:
                        self._cond.wait(remaining)
                        continue
                    # A result that asked for no write of its own: its half second is over.
                    self._last_result_request = time.monotonic()
                    self._requested += 1
                if self._requested == self._written and self._closed:
                    return
                self._deferred = False  # this write covers every result so far
                target = self._requested
            # Writing takes at most about a tenth of the time: the disk is not kept busy with one
            # change after another while trials are busy (a compaction writes the whole state).
            resume_at = self._last_end + min(MAX_PAUSE_S, 9.0 * self._last_duration)
            with self._cond:
                while not self._urgent and (remaining := resume_at - time.monotonic()) > 0:
                    self._cond.wait(remaining)
                target = self._requested
            began = time.monotonic()
            try:
                if self.barrier is not None:
                    self.barrier()
                write_state(self.journal, self.head, final=self._closing)
                if self.companion is not None:
                    self.companion()
            except OSError as e:  # the storage failed: tried again, for a while
                if self._storage_failed(e):
                    continue
                return
            except BaseException as e:  # noqa: BLE001 - reported to whoever waits, and by close()
                with self._cond:
                    self.error = e
                    self._written = target
                    self._cond.notify_all()
                return
            if self._failing_since is not None:
                self._failing_since = None
                self._tell("recovered", None)
            self._last_end = time.monotonic()
            self._last_duration = self._last_end - began
            with self._cond:
                self._written = target
                due = [a for g, a in self._after if g <= target]
                self._after = [(g, a) for g, a in self._after if g > target]
                self._cond.notify_all()
            for action in due:
                try:
                    action()
                except Exception:  # noqa: BLE001 - tidying up must not stop the writer
                    pass

    def _storage_failed(self, e: OSError) -> bool:
        """A write failed on the storage: whether to try again (after ``RETRY_S``), or, when writes
        have failed for ``write_timeout_s``, give up with a ``StateWriteError``."""
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
            self._tell("failing", e)
        failing = now - self._failing_since
        if failing >= self.write_timeout_s:
            text = (f"The experiment state could not be written to {self.path} for {failing:.0f} s ({e.strerror or e}), "
                    "so the experiment was stopped; the last complete state on disk is kept, and "
                    f"Tuner.restore({str(self.path.parent)!r}, trainable) continues from it once the storage is fixed")
            error = StateWriteError(e.errno, text) if e.errno is not None else StateWriteError(text)
            with self._cond:
                self.error = error
                self._written = self._requested
                self._cond.notify_all()
            self._tell("gave_up", error)
            return False
        deadline = now + RETRY_S
        with self._cond:
            while (remaining := deadline - time.monotonic()) > 0:
                self._cond.wait(remaining)
        return True

    def _tell(self, what: str, error: Optional[BaseException]) -> None:
        if self.on_fault is not None:
            try:
                self.on_fault(what, error)
            except Exception:  # noqa: BLE001 - telling must not stop the writer
                pass

    def close(self) -> None:
        """Writes the final state whole (the snapshot alone then holds it, for any reader) and stops
        the thread (raises a write error, if one happened)."""
        with self._cond:
            self._urgent = True
            self._closing = True
        gen = self.request()
        self.wait(gen)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()
        if self.error is not None:
            raise self.error
