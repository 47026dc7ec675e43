"""Class trainables as in Ray Tune: checkpoints by frequency, at the end and forced (by the result or
by a callback), saved by the worker and attached by the engine; retries and Tuner.restore resume from
them; reuse_actors and reset_config; module state between trials; log_to_file; the original error;
the automatic result fields; and Ray's example ``custom_checkpointing_with_callback.py``."""
from __future__ import annotations

import inspect
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from swifttune import tune
from swifttune.tune.error import TuneError
from swifttune.tune.result import SHOULD_CHECKPOINT

from helpers import tc

_setups = 0  # module state: how many trainables this process set up


class Counter(tune.Trainable):
    """Counts up; fails once at ``fail_at`` (a marker file says it did); checkpoints as a dict."""

    def setup(self, config: dict[str, Any]) -> None:
        global _setups
        _setups += 1
        self.setups_here = _setups
        self.x = 0
        self.loaded: Any = None

    def step(self) -> dict[str, Any]:
        self.x += 1
        c = self.config
        if c.get("fail_at") == self.x and not os.path.exists(c["marker"]):
            open(c["marker"], "w").close()
            raise KeyError("boom")
        r: dict[str, Any] = {"score": self.x, "loaded": self.loaded, "setups_here": self.setups_here}
        if c.get("force_at") == self.x:
            r[SHOULD_CHECKPOINT] = True
        if c.get("print"):
            print(f"out {self.x}")
            print(f"err {self.x}", file=sys.stderr)
        return r

    def save_checkpoint(self, checkpoint_dir: str) -> dict[str, Any]:
        return {"x": self.x}

    def load_checkpoint(self, checkpoint: Any) -> None:
        self.x = checkpoint["x"]
        self.loaded = checkpoint["x"]


class DirCounter(Counter):
    """Checkpoints into the directory instead of a dict."""

    def save_checkpoint(self, checkpoint_dir: str) -> None:  # type: ignore[override]
        Path(checkpoint_dir, "x.json").write_text(json.dumps(self.x))

    def load_checkpoint(self, checkpoint: Any) -> None:
        assert isinstance(checkpoint, str)
        self.x = self.loaded = json.loads(Path(checkpoint, "x.json").read_text())


class Resettable(Counter):
    def reset_config(self, new_config: dict[str, Any]) -> bool:
        self.x = 0
        return bool(new_config.get("can_reset", True))


def _fit(trainable: Any, executor: Any, run_config: Any, stop: int = 5, space: Any = None, **rc: Any) -> Any:
    return tune.Tuner(trainable, param_space=space or {"a": 0}, tune_config=tc(executor, metric="score", mode="max"),
                      run_config=run_config(stop={"training_iteration": stop}, **rc)).fit()


def _checkpoints(result: Any) -> list[str]:
    return sorted(p.name for p in Path(result.path).iterdir() if p.name.startswith("checkpoint_"))


def test_checkpoint_by_frequency_and_at_end(executor: Any, run_config: Any) -> None:
    res = _fit(Counter, executor, run_config, checkpoint_config=tune.CheckpointConfig(checkpoint_frequency=2))
    r = res[0]
    assert _checkpoints(r) == ["checkpoint_000000", "checkpoint_000001"]  # after iterations 2 and 4
    assert r.checkpoint.path.endswith("checkpoint_000001")
    assert [m["score"] for _, m in r.best_checkpoints] == [2, 4]
    res = _fit(DirCounter, executor, run_config,
               checkpoint_config=tune.CheckpointConfig(checkpoint_frequency=2, checkpoint_at_end=True))
    r = res[0]
    assert len(_checkpoints(r)) == 3  # 2, 4 and the end (5)
    assert json.loads(Path(r.checkpoint.path, "x.json").read_text()) == 5
    assert r.get_best_checkpoint("score", "min").path.endswith("checkpoint_000000")
    rows = [json.loads(line) for line in Path(r.path, "result.json").read_text().splitlines()]
    assert [row["training_iteration"] for row in rows] == [1, 2, 3, 4, 5] and rows[-1]["done"] is True


def test_checkpoint_forced_by_result_and_by_callback(executor: Any, run_config: Any) -> None:
    class Force(tune.Callback):
        def on_trial_result(self, iteration: int, trials: Any, trial: Any, result: dict[str, Any], **info: Any) -> None:
            if result["training_iteration"] == 1:
                result[SHOULD_CHECKPOINT] = True

    res = _fit(Counter, executor, run_config, stop=4, space={"force_at": 3}, callbacks=[Force()])
    r = res[0]
    assert [m["score"] for _, m in r.best_checkpoints] == [1, 3]
    rows = [json.loads(line) for line in Path(r.path, "result.json").read_text().splitlines()]
    assert rows[0][SHOULD_CHECKPOINT] is True and rows[2][SHOULD_CHECKPOINT] is True  # as Ray logs them


