"""Ray Tune's legacy API: tune.run, ExperimentAnalysis, Experiment / run_experiments, the
trainable registry, and the RunConfig / TuneConfig keywords that come with it."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from swifttune import tune
from swifttune.tune import registry
from swifttune.tune.error import TuneError


def objective(config):
    for step in range(3):
        tune.report({"loss": config["x"] * 10 - step, "acc": step})


def checkpointing(config):
    for step in range(4):
        with tempfile.TemporaryDirectory() as d:
            Path(d, "step.json").write_text(json.dumps({"step": step}))
            tune.report({"loss": config["x"] + abs(step - 1)}, checkpoint=tune.Checkpoint.from_directory(d))


def failing(config):
    tune.report({"loss": config["x"]})
    if config["x"] == 2:
        raise RuntimeError("x=2 fails")


@pytest.fixture
def storage(tmp_path: Path) -> str:
    return str(tmp_path / "results")


def grid_run(storage: str, **kw):
    kw.setdefault("verbose", 0)
    return tune.run(objective, config={"x": tune.grid_search([1, 2, 3]), "c": "const"}, metric="loss", mode="min",
                    storage_path=storage, name="grid", **kw)


def test_run_returns_an_analysis_with_ray_answers(storage):
    a = grid_run(storage)
    assert isinstance(a, tune.ExperimentAnalysis)
    assert (a.default_metric, a.default_mode) == ("loss", "min")
    assert a.best_config == {"x": 1, "c": "const"}
    assert a.best_result["loss"] == 8 and a.best_result["training_iteration"] == 3
    assert a.best_trial.config == a.best_config and a.best_trial.status == "TERMINATED"
    assert a.experiment_path == os.path.join(storage, "grid")
    assert a.best_path == a.best_trial.path and Path(a.best_path, "result.json").is_file()
    assert a.best_logdir == a.best_path
    assert len(a.trials) == 3 and set(a.results) == {t.trial_id for t in a.trials}
    assert a.get_all_configs()[a.trials[2].trial_id] == {"x": 3, "c": "const"}
    assert a.get_all_configs(prefix=True)[a.trials[0].trial_id] == {"config/x": 1, "config/c": "const"}
    assert a.get_best_config("acc", "max") is not None
    assert a.get_best_trial("loss", "max").config["x"] == 3


def test_analysis_data_frames(storage):
    a = grid_run(storage)
    df = a.results_df
    assert df.index.name == "trial_id" and len(df) == 3
    assert {"loss", "acc", "training_iteration", "time_total_s", "config/x", "config/c"} <= set(df.columns)
    assert {k: len(v) for k, v in a.trial_dataframes.items()} == {t.trial_id: 3 for t in a.trials}
    best_rows = a.dataframe(metric="loss", mode="max")  # the highest loss ever: the first step
    assert sorted(best_rows["loss"]) == [10, 20, 30] and set(best_rows["logdir"]) == set(a.results)
    assert sorted(a.dataframe()["loss"]) == [8, 18, 28]
    assert list(a.best_result_df["loss"]) == [8]
    assert len(a.best_dataframe) == 3
    with pytest.raises(ValueError, match="also have to pass a `metric`"):
        a.dataframe(mode="min")


def test_best_trial_scopes_and_errors(storage):
    a = grid_run(storage)
    assert a.get_best_trial("acc", "max", scope="all").config["x"] == 1  # ties: the first
    with pytest.raises(ValueError, match="scope"):
        a.get_best_trial("loss", "min", scope="first")
    with pytest.raises(ValueError, match="has to be one of"):
        a.get_best_trial("loss", "lowest")
    assert a.get_best_trial("never_reported", "min") is None
    plain = tune.ExperimentAnalysis(a.experiment_path)
    with pytest.raises(ValueError, match="To fetch the `best_config`, pass a `metric` and `mode`"):
        plain.best_config
    with pytest.raises(ValueError, match="No `metric` has been passed"):
        plain.get_best_trial(mode="min")


def test_analysis_from_an_experiment_folder(storage):
    grid_run(storage)
    a = tune.ExperimentAnalysis(os.path.join(storage, "grid"), default_metric="loss", default_mode="max")
    assert a.best_config["x"] == 3 and [t.status for t in a.trials] == ["TERMINATED"] * 3
    assert {k: len(v) for k, v in a.trial_dataframes.items()} == {t.trial_id: 3 for t in a.trials}
    assert a.best_result["acc"] == 2
    via_json = tune.ExperimentAnalysis(os.path.join(storage, "grid", "experiment_state.json"))
    assert len(via_json.trials) == 3
    with pytest.raises(ValueError, match="No experiment snapshot file"):
        tune.ExperimentAnalysis(os.path.join(storage, "nothing_here"))
    with pytest.raises(ValueError, match="default_mode"):
        tune.ExperimentAnalysis(os.path.join(storage, "grid"), default_mode="lowest")


def test_checkpoints_through_the_analysis(storage):
    with pytest.warns(DeprecationWarning) as warned:
        a = tune.run(checkpointing, config={"x": tune.grid_search([0, 5])}, metric="loss", mode="min",
                     storage_path=storage, name="ckpt", verbose=0, keep_checkpoints_num=2,
                     checkpoint_score_attr="min-loss")
    assert [str(w.message).split(" is ")[0].split(" ")[-1] for w in warned][:2] == ["keep_checkpoints_num",
                                                                                   "checkpoint_score_attr"]
    trial = a.best_trial
    kept = sorted(p.name for p in Path(trial.path).iterdir() if p.name.startswith("checkpoint_"))
    # keep_checkpoints_num honoured: the 2 best by loss (step 1, then a tie of steps 0 and 2) and the latest
    assert "checkpoint_000001" in kept and "checkpoint_000003" in kept and len(kept) == 3
    best = a.best_checkpoint
    assert json.loads(Path(best.path, "step.json").read_text())["step"] == 1
    assert json.loads(Path(a.get_last_checkpoint(trial).path, "step.json").read_text())["step"] == 3
    assert a.get_best_checkpoint(trial, "loss", "max").path == a.get_last_checkpoint(trial).path


def test_failed_trials_raise_as_ray(storage):
    with pytest.raises(TuneError, match="Trials did not complete") as e:
        tune.run(failing, config={"x": tune.grid_search([1, 2])}, metric="loss", mode="min", storage_path=storage,
                 name="fail", verbose=0)
    assert [t.config["x"] for t in e.value.args[1]] == [2]
    a = tune.run(failing, config={"x": tune.grid_search([1, 2])}, metric="loss", mode="min", storage_path=storage,
                 name="fail2", verbose=0, raise_on_failed_trial=False)
    assert sorted(t.status for t in a.trials) == ["ERROR", "TERMINATED"]
    assert [t.error_file for t in a.trials if t.status == "ERROR"][0].endswith("error.txt")


def test_max_failures_retries(storage, tmp_path):
    flag = tmp_path / "failed_once"

    def flaky(config):
        if not flag.exists():
            flag.write_text("1")
            raise RuntimeError("first run fails")
        tune.report({"loss": 1.0})

    a = tune.run(flaky, config={"c": 0}, metric="loss", mode="min", storage_path=storage, name="retry", verbose=0,
                 max_failures=1)
    assert [t.status for t in a.trials] == ["TERMINATED"] and a.trials[0].num_failures == 1


def test_registered_trainables(storage):
    registry._unregister_trainables()
    tune.register_trainable("my_objective", objective)
    a = tune.run("my_objective", config={"x": tune.grid_search([1, 2])}, metric="loss", mode="min",
                 storage_path=storage, name="reg", verbose=0)
    assert a.best_config == {"x": 1} and a.best_trial.trial_name.startswith("my_objective_")
    grid = tune.Tuner("my_objective", param_space={"x": 3}, tune_config=tune.TuneConfig(metric="loss", mode="min"),
                      run_config=tune.RunConfig(storage_path=storage, name="reg_tuner", verbose=0)).fit()
    assert grid[0].metrics["loss"] == 28
    assert registry.get_trainable_cls("my_objective") is objective and registry.is_function_trainable("my_objective")
    with pytest.raises(TuneError, match="Unknown trainable: nope"):
        tune.run("nope", verbose=0)
    with pytest.raises(TypeError, match="convertable to Trainable"):
        tune.register_trainable("bad", 42)
    registry._unregister_trainables()


def test_experiment_and_run_experiments(storage):
    registry._unregister_trainables()
    tune.register_trainable("obj", objective)
    exp = tune.Experiment("exp_a", objective, config={"x": tune.grid_search([1, 2])}, storage_path=storage,
                          stop={"training_iteration": 2})
    a = tune.run(exp, metric="loss", mode="min", verbose=0)
    assert a.best_result["training_iteration"] == 2 and a.experiment_path == os.path.join(storage, "exp_a")
    trials = tune.run_experiments({"exp_b": {"run": "obj", "config": {"x": 4}, "storage_path": storage,
                                             "checkpoint_config": {"num_to_keep": 1}}}, verbose=0)
    assert [t.last_result["loss"] for t in trials] == [38]
    both = tune.run_experiments([tune.Experiment("e1", "obj", config={"x": 1}, storage_path=storage),
                                 tune.Experiment("e2", "obj", config={"x": 2}, storage_path=storage)],
                                concurrent=False, verbose=0)
    assert [t.config["x"] for t in both] == [1, 2]
    with pytest.raises(TuneError, match="No trainable specified"):
        tune.Experiment.from_json("x", {"config": {}})
    with pytest.raises(TuneError, match="Failed to load the following Tune experiment"):
        tune.Experiment.from_json("x", {"run": "obj", "not_an_argument": 1})
    assert tune.Experiment.get_trainable_name(objective) == "objective"
    registry._unregister_trainables()


def test_resume(storage):
    grid_run(storage)
    again = grid_run(storage, resume="AUTO")
    assert len(again.trials) == 3 and again.best_config["x"] == 1
    fresh = tune.run(objective, config={"x": 7}, metric="loss", mode="min", storage_path=storage, name="new",
                     verbose=0, resume=True)
    assert len(fresh.trials) == 1
    with pytest.raises(DeprecationWarning, match="'LOCAL' is deprecated"):
        grid_run(storage, resume="LOCAL")
    with pytest.raises(ValueError, match="Invalid resume setting"):
        grid_run(storage, resume="AUTO+SOMETIMES")
    with pytest.raises(NotImplementedError, match="finished"):
        tune.ResumeConfig(finished=tune.ResumeConfig.ResumeType.RESTART)


def test_run_arguments_as_ray(storage, capsys):
    a = tune.run(objective, config={"x": tune.grid_search([1, 2])}, metric="loss", mode="min", storage_path=storage,
                 name="args", scheduler="asha", search_alg="variant_generator", time_budget_s=60,
                 resources_per_trial={"cpu": 1}, max_concurrent_trials=1, reuse_actors=True,
                 trial_name_creator=lambda t: f"t_{t.config['x']}", trial_dirname_creator=lambda t: f"d_{t.config['x']}")
    assert sorted(t.trial_name for t in a.trials) == ["t_1", "t_2"]
    assert sorted(Path(t.path).name for t in a.trials) == ["d_1", "d_2"]
    out = capsys.readouterr().out
    assert "Trial t_1 completed after 3 results." in out  # verbose=None is Ray's AirVerbosity.VERBOSE (2)
    with pytest.raises(ValueError, match="must be one of"):
        tune.run(objective, scheduler="nope", verbose=0)
    with pytest.raises(NotImplementedError, match="scheduler='resource_changing' is not supported by swifttune"):
        tune.run(objective, scheduler="resource_changing", verbose=0)
    # Ray's create_scheduler / create_searcher pass their keyword arguments on.
    asha = tune.create_scheduler(scheduler="asha", max_t=7, grace_period=2)
    assert (asha.max_t, asha.grace_period) == (7, 2)
    assert tune.create_searcher(search_alg="hyperopt", metric="x", mode="min").metric == "x"
    # Ray's "pb2" is PB2() without arguments: Ray's TuneError.
    with pytest.raises(TuneError, match="`hyperparam_bounds` must be specified to use PB2 scheduler."):
        tune.run(objective, scheduler="pb2", verbose=0)
    # Ray's "pbt" is PopulationBasedTraining() without arguments: Ray's TuneError.
    with pytest.raises(TuneError, match="You must specify at least one of `hyperparam_mutations`"):
        tune.run(objective, scheduler="pbt", verbose=0)
    with pytest.raises(NotImplementedError, match="search_alg='zoopt' is not supported by swifttune"):
        tune.run(objective, search_alg="zoopt", verbose=0)
    assert type(tune.create_searcher(search_alg="optuna", metric="x", mode="min")).__name__ == "OptunaSearch"
    with pytest.raises(ValueError, match=r"must be one of \['min', 'max'\]"):
        tune.run(objective, mode="lowest")
    with pytest.raises(ValueError, match="must be a dict"):
        tune.run(objective, config=[1])


@pytest.mark.parametrize("kw, error, text", [
    ({"local_dir": "/tmp"}, DeprecationWarning, "`local_dir` argument is deprecated"),
    ({"chdir_to_trial_dir": False}, DeprecationWarning, "chdir_to_trial_dir"),
    ({"storage_path": "s3://bucket/x"}, NotImplementedError, "storage_path='s3://bucket/x' is not supported"),
    ({"storage_filesystem": object()}, NotImplementedError, "storage_filesystem is not supported"),
    ({"export_formats": ["model"]}, NotImplementedError, "export_formats is not supported"),
    ({"restore": "/some/checkpoint"}, NotImplementedError, "restore is not supported"),
    ({"checkpoint_freq": 2}, ValueError, "'checkpoint_frequency' cannot be set for a function trainable"),
    ({"checkpoint_at_end": True}, ValueError, "'checkpoint_at_end' cannot be used with a function trainable"),
    ({"sync_config": tune.SyncConfig()}, None, None),
    ({"_remote": True}, NotImplementedError, "_remote is not supported"),
    ({"log_to_file": ("a", "b", "c")}, ValueError, "length of 2"),
])
def test_run_refusals(storage, kw, error, text):
    call = lambda: tune.run(objective, config={"x": 1}, metric="loss", mode="min", storage_path=kw.pop(
        "storage_path", storage), name="refuse", verbose=0, **kw)
    if error is None:
        assert call().best_config == {"x": 1}
        return
    with pytest.raises(error, match=text):
        call()


def test_file_uri_storage(tmp_path):
    a = tune.run(objective, config={"x": 1}, metric="loss", mode="min", storage_path=f"file://{tmp_path}/uri",
                 name="u", verbose=0)
    assert a.experiment_path == f"{tmp_path}/uri/u" and Path(a.experiment_path, "experiment_state.json").is_file()
    assert tune.ExperimentAnalysis(f"file://{tmp_path}/uri/u").trials[0].config == {"x": 1}


def test_run_config_keywords():
    rc = tune.RunConfig()
    assert rc.verbose == 1 and rc.sync_config == tune.SyncConfig() and rc.log_to_file is False
    assert tune.RunConfig(storage_path=Path("/tmp/x")).storage_path == "/tmp/x"
    for value in (True, "out.log", ("out", "err")):
        assert tune.RunConfig(log_to_file=value).log_to_file == value
    with pytest.raises(ValueError, match="Sequence of length 2"):
        tune.RunConfig(log_to_file=3)
    with pytest.raises(DeprecationWarning, match=r"RunConfig\(local_dir\)"):
        tune.RunConfig(local_dir="/tmp")
    with pytest.raises(NotImplementedError, match="storage_filesystem"):
        tune.RunConfig(storage_filesystem=object())
    with pytest.raises(NotImplementedError, match="gs://"):
        tune.RunConfig(storage_path="gs://b/p")
    with pytest.raises(TypeError, match="progress_reporter"):
        tune.RunConfig(progress_reporter=print)
    with pytest.raises(TypeError, match="sync_config"):
        tune.RunConfig(sync_config={"sync_period": 300})
    tc = tune.TuneConfig(reuse_actors=True)
    assert tc.reuse_actors is True and tune.TuneConfig().reuse_actors is False
    with pytest.raises(TypeError, match="reuse_actors"):
        tune.TuneConfig(reuse_actors="yes")
    with pytest.raises(DeprecationWarning, match="chdir_to_trial_dir"):
        tune.TuneConfig(chdir_to_trial_dir=True)


@pytest.mark.parametrize("kw", [{"sync_period": 10}, {"sync_timeout": 5}, {"sync_artifacts": True},
                                {"sync_artifacts_on_checkpoint": False}])
def test_sync_config_needs_no_remote(kw):
    assert tune.SyncConfig().sync_period == 300
    with pytest.raises(NotImplementedError, match=f"SyncConfig\\({next(iter(kw))}=.*nothing is synced"):
        tune.SyncConfig(**kw)


def test_tuner_with_file_uri_and_verbose_none(tmp_path, capsys):
    grid = tune.Tuner(objective, param_space={"x": 1}, tune_config=tune.TuneConfig(metric="loss", mode="min"),
                      run_config=tune.RunConfig(storage_path=f"file://{tmp_path}/t", name="n")).fit()
    assert grid.experiment_path == f"{tmp_path}/t/n"
    assert "Trial status: 1 TERMINATED" in capsys.readouterr().out  # verbose=None: Ray's default output (1)


def test_run_without_a_metric(storage):
    registry._unregister_trainables()
    tune.register_trainable("obj", objective)
    trials = tune.run_experiments(tune.Experiment("plain", "obj", config={"x": tune.grid_search([1, 2])},
                                                  storage_path=storage), verbose=0)
    assert sorted(t.last_result["loss"] for t in trials) == [8, 18]
    a = tune.ExperimentAnalysis(os.path.join(storage, "plain"))
    assert a.default_metric is None and a.get_best_config("loss", "min") == {"x": 1}
    registry._unregister_trainables()
