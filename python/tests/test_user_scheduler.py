"""A user's own ``TrialScheduler`` subclass, called back by the engine: its hooks get Ray's
arguments and its answers decide (the parity with real Ray is in test_ray_parity_schedulers.py)."""
from __future__ import annotations

import json

import pytest

from swifttune import tune
from swifttune.tune.schedulers import ASHAScheduler, FIFOScheduler, MedianStoppingRule, TrialScheduler

from helpers import FileLog, tc


def _curve(config):
    for step in range(1, 5):
        tune.report({"loss": config["x"] * step})


class Recorder(FIFOScheduler):
    """Logs its hooks to a file (the scheduler lives in the driver; the log is read by the test)
    and stops a trial whose loss passes `limit`."""

    def __init__(self, log: FileLog, limit: float = 100) -> None:
        self.log, self.limit = log, limit

    def on_trial_add(self, tune_controller, trial):
        self.log.add("add", trial.config["x"], trial.status, [t.config["x"] for t in tune_controller.get_trials()])

    def on_trial_result(self, tune_controller, trial, result):
        self.log.add("result", trial.config["x"], result["training_iteration"], result["loss"], result["config/x"])
        return TrialScheduler.STOP if result["loss"] > self.limit else TrialScheduler.CONTINUE

    def on_trial_complete(self, tune_controller, trial, result):
        self.log.add("complete", trial.config["x"], result["training_iteration"], result["done"])

    def on_trial_error(self, tune_controller, trial):
        self.log.add("error", trial.config["x"])


def _fit(scheduler, run_config, executor=None, trainable=_curve, space=None, **kw):
    return tune.Tuner(trainable, param_space=space or {"x": tune.grid_search([1, 2, 3])},
                      tune_config=tc(executor, scheduler=scheduler, max_concurrent_trials=1, **kw),
                      run_config=run_config()).fit()


def test_the_engine_calls_the_hooks_and_follows_stop(run_config, executor, log):
    grid = _fit(Recorder(log, limit=5), run_config, executor)
    assert sorted((r.config["x"], len(r.metrics_dataframe)) for r in grid) == [(1, 4), (2, 3), (3, 2)]
    events = log.read()
    assert events[0] == ["add", 1, "PENDING", [1]]
    assert [e for e in events if e[0] == "complete"] == [["complete", 1, 4, True], ["complete", 2, 3, True],
                                                         ["complete", 3, 2, True]]
    assert ["result", 3, 2, 6, 3] in events
    assert not any(e[0] == "result" and e[1] == 3 and e[2] > 2 for e in events)  # stopped at its second result


def test_callbacks_see_the_trials_the_scheduler_sees(run_config):
    seen = {}

    class Keep(FIFOScheduler):
        def on_trial_add(self, tune_controller, trial):
            seen[trial.trial_id] = trial

    class Cb(tune.Callback):
        def on_trial_complete(self, iteration, trials, trial, **info):
            assert seen[trial.trial_id] is trial
            seen[trial.trial_id] = "completed"

    tune.Tuner(_curve, param_space={"x": tune.grid_search([1, 2])},
               tune_config=tc("thread", scheduler=Keep()), run_config=run_config(callbacks=[Cb()])).fit()
    assert list(seen.values()) == ["completed", "completed"]


class Counter(tune.Trainable):
    def setup(self, config):
        self.steps = 0

    def step(self):
        self.steps += 1
        return {"loss": self.config["x"], "steps": self.steps, "done": self.steps >= 3}

    def save_checkpoint(self, checkpoint_dir):
        with open(checkpoint_dir + "/s.json", "w") as f:
            json.dump({"steps": self.steps}, f)

    def load_checkpoint(self, checkpoint_dir):
        with open(checkpoint_dir + "/s.json") as f:
            self.steps = json.load(f)["steps"]


class PauseFirst(FIFOScheduler):
    """Pauses every trial once, at its first result; chooses paused trials first (or never, with
    `never`)."""

    def __init__(self, never: bool = False) -> None:
        self.paused: set[str] = set()
        self.never = never

    def on_trial_result(self, tune_controller, trial, result):
        if trial.trial_id not in self.paused:
            self.paused.add(trial.trial_id)
            return TrialScheduler.PAUSE
        return TrialScheduler.CONTINUE

    def choose_trial_to_run(self, tune_controller):
        if self.never:
            return next((t for t in tune_controller.get_trials() if t.status == "PENDING"), None)
        paused = [t for t in tune_controller.get_trials() if t.status == "PAUSED"]
        return paused[0] if paused else super().choose_trial_to_run(tune_controller)


def test_a_paused_class_trainable_resumes_from_its_checkpoint_when_chosen(run_config, executor):
    grid = _fit(PauseFirst(), run_config, executor, trainable=Counter, space={"x": tune.grid_search([1, 2])})
    assert sorted((r.config["x"], r.metrics["steps"], r.metrics["training_iteration"]) for r in grid) == \
        [(1, 3, 3), (2, 3, 3)]
    assert all(r.error is None for r in grid)


def test_paused_trials_never_chosen_again_are_an_error_not_a_hang(run_config):
    with pytest.raises(Exception, match="chose none of the 1 PAUSED trials while no trial runs"):
        _fit(PauseFirst(never=True), run_config, "thread", trainable=Counter, space={"x": 1})


