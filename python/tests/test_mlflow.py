"""Ray's MLflow integration in swifttune (``swifttune.air.integrations.mlflow``), with mlflow's
local file store: the callback's options and ``setup_mlflow`` inside trials (both executors).
Side by side with Ray: test_ray_parity_mlflow.py."""
from __future__ import annotations

import os

import pytest

from helpers import tc
from swifttune import tune

mlflow = pytest.importorskip("mlflow", reason="make test installs mlflow")
from swifttune.air.integrations.mlflow import MLflowLoggerCallback, setup_mlflow  # noqa: E402


@pytest.fixture(autouse=True)
def _file_store(monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # mlflow 3 refuses the file store without it


def _runs(uri, name):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    return client, client.search_runs([client.get_experiment_by_name(name).experiment_id])


def steps(config):
    for i in range(3):
        if config["x"] == 2 and i == 1:
            raise ValueError("x=2 fails")
        tune.report({"loss": config["x"] + i, "note": "text is skipped"})


def test_callback_runs_per_trial_with_tags_params_metrics_and_status(run_config, tmp_path):
    uri = str(tmp_path / "mlruns")
    cb = MLflowLoggerCallback(tracking_uri=uri, registry_uri=uri, experiment_name="exp", tags={"team": "t"},
                              tracking_token="secret", save_artifact=True, log_params_on_trial_end=True)
    tune.Tuner(steps, param_space={"x": tune.grid_search([1, 2]), "nested": {"a": 3}}, tune_config=tc(),
               run_config=run_config(callbacks=[cb])).fit()
    assert os.environ.get("MLFLOW_TRACKING_TOKEN") == "secret"
    client, runs = _runs(uri, "exp")
    by_x = {r.data.params["x"]: r for r in runs}
    assert set(by_x) == {"1", "2"} and by_x["1"].data.params["nested/a"] == "3"  # logged at the trial's end
    assert by_x["1"].info.status == "FINISHED" and by_x["2"].info.status == "FAILED"
    assert by_x["1"].data.tags["team"] == "t" and by_x["1"].data.tags["trial_name"] == by_x["1"].info.run_name
    history = client.get_metric_history(by_x["1"].info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(1, 1.0), (2, 2.0), (3, 3.0)]
    assert "note" not in by_x["1"].data.metrics and "config/x" in by_x["1"].data.metrics
    artifacts = {a.path for a in client.list_artifacts(by_x["1"].info.run_id)}
    assert {"result.json", "progress.csv", "params.json"} <= artifacts


def test_callback_reuses_an_existing_experiment(run_config, tmp_path):
    uri = str(tmp_path / "mlruns")
    for name in ("first", "second"):
        tune.Tuner(steps, param_space={"x": 1}, tune_config=tc(),
                   run_config=run_config(name=name, callbacks=[MLflowLoggerCallback(uri, experiment_name="shared")])).fit()
    assert len(_runs(uri, "shared")[1]) == 2


def test_setup_mlflow_opens_a_run_inside_each_trial(run_config, tmp_path):
    from mlflow.tracking import MlflowClient

    def with_setup(config):  # every parameter of setup_mlflow
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # (the worker processes may predate this test's environment)
        tracker = setup_mlflow(config, tracking_uri=config["uri"], registry_uri=config["uri"], experiment_name="inside",
                               create_experiment_if_not_exists=True, run_name=f"run{config['x']}", tags={"k": "v"},
                               tracking_token=None, artifact_location=None, experiment_id=None, rank_zero_only=False)
        tracker.log_metric("inner", config["x"] * 10)
        tracker.end_run()
        tune.report({"loss": config["x"]})


    uri = str(tmp_path / "mlruns")
    MlflowClient(tracking_uri=uri).create_experiment("inside")  # (trials creating it at once would race, as in Ray)
    results = tune.Tuner(with_setup, param_space={"x": tune.grid_search([1, 2]), "uri": uri},
                         tune_config=tc("process"), run_config=run_config()).fit()
    assert not results.errors, results.errors
    _, runs = _runs(uri, "inside")
    assert sorted((r.info.run_name, r.data.metrics["inner"], r.data.params["x"], r.data.tags["k"]) for r in runs) == \
        [("run1", 10.0, "1", "v"), ("run2", 20.0, "2", "v")]


def test_setup_mlflow_is_refused_by_the_thread_executor(run_config, tmp_path):
    def with_setup(config):
        setup_mlflow(config, tracking_uri=config["uri"], experiment_name="inside", create_experiment_if_not_exists=True)

    results = tune.Tuner(with_setup, param_space={"x": 1, "uri": str(tmp_path / "mlruns")}, tune_config=tc("thread"),
                         run_config=run_config()).fit()
    assert isinstance(results[0].error, NotImplementedError) and "thread executor" in str(results[0].error)


def test_setup_mlflow_without_an_experiment_is_rays_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist and no experiment_name provided"):
        setup_mlflow({}, tracking_uri=str(tmp_path / "mlruns"), create_experiment_if_not_exists=True)
