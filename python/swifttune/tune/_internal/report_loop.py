"""The process executor's report loop: one driver thread that carries the messages of every trial
running in a worker process (its reports to the trial's session, the engine's decisions back).

A thread per worker, each blocked in its own ``recv``, costs the driver a hand-over of the
interpreter lock per message (about as much as the report itself); one thread waiting on all the
workers' sockets at once (``epoll``) reads each message as it comes, several in one wake-up when
several trials reported together. The executor thread that started a trial waits in ``carry``
until the trial's run ended, and then ends it as before (``executors.ProcessExecutor``).

Messages are ``multiprocessing.connection`` frames (a 4-byte big-endian length, or -1 and an 8-byte
length, then a pickle), as the worker's ``Connection`` writes and reads them (worker.py's protocol)."""
from __future__ import annotations

import os
import pickle
import select
import threading
from typing import TYPE_CHECKING, Any, Optional

from ..._lib import CONTINUE, PAUSE, STOP

if TYPE_CHECKING:
    from .trial_session import TrialSession

__all__ = ["ReportLoop", "WorkerDied", "frame", "write_all"]

_PROTOCOL = pickle.HIGHEST_PROTOCOL
_READ = 1 << 16
"""Bytes asked for per read (more when a longer message is under way, up to ``_READ_MAX``)."""
_READ_MAX = 1 << 24


class WorkerDied(Exception):
    """The worker's trial process died before the trial ended (worker.py's ``("died", code)``)."""

    def __init__(self, code: Optional[int]) -> None:
        super().__init__(code)
        self.code = code


class _Carried:
    """One trial's run carried by the loop: its connection's file descriptor, the bytes read and not
    yet taken, the session, and how the run ended."""

    __slots__ = ("fd", "buffer", "session", "done", "error", "leftover")

    def __init__(self, fd: int, session: "TrialSession") -> None:
        self.fd = fd
        self.buffer = bytearray()
        self.session = session
        self.done = threading.Event()
        self.error: Optional[BaseException] = None
        """What ended the run other than the trial's own end: the connection's end (EOFError,
        OSError), ``WorkerDied``, or what the driver's side raised (a callback's exception, a
        ``TrialFilesError``)."""
        self.leftover = False
        """The worker sent more after the trial's end (its connection cannot be trusted again)."""


