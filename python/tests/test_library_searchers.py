"""Ray's wrappers of other libraries in swifttune: ``BayesOptSearch`` and ``NevergradSearch`` run
through the engine's user-searcher path (both executors), keep Ray's rules (duplicates,
``analysis``, ``verbose``, save/restore), and ``AxSearch``, ``HEBOSearch`` and ``ZOOptSearch``
are refused by name. Side by side with Ray: test_ray_parity_library_searchers.py."""
from __future__ import annotations

import pytest

from helpers import tc
from swifttune import tune
from swifttune.tune.search import ConcurrencyLimiter
from swifttune.tune.search.bayesopt import BayesOptSearch
from swifttune.tune.search.nevergrad import NevergradSearch

SPACE = {"x": tune.uniform(0, 1), "nested": {"y": tune.uniform(-2, 2)}, "c": 3}


def objective(config):
    tune.report({"loss": (config["x"] - 0.3) ** 2 + (config["nested"]["y"] + 1) ** 2, "c": config["c"]})


def _fit(run_config, search, executor=None, n=6, **kw):
    return tune.Tuner(objective, param_space=kw.pop("param_space", SPACE),
                      tune_config=tc(executor, search_alg=ConcurrencyLimiter(search, max_concurrent=1), num_samples=n),
                      run_config=run_config(**kw)).fit()


def test_bayesopt_runs_its_suggestions_and_learns(run_config, executor):
    search = BayesOptSearch(random_search_steps=3, random_state=1, utility_kwargs={"kind": "ei", "kappa": 2.5, "xi": 0.1})
    assert (search.utility.kind, search.utility.xi) == ("ei", 0.1)
    results = _fit(run_config, search, executor)
    assert len(results) == 6 and all(r.config["c"] == 3 for r in results)
    assert len(search.optimizer.space) == 6  # every completed trial registered with the Gaussian process
    assert search.metric == "loss" and search.mode == "min"


def test_bayesopt_skip_duplicate_false_runs_a_repeated_point(run_config):
    point = {"x": 0.5, "nested/y": 0.0}
    # (both in the random phase: bayesian-optimization itself refuses to register a point twice)
    skipping = _fit(run_config, BayesOptSearch(points_to_evaluate=[point] * 2, random_search_steps=3), n=2,
                    name="skip")
    running = _fit(run_config, BayesOptSearch(points_to_evaluate=[point] * 2, random_search_steps=3,
                                              skip_duplicate=False), n=2, name="keep")
    assert sum(r.config["x"] == 0.5 for r in skipping) == 1
    assert sum(r.config["x"] == 0.5 for r in running) == 2


def test_bayesopt_patience_finishes_the_search_on_a_repeated_point(run_config):
    point = {"x": 0.5, "nested/y": 0.0}
    # the point's 3rd suggestion is past patience=2: Searcher.FINISHED, so 1 trial of the 6 asked for
    results = _fit(run_config, BayesOptSearch(points_to_evaluate=[point] * 4, random_search_steps=1, patience=2), n=6)
    assert len(results) == 1
    with pytest.raises(ValueError, match="patience must be set to a value greater than 0"):
        BayesOptSearch(patience=0)


def test_bayesopt_analysis_registers_an_earlier_experiment(run_config, tmp_path):
    def flat(config):
        tune.report({"loss": (config["x"] - 0.3) ** 2})

    # (the configurations are registered as they are: their keys must be the space's, as in Ray)
    first = tune.run(flat, config={"x": tune.uniform(0, 1)}, num_samples=4, metric="loss", mode="min",
                     storage_path=str(tmp_path / "first"), verbose=0)
    search = BayesOptSearch(space={"x": (0, 1)}, metric="loss", mode="min", analysis=first)
    assert len(search.optimizer.space) == 4  # the earlier trials, before any suggestion


def test_bayesopt_verbose_reaches_the_library():
    search = BayesOptSearch(space={"x": (0, 1)}, metric="loss", mode="min", verbose=2)
    assert search.optimizer._verbose == 2


def test_bayesopt_save_and_restore_continue_the_model(tmp_path, run_config):
    search = BayesOptSearch(random_search_steps=2, random_state=3)
    _fit(run_config, search, n=3)
    path = str(tmp_path / "bo.pkl")
    search.save(path)
    again = BayesOptSearch(space={"x": (0, 1)}, metric="loss", mode="min")
    again.restore(path)
    assert len(again.optimizer.space) == 3 and again.get_state()["_random_state"] == 3
    assert again.suggest("next") is not None


def test_nevergrad_runs_its_suggestions(run_config, executor):
    import nevergrad as ng

    search = NevergradSearch(optimizer=ng.optimizers.OnePlusOne, points_to_evaluate=[{"x": 0.25, "nested/y": 1.0}])
    results = _fit(run_config, search, executor)
    assert len(results) == 6 and any(r.config == {"x": 0.25, "nested": {"y": 1.0}, "c": 3} for r in results)
    assert search._nevergrad_opt.num_tell == 6


def test_nevergrad_takes_an_optimizer_instance_with_parameter_names(run_config):
    import nevergrad as ng

    opt = ng.optimizers.OnePlusOne(parametrization=2)
    search = NevergradSearch(optimizer=opt, space=["x", "nested/y"], metric="loss", mode="min")
    results = _fit(run_config, search, param_space={"c": 3}, n=3)
    assert all(set(r.config) == {"x", "nested", "c"} for r in results)
    assert opt.num_tell == 3


def test_nevergrad_optimizer_kwargs_reach_the_optimizer():
    import nevergrad as ng

    search = NevergradSearch(optimizer=ng.optimizers.OnePlusOne, optimizer_kwargs={"budget": 7},
                             space={"x": tune.uniform(0, 1)}, metric="loss", mode="max")
    assert search._nevergrad_opt.budget == 7 and search._metric_op == -1.0


def test_nevergrad_save_and_restore(tmp_path, run_config):
    import nevergrad as ng

    search = NevergradSearch(optimizer=ng.optimizers.OnePlusOne)
    _fit(run_config, search, n=2)
    path = str(tmp_path / "ng.pkl")
    search.save(path)
    again = NevergradSearch(optimizer=ng.optimizers.OnePlusOne)
    again.restore(path)
    assert again._nevergrad_opt.num_tell == 2


@pytest.mark.parametrize("module,name", [("ax", "AxSearch"), ("hebo", "HEBOSearch"), ("zoopt", "ZOOptSearch")])
def test_other_library_searchers_are_refused_by_name(module, name):
    import importlib

    cls = getattr(importlib.import_module(f"swifttune.tune.search.{module}"), name)
    with pytest.raises(NotImplementedError, match=name):
        cls()


def test_hyperopt_get_state_and_set_state_continue_the_suggestions():
    from swifttune.tune.search.hyperopt import HyperOptSearch

    space = {"x": tune.uniform(0, 1), "c": tune.choice([object, "b"])}
    first = HyperOptSearch(space, metric="loss", mode="min", random_state_seed=5, n_initial_points=2)
    for i in range(4):
        config = first.suggest(f"t{i}")
        first.on_trial_complete(f"t{i}", {"loss": config["x"]})
    state = first.get_state()
    again = HyperOptSearch(space, metric="loss", mode="min")
    again.set_state(state)
    assert [again.suggest(f"n{i}") for i in range(3)] == [first.suggest(f"n{i}") for i in range(3)]
    with pytest.raises(ValueError, match="what HyperOptSearch.get_state returned"):
        again.set_state({"hyperopt_trials": None})
