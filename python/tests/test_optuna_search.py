"""``OptunaSearch`` (Ray's ``ray.tune.search.optuna.OptunaSearch``): Ray's signature and checks,
Ray's conversion of Tune domains (compared with the real Ray in the test venv), and its runs
through the Tuner with a scheduler; the Optuna rules themselves are compared with Optuna in
test_optuna_distributions.py."""
from __future__ import annotations

import json
import logging
import math

import pytest

from swifttune import tune
from swifttune.tune.search import ConcurrencyLimiter
from swifttune.tune.search.optuna import OptunaSearch

optuna = pytest.importorskip("optuna", reason="make test installs Optuna")
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)

SPACE = {"x": FloatDistribution(-5, 5), "n": IntDistribution(1, 9, step=2), "lr": FloatDistribution(1e-4, 1, log=True),
         "opt/kind": CategoricalDistribution(["adam", "sgd"])}


def loss(c):
    return (c["x"] - 2) ** 2 + abs(c["n"] - 5) + abs(math.log10(c["lr"]) + 2) + (0 if c["opt"]["kind"] == "sgd" else 1)


def run(searcher, n, prefix="t"):
    best = math.inf
    configs = []
    for i in range(n):
        c = searcher.suggest(f"{prefix}{i}")
        configs.append(c)
        best = min(best, loss(c))
        searcher.on_trial_complete(f"{prefix}{i}", {"loss": loss(c)})
    return best, configs


def test_optuna_search_takes_rays_arguments_and_refuses_what_it_cannot_run(caplog):
    # space: Optuna distributions ("a/b" names nest, as Ray unflattens them); metric, mode, seed.
    s = OptunaSearch(SPACE, metric="loss", mode="min", seed=4)
    best, configs = run(s, 60)
    assert best < 2.5, best
    assert set(configs[0]) == {"x", "n", "lr", "opt"} and configs[0]["opt"]["kind"] in ("adam", "sgd")
    assert all(c["n"] in (1, 3, 5, 7, 9) and 1e-4 <= c["lr"] < 1 for c in configs)
    # The same seed gives the same suggestions; another seed others.
    assert run(OptunaSearch(SPACE, metric="loss", mode="min", seed=4), 20)[1] == configs[:20]
    assert run(OptunaSearch(SPACE, metric="loss", mode="min", seed=5), 20)[1] != configs[:20]
    # points_to_evaluate come first; with evaluated_rewards they are finished trials.
    point = {"x": 2.0, "n": 5, "lr": 0.01, "opt/kind": "sgd"}
    s = OptunaSearch(SPACE, metric="loss", mode="min", points_to_evaluate=[point], seed=1)
    assert s.suggest("p") == {"x": 2.0, "n": 5, "lr": 0.01, "opt": {"kind": "sgd"}}
    s = OptunaSearch(SPACE, metric="loss", mode="max", points_to_evaluate=[point], evaluated_rewards=[3.0], seed=1,
                     study_name="mine")
    state = json.loads(_state(s))
    assert [t["state"] for t in state["searcher"]["trials"]] == ["completed"]
    with pytest.raises(ValueError, match="Dim of point 1 and reward 2 do not match"):
        OptunaSearch(SPACE, metric="loss", mode="min", points_to_evaluate=[point], evaluated_rewards=[1, 2])
    # sampler: a TPESampler's options run in Swift; a sampler with a seed ignores `seed` (Ray's warning).
    with caplog.at_level(logging.WARNING):
        s = OptunaSearch(SPACE, metric="loss", mode="min", seed=3,
                         sampler=optuna.samplers.TPESampler(seed=9, n_startup_trials=3, multivariate=False,
                                                            constant_liar=False, n_ei_candidates=5))
    assert "The `seed` parameter has to be passed to the sampler directly" in caplog.text
    spec = s._spec()
    assert spec["optuna"]["n_startup_trials"] == 3 and spec["optuna"]["n_ei_candidates"] == 5
    assert spec["optuna"]["multivariate"] is False and spec["optuna"]["constant_liar"] is False
    a = run(OptunaSearch(SPACE, metric="loss", mode="min", sampler=optuna.samplers.TPESampler(seed=9)), 15)[1]
    assert a == run(OptunaSearch(SPACE, metric="loss", mode="min", sampler=optuna.samplers.TPESampler(seed=9)), 15)[1]
    hyperopt_like = optuna.samplers.TPESampler(gamma=optuna.samplers._tpe.sampler.hyperopt_default_gamma)
    assert OptunaSearch(SPACE, sampler=hyperopt_like)._tpe["gamma"] == {"rule": "sqrt", "fraction": 0.25, "cap": 25}
    # What the Swift searcher alone does not do runs over an Optuna study, as Ray runs it: a
    # storage, another sampler (Optuna's own code), a TPESampler with a gamma of the user's (run
    # by swifttune's sampler, which calls it back).
    storage = optuna.storages.InMemoryStorage()
    s = OptunaSearch(SPACE, metric="loss", mode="min", storage=storage, study_name="shared", seed=2)
    assert s._study_mode and s._called_back
    run(s, 12)
    assert len(optuna.load_study(study_name="shared", storage=storage).trials) == 12
    s = OptunaSearch(SPACE, metric="loss", mode="min", sampler=optuna.samplers.RandomSampler(seed=1))
    assert s._study_mode and type(s._study.study.sampler).__name__ == "RandomSampler"
    run(s, 5)
    import swifttune.optuna as so

    asked = []
    s = OptunaSearch(SPACE, metric="loss", mode="min",
                     sampler=optuna.samplers.TPESampler(gamma=lambda n: asked.append(n) or 3))
    assert s._study_mode and isinstance(s._study.study.sampler, so.TPESampler)
    run(s, 12)
    assert 11 in asked
    with pytest.raises(AssertionError, match="You can only pass an instance of `optuna.samplers.BaseSampler`"):
        OptunaSearch(SPACE, sampler=object())
    # Ray's RuntimeErrors without a space, a metric or a mode.
    with pytest.raises(RuntimeError, match="no search space has been defined"):
        OptunaSearch().suggest("a")
    with pytest.raises(RuntimeError, match="parameters have not been set"):
        OptunaSearch(SPACE).suggest("a")


