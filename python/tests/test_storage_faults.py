"""Storage that fails under a running experiment: the state file's writes fail (a full disk, a
read-only folder, an I/O error: injected into the writer of a real driver process), and a real
disk fills up (a small tmpfs) under the state and the trial files. A fault that passes is carried
through; one that lasts stops the experiment with an error naming the path; in every case the last
complete state on disk restores, and nothing written before the fault is lost."""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from swifttune import tune

pytestmark = pytest.mark.slow

TRIALS = 30

DRIVER = r'''
import errno, os, sys, threading, time
from pathlib import Path

import swifttune.tune._internal.state as state
from swifttune import tune

storage, executor = sys.argv[1], sys.argv[2]
code, first, seconds = int(os.environ.get("FAULT_ERRNO", "0")), int(os.environ.get("FAULT_FROM", "0")), \
    float(os.environ.get("FAULT_SECONDS", "0"))
calls, began = [0], [None]
original = state.write_state


def failing_storage(journal, head, final=False):
    """The state's writes (snapshot or journal) fail from the FAULT_FROM-th on, for FAULT_SECONDS
    (forever: -1); a failed write leaves the files as they were, as libswifttune's does."""
    if code:
        calls[0] += 1
        if calls[0] >= first:
            began[0] = began[0] or time.monotonic()
            if seconds < 0 or time.monotonic() - began[0] < seconds:
                journal.wants_compaction = True  # as after a real failure: the next write is whole
                raise OSError(code, os.strerror(code), str(journal.path))
    original(journal, head, final)


state.write_state = failing_storage


def objective(config):
    for step in range(3):
        time.sleep(0.05)
        tune.report({"loss": config["x"] * 10 + step, "step": step})


path = Path(storage) / "faulty"
if tune.Tuner.can_restore(path):
    tuner = tune.Tuner.restore(str(path), objective)
else:
    tuner = tune.Tuner(objective, param_space={"x": tune.grid_search(list(range(int(sys.argv[3]))))},
                       tune_config=tune.TuneConfig(executor=executor, max_concurrent_trials=2),
                       run_config=tune.RunConfig(name="faulty", storage_path=storage, verbose=0))
tuner.fit()
print("DONE", flush=True)
'''


def _run(tmp_path: Path, storage: Path, executor: str = "thread", timeout_s: float = 60.0,
         **fault: Any) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
               SWIFTTUNE_STATE_WRITE_TIMEOUT_S=str(timeout_s),
               **{f"FAULT_{k.upper()}": str(v) for k, v in fault.items()})
    return subprocess.run([sys.executable, str(script), str(storage), executor, str(TRIALS)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)


def _state(exp: Path) -> dict[str, dict[str, Any]]:
    from swifttune.tune._internal.journal import load_state

    return {t["id"]: t for t in load_state(exp / "experiment_state.json")["engine"]["trials"]}


def _check_complete(exp: Path, before: dict[str, dict[str, Any]]) -> None:
    """Every trial ended with its three results; what `before` (a state on disk) held is kept."""
    grid = tune.Tuner.restore(str(exp), lambda config: None).get_results()
    assert len(grid) == TRIALS and not grid.errors
    assert sorted(r.config["x"] for r in grid) == list(range(TRIALS))
    final = {r.trial_id: r for r in grid}
    for r in grid:
        assert [h["step"] for h in r.history] == [0, 1, 2], r.trial_id
        rows = Path(r.path, "result.json").read_text().splitlines()
        assert [json.loads(x)["step"] for x in rows] == [0, 1, 2], r.trial_id
    for tid, t in before.items():
        assert final[tid].config["x"] == t["configuration"]["x"]
        if t["status"] == "TERMINATED":
            assert [h["loss"] for h in final[tid].history] == [res["loss"] for res in t["results"]]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EIO], ids=["ENOSPC", "EROFS", "EIO"])
