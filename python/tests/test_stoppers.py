"""Ray Tune's stoppers (``ray.tune.stopper``) and ``RunConfig(stop=...)`` in every form, decided by
the engine; metric and mode only where Ray needs them."""
from __future__ import annotations

import datetime
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from swifttune import tune
from swifttune.tune.schedulers import ASHAScheduler, MedianStoppingRule
from swifttune.tune.search.hyperopt import HyperOptSearch
from swifttune.tune.stopper import (CombinedStopper, ExperimentPlateauStopper, FunctionStopper, MaximumIterationStopper,
                                    NoopStopper, Stopper, TimeoutStopper, TrialPlateauStopper)

from helpers import FileLog

SPACE = {"x": tune.uniform(0, 1)}


def _countdown(config: dict[str, Any]) -> None:
    for i in range(20):
        tune.report({"loss": 10 - i, "score": i})


def _plateau(config: dict[str, Any]) -> None:
    for v in [5.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
        tune.report({"loss": v})


def _fit(trainable: Any, stop: Any, run_config: Any, executor: str = "thread", **tc: Any) -> tune.ResultGrid:
    tc.setdefault("num_samples", 2)
    return tune.Tuner(trainable, param_space=SPACE, tune_config=tune.TuneConfig(executor=executor, **tc),
                      run_config=run_config(stop=stop)).fit()


def _lengths(results: tune.ResultGrid) -> list[int]:
    return [len(r.history) for r in results]


def test_quickstart_needs_no_metric(run_config):
    def objective(config):
        return {"score": config["a"] ** 2 + config["b"]}

    tuner = tune.Tuner(objective, param_space={"a": tune.grid_search([0.001, 0.01, 0.1, 1.0]), "b": tune.choice([1])},
                       run_config=run_config())
    results = tuner.fit()
    assert results.get_best_result(metric="score", mode="min").config == {"a": 0.001, "b": 1}
    with pytest.raises(ValueError, match="No metric is provided"):
        results.get_best_result()


def test_searchers_and_schedulers_that_rank_need_metric_and_mode(run_config):
    with pytest.raises(RuntimeError, match=r"Trying to sample a configuration from HyperOptSearch, but the `metric` "
                                           r"\(None\) or `mode` \(None\) parameters have not been set"):
        tune.Tuner(_countdown, param_space=SPACE, tune_config=tune.TuneConfig(search_alg=HyperOptSearch()),
                   run_config=run_config()).fit()
    with pytest.raises(ValueError, match=r"AsyncHyperBandScheduler has been instantiated without a valid `metric` "
                                         r"\(None\) or `mode` \(None\) parameter"):
        tune.Tuner(_countdown, param_space=SPACE, tune_config=tune.TuneConfig(scheduler=ASHAScheduler()),
                   run_config=run_config()).fit()
    with pytest.raises(ValueError, match="the scheduler you are using was already instantiated with their own"):
        tune.Tuner(_countdown, param_space=SPACE,
                   tune_config=tune.TuneConfig(metric="loss", mode="min", scheduler=MedianStoppingRule(metric="loss", mode="min")),
                   run_config=run_config()).fit()
    # The scheduler's own metric and mode are enough.
    res = tune.Tuner(_countdown, param_space=SPACE,
                     tune_config=tune.TuneConfig(scheduler=ASHAScheduler(metric="loss", mode="min", max_t=5), executor="thread"),
                     run_config=run_config()).fit()
    assert all(len(r.history) <= 5 for r in res)


def test_dict_stop_is_rays_rule_whatever_the_mode(run_config, executor):
    # Ray: any key's value >= its threshold, the metric too: loss goes 10, 9, ... so it stops at once.
    res = _fit(_countdown, {"loss": 3}, run_config, executor, metric="loss", mode="min")
    assert _lengths(res) == [1, 1]
    res = _fit(_countdown, {"score": 4}, run_config, executor)
    assert [r.metrics["score"] for r in res] == [4, 4]


def test_dict_stop_missing_key_warns_once(run_config, caplog):
    caplog.set_level(logging.WARNING, logger="swifttune.tune")
    res = _fit(_countdown, {"nope": 1}, run_config)
    assert _lengths(res) == [20, 20]
    assert caplog.text.count("Stopping criterion 'nope' not found in result dict!") == 1


def test_done_stops_a_trial(run_config, executor):
    def trainable(config):
        for i in range(10):
            tune.report({"loss": i, "done": i == 2})

    assert _lengths(_fit(trainable, None, run_config, executor)) == [3, 3]


def test_maximum_iteration(run_config, executor):
    assert _lengths(_fit(_countdown, MaximumIterationStopper(max_iter=4), run_config, executor)) == [4, 4]


def test_trial_plateau(run_config):
    # 5, 3, 1, 1, 1, 1: at 5 results the last 4 (3, 1, 1, 1) are not flat; at 6 (1, 1, 1, 1) they are.
    assert _lengths(_fit(_plateau, TrialPlateauStopper(metric="loss"), run_config)) == [6, 6]
    assert _lengths(_fit(_plateau, TrialPlateauStopper(metric="loss", num_results=2, grace_period=1), run_config)) == [4, 4]
    # metric_threshold: stop only once the value is at or below 0.5 (never here).
    stopper = TrialPlateauStopper(metric="loss", metric_threshold=0.5, mode="min")
    assert _lengths(_fit(_plateau, stopper, run_config)) == [10, 10]
    with pytest.raises(ValueError, match=r"When specifying a `metric_threshold`, the `mode` argument has to be one of "
                                         r"\[min, max\]. Got: None"):
        TrialPlateauStopper(metric="loss", metric_threshold=1.0)


def test_experiment_plateau_stops_the_experiment(run_config):
    stopper = ExperimentPlateauStopper(metric="loss", std=0.5, top=3, mode="min")
    res = _fit(_plateau, stopper, run_config, num_samples=4, max_concurrent_trials=1)
    # Trial 1: 5, 3, 1 (top 3 = 1, 3, 5: std 1.63), 1 (1, 1, 3: std 0.94), 1 (1, 1, 1): it stops, and so does all.
    assert _lengths(res) == [5]
    for msg, kw in [("The mode parameter can only be either min or max.", {"mode": "avg"}),
                    ("Top results to consider must be a positive integer greater than one.", {"top": 1}),
                    ("Patience must be a strictly positive integer.", {"patience": -1}),
                    ("The standard deviation must be a strictly positive float number.", {"std": 0})]:
        with pytest.raises(ValueError, match=msg):
            ExperimentPlateauStopper(metric="loss", **kw)


def test_experiment_plateau_without_its_metric_raises_key_error(run_config):
    with pytest.raises(KeyError, match="nope"):
        _fit(_plateau, ExperimentPlateauStopper(metric="nope"), run_config)


def test_timeout(run_config):
    def slow(config):
        for i in range(1000):
            time.sleep(0.01)
            tune.report({"loss": i})

    start = time.time()
    res = _fit(slow, TimeoutStopper(datetime.timedelta(seconds=0.5)), run_config, num_samples=2)
    assert time.time() - start < 10
    assert all(len(r.history) < 1000 for r in res)
    with pytest.raises(ValueError, match="`timeout` parameter has to be either a number or a `datetime.timedelta` object"):
        TimeoutStopper("1s")  # type: ignore[arg-type]


def test_combined_and_list_and_noop(run_config):
    assert _lengths(_fit(_countdown, CombinedStopper(MaximumIterationStopper(7), MaximumIterationStopper(3)),
                         run_config)) == [3, 3]
    assert _lengths(_fit(_countdown, [MaximumIterationStopper(7), TrialPlateauStopper("loss")], run_config)) == [7, 7]
    assert _lengths(_fit(_countdown, NoopStopper(), run_config)) == [20, 20]


def test_function_stop_sees_the_full_result(run_config, executor):
    seen: list[Any] = []

    def stop(trial_id: str, result: dict[str, Any]) -> bool:
        seen.append((trial_id, sorted(result)))
        return result["training_iteration"] >= 3

    res = _fit(_countdown, stop, run_config, executor, num_samples=1)
    assert _lengths(res) == [3]
    assert seen[0][0] == res[0].metrics["trial_id"]
    assert {"loss", "score", "training_iteration", "time_total_s", "trial_id", "done", "config"} <= set(seen[0][1])


def test_stopper_subclass_with_stop_all(run_config, executor):
    class Counting(Stopper):
        def __init__(self) -> None:
            self.results = 0

        def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
            self.results += 1
            return result["loss"] <= 8

        def stop_all(self) -> bool:
            return self.results >= 5

    res = _fit(_countdown, Counting(), run_config, executor, num_samples=4, max_concurrent_trials=1)
    # Trial 1 stops at its 3rd result (loss 8), trial 2 after 2 more results stop_all ends it all.
    assert _lengths(res) == [3, 2]


def test_a_subclassed_builtin_is_user_code(run_config):
    class Every2(MaximumIterationStopper):
        def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
            return result["training_iteration"] >= 2

    assert _lengths(_fit(_countdown, Every2(10), run_config)) == [2, 2]


def test_a_stopper_exception_fails_fit_with_it(run_config):
    class Boom(Exception):
        pass

    def stop(trial_id: str, result: dict[str, Any]) -> bool:
        if result["training_iteration"] == 2:
            raise Boom("from the stopper")
        return False

    with pytest.raises(Boom, match="from the stopper"):
        _fit(_countdown, stop, run_config)

    class BadStopAll(Stopper):
        def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
            return False

        def stop_all(self) -> bool:
            raise Boom("stop_all")

    with pytest.raises(Boom, match="stop_all"):
        _fit(_countdown, BadStopAll(), run_config)


def test_callbacks_from_concurrent_thread_trials_do_not_deadlock(run_config):
    """Eight thread trials reporting at once, each report calling back into Python under the engine's
    lock, while other threads ask the engine for trials."""
    lock = threading.Lock()
    calls = {"n": 0}

    class Busy(Stopper):
        def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
            with lock:
                calls["n"] += 1
            return result["training_iteration"] >= 40

        def stop_all(self) -> bool:
            return False

    def fast(config):
        for i in range(100):
            tune.report({"loss": i})

    import swifttune

    swifttune.init(num_cpus=8)
    done: list[Any] = []
    t = threading.Thread(target=lambda: done.append(_fit(fast, Busy(), run_config, num_samples=8)), daemon=True)
    t.start()
    t.join(timeout=120)
    assert not t.is_alive(), "fit deadlocked"
    assert _lengths(done[0]) == [40] * 8
    assert calls["n"] >= 8 * 40


def test_stop_validation_is_rays():
    with pytest.raises(ValueError, match=r"each element must be an instance of `tune.stopper.Stopper`"):
        tune.RunConfig(stop=[MaximumIterationStopper(2), 5])  # type: ignore[list-item]

    class Fake:
        def __call__(self, trial_id, result):
            return False

        def stop_all(self):
            return False

    with pytest.raises(ValueError, match="Stop object must be ray.tune.Stopper subclass to be detected correctly."):
        tune.RunConfig(stop=Fake())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Invalid stop criteria: 5. Must be a callable or dict."):
        tune.RunConfig(stop=5)  # type: ignore[arg-type]
    assert FunctionStopper.is_valid_function(lambda t, r: True)
    assert not FunctionStopper.is_valid_function(MaximumIterationStopper(1))
    assert tune.Stopper is Stopper
    with pytest.raises(NotImplementedError, match="evaluated by the swifttune engine"):
        MaximumIterationStopper(2)("t", {})


def _crashing(config: dict[str, Any]) -> None:
    flag = Path(config["flag"])
    for i in range(10):
        tune.report({"loss": i})
        if i == 2 and not flag.exists():
            flag.write_text("crashed once")
            raise RuntimeError("first run crashes")


def test_resume_keeps_counting(run_config, tmp_path):
    space = {"flag": str(tmp_path / "flag")}
    res = tune.Tuner(_crashing, param_space=space, tune_config=tune.TuneConfig(executor="thread"),
                     run_config=run_config(name="resume", stop=MaximumIterationStopper(5))).fit()
    assert res[0].status == "ERROR" and len(res[0].history) == 3
    again = tune.Tuner.restore(res.experiment_path, _crashing, restart_errored=True).fit()
    # The stopper counted 3 results before: the restarted trial stops after 2 more (Ray pickles it).
    assert again[0].status == "TERMINATED" and len(again[0].history) == 2


def test_resume_asks_the_users_stopper_again(run_config, tmp_path):
    space = {"flag": str(tmp_path / "flag")}
    res = tune.Tuner(_crashing, param_space=space, tune_config=tune.TuneConfig(executor="thread"),
                     run_config=run_config(name="resume_fn", stop=lambda t, r: r["loss"] >= 4)).fit()
    assert res[0].status == "ERROR"
    again = tune.Tuner.restore(res.experiment_path, _crashing, restart_errored=True).fit()
    assert again[0].status == "TERMINATED" and again[0].metrics["loss"] == 4


@pytest.mark.parametrize("field", ["time_this_iter_s", "time_since_restore", "iterations_since_restore", "pid",
                                   "timestamp"])
def test_automatic_fields_the_engine_does_not_keep_are_refused_as_stop_keys(run_config, field):
    """Ray's automatic fields that only the result files keep: stopping on one is refused, not
    silently never reached; the rows still carry them."""
    def trainable(config):
        tune.report({"score": 1})

    with pytest.raises(NotImplementedError, match=field):
        tune.Tuner(trainable, run_config=run_config(stop={field: 1})).fit()
    with pytest.raises(NotImplementedError, match=field):
        tune.Tuner(trainable, run_config=run_config(stop=tune.stopper.TrialPlateauStopper(metric=field))).fit()
    result = tune.Tuner(trainable, run_config=run_config()).fit()[0]
    assert field in result.metrics