def _state(searcher):
    from swifttune._lib import lib

    return lib.call_string("st_searcher_save", searcher._ensure().p)


def test_ray_conversion_of_tune_domains_is_rays(caplog):
    ray_optuna = pytest.importorskip("ray.tune.search.optuna")
    from ray import tune as ray_tune

    ours = {"u": tune.uniform(-1, 2), "q": tune.quniform(0, 0.9, 0.3), "lu": tune.loguniform(1e-3, 1),
            "ri": tune.randint(0, 10), "qri": tune.qrandint(2, 20, 4), "lri": tune.lograndint(1, 100),
            "c": tune.choice(["a", "b", 3]), "nested": {"w": tune.uniform(0, 1)}, "const": 7}
    theirs = {"u": ray_tune.uniform(-1, 2), "q": ray_tune.quniform(0, 0.9, 0.3), "lu": ray_tune.loguniform(1e-3, 1),
              "ri": ray_tune.randint(0, 10), "qri": ray_tune.qrandint(2, 20, 4), "lri": ray_tune.lograndint(1, 100),
              "c": ray_tune.choice(["a", "b", 3]), "nested": {"w": ray_tune.uniform(0, 1)}, "const": 7}
    ray_space = ray_optuna.OptunaSearch.convert_search_space(theirs)
    mine = OptunaSearch.convert_search_space(ours)
    flat = {"u": mine["u"], "q": mine["q"], "lu": mine["lu"], "ri": mine["ri"], "qri": mine["qri"], "lri": mine["lri"],
            "c": mine["c"], "nested/w": mine["nested"]["w"]}
    assert set(ray_space) == set(flat)
    for name, d in ray_space.items():
        node = flat[name]
        if isinstance(d, CategoricalDistribution):
            assert list(d.choices) == node.categories
            continue
        args = node.args
        assert node.kind == ("optuna.int" if isinstance(d, IntDistribution) else "optuna.float"), name
        assert (args["low"], args["high"], bool(args.get("log", False))) == (d.low, d.high, d.log), name
        if not d.log:
            assert args.get("step") == d.step, name
    assert mine["const"] == 7
    with pytest.raises(ValueError, match="Grid search parameters cannot be automatically converted"):
        OptunaSearch.convert_search_space({"g": tune.grid_search([1, 2])})
    with pytest.raises(ValueError, match="does not support parameters of type `Float` with samplers of type `Normal`"):
        OptunaSearch.convert_search_space({"r": tune.randn(0, 1)})
    # A space of Tune domains given to the searcher itself: Ray's warning, then converted.
    with caplog.at_level(logging.WARNING):
        s = OptunaSearch({"x": tune.uniform(0, 1)}, metric="m", mode="min")
    assert "contained unresolved search space definitions" in caplog.text
    assert 0 <= s.suggest("a")["x"] < 1


