"""Ray's Weights & Biases integration in swifttune (``swifttune.air.integrations.wandb``), with the
real wandb package in offline mode (no network; run files under each test's tmp_path, read back
with wandb_files.py): the callback's runs and options in both executors, its checks and
messages, and ``setup_wandb`` inside trials. Side by side with Ray: test_ray_parity_wandb.py."""
from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from helpers import tc
from swifttune import tune
from wandb_files import read_runs

pytest.importorskip("wandb", reason="make test installs wandb")
from swifttune.air.integrations.wandb import WandbLoggerCallback, _clean_log, setup_wandb  # noqa: E402

AUTO_CONFIG = {"trial_id", "date", "pid", "hostname", "node_ip"}  # Ray's AUTO_CONFIG_KEYS a result carries
TIMES = {"timestamp", "time_this_iter_s", "time_total_s", "time_since_restore", "iterations_since_restore",
         "training_iteration"}


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "wandb_dir"))
    (tmp_path / "wandb_dir").mkdir()
    for name in ("WANDB_API_KEY", "WANDB_PROJECT_NAME", "WANDB_GROUP_NAME", "WANDB_SETUP_API_KEY_HOOK",
                 "WANDB_POPULATE_RUN_LOCATION_HOOK", "WANDB_PROCESS_RUN_INFO_HOOK", "WANDB_START_METHOD"):
        monkeypatch.delenv(name, raising=False)


class Trials(tune.Callback):
    """What the trials were, as callbacks see them: x -> (id, name, folder)."""

    def __init__(self) -> None:
        self.seen: dict[Any, tuple[str, str, str]] = {}

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.seen[trial.config["x"]] = (trial.trial_id, str(trial), trial.local_path)


def steps(config):
    import numpy as np

    for i in range(3):
        checkpoint = None
        if i == 1:
            d = tempfile.mkdtemp()
            Path(d, "model.txt").write_text(str(config["x"]))
            checkpoint = tune.Checkpoint.from_directory(d)
        tune.report({"loss": config["x"] * 10 + i, "nested": {"a": i}, "text": "not logged",
                     "img": np.zeros((4, 4, 3), dtype=np.uint8)}, checkpoint=checkpoint)


def test_callback_logs_each_trial_to_its_own_run(run_config, executor, monkeypatch):
    monkeypatch.delenv("WANDB_DIR")  # the runs go to the trial folders (the logging process's working directory)
    trials = Trials()
    cb = WandbLoggerCallback(project="proj", upload_checkpoints=True, upload_timeout=120)
    results = tune.Tuner(steps, param_space={"x": tune.grid_search([1, 2]), "fixed": {"b": 3}},
                         tune_config=tc(executor), run_config=run_config(name="exp", callbacks=[trials, cb])).fit()
    assert not results.errors
    for x, (trial_id, name, folder) in trials.seen.items():
        [run] = read_runs(Path(folder))  # finished once fit returned (on_experiment_end waits)
        assert (run["id"], run["name"], run["group"], run["project"], run["finished"]) == \
            (trial_id, name, "exp", "proj", True)
        config = run["config"]
        assert {k: config[k] for k in ("x", "fixed", "trial_id", "trial_log_path")} == \
            {"x": x, "fixed": {"b": 3}, "trial_id": trial_id, "trial_log_path": folder}
        assert set(config) == {"x", "fixed", "trial_log_path"} | AUTO_CONFIG
        assert [r["step"] for r in run["history"]] == [1, 2, 3]
        assert [(r["loss"], r["nested/a"], r["training_iteration"]) for r in run["history"]] == \
            [(10 * x + i, i, i + 1) for i in range(3)]
        # not logged: text, done, config
        assert all(set(r) == {"step", "loss", "nested/a", "img"} | TIMES for r in run["history"])
        assert run["history"][0]["img"]["_type"] == "image-file"
        assert run["artifacts"] == [{"name": f"checkpoint_{name}", "type": "model", "files": ["model.txt"]}]


def run_info_hook(run: Any) -> None:
    """Ray's WANDB_PROCESS_RUN_INFO_HOOK: called in the logging process with each new run."""
    with open(os.environ["RUN_INFO_OUT"], "a") as f:
        f.write(run.id + "\n")


