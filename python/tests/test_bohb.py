"""HyperBandForBOHB (and TuneBOHB) through the Python API: Ray's arguments and checks, brackets
filled largest first, pauses at the milestones until the bracket is full, halvings."""
from __future__ import annotations

from pathlib import Path

import pytest

import swifttune
from swifttune import tune
from swifttune.tune.schedulers import HyperBandForBOHB, HyperBandScheduler
from swifttune.tune.schedulers.hb_bohb import HyperBandForBOHB as FromModule
from swifttune.tune.utils.mock_trainable import MyTrainableClass


def test_hyperband_for_bohb_takes_rays_arguments_and_checks():
    assert FromModule is HyperBandForBOHB and issubclass(HyperBandForBOHB, HyperBandScheduler)
    with pytest.raises(ValueError, match="Max \\(time_attr\\) not valid"):
        HyperBandForBOHB(max_t=0)
    made = tune.create_scheduler("hb_bohb", max_t=9, reduction_factor=3)
    assert isinstance(made, HyperBandForBOHB) and made._spec()["type"] == "hb_bohb"


def test_brackets_largest_first_and_halvings(tmp_path):
    """max_t=9, eta=3: the first bracket holds 9 trials with milestone 1 (Ray's BOHB order); its best
    third goes on to 3, the best of those to 9; stop_last_trials=False lets the survivor run on to
    the stop."""
    swifttune.init(num_cpus=2)
    sched = HyperBandForBOHB(time_attr="training_iteration", max_t=9, reduction_factor=3, stop_last_trials=False)
    grid = tune.Tuner(MyTrainableClass, param_space={"width": tune.uniform(1, 20), "height": tune.uniform(-100, 100)},
                      tune_config=tune.TuneConfig(metric="episode_reward_mean", mode="max", scheduler=sched,
                                                  num_samples=9),
                      run_config=tune.RunConfig(name="hbb", storage_path=str(tmp_path), verbose=0,
                                                stop={"training_iteration": 12})).fit()
    lengths = sorted(r.metrics["training_iteration"] for r in grid)
    assert lengths == [1] * 6 + [3, 3, 12]
    # The best at each milestone went on: the trial that ran longest was the best at iteration 1.
    first = {r.trial_id: r.history[0]["episode_reward_mean"] for r in grid}
    longest = max(grid, key=lambda r: r.metrics["training_iteration"])
    assert first[longest.trial_id] >= sorted(first.values())[-3]
    assert all(r.status == "TERMINATED" for r in grid) and not grid.errors


def test_tune_bohb_takes_rays_arguments_and_refuses_what_ray_refuses():
    from swifttune.tune.search.bohb import TuneBOHB

    with pytest.raises(ValueError, match="Grid search parameters cannot be automatically converted"):
        TuneBOHB(space={"x": tune.grid_search([1, 2])})
    with pytest.raises(NotImplementedError, match="bohb_config option 'eta'"):
        TuneBOHB(bohb_config={"eta": 3})
    searcher = tune.create_searcher("bohb", metric="score", mode="max", seed=3)
    assert isinstance(searcher, TuneBOHB) and searcher.set_max_concurrency(4) is True


def test_tune_bohb_with_hyperband_for_bohb_learns(tmp_path):
    """TuneBOHB behind a ConcurrencyLimiter with HyperBandForBOHB (Ray's bohb_example setup): the
    run ends; once the model has a budget, suggestions concentrate where the reward is high."""
    from swifttune.tune.search import ConcurrencyLimiter
    from swifttune.tune.search.bohb import TuneBOHB

    def trainable(config):
        for step in range(1, 10):
            tune.report({"score": -((config["x"] - 0.3) ** 2) + 0.001 * step})

    swifttune.init(num_cpus=2)
    grid = tune.Tuner(trainable, param_space={"x": tune.uniform(0, 1)},
                      tune_config=tune.TuneConfig(metric="score", mode="max", num_samples=60,
                                                  scheduler=HyperBandForBOHB(max_t=9, reduction_factor=3),
                                                  search_alg=ConcurrencyLimiter(TuneBOHB(seed=5), max_concurrent=2)),
                      run_config=tune.RunConfig(name="bohb", storage_path=str(tmp_path), verbose=0,
                                                stop={"training_iteration": 9})).fit()
    assert len(grid) == 60 and not grid.errors
    xs = [r.config["x"] for r in sorted(grid, key=lambda r: r.trial_id)]
    # Two thirds of BOHB's picks come from the model, drawn near its good configurations: the last
    # 30 crowd into one 0.05-wide bin (uniform draws would put about 4 in the fullest one), near
    # the optimum 0.3.
    late = xs[-30:]
    center = max(late, key=lambda c: sum(abs(x - c) < 0.025 for x in late))
    assert sum(abs(x - center) < 0.025 for x in late) >= 10, late
    assert abs(center - 0.3) < 0.15, late


def test_tune_bohb_points_to_evaluate_run_first_and_its_max_concurrent_bounds_the_trials(tmp_path):
    """As Ray's TuneBOHB: the points_to_evaluate are the first configurations, in order; its own
    max_concurrent (BOHB's bound, no ConcurrencyLimiter) keeps that many trials at most running."""
    import threading
    import time

    from swifttune.tune.search.bohb import TuneBOHB

    lock = threading.Lock()
    running = [0, 0]  # now, most

    def trainable(config):
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        time.sleep(0.02)
        tune.report({"score": -((config["x"] - 0.3) ** 2)})
        with lock:
            running[0] -= 1

    swifttune.init(num_cpus=4)
    points = [{"x": 0.125}, {"x": 0.875}]
    grid = tune.Tuner(trainable, param_space={"x": tune.uniform(0, 1)},
                      tune_config=tune.TuneConfig(metric="score", mode="max", num_samples=6, executor="thread",
                                                  search_alg=TuneBOHB(points_to_evaluate=points, seed=1,
                                                                      max_concurrent=2)),
                      run_config=tune.RunConfig(name="bohb_points", storage_path=str(tmp_path), verbose=0)).fit()
    assert len(grid) == 6 and not grid.errors
    xs = [r.config["x"] for r in sorted(grid, key=lambda r: r.trial_id)]
    assert xs[:2] == [0.125, 0.875] and all(0 <= x <= 1 for x in xs[2:])
    assert running[1] == 2  # four CPUs, but TuneBOHB's max_concurrent=2


def test_a_searcher_of_yours_that_hears_pauses_is_refused_under_hyperband_for_bohb(tmp_path):
    """Ray's HyperBandForBOHB calls the searcher's on_pause / on_unpause; swifttune's engine does not
    call them on a Searcher subclass of the user's, so such a searcher is refused by name."""
    from swifttune.tune.search import Searcher

    class Mine(Searcher):
        def suggest(self, trial_id):
            return {"x": 0.5}

        def on_trial_complete(self, trial_id, result=None, error=False):
            pass

        def on_pause(self, trial_id):
            pass

    swifttune.init(num_cpus=1)
    with pytest.raises(NotImplementedError, match="Mine.on_pause: HyperBandForBOHB's pause"):
        tune.Tuner(lambda config: None, tune_config=tune.TuneConfig(
            metric="score", mode="max", search_alg=Mine(), scheduler=HyperBandForBOHB(max_t=9), num_samples=1),
            run_config=tune.RunConfig(name="mine", storage_path=str(tmp_path), verbose=0)).fit()
