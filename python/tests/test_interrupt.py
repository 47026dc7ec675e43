"""Ctrl-C during ``fit``, as Ray Tune takes it (swifttune/tune/_internal/interrupt.py): a SIGINT
sent to the driver's whole process group (what a terminal's Ctrl-C and Jupyter's "Interrupt the
kernel" send) ends the run cleanly: Ray's warnings, ``fit`` returns the results so far with the
running trials left RUNNING, the worker processes neither die of it nor print tracebacks, and
``Tuner.restore`` finishes the experiment; ``tune.run`` does not raise for the unfinished trials."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = '''
import json, sys, time
from pathlib import Path
from swifttune import tune

marker, storage, executor, api = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def f(config):
    for i in range(60):
        tune.report({"loss": config["x"] + i})
        marker.touch()
        time.sleep(0.05)

space = {"x": tune.grid_search([0, 1, 2, 3, 4, 5])}
if api == "tuner":
    results = tune.Tuner(f, param_space=space,
                         tune_config=tune.TuneConfig(metric="loss", mode="min", executor=executor,
                                                     max_concurrent_trials=2),
                         run_config=tune.RunConfig(storage_path=storage, name="exp", verbose=0)).fit()
    print("FIT", json.dumps(sorted([r.status, len(r.history)] for r in results)), flush=True)
    restored = tune.Tuner.restore(storage + "/exp", f).fit()
    print("RESTORED", json.dumps(sorted([r.status, len(r.history)] for r in restored)), flush=True)
else:
    analysis = tune.run(f, config=space, metric="loss", mode="min", storage_path=storage, name="exp", verbose=0,
                        max_concurrent_trials=2)
    print("RUN", json.dumps(sorted(t.status for t in analysis.trials)), flush=True)
'''


def _interrupted_run(tmp_path: Path, executor: str, api: str) -> tuple[int, str, str]:
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    marker = tmp_path / "reported"
    env = dict(os.environ)
    if env.get("PYTHONPATH"):  # a source-tree run: the same package from another cwd
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep))
    proc = subprocess.Popen([sys.executable, str(script), str(marker), str(tmp_path / "results"), executor, api],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
                            start_new_session=True)  # its own process group, as a terminal's job
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)  # the whole group, as Ctrl-C and Jupyter's interrupt send it
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, out, err


def _line(out: str, tag: str) -> list:
    import json

    return json.loads([line for line in out.splitlines() if line.startswith(tag + " ")][-1][len(tag) + 1:])


@pytest.mark.parametrize("executor", ["process", "thread"])
def test_ctrl_c_ends_the_run_cleanly_and_restore_finishes_it(tmp_path: Path, executor: str) -> None:
    code, out, err = _interrupted_run(tmp_path, executor, "tuner")
    assert code == 0, err
    assert "Stop signal received (e.g. via SIGINT/Ctrl+C)" in err
    assert ("Experiment has been interrupted, but the most recent state was saved.\nResume experiment with: "
            f'Tuner.restore(path="{tmp_path / "results" / "exp"}", trainable=...)') in err
    assert "KeyboardInterrupt" not in err and "Traceback" not in err, err  # no worker died of the signal
    fit = _line(out, "FIT")
    statuses = [status for status, _ in fit]
    assert "RUNNING" in statuses and set(statuses) <= {"RUNNING", "TERMINATED"}, fit  # no trial failed
    assert len(fit) < 6 and all(n < 60 for status, n in fit if status == "RUNNING")  # nothing started after it
    restored = _line(out, "RESTORED")
    assert restored == [["TERMINATED", 60]] * 6


def test_tune_run_does_not_raise_for_the_trials_an_interrupt_left(tmp_path: Path) -> None:
    code, out, err = _interrupted_run(tmp_path, "process", "run")
    assert code == 0, err
    assert "Resume experiment with: tune.run(..., resume=True)" in err
    assert "RUNNING" in _line(out, "RUN")
