"""Ray's MLflow integration, parity with real Ray Tune: Ray's own ``mlflow_example`` (from the
installed ray wheel, imports rewritten, ``--smoke-test``) run under Ray and under swifttune leaves
the same MLflow store: a run per trial named after it, FINISHED, with the configuration as
parameters, the same metrics (each at every step) and the trial's result files as artifacts. The
example's second part (``setup_mlflow`` without an experiment it may create) fails its trials in
both. The store is the example's own, ``<tempdir>/mlruns``, emptied before each run; mlflow 3
needs ``MLFLOW_ALLOW_FILE_STORE=true`` for it (set here for both).

Needs `ray[tune]` and `mlflow` in the test environment (`make test` installs them).
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from ray_scripts import ray_example, rewrite_imports, run_script

pytestmark = [pytest.mark.ray, pytest.mark.slow]

# Files left out of the comparison: a pickle of the configuration (Ray's alone) and the TensorBoard
# event files (both write one; its name holds the time it was made).
_RAY_ONLY_ARTIFACTS = ("params.pkl", "events.out.tfevents")
# Ray's trial ids are random ("86ab4_00000"); one whose prefix happens to be all digits ("12345_00000")
# converts with float() and is logged as a metric. swifttune's ("trial_00000") never is.
_RANDOM_METRICS = {"trial_id"}


def _store(tracking_uri: Path) -> list:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=str(tracking_uri))
    experiment = client.get_experiment_by_name("example")
    assert experiment is not None, "no MLflow experiment 'example'"
    runs = []
    for r in client.search_runs([experiment.experiment_id]):
        history = {k: [m.step for m in client.get_metric_history(r.info.run_id, k)] for k in r.data.metrics
                   if k not in _RANDOM_METRICS}
        artifacts = sorted(a.path for a in client.list_artifacts(r.info.run_id)
                           if not a.path.startswith(_RAY_ONLY_ARTIFACTS))
        runs.append((r.info.status, r.info.run_name == r.data.tags["trial_name"], sorted(r.data.params),
                     sorted(history.items()), artifacts))
    return sorted(runs, key=repr)


def _run(tmp_path: Path, under_ray: bool) -> list:
    store = Path(tempfile.gettempdir()) / "mlruns"
    shutil.rmtree(store, ignore_errors=True)
    text = ray_example("mlflow_example").read_text()
    script = tmp_path / ("ray" if under_ray else "ours") / "mlflow_example.py"
    script.parent.mkdir(parents=True)
    script.write_text(text if under_ray else rewrite_imports(text))
    run_script(script, script.parent / "home", "--smoke-test")
    try:
        return _store(store)
    finally:
        shutil.rmtree(store, ignore_errors=True)


def test_mlflow_example_leaves_the_runs_ray_leaves(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    ours = _run(tmp_path, under_ray=False)
    theirs = _run(tmp_path, under_ray=True)
    assert len(ours) == 5
    assert all(r[0] == "FINISHED" and r[1] for r in ours)
    assert ours == theirs
