"""swifttune's TPE inside real Ray Tune (`swifttune.integrations.ray.SwiftTPESearch`): on a local
Ray instance behind Ray's own ConcurrencyLimiter, restored with Ray's Tuner.restore, and on a
two-node Ray cluster started on this machine."""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray", reason="the Ray integration tests need ray[tune] (make venv installs it)")
from ray import tune  # noqa: E402
from ray.tune.search import BasicVariantGenerator, ConcurrencyLimiter  # noqa: E402

from swifttune.integrations.ray import SwiftTPESearch, convert_search_space  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.slow]

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
# Ray's workers cannot import this test module: its trainables travel by value.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


def seed_objective(config: dict[str, Any]) -> None:
    """The seed tutorial's objective (10 steps, no sleep)."""
    for step in range(10):
        score = (0.1 + config["width"] * step / 100) ** (-1) + config["height"] * 0.1
        tune.report({"iterations": step, "mean_loss": score})


SEED_SPACE = {"steps": 10, "width": tune.uniform(0, 20), "height": tune.uniform(-100, 100),
              "activation": tune.choice(["relu", "tanh"])}


@pytest.fixture
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def _final_losses(grid: Any) -> list[float]:
    return [r.metrics["mean_loss"] for r in grid if r.metrics and "mean_loss" in r.metrics]


