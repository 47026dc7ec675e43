"""PopulationBasedTraining and PopulationBasedTrainingReplay through the Python API: Ray's argument
checks, the parts that run the user's code (a mutation given as a function, ``custom_explore_fn``,
keys sampled when the param_space lacks them), the policy logs and their replay, and the
checkpoint an exploited trial resumes from."""
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
from swifttune.tune.schedulers import PopulationBasedTraining, PopulationBasedTrainingReplay
from swifttune.tune.search import ConcurrencyLimiter
from swifttune.tune.search.hyperopt import HyperOptSearch


def growing(config):
    """The score grows by lr each step, from its checkpoint's when resumed; a checkpoint with every result."""
    score, step = 0.0, 0
    checkpoint = tune.get_checkpoint()
    if checkpoint:
        with checkpoint.as_directory() as d:
            with open(os.path.join(d, "c.json")) as f:
                score, step = json.load(f)
    while True:
        step += 1
        score += config["lr"]
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "c.json"), "w") as f:
                json.dump([score, step], f)
            tune.report({"score": score, "step": step, "lr": config["lr"]},
                        checkpoint=tune.Checkpoint.from_directory(d))


def fit(tmp_path, scheduler, param_space, name="pbt", iterations=6, **tune_config):
    swifttune.init(num_cpus=1)
    tuner = tune.Tuner(growing, param_space=param_space,
                       tune_config=tune.TuneConfig(metric="score", mode="max", scheduler=scheduler, **tune_config),
                       run_config=tune.RunConfig(name=name, storage_path=str(tmp_path), verbose=0,
                                                 stop={"training_iteration": iterations}))
    return tuner.fit()


def test_rays_argument_checks():
    with pytest.raises(TuneError, match="You must specify at least one of `hyperparam_mutations`"):
        PopulationBasedTraining()
    with pytest.raises(TypeError, match="`hyperparam_mutation` values must be either"):
        PopulationBasedTraining(hyperparam_mutations={"lr": 3})
    with pytest.raises(ValueError, match="arbitrary tune.sample_from objects are not supported"):
        PopulationBasedTraining(hyperparam_mutations={"lr": tune.sample_from(lambda spec: 1)})
    with pytest.raises(ValueError, match="You must set `quantile_fraction` to a value between 0 and0.5"):
        PopulationBasedTraining(hyperparam_mutations={"lr": [1]}, quantile_fraction=0.7)
    with pytest.raises(ValueError, match="perturbation_interval must be a positive number"):
        PopulationBasedTraining(hyperparam_mutations={"lr": [1]}, perturbation_interval=0)
    with pytest.raises(AssertionError, match="`mode` must be 'min' or 'max'."):
        PopulationBasedTraining(hyperparam_mutations={"lr": [1]}, mode="best")


def test_a_search_algorithm_is_refused_as_ray_refuses_it(tmp_path):
    search = ConcurrencyLimiter(HyperOptSearch(), max_concurrent=2)
    pbt = PopulationBasedTraining(hyperparam_mutations={"lr": [1.0, 2.0]})
    tuner = tune.Tuner(growing, param_space={"lr": tune.uniform(0, 1)},
                       tune_config=tune.TuneConfig(metric="score", mode="max", scheduler=pbt, search_alg=search),
                       run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0))
    with pytest.raises(ValueError, match="Search algorithms cannot be used with PopulationBasedTraining schedulers"):
        tuner.fit()


def test_a_list_of_objects_is_refused_by_name():
    pbt = PopulationBasedTraining(hyperparam_mutations={"act": [object(), object()]})
    with pytest.raises(NotImplementedError, match=r"hyperparam_mutations\['act'\]: a list of values JSON cannot carry"):
        pbt._spec()


