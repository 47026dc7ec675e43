"""Search algorithms: HyperOptSearch / ConcurrencyLimiter / BasicVariantGenerator standalone and in the
Tuner, hyperopt's hp space, and the errors for invalid arguments."""
from __future__ import annotations

import collections
import json
import math

import pytest

from swifttune import SwiftTuneError, tune
from swifttune.hyperopt import hp
from swifttune.tune.search import BasicVariantGenerator, ConcurrencyLimiter, Searcher
from swifttune.tune.search.hyperopt import HyperOptSearch

from helpers import FileLog, THREAD, hold, max_overlap, tc

SPACE = {"x": hp.uniform("x", -5, 5), "c": hp.choice("c", ["a", "b"])}


def _loss(config):
    return (config["x"] - 1) ** 2 + (0 if config["c"] == "a" else 1)


# ---------------------------------------------------------------------------------------------
# HyperOptSearch standalone (Ray's Searcher methods)


def test_hyperopt_standalone_suggest_complete_save_restore(tmp_path):
    s = HyperOptSearch(space=SPACE, random_state_seed=3, n_initial_points=5)
    assert isinstance(s, Searcher)
    assert s.set_search_properties("loss", "min", {}) is True
    assert (s.metric, s.mode) == ("loss", "min")
    seen = []
    for i in range(25):
        c = s.suggest(f"t{i}")
        assert set(c) == {"x", "c"} and -5 <= c["x"] < 5 and c["c"] in ("a", "b")
        seen.append(c)
        s.on_trial_result(f"t{i}", {"loss": 100.0})  # intermediate results are accepted
        s.on_trial_complete(f"t{i}", {"loss": _loss(c)})
    assert len({c["x"] for c in seen}) == 25
    # after the 5 random points TPE concentrates near the optimum x = 1, c = "a"
    late = seen[15:]
    assert sum(abs(c["x"] - 1) < 2 for c in late) >= 6
    assert sum(c["c"] == "a" for c in late) >= 6

    ckpt = tmp_path / "searcher.json"
    s.save(str(ckpt))
    state = json.loads(ckpt.read_text())
    inner = state["searcher"] if isinstance(state.get("searcher"), dict) else state  # may be wrapped by a limiter
    assert inner["searcher"] == "tpe" and inner["mode"] == "min"
    assert len(inner["trials"]) == 25

    expected = [s.suggest(f"n{i}") for i in range(3)]
    restored = HyperOptSearch(space=SPACE)
    restored.restore(str(ckpt))
    assert restored.mode == "min"
    assert [restored.suggest(f"n{i}") for i in range(3)] == expected


def test_restore_keeps_the_saved_mode(tmp_path):
    s = HyperOptSearch(space=SPACE, metric="score", mode="max", random_state_seed=2)
    s.suggest("a")
    s.on_trial_complete("a", {"score": 1.0})
    s.save(str(tmp_path / "ck.json"))
    expected = s.suggest("b")
    r = HyperOptSearch(space=SPACE, metric="score")
    r.restore(str(tmp_path / "ck.json"))
    assert r.mode == "max"
    assert r.suggest("b") == expected


def test_hyperopt_set_search_properties_after_use_is_refused():
    s = HyperOptSearch(space=SPACE, metric="loss", mode="min")
    s.suggest("a")
    assert s.set_search_properties("other", "max", {}) is False
    assert (s.metric, s.mode) == ("loss", "min")


def test_hyperopt_set_search_properties_takes_the_space():
    s = HyperOptSearch()
    assert s.set_search_properties("loss", "max", {"x": tune.uniform(2, 3)}) is True
    assert s.mode == "max"
    c = s.suggest("a")
    assert 2 <= c["x"] < 3


def test_searcher_without_space_says_so():
    with pytest.raises(ValueError, match="space"):
        HyperOptSearch().suggest("x")


def test_same_seed_same_suggestions():
    a = HyperOptSearch(space=SPACE, metric="loss", mode="min", random_state_seed=7)
    b = HyperOptSearch(space=SPACE, metric="loss", mode="min", random_state_seed=7)
    c = HyperOptSearch(space=SPACE, metric="loss", mode="min", random_state_seed=8)
    sa = [a.suggest(str(i)) for i in range(5)]
    assert sa == [b.suggest(str(i)) for i in range(5)]
    assert sa != [c.suggest(str(i)) for i in range(5)]


def test_unseeded_searchers_differ():
    a = HyperOptSearch(space=SPACE, metric="loss", mode="min")
    b = HyperOptSearch(space=SPACE, metric="loss", mode="min")
    assert [a.suggest(str(i)) for i in range(3)] != [b.suggest(str(i)) for i in range(3)]


