"""Trial schedulers: FIFO runs everything, ASHA, HyperBand and the median stopping rule stop poor trials
early."""
from __future__ import annotations

import math

import pytest

from swifttune import tune
from swifttune.tune.schedulers import (ASHAScheduler, AsyncHyperBandScheduler, FIFOScheduler, HyperBandScheduler,
                                       MedianStoppingRule, TrialScheduler)
from swifttune.tune.search import BasicVariantGenerator
from swifttune.tune.utils.mock_trainable import MyTrainableClass

from helpers import tc

MAX_T = 20


def _curve(config):
    # a trial's quality is set by q: lower q is better at every iteration
    for i in range(1, MAX_T + 1):
        tune.report({"loss": config["q"] + 1.0 / i})


def _fit(scheduler, run_config, executor=None, n=20, **kw):
    return tune.Tuner(_curve, param_space={"q": tune.uniform(0, 10)},
                      tune_config=tc(executor, num_samples=n, scheduler=scheduler, **kw), run_config=run_config()).fit()


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
    # Seeded configurations: how many trials a rung stops depends on the draws (unseeded, about one
    # run in eight stopped only 7).
    results = _fit(ASHAScheduler(max_t=MAX_T, grace_period=1, reduction_factor=2), run_config, executor,
                   search_alg=BasicVariantGenerator(random_state=7))
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


# -- HyperBand ---------------------------------------------------------------------------------


def test_hyperband_is_a_trial_scheduler_with_rays_defaults():
    from swifttune.tune import schedulers

    assert "HyperBandScheduler" in schedulers.__all__ and schedulers.HyperBandScheduler is HyperBandScheduler
    sched = HyperBandScheduler()
    assert isinstance(sched, TrialScheduler) and not isinstance(sched, AsyncHyperBandScheduler)
    assert sched._spec() == {"type": "hyperband", "time_attr": "training_iteration", "metric": None, "mode": None,
                             "max_t": 81, "reduction_factor": 3, "stop_last_trials": True}
    assert sched._describe() == "HyperBand"
    assert sched.supports_buffered_results is False  # as Ray's: a result at a time, paused at each milestone
    sched = HyperBandScheduler("time_total_s", "acc", "max", 200, 4, False)  # Ray's order of parameters
    assert sched._spec() == {"type": "hyperband", "time_attr": "time_total_s", "metric": "acc", "mode": "max",
                             "max_t": 200, "reduction_factor": 4, "stop_last_trials": False}
    assert sched.metric == "acc" and sched.mode == "max"
    assert type(tune.create_scheduler("hyperband")) is HyperBandScheduler  # Ray's name (tune.run(scheduler=...))


@pytest.mark.parametrize("kw, error, message", [
    ({"max_t": 0}, ValueError, r"Max \(time_attr\) not valid!"),
    ({"max_t": -3}, ValueError, r"Max \(time_attr\) not valid!"),
    ({"mode": "avg"}, ValueError, r"`mode` must be 'min' or 'max'!"),
    ({"max_t": 0, "mode": "avg"}, ValueError, r"Max \(time_attr\)"),  # Ray checks max_t first
    # Ray accepts these here and fails later (an endless loop, an OverflowError, an AssertionError).
    ({"max_t": 0.5}, ValueError, "max_t"),
    ({"reduction_factor": 1}, ValueError, "reduction_factor"),
    ({"reduction_factor": 0.5}, ValueError, "reduction_factor"),
    ({"reduction_factor": float("inf")}, ValueError, "reduction_factor"),
    ({"max_t": "81"}, TypeError, "max_t"),
    ({"reduction_factor": None}, TypeError, "reduction_factor"),
    ({"time_attr": 1}, TypeError, "time_attr"),
    ({"metric": 1}, TypeError, "metric"),
])
def test_hyperband_rejects_bad_arguments(kw, error, message):
    with pytest.raises(error, match=message):
        HyperBandScheduler(**kw)


def test_hyperband_subclass_with_a_hook_is_refused(run_config):
    class Mine(HyperBandScheduler):
        def on_trial_result(self, tune_controller, trial, result):
            return TrialScheduler.CONTINUE

    tuner = tune.Tuner(MyTrainableClass, param_space={"height": 1}, run_config=run_config(),
                       tune_config=tc(scheduler=Mine(), metric="episode_reward_mean", mode="max"))
    with pytest.raises(NotImplementedError, match="subclass of HyperBandScheduler"):
        tuner.fit()


