"""Ray's ``BasicVariantGenerator(constant_grid_search=...)``, parity with real Ray Tune: with it,
every grid combination of a sample shares the sample's random values (one draw per sample);
without it, every trial draws its own. The same script under Ray and swifttune gives the same
grouping (the values themselves are each library's own draws).

Needs `ray[tune]` in the test environment (`make test` installs it).
"""
import textwrap

import pytest

from ray_scripts import run_both

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent('''
    import json, sys
    {imports}

    def objective(config):
        return {{"score": config["g"] + config["x"]}}

    ray.init(num_cpus=1, configure_logging=False{ray_init_extra})
    out = {{}}
    for constant in (True, False):
        results = tune.Tuner(objective, param_space={{"g": tune.grid_search([1, 2, 3]), "x": tune.uniform(0, 1),
                                                       "n": {{"y": tune.randint(0, 10 ** 6)}}, "c": 5}},
                             tune_config=tune.TuneConfig(num_samples=2, search_alg=BasicVariantGenerator(
                                 constant_grid_search=constant, random_state=1)),
                             run_config=tune.RunConfig(storage_path=sys.argv[1], name=f"grid_{{constant}}",
                                                       verbose=0)).fit()
        groups = {{}}
        for r in results:
            groups.setdefault((r.config["x"], r.config["n"]["y"]), []).append(r.config["g"])
        out[str(constant)] = sorted(sorted(g) for g in groups.values())
    print("PARITY" + json.dumps(out))
''')

RAY_IMPORTS = """
import ray
from ray import tune
from ray.tune.search import BasicVariantGenerator
"""
SWIFTTUNE_IMPORTS = """
import swifttune as ray
from swifttune import tune
from swifttune.tune.search import BasicVariantGenerator
"""


def test_constant_grid_search_shares_a_samples_draws_as_ray_does(tmp_path):
    pytest.importorskip("ray")
    ray_out, ours = run_both(SCRIPT, RAY_IMPORTS, SWIFTTUNE_IMPORTS, tmp_path)
    assert ours["True"] == [[1, 2, 3], [1, 2, 3]]
    assert ours["False"] == [[1]] * 2 + [[2]] * 2 + [[3]] * 2
    assert ours == ray_out
