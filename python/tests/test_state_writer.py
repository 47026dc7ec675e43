"""The state writer's timing rules (``tune/_internal/state.py``), with a journal that records its
writes instead of making them: a result that asks for no write of its own (one was asked for less
than half a second before) is still written within about a second, even when nothing follows it."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from swifttune.tune._internal.state import RESULT_SAVE_PERIOD_S, StateWriter


class RecordingJournal:
    """What ``StateWriter`` calls on a ``journal.StateJournal``, recorded with the time."""

    def __init__(self) -> None:
        self.path = Path("/nonexistent/experiment_state.json")
        self.wants_compaction = True
        self.writes: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    def compact(self, head: dict[str, Any], background: bool = True) -> None:
        with self.lock:
            self.writes.append(("compact", time.monotonic()))
        self.wants_compaction = False

    def append(self) -> None:
        with self.lock:
            self.writes.append(("append", time.monotonic()))


def test_a_result_that_asked_for_no_write_is_written_within_a_second() -> None:
    journal = RecordingJournal()
    writer = StateWriter(journal.path, journal, lambda: {})  # type: ignore[arg-type]
    try:
        writer.request_for_result()  # asks for a write
        time.sleep(0.05)
        asked = time.monotonic()
        writer.request_for_result()  # within the half second: asks for none itself
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(journal.writes) < 2:
            time.sleep(0.01)
        assert len(journal.writes) == 2, journal.writes
        waited = journal.writes[1][1] - asked
        assert RESULT_SAVE_PERIOD_S - 0.1 < waited < 2.0, waited  # about a second (loose: a busy machine)
        time.sleep(2 * RESULT_SAVE_PERIOD_S)  # and no write after it without a reason
        assert len(journal.writes) == 2, journal.writes
    finally:
        writer.close()
    assert journal.writes[-1][0] == "compact"  # the last write is whole
