"""Ray's callback hooks and ``ray.tune.logger`` in swifttune (both executors): the step hooks pair
around every event, checkpoints call ``on_checkpoint`` and ``on_trial_save``, per-trial ``Logger``
classes run through ``LegacyLoggerCallback``, and what swifttune does not do is refused by name.
Side by side with Ray: test_ray_parity_callbacks.py."""
from __future__ import annotations

import os
import tempfile

import pytest

from helpers import tc
from swifttune import tune
from swifttune.tune.logger import (CSVLogger, CSVLoggerCallback, JsonLogger, JsonLoggerCallback, LegacyLoggerCallback,
                                   Logger, LoggerCallback, NoopLogger, TBXLogger, UnifiedLogger,
                                   pretty_print)


def checkpointing(config):
    for step in range(3):
        d = tempfile.mkdtemp()
        with open(os.path.join(d, "step"), "w") as f:
            f.write(str(step))
        tune.report({"loss": config["x"] + step}, checkpoint=tune.Checkpoint.from_directory(d) if step != 1 else None)


class Steps(tune.Callback):
    def __init__(self):
        self.events = []
        self.depth = 0

    def on_step_begin(self, iteration, trials, **info):
        assert self.depth == 0
        self.depth += 1
        self.events.append(("begin", iteration))

    def on_step_end(self, iteration, trials, **info):
        self.depth -= 1
        self.events.append(("end", iteration))

    def on_trial_result(self, iteration, trials, trial, result, **info):
        assert self.depth == 1
        self.events.append(("result", iteration))

    def on_checkpoint(self, iteration, trials, trial, checkpoint, **info):
        with open(os.path.join(checkpoint.path, "step")) as f:
            self.events.append(("checkpoint", int(f.read())))
        self.before = trial.checkpoint  # still the one before (Ray updates the trial after)

    def on_trial_save(self, iteration, trials, trial, **info):
        with open(os.path.join(trial.checkpoint.path, "step")) as f:
            self.events.append(("save", int(f.read())))


def test_step_hooks_pair_around_every_event_and_checkpoints_are_announced(run_config, executor):
    cb = Steps()
    tune.Tuner(checkpointing, param_space={"x": 1}, tune_config=tc(executor),
               run_config=run_config(callbacks=[cb])).fit()
    kinds = [e for e in cb.events if e[0] not in ("begin", "end")]
    assert kinds == [("result", kinds[0][1]), ("checkpoint", 0), ("save", 0), ("result", kinds[3][1]),
                     ("result", kinds[4][1]), ("checkpoint", 2), ("save", 2)]
    assert cb.depth == 0
    begins = [i for k, i in cb.events if k == "begin"]
    ends = [i for k, i in cb.events if k == "end"]
    assert ends == [i + 1 for i in begins] and begins == list(range(len(begins)))  # Ray's count: end = begin + 1


def test_setup_is_told_the_stop_criteria_and_the_number_of_trials(run_config):
    seen = {}

    class Setup(tune.Callback):
        def setup(self, stop=None, num_samples=None, total_num_samples=None, **info):
            seen.update(stop=stop, num_samples=num_samples, total_num_samples=total_num_samples)

    tune.Tuner(checkpointing, param_space={"x": tune.grid_search([1, 2, 3])}, tune_config=tc(num_samples=2),
               run_config=run_config(callbacks=[Setup()], stop={"training_iteration": 2})).fit()
    assert seen == {"stop": {"training_iteration": 2}, "num_samples": 2, "total_num_samples": 6}


class Counting(tune.Callback):
    """Counts results; its state is saved beside the experiment state and set back on restore."""

    def __init__(self):
        self.results, self.events = 0, []

    def setup(self, **info):
        self.events.append(("setup", self.results))

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.results += 1

    def get_state(self):
        return {"results": self.results}

    def set_state(self, state):
        self.events.append(("set_state", state["results"]))
        self.results = state["results"]