def test_points_to_evaluate_come_first_standalone():
    points = [{"x": 1.5, "c": "b"}, {"x": -2, "c": "a"}]
    s = HyperOptSearch(space=SPACE, metric="loss", mode="min", points_to_evaluate=points)
    assert s.suggest("1") == {"x": 1.5, "c": "b"}
    assert s.suggest("2") == {"x": -2, "c": "a"}


def test_points_to_evaluate_outside_the_space_are_rejected():
    s = HyperOptSearch(space={"x": hp.uniform("x", 0, 1)}, metric="l", mode="min", points_to_evaluate=[{"x": 5}])
    with pytest.raises(SwiftTuneError, match="points_to_evaluate"):
        s.suggest("a")


def test_points_to_evaluate_must_be_a_list():
    with pytest.raises(TypeError, match="list"):
        HyperOptSearch(points_to_evaluate={"x": 1})


def test_on_trial_complete_with_error_or_missing_metric():
    s = HyperOptSearch(space=SPACE, metric="loss", mode="min", n_initial_points=1, random_state_seed=1)
    s.suggest("a")
    s.suggest("b")
    s.on_trial_complete("a", error=True)
    s.on_trial_complete("b", {"other": 1.0})
    assert set(s.suggest("c")) == {"x", "c"}


# ---------------------------------------------------------------------------------------------
# ConcurrencyLimiter


def test_concurrency_limiter_returns_none_at_its_limit():
    lim = ConcurrencyLimiter(HyperOptSearch(space=SPACE, metric="loss", mode="min"), max_concurrent=2)
    a, b = lim.suggest("a"), lim.suggest("b")
    assert a is not None and b is not None
    assert lim.suggest("c") is None
    assert lim.suggest("c") is None
    lim.on_trial_complete("a", {"loss": _loss(a)})
    c = lim.suggest("c")
    assert c is not None and set(c) == {"x", "c"}
    assert lim.suggest("d") is None
    assert (lim.metric, lim.mode) == ("loss", "min")


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", None])
def test_concurrency_limiter_rejects_bad_max_concurrent(bad):
    with pytest.raises(ValueError, match="max_concurrent must be a positive integer"):
        ConcurrencyLimiter(HyperOptSearch(), max_concurrent=bad)


def test_concurrency_limiter_needs_a_searcher():
    with pytest.raises(RuntimeError, match="only works with `Searcher` objects"):
        ConcurrencyLimiter(object(), max_concurrent=2)


def test_concurrency_limiter_in_tuner_bounds_running_trials(run_config, log):
    import swifttune

    swifttune.init(num_cpus=8)

    def trainable(config):
        hold(log, 0.15)
        return {"loss": config["x"]}

    algo = ConcurrencyLimiter(HyperOptSearch(random_state_seed=0), max_concurrent=3)
    results = tune.Tuner(trainable, param_space={"x": tune.uniform(0, 1)},
                         tune_config=tc(THREAD, num_samples=7, search_alg=algo), run_config=run_config()).fit()
    assert results.num_terminated == 7
    assert max_overlap(log) == 3


# ---------------------------------------------------------------------------------------------
# In the Tuner


def test_hyperopt_points_to_evaluate_in_tuner(run_config):
    points = [{"width": 1, "activation": "relu"}, {"width": 4, "activation": "tanh"}]
    algo = HyperOptSearch(points_to_evaluate=points, random_state_seed=1)
    space = {"width": tune.uniform(0, 20), "activation": tune.choice(["relu", "tanh"]), "steps": 3}
    results = tune.Tuner(lambda config: {"loss": config["width"]}, param_space=space,
                         tune_config=tc(num_samples=6, search_alg=algo), run_config=run_config()).fit()
    assert results[0].config == {"width": 1, "activation": "relu", "steps": 3}
    assert results[1].config == {"width": 4, "activation": "tanh", "steps": 3}
    assert len(results) == 6


def test_hyperopt_space_with_hp_in_tuner_minimises(run_config):
    # one trial at a time: with a seed, the run is then fully deterministic
    algo = ConcurrencyLimiter(HyperOptSearch(space=SPACE, metric="loss", mode="min", n_initial_points=10,
                                             random_state_seed=0), max_concurrent=1)
    results = tune.Tuner(lambda config: {"loss": _loss(config)},
                         tune_config=tc(THREAD, num_samples=40, search_alg=algo), run_config=run_config()).fit()
    assert len(results) == 40
    best = results.get_best_result()
    assert abs(best.config["x"] - 1) < 0.3  # x converges (c may stay on the worse option: TPE is greedy)
    assert best.metrics["loss"] < 1.1
    xs = [r.config["x"] for r in results]
    assert sum(abs(x - 1) < 1 for x in xs[20:]) >= 5  # random search would expect 4 of 20


