"""A 20,000-trial experiment through Python (random search, thread executor, one report per trial)
whose driver is killed with SIGKILL when most trials have run: every trial that had reported and
ended a second before the kill is on disk with its result (the state file and its journal), and
the restored experiment finishes the rest without repeating or losing a trial."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swifttune import tune
from swifttune.tune._internal.journal import load_state

pytestmark = pytest.mark.slow

TRIALS = 20_000
WINDOW_S = 1.0
"""Every change is on disk within this long of happening (docs/reliability.md)."""

DRIVER = r'''
import os, sys, time
from pathlib import Path

from swifttune import tune

storage, log = sys.argv[1], sys.argv[2]
fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


def objective(config):
    tune.report({"loss": config["x"] * config["x"]})
    # After the report the trial ends; the log line says when (it survives the kill: the kernel has it).
    os.write(fd, f"{config['x']!r} {time.time()!r}\n".encode())


path = Path(storage) / "scale"
if tune.Tuner.can_restore(path):
    tuner = tune.Tuner.restore(str(path), objective)
else:
    tuner = tune.Tuner(objective, param_space={"x": tune.uniform(-10, 10)},
                       tune_config=tune.TuneConfig(num_samples=int(sys.argv[3]), executor="thread",
                                                   max_concurrent_trials=4),
                       run_config=tune.RunConfig(name="scale", storage_path=storage, verbose=0))
tuner.fit()
print("DONE", flush=True)
'''


def _logged(log: Path) -> list[tuple[float, float]]:
    out = []
    for line in log.read_text().splitlines():
        x, t = line.split()
        out.append((float(x), float(t)))
    return out


def test_a_20000_trial_driver_killed_late_has_every_change_of_a_second_before_on_disk(tmp_path: Path) -> None:
    script, log = tmp_path / "driver.py", tmp_path / "ended.log"
    script.write_text(DRIVER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path), str(log), str(TRIALS)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kill_after = int(TRIALS * 0.8)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if log.exists() and log.stat().st_size > 0 and len(log.read_bytes().splitlines()) >= kill_after:
            break
    killed_at = time.time()
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL and "DONE" not in out, err[-3000:]

    state = load_state(tmp_path / "scale" / "experiment_state.json")
    trials = state["engine"]["trials"]
    ended = _logged(log)
    assert len(ended) >= kill_after
    on_disk = {t["configuration"]["x"]: t for t in trials}
    early = [(x, t) for x, t in ended if t < killed_at - WINDOW_S]
    assert len(early) >= kill_after * 0.9
    late = []
    for x, t in early:
        saved = on_disk.get(x)
        if saved is None or saved["status"] != "TERMINATED" or [r["loss"] for r in saved["results"]] != [x * x]:
            late.append((x, killed_at - t))
    assert not late, f"{len(late)} trials that ended more than {WINDOW_S} s before the kill are not on disk: {late[:5]}"

    # Restored, the experiment finishes: every trial once, none repeated, each with its one result.
    start = time.monotonic()
    done = subprocess.run([sys.executable, str(script), str(tmp_path), str(log), str(TRIALS)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=900)
    assert done.returncode == 0 and "DONE" in done.stdout, done.stderr[-3000:]
    grid = tune.Tuner.restore(str(tmp_path / "scale"), lambda config: None).get_results()
    assert len(grid) == TRIALS and not grid.errors
    xs = [r.config["x"] for r in grid]
    assert len(set(xs)) == TRIALS
    wrong = [(r.trial_id, r.config, r.metrics) for r in grid if r.metrics.get("loss") != r.config["x"] * r.config["x"]]
    assert not wrong, (len(wrong), wrong[:3])
    # What was on disk at the kill kept its configuration and result.
    final = {r.config["x"]: r for r in grid}
    for x, t in on_disk.items():
        if t["status"] == "TERMINATED":
            assert [h["loss"] for h in final[x].history] == [r["loss"] for r in t["results"]]
    print(f"killed after {len(ended)} ended trials; {len(trials)} on disk; resumed to {TRIALS} in "
          f"{time.monotonic() - start:.1f} s; snapshot {json.dumps(os.path.getsize(tmp_path / 'scale' / 'experiment_state.json'))} bytes")
