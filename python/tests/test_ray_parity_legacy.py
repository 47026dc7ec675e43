"""Ray Tune's legacy API side by side: the same tune.run script (grid search, a CLIReporter,
verbose=None, file:// storage) run with real Ray Tune and with swifttune (imports swapped); the
ExperimentAnalysis answers and the reporter's columns must agree. And every public parameter of
Ray's entry points and configs exists in swifttune's.

Needs `ray[tune]` and `pandas` in the test environment (`make test` installs them).
"""
from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ray]

SCRIPT = textwrap.dedent('''
    import json, sys
    {imports}

    def objective(config):
        for step in range(3):
            tune.report({{"loss": config["x"] * 10 - step, "acc": step / 2 + config["x"] / 100}})  # no ties: one best trial by acc

    ray.init(num_cpus=2, configure_logging=False)
    reporter = tune.CLIReporter(metric_columns={{"loss": "Loss", "acc": "acc"}}, parameter_columns=["x"])
    a = tune.run(objective, config={{"x": tune.grid_search([1, 2, 3]), "c": 7}}, metric="loss", mode="min",
                 storage_path="file://" + sys.argv[1], name="legacy", progress_reporter=reporter)
    b = tune.ExperimentAnalysis(a.experiment_path, default_metric="acc", default_mode="max")
    out = {{
        "best_config": a.best_config,
        "best_loss": a.best_result["loss"],
        "best_iteration": a.best_result["training_iteration"],
        "results_df_columns": sorted(a.results_df.columns),
        "results_df_index": a.results_df.index.name,
        "trial_dataframe_lengths": sorted(len(df) for df in a.trial_dataframes.values()),
        "trial_dataframe_columns": sorted(next(iter(a.trial_dataframes.values())).columns),
        "dataframe_len": len(a.dataframe("loss", "min")),
        "dataframe_min_loss": sorted(a.dataframe("loss", "min")["loss"].tolist()),
        "statuses": sorted(t.status for t in a.trials),
        "configs": sorted(c["x"] for c in a.get_all_configs().values()),
        "experiment_path": a.experiment_path,
        "from_folder_best": b.best_config,
        "best_trial_scope_all": a.get_best_trial("loss", "max", scope="all").config["x"],
    }}
    print("PARITY" + json.dumps(out))
''')

RAY_IMPORTS = "import ray\nfrom ray import tune\n"
SWIFTTUNE_IMPORTS = "import swifttune as ray\nfrom swifttune import tune\n"


def run(imports: str, tmp_path: Path) -> tuple[dict, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    script = tmp_path / "script.py"
    script.write_text(SCRIPT.format(imports=imports))
    # Ray 2.53 uses a passed ProgressReporter only with its legacy output engine.
    env = dict(os.environ, RAY_DEDUP_LOGS="0", PYTHONWARNINGS="ignore", RAY_AIR_NEW_OUTPUT="0")
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "results")], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    line = [l for l in proc.stdout.splitlines() if l.startswith("PARITY")][-1]
    return json.loads(line[len("PARITY"):]), proc.stdout


def header(stdout: str) -> list[str]:
    lines = [l for l in stdout.splitlines() if l.startswith("| Trial name")]
    assert lines, stdout[-3000:]
    return [c.strip() for c in lines[-1].strip("|").split("|")]


@pytest.mark.slow
def test_tune_run_and_analysis_answer_as_ray(tmp_path):
    ray_out, ray_stdout = run(RAY_IMPORTS, tmp_path / "ray")
    st_out, st_stdout = run(SWIFTTUNE_IMPORTS, tmp_path / "swifttune")
    for key in ("best_config", "best_loss", "best_iteration", "results_df_index", "trial_dataframe_lengths",
                "dataframe_len", "dataframe_min_loss", "statuses", "configs", "from_folder_best",
                "best_trial_scope_all"):
        assert st_out[key] == ray_out[key], key
    assert ray_out["experiment_path"] == str(tmp_path / "ray" / "results" / "legacy")
    assert st_out["experiment_path"] == str(tmp_path / "swifttune" / "results" / "legacy")
    # The user's metrics, the configuration and the automatic fields swifttune fills in are all
    # columns Ray has too (Ray adds node and process fields: date, hostname, node_ip, pid, ...).
    for key in ("results_df_columns", "trial_dataframe_columns"):
        assert set(st_out[key]) <= set(ray_out[key]), (key, sorted(set(st_out[key]) - set(ray_out[key])))
        assert {"loss", "acc", "training_iteration", "time_total_s", "config/x", "config/c"} <= set(st_out[key])
    # The CLIReporter's table: the same columns, in the same order.
    assert header(st_stdout) == header(ray_stdout) == ["Trial name", "status", "loc", "x", "Loss", "acc"]
    for text in ("== Status ==", "Current best trial:", "Number of trials: 3/3 (3 TERMINATED)", "Result logdir:"):
        assert text in ray_stdout and text in st_stdout, text


def _public(sig: inspect.Signature) -> list[str]:
    return [p for p in sig.parameters if not p.startswith("_") and p not in ("self",)]


def test_every_public_parameter_of_rays_api_exists():
    """Every public parameter of Ray's entry points and configs is in swifttune's (accepted and
    honoured, or refused with NotImplementedError: test_legacy_api checks each)."""
    from ray import tune as ray_tune

    from swifttune import tune

    names = ["Tuner", "TuneConfig", "RunConfig", "CheckpointConfig", "FailureConfig", "SyncConfig", "run",
             "run_experiments", "Experiment", "ExperimentAnalysis", "CLIReporter", "JupyterNotebookReporter",
             "register_trainable", "ResumeConfig"]
    missing = {}
    for name in names:
        ours = set(inspect.signature(getattr(tune, name)).parameters)
        lacking = [p for p in _public(inspect.signature(getattr(ray_tune, name))) if p not in ours]
        if lacking:
            missing[name] = lacking
    assert missing == {}
    assert inspect.signature(tune.run).parameters["verbose"].default is None
    assert inspect.signature(tune.RunConfig).parameters["verbose"].default is None
    for name in ("RunConfig", "TuneConfig", "CheckpointConfig", "FailureConfig", "SyncConfig"):
        ray_defaults = {k: p.default for k, p in inspect.signature(getattr(ray_tune, name)).parameters.items()
                        if not k.startswith("_")}
        our_defaults = {k: p.default for k, p in inspect.signature(getattr(tune, name)).parameters.items()
                        if k in ray_defaults}
        assert our_defaults == ray_defaults, name
