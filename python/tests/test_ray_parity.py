"""The same small Ray Tune script run with real Ray Tune + hyperopt and with swifttune (imports
swapped): the result objects must answer the questions Ray users ask the same way.

Needs `ray[tune]`, `hyperopt` and `pandas` in the test environment (`make test` installs them).
"""
import textwrap
from pathlib import Path

import pytest

from ray_scripts import run_parity_script

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent('''
    import json, sys
    {imports}

    def objective(config):
        for step in range(config["steps"]):
            score = (0.1 + config["width"] * step / 100) ** (-1) + config["height"] * 0.1
            tune.report({{"iterations": step, "mean_loss": score}})

    ray.init(num_cpus=2, configure_logging=False{ray_init_extra})
    algo = ConcurrencyLimiter(HyperOptSearch(points_to_evaluate=[{{"width": 1, "height": 2, "activation": "relu"}}],
                                             random_state_seed=1), max_concurrent=2)
    space = {{"steps": 3, "width": tune.uniform(0, 20), "height": tune.uniform(-100, 100),
             "activation": tune.choice(["relu", "tanh"])}}
    tuner = tune.Tuner(objective, param_space=space,
                       tune_config=tune.TuneConfig(metric="mean_loss", mode="min", search_alg=algo, num_samples=6),
                       run_config=tune.RunConfig(storage_path=sys.argv[1], name="parity", verbose=0))
    results = tuner.fit()
    best = results.get_best_result()
    df = results.get_dataframe()
    out = {{
        "len": len(results),
        "num_errors": results.num_errors,
        "num_terminated": results.num_terminated,
        "best_config_keys": sorted(best.config),
        "best_metrics_keys": sorted(best.metrics),
        "best_iteration": best.metrics["training_iteration"],
        "first_config": results[0].config if False else None,
        "dataframe_columns": sorted(df.columns),
        "history_columns": sorted(best.metrics_dataframe.columns),
        "history_len": len(best.metrics_dataframe),
        "config_types": {{k: type(v).__name__ for k, v in best.config.items()}},
        "best_by_scope_all": sorted(results.get_best_result(scope="all").config),
        "has_path": bool(best.path),
    }}
    print("PARITY" + json.dumps(out))
''')

RAY_IMPORTS = """
import ray
from ray import tune
from ray.tune.search import ConcurrencyLimiter
from ray.tune.search.hyperopt import HyperOptSearch
"""
SWIFTTUNE_IMPORTS = """
import swifttune as ray
from swifttune import tune
from swifttune.tune.search import ConcurrencyLimiter
from swifttune.tune.search.hyperopt import HyperOptSearch
"""


def run(imports: str, tmp_path: Path, extra: str = "") -> dict:
    return run_parity_script(SCRIPT.format(imports=imports, ray_init_extra=extra), tmp_path, timeout=600)


def test_result_objects_answer_like_rays(tmp_path: Path) -> None:
    pytest.importorskip("pandas", reason="the parity test compares dataframes; make test installs pandas")
    ray_out = run(RAY_IMPORTS, tmp_path / "ray", extra=", log_to_driver=False, include_dashboard=False")
    st_out = run(SWIFTTUNE_IMPORTS, tmp_path / "swifttune")
    for key in ["len", "num_errors", "num_terminated", "best_config_keys", "best_iteration", "config_types",
                "best_by_scope_all", "has_path", "history_len"]:
        assert st_out[key] == ray_out[key], (key, st_out[key], ray_out[key])
    # The metric names Ray users rely on, in the best result and in the dataframes.
    relied_on = {"mean_loss", "iterations", "training_iteration", "time_total_s", "time_this_iter_s", "trial_id",
                 "done", "timestamp"}
    assert relied_on <= set(ray_out["best_metrics_keys"])
    assert relied_on <= set(st_out["best_metrics_keys"])
    df_relied_on = relied_on | {"config/width", "config/height", "config/activation", "config/steps", "logdir"}
    assert df_relied_on <= set(ray_out["dataframe_columns"]), set(ray_out["dataframe_columns"])
    assert df_relied_on <= set(st_out["dataframe_columns"]), set(st_out["dataframe_columns"])
    history = {"mean_loss", "iterations", "training_iteration", "time_total_s", "trial_id"}
    assert history <= set(ray_out["history_columns"]) and history <= set(st_out["history_columns"])