def test_a_state_write_fault_that_passes_is_carried_through(tmp_path: Path, code: int) -> None:
    done = _run(tmp_path, tmp_path, errno=code, **{"from": 3}, seconds=2.5)
    assert done.returncode == 0 and "DONE" in done.stdout, done.stderr[-3000:]
    state_file = tmp_path / "faulty" / "experiment_state.json"
    assert f"Could not write the experiment state to {state_file} ({os.strerror(code)}). Trials go on" in done.stderr
    assert f"The experiment state is written to {state_file} again." in done.stderr
    assert not (tmp_path / "faulty" / "experiment_state.json.tmp").exists()
    assert [t["status"] for t in _state(tmp_path / "faulty").values()] == ["TERMINATED"] * TRIALS
    _check_complete(tmp_path / "faulty", {})


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_a_lasting_state_write_fault_stops_the_experiment_and_the_last_state_restores(tmp_path: Path,
                                                                                      executor: str) -> None:
    stopped = _run(tmp_path, tmp_path, executor, timeout_s=1.5, errno=errno.ENOSPC, **{"from": 4}, seconds=-1)
    state_file = tmp_path / "faulty" / "experiment_state.json"
    assert stopped.returncode != 0 and "DONE" not in stopped.stdout
    assert "StateWriteError" in stopped.stderr
    assert re.search(rf"The experiment state could not be written to {re.escape(str(state_file))} for \d+ s "
                     r"\(No space left on device\), so the experiment was stopped", stopped.stderr), stopped.stderr[-3000:]
    before = _state(tmp_path / "faulty")  # the last complete state: it parses, and it restores
    assert 0 < len(before) < TRIALS
    resumed = _run(tmp_path, tmp_path, executor)
    assert resumed.returncode == 0 and "DONE" in resumed.stdout, resumed.stderr[-3000:]
    _check_complete(tmp_path / "faulty", before)


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 4 MiB tmpfs (a real file system that fills up), mounted for the test."""
    mount = shutil.which("mount")
    where = tmp_path / "disk"
    where.mkdir()
    made = subprocess.run([mount or "mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({made.stderr.strip()}): the injected faults above "
                    "still run")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


FAULT = r'''
import sys, time
from pathlib import Path

disk, seconds = Path(sys.argv[1]), float(sys.argv[2])
while not (disk / "faulty" / "experiment_state.json").exists():
    time.sleep(0.02)
time.sleep(0.6)  # trials under way
try:
    with open(disk / "filler", "wb") as f:
        while True:
            f.write(b"x" * 65536)
except OSError:
    pass
print("FAULT", flush=True)
time.sleep(seconds)
(disk / "filler").unlink()
print("PASSED", flush=True)
'''


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_a_disk_that_fills_up_loses_nothing(tmp_path: Path, small_disk: Path, executor: str) -> None:
    """A real file system that fills up for two seconds under the state and the trial files (a
    read-only remount is refused while files are open for writing, so EROFS is injected above): the
    run either carries on once space is back or stops naming the file it could not write;
    restoring finishes every trial."""
    script = tmp_path / "fault.py"
    script.write_text(FAULT)
    fault = subprocess.Popen([sys.executable, str(script), str(small_disk), "2.0"], stdout=subprocess.PIPE, text=True)
    first = _run(tmp_path, small_disk, executor, timeout_s=30)
    out, _ = fault.communicate(timeout=60)
    assert "FAULT" in out and "PASSED" in out
    exp = small_disk / "faulty"
    if first.returncode != 0:
        assert "TrialFilesError" in first.stderr or "StateWriteError" in first.stderr, first.stderr[-3000:]
        assert f"Could not write {exp}" in first.stderr, first.stderr[-3000:]
    before = _state(exp)
    if first.returncode != 0:
        resumed = _run(tmp_path, small_disk, executor)
        assert resumed.returncode == 0 and "DONE" in resumed.stdout, resumed.stderr[-3000:]
    _check_complete(exp, before)
    assert not any(p.name.endswith(".tmp") for p in exp.rglob("*"))
    print(f"{executor}: {'stopped and restored' if first.returncode else 'carried on'}")