def test_missing_keys_are_sampled_and_functions_and_custom_explore_run(tmp_path):
    """Ray's _fill_config: keys of hyperparam_mutations the param_space lacks are sampled (the
    function's value, one of the list); every explore resamples through the function (probability
    1) and then goes through custom_explore_fn."""
    calls = []

    def draw():
        calls.append(1)
        return 2.0 - 0.25 * len(calls)  # trial 0 the best, trial 3 the worst

    def clamp(config):
        config["lr"] = min(config["lr"], 1.5)
        config["explored"] = True
        return config

    pbt = PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=2,
                                  hyperparam_mutations={"lr": draw, "opt": {"units": [16, 32]}},
                                  resample_probability=1.0, custom_explore_fn=clamp)
    grid = fit(tmp_path, pbt, {"other": 1}, num_samples=4)
    # (each trial's first row shows its configuration then; params.json is rewritten at each start, as in Ray)
    initial = [json.loads(Path(r.path, "result.json").read_text().splitlines()[0])["config"] for r in grid]
    assert all(1.0 <= c["lr"] <= 1.75 and c["opt"]["units"] in (16, 32) and c["other"] == 1 for c in initial)
    assert len({c["lr"] for c in initial}) == 4  # each trial's own draw
    log = [json.loads(x) for x in Path(tmp_path, "pbt", "pbt_global.txt").read_text().splitlines()]
    assert log, "no exploit happened"
    for row in log:
        assert row[5]["explored"] is True and row[5]["lr"] <= 1.5 and row[5]["other"] == 1
    assert len(calls) == 4 + len(log)  # one draw per trial added, one per explore
    explored = [r for r in grid if r.config.get("explored")]
    assert explored and all(r.config["lr"] <= 1.5 for r in explored)


def test_an_exploited_trial_resumes_from_the_clones_checkpoint(tmp_path):
    """The worst trial clones the best one's checkpoint: its results go on from the clone's score
    and iteration, with the doubled lr; its latest checkpoint is in the clone's folder until it
    saves one of its own."""
    pbt = PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=2,
                                  hyperparam_mutations={"lr": tune.uniform(0.5, 5.0)},
                                  resample_probability=0.0, perturbation_factors=(2.0, 2.0))
    grid = fit(tmp_path, pbt, {"lr": tune.grid_search([1.0, 2.0, 3.0, 4.0])})
    first = next(r for r in grid if r.trial_id.endswith("00000"))
    history = [(h["training_iteration"], h["lr"], h["score"]) for h in first.history]
    # Trial 0 (lr 1) ran to 4, then took trial 3's checkpoint at iteration 2 (score 8) and lr 8.
    assert history[:5] == [(1, 1.0, 1.0), (2, 1.0, 2.0), (3, 1.0, 3.0), (4, 1.0, 4.0), (3, 8.0, 16.0)]
    assert first.config["lr"] == 8.0
    rows = Path(tmp_path, "pbt", "pbt_policy_" + first.trial_id + ".txt").read_text().splitlines()
    assert json.loads(rows[0])[2:] == [3, 2, {"lr": 4.0}, {"lr": 8.0}]


def test_replay_follows_the_policy(tmp_path):
    pbt = PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=2,
                                  hyperparam_mutations={"lr": tune.uniform(0.5, 5.0)},
                                  resample_probability=0.0, perturbation_factors=(2.0, 2.0))
    fit(tmp_path, pbt, {"lr": tune.grid_search([1.0, 2.0, 3.0, 4.0])})
    policy = max(Path(tmp_path, "pbt").glob("pbt_policy_*.txt"), key=lambda p: len(p.read_text().splitlines()))
    rows = [json.loads(x) for x in policy.read_text().splitlines()]
    replay = PopulationBasedTrainingReplay(policy_file=str(policy))
    assert replay.config == rows[0][4]
    swifttune.init(num_cpus=1)
    grid = tune.Tuner(growing, tune_config=tune.TuneConfig(scheduler=replay),
                      run_config=tune.RunConfig(name="replay", storage_path=str(tmp_path), verbose=0,
                                                stop={"training_iteration": 8})).fit()
    (result,) = list(grid)
    lrs = [(h["training_iteration"], h["lr"]) for h in result.history]
    assert lrs[0] == (1, rows[0][4]["lr"])
    for _, _, _, step, _, new in rows:
        # From the change point on, the trial runs with the policy's next configuration.
        assert (step + 1, new["lr"]) in lrs
    with pytest.raises(ValueError, match="Policy file not found"):
        PopulationBasedTrainingReplay(str(tmp_path / "missing.txt"))