def test_metric_and_mode_from_the_searcher(run_config):
    algo = HyperOptSearch(space={"x": hp.uniform("x", 0, 1)}, metric="score", mode="max", random_state_seed=0)
    results = tune.Tuner(lambda config: {"score": config["x"]},
                         tune_config=tune.TuneConfig(num_samples=5, search_alg=algo), run_config=run_config()).fit()
    assert results.get_best_result().config["x"] == max(r.config["x"] for r in results)


def test_basic_variant_generator_points_and_seed(run_config):
    def run(seed):
        alg = BasicVariantGenerator(points_to_evaluate=[{"x": 0.5}], random_state=seed)
        res = tune.Tuner(lambda config: {"loss": 0}, param_space={"x": tune.uniform(0, 1)},
                         tune_config=tc(THREAD, num_samples=4, search_alg=alg), run_config=run_config()).fit()
        return [r.config["x"] for r in res]

    a, b, c = run(1), run(1), run(2)
    assert a[0] == b[0] == c[0] == 0.5
    assert a == b
    assert a[1:] != c[1:]


def test_param_space_constants_merge_with_searcher_space(run_config):
    algo = HyperOptSearch(space={"x": hp.uniform("x", 0, 1)}, random_state_seed=0)
    results = tune.Tuner(lambda config: {"loss": config["x"]}, param_space={"steps": 100},
                         tune_config=tc(THREAD, num_samples=2, search_alg=algo), run_config=run_config()).fit()
    assert all(r.config.get("steps") == 100 for r in results)


def test_param_space_domains_with_searcher_space_raise(run_config):
    algo = HyperOptSearch(space={"x": hp.uniform("x", 0, 1)})
    with pytest.raises(ValueError, match="already instantiated with a search space"):
        tune.Tuner(lambda config: {"loss": 0}, param_space={"y": tune.uniform(0, 1)},
                   tune_config=tc(THREAD, num_samples=1, search_alg=algo), run_config=run_config()).fit()


# ---------------------------------------------------------------------------------------------
# hyperopt's hp space (drawn from the priors: many initial random points)


def test_hp_functions_respect_range_and_type():
    space = {"u": hp.uniform("u", -1, 1), "qu": hp.quniform("qu", 0, 10, 2),
             "lu": hp.loguniform("lu", math.log(1e-3), math.log(1)),
             "qlu": hp.qloguniform("qlu", 0, math.log(100), 10), "n": hp.normal("n", 5, 0.1),
             "qn": hp.qnormal("qn", 0, 3, 1), "ln": hp.lognormal("ln", 0, 1), "qln": hp.qlognormal("qln", 0, 1, 0.5),
             "ri": hp.randint("ri", 5), "ri2": hp.randint("ri2", 3, 6), "ui": hp.uniformint("ui", 1, 4),
             "c": hp.choice("c", ["a", "b", 3]), "pc": hp.pchoice("pc", [(0.9, "x"), (0.1, "y")])}
    s = HyperOptSearch(space=space, metric="l", mode="min", n_initial_points=10 ** 6, random_state_seed=5)
    vals = collections.defaultdict(list)
    for i in range(400):
        for k, v in s.suggest(str(i)).items():
            vals[k].append(v)
    assert all(type(v) is float and -1 <= v < 1 for v in vals["u"])
    assert set(vals["qu"]) <= {0.0, 2.0, 4.0, 6.0, 8.0, 10.0}
    assert all(1e-3 <= v < 1 for v in vals["lu"])
    assert all(v % 10 == 0 and 0 <= v <= 100 for v in vals["qlu"])
    assert sum(vals["n"]) / 400 == pytest.approx(5, abs=0.03)
    assert all(v == round(v) for v in vals["qn"])
    assert all(v > 0 for v in vals["ln"])
    assert all(v >= 0 and (v / 0.5) == round(v / 0.5) for v in vals["qln"])
    assert set(vals["ri"]) == {0, 1, 2, 3, 4} and all(type(v) is int for v in vals["ri"])
    assert set(vals["ri2"]) == {3, 4, 5}
    assert set(vals["ui"]) == {1, 2, 3, 4} and all(type(v) is int for v in vals["ui"])
    assert set(vals["c"]) == {"a", "b", 3}
    counts = collections.Counter(vals["pc"])
    assert set(counts) == {"x", "y"} and 0.8 < counts["x"] / 400 < 0.97


