"""A class Trainable that checkpoints, fails once and resumes, run with real Ray Tune and with
swifttune (imports swapped): the same iterations, metrics and checkpoints per trial, the original
exception types, and the same automatic result fields."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent('''
    import json, os, sys
    {imports}

    class Model(tune.Trainable):
        def setup(self, config):
            self.x = 0
            self.loaded = None

        def step(self):
            self.x += 1
            marker = os.path.join(self.config["markers"], f"failed_{{self.config['i']}}")
            if self.x == 4 and not os.path.exists(marker):
                open(marker, "w").close()
                raise KeyError("boom")
            result = {{"score": self.x * (self.config["i"] + 1), "loaded": self.loaded}}
            if self.x == 1:
                result[SHOULD_CHECKPOINT] = True
            return result

        def save_checkpoint(self, checkpoint_dir):
            return {{"x": self.x}}

        def load_checkpoint(self, checkpoint):
            self.x = self.loaded = checkpoint["x"]

    class Broken(tune.Trainable):
        def step(self):
            raise ValueError("broken step")

    def function(config):
        for i in range(2):
            tune.report({{"score": i}})

    ray.init(num_cpus=2, configure_logging=False{ray_init_extra})
    store = sys.argv[1]
    results = tune.Tuner(Model, param_space={{"i": tune.grid_search([0, 1]), "markers": sys.argv[2]}},
                         tune_config=tune.TuneConfig(metric="score", mode="max"),
                         run_config=tune.RunConfig(storage_path=store, name="model", verbose=0,
                                                   stop={{"training_iteration": 6}},
                                                   failure_config=tune.FailureConfig(max_failures=1),
                                                   checkpoint_config=tune.CheckpointConfig(checkpoint_frequency=3,
                                                                                           checkpoint_at_end=True))).fit()
    trials = {{}}
    for r in results:
        rows = [json.loads(line) for line in open(os.path.join(r.path, "result.json"))]
        trials[r.config["i"]] = {{
            "failed": r.error is not None,
            "iterations": [row["training_iteration"] for row in rows],
            "scores": [row["score"] for row in rows],
            "loaded": [row["loaded"] for row in rows],
            "since_restore": [row["iterations_since_restore"] for row in rows],
            "checkpoints": sorted(p for p in os.listdir(r.path) if p.startswith("checkpoint_")),
            "best_checkpoints": len(r.best_checkpoints),
            "keys": sorted(rows[0]),
        }}
    broken = tune.Tuner(Broken, param_space={{"a": 0}}, tune_config=tune.TuneConfig(metric="score", mode="max"), run_config=tune.RunConfig(storage_path=store, name="broken", verbose=0)).fit()[0]
    fn = tune.Tuner(function, param_space={{"a": 0}}, tune_config=tune.TuneConfig(metric="score", mode="max"), run_config=tune.RunConfig(storage_path=store, name="fn", verbose=0)).fit()[0]
    fn_rows = [json.loads(line) for line in open(os.path.join(fn.path, "result.json"))]
    out = {{"trials": {{str(k): v for k, v in sorted(trials.items())}},
           "broken_is_value_error": isinstance(broken.error, ValueError), "broken_failed": broken.error is not None,
           "function_keys": sorted(fn_rows[0]), "function_done": [row["done"] for row in fn_rows]}}
    print("PARITY" + json.dumps(out))
''')

RAY_IMPORTS = """
import ray
from ray import tune
from ray.tune.result import SHOULD_CHECKPOINT
"""
SWIFTTUNE_IMPORTS = """
import swifttune as ray
from swifttune import tune
from swifttune.tune.result import SHOULD_CHECKPOINT
"""


def run(imports: str, tmp_path: Path, extra: str = "") -> dict:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "markers").mkdir()
    script = tmp_path / "script.py"
    script.write_text(SCRIPT.format(imports=imports, ray_init_extra=extra))
    env = dict(os.environ, RAY_DEDUP_LOGS="0", PYTHONWARNINGS="ignore", HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "results"), str(tmp_path / "markers")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = [l for l in proc.stdout.splitlines() if l.startswith("PARITY")][-1]
    return json.loads(line[len("PARITY"):])


def test_class_trainable_checkpoints_fails_and_resumes_like_ray(tmp_path: Path) -> None:
    ray_out = run(RAY_IMPORTS, tmp_path / "ray", extra=", log_to_driver=False, include_dashboard=False")
    st_out = run(SWIFTTUNE_IMPORTS, tmp_path / "swifttune")
    for i in ("0", "1"):
        ray_t, st_t = ray_out["trials"][i], st_out["trials"][i]
        for key in ("failed", "iterations", "scores", "loaded", "since_restore", "checkpoints", "best_checkpoints",
                    "keys"):
            assert st_t[key] == ray_t[key], (i, key, st_t[key], ray_t[key])
    assert st_out["broken_is_value_error"] and ray_out["broken_is_value_error"]
    assert st_out["broken_failed"] and ray_out["broken_failed"]
    # The automatic fields of a function trainable's rows (Ray documents none of these as internal).
    assert st_out["function_keys"] == ray_out["function_keys"]
