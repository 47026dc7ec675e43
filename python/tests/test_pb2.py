"""PB2 (Population Based Bandits) through the Python API: Ray's argument checks, keys drawn from
their bounds when the param_space lacks them, the bandit's choices (within the bounds, of the
clone's types, logged as Ray logs them), custom_explore_fn, require_attrs, synch, the scheduler's
own metric and mode. (A driver killed during PB2: test_driver_kill_pbt.py.)"""
from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path

import pytest

import swifttune
from swifttune import tune
from swifttune.tune.error import TuneError
from swifttune.tune.schedulers import PB2
from swifttune.tune.schedulers.pb2 import PB2 as PB2FromModule


def peaked(config):
    """The score grows fastest at lr = 0.3 (by 1 - 4 (lr - 0.3)^2 a step), from its checkpoint's
    when resumed; a checkpoint with every result; ``units`` is carried along."""
    score, step = 0.0, 0
    checkpoint = tune.get_checkpoint()
    if checkpoint:
        with checkpoint.as_directory() as d:
            with open(os.path.join(d, "c.json")) as f:
                score, step = json.load(f)
    while True:
        step += 1
        score += 1 - 4 * (config["lr"] - 0.3) ** 2
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "c.json"), "w") as f:
                json.dump([score, step], f)
            tune.report({"score": score, "lr": config["lr"], "units": config["opt"]["units"]},
                        checkpoint=tune.Checkpoint.from_directory(d))


def fit(tmp_path, scheduler, param_space, name="pb2", iterations=12, **tune_config):
    random.seed(11)  # (the engine's draws are seeded from Python's random: the same run every time)
    swifttune.init(num_cpus=1)
    tune_config.setdefault("metric", "score")
    tune_config.setdefault("mode", "max")
    tuner = tune.Tuner(peaked, param_space=param_space,
                       tune_config=tune.TuneConfig(scheduler=scheduler, **tune_config),
                       run_config=tune.RunConfig(name=name, storage_path=str(tmp_path), verbose=0,
                                                 stop={"training_iteration": iterations}))
    return tuner.fit()


def policy_log(tmp_path, name="pb2"):
    return [json.loads(x) for x in Path(tmp_path, name, "pbt_global.txt").read_text().splitlines()]


def test_rays_argument_checks():
    assert PB2FromModule is PB2
    with pytest.raises(TuneError, match="`hyperparam_bounds` must be specified to use PB2 scheduler."):
        PB2()
    with pytest.raises(ValueError, match="`hyperparam_bounds` values must either be a list or tuple of size 2, but got "
                                         r"\[1\] instead for the param 'lr'"):
        PB2(hyperparam_bounds={"lr": [1]})
    with pytest.raises(ValueError, match=r"where low <= high, but got \[2, 1\] instead for param 'opt/lr'"):
        PB2(hyperparam_bounds={"opt": {"lr": [2, 1]}})
    with pytest.raises(ValueError, match="Found delimiter `/` in key"):
        PB2(hyperparam_bounds={"a/b": [0, 1]})
    with pytest.raises(ValueError, match="You must set `quantile_fraction` to a value between 0 and0.5"):
        PB2(hyperparam_bounds={"lr": [0, 1]}, quantile_fraction=0.7)
    with pytest.raises(ValueError, match="perturbation_interval must be a positive number"):
        PB2(hyperparam_bounds={"lr": [0, 1]}, perturbation_interval=0)
    with pytest.raises(TuneError, match="`hyperparam_bounds` must be specified to use PB2 scheduler."):
        tune.create_scheduler("pb2")
    made = tune.create_scheduler("pb2", hyperparam_bounds={"lr": [0, 1]}, perturbation_interval=5)
    assert isinstance(made, PB2) and made._perturbation_interval == 5


