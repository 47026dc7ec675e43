"""Ray's wrappers of other libraries, parity with real Ray Tune: ``BayesOptSearch``
(bayesian-optimization) and ``NevergradSearch`` (nevergrad), run one trial at a time on a
deterministic objective, suggest the same configurations in the same order under Ray and under
swifttune, skip and finish as Ray's do, and convert Tune spaces (and refuse what Ray refuses) alike.

Needs `ray[tune]`, `bayesian-optimization==1.4.3` and `nevergrad` in the test environment
(`make test` installs them).
"""
import textwrap

import pytest

from ray_scripts import run_both

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent('''
    import json, sys
    import numpy as np
    import nevergrad as ng
    {imports}

    def objective(config):
        x, y = config["x"], config["nested"]["y"]
        for step in range(3):
            tune.report({{"loss": (x - 0.3) ** 2 + (y + 1.0) ** 2 + 0.1 * step, "constant": config["c"]}})

    space = {{"x": tune.uniform(0, 1), "nested": {{"y": tune.uniform(-2, 2)}}, "c": 7}}

    def run(name, searcher, num_samples, mode="min", param_space=space):
        np.random.seed(0)  # nevergrad's candidates come from numpy's global generator
        results = tune.Tuner(objective, param_space=param_space,
                             tune_config=tune.TuneConfig(metric="loss", mode=mode, num_samples=num_samples,
                                                         search_alg=ConcurrencyLimiter(searcher, max_concurrent=1)),
                             run_config=tune.RunConfig(storage_path=sys.argv[1], name=name, verbose=0)).fit()
        rows = sorted((r.metrics["trial_id"], r.config) for r in results)
        configs = [[round(float(c["x"]), 9), round(float(c["nested"]["y"]), 9), c["c"]] if "x" in c
                   else sorted(c) for _, c in rows]
        return {{"configs": sorted(configs), "n": len(rows),
                "best": [round(float(v), 9) for v in [results.get_best_result().config["x"]]]}}

    ray.init(num_cpus=1, configure_logging=False{ray_init_extra})
    out = {{}}
    out["bayesopt"] = run("bayesopt", BayesOptSearch(random_search_steps=3, random_state=7), 7)
    out["bayesopt_points_max"] = run("bayesopt_points", BayesOptSearch(
        points_to_evaluate=[{{"x": 0.5, "nested/y": 0.0}}], random_search_steps=2,
        utility_kwargs={{"kind": "ei", "kappa": 2.5, "xi": 0.1}}), 5, mode="max")
    # patience: a fixed point repeated ends the search (FINISHED) after 2 repeats; duplicates are skipped
    out["bayesopt_patience"] = run("bayesopt_patience", BayesOptSearch(
        points_to_evaluate=[{{"x": 0.5, "nested/y": 0.0}}] * 4, random_search_steps=1, patience=2), 6)
    out["bayesopt_own_space"] = run("bayesopt_own", BayesOptSearch(space={{"x": (0, 1), "nested/y": (-2, 2)}}, metric="loss", mode="min",
                                                                   random_search_steps=2), 4, param_space={{"c": 7}})
    out["nevergrad"] = run("nevergrad", NevergradSearch(optimizer=ng.optimizers.OnePlusOne), 6)
    out["nevergrad_points_max"] = run("nevergrad_points", NevergradSearch(
        optimizer=ng.optimizers.CMA, points_to_evaluate=[{{"x": 0.5, "nested/y": 0.0}}, {{"x": 0.1, "nested/y": 1.0}}]),
        5, mode="max")

    convert = {{}}
    wide = {{"f": tune.uniform(1, 5), "q": tune.quniform(1, 5, 0.5), "lf": tune.loguniform(1e-3, 1),
             "i": tune.randint(1, 10), "qi": tune.qrandint(1, 10, 3), "li": tune.lograndint(1, 100),
             "ch": tune.choice(["a", "b", 3]), "n": {{"deep": tune.uniform(-1, 1)}}, "const": 4}}
    ng_space = NevergradSearch.convert_search_space(wide)
    convert["nevergrad"] = {{k: [type(p).__name__, repr(p.bounds) if hasattr(p, "bounds") else None,
                                sorted(map(str, getattr(p, "choices").value)) if hasattr(p, "choices") else None]
                            for k, p in sorted(ng_space.items())}}
    convert["bayesopt"] = BayesOptSearch.convert_search_space(
        {{"f": tune.uniform(1, 5), "q": tune.quniform(1, 5, 0.5), "lf": tune.loguniform(1e-3, 1),
          "n": {{"deep": tune.uniform(-1, 1)}}, "const": 4}})
    convert["bayesopt_join"] = BayesOptSearch.convert_search_space({{"f": tune.uniform(1, 5), "const": 4}}, join=True)
    errors = {{}}
    for name, call in [("bo_int", lambda: BayesOptSearch.convert_search_space({{"i": tune.randint(1, 3)}})),
                       ("bo_choice", lambda: BayesOptSearch.convert_search_space({{"c": tune.choice([1, 2])}})),
                       ("bo_grid", lambda: BayesOptSearch.convert_search_space({{"g": tune.grid_search([1, 2])}})),
                       ("ng_grid", lambda: NevergradSearch.convert_search_space({{"g": tune.grid_search([1, 2])}})),
                       ("ng_function", lambda: NevergradSearch.convert_search_space(
                           {{"s": tune.sample_from(lambda spec: 1)}})),
                       ("bo_patience", lambda: BayesOptSearch(patience=0)),
                       ("ng_optimizer", lambda: NevergradSearch(optimizer="OnePlusOne")),
                       ("ng_kwargs", lambda: NevergradSearch(optimizer=ng.optimizers.OnePlusOne(
                           parametrization=2), optimizer_kwargs={{"budget": 3}})),
                       ("bo_no_metric", lambda: BayesOptSearch(space={{"x": (0, 1)}}).suggest("t"))]:
        try:
            call()
            errors[name] = None
        except Exception as e:
            errors[name] = [type(e).__name__, str(e)]
    print("PARITY" + json.dumps({{**out, "convert": convert, "errors": errors}}, default=str))
''')

RAY_IMPORTS = """
import ray
from ray import tune
from ray.tune.search import ConcurrencyLimiter
from ray.tune.search.bayesopt import BayesOptSearch
from ray.tune.search.nevergrad import NevergradSearch
"""
SWIFTTUNE_IMPORTS = """
import swifttune as ray
from swifttune import tune
from swifttune.tune.search import ConcurrencyLimiter
from swifttune.tune.search.bayesopt import BayesOptSearch
from swifttune.tune.search.nevergrad import NevergradSearch
"""


def test_library_searchers_suggest_what_ray_suggests(tmp_path):
    pytest.importorskip("ray")
    ray_out, ours = run_both(SCRIPT, RAY_IMPORTS, SWIFTTUNE_IMPORTS, tmp_path)
    for name in ray_out:
        assert ours[name] == ray_out[name], name
