"""``TuneConfig(executor="ray")``: the seed tutorial's first experiment (scaled), with ASHA, runs
its trials as Ray actors on a two-node ``ray.cluster_utils.Cluster`` (real Ray, from PyPI), while
swifttune's engine on the driver decides; and a driver killed with SIGKILL mid-run resumes with
``Tuner.restore`` and loses nothing.

The script is the tutorial's (``import swifttune as ray``: ``ray.init(address=...)`` joins the
cluster) plus what the test needs to observe: a Callback that records on which node each trial's
actor runs (the parent of the actor's process is its node's raylet, whose command line names the
node; both nodes run on this machine) and, for the kill test, Ray's restore idiom."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.ray, pytest.mark.slow]

STEPS = 20
NUM_SAMPLES = 16

DRIVER = r'''
import json, os, sys, time

import swifttune as ray
from swifttune import tune
from swifttune.tune.search import ConcurrencyLimiter
from swifttune.tune.search.hyperopt import HyperOptSearch
from swifttune.tune.schedulers import ASHAScheduler

address, storage, num_samples, steps, SLEEP = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])


def evaluate(step, width, height):
    time.sleep(SLEEP)
    return (0.1 + width * step / 100) ** (-1) + height * 0.1


def objective(config):
    for step in range(config["steps"]):
        score = evaluate(step, config["width"], config["height"])
        tune.report({"iterations": step, "mean_loss": score})


class WhereTrialsRun(tune.Callback):
    """Test instrumentation: the Ray node of each trial's actor, from its process's parent (the raylet)."""

    def on_trial_result(self, iteration, trials, trial, result, **info):
        with open(f"/proc/{result['pid']}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        with open(f"/proc/{ppid}/cmdline") as f:
            args = f.read().split("\0")
        node = next((a.split("=", 1)[1] for a in args if a.startswith("--node_id=")), None)
        with open(os.path.join(storage, "where.jsonl"), "a") as f:
            f.write(json.dumps([trial.trial_id, result["pid"], node, os.getpid()]) + "\n")


ray.init(address=address, configure_logging=False)

initial_params = [
    {"width": 1, "height": 2, "activation": "relu"},
    {"width": 4, "height": 2, "activation": "tanh"},
]
search_config = {
    "steps": steps,
    "width": tune.uniform(0, 20),
    "height": tune.uniform(-100, 100),
    "activation": tune.choice(["relu", "tanh"])
}
path = os.path.join(storage, "seed")
if tune.Tuner.can_restore(path):
    tuner = tune.Tuner.restore(path, objective)
else:
    algo = HyperOptSearch(points_to_evaluate=initial_params)
    algo = ConcurrencyLimiter(algo, max_concurrent=4)
    tuner = tune.Tuner(
        objective,
        tune_config=tune.TuneConfig(
            metric="mean_loss",
            mode="min",
            search_alg=algo,
            scheduler=ASHAScheduler(max_t=steps, grace_period=2),
            num_samples=num_samples,
            executor="ray",
        ),
        param_space=search_config,
        run_config=tune.RunConfig(name="seed", storage_path=storage, callbacks=[WhereTrialsRun()]),
    )
results = tuner.fit()

print("Best hyperparameters found were: ", json.dumps(results.get_best_result().config, sort_keys=True))
print("DONE", flush=True)
'''


@pytest.fixture(scope="module")
def cluster():
    """A Ray cluster of two nodes on this machine, two CPUs each; the second also has one unit of a
    custom resource, "special"."""
    from ray.cluster_utils import Cluster

    # The nodes' worker processes import what the trials need from this process's path (the
    # package under test, and helpers.py beside this file), as a cluster's nodes have the
    # driver's packages installed.
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = _env()["PYTHONPATH"]
    try:
        c = Cluster(initialize_head=True, head_node_args={"num_cpus": 2})
        c.add_node(num_cpus=2, resources={"special": 1})
    finally:
        if before is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = before
    c.wait_for_nodes()
    try:
        yield c
    finally:
        c.shutdown()


def _node_ids(cluster: Any) -> set[str]:
    return {n.node_id for n in cluster.list_all_nodes()}


def _driver(tmp_path: Path, cluster: Any, sleep: float) -> list[str]:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    return [sys.executable, str(script), cluster.address, str(tmp_path), str(NUM_SAMPLES), str(STEPS), str(sleep)]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The test process's import path (the package under test) for the driver and, through it, Ray's workers.
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def _state(exp: Path) -> dict[str, dict[str, Any]]:
    """The trials of the state on disk: the state file with its journal applied."""
    from swifttune.tune._internal.journal import load_state

    f = exp / "experiment_state.json"
    if not f.exists():
        return {}
    return {t["id"]: t for t in load_state(f)["engine"]["trials"]}


def _check_results(tmp_path: Path, cluster: Any, out: str) -> Any:
    from swifttune import tune

    grid = tune.Tuner.restore(str(tmp_path / "seed"), lambda config: None).get_results()
    assert len(grid) == NUM_SAMPLES
    assert [r.status for r in grid].count("TERMINATED") == NUM_SAMPLES, [(r.status, r.error) for r in grid]
    # The tutorial's two starting points ran first, as given.
    first = sorted(grid, key=lambda r: r.trial_id)[:2]
    assert [(r.config["width"], r.config["height"], r.config["activation"]) for r in first] == [(1, 2, "relu"), (4, 2, "tanh")]
    # The best result printed is the engine's best (the least last mean_loss, ASHA's stopped trials included).
    best = min(grid, key=lambda r: r.metrics["mean_loss"])
    assert f"Best hyperparameters found were:  {json.dumps(best.config, sort_keys=True)}" in out
    # ASHA (max_t=20, grace_period=2, reduction_factor 4: rungs at 2 and 8) stopped trials early,
    # each at a rung; the others ran all 20 steps.
    lengths = sorted(r.metrics["training_iteration"] for r in grid)
    assert all(n in (2, 8, STEPS) for n in lengths), lengths
    assert lengths.count(2) + lengths.count(8) >= 4, lengths
    assert STEPS in lengths
    for r in grid:
        assert [h["iterations"] for h in r.history] == list(range(r.metrics["training_iteration"])), r.trial_id
    # Every trial ran in a Ray actor (not in the driver), and the trials ran on both nodes.
    where = [json.loads(line) for line in (tmp_path / "where.jsonl").read_text().splitlines()]
    assert {w[0] for w in where} >= {r.trial_id for r in grid}
    assert all(w[1] != w[3] for w in where)
    nodes = {w[2] for w in where}
    assert nodes == _node_ids(cluster), (nodes, _node_ids(cluster))
    return grid


def test_seed_experiment_runs_on_a_two_node_cluster_with_asha(cluster, tmp_path):
    start = time.time()
    done = subprocess.run(_driver(tmp_path, cluster, 0.02), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=600)
    assert done.returncode == 0 and "DONE" in done.stdout, done.stderr[-4000:]
    _check_results(tmp_path, cluster, done.stdout)
    # The status table counts the cluster's CPUs, as Ray's does (four, on two nodes).
    assert "Logical resource usage: 0.0/4 CPUs, 0/0 GPUs" in done.stdout, done.stdout[-3000:]
    print(f"{NUM_SAMPLES} trials on the two-node cluster in {time.time() - start:.1f} s")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_driver_killed_mid_run_resumes_with_restore(cluster, tmp_path, sig):
    """SIGKILL: the driver dies (Ray ends its actors); SIGINT: Ray's clean stop (the actors inside
    trials killed, those trials left to run again, ``fit`` returns). Either way a restore ends
    the experiment with nothing lost."""
    exp = tmp_path / "seed"
    proc = subprocess.Popen(_driver(tmp_path, cluster, 0.15), env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    deadline = time.time() + 300
    before: dict[str, dict[str, Any]] = {}
    try:
        # The kill: once some trials have ended and others are under way (saved as PENDING).
        while time.time() < deadline and proc.poll() is None:
            snap = _state(exp)
            statuses = [t["status"] for t in snap.values()]
            if statuses.count("TERMINATED") >= 4 and len(statuses) > statuses.count("TERMINATED"):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the experiment ended before the kill: make trials slower"
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = _state(exp)
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    else:  # fit returned what had ended, and the script went on
        assert proc.returncode == 0 and "DONE" in out, proc.returncode
    statuses = [t["status"] for t in before.values()]
    assert statuses.count("TERMINATED") >= 4 and len(statuses) > statuses.count("TERMINATED"), statuses

    done = subprocess.run(_driver(tmp_path, cluster, 0.02), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=600)
    assert done.returncode == 0 and "DONE" in done.stdout, done.stderr[-4000:]
    grid = _check_results(tmp_path, cluster, done.stdout)
    final = {r.trial_id: r for r in grid}
    # What the kill left on disk stands: each trial keeps its configuration, an ended trial its
    # results, exactly; a trial that was running ran again from its start (no checkpoint).
    for tid, t in before.items():
        assert final[tid].config == {k: v for k, v in t["configuration"].items()} | {"steps": STEPS}
        if t["status"] == "TERMINATED":
            assert [h["mean_loss"] for h in final[tid].history] == [res["mean_loss"] for res in t["results"]]
    # No configuration suggested twice.
    assert len({(r.config["width"], r.config["height"]) for r in grid}) == NUM_SAMPLES


@pytest.fixture
def connected(cluster):
    """This process joined to the cluster as a user's script joins it (``swifttune.init(address=...)``)."""
    import ray

    import swifttune

    swifttune.init(address=cluster.address, configure_logging=False)
    try:
        yield cluster
    finally:
        ray.shutdown()
        swifttune._ray_address = None


