"""hyperopt's ``hyperopt.progress``: ``fmin``'s progress is a context manager made by
``callback(initial=..., total=...)`` that yields an object with ``update(n)`` (and a
``postfix``, which ``fmin`` sets to "best loss: ..."). ``fmin(show_progressbar=...)`` takes
True (``default_callback``), False (``no_progress_callback``) or such a callback of your own.

``default_callback`` is swifttune's one-line bar on stderr (hyperopt's is tqdm's);
``tqdm_progress_callback`` is hyperopt's tqdm bar, when tqdm is installed."""
from __future__ import annotations

import contextlib
import sys
import time
from typing import Any, Iterator

from .._optional import require

__all__ = ["default_callback", "no_progress_callback", "tqdm_progress_callback"]


class _Bar:
    """A one-line progress bar on stderr: trials done of the total, time, and the postfix."""

    def __init__(self, initial: int, total: int) -> None:
        self.count = initial
        self.total = total
        self.postfix = ""
        self.start = time.time()
        self.last = 0.0

    def update(self, n: int) -> None:
        """`n` more trials are done (the line is redrawn at most 5 times a second, and at the end)."""
        self.count += n
        now = time.time()
        if now - self.last >= 0.2 or self.count >= self.total:
            self.last = now
            self.draw()

    def draw(self) -> None:
        elapsed = f"{time.time() - self.start:.1f}s"
        tail = f", {self.postfix}" if self.postfix else ""
        if self.total >= sys.maxsize:  # no max_evals: a count, no bar
            sys.stderr.write(f"\r{self.count} trials, {elapsed}{tail}")
        else:
            width = 30
            filled = int(width * min(self.count, self.total) / max(self.total, 1))
            sys.stderr.write(f"\r{self.count}/{self.total} [{'#' * filled}{'.' * (width - filled)}] {elapsed}{tail}")
        sys.stderr.flush()


@contextlib.contextmanager
def default_callback(initial: int, total: int) -> Iterator[Any]:
    """swifttune's progress bar (one line on stderr, ended when ``fmin`` ends)."""
    bar = _Bar(initial, total)
    try:
        yield bar
    finally:
        bar.draw()
        sys.stderr.write("\n")
        sys.stderr.flush()


class _NoProgress:
    postfix = ""

    def update(self, n: int) -> None:
        """Nothing to show."""


@contextlib.contextmanager
def no_progress_callback(initial: int, total: int) -> Iterator[Any]:
    """No progress output."""
    yield _NoProgress()


class _ThroughTqdm:
    """A stand-in for ``sys.stdout``/``sys.stderr`` while a tqdm bar is drawn: what the objective
    prints goes through ``tqdm.write`` (above the bar) to the real stream."""

    def __init__(self, tqdm: Any, stream: Any) -> None:
        self._tqdm = tqdm
        self.file = stream

    def write(self, text: str) -> None:
        if text.rstrip():  # print's separate newline would only add an empty line
            self._tqdm.write(text, file=self.file)

    def flush(self) -> Any:
        return getattr(self.file, "flush", lambda: None)()

    def isatty(self) -> bool:
        return bool(getattr(self.file, "isatty", lambda: False)())


@contextlib.contextmanager
def tqdm_progress_callback(initial: int, total: int) -> Iterator[Any]:
    """hyperopt's default: a tqdm bar on stdout, with stdout and stderr led through tqdm meanwhile
    so that prints do not break the bar (needs tqdm: ``pip install tqdm``)."""
    tqdm = require("tqdm", "tqdm_progress_callback draws with tqdm: pip install tqdm").tqdm
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _ThroughTqdm(tqdm, out), _ThroughTqdm(tqdm, err)
    try:
        with tqdm(total=total, file=out, postfix={"best loss": "?"}, disable=False, dynamic_ncols=True,
                  unit="trial", initial=initial) as bar:
            yield bar
    finally:
        sys.stdout, sys.stderr = out, err
