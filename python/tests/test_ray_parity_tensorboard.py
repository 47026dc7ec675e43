"""TensorBoard event files, parity with real Ray Tune: the same script, run with Ray (whose
``TBXLoggerCallback`` is on by default) and with swifttune (imports swapped), leaves in each
trial's folder one event file that TensorBoard's reader reads with the same scalar tags, steps
(``training_iteration``, or ``timesteps_total`` when reported) and values (all but the timings),
the same histograms for lists and arrays, and the same hparams summaries (the searched parameters
and their values, the last result's metric tags, the end status), for completed and failed
trials. Trials with k=0 report plain values (encoded from result.json's lines); the others numpy
values and lists too.

Needs `ray[tune]` and `tensorboard` in the test environment (`make test` installs them).
"""
import textwrap

import pytest

from ray_scripts import run_both

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent('''
    import glob, json, os, sys
    import numpy as np
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2
    {imports}

    TIMINGS = {{"ray/tune/time_this_iter_s", "ray/tune/time_since_restore"}}

    def trainable(config):
        for i in range(1, 4):
            if config["k"] == 2 and i == 3:
                raise ValueError("k=2 fails")
            result = {{"loss": config["x"] * i, "nested": {{"a": i, "deep": {{"b": -i}}}}, "flag": i % 2 == 0,
                      "name": "n", "none": None, "nan": float("nan") if i == 2 else 1.0, "mean loss": 0.5 / i,
                      "inf": float("-inf"), "\\u03bb": i}}
            if config["k"] != 0:  # values result.json's text does not carry as Ray logs them
                result.update({{"name": "n[1]" if i == 1 else "n", "f32": np.float32(0.25 * i), "i64": np.int64(i),
                               "lst": [1.0, 2.0, float(i)], "arr": np.arange(3.0) * i, "tup": (1, 2)}})
            if config["k"] == 1:
                result["timesteps_total"] = 100 * i
            tune.report(result)

    def hparams(acc):
        content = acc.PluginTagToContent("hparams")
        data = {{tag: plugin_data_pb2.HParamsPluginData.FromString(c) for tag, c in content.items()}}
        experiment = data["_hparams_/experiment"].experiment
        start = data["_hparams_/session_start_info"].session_start_info
        return {{"names": sorted(h.name for h in experiment.hparam_infos),
                "types": sorted([h.name, h.type] for h in experiment.hparam_infos),
                "values": {{k: getattr(v, v.WhichOneof("kind")) for k, v in start.hparams.items()}},
                "metrics": sorted(m.name.tag for m in experiment.metric_infos),
                "status": data["_hparams_/session_end_info"].session_end_info.status}}

    ray.init(num_cpus=2, configure_logging=False{ray_init_extra})
    tuner = tune.Tuner(trainable, param_space={{"x": tune.grid_search([0.5, 2.0]), "k": tune.grid_search([0, 1, 2]),
                                               "c": 3}},
                       run_config=tune.RunConfig(storage_path=sys.argv[1], name="tb", verbose=0))
    grid = tuner.fit()
    trials = {{}}
    for r in grid:
        files = glob.glob(os.path.join(r.path, "events.out.tfevents.*"))
        acc = EventAccumulator(r.path, size_guidance={{"scalars": 0, "histograms": 0}})
        acc.Reload()
        tags = acc.Tags()
        scalars = {{tag: [[e.step, None if tag in TIMINGS else e.value] for e in acc.Scalars(tag)]
                   for tag in tags["scalars"]}}
        histograms = {{tag: [[e.step, e.histogram_value.num, e.histogram_value.max, e.histogram_value.sum]
                      for e in acc.Histograms(tag)] for tag in tags["histograms"]}}
        trials["%s,%s" % (r.config["x"], r.config["k"])] = {{
            "files": len(files), "scalars": scalars, "histograms": histograms, "hparams": hparams(acc),
            "errored": r.error is not None}}
    print("PARITY" + json.dumps({{"trials": trials}}))
''')

RAY_IMPORTS = """
import ray
from ray import tune
"""
SWIFTTUNE_IMPORTS = """
import swifttune as ray
from swifttune import tune
"""


def test_event_files_read_as_rays(tmp_path):
    pytest.importorskip("ray")
    pytest.importorskip("tensorboard")
    ray_out, ours = run_both(SCRIPT, RAY_IMPORTS, SWIFTTUNE_IMPORTS, tmp_path)
    assert sorted(ours["trials"]) == sorted(ray_out["trials"]) and len(ours["trials"]) == 6
    for key, theirs in ray_out["trials"].items():
        mine = ours["trials"][key]
        assert mine["files"] == theirs["files"] == 1, key
        assert mine["errored"] == theirs["errored"], key
        assert sorted(mine["scalars"]) == sorted(theirs["scalars"]), key
        for tag, events in theirs["scalars"].items():
            assert mine["scalars"][tag] == events, (key, tag)
        assert mine["histograms"] == theirs["histograms"], key
        assert mine["hparams"] == theirs["hparams"], key
    assert ours["trials"]["2.0,1"]["scalars"]["ray/tune/loss"] == [[100, 2.0], [200, 4.0], [300, 6.0]]
    assert ours["trials"]["0.5,2"]["hparams"]["names"] == ["k", "x"]
    assert "ray/tune/λ" in ours["trials"]["0.5,0"]["scalars"] and not ours["trials"]["0.5,0"]["histograms"]