def test_callback_options_excludes_log_config_group_and_init_kwargs(run_config, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_PROCESS_RUN_INFO_HOOK", "test_wandb.run_info_hook")
    monkeypatch.setenv("RUN_INFO_OUT", str(tmp_path / "run_info.txt"))
    with pytest.warns(DeprecationWarning, match="`save_checkpoints` is deprecated. Use `upload_checkpoints` instead."):
        cb = WandbLoggerCallback(project="proj", group="mine", excludes=["nested", "fixed", "time_this_iter_s"],
                                 log_config=True, save_checkpoints=True, image_kwargs={"caption": "seen"},
                                 dir=str(tmp_path / "elsewhere"), job_type="tuning")
    assert cb.upload_checkpoints
    tune.Tuner(steps, param_space={"x": tune.grid_search([1]), "fixed": {"b": 3}, "callbacks": "dropped"},
               tune_config=tc("thread"), run_config=run_config(name="exp", callbacks=[cb])).fit()
    assert not read_runs(tmp_path / "wandb_dir")
    [run] = read_runs(tmp_path / "elsewhere")  # `dir` went to wandb.init
    assert run["group"] == "mine" and run["artifacts"][0]["name"] == "checkpoint_steps_00000"
    assert set(run["init_config"]) == {"x"}  # excludes apply to the first config; "callbacks" is dropped
    assert run["config"]["fixed"] == {"b": 3} and "callbacks" not in run["config"]  # each result's config updates it
    row = run["history"][0]
    assert row["config/x"] == 1 and row["config/fixed/b"] == 3 and "nested/a" not in row  # log_config, excludes
    assert "time_this_iter_s" not in row and "time_total_s" in row
    assert row["img"]["caption"] == "seen"  # image_kwargs
    assert (tmp_path / "run_info.txt").read_text().split() == [run["id"]]


def test_callback_cleans_results_with_video_kwargs_and_image_kwargs(monkeypatch):
    """Ray's _clean_log on the driver: 3-D arrays as images, 5-D as videos, made with the
    callback's image_kwargs / video_kwargs (wandb.Video stood in for: it needs moviepy)."""
    import numpy as np
    import wandb

    from wandb.sdk.data_types.base_types.wb_value import WBValue

    class Video(WBValue):
        def __init__(self, data: Any, **kwargs: Any) -> None:
            self.shape, self.kwargs = data.shape, kwargs

    monkeypatch.setattr(wandb, "Video", Video)
    queued: list[Any] = []

    class Logger:
        def put(self, item: Any) -> None:
            queued.append(item)

    cb = WandbLoggerCallback(project="p", video_kwargs={"fps": 7}, image_kwargs={"caption": "c"})
    trial = tune.Callback  # any hashable stands in for the trial
    cb._trial_loggers[trial] = Logger()  # type: ignore[index]
    cb.log_trial_result(1, trial, {"v": np.zeros((2, 3, 1, 4, 4)), "one": np.zeros((1, 3, 1, 4, 4)),
                                   "img": np.zeros((4, 4, 3), dtype=np.uint8), "s": {1, 2}, "obj": lambda: 0})
    [(kind, result)] = queued
    assert kind == "result" and [(v.shape, v.kwargs) for v in result["v"]] == [((3, 1, 4, 4), {"fps": 7})] * 2
    assert result["one"].kwargs == {"fps": 7} and result["img"]._caption == "c"
    assert result["s"] == [1, 2] and result["obj"].startswith("<function")


def test_callback_waits_for_runs_up_to_upload_timeout(run_config, caplog):
    cb = WandbLoggerCallback(project="proj", upload_timeout=0)
    with caplog.at_level(logging.WARNING):
        tune.Tuner(steps, param_space={"x": 1}, tune_config=tc("thread"), run_config=run_config(callbacks=[cb])).fit()
    assert "did not finish within upload_timeout=0 seconds" in caplog.text


def test_a_failing_logging_process_is_reported(run_config, caplog):
    cb = WandbLoggerCallback(project="proj", mode="no such mode")  # wandb.init fails in the logging process
    with caplog.at_level(logging.WARNING):
        results = tune.Tuner(steps, param_space={"x": 1}, tune_config=tc("thread"),
                             run_config=run_config(callbacks=[cb])).fit()
    assert not results.errors  # the trial itself is fine
    assert "The W&B logging process of trial steps_00000 failed (exit code 1)" in caplog.text


def retried(config):
    checkpoint = tune.get_checkpoint()
    start = int(checkpoint.get_metadata()["i"]) if checkpoint else 0
    for i in range(start, 3):
        if i == 1 and not Path(config["marker"]).exists():
            Path(config["marker"]).write_text("failed once")
            raise RuntimeError("first attempt fails")
        d = tempfile.mkdtemp()
        checkpoint = tune.Checkpoint.from_directory(d)
        checkpoint.set_metadata({"i": i + 1})
        tune.report({"loss": i}, checkpoint=checkpoint)


def test_a_retried_trial_goes_on_logging_to_its_run(run_config, tmp_path):
    cb = WandbLoggerCallback(project="proj")
    tune.Tuner(retried, param_space={"x": 1, "marker": str(tmp_path / "marker")}, tune_config=tc("thread"),
               run_config=run_config(callbacks=[cb], failure_config=tune.FailureConfig(max_failures=1))).fit()
    [run] = read_runs(tmp_path / "wandb_dir")
    assert [(r["step"], r["loss"]) for r in run["history"]] == [(1, 0), (2, 1), (3, 2)]


def test_callback_setup_checks_the_key_and_project_as_ray(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="Please pass the project name as argument or through the WANDB_PROJECT_NAME "
                                         "environment variable."):
        WandbLoggerCallback().setup()
    monkeypatch.setenv("WANDB_PROJECT_NAME", "from_env")
    monkeypatch.setenv("WANDB_GROUP_NAME", "group_env")
    cb = WandbLoggerCallback()
    cb.setup()  # offline: no key needed
    assert (cb.project, cb.group) == ("from_env", "group_env")
    monkeypatch.setenv("WANDB_MODE", "online")
    with pytest.raises(ValueError, match="No WandB API key found. Either set the WANDB_API_KEY environment variable"):
        WandbLoggerCallback(project="p").setup()
    key_file = tmp_path / "key"
    key_file.write_text("from-file\nsecond line\n")
    with pytest.raises(ValueError, match="Both WandB `api_key_file` and `api_key` set."):
        WandbLoggerCallback(project="p", api_key_file=str(key_file), api_key="k").setup()
    WandbLoggerCallback(project="p", api_key_file=str(key_file)).setup()
    assert os.environ["WANDB_API_KEY"] == "from-file"
    WandbLoggerCallback(project="p", api_key="given").setup()
    assert os.environ["WANDB_API_KEY"] == "given"


def key_hook() -> str:
    return "from-hook"


def location_hook() -> None:
    os.environ["WANDB_PROJECT_NAME"] = "hooked"
    os.environ["WANDB_GROUP_NAME"] = "hooked_group"


def test_callback_setup_calls_rays_hooks(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    monkeypatch.setenv("WANDB_MODE", "online")
    monkeypatch.setenv("WANDB_SETUP_API_KEY_HOOK", "test_wandb.key_hook")
    monkeypatch.setenv("WANDB_POPULATE_RUN_LOCATION_HOOK", "test_wandb.location_hook")
    monkeypatch.setenv("WANDB_PROJECT_NAME", "")  # set by the hook (restored after the test)
    monkeypatch.setenv("WANDB_GROUP_NAME", "")
    cb = WandbLoggerCallback()
    cb.setup()
    assert (os.environ["WANDB_API_KEY"], cb.project, cb.group) == ("from-hook", "hooked", "hooked_group")


def test_setup_wandb_opens_a_run_inside_each_trial(run_config, tmp_path):
    def with_setup(config):  # every parameter of setup_wandb; kwargs go to wandb.init
        os.environ.update(config["env"])  # (the worker processes may predate this test's environment)
        # A folder of its own per trial, as under Ray (each trial runs in its own folder): wandb's resume file
        # (wandb-resume.json, read with resume=True) is per folder, and two runs sharing one race for it.
        os.environ["WANDB_DIR"] = os.path.join(config["env"]["WANDB_DIR"], f"x{config['x']}")
        os.makedirs(os.environ["WANDB_DIR"], exist_ok=True)
        kwargs = {"group": "mine", "notes": "n"} if config["x"] == 2 else {}
        run = setup_wandb(config=config, api_key=None, api_key_file=None, rank_zero_only=False, project="inside",
                          **kwargs)
        for i in range(2):
            run.log({"inner": config["x"] + i})
            tune.report({"loss": config["x"] + i})
        # not finished here: swifttune finishes the run when the function returns

    env = {k: os.environ[k] for k in ("WANDB_MODE", "WANDB_DIR")}
    trials = Trials()
    results = tune.Tuner(with_setup, param_space={"x": tune.grid_search([1, 2]), "env": env},
                         tune_config=tc("process"), run_config=run_config(name="exp", callbacks=[trials])).fit()
    assert not results.errors, results.errors
    runs = {r["config"]["x"]: r for r in read_runs(tmp_path / "wandb_dir")}
    for x, (trial_id, name, _) in trials.seen.items():
        run = runs[x]
        assert (run["id"], run["name"], run["group"], run["project"], run["finished"]) == \
            (trial_id, name, "mine" if x == 2 else "exp", "inside", True)
        assert run["config"] == {"x": x, "env": env}
        assert [(r["step"], r["inner"]) for r in run["history"]] == [(0, x), (1, x + 1)]


def test_setup_wandb_is_refused_by_the_thread_executor(run_config):
    def inside(config):
        setup_wandb(config)

    results = tune.Tuner(inside, param_space={"x": 1}, tune_config=tc("thread"), run_config=run_config()).fit()
    error = results[0].error
    assert isinstance(error, NotImplementedError) and "thread executor" in str(error) and "setup_wandb" in str(error)


def test_setup_wandb_checks_the_key_as_ray(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "online")
    with pytest.raises(ValueError, match="Both WandB `api_key_file` and `api_key` set."):
        setup_wandb({}, api_key="k", api_key_file=str(tmp_path / "key"))
    with pytest.raises(ValueError, match="No WandB API key found"):
        setup_wandb({})


def test_missing_wandb_is_rays_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # import wandb now fails
    for make in (lambda: WandbLoggerCallback(project="p"), lambda: setup_wandb({})):
        with pytest.raises(RuntimeError, match=r"Wandb was not found - please install with `pip install wandb`"):
            make()


def test_clean_log_keeps_what_serialises_and_falls_back_to_text():
    assert _clean_log({"a": (1, "b", None), "c": [1.5], "d": "12"}) == {"a": (1, "b", None), "c": [1.5], "d": "12"}
    assert json.dumps(_clean_log({"f": lambda: 0})["f"]).startswith('"<function')
