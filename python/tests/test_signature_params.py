"""Parameters of Ray Tune's API that swifttune honours and no other test exercised: each test
passes the parameter by name and checks what it does (named by ``test_signature_coverage``)."""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

import swifttune
from swifttune import tune
from swifttune.tune._internal.progress import ReportedTrial
from swifttune.tune.error import TuneError
from swifttune.tune.schedulers import AsyncHyperBandScheduler, FIFOScheduler, MedianStoppingRule
from swifttune.tune.search import BasicVariantGenerator, ConcurrencyLimiter
from swifttune.tune.search.hyperopt import HyperOptSearch
from swifttune.tune.stopper import (CombinedStopper, ExperimentPlateauStopper, FunctionStopper,
                                    MaximumIterationStopper, TrialPlateauStopper)

from helpers import tc

SPACE = {"x": tune.uniform(0, 1)}


def _objective(config: dict[str, Any]) -> None:
    for step in range(3):
        tune.report({"loss": config["x"] * 10 - step})


def _plateau(config: dict[str, Any]) -> None:
    for v in [5.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
        tune.report({"loss": v})


def _countdown(config: dict[str, Any]) -> None:
    for i in range(20):
        tune.report({"loss": 10 - i})


def _lengths(results: Any) -> list[int]:
    return [len(r.history) for r in results]


class _Steps(tune.Trainable):
    """Counts its steps; with `reset_config` (reuse_actors) it says it was reused; fails while the
    file `broken` names exists."""

    def setup(self, config: dict[str, Any]) -> None:
        self.n = 0
        self.reused = False

    def step(self) -> dict[str, Any]:
        self.n += 1
        broken = self.config.get("broken")
        if broken and os.path.exists(broken) and self.config.get("x") == 2:
            raise RuntimeError("broken")
        return {"loss": float(self.n), "reused": self.reused, "done": self.n >= self.config.get("steps", 5)}

    def save_checkpoint(self, checkpoint_dir: str) -> dict[str, Any]:
        return {"n": self.n}

    def load_checkpoint(self, checkpoint: Any) -> None:
        self.n = checkpoint["n"]

    def reset_config(self, new_config: dict[str, Any]) -> bool:
        self.n = 0
        self.reused = True
        return True


# -- tune.report, tune.with_resources ------------------------------------------------------------


def test_report_metrics_and_checkpoint_by_name(run_config):
    def trainable(config):
        with tempfile.TemporaryDirectory() as d:
            Path(d, "state.json").write_text(json.dumps({"x": config["x"]}))
            tune.report(metrics={"loss": config["x"]}, checkpoint=tune.Checkpoint.from_directory(d))

    [result] = tune.Tuner(trainable, param_space={"x": 0.5}, tune_config=tc(),
                          run_config=run_config()).fit()
    assert result.metrics["loss"] == 0.5
    assert json.loads(Path(result.checkpoint.path, "state.json").read_text()) == {"x": 0.5}


def test_with_resources_by_name(run_config):
    swifttune.init(num_cpus=2)

    def trainable(config):
        return {"loss": 0, "cpu": tune.get_context().get_trial_resources().required_resources["CPU"]}

    results = tune.Tuner(tune.with_resources(trainable=trainable, resources={"cpu": 2}), param_space=SPACE,
                         tune_config=tc(num_samples=2), run_config=run_config()).fit()
    assert [r.metrics["cpu"] for r in results] == [2.0, 2.0]


# -- tune.Experiment, tune.ExperimentAnalysis ----------------------------------------------------


def test_experiment_arguments(tmp_path):
    swifttune.init(num_cpus=2)
    marker = tmp_path / "failed_once"

    def trainable(config):
        print(f"hello {config['x']}")
        if config["x"] == 2 and not marker.exists():
            marker.write_text("1")
            raise RuntimeError("fails once")
        for _ in range(5):
            tune.report({"loss": float(config["x"]), "cpu": tune.get_context().get_trial_resources().required_resources["CPU"]})

    exp = tune.Experiment(name="exp", run=trainable, config={"x": tune.grid_search([1, 2])},
                          stop={"training_iteration": 2}, time_budget_s=60, resources_per_trial={"cpu": 2},
                          num_samples=2, storage_path=str(tmp_path / "results"), sync_config=tune.SyncConfig(),
                          checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
                          trial_name_creator=lambda t: f"name_{t.trial_id}",
                          trial_dirname_creator=lambda t: f"dir_{t.trial_id}", log_to_file=True, max_failures=1)
    a = tune.run(exp, metric="loss", mode="min", verbose=0)
    assert a.experiment_path == str(tmp_path / "results" / "exp")
    assert len(a.trials) == 4  # num_samples times the grid
    for t in a.trials:
        assert t.status == "TERMINATED" and t.last_result["training_iteration"] == 2  # stop
        assert t.last_result["cpu"] == 2.0  # resources_per_trial
        assert t.trial_name == f"name_{t.trial_id}" and Path(t.path).name == f"dir_{t.trial_id}"
        assert f"hello {t.config['x']}" in Path(t.path, "stdout").read_text()  # log_to_file
    assert sorted(t.num_failures for t in a.trials) == [0, 0, 0, 1]  # max_failures: retried once

    def slow(config):
        for i in range(1000):
            time.sleep(0.01)
            tune.report({"loss": i})

    start = time.time()
    budget = tune.run(tune.Experiment("budget", slow, config=SPACE, num_samples=20, time_budget_s=0.5,
                                      storage_path=str(tmp_path / "results")), verbose=0)
    assert time.time() - start < 10 and len(budget.trials) < 20  # time_budget_s
    with pytest.raises(DeprecationWarning, match="local_dir"):
        tune.Experiment("x", trainable, local_dir=str(tmp_path))


def test_experiment_analysis_arguments(tmp_path):
    tune.run(_objective, config={"x": tune.grid_search([1, 2])}, storage_path=str(tmp_path), name="ea", verbose=0)
    path = str(tmp_path / "ea")
    a = tune.ExperimentAnalysis(experiment_checkpoint_path=path, default_metric="loss", default_mode="max")
    assert len(a.trials) == 2 and a.best_config == {"x": 2}
    one = tune.ExperimentAnalysis(experiment_checkpoint_path=path, trials=[a.trials[0]], default_metric="loss",
                                  default_mode="max")
    assert [t.trial_id for t in one.trials] == [a.trials[0].trial_id] and one.best_config == {"x": 1}


# -- tune.run, tune.run_experiments --------------------------------------------------------------


class _Recorder(tune.Callback):
    def __init__(self) -> None:
        self.completed: list[str] = []

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.completed.append(trial.trial_id)


def test_run_arguments(tmp_path):
    def checkpointing(config):
        for step in range(4):
            with tempfile.TemporaryDirectory() as d:
                Path(d, "step.json").write_text(json.dumps(step))
                print(f"step {step}")
                tune.report({"loss": float(step)}, checkpoint=tune.Checkpoint.from_directory(d))

    recorder = _Recorder()
    a = tune.run(run_or_experiment=checkpointing, config={"x": tune.grid_search([1, 2])}, metric="loss", mode="min",
                 stop={"training_iteration": 3}, storage_path=str(tmp_path), name="kw", verbose=0,
                 sync_config=tune.SyncConfig(), log_to_file=("out.txt", "err.txt"), callbacks=[recorder],
                 checkpoint_config=tune.CheckpointConfig(num_to_keep=1))
    assert sorted(recorder.completed) == sorted(t.trial_id for t in a.trials)  # callbacks
    for t in a.trials:
        assert t.last_result["training_iteration"] == 3  # stop
        assert "step 2" in Path(t.path, "out.txt").read_text()  # log_to_file
        kept = sorted(p.name for p in Path(t.path).iterdir() if p.name.startswith("checkpoint_"))
        assert kept == ["checkpoint_000002"]  # checkpoint_config: the latest only

    # checkpoint_freq and checkpoint_at_end, for a class trainable
    c = tune.run(_Steps, config={"steps": 5}, storage_path=str(tmp_path), name="freq", verbose=0,
                 checkpoint_freq=2, checkpoint_at_end=True)
    kept = sorted(p.name for p in Path(c.trials[0].path).iterdir() if p.name.startswith("checkpoint_"))
    assert len(kept) == 3  # after iterations 2 and 4, and at the end (5)

    # fail_fast="raise": tune.run raises the trial's error
    with pytest.raises(RuntimeError, match="broken"):
        marker = tmp_path / "broken"
        marker.write_text("")
        tune.run(_Steps, config={"x": tune.grid_search([1, 2, 3]), "broken": str(marker)}, storage_path=str(tmp_path),
                 name="ff", verbose=0, fail_fast="raise", max_concurrent_trials=1)

    # resume_config: the errored trial of an experiment runs again from the start
    tune.run(_Steps, config={"x": tune.grid_search([1, 2]), "broken": str(marker)}, storage_path=str(tmp_path),
             name="rc", verbose=0, raise_on_failed_trial=False)
    marker.unlink()
    again = tune.run(_Steps, config={"x": tune.grid_search([1, 2]), "broken": str(marker)}, storage_path=str(tmp_path),
                     name="rc", verbose=0,
                     resume_config=tune.ResumeConfig(errored=tune.ResumeConfig.ResumeType.RESTART))
    assert sorted(t.status for t in again.trials) == ["TERMINATED", "TERMINATED"]


class _Reporter(tune.ProgressReporter):
    def __init__(self) -> None:
        self.reports = 0

    def should_report(self, trials, done=False):
        return done

    def report(self, trials, done, *sys_info):
        self.reports += 1


def test_run_experiments_arguments(tmp_path):
    swifttune.init(num_cpus=1)  # one trial at a time, so that the second reuses the first's actor
    marker = tmp_path / "broken"
    marker.write_text("")

    def experiment():
        return tune.Experiment("rx", _Steps, config={"x": tune.grid_search([1, 2]), "broken": str(marker)},
                               storage_path=str(tmp_path))

    recorder, reporter = _Recorder(), _Reporter()
    trials = tune.run_experiments(experiments=experiment(), scheduler=FIFOScheduler(), progress_reporter=reporter,
                                  reuse_actors=True, raise_on_failed_trial=False, callbacks=[recorder], concurrent=False)
    assert sorted(t.status for t in trials) == ["ERROR", "TERMINATED"]
    assert reporter.reports == 1  # progress_reporter
    assert len(recorder.completed) == 1  # callbacks: the trial that completed
    # resume: the experiment goes on; its errored trial stays errored, which raise_on_failed_trial raises
    with pytest.raises(TuneError, match="Trials did not complete"):
        tune.run_experiments(experiment(), resume="AUTO", raise_on_failed_trial=True, verbose=0)
    marker.unlink()
    done = tune.run_experiments(experiment(), verbose=0, reuse_actors=True,
                                resume_config=tune.ResumeConfig(errored=tune.ResumeConfig.ResumeType.RESTART))
    assert sorted(t.status for t in done) == ["TERMINATED", "TERMINATED"]
    fresh = tune.run_experiments(tune.Experiment("reuse", _Steps, config={"x": tune.grid_search([1, 3])},
                                                 storage_path=str(tmp_path)), verbose=0, reuse_actors=True)
    assert sorted(t.last_result["reused"] for t in fresh) == [False, True]  # reuse_actors


def test_tuner_restore_by_name(run_config):
    tuner = tune.Tuner(_objective, param_space={"x": tune.grid_search([1, 2])}, tune_config=tc("thread"),
                       run_config=run_config(name="restore"))
    first = tuner.fit()
    assert tune.Tuner.can_restore(path=first.experiment_path)
    restored = tune.Tuner.restore(path=first.experiment_path, trainable=_objective).get_results()
    assert sorted(r.metrics["loss"] for r in restored) == [8, 18]


# -- CLIReporter ---------------------------------------------------------------------------------


def _trials(n: int, **kw: Any) -> list[ReportedTrial]:
    return [ReportedTrial(f"t{i}", f"trial_{i}", {"s": "x" * 30}, status=kw.get("status", "TERMINATED"),
                          last_result={"a": 1.0, "b": 2.0}, evaluated_params={"s": "x" * 30},
                          local_experiment_path="/e", error_file=kw.get("error_file"), num_failures=1 if
                          kw.get("error_file") else 0) for i in range(n)]


def test_cli_reporter_arguments(capsys):
    tune.CLIReporter(total_samples=10, metric_columns=["a"]).report(_trials(3), False)
    assert "Number of trials: 3/10" in capsys.readouterr().out  # total_samples
    tune.CLIReporter(max_error_rows=1, metric_columns=["a"]).report(_trials(3, status="ERROR", error_file="/e/err"),
                                                                    False)
    assert "Table truncated to 1 rows (2 overflow)" in capsys.readouterr().out  # max_error_rows
    tune.CLIReporter(max_column_length=10, metric_columns=["a"]).report(_trials(1), True)
    out = capsys.readouterr().out
    assert "x" * 30 not in out and "xxxxx_" in out  # max_column_length
    tune.CLIReporter(infer_limit=1).report(_trials(1), True)
    header = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| Trial name")][-1]
    assert "| a " in header and "| b " not in header  # infer_limit: one inferred metric


# -- schedulers, searchers -----------------------------------------------------------------------


def test_asha_time_attr_stop_last_trials_and_brackets(run_config):
    def curve(config):
        for i in range(1, 21):
            tune.report({"loss": config["q"] + 1.0 / i, "step": 2 * i})

    def fit(name, scheduler, n=2):
        return tune.Tuner(curve, param_space={"q": tune.uniform(0, 10)},
                          tune_config=tc("thread", num_samples=n, scheduler=scheduler, max_concurrent_trials=1),
                          run_config=run_config(name=name)).fit()

    # time_attr="step": max_t=10 is reached at the 5th result
    assert _lengths(fit("a", AsyncHyperBandScheduler(time_attr="step", max_t=10, grace_period=10))) == [5, 5]
    # stop_last_trials=False: a trial that reaches max_t runs on (one trial: no rung can stop it)
    assert _lengths(fit("b", AsyncHyperBandScheduler(max_t=5, grace_period=5), n=1)) == [5]
    assert _lengths(fit("b2", AsyncHyperBandScheduler(max_t=5, grace_period=5, stop_last_trials=False), n=1)) == [20]
    grid = fit("c", AsyncHyperBandScheduler(max_t=20, brackets=2))
    state = json.loads(Path(grid.experiment_path, "experiment_state.json").read_text())
    assert len(state["engine"]["scheduler"]["brackets"]) == 2  # brackets


def test_median_stopping_rule_metric_and_mode(run_config):
    def falling(config):
        for i in range(1, 11):
            tune.report({"score": -config["q"] * i})

    def lengths(mode):
        sched = MedianStoppingRule(metric="score", mode=mode, time_attr="training_iteration", grace_period=1,
                                   min_samples_required=1)
        return _lengths(tune.Tuner(falling, param_space={"q": tune.grid_search([0, 1, 2])},
                                   tune_config=tune.TuneConfig(scheduler=sched, executor="thread",
                                                               max_concurrent_trials=1),
                                   run_config=run_config(name=mode)).fit())

    # the scheduler's own metric and mode: with "max" the later (lower-scoring) trials are stopped early,
    # with "min" they are the better ones and run to the end
    stopped = lengths("max")
    assert stopped[0] == 10 and all(n < 10 for n in stopped[1:])
    assert lengths("min") == [10, 10, 10]


def test_hyperopt_gamma_changes_what_tpe_suggests():
    def suggestions(gamma):
        s = HyperOptSearch(space=SPACE, metric="loss", mode="min", n_initial_points=3, random_state_seed=0,
                           gamma=gamma)
        out = []
        for i in range(8):
            c = s.suggest(str(i))
            out.append(c["x"])
            s.on_trial_complete(str(i), {"loss": (c["x"] - 0.3) ** 2})
        return out

    a, b = suggestions(0.25), suggestions(1.0)
    assert a[:3] == b[:3]  # the random start is the same
    assert a[3:] != b[3:]  # TPE's split of good and bad trials is not


def test_concurrency_limiter_searcher_and_batch():
    for batch in (False, True):
        lim = ConcurrencyLimiter(searcher=HyperOptSearch(space=SPACE, metric="loss", mode="min", random_state_seed=0),
                                 max_concurrent=2, batch=batch)
        assert lim.suggest("a") is not None and lim.suggest("b") is not None
        lim.on_trial_complete("a", {"loss": 1.0})
        # batch=True: the slot stays taken until the whole batch (a and b) has finished
        assert (lim.suggest("c") is None) is batch
    assert lim.metric == "loss"  # the searcher's


def test_basic_variant_generator_max_concurrent():
    bvg = BasicVariantGenerator(max_concurrent=1)
    bvg.set_search_properties("loss", "min", SPACE)
    assert bvg.suggest("a") is not None and bvg.suggest("b") is None
    bvg.on_trial_complete("a", {"loss": 1.0})
    assert bvg.suggest("b") is not None


# -- stoppers ------------------------------------------------------------------------------------


def _fit_stop(trainable: Any, stop: Any, run_config: Any, **kw: Any) -> Any:
    kw.setdefault("num_samples", 2)
    return tune.Tuner(trainable, param_space=SPACE, tune_config=tune.TuneConfig(executor="thread", **kw),
                      run_config=run_config(stop=stop)).fit()


def test_trial_plateau_std(run_config):
    # 5, 3, 1, 1: a std of 1.66, under std=2 (it stops at the grace period) but not the default 0.01
    assert _lengths(_fit_stop(_plateau, TrialPlateauStopper(metric="loss", std=2.0), run_config)) == [4, 4]
    assert _lengths(_fit_stop(_plateau, TrialPlateauStopper(metric="loss"), run_config)) == [6, 6]


def test_experiment_plateau_patience(run_config):
    def lengths(patience):
        stopper = ExperimentPlateauStopper(metric="loss", std=0.5, top=3, mode="min", patience=patience)
        return _lengths(_fit_stop(_plateau, stopper, run_config, num_samples=4, max_concurrent_trials=1))

    assert lengths(0) == [5]  # the first plateaued result (the top 3 are 1, 1, 1)
    assert lengths(2) == [6]  # Ray's count: the plateau must hold for 2 results
    assert lengths(3) == [7]


def test_combined_stopper_stoppers_and_function_stopper(run_config):
    stoppers = [MaximumIterationStopper(max_iter=7), FunctionStopper(function=lambda trial_id, r: r["loss"] <= 6)]
    assert _lengths(_fit_stop(_countdown, CombinedStopper(*stoppers), run_config)) == [5, 5]
    assert _lengths(_fit_stop(_countdown, CombinedStopper(*stoppers[:1]), run_config)) == [7, 7]


def test_run_experiments_concurrent_runs_them_one_after_another(tmp_path, caplog):
    """Ray's default concurrent=True interleaves several experiments; swifttune runs the same
    trials one experiment after another and says so (a warning), concurrent=False silently."""
    def trainable(config):
        tune.report({"score": config["x"]})

    def experiments():
        return [tune.Experiment(name, trainable, config={"x": tune.grid_search([1, 2])}, storage_path=str(tmp_path))
                for name in ("first", "second")]

    with caplog.at_level("WARNING", logger="swifttune.tune"):
        trials = tune.run_experiments(experiments(), verbose=0, concurrent=True)
    assert sorted(t.config["x"] for t in trials) == [1, 1, 2, 2]
    assert any("one after another" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level("WARNING", logger="swifttune.tune"):
        assert len(tune.run_experiments(experiments(), verbose=0, concurrent=False, resume=False)) == 4
    assert not any("one after another" in r.getMessage() for r in caplog.records)
