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