def test_a_callbacks_state_is_saved_while_the_experiment_runs_and_set_back_on_restore(run_config, tmp_path):
    import glob
    import os

    flag = str(tmp_path / "interrupted")

    def two_phases(config):
        for step in range(3):
            tune.report({"loss": step})
            if config["x"] == 2 and step == 1 and not os.path.exists(flag):
                open(flag, "w").close()
                raise KeyboardInterrupt  # the driver stops, trial 2 unfinished

    rc = run_config(name="stateful", callbacks=[Counting()])
    with pytest.raises(KeyboardInterrupt):
        tune.Tuner(two_phases, param_space={"x": tune.grid_search([1, 2])},
                   tune_config=tune.TuneConfig(executor="thread", max_concurrent_trials=1), run_config=rc).fit()
    path = os.path.join(rc.storage_path, "stateful")
    saved = glob.glob(os.path.join(path, "callback-states-*.pkl"))
    assert len(saved) == 1
    restored = tune.Tuner.restore(path, two_phases)
    cb = restored.run_config.callbacks[0]  # the callback as it was built (Ray's Tuner pickle)
    assert isinstance(cb, Counting) and cb.results == 0
    restored.fit()
    # 3 results of trial 1 and 2 of trial 2 before the interruption (the engine kept both of trial 2's
    # as its latest checkpoint is none: they are reported again), then trial 2's 3 of its new run.
    assert cb.events[0] == ("set_state", 5) and cb.events[1] == ("setup", 5)
    assert cb.results == 8


def test_legacy_logger_callback_runs_logger_classes_per_trial(run_config, executor):
    import json

    class FileLogger(Logger):
        def _init(self):
            self.rows = []

        def on_result(self, result):
            self.rows.append(result["loss"])

        def flush(self):
            self.rows.append("flush")

        def close(self):
            with open(os.path.join(self.logdir, "mine.json"), "w") as f:
                json.dump({"x": self.config["x"], "rows": self.rows, "trial": str(self.trial)}, f)

    results = tune.Tuner(checkpointing, param_space={"x": tune.grid_search([10, 20])}, tune_config=tc(executor),
                         run_config=run_config(callbacks=[LegacyLoggerCallback(logger_classes=[FileLogger,
                                                                                                 NoopLogger])])).fit()
    for r in results:
        with open(os.path.join(r.path, "mine.json")) as f:
            mine = json.load(f)
        x = r.config["x"]
        assert mine["rows"] == [x, "flush", x + 1, x + 2, "flush"] and mine["x"] == x
        assert mine["trial"] == os.path.basename(r.path)


def test_logger_callback_methods_come_from_the_hooks(run_config):
    calls = []

    class Log(LoggerCallback):
        def log_trial_start(self, trial):
            calls.append("start")

        def log_trial_result(self, iteration, trial, result):
            calls.append("result")

        def log_trial_save(self, trial):
            calls.append("save")

        def log_trial_end(self, trial, failed=False):
            calls.append(("end", failed))

    def fails(config):
        tune.report({"loss": 1})
        raise ValueError("no")

    tune.Tuner(fails, run_config=run_config(callbacks=[Log()])).fit()
    assert calls == ["start", "result", ("end", True)]
    calls.clear()
    tune.Tuner(checkpointing, param_space={"x": 1}, run_config=run_config(callbacks=[Log(), JsonLoggerCallback(),
                                                                                     CSVLoggerCallback()])).fit()
    assert calls == ["start", "result", "save", "result", "result", "save", ("end", False)]


def test_json_and_csv_callbacks_leave_the_files_written_once(run_config):
    results = tune.Tuner(checkpointing, param_space={"x": 1},
                         run_config=run_config(callbacks=[JsonLoggerCallback(), CSVLoggerCallback()])).fit()
    path = results[0].path
    with open(os.path.join(path, "result.json")) as f:
        assert len(f.readlines()) == 3
    with open(os.path.join(path, "progress.csv")) as f:
        assert len(f.readlines()) == 4  # the header and three rows


@pytest.mark.parametrize("cls", [JsonLogger, CSVLogger, TBXLogger, UnifiedLogger])
def test_ray_built_in_logger_classes_are_refused_by_name(cls):
    with pytest.raises(NotImplementedError, match=cls.__name__):
        LegacyLoggerCallback([cls])
    with pytest.raises(NotImplementedError, match=cls.__name__):
        cls({}, "/tmp")


def test_pretty_print_leaves_out_config_none_and_excluded_keys():
    # the result as YAML, without config, None values or the keys in exclude
    text = pretty_print({"loss": 0.5, "config": {"x": 1}, "none": None, "drop": 3, "v": [1, 2, 3, 4]}, exclude={"drop"})
    assert text == "loss: 0.5\nv: [1, 2, 3, 4]\n"