def test_optuna_search_in_the_tuner_with_asha_hears_intermediate_results(tmp_path):
    def objective(config):
        for step in range(1, 9):
            tune.report({"loss": (config["x"] - 0.3) ** 2 + 1 / step, "training_iteration_seen": step})

    searcher = OptunaSearch(seed=3)
    tuner = tune.Tuner(objective, param_space={"x": tune.uniform(0, 1), "k": tune.randint(1, 4)},
                       tune_config=tune.TuneConfig(search_alg=ConcurrencyLimiter(searcher, 3), metric="loss", mode="min",
                                                   num_samples=30, scheduler=tune.schedulers.ASHAScheduler(max_t=8)),
                       run_config=tune.RunConfig(storage_path=str(tmp_path), name="optuna", verbose=0))
    grid = tuner.fit()
    assert len(grid) == 30 and not grid.errors
    best = grid.get_best_result()
    assert abs(best.config["x"] - 0.3) < 0.25
    # The engine handed the searcher the results of trials that went on (Ray's on_trial_result ->
    # trial.report(metric, training_iteration)); it keeps each one's latest, saved with it.
    state = json.loads((tmp_path / "optuna" / "experiment_state.json").read_text())
    reports = state["engine"]["limiter"]["searcher"]["reports"]
    assert reports, "no intermediate value reached the searcher"
    for trial_id, (step, value) in reports.items():
        assert step == int(step) and 1 <= step < 8 and value > 0, (trial_id, step, value)


def test_standalone_results_rank_trials_that_end_without_a_metric():
    s = OptunaSearch({"x": FloatDistribution(0, 1)}, metric="loss", mode="min", seed=2,
                     sampler=optuna.samplers.TPESampler(seed=2, n_startup_trials=2))
    s.suggest("a")
    s.on_trial_result("a", {"loss": 0.5, "training_iteration": 1})
    s.on_trial_result("a", {"loss": 0.25, "training_iteration": 3})
    s.on_trial_result("a", {"loss": 9.0, "training_iteration": 3})  # a step told twice keeps its first value
    s.on_trial_complete("a")  # no metric: pruned
    s.suggest("b")
    s.on_trial_complete("b", error=True)  # failed
    s.suggest("c")
    s.on_trial_complete("c", {"loss": 0.1}, error=True)  # a metric completes it, error or not
    trials = {t["id"]: t["state"] for t in json.loads(_state(s))["searcher"]["trials"]}
    assert trials == {"a": "completed_without_metric", "b": "failed", "c": "completed"}
    assert json.loads(_state(s))["searcher"]["reports"] == {"a": [3.0, 0.25]}
    s.on_trial_complete("c", {"loss": 0.1})  # a second completion is ignored (Ray warns)
    with pytest.raises(KeyError):
        s.suggest("d")
        s.on_trial_result("d", {"other": 1, "training_iteration": 1})
    s.add_evaluated_point({"x": 0.5}, 1.0)
    s.add_evaluated_point({"x": 0.6}, 0.0, pruned=True)
    s.add_evaluated_point({"x": 0.7}, 0.0, error=True)
    states = [t["state"] for t in json.loads(_state(s))["searcher"]["trials"]][-3:]
    assert states == ["completed", "completed_without_metric", "failed"]
    with pytest.raises(NotImplementedError, match="intermediate_values"):
        s.add_evaluated_point({"x": 0.6}, 0.0, pruned=True, intermediate_values=[1.0])


