"""A user-written ``Searcher`` subclass, parity with real Ray Tune: the same searcher and trainable
run with Ray and with swifttune (imports swapped) make the same suggestions, run them, and tell the
searcher the same things (``set_search_properties``, ``on_trial_result``, ``on_trial_complete`` with
the final result or ``error=True``, ``Searcher.FINISHED``, ``suggest`` answering None), also behind a
``ConcurrencyLimiter``; and ``Repeater`` (the repeats' configurations and ``__trial_index__``, the
mean each group's primary trial is completed with, an error passed on). What the searcher hears is keyed by its configuration (trial ids differ).

Needs `ray[tune]` in the test environment (`make test` installs it).
"""
import textwrap

import pytest

from ray_scripts import run_both

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent('''
    import json, sys
    {imports}

    class ListSearcher(Searcher):
        """Suggests the given x values in order, then FINISHED; one at a time when `serial`."""

        def __init__(self, xs, serial=False, metric=None, mode=None):
            super().__init__(metric=metric, mode=mode)
            self.xs, self.serial = list(xs), serial
            self.live, self.heard, self.props = {{}}, {{}}, None

        def set_search_properties(self, metric, mode, config, **spec):
            self.props = [metric, mode, sorted(config)]
            return True

        def suggest(self, trial_id):
            if self.serial and self.live:
                return None
            if not self.xs:
                return Searcher.FINISHED
            x = self.xs.pop(0)
            self.live[trial_id] = x
            return {{"x": x, "opt": {{"lr": x / 10}}}}

        def on_trial_result(self, trial_id, result):
            self.heard.setdefault(str(self.live[trial_id]), {{}}).setdefault("results", []).append(
                [result["loss"], result["training_iteration"], result["config/opt/lr"], result["config/c"]])

        def on_trial_complete(self, trial_id, result=None, error=False):
            x = self.live.pop(trial_id)
            self.heard.setdefault(str(x), {{}})["complete"] = [error, None if result is None else result["loss"],
                                                               None if result is None else result.get("done")]

    def trainable(config):
        if config["x"] == 4:
            raise ValueError("x=4 fails")
        for step in range(3):
            tune.report({{"loss": (config["x"] - 3) ** 2 + step + config["c"]}})

    ray.init(num_cpus=2, configure_logging=False{ray_init_extra})
    out = {{}}
    for name, serial, limit in [("plain", False, None), ("limited", False, 2), ("serial", True, None)]:
        s = ListSearcher([1, 2, 3, 4, 5])
        alg = ConcurrencyLimiter(s, max_concurrent=limit) if limit else s
        tuner = tune.Tuner(trainable, param_space={{"c": 10, "opt": {{"momentum": 0.9}}}},
                           tune_config=tune.TuneConfig(search_alg=alg, metric="loss", mode="min", num_samples=8),
                           run_config=tune.RunConfig(storage_path=sys.argv[1], name=name, verbose=0))
        results = tuner.fit()
        best = results.get_best_result()
        out[name] = {{"n": len(results), "errors": results.num_errors, "best": best.config,
                     "heard": s.heard, "props": s.props,
                     "configs": sorted(json.dumps(r.config, sort_keys=True) for r in results)}}
    class Told(Searcher):
        """Suggests x = 1, 2, ...; keeps what it is told, by x. With `props` it takes the Tuner's metric."""

        def __init__(self, props, metric=None):
            super().__init__(metric=metric, mode="min" if metric else None)
            self.n, self.ids, self.told, self.props = 0, {{}}, {{}}, props

        def set_search_properties(self, metric, mode, config, **spec):
            if not self.props:
                return False
            self._metric, self._mode = metric, mode
            return True

        def suggest(self, trial_id):
            self.n += 1
            self.ids[trial_id] = self.n
            return {{"x": self.n}}

        def on_trial_complete(self, trial_id, result=None, error=False):
            self.told[str(self.ids[trial_id])] = [result, error]

    def repeated(config):
        if config["x"] == 2 and config["__trial_index__"] == 1:
            raise ValueError("x=2 fails once")
        tune.report({{"loss": config["x"] * 10 + config["__trial_index__"] + config["c"]}})

    # One trial at a time, so that which trial of a group ends last (its error flag is passed on) is fixed.
    # Ray's ConcurrencyLimiter keeps the metric its searcher had when it was made (Ray's Repeater
    # reads it there): the inner_limit searcher has its metric from the start.
    for name, props, metric, wrap in [("repeat3", True, None, lambda s: Repeater(s, repeat=3)),
                                      ("repeat_limited", True, None, lambda s: ConcurrencyLimiter(Repeater(s, 2), 1)),
                                      ("inner_limit", True, "loss", lambda s: Repeater(ConcurrencyLimiter(s, 1), 2)),
                                      ("no_metric", False, None, lambda s: Repeater(s, 2))]:
        s = Told(props, metric)
        results = tune.Tuner(repeated, param_space={{"c": 1}}, tune_config=tune.TuneConfig(search_alg=wrap(s), metric="loss", mode="min",
                                                                   num_samples=7, max_concurrent_trials=1),
                             run_config=tune.RunConfig(storage_path=sys.argv[1], name=name, verbose=0)).fit()
        out[name] = {{"told": s.told, "errors": results.num_errors,
                     "configs": sorted(json.dumps(r.config, sort_keys=True) for r in results)}}
    print("PARITY" + json.dumps(out))
''')

RAY_IMPORTS = """
import ray
from ray import tune
from ray.tune.search import ConcurrencyLimiter, Repeater, Searcher
"""
SWIFTTUNE_IMPORTS = """
import swifttune as ray
from swifttune import tune
from swifttune.tune.search import ConcurrencyLimiter, Repeater, Searcher
"""


def test_a_user_searcher_is_called_as_ray_calls_it(tmp_path):
    pytest.importorskip("ray")
    ray_out, ours = run_both(SCRIPT, RAY_IMPORTS, SWIFTTUNE_IMPORTS, tmp_path)
    for name in ray_out:
        assert ours[name] == ray_out[name], name
    assert ours["plain"]["n"] == 5 and ours["plain"]["errors"] == 1
    assert ours["repeat3"]["told"]["1"] == [{"loss": 12.0}, False]  # the mean of 11, 12, 13
