"""Ray Tune's own example scripts (shipped in the ray wheel under ``ray/tune/examples/``), copied
from the installed ray package at test time, run with only their import lines rewritten
(``ray`` to ``swifttune``, ``hyperopt`` to ``swifttune.hyperopt``) and ``--smoke-test``; and the
same scripts run under real Ray Tune: both must do the same thing (the trials, results and
checkpoints they leave, the lines they print), though their random draws differ.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ray_scripts import (Running, experiment_summary, finish_script, ray_bohb_python, ray_example, rewrite_imports,
                         run_script, start_script)

pytestmark = [pytest.mark.ray, pytest.mark.slow]

# Each example, and the printed line it ends with (its answer).
EXAMPLES = {
    "tune_basic_example": r"Best hyperparameters found were:  \{.*'activation': '(relu|tanh)'\}",
    "async_hyperband_example": r"Best hyperparameters found: \{'steps': 100, 'width': .*\}",
    "hyperopt_conditional_search_space_example": r"Best hyperparameters found were:  \{'activation': \{'activation'",
    "custom_func_checkpointing": r"Best checkpoint:  Checkpoint\(filesystem=local, path=.*checkpoint_000000\)",
    "custom_checkpointing_with_callback": r"Best checkpoint: Checkpoint\(filesystem=local, path=.*checkpoint_",
    "logging_example": r"Best hyperparameters:  \{'steps': 100, 'width': \d+, 'height': [\d.]+\}",
    "bayesopt_example": r"Best hyperparameters found were:  \{'steps': 100, 'width': .*, 'height': .*\}",
    "nevergrad_example": r"Best hyperparameters found were:  \{'steps': 100, 'width': .*'activation': '(relu|tanh)'\}",
    "hyperband_example": r"Best hyperparameters found were:  \{'width': \d+, 'height': \d+\}",
    "hyperband_function_example": r"Best hyperparameters found were:  \{'height': [\d.]+(e-\d+)?\}",
    "pbt_example": r"Best hyperparameters found were:  \{'lr': [\d.]+(e-\d+)?, 'some_other_factor': [12]\}",
    "pbt_function": r"Best hyperparameters found were:  \{'lr': [\d.]+(e-\d+)?, 'some_other_factor': [12], "
                    r"'checkpoint_interval': 5\}",
    "pb2_example": r"Best hyperparameters found were:  \{'lr': [\d.]+(e-\d+)?, 'some_other_factor': 1, "
                   r"'checkpoint_interval': 5\}",
    "bohb_example": r"Best hyperparameters found were:  \{'iterations': 100, 'width': [\d.]+(e-\d+)?, "
                    r"'height': -?[\d.]+(e-\d+)?, 'activation': '(relu|tanh)'\}",
    "optuna_example": r"Best hyperparameters found were:  \{'steps': 100, 'width': [\d.]+(e-\d+)?, "
                      r"'height': -?[\d.]+(e-\d+)?, 'activation': '(relu|tanh)'\}",
    "optuna_define_by_run_example": r"Best hyperparameters found were:  \{'activation': '(relu|tanh)', 'width': "
                                    r"[\d.]+(e-\d+)?, 'height': -?[\d.]+(e-\d+)?(, 'mult': [\d.]+)?, 'steps': 100\}",
    "optuna_multiobjective_example": r"Best hyperparameters for gain found were:  \{'steps': 100, 'width': "
                                     r"[\d.]+(e-\d+)?, 'height': -?[\d.]+(e-\d+)?, 'activation': '(relu|tanh)'\}",
}
# Schedulers stop trials on their random draws and, with trials running at once, on the order in which
# results arrive: there only the number of trials must agree.
# (PBT's and PB2's examples draw their accuracy from random and numpy: how long each trial runs, and its exploits,
# vary.)
RANDOM_LENGTHS = {"hyperopt_conditional_search_space_example", "bayesopt_example", "nevergrad_example", "pbt_example",
                  "pbt_function", "pb2_example", "bohb_example", "optuna_example", "optuna_define_by_run_example"}
# Ray's side of these runs in the venv where Ray's TuneBOHB works (ray_bohb_python).
RAY_BOHB_VENV = {"bohb_example"}
# Known difference: Ray's Tuner checkpoints a class trainable at its end when CheckpointConfig's
# checkpoint_at_end is unset (None means True for a class, TunerInternal._get_tune_run_arguments);
# swifttune's does not yet, so there only the results of every trial must agree.
RESULTS_ONLY = {"hyperband_example"}
# Real Ray's own intermittent failures in these scripts (seen in CI, 2026-12-06): its progress reporter reads
# `Trial.error_file` of a trial that BOHB has created but not yet given a folder, and raises. The reference
# run is repeated once when it fails with one of these messages; swifttune's run never is.
RAY_FLAKES = ("Should not access `trial_driver_staging_path` without setting `trial_dir_name`",)


def _start(name: str, tmp_path: Path, under_ray: bool, attempt: int = 0) -> tuple[Running, Path]:
    text = ray_example(name).read_text()
    script = tmp_path / ("ray" if under_ray else "swifttune") / f"{name}.py"
    script.parent.mkdir(exist_ok=True)
    script.write_text(text if under_ray else rewrite_imports(text))
    home = tmp_path / ("ray_home" if under_ray else "home") / str(attempt)
    python = ray_bohb_python() if under_ray and name in RAY_BOHB_VENV else None
    return start_script(script, home, "--smoke-test", python=python), home


def _finish(running: Running, home: Path, under_ray: bool) -> tuple[str, list[tuple[int, int]]]:
    proc = finish_script(running)
    return proc.stdout, experiment_summary(home / ("ray_results" if under_ray else "swifttune_results"))


def _run_both(name: str, tmp_path: Path) -> tuple[tuple[str, list[tuple[int, int]]], tuple[str, list[tuple[int, int]]]]:
    """The example under swifttune and under real Ray, run at the same time (separate processes and
    folders; most of either run is the script's own sleeps): (ours, Ray's)."""
    theirs, ray_home = _start(name, tmp_path, under_ray=True)
    try:
        mine, home = _start(name, tmp_path, under_ray=False)
        try:
            ours = _finish(mine, home, under_ray=False)
        finally:
            mine.kill()
        try:
            ray_side = _finish(theirs, ray_home, under_ray=True)
        except AssertionError as failure:
            if not any(marker in str(failure) for marker in RAY_FLAKES):
                raise
            # Real Ray failed on one of its own known races, not on anything the test controls: run it once more.
            theirs, ray_home = _start(name, tmp_path, under_ray=True, attempt=1)
            ray_side = _finish(theirs, ray_home, under_ray=True)
    finally:
        theirs.kill()
    return ours, ray_side


def test_rewrite_touches_only_import_lines() -> None:
    text = "import ray\nfrom ray import tune\nfrom ray.tune.search import X\nfrom hyperopt import hp\nx = 'import ray'\n"
    assert rewrite_imports(text) == ("import swifttune as ray\nfrom swifttune import tune\n"
                                     "from swifttune.tune.search import X\nfrom swifttune.hyperopt import hp\n"
                                     "x = 'import ray'\n")
    with pytest.raises(ValueError, match="no rewrite rule"):
        rewrite_imports("import ray.tune as t\n")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_ray_example_runs_and_matches_ray(name: str, tmp_path: Path) -> None:
    (ours, our_trials), (theirs, ray_trials) = _run_both(name, tmp_path)
    assert re.search(EXAMPLES[name], ours), ours[-3000:]
    assert re.search(EXAMPLES[name], theirs), theirs[-3000:]
    assert our_trials, "the script left no trials"
    if name in RANDOM_LENGTHS:
        assert len(our_trials) == len(ray_trials)
    elif name in RESULTS_ONLY:
        assert [results for results, _ in our_trials] == [results for results, _ in ray_trials]
    else:
        assert our_trials == ray_trials  # (results, checkpoints) of every trial
    if name == "custom_checkpointing_with_callback":
        # The class trainable's save_checkpoint and the callback's forced checkpoints, as in Ray.
        assert ours.count("Checkpoint saved at step") == theirs.count("Checkpoint saved at step")
        assert ours.count("Callback requesting checkpoint") == theirs.count("Callback requesting checkpoint")
    if name == "logging_example":
        # The LoggerCallback subclass hears every result, under the trial_name_creator's names.
        assert re.findall(r"TestLogger for trial easy_objective_\w+_123: \{'iterations': 0", ours) and \
            ours.count("TestLogger for trial") == theirs.count("TestLogger for trial") == 5


# Ray Tune's quickstart (docs.ray.io, "Tune: Getting Started"): no metric or mode until ranking.
QUICKSTART = '''
import json
from ray import tune

def objective(config):
    score = config["a"] ** 2 + config["b"]
    return {"score": score}

search_space = {
    "a": tune.grid_search([0.001, 0.01, 0.1, 1.0]),
    "b": tune.choice([1, 2, 3]),
}

tuner = tune.Tuner(objective, param_space=search_space)

results = tuner.fit()
print(results.get_best_result(metric="score", mode="min").config)
print("ANSWER" + json.dumps({"best": results.get_best_result(metric="score", mode="min").config,
                             "all": sorted([r.config["a"], r.config["b"], r.metrics["score"]] for r in results)}))
'''


@pytest.mark.parametrize("under_ray", [False, True], ids=["swifttune", "ray"])
def test_ray_quickstart(tmp_path: Path, under_ray: bool) -> None:
    import json

    script = tmp_path / "quickstart.py"
    script.write_text(QUICKSTART if under_ray else rewrite_imports(QUICKSTART))
    proc = run_script(script, tmp_path / "home")
    answer = json.loads([line for line in proc.stdout.splitlines() if line.startswith("ANSWER")][-1][len("ANSWER"):])
    trials = answer["all"]
    assert [a for a, _, _ in trials] == [0.001, 0.01, 0.1, 1.0]  # the grid, one trial each
    assert all(b in (1, 2, 3) and score == pytest.approx(a * a + b) for a, b, score in trials)
    best = min(trials, key=lambda t: t[2])
    assert answer["best"] == {"a": best[0], "b": best[1]}  # Ray's answer: the lowest score
