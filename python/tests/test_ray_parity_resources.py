"""Declared resources, parity with real Ray Tune: ``init(num_cpus=4, num_gpus=2)`` with trials
taking a GPU each runs at most 2 at a time, each seeing one device of its own
(``CUDA_VISIBLE_DEVICES``, ``get_gpu_ids``); half a GPU each shares the devices two by two; a
custom resource and a ``PlacementGroupFactory`` (bundles summed) bound the trials as Ray's do;
``resources_per_trial`` in ``tune.run`` likewise; the trial's resources read back as Ray's.

Needs `ray[tune]` in the test environment (`make test` installs it).
"""
import textwrap

import pytest

from ray_scripts import run_both

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent('''
    import json, os, sys, time
    {imports}

    def trainable(config):
        start = time.time()
        time.sleep(1.0)
        devices = os.environ.get("CUDA_VISIBLE_DEVICES")
        tune.report({{"loss": config["x"], "start": start, "end": time.time(), "devices": devices,
                      "gpu_ids": ",".join(f"{{type(g).__name__}}:{{g}}" for g in ray.get_gpu_ids()),
                      "resources": json.dumps(tune.get_context().get_trial_resources().required_resources,
                                              sort_keys=True)}})

    def legacy_trainable(config):  # a name of its own: Ray registers function trainables by name
        trainable(config)

    def run(name, resources, n=4, legacy=False):
        if legacy:
            rows = [t.last_result for t in tune.run(legacy_trainable, config={{"x": tune.grid_search(list(range(n)))}},
                                                     resources_per_trial=resources, storage_path=sys.argv[1],
                                                     name=name, verbose=0).trials]
        else:
            grid = tune.Tuner(tune.with_resources(trainable, resources),
                              param_space={{"x": tune.grid_search(list(range(n)))}},
                              run_config=tune.RunConfig(storage_path=sys.argv[1], name=name, verbose=0)).fit()
            rows = [r.metrics for r in grid]
        def most_at_once(rs):
            events = sorted([(r["start"], 1) for r in rs] + [(r["end"], -1) for r in rs])
            most, now = 0, 0
            for _, d in events:
                now += d
                most = max(most, now)
            return most

        # Which trial got which device is the scheduler's choice: compare the devices seen and how
        # many trials held each device at once.
        per_device = {{}}
        for r in rows:
            for d in str(r["devices"]).split(","):
                per_device.setdefault(d, []).append(r)
        return {{"most_at_once": most_at_once(rows), "trials": len(rows),
                "devices_seen": sorted(set(str(r["devices"]) for r in rows)),
                "gpu_ids_seen": sorted(set(r["gpu_ids"] for r in rows)),
                "most_per_device": {{d: most_at_once(rs) for d, rs in sorted(per_device.items())}},
                "resources": sorted(set(r["resources"] for r in rows))}}

    ray.init(num_cpus=4, num_gpus=2, resources={{"tpu": 3}}, configure_logging=False{ray_init_extra})
    out = {{}}
    out["one_gpu"] = run("one_gpu", {{"gpu": 1}})
    out["half_gpu"] = run("half_gpu", {{"cpu": 1, "gpu": 0.5}}, n=6)
    out["two_gpus"] = run("two_gpus", {{"gpu": 2, "cpu": 1}}, n=2)
    out["custom"] = run("custom", {{"cpu": 1, "tpu": 2}}, n=3)
    out["placement_group"] = run("placement_group", tune.PlacementGroupFactory([{{"CPU": 1}}, {{"CPU": 1, "GPU": 1}}]))
    out["legacy"] = run("legacy", {{"cpu": 2}}, legacy=True)
    out["cpu_only"] = run("cpu_only", {{"cpu": 1}}, n=4)
    print("PARITY" + json.dumps(out))
''')

RAY_IMPORTS = """
import ray
from ray import tune
"""
SWIFTTUNE_IMPORTS = """
import swifttune as ray
from swifttune import tune
"""


def test_declared_resources_bound_and_place_trials_as_ray_does(tmp_path):
    pytest.importorskip("ray")
    ray_out, ours = run_both(SCRIPT, RAY_IMPORTS, SWIFTTUNE_IMPORTS, tmp_path)
    for name in ray_out:
        assert ours[name] == ray_out[name], name