def test_the_bandit_explores_within_the_bounds_and_logs_as_ray(tmp_path):
    """Keys the param_space lacks are drawn from their bounds (floats); every explore chooses an lr
    within the bounds (float32-rounded, as Ray's) and keeps the clone's int ``units`` an int within
    its bounds; the policy logs hold each exploit; the trial's config follows."""
    pb2 = PB2(time_attr="training_iteration", perturbation_interval=2,
              hyperparam_bounds={"lr": [0.0, 1.0], "opt": {"units": [8, 64]}})
    grid = fit(tmp_path, pb2, {"opt": {"units": tune.grid_search([8, 16, 32, 64])}})
    initial = [json.loads(Path(r.path, "result.json").read_text().splitlines()[0])["config"] for r in grid]
    assert all(isinstance(c["lr"], float) and 0.0 <= c["lr"] <= 1.0 for c in initial)
    assert len({c["lr"] for c in initial}) == 4  # each trial's own draw
    log = policy_log(tmp_path)
    assert log, "no exploit happened"
    chosen = 0
    for trial_tag, clone_tag, trial_iter, clone_iter, old, new in log:
        assert 0.0 <= new["lr"] <= 1.0 and isinstance(new["opt"]["units"], int) and 8 <= new["opt"]["units"] <= 64
        assert trial_iter >= 2 and clone_iter >= 2
        chosen += new != old
    assert chosen, "the bandit never chose new values"
    # A trial's config is the one its last exploit gave it, and its results report that lr.
    for r in grid:
        policy = Path(tmp_path, "pb2", f"pbt_policy_{r.trial_id}.txt")
        if policy.exists():
            last = json.loads(policy.read_text().splitlines()[-1])
            assert r.config["lr"] == last[5]["lr"] and r.history[-1]["lr"] == last[5]["lr"]
    # PB2's best trial ends better than a fixed lr of 0.9 would (1 - 4 * 0.36 < 0 a step).
    assert grid.get_best_result().metrics["score"] > 0


def test_custom_explore_fn_require_attrs_and_a_metric_and_mode_of_its_own(tmp_path):
    """custom_explore_fn sees the bandit's configuration and its answer is the trial's; the
    scheduler's own metric and mode; log_config=False writes no logs; require_attrs=False skips a
    result without the metric, and True fails on it with Ray's message."""
    seen = []

    def mark(config):
        seen.append(dict(config))
        config["explored"] = True
        return config

    pb2 = PB2(time_attr="training_iteration", metric="score", mode="max", perturbation_interval=2,
              hyperparam_bounds={"lr": [0.0, 1.0]}, custom_explore_fn=mark, log_config=False)
    grid = fit(tmp_path, pb2, {"lr": tune.grid_search([0.05, 0.25, 0.6, 0.9]), "opt": {"units": 8}},
               metric=None, mode=None)
    assert seen and all(0.0 <= c["lr"] <= 1.0 for c in seen)
    assert any(r.config.get("explored") for r in grid)
    assert not list(Path(tmp_path, "pb2").glob("pbt_*.txt"))

    def sparse(config):
        for step in range(1, 9):
            tune.report({"score": step * config["lr"]} if step % 2 == 0 else {"other": step})

    swifttune.init(num_cpus=1)
    strict = PB2(time_attr="training_iteration", perturbation_interval=2, hyperparam_bounds={"lr": [0.0, 1.0]})
    with pytest.raises(Exception, match="Cannot find metric score in trial result"):
        tune.Tuner(sparse, tune_config=tune.TuneConfig(metric="score", mode="max", scheduler=strict, num_samples=2),
                   run_config=tune.RunConfig(name="strict", storage_path=str(tmp_path), verbose=0)).fit()
    lenient = PB2(time_attr="training_iteration", perturbation_interval=2, hyperparam_bounds={"lr": [0.0, 1.0]},
                  require_attrs=False)
    grid = tune.Tuner(sparse, tune_config=tune.TuneConfig(metric="score", mode="max", scheduler=lenient, num_samples=2),
                      run_config=tune.RunConfig(name="lenient", storage_path=str(tmp_path), verbose=0)).fit()
    assert all(r.metrics["training_iteration"] == 8 for r in grid)


def test_synch_perturbs_every_trial_at_the_same_time(tmp_path):
    """With synch=True a trial at its perturbation time waits for the others (so trials take
    turns at each synchronisation); the run ends with every trial at its last iteration and the
    exploits logged. (The order of results against Ray's: test_ray_parity_pb2.py.)"""
    pb2 = PB2(time_attr="training_iteration", perturbation_interval=3, hyperparam_bounds={"lr": [0.0, 1.0]},
              synch=True)
    grid = fit(tmp_path, pb2, {"lr": tune.grid_search([0.05, 0.25, 0.6, 0.9]), "opt": {"units": 8}})
    assert policy_log(tmp_path)
    assert all(r.metrics["training_iteration"] == 12 for r in grid)
