"""The report path: the process executor's report loop (one driver thread carrying every worker's
messages, report_loop.py) and the plain path of plain-number reports (trial_session.py), which must
write exactly what the general path writes."""
from __future__ import annotations

import json
import math
import os
import pickle
import socket
import threading
from pathlib import Path
from typing import Any, Optional

import pytest

from swifttune import tune
from swifttune.tune._internal.report_loop import ReportLoop, WorkerDied

from helpers import EXECUTORS, tc


def _frame(obj: Any, long_header: bool = False) -> bytes:
    data = pickle.dumps(obj)
    if long_header:  # Connection's header for 2 GiB and more: -1, then an 8-byte length
        return (-1).to_bytes(4, "big", signed=True) + len(data).to_bytes(8, "big") + data
    return len(data).to_bytes(4, "big") + data


def _read_frame(sock: socket.socket) -> Any:
    head = b""
    while len(head) < 4:
        head += sock.recv(4 - len(head))
    size = int.from_bytes(head, "big", signed=True)
    data = b""
    while len(data) < size:
        data += sock.recv(size - len(data))
    return pickle.loads(data)


class _Session:
    """What the loop needs of a TrialSession: ``remote_message`` and ``ending``."""

    def __init__(self, fail_on: Optional[int] = None) -> None:
        self.seen: list[Any] = []
        self.ending: Optional[tuple[int, Any, Any]] = None
        self.fail_on = fail_on

    def remote_message(self, msg: tuple[Any, ...]) -> Optional[tuple[Any, ...]]:
        self.seen.append(msg)
        if self.fail_on is not None and len(self.seen) == self.fail_on:
            raise ValueError("a callback raised")
        if msg[0] == "report":
            return ("decision", len(self.seen), None)
        self.ending = (0, None, None)
        return None


def _carry(loop: ReportLoop, session: _Session, sock: socket.socket) -> dict[str, Any]:
    """Runs ``loop.carry`` on a thread of its own (as an executor thread does); its outcome."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["reusable"] = loop.carry(sock.fileno(), session)  # type: ignore[arg-type]
        except BaseException as e:  # noqa: BLE001 - the test looks at it
            out["error"] = e

    t = threading.Thread(target=run)
    t.start()
    out["thread"] = t
    return out


@pytest.fixture
def pair():
    driver, worker = socket.socketpair()
    yield driver, worker
    driver.close()
    worker.close()


def test_messages_in_one_read_and_split_over_reads(pair) -> None:
    """Several messages in one read are taken in order, each answered; a message of more than the
    loop's read size arrives in pieces and is taken whole; the long header is read too."""
    driver, worker = pair
    loop = ReportLoop()
    session = _Session()
    out = _carry(loop, session, driver)
    big = "x" * 300_000
    worker.sendall(_frame(("report", {"a": 1})) + _frame(("report", {"a": 2})))
    assert _read_frame(worker) == ("decision", 1, None)
    assert _read_frame(worker) == ("decision", 2, None)
    data = _frame(("report", {"big": big}))
    for i in range(0, len(data), 7_000):  # in pieces, as a slow writer's
        worker.sendall(data[i:i + 7_000])
    assert _read_frame(worker) == ("decision", 3, None)
    worker.sendall(_frame(("report", {"a": 4}), long_header=True))
    assert _read_frame(worker) == ("decision", 4, None)
    worker.sendall(_frame(("done", None)))
    out["thread"].join(10)
    assert out == {"reusable": True, "thread": out["thread"]}
    assert [m[1] for m in session.seen[:4]] == [{"a": 1}, {"a": 2}, {"big": big}, {"a": 4}]
    loop.close()


def test_more_after_the_end_makes_the_worker_unusable(pair) -> None:
    driver, worker = pair
    loop = ReportLoop()
    out = _carry(loop, _Session(), driver)
    worker.sendall(_frame(("done", None)) + _frame(("died", 1)))
    out["thread"].join(10)
    assert out["reusable"] is False
    loop.close()


def test_died_eof_and_a_driver_side_error_reach_the_executor_thread(pair) -> None:
    driver, worker = pair
    loop = ReportLoop()
    out = _carry(loop, _Session(), driver)
    worker.sendall(_frame(("died", -9)))
    out["thread"].join(10)
    assert isinstance(out["error"], WorkerDied) and out["error"].code == -9

    out = _carry(loop, _Session(fail_on=2), driver)
    worker.sendall(_frame(("report", {"a": 1})))
    assert _read_frame(worker) == ("decision", 1, None)
    worker.sendall(_frame(("report", {"a": 2})))
    out["thread"].join(10)
    assert isinstance(out["error"], ValueError) and str(out["error"]) == "a callback raised"

    out = _carry(loop, _Session(), driver)
    worker.sendall(_frame(("report", {"a": 1}))[:5])  # half a message, then the worker is gone
    worker.shutdown(socket.SHUT_WR)
    out["thread"].join(10)
    assert isinstance(out["error"], EOFError)
    loop.close()


def test_the_loop_carries_several_trials_and_starts_again_after_close() -> None:
    loop = ReportLoop()
    for _ in range(2):
        pairs = [socket.socketpair() for _ in range(4)]
        sessions = [_Session() for _ in pairs]
        outs = [_carry(loop, s, d) for s, (d, _) in zip(sessions, pairs)]
        for step in range(50):
            for _, w in pairs:
                w.sendall(_frame(("report", {"step": step})))
            for _, w in pairs:
                assert _read_frame(w) == ("decision", step + 1, None)
        for _, w in pairs:
            w.sendall(_frame(("done", None)))
        for out in outs:
            out["thread"].join(10)
            assert out["reusable"] is True
        loop.close()
        for d, w in pairs:
            d.close()
            w.close()


