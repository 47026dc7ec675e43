"""Ray's stoppers and dict stop rule, parity with real Ray Tune: the same deterministic trainable
under each stopper, run with Ray and with swifttune (imports swapped), gives every trial the same
number of results. Trials run one at a time (grid order) so that experiment-level stoppers see the
same sequence of results.

Needs `ray[tune]` in the test environment (`make test` installs it).
"""
import textwrap

import pytest

from ray_scripts import run_both

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent('''
    import json, sys
    {imports}
    from_stopper = tune.stopper

    def trainable(config):
        k = config["k"]
        for step in range(12):
            loss = max(1.0, 10.0 - step * (k + 1))
            tune.report({{"loss": loss, "score": step * k, "done": step == config["done_at"]}})

    class CountingStopper(tune.Stopper):
        def __init__(self):
            self.n = 0

        def __call__(self, trial_id, result):
            self.n += 1
            return result["score"] >= 6

        def stop_all(self):
            return self.n >= 9

    SCENARIOS = {{
        "dict_metric_min": (dict(stop={{"loss": 3}}), dict(metric="loss", mode="min")),
        "dict_iteration": (dict(stop={{"training_iteration": 4}}), {{}}),
        "dict_missing_key": (dict(stop={{"nope": 1, "score": 10}}), {{}}),
        "done": (dict(), {{}}),
        "maximum_iteration": (dict(stop=from_stopper.MaximumIterationStopper(4)), {{}}),
        "trial_plateau": (dict(stop=from_stopper.TrialPlateauStopper("loss", num_results=3, grace_period=3)), {{}}),
        "trial_plateau_threshold": (dict(stop=from_stopper.TrialPlateauStopper("loss", num_results=2, grace_period=2,
                                                                                metric_threshold=4.0, mode="min")), {{}}),
        "experiment_plateau": (dict(stop=from_stopper.ExperimentPlateauStopper("loss", std=0.5, top=3, patience=1)), {{}}),
        "combined_list": (dict(stop=[from_stopper.MaximumIterationStopper(6),
                                     from_stopper.TrialPlateauStopper("loss", num_results=2, grace_period=1)]), {{}}),
        "function": (dict(stop=lambda trial_id, result: result["training_iteration"] >= 3), {{}}),
        "subclass_stop_all": (dict(stop=CountingStopper()), {{}}),
    }}

    ray.init(num_cpus=1, configure_logging=False{ray_init_extra})
    out = {{}}
    for name, (rc, tc) in SCENARIOS.items():
        space = {{"k": tune.grid_search([0, 1, 2]), "done_at": 7 if name == "done" else -1}}
        tuner = tune.Tuner(trainable, param_space=space,
                           tune_config=tune.TuneConfig(max_concurrent_trials=1, **tc),
                           run_config=tune.RunConfig(storage_path=sys.argv[1], name=name, verbose=0, **rc))
        results = tuner.fit()
        lengths = {{}}
        for r in results:
            n = len(r.metrics_dataframe) if r.metrics_dataframe is not None else 0
            if n:
                lengths[str(r.config["k"])] = n
        out[name] = lengths

    def objective(config):
        return {{"score": config["a"] ** 2 + config["b"]}}

    grid = tune.Tuner(objective, param_space={{"a": tune.grid_search([0.001, 0.01, 0.1, 1.0]), "b": tune.choice([1])}},
                      run_config=tune.RunConfig(storage_path=sys.argv[1], name="quickstart", verbose=0)).fit()
    out["quickstart_best"] = grid.get_best_result(metric="score", mode="min").config
    print("PARITY" + json.dumps(out))
''')

RAY_IMPORTS = """
import ray
from ray import tune
import ray.tune.stopper
"""
SWIFTTUNE_IMPORTS = """
import swifttune as ray
from swifttune import tune
import swifttune.tune.stopper
"""


def test_stoppers_give_the_same_results_per_trial_as_ray(tmp_path):
    pytest.importorskip("ray")
    ray_out, ours = run_both(SCRIPT, RAY_IMPORTS, SWIFTTUNE_IMPORTS, tmp_path)
    for name in ray_out:
        assert ours[name] == ray_out[name], name
