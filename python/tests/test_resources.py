"""Resources as Ray reads them: what ``swifttune.init`` declares (or detects), what
``with_resources`` / ``resources_per_trial`` / ``PlacementGroupFactory`` ask per trial, the engine
bounding the running trials by every resource and giving each trial its own GPUs
(``CUDA_VISIBLE_DEVICES``, ``get_gpu_ids``). Side by side with Ray: test_ray_parity_resources.py."""
from __future__ import annotations

import time

import pytest

import swifttune
from swifttune import tune
from swifttune._resources import detect_gpus, per_trial
from swifttune.tune import PlacementGroupFactory


def test_with_resources_reads_ray_dicts_and_placement_groups():
    assert per_trial({"gpu": 1}) == {"CPU": 0.0, "GPU": 1.0, "memory": 0.0}  # no cpu given: 0, as in Ray
    assert per_trial({"CPU": 2, "memory": 1e9, "tpu": 1}) == {"CPU": 2.0, "GPU": 0.0, "memory": 1e9, "tpu": 1.0}
    assert per_trial({"cpu": 1, "custom_resources": {"a": 2}, "ignored_when_custom_given": 3})["a"] == 2.0
    # the bundles summed, whatever the strategy (one machine)
    pgf = PlacementGroupFactory([{"CPU": 1}, {"CPU": 2, "GPU": 1}], strategy="SPREAD")
    assert per_trial(pgf) == {"CPU": 3.0, "GPU": 1.0} and pgf.required_resources == {"CPU": 3.0, "GPU": 1.0}
    with pytest.raises(ValueError, match="zero bundles"):
        PlacementGroupFactory([])
    with pytest.raises(ValueError, match="empty head and zero worker bundles"):
        tune.with_resources(lambda config: None, {"cpu": 0})
    with pytest.raises(ValueError, match="'gpu' must be a number >= 0"):
        tune.with_resources(lambda config: None, {"gpu": -1})
    with pytest.raises(NotImplementedError, match="STRICT_SPREAD"):
        PlacementGroupFactory([{"CPU": 1}, {"CPU": 1}], strategy="STRICT_SPREAD")
    with pytest.raises(NotImplementedError, match="placement-group options"):
        PlacementGroupFactory([{"CPU": 1}], "PACK", name="pg")


def test_init_declares_gpus_and_custom_resources():
    info = swifttune.init(num_cpus=3, num_gpus=2, resources={"tpu": 4})
    assert info["num_cpus"] == 3 and info["num_gpus"] == 2
    with pytest.raises(ValueError, match="num_gpus must be a non-negative integer"):
        swifttune.init(num_gpus=-1)
    with pytest.raises(ValueError, match="Use the 'num_cpus' and 'num_gpus' keyword"):
        swifttune.init(resources={"GPU": 1})


def test_gpus_are_detected_from_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    assert detect_gpus() == 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert detect_gpus() == 0


def _probe(config):
    import os

    start = time.time()
    time.sleep(0.4)
    tune.report({"loss": config["x"], "start": start, "end": time.time(),
                 "devices": os.environ.get("CUDA_VISIBLE_DEVICES"), "ids": swifttune.get_gpu_ids(),
                 "cpu": tune.get_context().get_trial_resources().required_resources.get("CPU", 0.0)})


def _most_at_once(rows):
    events = sorted([(r["start"], 1) for r in rows] + [(r["end"], -1) for r in rows])
    most = now = 0
    for _, d in events:
        now += d
        most = max(most, now)
    return most


def test_gpu_trials_run_two_at_a_time_each_on_its_own_device(run_config, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    swifttune.init(num_cpus=4, num_gpus=2)
    results = tune.Tuner(tune.with_resources(_probe, {"gpu": 1}), param_space={"x": tune.grid_search([0, 1, 2, 3])},
                         run_config=run_config()).fit()
    rows = [r.metrics for r in results]
    assert _most_at_once(rows) == 2
    assert sorted(r["devices"] for r in rows) == ["0", "0", "1", "1"]
    assert sorted(r["ids"][0] for r in rows) == [0, 0, 1, 1] and all(r["cpu"] == 0.0 for r in rows)
    # the same through tune.run's resources_per_trial, and the driver's CUDA_VISIBLE_DEVICES names the devices
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "6,7")
    analysis = tune.run(_probe, config={"x": tune.grid_search([0, 1])}, resources_per_trial={"cpu": 1, "gpu": 1},
                        storage_path=run_config().storage_path, name="legacy", verbose=0)
    assert sorted(t.last_result["devices"] for t in analysis.trials) == ["6", "7"]


def test_a_custom_resource_bounds_the_trials_and_an_undeclared_one_is_an_error(run_config):
    swifttune.init(num_cpus=4, resources={"tpu": 2})
    results = tune.Tuner(tune.with_resources(_probe, {"cpu": 1, "tpu": 1}), param_space={"x": tune.grid_search([0, 1, 2])},
                         run_config=run_config()).fit()
    rows = [r.metrics for r in results]
    assert _most_at_once(rows) == 2 and all(r["devices"] == "" for r in rows)  # no GPUs: none visible, as Ray
    with pytest.raises(swifttune.SwiftTuneError, match="needs fpga=1 but only 0 is declared"):
        tune.Tuner(tune.with_resources(_probe, {"fpga": 1}), run_config=run_config()).fit()


def test_gpus_are_refused_by_the_thread_executor(run_config):
    swifttune.init(num_gpus=1)
    with pytest.raises(NotImplementedError, match="thread executor"):
        tune.Tuner(tune.with_resources(_probe, {"gpu": 1}), tune_config=tune.TuneConfig(executor="thread"),
                   run_config=run_config()).fit()
