"""Trial schedulers: FIFO runs everything, ASHA and the median stopping rule stop poor trials early."""
from __future__ import annotations

import pytest

from swifttune import tune
from swifttune.tune.schedulers import (ASHAScheduler, AsyncHyperBandScheduler, FIFOScheduler, MedianStoppingRule,
                                       TrialScheduler)

from helpers import tc

MAX_T = 20


def _curve(config):
    # a trial's quality is set by q: lower q is better at every iteration
    for i in range(1, MAX_T + 1):
        tune.report({"loss": config["q"] + 1.0 / i})


def _fit(scheduler, run_config, executor=None, n=20):
    return tune.Tuner(_curve, param_space={"q": tune.uniform(0, 10)},
                      tune_config=tc(executor, num_samples=n, scheduler=scheduler), run_config=run_config()).fit()


def _iters(results):
    return {r.trial_id: r.metrics["training_iteration"] for r in results}


def test_asha_is_asynchyperband():
    assert ASHAScheduler is AsyncHyperBandScheduler
    assert isinstance(ASHAScheduler(), TrialScheduler)


def test_fifo_runs_every_trial_to_its_end(run_config):
    results = _fit(FIFOScheduler(), run_config, n=6)
    assert set(_iters(results).values()) == {MAX_T}
    assert results.num_terminated == 6


def test_asha_stops_poor_trials_early(run_config, executor):
    results = _fit(ASHAScheduler(max_t=MAX_T, grace_period=1, reduction_factor=2), run_config, executor)
    assert len(results) == 20 and results.num_terminated == 20 and results.num_errors == 0
    iters = _iters(results)
    stopped = [r for r in results if iters[r.trial_id] < MAX_T]
    finished = [r for r in results if iters[r.trial_id] == MAX_T]
    assert len(stopped) >= 8, sorted(iters.values())
    assert finished, "some trial must reach max_t"
    assert all(1 <= it <= MAX_T for it in iters.values())  # every trial gets its grace period
    # the best trial is never stopped early
    best = min(results, key=lambda r: r.config["q"])
    assert iters[best.trial_id] == MAX_T
    assert results.get_best_result().trial_id == best.trial_id
    # stopped trials are, on the whole, the worse ones
    mean = lambda rs: sum(r.config["q"] for r in rs) / len(rs)  # noqa: E731
    assert mean(stopped) > mean(finished)
    # each trial's history matches how far it got
    for r in results:
        assert len(r.history) == iters[r.trial_id]


def test_asha_max_t_caps_trials(run_config):
    results = _fit(ASHAScheduler(max_t=5, grace_period=1, reduction_factor=3), run_config, n=6)
    assert max(_iters(results).values()) == 5


def test_median_stopping_rule_stops_bad_trials(run_config, executor):
    sched = MedianStoppingRule(time_attr="training_iteration", grace_period=1)
    results = _fit(sched, run_config, executor)
    assert len(results) == 20 and results.num_errors == 0
    iters = _iters(results)
    stopped = [r for r in results if iters[r.trial_id] < MAX_T]
    finished = [r for r in results if iters[r.trial_id] == MAX_T]
    assert len(stopped) >= 5, sorted(iters.values())
    assert finished
    best = min(results, key=lambda r: r.config["q"])
    assert iters[best.trial_id] == MAX_T
    assert min(r.config["q"] for r in stopped) > min(r.config["q"] for r in finished)


def test_median_stopping_rule_needs_min_samples(run_config):
    # with fewer completed trials than min_samples_required nothing can be stopped
    sched = MedianStoppingRule(time_attr="training_iteration", grace_period=1, min_samples_required=50)
    results = _fit(sched, run_config, n=6)
    assert set(_iters(results).values()) == {MAX_T}


def test_scheduler_metric_and_mode_mode_max(run_config):
    def rising(config):
        for i in range(1, MAX_T + 1):
            tune.report({"score": config["q"] * i})

    sched = ASHAScheduler(metric="score", mode="max", max_t=MAX_T, grace_period=1, reduction_factor=2)
    results = tune.Tuner(rising, param_space={"q": tune.uniform(0, 10)},
                         # Ray refuses metric and mode in both the scheduler and the TuneConfig.
                         tune_config=tune.TuneConfig(num_samples=12, scheduler=sched),
                         run_config=run_config()).fit()
    iters = _iters(results)
    best = max(results, key=lambda r: r.config["q"])
    assert iters[best.trial_id] == MAX_T
    assert min(iters.values()) < MAX_T


@pytest.mark.parametrize("kw, message", [
    ({"max_t": 0}, "Max"),
    ({"max_t": 5, "grace_period": 10}, "grace_period"),
    ({"grace_period": 0}, "grace_period"),
    ({"reduction_factor": 1}, "Reduction Factor"),
    ({"brackets": 0}, "brackets"),
    ({"mode": "avg"}, "mode"),
])
def test_asha_rejects_bad_arguments(kw, message):
    with pytest.raises(ValueError, match=message):
        ASHAScheduler(**kw)


def test_median_rejects_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        MedianStoppingRule(mode="avg")


def test_scheduler_must_be_a_trial_scheduler(run_config):
    tuner = tune.Tuner(_curve, param_space={"q": tune.uniform(0, 1)}, tune_config=tc(scheduler=object()),
                       run_config=run_config())
    with pytest.raises(ValueError, match="TrialScheduler"):
        tuner.fit()