def test_actor_death_and_errors_follow_failure_config(connected, tmp_path):
    """An actor that dies mid-trial fails the trial (Ray's message), and ``max_failures`` runs it
    again from its last checkpoint, in a new actor; an objective that raises ends in ERROR with its
    exception once its retries are spent."""
    import tempfile

    from swifttune import tune

    marker = str(tmp_path / "died")

    def train(config):
        start = 0
        checkpoint = tune.get_checkpoint()
        if checkpoint:
            with checkpoint.as_directory() as d:
                start = int(Path(d, "step").read_text())
        for step in range(start, 6):
            if config["x"] == 2 and step == 1:
                raise ValueError("x=2 is refused")
            with tempfile.TemporaryDirectory() as d:
                Path(d, "step").write_text(str(step + 1))
                tune.report({"step": step, "pid": os.getpid()}, checkpoint=tune.Checkpoint.from_directory(d))
            if config["x"] == 1 and step == 2 and not os.path.exists(marker):
                Path(marker).touch()
                os._exit(3)  # the actor's process dies

    grid = tune.Tuner(train, param_space={"x": tune.grid_search([0, 1, 2])},
                      tune_config=tune.TuneConfig(executor="ray"),
                      run_config=tune.RunConfig(name="failures", storage_path=str(tmp_path), verbose=0,
                                                failure_config=tune.FailureConfig(max_failures=1))).fit()
    by_x = {r.config["x"]: r for r in grid}
    assert by_x[0].error is None and [h["step"] for h in by_x[0].history] == list(range(6))
    died = by_x[1]
    assert died.error is None, died.error
    assert [h["step"] for h in died.history] == list(range(6))  # steps 3-5 from the checkpoint of step 2
    assert len({h["pid"] for h in died.history}) == 2  # a new actor for the second attempt
    assert "The Ray actor running trial" in Path(died.path, "error.txt").read_text()
    assert isinstance(by_x[2].error, ValueError) and "x=2 is refused" in str(by_x[2].error)
    assert Path(by_x[2].path, "error.txt").read_text().count("x=2 is refused") >= 2  # tried twice