def test_swift_tpe_behind_rays_concurrency_limiter(local_ray, tmp_path):
    search = ConcurrencyLimiter(SwiftTPESearch(metric="mean_loss", mode="min", random_state_seed=1, n_initial_points=10),
                                max_concurrent=2)
    grid = tune.Tuner(seed_objective, param_space=SEED_SPACE,
                      tune_config=tune.TuneConfig(search_alg=search, num_samples=30, reuse_actors=True),
                      run_config=tune.RunConfig(storage_path=str(tmp_path), name="tpe", verbose=0)).fit()
    assert len(grid) == 30 and not grid.errors
    tpe = _final_losses(grid)
    assert len(tpe) == 30
    assert len({(r.config["width"], r.config["height"]) for r in grid}) == 30
    random_grid = tune.Tuner(seed_objective, param_space=SEED_SPACE,
                             tune_config=tune.TuneConfig(search_alg=BasicVariantGenerator(random_state=1), num_samples=30,
                                                         metric="mean_loss", mode="min", reuse_actors=True),
                             run_config=tune.RunConfig(storage_path=str(tmp_path), name="random", verbose=0)).fit()
    random_losses = sorted(_final_losses(random_grid))
    median = random_losses[len(random_losses) // 2]
    assert min(tpe) < median
    assert grid.get_best_result(metric="mean_loss", mode="min").metrics["mean_loss"] == min(tpe)


DRIVER = r'''
import os, sys, json, time
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
import ray
from ray import tune
from ray.tune.search import ConcurrencyLimiter
from swifttune.integrations.ray import SwiftTPESearch

storage, log = sys.argv[1], sys.argv[2]

def objective(config):
    with open(log, "a") as f:
        f.write(json.dumps([tune.get_context().get_trial_id(), config["x"], config["y"]]) + "\n")
    time.sleep(0.3)
    tune.report({"loss": (config["x"] - 3) ** 2 + config["y"]})

ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
path = os.path.join(storage, "interrupted")
if tune.Tuner.can_restore(path):
    tuner = tune.Tuner.restore(path, objective)
else:
    search = ConcurrencyLimiter(SwiftTPESearch(metric="loss", mode="min", random_state_seed=3, n_initial_points=5),
                                max_concurrent=2)
    tuner = tune.Tuner(objective, param_space={"x": tune.uniform(-10, 10), "y": tune.uniform(0, 1)},
                       tune_config=tune.TuneConfig(search_alg=search, num_samples=24, reuse_actors=True),
                       run_config=tune.RunConfig(storage_path=storage, name="interrupted", verbose=0))
grid = tuner.fit()
print("DONE", len(grid), flush=True)
'''


def test_an_interrupted_ray_run_restores_the_searcher(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    log = tmp_path / "configs.jsonl"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    first = subprocess.Popen([sys.executable, str(script), str(tmp_path), str(log)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline and (not log.exists() or len(log.read_text().splitlines()) < 10):
        time.sleep(0.2)
    first.send_signal(signal.SIGINT)  # Ray saves the experiment and stops
    first.communicate(timeout=240)
    before = [json.loads(x) for x in log.read_text().splitlines()]
    assert 10 <= len(before) < 24
    second = subprocess.run([sys.executable, str(script), str(tmp_path), str(log)], env=env,
                            capture_output=True, text=True, timeout=400)
    assert "DONE 24" in second.stdout, second.stderr[-3000:]
    after = [json.loads(x) for x in log.read_text().splitlines()][len(before):]
    earlier = {t: (x, y) for t, x, y in before}
    new = [(t, (x, y)) for t, x, y in after if t not in earlier]
    assert len(earlier) + len(new) == 24
    # Trials interrupted while running run again with their own configuration; the restored
    # searcher's new suggestions repeat none of the earlier ones (a fresh searcher with the same
    # seed would start again with the same ones).
    for t, x, y in after:
        if t in earlier:
            assert earlier[t] == (x, y)
    assert not {c for _, c in new} & set(earlier.values())


def where(config: dict[str, Any]) -> None:
    time.sleep(1.0)
    tune.report({"loss": config["x"], "node": ray.get_runtime_context().get_node_id()})


def test_trials_run_on_both_nodes_of_a_two_node_cluster(tmp_path):
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    try:
        ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
        cluster.wait_for_nodes()
        assert len([n for n in ray.nodes() if n["Alive"]]) == 2
        search = ConcurrencyLimiter(SwiftTPESearch(metric="loss", mode="min", random_state_seed=5), max_concurrent=2)
        grid = tune.Tuner(where, param_space={"x": tune.uniform(0, 1)},
                          tune_config=tune.TuneConfig(search_alg=search, num_samples=8),
                          run_config=tune.RunConfig(storage_path=str(tmp_path), name="cluster", verbose=0)).fit()
        assert len(grid) == 8 and not grid.errors
        nodes = {r.metrics["node"] for r in grid}
        assert len(nodes) == 2, nodes
    finally:
        ray.shutdown()
        cluster.shutdown()


def test_conversion_of_ray_domains_and_errors():
    from swifttune.tune.search.sample import Domain

    converted = convert_search_space({
        "a": tune.uniform(0, 1), "b": tune.quniform(0, 10, 0.5), "c": tune.loguniform(1e-4, 1),
        "d": tune.qloguniform(1, 100, 1), "e": tune.randn(0, 2), "f": tune.randint(0, 10), "g": tune.qrandint(0, 20, 5),
        "h": tune.lograndint(1, 100), "i": tune.qlograndint(1, 100, 5), "j": tune.choice(["x", "y"]),
        "nested": {"k": tune.uniform(-1, 1)}, "const": 7,
    })
    assert all(isinstance(converted[k], Domain) for k in "abcdefghij")
    assert isinstance(converted["nested"]["k"], Domain) and converted["const"] == 7
    with pytest.raises(ValueError, match="Grid search"):
        convert_search_space({"g": tune.grid_search([1, 2])})
    with pytest.raises(ValueError, match="sample_from"):
        convert_search_space({"s": tune.sample_from(lambda _: 1)})
    s = SwiftTPESearch({"x": tune.uniform(0, 1)}, metric="loss", mode="min", random_state_seed=0)
    assert s.set_search_properties("loss", "min", {"y": tune.uniform(0, 1)}) is False  # a space given twice
    with pytest.raises(ValueError, match="gamma"):
        SwiftTPESearch(gamma=2.0)


def test_standalone_searcher_save_restore_and_errors(tmp_path):
    s = SwiftTPESearch({"x": tune.uniform(-5, 5)}, metric="loss", mode="min", random_state_seed=2, n_initial_points=3)
    for i in range(6):
        c = s.suggest(f"t{i}")
        s.on_trial_complete(f"t{i}", {"loss": (c["x"] - 1) ** 2})
    s.on_trial_complete("never-suggested", {"loss": 1.0})  # ignored, as in Ray
    c = s.suggest("nan")
    s.on_trial_complete("nan", {"loss": math.nan})  # an unusable metric is a failed trial
    s.save(str(tmp_path / "state.json"))
    a = s.suggest("next")
    restored = SwiftTPESearch()
    restored.restore(str(tmp_path / "state.json"))
    assert restored.suggest("next") == a
    import cloudpickle

    clone = cloudpickle.loads(cloudpickle.dumps(s))
    assert clone.suggest("after") == s.suggest("after")
    with pytest.raises(RuntimeError, match="no search space"):
        SwiftTPESearch(metric="loss", mode="min").suggest("t")
