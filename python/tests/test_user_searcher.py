"""A user-written ``Searcher`` subclass: the engine calls it back (suggest, on_trial_result,
on_trial_complete), bounds it with the ConcurrencyLimiter, and stops on ``Searcher.FINISHED``; its
errors and bad answers are the user's to see. Side by side with Ray: test_ray_parity_searchers.py."""
from __future__ import annotations

import pytest

from helpers import tc
from swifttune import tune
from swifttune.tune.search import ConcurrencyLimiter, Searcher
from swifttune.tune.search.hyperopt import HyperOptSearch


class Recorder(Searcher):
    """Suggests x = 0, 1, 2, ... up to `n` (then FINISHED) and records every call."""

    def __init__(self, n: int = 4, extra: object = None, **kw: object) -> None:
        super().__init__(**kw)
        self.n, self.extra, self.made = n, extra, 0
        self.calls: list[tuple] = []
        self.max_live, self.live = 0, set()

    def suggest(self, trial_id):
        self.calls.append(("suggest", trial_id))
        if self.made >= self.n:
            return Searcher.FINISHED
        self.made += 1
        self.live.add(trial_id)
        self.max_live = max(self.max_live, len(self.live))
        config = {"x": self.made - 1}
        if self.extra is not None:
            config["extra"] = self.extra
        return config

    def on_trial_result(self, trial_id, result):
        self.calls.append(("result", trial_id, result["loss"], result["training_iteration"]))

    def on_trial_complete(self, trial_id, result=None, error=False):
        self.live.discard(trial_id)
        self.calls.append(("complete", trial_id, None if result is None else result["loss"], error))


def steps(config):
    for i in range(2):
        tune.report({"loss": config["x"] * 10 + i})


def test_the_suggestions_run_and_the_searcher_hears_every_result(run_config, executor):
    s = Recorder(4)
    results = tune.Tuner(steps, tune_config=tc(executor, search_alg=s, num_samples=10),
                         run_config=run_config()).fit()
    assert sorted(r.config["x"] for r in results) == [0, 1, 2, 3]  # FINISHED ended the search at 4 of 10
    assert results.get_best_result().config == {"x": 0}
    by_trial: dict = {}
    for call in s.calls:
        if call[0] != "suggest":
            by_trial.setdefault(call[1], []).append(call[0:1] + call[2:])
    assert len(by_trial) == 4
    for calls in by_trial.values():
        x = calls[0][1] // 10
        assert calls == [("result", 10 * x, 1), ("result", 10 * x + 1, 2), ("complete", 10 * x + 1, False)]
    assert sum(c[0] == "suggest" for c in s.calls) == 5  # 4 configurations, then FINISHED, never asked again


def test_the_concurrency_limiter_bounds_a_user_searcher(run_config):
    import swifttune

    swifttune.init(num_cpus=4)
    s = Recorder(6)
    results = tune.Tuner(steps, tune_config=tc("thread", search_alg=ConcurrencyLimiter(s, max_concurrent=2),
                                                num_samples=6), run_config=run_config()).fit()
    assert len(results) == 6
    assert s.max_live <= 2


def test_suggest_may_hold_back_with_none(run_config, executor):
    class OneAtATime(Recorder):
        def suggest(self, trial_id):
            if self.live:
                return None
            return super().suggest(trial_id)

    s = OneAtATime(3)
    results = tune.Tuner(steps, tune_config=tc(executor, search_alg=s, num_samples=3), run_config=run_config()).fit()
    assert sorted(r.config["x"] for r in results) == [0, 1, 2]
    assert s.max_live == 1


def test_an_errored_trial_is_completed_with_error_true(run_config, executor):
    def fails_at_1(config):
        if config["x"] == 1:
            raise KeyError("boom")
        tune.report({"loss": config["x"]})

    s = Recorder(3)
    results = tune.Tuner(fails_at_1, tune_config=tc(executor, search_alg=s, num_samples=3),
                         run_config=run_config()).fit()
    assert results.num_errors == 1
    completes = sorted(((c[2], c[3]) for c in s.calls if c[0] == "complete"), key=repr)
    assert completes == [(0, False), (2, False), (None, True)]