def test_fail_once_and_resume_from_checkpoint(executor: Any, run_config: Any, tmp_path: Path) -> None:
    space = {"fail_at": 4, "marker": str(tmp_path / "failed")}
    res = _fit(Counter, executor, run_config, stop=6, space=space, failure_config=tune.FailureConfig(max_failures=1),
               checkpoint_config=tune.CheckpointConfig(checkpoint_frequency=3))
    r = res[0]
    assert r.status == "TERMINATED" and r.error is None
    h = r.metrics_dataframe
    assert list(h["training_iteration"]) == [1, 2, 3, 4, 5, 6]
    assert list(h["score"]) == [1, 2, 3, 4, 5, 6]
    assert list(h["loaded"].fillna(0)) == [0, 0, 0, 3, 3, 3]  # resumed from the checkpoint after iteration 3
    assert list(h["iterations_since_restore"]) == [1, 2, 3, 1, 2, 3]


def test_restore_after_the_driver_stopped(run_config: Any, tmp_path: Path) -> None:
    once = tmp_path / "crashed"

    class Crash(tune.Callback):
        """Stops the driver once (the restored Tuner has it again, as Ray's pickle keeps callbacks)."""

        def on_trial_result(self, iteration: int, trials: Any, trial: Any, result: dict[str, Any], **info: Any) -> None:
            if result["training_iteration"] == 3 and not once.exists():
                once.touch()
                raise RuntimeError("the driver stops")

    cc = tune.CheckpointConfig(checkpoint_frequency=2)
    with pytest.raises(RuntimeError, match="the driver stops"):
        tune.Tuner(Counter, param_space={"a": 0}, tune_config=tc("process", metric="score", mode="max", reuse_actors=True),
                   run_config=run_config(stop={"training_iteration": 5}, name="restored", callbacks=[Crash()],
                                         checkpoint_config=cc, log_to_file=("o", "e"))).fit()
    path = tmp_path / "results" / "restored"
    assert tune.Tuner.can_restore(path)
    tuner = tune.Tuner.restore(str(path), Counter)
    assert tuner.run_config.log_to_file == ("o", "e") and tuner.tune_config.reuse_actors is True
    r = tuner.fit()[0]
    assert r.status == "TERMINATED"
    assert list(r.metrics_dataframe["training_iteration"]) == [1, 2, 3, 4, 5]
    assert r.metrics["loaded"] == 2 and r.metrics["score"] == 5



class _Ranked(Counter):
    def step(self) -> dict[str, Any]:
        r = super().step()
        r["score"] = self.x * (self.config["i"] + 1)
        return r


def test_paused_trials_resume_from_the_pause_checkpoint(executor: Any, run_config: Any) -> None:
    from swifttune.tune.schedulers import MedianStoppingRule

    sched = MedianStoppingRule(time_attr="training_iteration", grace_period=1, min_samples_required=1,
                               hard_stop=False, min_time_slice=0)
    res = tune.Tuner(_Ranked, param_space={"i": tune.grid_search(list(range(6)))},
                     tune_config=tc(executor, metric="score", mode="min", scheduler=sched, max_concurrent_trials=2),
                     run_config=run_config(stop={"training_iteration": 6})).fit()
    resumed = 0
    for r in res:
        h = r.metrics_dataframe
        assert r.status == "TERMINATED" and list(h["training_iteration"]) == [1, 2, 3, 4, 5, 6]
        assert list(h["score"]) == [x * (r.config["i"] + 1) for x in range(1, 7)]
        resumed += any(v == v and v is not None for v in h["loaded"])  # a paused trial loaded its checkpoint
    assert resumed >= 1


@pytest.mark.parametrize("can_reset", [True, False])
def test_reuse_actors_resets_the_trainable(executor: Any, run_config: Any, can_reset: bool) -> None:
    res = tune.Tuner(Resettable, param_space={"i": tune.grid_search([0, 1, 2, 3]), "can_reset": can_reset},
                     tune_config=tc(executor, metric="score", mode="max", reuse_actors=True, max_concurrent_trials=1),
                     run_config=run_config(stop={"training_iteration": 2})).fit()
    assert len(res) == 4 and not res.errors, [r.error_text for r in res]
    assert all(r.metrics["score"] == 2 for r in res)
    setups = [r.metrics["setups_here"] for r in sorted(res, key=lambda r: r.config["i"])]
    if can_reset:
        assert len(set(setups)) == 1  # one trainable, reset for each trial
    else:
        assert len(set(setups)) == 4