class ReportLoop:
    """The thread that carries running trials' messages; started with the first trial, stopped by
    ``close`` (the executor's last thread; a later trial starts it again)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._carried: dict[int, _Carried] = {}
        self._epoll: Optional[Any] = None
        self._wake: Optional[tuple[int, int]] = None
        self._thread: Optional[threading.Thread] = None

    def carry(self, fd: int, session: "TrialSession") -> bool:
        """Carries the messages on `fd` (a worker's connection, its trial just sent) to `session` and
        its answers back, until the trial's run ended; returns in the calling thread then: True
        when the worker's connection can be used again, False when the worker sent more than its
        trial's end. Raises what ended the run otherwise (see ``_Carried.error``)."""
        carried = _Carried(fd, session)
        with self._lock:
            if self._epoll is None:
                self._epoll = select.epoll()
                self._wake = os.pipe()
                self._epoll.register(self._wake[0], select.EPOLLIN)
                self._thread = threading.Thread(target=self._run, name="swifttune-reports", daemon=True)
                self._thread.start()
            self._carried[fd] = carried
            self._epoll.register(fd, select.EPOLLIN)
        carried.done.wait()
        if carried.error is not None:
            error, carried.error = carried.error, None
            raise error
        return not carried.leftover

    def close(self) -> None:
        """Stops the thread (called when no trial is carried)."""
        with self._lock:
            wake, thread = self._wake, self._thread
        if wake is None or thread is None:
            return
        os.write(wake[1], b"x")
        thread.join()
        with self._lock:
            assert self._epoll is not None
            self._epoll.close()
            os.close(wake[0])
            os.close(wake[1])
            self._epoll, self._wake, self._thread = None, None, None

    def _run(self) -> None:
        assert self._epoll is not None and self._wake is not None
        epoll, wake = self._epoll, self._wake[0]
        carried = self._carried
        while True:
            try:
                events = epoll.poll()
            except InterruptedError:  # pragma: no cover - Python retries EINTR itself
                continue
            for fd, _ in events:
                if fd == wake:
                    return
                c = carried.get(fd)
                if c is not None:
                    try:
                        self._read(c)
                    except BaseException as e:  # noqa: BLE001 - never leave a trial's thread waiting
                        self._end(c, e)

    def _read(self, c: _Carried) -> None:
        """Reads what `c`'s connection has, and takes every whole message in it."""
        buffer = c.buffer
        want = _READ
        if len(buffer) >= 4:  # a message under way: read the rest of it at once (within reason)
            want = min(max(_READ, _frame_size(buffer) - len(buffer)), _READ_MAX)
        try:
            data = os.read(c.fd, want)
        except OSError as e:
            self._end(c, e)
            return
        if not data:
            self._end(c, EOFError("the worker's connection ended"))
            return
        if buffer:
            buffer += data
            data = bytes(buffer)
            buffer.clear()
        start, end = 0, len(data)
        view = memoryview(data)
        while end - start >= 4:
            size = int.from_bytes(view[start:start + 4], "big", signed=True)
            head = 4
            if size == -1:
                if end - start < 12:
                    break
                size = int.from_bytes(view[start + 4:start + 12], "big")
                head = 12
            if end - start < head + size:
                break
            body = view[start + head:start + head + size]
            start += head + size
            try:
                ended = self._message(c, pickle.loads(body))
            except BaseException as e:  # noqa: BLE001 - raised in the trial's executor thread (carry)
                self._end(c, e)
                return
            if ended:
                c.leftover = start < end
                self._end(c, None)
                return
        if start < end:
            buffer += view[start:]

    def _message(self, c: _Carried, msg: tuple[Any, ...]) -> bool:
        """One message of the trial's process; True when the trial's run ended with it."""
        if msg[0] == "died":
            raise WorkerDied(msg[1])
        s = c.session
        reply = s.remote_message(msg)
        if reply is not None:
            # Connection.send_bytes' frame, written at once (the worker waits for it)
            write_all(c.fd, _FRAMES.get(reply) or _frame(reply))
            return False
        return s.ending is not None

    def _end(self, c: _Carried, error: Optional[BaseException]) -> None:
        with self._lock:
            self._carried.pop(c.fd, None)
            if self._epoll is not None:
                try:
                    self._epoll.unregister(c.fd)
                except (OSError, ValueError):  # pragma: no cover - closed under us
                    pass
        c.error = error
        c.buffer = bytearray()
        c.done.set()


def frame(data: bytes) -> bytes:
    """`data` in ``Connection.send_bytes``' frame: a 4-byte big-endian length first (-1 and an
    8-byte length for 2 GiB and more)."""
    n = len(data)
    head = n.to_bytes(4, "big") if n <= 0x7FFFFFFF else (-1).to_bytes(4, "big", signed=True) + n.to_bytes(8, "big")
    return head + data


def write_all(fd: int, data: bytes) -> None:
    """Writes all of `data` to `fd`."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _frame(reply: tuple[Any, ...]) -> bytes:
    return frame(pickle.dumps(reply, _PROTOCOL))


_FRAMES = {reply: _frame(reply) for reply in (("decision", code, None) for code in (CONTINUE, STOP, PAUSE))}
"""The usual answers' frames, made once."""


def _frame_size(buffer: bytearray) -> int:
    """The length of the frame that starts `buffer` (header included), as far as it is known."""
    size = int.from_bytes(buffer[:4], "big", signed=True)
    if size != -1:
        return 4 + size
    if len(buffer) < 12:
        return 12
    return 12 + int.from_bytes(buffer[4:12], "big")