def test_suggestions_merge_into_the_param_space_and_keep_python_values(run_config, executor):
    marker = ("a", 1)  # a tuple is not JSON: it travels as a reference and comes back as the tuple

    def check(config):
        assert config["extra"] == marker and isinstance(config["extra"], tuple)
        tune.report({"loss": config["x"] + config["opt"]["lr"] + config["opt"]["momentum"]})

    class Nested(Recorder):
        def suggest(self, trial_id):
            c = super().suggest(trial_id)
            if isinstance(c, dict):
                c["opt"] = {"lr": 0.5}
            return c

    s = Nested(2, extra=marker)
    results = tune.Tuner(check, param_space={"opt": {"momentum": 0.25}, "c": "const"},
                         tune_config=tc(executor, search_alg=s, num_samples=2), run_config=run_config()).fit()
    assert results.num_errors == 0
    assert sorted(r.metrics["loss"] for r in results) == [0.75, 1.75]
    assert results[0].config["opt"] == {"momentum": 0.25, "lr": 0.5} and results[0].config["c"] == "const"


def test_a_searcher_that_raises_makes_fit_raise_it(run_config):
    class Broken(Recorder):
        def suggest(self, trial_id):
            raise ZeroDivisionError("no suggestion")

    with pytest.raises(ZeroDivisionError, match="no suggestion"):
        tune.Tuner(steps, tune_config=tc("thread", search_alg=Broken(), num_samples=2), run_config=run_config()).fit()


def test_on_trial_result_that_raises_makes_fit_raise_it(run_config):
    class Broken(Recorder):
        def on_trial_result(self, trial_id, result):
            raise RuntimeError("cannot learn")

    with pytest.raises(RuntimeError, match="cannot learn"):
        tune.Tuner(steps, tune_config=tc("thread", search_alg=Broken(), num_samples=2), run_config=run_config()).fit()


def test_a_suggestion_that_is_not_a_dict_is_a_type_error(run_config):
    class Bad(Recorder):
        def suggest(self, trial_id):
            return [1, 2]

    with pytest.raises(TypeError, match="must return a dict"):
        tune.Tuner(steps, tune_config=tc("thread", search_alg=Bad(), num_samples=2), run_config=run_config()).fit()


def test_a_searcher_without_set_search_properties_refuses_param_space_domains(run_config):
    # Ray's base Searcher answers False: a param_space with search domains is then an error.
    with pytest.raises(ValueError, match="unresolved parameters"):
        tune.Tuner(steps, param_space={"y": tune.uniform(0, 1)},
                   tune_config=tc("thread", search_alg=Recorder(), num_samples=2), run_config=run_config()).fit()


def test_set_search_properties_gets_the_tuners_metric_mode_and_space(run_config):
    class Props(Recorder):
        def set_search_properties(self, metric, mode, config, **spec):
            self.props = (metric, mode, config)
            return True

    s = Props(1)
    space = {"y": tune.uniform(0, 1)}
    tune.Tuner(steps, param_space=space, tune_config=tc("thread", search_alg=s, num_samples=1),
               run_config=run_config()).fit()
    assert s.props == ("loss", "min", space)


def test_a_hyperopt_subclass_with_its_own_hook_is_called_back_and_still_searches(run_config):
    heard = []

    class Logged(HyperOptSearch):
        def on_trial_complete(self, trial_id, result=None, error=False):
            heard.append(result["loss"])
            super().on_trial_complete(trial_id, result, error)

    def quad(config):
        tune.report({"loss": (config["x"] - 0.3) ** 2})

    results = tune.Tuner(quad, param_space={"x": tune.uniform(0, 1)},
                         tune_config=tc("thread", search_alg=Logged(random_state_seed=1, n_initial_points=3),
                                        num_samples=8), run_config=run_config()).fit()
    assert len(heard) == 8 and len(results) == 8
    assert len({r.config["x"] for r in results}) == 8


def test_restoring_an_experiment_of_a_user_searcher_is_refused_by_name(run_config, tmp_path):
    tune.Tuner(steps, tune_config=tc("thread", search_alg=Recorder(2), num_samples=2),
               run_config=run_config(name="exp")).fit()
    with pytest.raises(NotImplementedError, match="Searcher subclass of your own"):
        tune.Tuner.restore(str(tmp_path / "results" / "exp"), steps).fit()


