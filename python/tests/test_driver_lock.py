"""Two drivers, one experiment: while a driver runs an experiment, a second ``fit`` of its folder
(``Tuner.restore(path).fit()``, or a new Tuner of the same name) is refused with an error naming
the driver; reading the results meanwhile is allowed; a driver killed with SIGKILL leaves no lock
behind, so the experiment then restores and ends."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swifttune import tune
from swifttune.tune.error import TuneError

DRIVER = r'''
import sys, time
from swifttune import tune

def objective(config):
    for step in range(3):
        time.sleep(0.2)
        tune.report({"loss": config["x"] + step})

tune.Tuner(objective, param_space={"x": tune.grid_search(list(range(40)))},
           tune_config=tune.TuneConfig(executor="thread", max_concurrent_trials=2),
           run_config=tune.RunConfig(name="held", storage_path=sys.argv[1], verbose=0)).fit()
print("DONE", flush=True)
'''


def objective(config):
    tune.report({"loss": config["x"]})


def test_a_second_driver_is_refused_and_a_dead_one_leaves_no_lock(tmp_path: Path) -> None:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    exp = tmp_path / "held"
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while not tune.Tuner.can_restore(exp) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # trials under way
        assert proc.poll() is None

        holder = rf"is being run by another driver \(pid {proc.pid} on {socket.gethostname()}, since "
        with pytest.raises(TuneError, match=holder):
            tune.Tuner.restore(str(exp), objective).fit()
        with pytest.raises(TuneError, match=holder):  # a new experiment of the same name
            tune.Tuner(objective, param_space={"x": tune.grid_search([1])},
                       run_config=tune.RunConfig(name="held", storage_path=str(tmp_path), verbose=0)).fit()
        # Reading needs no lock (the trials saved so far).
        assert 1 <= len(tune.Tuner.restore(str(exp), objective).get_results()) < 40
        assert proc.poll() is None, "the refused drivers must not have disturbed the running one"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    # The dead driver's lock went with it: the experiment restores and ends here.
    grid = tune.Tuner.restore(str(exp), objective).fit()
    assert len(grid) == 40 and not grid.errors
    assert sorted(r.config["x"] for r in grid) == list(range(40))


def test_the_lock_is_released_when_fit_ends_or_raises(tmp_path: Path) -> None:
    def failing(config):
        raise ValueError("boom")

    rc = tune.RunConfig(name="again", storage_path=str(tmp_path), verbose=0, callbacks=[_Raising()])
    with pytest.raises(RuntimeError, match="callback failed"):
        tune.Tuner(failing, run_config=rc).fit()
    # The raising fit released the lock: the same folder runs again, in this process.
    tune.Tuner(objective, param_space={"x": 1},
               run_config=tune.RunConfig(name="again", storage_path=str(tmp_path), verbose=0)).fit()
    grid = tune.Tuner.restore(str(tmp_path / "again"), objective).fit()
    assert [r.metrics["loss"] for r in grid] == [1]


class _Raising(tune.Callback):
    def on_trial_start(self, iteration, trials, trial, **info):
        raise RuntimeError("callback failed")