# --- the plain path writes what the general path writes -------------------------------------------

_TIMING = {"date", "timestamp", "time_this_iter_s", "time_since_restore", "time_total_s", "pid"}


def _objective(config: dict[str, Any]) -> None:
    for step in range(6):
        metrics: dict[str, Any] = {"loss": config["x"] / (step + 1), "step": step, "\u00fcml\u00e4ut": step * 1e-7,
                                   "big": 1e300 if step == 1 else -3, "nan": math.nan}
        if step == 3:
            metrics["flag"] = True  # a bool: the general path, between plain reports
        if step == 4:
            metrics = {}
        tune.report(metrics)


class _Quiet(tune.Callback):
    """A callback that does nothing: its presence sends every report down the general path."""

    def on_trial_result(self, iteration: int, trials: list[Any], trial: Any, result: dict[str, Any], **info: Any) -> None:
        pass


def _rows(root: Path) -> dict[str, list[tuple[list[str], dict[str, Any]]]]:
    """Each trial's result.json lines (by its x) as (keys in order, values without the timings),
    each line checked to be what json.dumps writes of it."""
    out = {}
    for path in sorted(root.rglob("result.json")):
        rows = []
        for line in path.read_text().splitlines():
            row = json.loads(line)
            assert json.dumps(row) == line
            rows.append((list(row), {k: v for k, v in row.items() if k not in _TIMING}))
        out[str(rows[0][1]["config"]["x"])] = rows
    return out


@pytest.mark.parametrize("executor", EXECUTORS)
def test_plain_path_rows_equal_the_general_paths(executor: Any, tmp_path: Path) -> None:
    """The same trials, once on the plain path and once with a callback (the general path): the
    same result.json lines (keys, order and values but the timings), progress.csv columns and
    results."""
    runs = {}
    for label, callbacks in (("plain", []), ("general", [_Quiet()])):
        results = tune.Tuner(_objective, param_space={"x": tune.grid_search([1.0, 2.5])},
                             tune_config=tc(executor, metric="loss", mode="min"),
                             run_config=tune.RunConfig(storage_path=str(tmp_path / label), name="e", verbose=0,
                                                       callbacks=callbacks)).fit()
        assert not results.errors
        runs[label] = (_rows(tmp_path / label), results)
    plain, general = runs["plain"][0], runs["general"][0]
    for x in plain:
        assert [keys for keys, _ in plain[x]] == [keys for keys, _ in general[x]]
        for (_, a), (_, b) in zip(plain[x], general[x]):
            a, b = dict(a), dict(b)
            a.pop("trial_id"), b.pop("trial_id")
            assert json.dumps(a) == json.dumps(b)  # NaN and 1e300 as the general path writes them
    for (_, a), (_, b) in zip(sorted((r.config["x"], r) for r in runs["plain"][1]),
                              sorted((r.config["x"], r) for r in runs["general"][1])):
        assert list(a.metrics_dataframe.columns) == list(b.metrics_dataframe.columns)
        assert len(a.metrics_dataframe) == 6
    headers = {label: sorted(p.read_text().splitlines()[0] for p in (tmp_path / label).rglob("progress.csv"))
               for label in runs}
    assert headers["plain"] == headers["general"]


def test_worker_reports_take_the_plain_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process-executor trial's plain reports go through the plain path on the driver (so the
    test above compares the two paths there, not the general path with itself)."""
    from swifttune.tune._internal import trial_session

    taken = []
    original = trial_session.TrialSession._plain_remote_report

    def counting(self: Any, filled: dict[str, Any], line: str) -> Optional[int]:
        decision = original(self, filled, line)
        taken.append(decision is not None)
        return decision

    monkeypatch.setattr(trial_session.TrialSession, "_plain_remote_report", counting)
    results = tune.Tuner(_objective, param_space={"x": 1.0}, tune_config=tc("process"),
                         run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0)).fit()
    assert not results.errors
    assert taken.count(True) == 5 and os.path.isdir(results[0].path)  # the bool report went the general way


# --- a trial of a killed driver does not go on ---------------------------------------------------

_ORPHAN_DRIVER = r'''
import os, sys, time
import swifttune
from swifttune import tune

def trainable(config):
    beat = os.path.join(config["dir"], "beat")
    while True:  # no report for a long while: only the worker can tell the driver is gone
        with open(beat, "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(0.02)

swifttune.init(num_cpus=1)
tune.Tuner(trainable, param_space={"dir": sys.argv[1]}, tune_config=tune.TuneConfig(num_samples=1),
           run_config=tune.RunConfig(storage_path=sys.argv[1], verbose=0)).fit()
'''


def test_a_killed_drivers_trial_stops_at_once(tmp_path: Path) -> None:
    """SIGKILL the driver while its trial runs between reports: the worker kills the trial within
    a fraction of a second (a restored driver will run the trial again in the same folder), where
    it used to go on until its next report."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "driver.py"
    script.write_text(_ORPHAN_DRIVER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], env=env)
    beat = tmp_path / "beat"
    deadline = time.time() + 60
    while not (beat.exists() and beat.stat().st_size > 0) and time.time() < deadline:
        time.sleep(0.05)
    assert beat.exists(), "the trial never started"
    pid = int(beat.read_text().split()[0])
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    time.sleep(0.5)
    size = beat.stat().st_size
    time.sleep(0.5)
    assert beat.stat().st_size == size, "the dead driver's trial is still running"
    assert not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split()[2]