@pytest.mark.parametrize("reuse", [False, True])
def test_module_state_between_trials(run_config: Any, reuse: bool) -> None:
    res = tune.Tuner(Counter, param_space={"i": tune.grid_search(list(range(4)))},
                     tune_config=tc("process", metric="score", mode="max", reuse_actors=reuse, max_concurrent_trials=1),
                     run_config=run_config(stop={"training_iteration": 1})).fit()
    setups = sorted(r.metrics["setups_here"] for r in res)
    pids = {r.metrics["pid"] for r in res}
    if reuse:
        assert setups == list(range(setups[0], setups[0] + 4)) and len(pids) == 1  # one process: its state carries over
    else:
        assert setups == [1, 1, 1, 1] and len(pids) == 4  # a new process per trial, as Ray's actors


@pytest.mark.parametrize("log_to_file", [True, "both.log", ("o.txt", "e.txt")])
def test_log_to_file(executor: Any, run_config: Any, log_to_file: Any) -> None:
    r = _fit(Counter, executor, run_config, stop=2, space={"print": True}, log_to_file=log_to_file)[0]
    d = Path(r.path)
    if log_to_file is True:
        assert (d / "stdout").read_text() == "out 1\nout 2\n" and (d / "stderr").read_text() == "err 1\nerr 2\n"
    elif isinstance(log_to_file, str):
        assert (d / "both.log").read_text() == "out 1\nerr 1\nout 2\nerr 2\n"
    else:
        assert (d / "o.txt").read_text() == "out 1\nout 2\n" and (d / "e.txt").read_text() == "err 1\nerr 2\n"


class _Unpicklable(Exception):
    def __reduce__(self) -> Any:
        raise TypeError("no pickling")


def _raises_key_error(config: dict[str, Any]) -> None:
    tune.report({"score": 1})
    if config["kind"] == "key":
        raise KeyError("missing")
    raise _Unpicklable("odd")


def test_result_error_is_the_original_exception(executor: Any, run_config: Any) -> None:
    res = tune.Tuner(_raises_key_error, param_space={"kind": tune.grid_search(["key", "odd"])},
                     tune_config=tc(executor, metric="score", mode="max"), run_config=run_config()).fit()
    by = {r.config["kind"]: r for r in res}
    assert isinstance(by["key"].error, KeyError) and by["key"].error.args == ("missing",)
    odd = by["odd"].error
    assert isinstance(odd, (TuneError, _Unpicklable))
    if isinstance(odd, TuneError):
        assert "Traceback" in str(odd) and "odd" in str(odd)
    assert len(res.errors) == 2


RAY_FUNCTION_KEYS = {"score", "timestamp", "checkpoint_dir_name", "done", "training_iteration", "trial_id", "date",
                     "time_this_iter_s", "time_total_s", "pid", "hostname", "node_ip", "config", "time_since_restore",
                     "iterations_since_restore"}
"""The keys of a result.json row Ray 2.53 writes for ``tune.report({"score": ...})``."""


def _function(config: dict[str, Any]) -> None:
    for i in range(2):
        tune.report({"score": i})


