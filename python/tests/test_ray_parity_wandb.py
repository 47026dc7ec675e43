"""Ray's Weights & Biases integration, parity with real Ray Tune 2.53: one script, run with Ray and
with swifttune (imports swapped), with wandb offline, leaves the same W&B runs: ``WandbLoggerCallback``
(twice: Ray's defaults with ``upload_checkpoints``, and ``group``, ``excludes``, ``log_config``) on a
small grid with a failing trial, and ``setup_wandb`` in a trainable. Compared per trial (by its
configuration): the run's id, name (the trial's), group, project, the keys of its first config and of
its config after the updates, every logged step with its keys and deterministic values, the
checkpoint artifacts, and that it was finished. Run ids (Ray's random trial ids, swifttune's
``trial_00000``) and times are compared only with what each script's own trials were. Ray's and
swifttune's ``_clean_log``, allowed types and result split are also compared value by value.

Needs `ray[tune]` and `wandb` in the test environment (`make test` installs them).
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from ray_scripts import run_parity_script
from wandb_files import read_runs

pytestmark = pytest.mark.ray

SCRIPT = textwrap.dedent('''
    import json, os, sys, tempfile
    {imports}

    root = sys.argv[1]
    os.makedirs(os.path.join(root, "inside"))  # (wandb.init with resume=True needs its dir)
    seen = {{}}

    class Trials(Callback):
        def __init__(self, name):
            self.name = name

        def on_trial_start(self, iteration, trials, trial, **info):
            seen.setdefault(self.name, {{}})[str(trial.config["x"])] = [trial.trial_id, str(trial)]

    def steps(config):
        for i in range(3):
            if config["x"] == 3 and i == 1:
                raise ValueError("x=3 fails")
            checkpoint = None
            if i == 1:
                d = tempfile.mkdtemp()
                with open(os.path.join(d, "model.txt"), "w") as f:
                    f.write(str(config["x"]))
                checkpoint = Checkpoint.from_directory(d)
            tune.report({{"loss": config["x"] * 10 + i, "nested": {{"a": i}}, "text": "not logged", "flag": i == 2}},
                        checkpoint=checkpoint)

    def with_setup(config):
        kwargs = {{"group": "mine"}} if config["x"] == 2 else {{}}
        run = setup_wandb(config, project="inside", dir=os.path.join(root, "inside"), **kwargs)
        for i in range(2):
            run.log({{"inner": config["x"] + i}})
            tune.report({{"loss": config["x"] + i}})
        run.finish()

    ray.init(num_cpus=2, configure_logging=False{ray_init_extra})
    plain = WandbLoggerCallback(project="parity", dir=os.path.join(root, "plain"), upload_checkpoints=True)
    options = WandbLoggerCallback(project="parity", dir=os.path.join(root, "options"), group="custom",
                                  excludes=["nested", "time_this_iter_s", "fixed"], log_config=True)
    tune.Tuner(steps, param_space={{"x": tune.grid_search([1, 2, 3]), "fixed": {{"b": 3}}}},
               run_config=tune.RunConfig(storage_path=os.path.join(root, "results"), name="cb", verbose=0,
                                         callbacks=[Trials("cb"), plain, options])).fit()
    tune.Tuner(with_setup, param_space={{"x": tune.grid_search([1, 2])}},
               run_config=tune.RunConfig(storage_path=os.path.join(root, "results"), name="inside", verbose=0,
                                         callbacks=[Trials("inside")])).fit()
    print("PARITY" + json.dumps({{"seen": seen, "root": root}}))
''')

RAY_IMPORTS = """
import ray
from ray import tune
from ray.tune import Callback, Checkpoint
from ray.air.integrations.wandb import WandbLoggerCallback, setup_wandb
"""
SWIFTTUNE_IMPORTS = """
import swifttune as ray
from swifttune import tune
from swifttune.tune import Callback, Checkpoint
from swifttune.air.integrations.wandb import WandbLoggerCallback, setup_wandb
"""

# Logged values that are the same in every run of the script (the rest are times and dates).
_DETERMINISTIC = {"loss", "nested/a", "flag", "training_iteration", "iterations_since_restore", "config/x",
                  "config/fixed/b", "inner"}


def _view(run: dict[str, Any], trials: dict[str, list[str]]) -> dict[str, Any]:
    """A run as both frameworks should leave it, with its id and name checked against the trial."""
    trial_id, trial_name = trials[str(run["init_config"]["x"])]
    return {
        "x": run["init_config"]["x"], "id_is_trial_id": run["id"] == trial_id,
        "name_is_trial_name": run["name"] == trial_name,
        "group": run["group"], "project": run["project"], "finished": run["finished"],
        "init_config": sorted(run["init_config"]), "config": sorted(run["config"]),
        "fixed": run["config"].get("fixed"),
        "history": [[r["step"], sorted(r), {k: v for k, v in r.items() if k in _DETERMINISTIC}] for r in run["history"]],
        "artifacts": [[a["name"] == f"checkpoint_{trial_name}", a["type"], a["files"]] for a in run["artifacts"]],
    }


def _runs(out: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    root, seen = Path(out["root"]), out["seen"]
    return {where: sorted((_view(r, seen["inside" if where == "inside" else "cb"]) for r in read_runs(root / where)),
                          key=lambda v: v["x"])
            for where in ("plain", "options", "inside")}


def _incomplete(out: dict[str, Any]) -> list[str]:
    """The W&B run files the script left without their run record (the file's header alone)."""
    root = Path(out["root"])
    return [r["path"] for where in ("plain", "options", "inside") for r in read_runs(root / where) if "init_config" not in r]


RAY_ATTEMPTS = 3
"""Ray's runs of the script: its logging actor of a trial that fails at once is sometimes ended
before wandb writes the run file's first record (seen once in 4 runs here, Ray 2.53 and wandb
0.31: a 7-byte file). That is Ray's race, not what this test compares, so Ray's side runs again
then; swifttune's side runs once and must leave every file whole."""


@pytest.mark.slow
def test_the_same_script_leaves_the_runs_ray_leaves(tmp_path, monkeypatch):
    pytest.importorskip("ray")
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")  # (HOME is the test's own: wandb's settings and caches)
    for attempt in range(RAY_ATTEMPTS):
        ray_out = run_parity_script(SCRIPT.format(imports=RAY_IMPORTS, ray_init_extra=", include_dashboard=False"),
                                    tmp_path / f"ray{attempt}")
        if not _incomplete(ray_out):
            break
    else:
        pytest.fail(f"Ray left incomplete W&B run files in each of {RAY_ATTEMPTS} runs: {_incomplete(ray_out)}")
    ours = run_parity_script(SCRIPT.format(imports=SWIFTTUNE_IMPORTS, ray_init_extra=""), tmp_path / "swifttune")
    assert set(ours) == set(ray_out)
    assert not _incomplete(ours), f"swifttune left incomplete W&B run files: {_incomplete(ours)}"
    theirs, mine = _runs(ray_out), _runs(ours)
    assert [v["x"] for v in mine["plain"]] == [1, 2, 3] and [v["x"] for v in mine["inside"]] == [1, 2]
    assert all(v["id_is_trial_id"] and v["name_is_trial_name"] and v["finished"] for vs in mine.values() for v in vs)
    assert mine["plain"][0]["group"] == "cb" and mine["options"][0]["group"] == "custom"
    for where in ("plain", "options", "inside"):
        assert json.dumps(mine[where], sort_keys=True) == json.dumps(theirs[where], sort_keys=True), where


def _samples() -> list[Any]:
    import numpy as np

    return [1, 2.5, True, None, "text", "12", "1.5", np.float32(1.5), np.int64(3), np.array([4.0]), np.array([1, 2]),
            [], [1, 2], (1, "a"), {1, 2}, {"a": {"b": [1, None]}}, object, lambda: 0, complex(1, 2),
            np.zeros((4, 4, 3), dtype=np.uint8)]


def test_clean_log_and_result_split_are_rays():
    pytest.importorskip("wandb")
    from ray.air.integrations import wandb as theirs

    from swifttune.air._internal.wandb_logging import split_result
    from swifttune.air.integrations import wandb as ours

    def shown(v: Any) -> Any:
        if type(v).__name__ == "Image":
            return ["Image", v._width, v._height]
        if isinstance(v, (list, tuple)):
            return [type(v).__name__, [shown(x) for x in v]]
        if isinstance(v, dict):
            return {k: shown(x) for k, x in v.items()}
        return [type(v).__name__, v if isinstance(v, (int, float, str, type(None))) else repr(v)[:20]]

    for value in _samples():
        assert ours._is_allowed_type(value) == theirs._is_allowed_type(value), value
        assert shown(ours._clean_log(value)) == shown(theirs._clean_log(value)), value

    class Actor:  # what Ray's logging actor's _handle_result reads of itself
        _exclude = {"done", "config", "skip"}
        _to_config = set(theirs.WandbLoggerCallback.AUTO_CONFIG_KEYS)

    result = {"loss": 1.0, "done": False, "config": {"x": 1, "callbacks": "c"}, "skip": {"a": 1}, "skipper": 2,
              "nested": {"deep": {"v": 3}, "t": "text"}, "trial_id": "t1", "pid": 5, "date": "d", "flag": True}
    assert split_result(result, Actor._exclude, Actor._to_config) == \
        theirs._WandbLoggingActor._handle_result(Actor(), result)
