"""Callback state across a restore, parity with real Ray Tune: a callback with ``get_state`` /
``set_state`` (Ray's documented example, remembering the trials started) comes back with the
restored Tuner as it was built, gets its saved state (``set_state``) before ``setup``, and goes on
counting; the same events in the same order under Ray and swifttune.

Needs `ray[tune]` in the test environment (`make test` installs it).
"""
import textwrap

import pytest

from ray_scripts import run_both

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent(r'''
import json, os, sys
{imports}

os.makedirs(sys.argv[1], exist_ok=True)
OUT = os.path.join(sys.argv[1], "events.jsonl")


class Remember(tune.Callback):
    """Remembers which trials started (Ray's get_state example), across a restore."""

    def __init__(self):
        self.started = []

    def setup(self, stop=None, num_samples=None, total_num_samples=None, **info):
        self._log("setup", list(self.started))

    def on_trial_start(self, iteration, trials, trial, **info):
        self.started.append(trial.config["x"])

    def get_state(self):
        return {{"started": list(self.started)}}

    def set_state(self, state):
        self._log("set_state", state)
        self.started = list(state["started"])

    def on_experiment_end(self, trials, **info):
        self._log("end", list(self.started))

    def _log(self, *event):
        with open(OUT, "a") as f:
            f.write(json.dumps(list(event)) + "\n")


def trainable(config):
    marker = config["marker"] + str(config["x"])
    if config["x"] == 3 and not os.path.exists(marker):
        open(marker, "w").close()
        raise ValueError("first attempt fails")
    tune.report({{"loss": config["x"]}})


ray.init(num_cpus=1, configure_logging=False{ray_init_extra})
path = os.path.join(sys.argv[1], "results")
space = {{"x": tune.grid_search([1, 2, 3]), "marker": os.path.join(sys.argv[1], "marker")}}
first = tune.Tuner(trainable, param_space=space,
                   run_config=tune.RunConfig(storage_path=path, name="cb", verbose=0, callbacks=[Remember()])).fit()
again = tune.Tuner.restore(os.path.join(path, "cb"), trainable, resume_errored=True).fit()
with open(OUT) as f:
    events = [json.loads(line) for line in f]
print("PARITY" + json.dumps({{"events": events, "errors": [first.num_errors, again.num_errors]}}))
''')


def test_a_callbacks_state_is_saved_and_set_back_on_restore_as_ray_does(tmp_path):
    ray_out, ours = run_both(SCRIPT, "import ray\nfrom ray import tune",
                             "import swifttune as ray\nfrom swifttune import tune", tmp_path)
    assert ray_out["events"][2] == ["set_state", {"started": [1, 2, 3]}]
    assert ours == ray_out