def _holding(log: Any, seconds: float) -> Any:
    """A trainable that holds its resources for `seconds` (the interval goes to `log`), then reports
    where it ran and what Ray gave it: its node, CPUs, "special" units, placement group bundles."""

    def train(config):
        import ray

        from swifttune import tune

        start = time.time()
        time.sleep(seconds)
        log.add("interval", start, time.time())
        context = ray.get_runtime_context()
        group = ray.util.get_current_placement_group()
        tune.report({"node": context.get_node_id(), "cpus": context.get_assigned_resources().get("CPU"),
                     "special": context.get_assigned_resources().get("special"),
                     "bundles": len(group.bundle_specs) if group else 0})

    return train


def test_trial_resources_are_the_actors(connected, tmp_path):
    """``with_resources`` maps to the actor's resources: trials of two CPUs on nodes of two CPUs
    run one per node (two at a time, one on each node); a placement group per trial; a custom
    resource places trials on its node; a trial no node can hold is refused."""
    from swifttune import tune
    from helpers import FileLog, max_overlap

    def fit(name: str, resources: Any, trials: int, seconds: float) -> tuple[Any, int]:
        log = FileLog(tmp_path / f"{name}.jsonl")
        grid = tune.Tuner(tune.with_resources(_holding(log, seconds), resources),
                          param_space={"i": tune.grid_search(list(range(trials)))},
                          tune_config=tune.TuneConfig(executor="ray"),
                          run_config=tune.RunConfig(name=name, storage_path=str(tmp_path), verbose=0)).fit()
        assert not grid.errors
        return grid, max_overlap(log)

    grid, overlap = fit("cpus", {"cpu": 2}, 4, 2.0)
    assert {(r.metrics["cpus"], r.metrics["bundles"]) for r in grid} == {(2.0, 0)}
    assert {r.metrics["node"] for r in grid} == _node_ids(connected)
    assert overlap == 2

    # A placement group per trial: the actor in its first bundle, the other bundle the trial's to use.
    grid, overlap = fit("groups", tune.PlacementGroupFactory([{"CPU": 1}, {"CPU": 1}], strategy="SPREAD"), 4, 2.0)
    assert {(r.metrics["bundles"], r.metrics["cpus"]) for r in grid} == {(2, 1.0)}
    assert overlap == 2

    # A custom resource: the trials run where it is, one at a time (one unit on the cluster).
    grid, overlap = fit("special", {"cpu": 1, "special": 1}, 3, 0.3)
    special_node = {n.node_id for n in connected.list_all_nodes() if n is not connected.head_node}
    assert {r.metrics["node"] for r in grid} == special_node and {r.metrics["special"] for r in grid} == {1.0}
    assert overlap == 1

    with pytest.raises(ValueError, match=r"Each trial needs CPU=3, more than any node of the Ray cluster has"):
        fit("too_big", {"cpu": 3}, 1, 0.0)


