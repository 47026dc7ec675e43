"""Ray's experiment callbacks and loggers, parity with real Ray Tune: the same script, run with
Ray and with swifttune (imports swapped), calls the same hooks in the same order for each trial
(``setup`` first, ``on_checkpoint`` then ``on_trial_save`` after a checkpointed result, the
``LoggerCallback`` methods from their hooks, ``LegacyLoggerCallback``'s ``Logger`` classes per
trial), with the same arguments where they are deterministic; ``pretty_print`` prints the same.

Needs `ray[tune]` in the test environment (`make test` installs it).
"""
import textwrap

import pytest

from ray_scripts import run_both

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent('''
    import json, os, sys, tempfile
    {imports}

    events = []

    class Hooks(Callback):
        def setup(self, stop=None, num_samples=None, total_num_samples=None, **info):
            events.append(["setup", None, [stop, num_samples, total_num_samples]])

        def on_step_begin(self, iteration, trials, **info):
            self.step = iteration  # Ray calls these on every loop step: only their pairing is compared
            assert isinstance(iteration, int) and isinstance(trials, list)

        def on_step_end(self, iteration, trials, **info):
            assert iteration >= self.step

        def on_trial_start(self, iteration, trials, trial, **info):
            events.append(["start", trial.config["k"], trial.checkpoint is None])

        def on_trial_result(self, iteration, trials, trial, result, **info):
            events.append(["result", trial.config["k"], [result["training_iteration"], result["loss"]]])

        def on_checkpoint(self, iteration, trials, trial, checkpoint, **info):
            with open(os.path.join(checkpoint.path, "step.txt")) as f:
                events.append(["checkpoint", trial.config["k"], int(f.read())])

        def on_trial_save(self, iteration, trials, trial, **info):
            with open(os.path.join(trial.checkpoint.path, "step.txt")) as f:
                events.append(["save", trial.config["k"], int(f.read())])

        def on_trial_complete(self, iteration, trials, trial, **info):
            events.append(["complete", trial.config["k"], trial.status in ("RUNNING", "TERMINATED")])

        def on_trial_error(self, iteration, trials, trial, **info):
            events.append(["error", trial.config["k"], None])

        def on_experiment_end(self, trials, **info):
            events.append(["end", None, sorted(t.config["k"] for t in trials)])

    class Log(LoggerCallback):
        def log_trial_start(self, trial):
            events.append(["log_start", trial.config["k"], None])

        def log_trial_result(self, iteration, trial, result):
            events.append(["log_result", trial.config["k"], result["training_iteration"]])

        def log_trial_save(self, trial):
            events.append(["log_save", trial.config["k"], None])

        def log_trial_end(self, trial, failed=False):
            events.append(["log_end", trial.config["k"], failed])

    class PerTrial(Logger):
        def _init(self):
            events.append(["logger_init", self.config["k"], os.path.basename(self.logdir) == self.trial.trial_name
                           if False else os.path.isdir(self.logdir)])

        def on_result(self, result):
            events.append(["logger_result", self.config["k"], result["loss"]])

        def flush(self):
            events.append(["logger_flush", self.config["k"], None])

        def close(self):
            events.append(["logger_close", self.config["k"], None])

    def trainable(config):
        for step in range(3):
            if config["k"] == 2 and step == 1:
                raise ValueError("k=2 fails")
            checkpoint = None
            if step % 2 == 0:
                d = tempfile.mkdtemp()
                with open(os.path.join(d, "step.txt"), "w") as f:
                    f.write(str(step))
                checkpoint = Checkpoint.from_directory(d)
            tune.report({{"loss": 10 * config["k"] + step}}, checkpoint=checkpoint)

    ray.init(num_cpus=1, configure_logging=False{ray_init_extra})
    tuner = tune.Tuner(trainable, param_space={{"k": tune.grid_search([0, 1, 2])}},
                       tune_config=tune.TuneConfig(max_concurrent_trials=1),
                       run_config=tune.RunConfig(storage_path=sys.argv[1], name="hooks", verbose=0,
                                                 stop={{"training_iteration": 5}},
                                                 callbacks=[Hooks(), Log(), LegacyLoggerCallback([PerTrial])]))
    tuner.fit()
    setup = events[0]
    setup[2][0] = sorted(setup[2][0])  # the stop criteria, as given
    by_trial = {{}}
    for kind, k, value in events[1:-1]:
        by_trial.setdefault(str(k), []).append([kind, value])
    shown = pretty_print({{"loss": 1.5, "nested": {{"a": [1, 2, 3, 4], "b": [1, 2]}}, "config": {{"k": 1}},
                           "none": None, "name": "x"}})
    print("PARITY" + json.dumps({{"setup": setup, "trials": by_trial, "end": events[-1], "pretty": shown}}))
''')

RAY_IMPORTS = """
import ray
from ray import tune
from ray.tune import Callback, Checkpoint
from ray.tune.logger import LoggerCallback, LegacyLoggerCallback, Logger, pretty_print
"""
SWIFTTUNE_IMPORTS = """
import swifttune as ray
from swifttune import tune
from swifttune.tune import Callback, Checkpoint
from swifttune.tune.logger import LoggerCallback, LegacyLoggerCallback, Logger, pretty_print
"""


def test_callbacks_and_loggers_are_called_as_ray_calls_them(tmp_path):
    pytest.importorskip("ray")
    ray_out, ours = run_both(SCRIPT, RAY_IMPORTS, SWIFTTUNE_IMPORTS, tmp_path)
    assert ours["setup"] == ray_out["setup"]
    assert ours["end"] == ray_out["end"]
    assert ours["pretty"] == ray_out["pretty"]
    for k in ("0", "1", "2"):
        assert ours["trials"][k] == ray_out["trials"][k], k
