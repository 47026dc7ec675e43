"""The driver is killed with SIGKILL three times during a Population Based Training run of 8
trials (and during a PB2 run); each time the experiment is restored, until it finishes. Every trial's history must be
intact (each result saved before a kill is in the final history, every trial reaches the end, the
result files agree with the engine), and the policy logs must agree with the experiment state: one
``pbt_global.txt`` line per exploit the state records, in order, each showing the configuration the
exploiting trial went on with. For PB2 the bandit's data also come back: each kill's rows are a
prefix of the final ones."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

from swifttune import tune

DRIVER = r'''
import json, os, sys, tempfile, time
from pathlib import Path

import swifttune
from swifttune import tune
from swifttune.tune.schedulers import PB2, PopulationBasedTraining


def trainable(config):
    score, step = 0.0, 0
    checkpoint = tune.get_checkpoint()
    if checkpoint:
        with checkpoint.as_directory() as d:
            with open(os.path.join(d, "c.json")) as f:
                score, step = json.load(f)
    while True:
        time.sleep(0.12)
        step += 1
        score += config["lr"] * (1 + (step % 3))
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "c.json"), "w") as f:
                json.dump([score, step], f)
            tune.report({"score": score, "step": step, "lr": config["lr"]}, checkpoint=tune.Checkpoint.from_directory(d))


swifttune.init(num_cpus=2)
path = Path(sys.argv[1]) / "pbt_killed"
if tune.Tuner.can_restore(path):
    tuner = tune.Tuner.restore(str(path), trainable)
else:
    pbt = SCHEDULER
    tuner = tune.Tuner(trainable, param_space={"lr": tune.uniform(0.1, 10.0)},
                       tune_config=tune.TuneConfig(metric="score", mode="max", scheduler=pbt, num_samples=8),
                       run_config=tune.RunConfig(name="pbt_killed", storage_path=sys.argv[1], verbose=0,
                                                 stop={"training_iteration": 12}))
tuner.fit()
print("DONE", flush=True)
'''


SCHEDULERS = {
    "pbt": 'PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=2, '
           'hyperparam_mutations={"lr": tune.uniform(0.1, 10.0)})',
    "pb2": 'PB2(time_attr="training_iteration", perturbation_interval=2, hyperparam_bounds={"lr": [0.1, 10.0]})',
}


def _state(path: Path) -> dict[str, Any]:
    from swifttune.tune._internal.journal import load_state

    f = path / "experiment_state.json"
    if not f.exists():
        return {"trials": [], "exploits": [], "bandit": []}
    saved = load_state(f)  # the snapshot with its journal
    return dict(saved["engine"], bandit=saved["engine"].get("scheduler", {}).get("pb2", {}).get("rows", []))


@pytest.mark.parametrize("kind", sorted(SCHEDULERS))
def test_driver_killed_three_times_during_pbt_resumes_to_the_end(tmp_path, kind):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.replace("SCHEDULER", SCHEDULERS[kind]))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    rng = random.Random(17)
    exp = tmp_path / "pbt_killed"
    snapshots = []
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], env=env, stdout=subprocess.PIPE, text=True)
        try:
            proc.wait(timeout=rng.uniform(1.6, 2.4))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=120)
        assert "DONE" not in out, "the experiment finished before every planned kill: make trials slower"
        snapshots.append(_state(exp))
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], env=env, stdout=subprocess.PIPE, text=True,
                          timeout=600)
    assert done.returncode == 0 and "DONE" in done.stdout

    final = _state(exp)
    assert final["exploits"], "PBT made no exploit: the scenario tests nothing"
    assert any(s["exploits"] for s in snapshots), "no kill came after an exploit: kill later"
    # Exploits only grow: each kill's state is a prefix of the final one.
    for snap in snapshots:
        assert final["exploits"][: len(snap["exploits"])] == snap["exploits"]
        assert final["bandit"][: len(snap["bandit"])] == snap["bandit"]
    if kind == "pb2":  # a row for every trial's result at its perturbation times
        assert {row[0] for row in final["bandit"]} == {t["id"] for t in final["trials"]}
        assert all(2 <= row[1] <= 12 for row in final["bandit"])
    grid = tune.Tuner.restore(str(exp), lambda config: None).get_results()
    assert len(grid) == 8 and all(r.status == "TERMINATED" for r in grid)
    by_id = {r.trial_id: r for r in grid}
    for r in grid:
        assert r.metrics["training_iteration"] == 12
        rows = [json.loads(x) for x in Path(r.path, "result.json").read_text().splitlines()]
        assert [(x["training_iteration"], x["score"]) for x in rows] == \
            [(h["training_iteration"], h["score"]) for h in r.history], r.trial_id
    # Nothing saved before a kill is lost.
    for snap in snapshots:
        for t in snap["trials"]:
            history = [(h["training_iteration"], h["score"], h["lr"]) for h in by_id[t["id"]].history]
            for res in t["results"]:
                assert (res["training_iteration"], res["score"], res["lr"]) in history, t["id"]
    # The policy log is the state's exploits, line for line.
    lines = [json.loads(x) for x in (exp / "pbt_global.txt").read_text().splitlines()]
    assert len(lines) == len(final["exploits"])
    for line, event in zip(lines, final["exploits"]):
        assert int(line[0].split("_")[0]) == int(event["trial"].rsplit("_", 1)[-1])
        assert int(line[1].split("_")[0]) == int(event["clone"].rsplit("_", 1)[-1])
        assert line[2:4] == [event["trial_iteration"], event["clone_iteration"]]
        assert line[5]["lr"] == event["config"]["lr"]
        # The exploiting trial went on with the new lr (an exploit comes before iteration 12, the end).
        assert line[5]["lr"] in [h["lr"] for h in by_id[event["trial"]].history]
    for f in exp.glob("pbt_policy_*.txt"):
        trial = f.stem[len("pbt_policy_"):]
        rows = [json.loads(x) for x in f.read_text().splitlines()]
        mine = [e for e in final["exploits"] if e["trial"] == trial]
        assert rows[-1][5]["lr"] == mine[-1]["config"]["lr"]
