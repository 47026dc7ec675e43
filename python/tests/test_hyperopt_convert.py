"""``HyperOptSearch.convert_search_space`` rule for rule with Ray's: the same Tune space converted
by Ray's (real hyperopt expressions, read back with ``swifttune.hyperopt``'s ``from_pyll``) and by
swifttune's gives the same hyperopt space; what Ray refuses, swifttune refuses.

Needs `ray[tune]` and `hyperopt` in the test environment (`make test` installs them).
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.ray


def _space(tune):
    return {"f": tune.uniform(1, 5), "q": tune.quniform(1, 5, 0.5), "lf": tune.loguniform(1e-3, 1),
            "qlf": tune.qloguniform(1e-2, 10, 0.01), "n": tune.randn(1, 2), "qn": tune.qrandn(0, 1, 0.5),
            "i": tune.randint(1, 10), "qi": tune.qrandint(2, 20, 2),
            "ch": tune.choice(["a", {"deep": tune.uniform(0, 1), "k": 3}, tune.randint(0, 4)]),
            "nested": {"x": tune.uniform(-1, 1), "c": 7}, "const": "text"}


def _described(space):
    from swifttune._space import HPNode

    if isinstance(space, dict):
        return {k: _described(v) for k, v in space.items()}
    if isinstance(space, list):
        return [_described(v) for v in space]
    if isinstance(space, HPNode):
        return space.node()
    return space


def test_convert_search_space_gives_rays_hyperopt_space():
    pytest.importorskip("ray")
    from ray import tune as ray_tune
    from ray.tune.search.hyperopt import HyperOptSearch as RayHyperOptSearch

    from swifttune import tune
    from swifttune.hyperopt._convert import from_pyll
    from swifttune.tune.search.hyperopt import HyperOptSearch

    theirs = from_pyll(RayHyperOptSearch.convert_search_space(_space(ray_tune)))
    ours = HyperOptSearch.convert_search_space(_space(tune))
    assert _described(ours) == _described(theirs)
    assert HyperOptSearch.convert_search_space({"c": 1}) == RayHyperOptSearch.convert_search_space({"c": 1}) == {}
    # and the converted space is one HyperOptSearch takes
    search = HyperOptSearch(ours, metric="loss", mode="min", random_state_seed=1)
    assert set(search.suggest("t")) >= {"f", "i", "ch", "nested", "const"}


def test_convert_search_space_refuses_what_ray_refuses():
    from ray import tune as ray_tune
    from ray.tune.search.hyperopt import HyperOptSearch as RayHyperOptSearch

    from swifttune import tune
    from swifttune.hyperopt._convert import from_pyll
    from swifttune.tune.search.hyperopt import HyperOptSearch

    for ray_space, our_space in [({"g": ray_tune.grid_search([1, 2])}, {"g": tune.grid_search([1, 2])}),
                                 ({"s": ray_tune.sample_from(lambda spec: 1)}, {"s": tune.sample_from(lambda spec: 1)})]:
        with pytest.raises(ValueError) as theirs:
            RayHyperOptSearch.convert_search_space(ray_space)
        with pytest.raises(ValueError) as ours:
            HyperOptSearch.convert_search_space(our_space)
        assert str(ours.value) == str(theirs.value)
    # Ray writes lograndint and qlograndint as scope.int(qloguniform(...)): swifttune reads Ray's, and writes the same
    from swifttune.hyperopt import space_eval

    theirs = from_pyll(RayHyperOptSearch.convert_search_space({"li": ray_tune.lograndint(1, 100),
                                                                "lq": ray_tune.qlograndint(1, 100, 5)}))
    ours = HyperOptSearch.convert_search_space({"li": tune.lograndint(1, 100), "lq": tune.qlograndint(1, 100, 5)})
    assert repr(ours) == repr(theirs) and repr(ours["li"]) == "scope.int(hp.qloguniform('li', ...))"
    assert [ours["li"].args[0].args, ours["lq"].args[0].args] == [theirs["li"].args[0].args, theirs["lq"].args[0].args]
    for li, lq in [(1.0, 5.0), (37.0, 55.0), (99.0, 100.0)]:
        assert space_eval(ours, {"li": li, "lq": lq}) == space_eval(theirs, {"li": li, "lq": lq}) == \
            {"li": int(li), "lq": int(lq)}