def test_define_by_run_and_several_metrics_run_over_an_optuna_study():
    import swifttune.optuna as so

    def space(trial):
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            trial.suggest_float("x", 0, 1)
        else:
            trial.suggest_int(name="n", low=1, high=5)
        return {"constant": 3}

    s = OptunaSearch(space, metric="loss", mode="min", seed=1)
    assert s._study_mode and isinstance(s._study.study.sampler, so.TPESampler)
    for i in range(30):
        c = s.suggest(f"t{i}")
        assert c["constant"] == 3 and (set(c) == {"kind", "x", "constant"} if c["kind"] == "a" else set(c) == {"kind", "n", "constant"})
        s.on_trial_result(f"t{i}", {"loss": 1.0, "training_iteration": 1})
        s.on_trial_complete(f"t{i}", {"loss": (c.get("x", 1) - 0.2) ** 2 + (0 if c["kind"] == "a" else 1)})
    trials = s._study.study.trials
    assert len(trials) == 30 and trials[3].intermediate_values == {1: 1.0}
    assert sum(t.params["kind"] == "a" for t in trials[15:]) > 10  # TPE found the better branch
    with pytest.raises(TypeError, match="Define-by-run function passed in `space` argument is not yet supported"):
        s.add_evaluated_point({"kind": "a", "x": 0.5}, 1.0)
    # Several metrics: swifttune's sampler with Optuna's multi-objective TPE over the study's
    # directions (Ray's MOTPE path), past its 10 random trials.
    m = OptunaSearch({"x": FloatDistribution(0, 1)}, metric=["a", "b"], mode=["min", "max"], seed=3)
    assert isinstance(m._study.study.sampler, so.TPESampler)
    for i in range(30):
        x = m.suggest(f"m{i}")["x"]
        m.on_trial_complete(f"m{i}", {"a": x, "b": x * x})
    assert m._study.study.directions[1] == optuna.study.StudyDirection.MAXIMIZE
    assert len(m._study.study.best_trials) >= 1
    # A user's TPESampler keeps its options (here hyperopt's gamma) under swifttune's sampler.
    from optuna.samplers._tpe.sampler import hyperopt_default_gamma

    h = OptunaSearch({"x": FloatDistribution(0, 1)}, metric=["a", "b"], mode=["min", "max"],
                     sampler=optuna.samplers.TPESampler(seed=3, gamma=hyperopt_default_gamma))
    assert h._study.study.sampler._options["gamma"]["rule"] == "sqrt"
    # A constraints_func: Ray's study path, run by swifttune's sampler, which stores the constraints.
    with pytest.warns(FutureWarning):
        constrained = optuna.samplers.TPESampler(seed=3, constraints_func=lambda t: [0.5 - t.params["x"]])
    c = OptunaSearch({"x": FloatDistribution(0, 1)}, metric="a", mode="min", sampler=constrained)
    assert c._study_mode and isinstance(c._study.study.sampler, so.TPESampler)
    for i in range(25):
        x = c.suggest(f"c{i}")["x"]
        c.on_trial_complete(f"c{i}", {"a": x})
    trials = c._study.study.trials
    assert all(t.constraints == {"0": 0.5 - t.params["x"]} for t in trials)
    assert sum(t.params["x"] >= 0.5 for t in trials[15:]) >= 5  # the best feasible x is 0.5 (without: towards 0)
    with pytest.raises(ValueError, match="``metric`` must be defined"):
        OptunaSearch({"x": FloatDistribution(0, 1)}, mode=["min", "max"])