def test_hp_label_must_be_a_string():
    with pytest.raises(TypeError, match="label"):
        hp.uniform(3, 0, 1)


# ---------------------------------------------------------------------------------------------
# Invalid arguments


def _noop(config):
    tune.report({"loss": 1.0})


def test_mode_avg_is_rejected(run_config):
    with pytest.raises(ValueError, match="min.*max"):
        tune.Tuner(_noop, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(mode="avg"))
    with pytest.raises(ValueError, match="min.*max"):
        HyperOptSearch(mode="avg")


@pytest.mark.parametrize("kw", [{}, {"metric": "loss"}, {"mode": "min"}])
def test_missing_metric_or_mode(run_config, kw):
    # As in Ray: random search needs neither (results are ranked when asked); TPE needs both.
    tune.Tuner(_noop, param_space={"x": tune.uniform(0, 1)}, tune_config=tune.TuneConfig(**kw),
               run_config=run_config()).fit()
    tuner = tune.Tuner(_noop, param_space={"x": tune.uniform(0, 1)},
                       tune_config=tune.TuneConfig(search_alg=HyperOptSearch(), **kw), run_config=run_config())
    with pytest.raises(RuntimeError, match=r"the `metric` \(.*\) or `mode` \(.*\) parameters have not been set"):
        tuner.fit()


def test_hp_low_not_below_high_surfaces_swift_message(run_config):
    algo = HyperOptSearch(space={"x": hp.uniform("x", 5, 1)})
    tuner = tune.Tuner(_noop, tune_config=tc(search_alg=algo), run_config=run_config())
    with pytest.raises(SwiftTuneError, match=r"uniform: low \(5\.0\) must be less than high \(1\.0\)") as info:
        tuner.fit()
    assert "'x'" in str(info.value)
    assert info.value.status_name == "ST_INVALID_SPACE"


def test_tune_uniform_bad_bounds_surface_swift_message(run_config):
    tuner = tune.Tuner(_noop, param_space={"lr": tune.loguniform(0, 1)}, tune_config=tc(), run_config=run_config())
    with pytest.raises(SwiftTuneError, match="lr"):
        tuner.fit()


def test_grid_search_with_hyperopt_gives_rays_message(run_config):
    tuner = tune.Tuner(_noop, param_space={"x": tune.grid_search([1, 2])},
                       tune_config=tc(search_alg=HyperOptSearch()), run_config=run_config())
    with pytest.raises(ValueError) as info:
        tuner.fit()
    assert str(info.value) == "Grid search parameters cannot be automatically converted to a HyperOpt search space."


def test_grid_search_with_default_searcher(run_config):
    results = tune.Tuner(lambda config: {"loss": config["x"]}, param_space={"x": tune.grid_search([1, 2, 3])},
                         tune_config=tc(THREAD), run_config=run_config()).fit()
    assert sorted(r.config["x"] for r in results) == [1, 2, 3]


def test_model_based_searcher_needs_a_space(run_config):
    """Random search runs over an empty space (Ray: trials of {}); TPE has nothing to model."""
    with pytest.raises(ValueError, match="param_space"):
        tune.Tuner(_noop, tune_config=tc(search_alg=HyperOptSearch(), metric="loss", mode="min"),
                   run_config=run_config()).fit()


def test_tuner_needs_a_trainable():
    with pytest.raises(ValueError, match="trainable"):
        tune.Tuner(None)


def test_search_alg_must_be_a_searcher(run_config):
    with pytest.raises(ValueError, match="Searcher"):
        tune.Tuner(_noop, param_space={"x": 1}, tune_config=tc(search_alg=object()), run_config=run_config()).fit()


def test_constant_grid_search_shares_each_samples_draws(tmp_path):
    from swifttune.tune.search import BasicVariantGenerator

    def objective(config):
        return {"score": config["g"] + config["x"]}

    def groups(constant, name):
        results = tune.Tuner(objective, param_space={"g": tune.grid_search([1, 2, 3]), "x": tune.uniform(0, 1)},
                             tune_config=tune.TuneConfig(num_samples=2, search_alg=BasicVariantGenerator(
                                 constant_grid_search=constant, random_state=3)),
                             run_config=tune.RunConfig(storage_path=str(tmp_path), name=name, verbose=0)).fit()
        by_x: dict = {}
        for r in results:
            by_x.setdefault(r.config["x"], []).append(r.config["g"])
        return sorted(sorted(g) for g in by_x.values())

    assert groups(True, "constant") == [[1, 2, 3], [1, 2, 3]]  # one draw per sample, shared by its combinations
    assert groups(False, "fresh") == [[1], [1], [2], [2], [3], [3]]