def test_random_seed_makes_a_run_repeatable(tmp_path):
    """The engine's draws are seeded from Python's random: random.seed repeats a run."""
    def run(name):
        random.seed(5)
        pbt = PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=2,
                                      hyperparam_mutations={"lr": tune.uniform(0.5, 5.0), "u": [1, 2, 3]})
        grid = fit(tmp_path, pbt, {"lr": tune.grid_search([1.0, 2.0, 3.0, 4.0]), "u": 2}, name=name)
        assert Path(tmp_path, name, "pbt_global.txt").is_file(), "no exploit: the draws were never used"
        return sorted((r.trial_id[-5:], r.config["lr"], r.config["u"]) for r in grid)

    assert run("a") == run("b")


def sparse_metric(config):
    """Reports the score only at even steps (the odd results lack the metric)."""
    for step in range(1, 9):
        tune.report({"score": step * config["lr"]} if step % 2 == 0 else {"other": step})


def test_burn_in_log_config_require_attrs_and_a_metric_and_mode_of_its_own(tmp_path):
    """No perturbation before burn_in_period; log_config=False writes no policy logs (the exploits
    still happen); require_attrs=True fails on a result without the metric (Ray's RuntimeError
    message), require_attrs=False skips such results; the scheduler's own metric and mode."""
    pbt = PopulationBasedTraining(time_attr="training_iteration", metric="score", mode="max", perturbation_interval=2,
                                  burn_in_period=4, hyperparam_mutations={"lr": tune.uniform(0.5, 5.0)},
                                  resample_probability=0.0, perturbation_factors=(2.0, 2.0), log_config=False)
    swifttune.init(num_cpus=1)
    grid = tune.Tuner(growing, param_space={"lr": tune.grid_search([1.0, 2.0, 3.0, 4.0])},
                      tune_config=tune.TuneConfig(scheduler=pbt),
                      run_config=tune.RunConfig(name="burn", storage_path=str(tmp_path), verbose=0,
                                                stop={"training_iteration": 8})).fit()
    assert not list(Path(tmp_path, "burn").glob("pbt_*.txt"))
    changed = [r for r in grid if any(h["lr"] != r.history[0]["lr"] for h in r.history)]
    assert changed, "no exploit happened"
    for r in changed:
        first = next(h for h in r.history if h["lr"] != r.history[0]["lr"])
        assert first["training_iteration"] > 4  # nothing before the burn-in's end

    strict = PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=2,
                                     hyperparam_mutations={"lr": [1.0, 2.0]})
    with pytest.raises(Exception, match="Cannot find metric score in trial result"):
        tune.Tuner(sparse_metric, param_space={"lr": 1.0},
                   tune_config=tune.TuneConfig(metric="score", mode="max", scheduler=strict, num_samples=2),
                   run_config=tune.RunConfig(name="strict", storage_path=str(tmp_path), verbose=0)).fit()
    lenient = PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=2,
                                      hyperparam_mutations={"lr": [1.0, 2.0]}, require_attrs=False)
    grid = tune.Tuner(sparse_metric, param_space={"lr": 1.0},
                      tune_config=tune.TuneConfig(metric="score", mode="max", scheduler=lenient, num_samples=2),
                      run_config=tune.RunConfig(name="lenient", storage_path=str(tmp_path), verbose=0)).fit()
    assert all(r.metrics["training_iteration"] == 8 for r in grid)


@pytest.mark.parametrize("path", ["swifttune.tune.schedulers:ResourceChangingScheduler",
                                  "swifttune.tune.schedulers.resource_changing_scheduler:DistributeResources",
                                  "swifttune.tune.schedulers.resource_changing_scheduler:DistributeResourcesToTopJob"])
def test_schedulers_not_in_swifttune_yet_refuse_by_name(path):
    """Ray's ResourceChangingScheduler (and its allocation functions) import from Ray's paths and refuse by name,
    saying what to use instead (a script fails at once, not at an ImportError or later)."""
    import importlib

    module, _, name = path.partition(":")
    cls = getattr(importlib.import_module(module), name)
    with pytest.raises(NotImplementedError, match=f"^{name} is not supported by swifttune yet; .*use "):
        cls(hyperparam_bounds={"lr": [0.1, 1.0]})
    with pytest.raises(NotImplementedError, match="is not supported by swifttune"):
        tune.create_scheduler("resource_changing")