def test_automatic_result_fields(executor: Any, run_config: Any) -> None:
    r = tune.Tuner(_function, param_space={"a": 0}, tune_config=tc(executor, metric="score", mode="max"), run_config=run_config()).fit()[0]
    rows = [json.loads(line) for line in Path(r.path, "result.json").read_text().splitlines()]
    assert all(set(row) == RAY_FUNCTION_KEYS for row in rows), rows[0]
    assert rows[1]["iterations_since_restore"] == 2 and rows[0]["checkpoint_dir_name"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d", rows[0]["date"])
    r = _fit(Counter, executor, run_config, stop=2)[0]
    rows = [json.loads(line) for line in Path(r.path, "result.json").read_text().splitlines()]
    ray_class_keys = RAY_FUNCTION_KEYS - {"checkpoint_dir_name"} | {"loaded", "setups_here"}
    assert all(set(row) == ray_class_keys for row in rows), rows[0]
    if executor != "thread":
        assert rows[0]["pid"] != os.getpid()


def test_function_trainables_cannot_take_class_checkpoint_settings(run_config: Any) -> None:
    for cc, text in [(tune.CheckpointConfig(checkpoint_at_end=True), "'checkpoint_at_end' cannot be used"),
                     (tune.CheckpointConfig(checkpoint_frequency=2), "'checkpoint_frequency' cannot be set")]:
        with pytest.raises(ValueError, match=text):
            tune.Tuner(_function, param_space={"a": 0}, tune_config=tc(metric="score", mode="max"),
                       run_config=run_config(checkpoint_config=cc)).fit()
    with pytest.raises(ValueError, match="checkpoint_frequency must be >=0"):
        tune.CheckpointConfig(checkpoint_frequency=-1)


def test_trial_objects_carry_rays_attributes(run_config: Any) -> None:
    seen: list[Any] = []

    class Look(tune.Callback):
        def on_trial_complete(self, iteration: int, trials: Any, trial: Any, **info: Any) -> None:
            seen.append(trial)

    names: list[Any] = []

    def name(trial: Any) -> str:
        names.append((trial.trainable_name, trial.trial_id, dict(trial.config), trial.experiment_tag))
        return f"t_{trial.trial_id}"

    _fit(Counter, "thread", run_config, stop=1, space={"a": 3},
         checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=True), callbacks=[Look()])
    t = seen[0]
    assert t.trainable_name == "Counter" and t.status == "TERMINATED" and t.config == {"a": 3}
    assert str(t) == t.trial_name and t.path == t.local_path and Path(t.path).is_dir()
    assert t.last_result["score"] == 1 and t.checkpoint is not None and t.experiment_tag.startswith("0")
    tune.Tuner(Counter, param_space={"a": 3}, tune_config=tc(metric="score", mode="max", trial_name_creator=name),
               run_config=run_config(stop={"training_iteration": 1})).fit()
    assert names and names[0][0] == "Counter" and names[0][2] == {"a": 3} and names[0][3] == "0_a=3"


def test_trainable_used_directly(tmp_path: Path) -> None:
    t = Counter({"a": 1})
    assert t.trial_id == "default" and t.get_config() == {"a": 1} and os.path.isdir(t.logdir)
    r = t.train()
    assert r["training_iteration"] == 1 and r["done"] is False and r["config"] == {"a": 1} and t.iteration == 1
    t.train()
    ckpt = t.save(str(tmp_path / "c"))
    u = Counter({"a": 1})
    u.restore(ckpt.path)
    assert u.x == 2 and u.training_iteration == 2 and u.train()["training_iteration"] == 3
    assert list(inspect.signature(tune.Trainable.__init__).parameters) == ["self", "config", "logger_creator", "storage"]
    assert list(inspect.signature(tune.Trainable.save).parameters) == ["self", "checkpoint_dir"]
    assert list(inspect.signature(tune.Trainable.restore).parameters) == ["self", "checkpoint_path"]
    with pytest.raises(NotImplementedError, match="logger_creator"):
        Counter({}, logger_creator=lambda c: None)


def test_rays_custom_checkpointing_example_runs(tmp_path: Path) -> None:
    """Ray's example, copied from the installed ray package with only its imports rewritten."""
    ray_tune = pytest.importorskip("ray.tune")
    source = Path(ray_tune.__file__).parent / "examples" / "custom_checkpointing_with_callback.py"
    text = source.read_text()
    for old, new in [("from ray import tune", "from swifttune import tune"),
                     ("from ray.tune import Callback", "from swifttune.tune import Callback"),
                     ("from ray.tune.result import SHOULD_CHECKPOINT", "from swifttune.tune.result import SHOULD_CHECKPOINT")]:
        assert old in text
        text = text.replace(old, new)
    assert "ray" not in "".join(line for line in text.splitlines() if line.startswith(("import", "from")))
    script = tmp_path / "custom_checkpointing_with_callback.py"
    script.write_text(text)
    env = dict(os.environ, HOME=str(tmp_path), PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, str(script), "--smoke-test"], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.stdout.count("Checkpoint saved at step 1") == 3
    assert re.search(r"Best checkpoint: Checkpoint\(filesystem=local, path=.*checkpoint_000000\)", proc.stdout)
    exp = tmp_path / "swifttune_results" / "smart_checkpoint_test"
    assert sorted(len([p for p in d.iterdir() if p.name.startswith("checkpoint_")]) for d in exp.iterdir() if d.is_dir()) == [1, 1, 1]


class _EndsItself(Counter):
    def step(self) -> dict[str, Any]:
        r = super().step()
        r["done"] = self.x == 3
        return r