def test_hyperband_needs_a_metric_and_mode_as_ray(run_config):
    def fit(sched, **kw):
        return tune.Tuner(MyTrainableClass, param_space={"height": 1}, run_config=run_config(),
                          tune_config=tune.TuneConfig(scheduler=sched, **kw)).fit()

    with pytest.raises(ValueError, match="HyperBandScheduler has been instantiated without a valid `metric`"):
        fit(HyperBandScheduler())
    with pytest.raises(ValueError, match="already instantiated with their own `metric` and `mode`"):  # both: Ray refuses
        fit(HyperBandScheduler(metric="episode_reward_mean", mode="max"), metric="episode_reward_mean", mode="max")


def _heights(results):
    return {r.config["height"]: r.metrics["training_iteration"] for r in results}


def test_hyperband_halves_each_bracket(run_config, executor):
    # max_t=9, reduction_factor=3: Ray's band of three brackets, filled in the order trials are made:
    # 3 trials run to 9; 5 trials to 3, the best 2 of them on to 9; 9 trials to 1, the best 3 on to
    # 3, the best of those on to 9. Paused trials resume from their checkpoints.
    sched = HyperBandScheduler(max_t=9, reduction_factor=3)
    results = tune.Tuner(MyTrainableClass, param_space={"width": 10, "height": tune.grid_search(list(range(17)))},
                         tune_config=tc(executor, metric="episode_reward_mean", mode="max", scheduler=sched),
                         run_config=run_config(stop={"training_iteration": 20})).fit()
    assert results.num_errors == 0 and results.num_terminated == 17
    expected = {h: 9 for h in (0, 1, 2)}
    expected.update({3: 3, 4: 3, 5: 3, 6: 9, 7: 9})
    expected.update({h: 1 for h in range(8, 14)})
    expected.update({14: 3, 15: 3, 16: 9})
    assert _heights(results) == expected
    for r in results:  # one result per step, each step once (resumed from the pause's checkpoint)
        steps = expected[r.config["height"]]
        assert [row["training_iteration"] for row in r.history] == list(range(1, steps + 1))
        assert r.metrics["episode_reward_mean"] == pytest.approx(math.tanh(steps / 10) * r.config["height"])
    assert results.get_best_result().config["height"] == 16


class _Ticks(MyTrainableClass):
    """Two ticks a step: a time_attr that is not training_iteration."""

    def step(self):
        result = super().step()
        result["ticks"] = 2 * self.timestep
        return result


def test_hyperband_time_attr_metric_and_mode_of_its_own(run_config):
    # time_attr="ticks", max_t=3, reduction_factor=3: brackets of 2 trials (milestone 3 ticks, reached at
    # step 2) and 3 trials (1 tick, step 1; the best of them on to 3 ticks). The scheduler's own
    # metric and mode="min": the lowest height is the best.
    sched = HyperBandScheduler(time_attr="ticks", metric="episode_reward_mean", mode="min", max_t=3,
                               reduction_factor=3)
    results = tune.Tuner(_Ticks, param_space={"width": 10, "height": tune.grid_search([0, 1, 2, 3, 4])},
                         tune_config=tune.TuneConfig(scheduler=sched),
                         run_config=run_config(stop={"training_iteration": 20})).fit()
    assert results.num_errors == 0
    assert _heights(results) == {0: 2, 1: 2, 2: 2, 3: 1, 4: 1}


def test_hyperband_stop_last_trials_false_lets_survivors_run_on(run_config):
    # stop_last_trials=False: the brackets still halve, but their last trials run until the stop rule.
    sched = HyperBandScheduler(max_t=9, reduction_factor=3, stop_last_trials=False)
    results = tune.Tuner(MyTrainableClass, param_space={"width": 10, "height": tune.grid_search(list(range(17)))},
                         tune_config=tc(metric="episode_reward_mean", mode="max", scheduler=sched),
                         run_config=run_config(stop={"training_iteration": 12})).fit()
    assert results.num_errors == 0
    expected = {h: 12 for h in (0, 1, 2)}
    expected.update({3: 3, 4: 3, 5: 3, 6: 12, 7: 12})
    expected.update({h: 1 for h in range(8, 14)})
    expected.update({14: 3, 15: 3, 16: 12})
    assert _heights(results) == expected