def test_a_failed_run_is_an_error_then_added_again(run_config, log):
    """A retried run: on_trial_error(tune_controller, trial), then on_trial_add again (Ray's requeue)."""
    def flaky(config):
        marker = config["marker"] + "/done"
        import os

        if not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("first run fails")
        tune.report({"loss": 1})

    marker = log.path + ".d"
    import os

    os.makedirs(marker)
    grid = tune.Tuner(flaky, param_space={"x": 1, "marker": marker},
                      tune_config=tc("thread", scheduler=Recorder(log)),
                      run_config=run_config(failure_config=tune.FailureConfig(max_failures=1))).fit()
    assert grid.num_errors == 0
    assert [e[0] for e in log.read()] == ["add", "error", "add", "result", "complete"]


def test_answers_ray_refuses_or_swifttune_cannot_follow(run_config):
    class Noop(FIFOScheduler):
        def on_trial_result(self, tune_controller, trial, result):
            return TrialScheduler.NOOP

    class Go(FIFOScheduler):
        def on_trial_result(self, tune_controller, trial, result):
            return "GO"

    class Acts(FIFOScheduler):
        def on_trial_result(self, tune_controller, trial, result):
            tune_controller.pause_trial(trial)

    class Chooses(FIFOScheduler):
        def choose_trial_to_run(self, tune_controller):
            return "trial_00000"

    with pytest.raises(NotImplementedError, match="returned TrialScheduler.NOOP"):
        _fit(Noop(), run_config, "thread")
    with pytest.raises(ValueError, match="Invalid decision: GO"):
        _fit(Go(), run_config, "thread")
    with pytest.raises(NotImplementedError, match="tune_controller.pause_trial is not supported by swifttune"):
        _fit(Acts(), run_config, "thread")
    with pytest.raises(TypeError, match="choose_trial_to_run must return one of the controller's trials or None"):
        _fit(Chooses(), run_config, "thread")


def test_a_hook_that_raises_makes_fit_raise_it(run_config, executor):
    class Boom(FIFOScheduler):
        def on_trial_result(self, tune_controller, trial, result):
            if result["training_iteration"] == 2:
                raise KeyError("boom")
            return TrialScheduler.CONTINUE

    with pytest.raises(KeyError, match="boom"):
        _fit(Boom(), run_config, executor)


def test_a_direct_subclass_missing_a_hook_fails_as_in_ray(run_config):
    class OnlyResult(TrialScheduler):
        def on_trial_result(self, tune_controller, trial, result):
            return TrialScheduler.CONTINUE

    with pytest.raises(NotImplementedError):  # Ray's base on_trial_add raises it too
        _fit(OnlyResult(), run_config, "thread")


def test_set_search_properties_as_ray_calls_it(run_config):
    """set_search_properties(metric, mode, **spec) with Ray's public spec (stop, num_samples, time_budget_s)."""
    got = {}

    class Props(FIFOScheduler):
        def set_search_properties(self, metric, mode, **spec):
            got.update(metric=metric, mode=mode, **spec)
            return True

    class Old(FIFOScheduler):
        def set_search_properties(self, metric, mode):
            return True

        def on_trial_add(self, tune_controller, trial):
            pass

    _fit(Props(), run_config, "thread", num_samples=2)
    assert got == {"metric": "loss", "mode": "min", "stop": {}, "num_samples": 2, "time_budget_s": None}
    # Ray retries without **spec only for a message Python 3.10+ no longer writes: the TypeError stands.
    with pytest.raises(TypeError, match="unexpected keyword argument 'stop'"):
        _fit(Old(), run_config, "thread")


@pytest.mark.parametrize("base", [ASHAScheduler, MedianStoppingRule])
def test_a_subclass_of_an_engine_scheduler_with_hooks_of_its_own_is_refused_by_name(run_config, base):
    class Mine(base):
        def on_trial_result(self, tune_controller, trial, result):
            return "STOP"

    with pytest.raises(NotImplementedError, match=f"Mine.on_trial_result: a subclass of {base.__name__}"):
        _fit(Mine(), run_config, "thread")


def test_restore_asks_the_scheduler_as_it_was_built_about_every_trial(run_config, tmp_path, log):
    def slow(config):
        import os
        import time

        for step in range(1, 4):
            tune.report({"loss": config["x"] * step})
            if config["x"] == 2 and step == 1 and not os.path.exists(config["flag"]):
                open(config["flag"], "w").close()
                time.sleep(0.2)
                raise KeyboardInterrupt  # the driver stops: trial 2 is left unfinished

    flag = str(tmp_path / "flag")
    space = {"x": tune.grid_search([1, 2]), "flag": flag}
    with pytest.raises(KeyboardInterrupt):
        tune.Tuner(slow, param_space=space, tune_config=tc("thread", scheduler=Recorder(log), max_concurrent_trials=1),
                   run_config=run_config(name="again")).fit()
    first = log.read()
    assert first[0] == ["add", 1, "PENDING", [1]] and first[-1][:2] == ["result", 2]
    path = str(tmp_path / "results" / "again")
    grid = tune.Tuner.restore(path, slow).fit()
    assert sorted(len(r.metrics_dataframe) for r in grid) == [3, 3]
    after = log.read()[len(first):]
    adds = [e for e in after if e[0] == "add"]
    assert [a[1] for a in adds] == [1, 2] and adds[0][2] == "TERMINATED"  # told every trial, with its status
    assert ["complete", 2, 3, True] in after
