"""The driver is killed with SIGKILL at random moments (and once in the middle of writing the
experiment state) during a 200-trial experiment; each time the experiment is restored, until it
finishes. Nothing reported before a kill and saved may be lost or doubled, and no configuration
may be suggested twice."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

from swifttune import tune

DRIVER = r'''
import os, signal, sys, time
from pathlib import Path

from swifttune import tune
from swifttune.tune.search import ConcurrencyLimiter
from swifttune.tune.search.hyperopt import HyperOptSearch

storage = sys.argv[1]
kill_on_write = int(os.environ.get("KILL_ON_STATE_WRITE", "0"))
if kill_on_write:
    import swifttune.tune._internal.state as state

    calls = [0]
    original = state.write_state

    def write_then_die(journal, head, final=False):
        calls[0] += 1
        if calls[0] == kill_on_write:
            # Death in the middle of a write: half of a new snapshot in the temporary file (before
            # the rename), or half of a line at the end of the journal (before its newline).
            if journal.wants_compaction:
                with open(journal.path.with_name(journal.path.name + ".tmp"), "w") as f:
                    f.write('{"swifttune_tuner": 1, "engine": {"format": "swifttune.experiment", "tri')
            else:
                with open(str(journal.path) + ".journal", "a") as f:
                    f.write('{"seq": 99999, "ops": [["set", ["elapsed_s"], 1')
            os.kill(os.getpid(), signal.SIGKILL)
        original(journal, head, final)

    state.write_state = write_then_die


def objective(config):
    for step in range(1, 4):
        time.sleep(0.03)
        tune.report({"loss": (config["x"] - 3) ** 2 + 1.0 / step, "step": step})


path = Path(storage) / "killed"
if tune.Tuner.can_restore(path):
    tuner = tune.Tuner.restore(str(path), objective)
else:
    search = ConcurrencyLimiter(HyperOptSearch(metric="loss", mode="min", random_state_seed=7), max_concurrent=2)
    tuner = tune.Tuner(objective, param_space={"x": tune.uniform(-10, 10), "act": tune.choice(["relu", "tanh"])},
                       tune_config=tune.TuneConfig(search_alg=search, num_samples=200),
                       run_config=tune.RunConfig(name="killed", storage_path=storage, verbose=0))
tuner.fit()
print("DONE", flush=True)
'''


def _loss(config: dict[str, Any], step: int) -> float:
    return (config["x"] - 3) ** 2 + 1.0 / step


def _snapshot(path: Path) -> dict[str, dict[str, Any]]:
    """The trials of the state on disk (the snapshot with its journal): it must always read (the
    snapshot is replaced atomically; a journal line cut short is left out)."""
    from swifttune.tune._internal.journal import load_state

    f = path / "experiment_state.json"
    if not f.exists():
        return {}
    state = load_state(f)
    return {t["id"]: t for t in state["engine"]["trials"]}


def test_driver_killed_at_random_moments_loses_nothing(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    rng = random.Random(2026)
    # Seven kills: five at random moments, two in the middle of a state write (the 3rd and the 40th).
    plan: list[tuple[str, float]] = [("time", rng.uniform(0.6, 1.6)), ("write", 3), ("time", rng.uniform(0.6, 1.6)),
                                     ("time", rng.uniform(0.6, 1.6)), ("write", 40), ("time", rng.uniform(0.6, 1.6)),
                                     ("time", rng.uniform(0.6, 1.6))]
    exp = tmp_path / "killed"
    snapshots: list[dict[str, dict[str, Any]]] = []
    kills = 0
    for kind, when in plan:
        run_env = dict(env, KILL_ON_STATE_WRITE=str(int(when)) if kind == "write" else "0")
        proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], env=run_env, stdout=subprocess.PIPE, text=True)
        if kind == "time":
            try:
                proc.wait(timeout=when)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=120)
        assert "DONE" not in out, "the experiment finished before every planned kill happened: make trials slower"
        assert proc.returncode == -signal.SIGKILL, proc.returncode
        kills += 1
        snapshots.append(_snapshot(exp))
    assert kills == 7
    assert any(snapshots)

    start = time.time()
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], env=dict(env, KILL_ON_STATE_WRITE="0"),
                          stdout=subprocess.PIPE, text=True, timeout=600)
    assert done.returncode == 0 and "DONE" in done.stdout, (done.returncode, time.time() - start)

    grid = tune.Tuner.restore(str(exp), lambda config: None).get_results()
    assert len(grid) == 200
    assert [r.status for r in grid].count("TERMINATED") == 200
    final = {r.trial_id: r for r in grid}
    # No configuration suggested twice.
    configs = {(r.config["x"], r.config["act"]) for r in grid}
    assert len(configs) == 200
    # Every trial holds its three results once, in the engine and in its files.
    for r in grid:
        assert [h["training_iteration"] for h in r.history] == [1, 2, 3], r.trial_id
        assert [h["loss"] for h in r.history] == [_loss(r.config, s) for s in (1, 2, 3)]
        rows = Path(r.path, "result.json").read_text().splitlines()
        assert [json.loads(x)["step"] for x in rows] == [1, 2, 3], r.trial_id
    # What each kill left on disk: a trial keeps its configuration for ever, and every result it
    # had is in the final results exactly once.
    saved_results = 0
    for snap in snapshots:
        for tid, t in snap.items():
            assert tid in final
            assert t["configuration"]["x"] == final[tid].config["x"]
            assert t["configuration"]["act"] == final[tid].config["act"]
            history = [(h["training_iteration"], h["loss"]) for h in final[tid].history]
            for res in t["results"]:
                assert history.count((res["training_iteration"], res["loss"])) == 1
                saved_results += 1
            if t["status"] == "TERMINATED":
                assert len(t["results"]) == 3
    assert saved_results > 0