def test_repeater_runs_each_hyperopt_suggestion_repeat_times(run_config, executor):
    from swifttune.tune.search import Repeater
    from swifttune.tune.search.repeater import TRIAL_INDEX

    def quad(config):
        tune.report({"loss": (config["x"] - 0.3) ** 2 + config[TRIAL_INDEX] * 0.01})

    results = tune.Tuner(quad, param_space={"x": tune.uniform(0, 1)},
                         tune_config=tc(executor, search_alg=Repeater(searcher=HyperOptSearch(random_state_seed=3), repeat=3),
                                        num_samples=9), run_config=run_config()).fit()
    configs = sorted((r.config["x"], r.config[TRIAL_INDEX]) for r in results)
    assert len({x for x, _ in configs}) == 3
    assert [i for _, i in configs] == [0, 1, 2] * 3
    # set_index=False: the repeats' configurations are the suggestion as it is.
    plain = tune.Tuner(steps, tune_config=tc(executor, search_alg=Repeater(Recorder(2, metric="loss", mode="min"), repeat=2, set_index=False),
                                             num_samples=4), run_config=run_config()).fit()
    assert sorted(r.config["x"] for r in plain) == [0, 0, 1, 1] and all(TRIAL_INDEX not in r.config for r in plain)


def test_repeater_checks_and_ray_warning(run_config):
    from swifttune.tune.search import Repeater

    with pytest.raises(ValueError, match="positive integer"):
        Repeater(HyperOptSearch(), repeat=0)
    with pytest.warns(UserWarning, match="total number of trials, including the repeat trials"):
        tune.Tuner(steps, tune_config=tc("thread", search_alg=Repeater(Recorder(4, metric="loss", mode="min"), repeat=2), num_samples=3),
                   run_config=run_config()).fit()
    with pytest.raises(NotImplementedError, match="Repeater around Repeater"):
        tune.Tuner(steps, tune_config=tc("thread", search_alg=Repeater(Repeater(Recorder(4), 2), 2), num_samples=4),
                   run_config=run_config()).fit()


def test_max_concurrent_trials_and_a_concurrency_limiter_of_another_bound_is_rays_error(run_config):
    with pytest.raises(ValueError, match="FIX THIS by setting `max_concurrent_trials=None`"):
        tune.Tuner(steps, tune_config=tc("thread", search_alg=ConcurrencyLimiter(Recorder(4), 2), num_samples=4,
                                         max_concurrent_trials=3), run_config=run_config()).fit()


def test_set_max_concurrency_as_in_ray(run_config):
    import swifttune

    swifttune.init(num_cpus=4)

    class OwnBound(Recorder):
        def set_max_concurrency(self, max_concurrent):
            self.bound = max_concurrent
            return True  # Ray: the searcher bounds itself; the limiter around it does not limit

    def slow(config):
        import time

        time.sleep(0.05)
        tune.report({"loss": config["x"]})

    own = OwnBound(4)
    tune.Tuner(slow, tune_config=tc("thread", search_alg=ConcurrencyLimiter(own, max_concurrent=1), num_samples=4),
               run_config=run_config()).fit()
    assert own.bound == 1 and own.max_live > 1
    plain = Recorder(4)
    limiter = ConcurrencyLimiter(plain, max_concurrent=3)
    assert limiter.set_max_concurrency(1) is True and limiter.max_concurrent == 1
    tune.Tuner(slow, tune_config=tc("thread", search_alg=limiter, num_samples=4), run_config=run_config()).fit()
    assert plain.max_live == 1
    assert Recorder().set_max_concurrency(2) is False


def test_add_evaluated_trials_hands_finished_trials_to_add_evaluated_point(run_config):
    class Taking(Recorder):
        def __init__(self):
            super().__init__(2)
            self.points = []

        def add_evaluated_point(self, parameters, value, error=False, pruned=False, intermediate_values=None):
            self.points.append((parameters["x"], value, error, pruned, intermediate_values))

    analysis = tune.run(steps, config={"x": tune.grid_search([1, 2])}, metric="loss", mode="min",
                        storage_path=run_config().storage_path, verbose=0)
    taking = Taking()
    taking.add_evaluated_trials(analysis, metric="loss")
    assert sorted(taking.points) == [(1, 11, False, False, None), (2, 21, False, False, None)]
    with pytest.raises(NotImplementedError, match="add_evaluated_point"):
        HyperOptSearch().add_evaluated_point({"x": 1}, 1.0)
    with pytest.raises(NotImplementedError, match="add_evaluated_point"):
        Recorder().add_evaluated_trials(analysis, metric="loss")
