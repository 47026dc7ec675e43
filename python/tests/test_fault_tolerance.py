"""Fault tolerance: checkpoints, retries, dead workers, fail-fast, unusable metrics, Ray's resume
flags. The driver-kill test is in test_driver_kill.py."""
from __future__ import annotations

import json
import logging
import math
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from swifttune import tune
from helpers import FileLog


def _counter(config: dict[str, Any]) -> None:
    """Counts to config["steps"], saving a checkpoint with every step and resuming from one."""
    start = 0
    ckpt = tune.get_checkpoint()
    if ckpt is not None:
        with ckpt.as_directory() as d:
            start = json.loads(Path(d, "state.json").read_text())["step"]
    log = config.get("log")
    if log is not None:
        log.add("start", tune.get_context().get_trial_id(), start)
    for step in range(start + 1, config["steps"] + 1):
        d = Path(tune.get_context().get_trial_dir()) / f"tmp_{os.getpid()}"
        d.mkdir(exist_ok=True)
        (d / "state.json").write_text(json.dumps({"step": step}))
        crash = config.get("crash_at")
        if crash == step and log is not None and not any(e[0] == "crashed" for e in log.read()):
            log.add("crashed", step)
            how = config.get("how", "raise")
            if how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if how == "exit":
                os._exit(1)
            raise RuntimeError(f"crash at step {step}")
        tune.report({"loss": 1.0 / step, "step": step}, checkpoint=tune.Checkpoint.from_directory(d))


def test_checkpoints_are_copied_kept_and_returned(run_config, executor, tmp_path):
    cc = tune.CheckpointConfig(num_to_keep=2, checkpoint_score_attribute="loss", checkpoint_score_order="min")
    res = tune.Tuner(_counter, param_space={"steps": 5},
                     tune_config=tune.TuneConfig(metric="loss", mode="min", executor=executor),
                     run_config=run_config(checkpoint_config=cc)).fit()
    r = res[0]
    assert r.checkpoint is not None
    assert Path(r.checkpoint.path).name == "checkpoint_000004"
    with r.checkpoint.as_directory() as d:
        assert json.loads(Path(d, "state.json").read_text()) == {"step": 5}
    dirs = sorted(p.name for p in Path(r.path).iterdir() if p.name.startswith("checkpoint_"))
    assert dirs == ["checkpoint_000003", "checkpoint_000004"]  # the best two by min loss
    assert [m["step"] for _, m in r.best_checkpoints] == [4, 5]  # worst to best
    assert [m["checkpoint_dir_name"] for m in r.history] == [f"checkpoint_{i:06d}" for i in range(5)]
    copy = r.checkpoint.to_directory(tmp_path / "copy")
    assert json.loads(Path(copy, "state.json").read_text()) == {"step": 5}


def test_latest_checkpoint_is_kept_even_when_it_is_the_worst(run_config):
    cc = tune.CheckpointConfig(num_to_keep=1, checkpoint_score_attribute="loss", checkpoint_score_order="max")
    res = tune.Tuner(_counter, param_space={"steps": 4},
                     tune_config=tune.TuneConfig(metric="loss", mode="min", executor="thread"),
                     run_config=run_config(checkpoint_config=cc)).fit()
    dirs = sorted(p.name for p in Path(res[0].path).iterdir() if p.name.startswith("checkpoint_"))
    # The best by max loss is step 1's; the latest (step 4's) stays too: a retry resumes from it.
    assert dirs == ["checkpoint_000000", "checkpoint_000003"]


@pytest.mark.parametrize("how", ["raise", "exit", "kill"])
def test_a_retried_trial_resumes_from_its_checkpoint(run_config, tmp_path, how):
    log = FileLog(tmp_path / "log.jsonl")
    res = tune.Tuner(_counter, param_space={"steps": 8, "crash_at": 5, "how": how, "log": log},
                     tune_config=tune.TuneConfig(metric="loss", mode="min", executor="process"),
                     run_config=run_config(failure_config=tune.FailureConfig(max_failures=1))).fit()
    r = res[0]
    assert r.error is None
    assert [h["training_iteration"] for h in r.history] == list(range(1, 9))  # continued, not from 0
    assert [h["step"] for h in r.history] == list(range(1, 9))
    starts = [e for e in log.read() if e[0] == "start"]
    assert [s[2] for s in starts] == [0, 4]  # the second run began at the checkpoint of step 4
    errors = Path(r.path, "error.txt").read_text()
    assert "Failure # 1" in errors
    expected = {"raise": "RuntimeError: crash at step 5", "exit": "exit code 1", "kill": "killed by SIGKILL"}[how]
    assert expected in errors
    # The result files hold each step once.
    rows = [json.loads(line) for line in Path(r.path, "result.json").read_text().splitlines()]
    assert [row["step"] for row in rows] == list(range(1, 9))
    assert len(Path(r.path, "progress.csv").read_text().splitlines()) == 9