def test_class_trainable_checkpoints_and_reuse_actors(connected, tmp_path):
    """A class ``Trainable`` runs in the actors, its checkpoints written there; with
    ``reuse_actors=True`` one actor runs every trial of its executor thread (``reset_config``),
    without, each trial has an actor of its own."""
    from swifttune import tune

    class Steps(tune.Trainable):
        def setup(self, config):
            self.setups = int(os.environ.get("SWIFTTUNE_TEST_SETUPS", "0")) + 1  # per actor process
            os.environ["SWIFTTUNE_TEST_SETUPS"] = str(self.setups)
            self.x = 0

        def step(self):
            self.x += 1
            return {"x": self.x, "setups_here": self.setups, "pid": os.getpid()}

        def save_checkpoint(self, checkpoint_dir):
            Path(checkpoint_dir, "x").write_text(str(self.x))

        def load_checkpoint(self, checkpoint_dir):
            self.x = int(Path(checkpoint_dir, "x").read_text())

        def reset_config(self, new_config):
            self.x = 0
            return True

    for reuse in (False, True):
        grid = tune.Tuner(Steps, param_space={"i": tune.grid_search(list(range(4)))},
                          tune_config=tune.TuneConfig(executor="ray", reuse_actors=reuse, max_concurrent_trials=1),
                          run_config=tune.RunConfig(name=f"reuse_{reuse}", storage_path=str(tmp_path), verbose=0,
                                                    stop={"training_iteration": 3},
                                                    checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=True))).fit()
        assert not grid.errors
        assert [r.metrics["x"] for r in grid] == [3] * 4
        for r in grid:
            with r.checkpoint.as_directory() as d:
                assert Path(d, "x").read_text() == "3"
        pids = {r.metrics["pid"] for r in grid}
        assert {r.metrics["setups_here"] for r in grid} == {1}
        assert len(pids) == (1 if reuse else 4), pids
