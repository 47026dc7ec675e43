"""Helpers shared by the tests. They work with any executor: what a trial records goes to a file
(a trial may run in a worker process), never to a Python object of the test."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


class FileLog:
    """Appends JSON lines to a file; picklable (only its path), so usable from worker processes."""

    def __init__(self, path: Any) -> None:
        self.path = str(path)

    def add(self, *items: Any) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(list(items), default=repr) + "\n")

    def read(self) -> list[list[Any]]:
        p = Path(self.path)
        if not p.exists():
            return []
        return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line]


def hold(log: FileLog, seconds: float) -> None:
    """Sleeps, and records the interval in `log` for `max_overlap`."""
    start = time.time()
    time.sleep(seconds)
    log.add("interval", start, time.time())


def max_overlap(log: FileLog) -> int:
    """The largest number of recorded intervals open at one time."""
    events = []
    for kind, start, end in log.read():
        assert kind == "interval"
        events.append((start, 1))
        events.append((end, -1))
    events.sort(key=lambda e: (e[0], e[1]))  # an end before a start at the same instant
    cur = best = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


def _executors() -> list:
    import dataclasses

    from swifttune import tune

    fields = {f.name for f in dataclasses.fields(tune.TuneConfig)}
    return ["process", "thread"] if "executor" in fields else [None]


# The executors TuneConfig offers; [None] (= the default executor) if it has no `executor` option.
EXECUTORS = _executors()
THREAD = "thread" if "thread" in EXECUTORS else None


def tc(executor: Any = None, **kw: Any) -> Any:
    """A TuneConfig with metric "loss" and mode "min" unless given, and `executor` unless None."""
    from swifttune import tune

    kw.setdefault("metric", "loss")
    kw.setdefault("mode", "min")
    if executor is not None:
        kw["executor"] = executor
    return tune.TuneConfig(**kw)