def _faulty(config: dict[str, Any]) -> dict[str, Any]:
    """Trial i: i % 10 == 3 raises always; i in (7, 27) exits, 17 kills itself with SIGKILL and
    37 segfaults, each once (a marker file remembers)."""
    i = config["i"]
    tune.report({"loss": float(i), "phase": 0})
    if i % 10 == 3:
        raise ValueError(f"trial {i} is bad")
    marker = Path(config["dir"]) / f"died_{i}"
    if i in (7, 27, 17, 37) and not marker.exists():
        marker.write_text("x")
        if i in (7, 27):
            os._exit(1)
        if i == 37:
            import ctypes

            ctypes.string_at(0)  # reads address 0: SIGSEGV
        os.kill(os.getpid(), signal.SIGKILL)
    return {"loss": float(i), "phase": 1}


@pytest.mark.parametrize("max_failures", [0, 1])
def test_raising_and_dying_trials_under_max_failures(run_config, tmp_path, max_failures):
    (tmp_path / "markers").mkdir()
    space = {"i": tune.grid_search(list(range(40))), "dir": str(tmp_path / "markers")}
    res = tune.Tuner(_faulty, param_space=space,
                     tune_config=tune.TuneConfig(metric="loss", mode="min", executor="process"),
                     run_config=run_config(failure_config=tune.FailureConfig(max_failures=max_failures))).fit()
    assert len(res) == 40
    by_i = {r.config["i"]: r for r in res}
    raisers = {i for i in range(40) if i % 10 == 3}
    dying = {7, 27, 17, 37}
    for i, r in by_i.items():
        if i in raisers:
            assert r.status == "ERROR"
            assert isinstance(r.error, ValueError) and str(r.error).startswith("trial")
            assert "ValueError: trial" in r.error_text and "Traceback" in r.error_text
            assert Path(r.path, "error.txt").read_text().count("Failure # ") == max_failures + 1
        elif i in dying and max_failures == 0:
            assert r.status == "ERROR"
            expected = {7: "exit code 1", 27: "exit code 1", 17: "killed by SIGKILL", 37: "killed by SIGSEGV"}[i]
            assert f"The worker process running trial {r.path.split('/')[-1]} died: {expected}" in str(r.error)
        else:
            assert r.status == "TERMINATED", (i, r.error)
            assert r.metrics["phase"] == 1
            # A retried trial starts over (no checkpoint): its results are those of the last run.
            assert [h["training_iteration"] for h in r.history] == [1, 2]
    assert len(res.errors) == len(raisers) + (len(dying) if max_failures == 0 else 0)
    assert res.get_best_result().config["i"] == 0


def _fails_at_two(config: dict[str, Any]) -> None:
    if config["i"] == 2:
        raise KeyError("two")
    for _ in range(3):
        tune.report({"loss": float(config["i"])})


def test_fail_fast_stops_the_experiment(run_config, caplog):
    caplog.set_level(logging.ERROR, logger="swifttune.tune")
    res = tune.Tuner(_fails_at_two, param_space={"i": tune.grid_search(list(range(10)))},
                     tune_config=tune.TuneConfig(metric="loss", mode="min", executor="thread", max_concurrent_trials=1),
                     run_config=run_config(failure_config=tune.FailureConfig(fail_fast=True))).fit()
    assert len(res) == 3  # trials 0 and 1 ran, 2 failed, nothing started after
    assert [r.status for r in res] == ["TERMINATED", "TERMINATED", "ERROR"]
    assert "fail_fast=True" in caplog.text


def test_fail_fast_raise_raises_the_trials_error(run_config, executor):
    with pytest.raises(KeyError, match="two"):
        tune.Tuner(_fails_at_two, param_space={"i": tune.grid_search(list(range(6)))},
                   tune_config=tune.TuneConfig(metric="loss", mode="min", executor=executor, max_concurrent_trials=1),
                   run_config=run_config(failure_config=tune.FailureConfig(fail_fast="raise"))).fit()


def _bad_metrics(config: dict[str, Any]) -> None:
    kind = config["kind"]
    if kind == "nan":
        tune.report({"loss": math.nan})
    elif kind == "inf":
        tune.report({"loss": -math.inf})
    elif kind == "missing":
        tune.report({"accuracy": 0.5})
    else:
        tune.report({"loss": 2.0})


def test_nan_inf_and_missing_metrics_are_recorded_but_never_best(run_config, executor, caplog):
    caplog.set_level(logging.WARNING, logger="swifttune.tune")
    res = tune.Tuner(_bad_metrics, param_space={"kind": tune.grid_search(["nan", "inf", "missing", "ok"])},
                     tune_config=tune.TuneConfig(metric="loss", mode="min", executor=executor, max_concurrent_trials=1),
                     run_config=run_config()).fit()
    assert [r.status for r in res] == ["TERMINATED"] * 4
    assert math.isnan(res[0].metrics["loss"]) and res[1].metrics["loss"] == -math.inf
    assert res[2].metrics["accuracy"] == 0.5
    assert res.get_best_result().config["kind"] == "ok"
    assert "without reporting the metric 'loss'" in caplog.text
    assert "finished with loss=nan" in caplog.text


