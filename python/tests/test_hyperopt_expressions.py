"""pyll expressions over hp nodes, side by side with hyperopt 0.3: ``scope.int(hp.qloguniform(...))``,
arithmetic, pyll's math functions, a function of your own (``scope.define``), hp nodes in lists
and tuples, and hyperopt's own pyll graphs read by swifttune. The configurations are hyperopt's
evaluation of the same label values; random draws follow hyperopt's (KS)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from swifttune import tune
from swifttune.hyperopt import Trials, fmin, hp, rand, space_eval, tpe
from swifttune.hyperopt.pyll import scope

hyperopt = pytest.importorskip("hyperopt", reason="make test installs hyperopt 0.3")
from hyperopt.pyll import scope as their_scope  # noqa: E402


def halve(x):
    return x / 2


scope.define(halve)
their_scope.define(halve)


def space(hp, scope):
    """One space for both libraries: every kind of expression the module covers."""
    return {
        "n_estimators": scope.int(hp.qloguniform("n_estimators", math.log(10), math.log(1000), 1)),
        "depth": scope.int(hp.quniform("depth", 1, 12, 1)),
        "lr": 10 ** hp.uniform("log_lr", -5, -1),
        "scaled": hp.uniform("u", 0, 1) * 2 + 1,
        "ratio": 1 / (hp.uniform("v", 1, 2) - 0.5),
        "neg": -hp.normal("z", 0, 1),
        "floor": hp.uniform("w", 0, 10) // 3,
        "big": hp.uniform("b", 0, 1) > 0.5,
        "exp": scope.exp(hp.normal("e", 0, 1)),
        "mix": scope.maximum(hp.uniform("m1", 0, 1), hp.uniform("m2", 0, 1)),
        "as_float": scope.float(hp.randint("r", 10)),
        "mine": scope.halve(hp.uniform("h", 0, 4)),
        "pair": [1, hp.uniform("p", 0, 1)],
        "tup": (hp.choice("c", ["a", "b"]), 2),
        "picked": hp.choice("k", [[10, 20], [30, 40]])[1],
        "branch": hp.choice("branch", [{"kind": "lin", "alpha": 10 ** hp.uniform("alpha", -3, 0)},
                                       {"kind": "tree", "leaves": scope.int(hp.qloguniform("leaves", 1, 5, 1))}]),
    }


ASSIGNMENTS = [
    {"n_estimators": 55.0, "depth": 3.0, "log_lr": -2.5, "u": 0.25, "v": 1.5, "z": 0.3, "w": 7.2, "b": 0.7, "e": 0.0,
     "m1": 0.2, "m2": 0.9, "r": 4, "h": 3.0, "p": 0.1, "c": 1, "k": 0, "branch": 0, "alpha": -1.0},
    {"n_estimators": 999.0, "depth": 12.0, "log_lr": -5.0, "u": 1.0, "v": 1.0, "z": -2.0, "w": 0.0, "b": 0.2,
     "e": 1.0, "m1": 0.8, "m2": 0.1, "r": 0, "h": 0.5, "p": 0.9, "c": 0, "k": 1, "branch": 1, "leaves": 37.0},
]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_space_eval_is_hyperopts(assignment):
    theirs = hyperopt.space_eval(space(hyperopt.hp, their_scope), assignment)
    assert space_eval(space(hp, scope), assignment) == theirs
    assert space_eval(space(hyperopt.hp, their_scope), assignment) == theirs  # hyperopt's own graph, read
    assert isinstance(theirs["pair"], tuple) and isinstance(theirs["n_estimators"], int)


@pytest.mark.parametrize("algo", ["rand", "tpe"])
def test_each_configuration_is_hyperopts_evaluation_of_its_labels(algo):
    seen = []
    trials = Trials()
    fmin(lambda p: seen.append(p) or p["scaled"] + p["neg"], space(hp, scope), algo={"rand": rand, "tpe": tpe}[algo].suggest,
         max_evals=40, trials=trials, rstate=np.random.default_rng(3), show_progressbar=False)
    their_space = space(hyperopt.hp, their_scope)
    for config, doc in zip(seen, trials.trials):
        vals = {k: v[0] for k, v in doc["misc"]["vals"].items() if v}
        assert config == hyperopt.space_eval(their_space, vals)
    # and the same through hyperopt's own graph given to swifttune's fmin
    seen_pyll = []
    fmin(lambda p: seen_pyll.append(p) or 0.0, their_space, algo=tpe.suggest, max_evals=5,
         rstate=np.random.default_rng(3), show_progressbar=False)
    assert [c["n_estimators"] for c in seen_pyll] == [c["n_estimators"] for c in seen[:5]] and \
        all(isinstance(c["n_estimators"], int) for c in seen_pyll)


def test_random_draws_of_expressions_follow_hyperopts():
    from scipy.stats import ks_2samp

    n = 1500
    ours: list = []
    fmin(lambda p: ours.append(p) or 0.0, space(hp, scope), algo=rand.suggest, max_evals=n,
         rstate=np.random.default_rng(11), show_progressbar=False)
    theirs: list = []
    hyperopt.fmin(lambda p: theirs.append(p) or 0.0, space(hyperopt.hp, their_scope), algo=hyperopt.rand.suggest,
                  max_evals=n, rstate=np.random.default_rng(12), show_progressbar=False)
    for key in ("n_estimators", "lr", "scaled", "ratio", "exp", "mix", "mine"):
        p = ks_2samp([c[key] for c in ours], [c[key] for c in theirs]).pvalue
        assert p > 1e-3, (key, p)
    assert {c["n_estimators"] for c in ours} <= set(range(10, 1001))


def test_hyperoptsearch_in_a_tuner_gives_the_evaluated_values(tmp_path):
    from swifttune.tune.search.hyperopt import HyperOptSearch

    def objective(config):
        tune.report({"loss": config["n"] * config["lr"]})

    search = HyperOptSearch(space={"n": scope.int(hp.qloguniform("n", 0, 4, 1)), "lr": 10 ** hp.uniform("lr", -3, 0),
                                   "both": (hp.uniform("a", 0, 1), 3)},
                            metric="loss", mode="min", random_state_seed=0)
    results = tune.Tuner(objective, tune_config=tune.TuneConfig(search_alg=search, num_samples=12, executor="thread"),
                         run_config=tune.RunConfig(storage_path=str(tmp_path), name="e", verbose=0)).fit()
    for r in results:
        c = r.config
        assert isinstance(c["n"], int) and 1 <= c["n"] <= round(math.exp(4)) and 1e-3 <= c["lr"] <= 1
        assert isinstance(c["both"], tuple) and c["both"][1] == 3
        assert r.metrics["loss"] == c["n"] * c["lr"]


def test_unknown_scope_functions_are_named():
    with pytest.raises(AttributeError, match=r"scope.nope: swifttune's pyll scope has \[.*'exp'.*'halve'"):
        scope.nope(hp.uniform("x", 0, 1))
    assert scope.exp(0.0) == 1.0 and scope.int(2.7) == 2  # plain values: the value at once


def test_an_hp_node_is_not_iterable():
    with pytest.raises(TypeError, match="is not iterable"):
        list(hp.uniform("x", 0, 1))