def test_checkpoint_at_end_when_the_trainable_ends_itself(run_config: Any) -> None:
    r = tune.Tuner(_EndsItself, param_space={"a": 0}, tune_config=tc("thread", metric="score", mode="max"),
                   run_config=run_config(checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=True))).fit()[0]
    assert r.metrics["training_iteration"] == 3 and r.metrics["done"] is True
    assert _checkpoints(r) == ["checkpoint_000000"]


@pytest.mark.ray
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Ray's Trainable used directly: its loggers
def test_my_trainable_class_matches_rays(tmp_path: Path) -> None:
    """``ray.tune.utils.mock_trainable.MyTrainableClass`` (the trainable of Ray's examples): the same
    steps from the same config, bit for bit, the same checkpoint file, a save / load round trip that
    goes on from the saved step (in both directions), and the same failures (``mock_error``)."""
    pytest.importorskip("ray")
    from ray.tune.utils import mock_trainable as ray_mock

    from swifttune.tune.utils import mock_trainable as our_mock
    from swifttune.tune.utils.mock_trainable import MyTrainableClass

    assert (our_mock.MOCK_TRAINABLE_NAME, our_mock.MOCK_ERROR_KEY) == (ray_mock.MOCK_TRAINABLE_NAME,
                                                                       ray_mock.MOCK_ERROR_KEY)
    made: list[Any] = []

    def both(config: dict[str, Any]) -> tuple[Any, Any]:
        pair = (MyTrainableClass(config=dict(config)), ray_mock.MyTrainableClass(config=dict(config)))
        made.extend(pair)
        return pair

    mine, ray_dir = tmp_path / "ours", tmp_path / "ray"
    for config in ({}, {"width": 10, "height": 50}, {"width": 37, "height": 0.73}, {"width": 89, "height": 99},
                   {"height": -4.5}):
        ours, theirs = both(config)
        assert ours.train()["episode_reward_mean"] == theirs.train()["episode_reward_mean"], config
        steps = [ours.step() for _ in range(150)]
        assert steps == [theirs.step() for _ in range(150)], config  # bit for bit: numpy's tanh, as Ray
        assert all(set(r) == {"episode_reward_mean"} for r in steps)

        # Ours saves, Ray's loads, and the other way round: the same file, the same next step.
        for d in (mine, ray_dir):
            d.mkdir(exist_ok=True)
        ours.save_checkpoint(str(mine))
        theirs.save_checkpoint(str(ray_dir))
        assert (mine / "checkpoint").read_text() == (ray_dir / "checkpoint").read_text() == '{"timestep": 151}'
        fresh_ours, fresh_theirs = both(config)
        fresh_ours.load_checkpoint(str(ray_dir))
        fresh_theirs.load_checkpoint(str(mine))
        assert fresh_ours.restored and fresh_theirs.restored and fresh_ours.timestep == fresh_theirs.timestep == 151
        assert fresh_ours.step() == fresh_theirs.step() == ours.step()

    # Through the Trainable API (save / restore): the step count and the counters come back.
    ours, theirs = both({"width": 5, "height": 2})
    for _ in range(4):
        assert ours.train()["episode_reward_mean"] == theirs.train()["episode_reward_mean"]
    restored, ray_restored = both({"width": 5, "height": 2})
    restored.restore(ours.save(str(tmp_path / "api")))
    ray_restored.restore(theirs.save())
    assert restored.restored and restored.timestep == ray_restored.timestep == 4
    assert restored.iteration == ray_restored.iteration == 4
    assert restored.train()["episode_reward_mean"] == ray_restored.train()["episode_reward_mean"] == \
        ours.train()["episode_reward_mean"]

    # mock_error: the first step succeeds, then it fails until restored (always, with persistent_error).
    for persistent in (False, True):
        pair = both({ray_mock.MOCK_ERROR_KEY: True, "persistent_error": persistent, "height": 3})
        assert pair[0].step() == pair[1].step()
        for t in pair:
            with pytest.raises(RuntimeError, match=r"^Failing on purpose! self.timestep=1$"):
                t.step()
            t.load_checkpoint(str(mine))
        if persistent:
            for t in pair:
                with pytest.raises(RuntimeError, match=r"^Failing on purpose! self.timestep=151$"):
                    t.step()
        else:
            assert pair[0].step() == pair[1].step() == {"episode_reward_mean": pytest.approx(3 * math.tanh(152))}
    for t in made:
        t.stop()