def test_restore_flags(run_config, tmp_path):
    """resume_errored resumes from the checkpoint; restart_errored from the start; unfinished
    trials can be skipped."""
    log = FileLog(tmp_path / "log.jsonl")
    space = {"steps": 6, "crash_at": 3, "how": "raise", "log": log}
    tuner = tune.Tuner(_counter, param_space=space, tune_config=tune.TuneConfig(metric="loss", mode="min", executor="thread"),
                       run_config=run_config(name="flags"))
    res = tuner.fit()
    assert res[0].status == "ERROR"
    path = res.experiment_path
    # Default: the ERROR trial stays.
    again = tune.Tuner.restore(path, _counter).fit()
    assert again[0].status == "ERROR"
    resumed = tune.Tuner.restore(path, _counter, resume_errored=True).fit()
    assert resumed[0].status == "TERMINATED"
    assert [h["step"] for h in resumed[0].history] == [1, 2, 3, 4, 5, 6]
    assert [e[2] for e in log.read() if e[0] == "start"] == [0, 2]
    restarted = tune.Tuner.restore(path, _counter, restart_errored=True).fit()
    assert [h["step"] for h in restarted[0].history] == [1, 2, 3, 4, 5, 6]
    assert [e[2] for e in log.read() if e[0] == "start"] == [0, 2]  # TERMINATED now: not run again
    with pytest.raises(TypeError, match="resume_errored"):
        tune.Tuner.restore(path, _counter, resume_errored="yes")


def test_restore_without_resuming_unfinished_trials(run_config, tmp_path):
    # An experiment state with a trial that was running when the driver stopped.
    res = tune.Tuner(_counter, param_space={"steps": 3},
                     tune_config=tune.TuneConfig(metric="loss", mode="min", executor="thread"),
                     run_config=run_config(name="unfinished")).fit()
    state_path = Path(res.experiment_path) / "experiment_state.json"
    state = json.loads(state_path.read_text())
    trial = state["engine"]["trials"][0]
    trial["status"] = "PENDING"
    trial["searcher_told"] = False
    trial["results"] = trial["results"][:2]
    trial["checkpoint"], trial["checkpoint_results"] = "checkpoint_000001", 2
    state["engine"]["limiter"]["live"] = [trial["id"]]
    searcher_trials = state["engine"]["limiter"]["searcher"]["trials"]
    searcher_trials[0] = {k: v for k, v in searcher_trials[0].items() if k not in ("state", "metric")} | {"state": "pending"}
    state_path.write_text(json.dumps(state))
    skipped = tune.Tuner.restore(res.experiment_path, _counter, resume_unfinished=False).get_results()
    assert skipped[0].status == "TERMINATED" and len(skipped[0].history) == 2
    resumed = tune.Tuner.restore(res.experiment_path, _counter).fit()
    assert [h["step"] for h in resumed[0].history] == [1, 2, 3]


def test_config_validation_names_the_argument():
    with pytest.raises(ValueError, match="max_failures must be 0 if fail_fast=True"):
        tune.FailureConfig(max_failures=2, fail_fast=True)
    with pytest.raises(ValueError, match="fail_fast must be one of"):
        tune.FailureConfig(fail_fast="sometimes")
    with pytest.raises(ValueError, match="num_to_keep"):
        tune.CheckpointConfig(num_to_keep=0)
    with pytest.raises(ValueError, match="checkpoint_score_order"):
        tune.CheckpointConfig(checkpoint_score_order="best")
    with pytest.raises(TypeError, match="failure_config"):
        tune.RunConfig(failure_config={"max_failures": 1})
    with pytest.raises(RuntimeError, match="get_checkpoint"):
        tune.get_checkpoint()


@pytest.mark.slow
def test_readme_fault_tolerance_example(tmp_path):
    """The fault-tolerance example of the Python guide (docs/python.md, linked from the README) runs
    as written (storage under tmp_path), and its restore branch too."""
    import re
    import subprocess
    import sys

    readme = (Path(__file__).resolve().parents[2] / "docs" / "python.md").read_text()
    start = readme.index("## Fault tolerance: checkpoints, retries, restore")
    code = re.search(r"```python\n(.*?)```", readme[start:], re.S)
    assert code is not None
    script = tmp_path / "example.py"
    script.write_text(code.group(1).replace("/tmp/results", str(tmp_path / "results")))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    for _ in range(2):  # the second run restores the finished experiment
        out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().splitlines()[-1].startswith("Checkpoint(filesystem=local, path=")
    trial = next((tmp_path / "results" / "fault_tolerant").glob("train_*"))
    assert sorted(p.name for p in trial.iterdir() if p.name.startswith("checkpoint_")) == \
        ["checkpoint_000098", "checkpoint_000099"]
