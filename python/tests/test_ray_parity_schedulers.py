"""A user-written ``TrialScheduler``, parity with real Ray Tune: the same scheduler and trainable run
with Ray and with swifttune (imports swapped) get the same hooks in the same order with the same
arguments (``on_trial_add`` with the trials added so far, ``on_trial_result`` with the flattened
result and the trial's previous result, ``on_trial_complete`` with the last result and
``done``, ``on_trial_error``), and their answers do the same: STOP ends a trial, PAUSE pauses a
class trainable that resumes from its checkpoint when ``choose_trial_to_run`` chooses it, queued
behind the trials Ray stages first. Ray's error for a scheduler with a metric of its own and a
TuneConfig metric. One CPU: trials run one at a time, in the same order under both.

Needs `ray[tune]` in the test environment (`make test` installs it).
"""
import textwrap

import pytest

from ray_scripts import run_both

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent('''
import json, sys
{imports}

EVENTS = []

def log(*e):
    EVENTS.append(list(e))

RESULT_KEYS = ["loss", "training_iteration", "done", "config/x", "trial_id", "time_total_s", "timestamp",
               "time_this_iter_s", "iterations_since_restore", "pid", "hostname", "node_ip", "date",
               "checkpoint_dir_name", "time_since_restore"]

class StopWorse(FIFOScheduler):
    """Stops a trial whose loss at iteration 2 is over 3; logs every hook it is given."""

    def on_trial_add(self, tune_controller, trial):
        log("add", trial.config["x"], trial.status, len(tune_controller.get_trials()))

    def on_trial_result(self, tune_controller, trial, result):
        log("result", trial.config["x"], trial.status, result["training_iteration"], result["loss"], result["done"],
            result["config/x"], sorted(k for k in RESULT_KEYS if k in result), trial.last_result.get("training_iteration"))
        if result["training_iteration"] == 2 and result["loss"] > 3:
            return TrialScheduler.STOP
        return TrialScheduler.CONTINUE

    def on_trial_complete(self, tune_controller, trial, result):
        log("complete", trial.config["x"], trial.status, result.get("training_iteration"), result.get("done"),
            result.get("loss"))

    def on_trial_error(self, tune_controller, trial):
        log("error", trial.config["x"], trial.status)


class PauseOnce(TrialScheduler):
    """Every hook of its own: pauses each trial at iteration 2 (once), resumes PAUSED trials first."""

    def __init__(self):
        self.paused = set()

    def on_trial_add(self, tune_controller, trial):
        log("add", trial.config["x"], trial.status)

    def on_trial_error(self, tune_controller, trial):
        log("error", trial.config["x"])

    def on_trial_result(self, tune_controller, trial, result):
        log("result", trial.config["x"], result["training_iteration"], result["steps"])
        if result["training_iteration"] == 2 and trial.config["x"] not in self.paused:
            self.paused.add(trial.config["x"])
            return TrialScheduler.PAUSE
        return TrialScheduler.CONTINUE

    def on_trial_complete(self, tune_controller, trial, result):
        log("complete", trial.config["x"], result.get("training_iteration"), result.get("steps"))

    def on_trial_remove(self, tune_controller, trial):
        log("remove", trial.config["x"])

    def choose_trial_to_run(self, tune_controller):
        for status in ("PAUSED", "PENDING"):
            for t in tune_controller.get_trials():
                if t.status == status:
                    return t
        return None

    def debug_string(self):
        return "PauseOnce"


class Counter(tune.Trainable):
    def setup(self, config):
        self.steps = 0

    def step(self):
        self.steps += 1
        return {{"loss": self.config["x"] * self.steps, "steps": self.steps, "done": self.steps >= 4}}

    def save_checkpoint(self, checkpoint_dir):
        with open(checkpoint_dir + "/s.json", "w") as f:
            json.dump({{"steps": self.steps}}, f)

    def load_checkpoint(self, checkpoint_dir):
        with open(checkpoint_dir + "/s.json") as f:
            self.steps = json.load(f)["steps"]


def trainable(config):
    for step in range(1, 4):
        if config["x"] == 4 and step == 2:
            raise ValueError("x=4 fails")
        tune.report({{"loss": config["x"] * step}})


class Own(FIFOScheduler):
    def __init__(self):
        self._metric = "loss"


ray.init(num_cpus=1, configure_logging=False{ray_init_extra})
out = {{}}
tuner = tune.Tuner(trainable, param_space={{"x": tune.grid_search([1, 2, 3, 4])}},
                   tune_config=tune.TuneConfig(metric="loss", mode="min", scheduler=StopWorse()),
                   run_config=tune.RunConfig(storage_path=sys.argv[1], name="fifo", verbose=0))
grid = tuner.fit()
out["fifo"] = {{"events": EVENTS[:], "results": sorted([r.config["x"], len(r.metrics_dataframe), r.error is not None]
                                                     for r in grid)}}
EVENTS.clear()
tuner = tune.Tuner(Counter, param_space={{"x": tune.grid_search([1, 2])}},
                   tune_config=tune.TuneConfig(scheduler=PauseOnce()),
                   run_config=tune.RunConfig(storage_path=sys.argv[1], name="pause", verbose=0))
grid = tuner.fit()
out["pause"] = {{"events": EVENTS[:], "results": sorted([r.config["x"], r.metrics["steps"], r.metrics["training_iteration"],
                                                      len(r.metrics_dataframe)] for r in grid)}}
try:
    tune.Tuner(trainable, param_space={{"x": 1}}, tune_config=tune.TuneConfig(metric="loss", mode="min", scheduler=Own()),
               run_config=tune.RunConfig(storage_path=sys.argv[1], name="own", verbose=0)).fit()
    out["own"] = "ran"
except Exception as e:
    out["own"] = [type(e).__name__, str(e)]
print("PARITY" + json.dumps(out))
''')

RAY = ("import ray\nfrom ray import tune\nfrom ray.tune.schedulers import FIFOScheduler, TrialScheduler")
OURS = ("import swifttune as ray\nfrom swifttune import tune\n"
        "from swifttune.tune.schedulers import FIFOScheduler, TrialScheduler")


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    return run_both(SCRIPT, RAY, OURS, tmp_path_factory.mktemp("parity_schedulers"))


@pytest.mark.parametrize("scenario", ["fifo", "pause"])
def test_a_user_scheduler_hears_and_decides_as_under_ray(both, scenario):
    """Every hook in Ray's order with Ray's arguments: on_trial_add(tune_controller, trial),
    on_trial_result(tune_controller, trial, result), on_trial_complete(tune_controller, trial,
    result), on_trial_error(tune_controller, trial); and the trials' results under its answers."""
    ray_out, ours = both
    assert ours[scenario]["events"] == ray_out[scenario]["events"]
    assert ours[scenario]["results"] == ray_out[scenario]["results"]


def test_a_scheduler_with_its_own_metric_and_a_tune_config_metric_is_rays_error(both):
    ray_out, ours = both
    assert ray_out["own"][0] == "ValueError"
    assert ours["own"] == ray_out["own"]
