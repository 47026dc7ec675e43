"""The Ray Tune function/class API: sampling functions, report/get_context, trainables, resources,
stop criteria, time budget, trial errors, init and the version.

Trials may run in worker processes, so trainables record what they see in their metrics or in a
FileLog, never in objects of the test."""
from __future__ import annotations

import math
import statistics
import time
import warnings
from pathlib import Path

import pytest

import swifttune
from swifttune import tune
from swifttune.tune.search import BasicVariantGenerator

from helpers import THREAD, FileLog, hold, max_overlap, tc


def _is_multiple(x, q):
    return math.isclose(x / q, round(x / q), abs_tol=1e-9)


# ---------------------------------------------------------------------------------------------
# Sampling functions (random search through the Tuner with the default search algorithm)


def test_sampling_functions_respect_range_and_type(run_config):
    space = {
        "u": tune.uniform(-2, 3),
        "qu": tune.quniform(0, 10, 0.5),
        "lu": tune.loguniform(1e-4, 1e-1),
        "qlu": tune.qloguniform(5, 100, 5),
        "rn": tune.randn(5, 0.1),
        "qrn": tune.qrandn(0, 1, 0.25),
        "ri": tune.randint(0, 3),
        "qri": tune.qrandint(0, 10, 5),
        "lri": tune.lograndint(1, 8),
        "qlri": tune.qlograndint(2, 64, 2),
        "c": tune.choice(["a", "b", 3]),
        "nested": {"lr": tune.loguniform(1e-3, 1.0), "layers": [tune.randint(1, 4), 7]},
        "const": 42,
    }
    n = 300
    results = tune.Tuner(lambda config: {"loss": 1.0}, param_space=space,
                         tune_config=tc(THREAD, num_samples=n), run_config=run_config()).fit()
    assert len(results) == n and results.num_terminated == n
    vals: dict[str, list] = {k: [r.config[k] for r in results] for k in space}

    def floats(k):
        assert all(type(v) is float for v in vals[k]), k
        return vals[k]

    def ints(k):
        assert all(type(v) is int for v in vals[k]), k
        return vals[k]

    assert all(-2 <= v < 3 for v in floats("u"))
    assert all(0 <= v <= 10 and _is_multiple(v, 0.5) for v in floats("qu"))
    assert all(1e-4 <= v < 1e-1 for v in floats("lu"))
    # log-uniform: roughly as many draws below the geometric middle (1e-2.5) as above it
    assert 0.3 < sum(v < 10 ** -2.5 for v in vals["lu"]) / n < 0.7
    assert all(5 <= v <= 100 and _is_multiple(v, 5) for v in floats("qlu"))
    assert statistics.mean(floats("rn")) == pytest.approx(5, abs=0.05)
    assert all(4 < v < 6 for v in vals["rn"])
    assert 0.05 < statistics.stdev(vals["rn"]) < 0.2
    assert all(_is_multiple(v, 0.25) for v in floats("qrn"))
    assert set(ints("ri")) == {0, 1, 2}  # upper excluded
    assert set(ints("qri")) == {0, 5, 10}  # upper included, multiples of q
    assert set(ints("lri")) <= set(range(1, 8)) and len(set(vals["lri"])) >= 5
    assert all(2 <= v <= 64 and v % 2 == 0 for v in ints("qlri"))
    assert set(vals["c"]) == {"a", "b", 3}
    assert all(1e-3 <= d["lr"] < 1.0 and d["layers"][0] in (1, 2, 3) and d["layers"][1] == 7
               for d in vals["nested"])
    assert set(vals["const"]) == {42}


def test_choice_of_nested_spaces(run_config):
    space = {"opt": tune.choice([{"name": "sgd", "lr": tune.uniform(0.1, 0.2)}, "adam"])}
    results = tune.Tuner(lambda config: {"loss": 0}, param_space=space, tune_config=tc(THREAD, num_samples=60),
                         run_config=run_config()).fit()
    kinds = set()
    for r in results:
        opt = r.config["opt"]
        if isinstance(opt, dict):
            kinds.add("sgd")
            assert opt["name"] == "sgd" and 0.1 <= opt["lr"] < 0.2
        else:
            kinds.add(opt)
            assert opt == "adam"
    assert kinds == {"sgd", "adam"}


def test_choice_needs_categories():
    with pytest.raises(ValueError, match="non-empty"):
        tune.choice([])


def test_sample_from_gets_spec_config(run_config, executor):
    def trainable(config):
        return {"loss": 0, "seen_sf": config["sf"], "seen_sf_nested": config["sf_nested"]}

    space = {
        "u": tune.uniform(0, 1),
        "offset": 10,
        "nested": {"a": tune.randint(0, 100)},
        "sf": tune.sample_from(lambda spec: spec.config.u * 2 + spec.config["offset"]),
        "sf_nested": tune.sample_from(lambda spec: spec.config.nested.a + 1),
    }
    results = tune.Tuner(trainable, param_space=space, tune_config=tc(executor, num_samples=6),
                         run_config=run_config()).fit()
    assert results.num_terminated == 6
    for r in results:
        c = r.config
        assert c["sf"] == pytest.approx(c["u"] * 2 + 10)
        assert c["sf_nested"] == c["nested"]["a"] + 1
        # the trainable saw the same values as the Result's config
        assert r.metrics["seen_sf"] == c["sf"] and r.metrics["seen_sf_nested"] == c["sf_nested"]


class Payload:
    def __init__(self, data):
        self.data = data


def test_non_json_constants_reach_trainable_unchanged(run_config, executor):
    payload = Payload([1, 2, 3])

    def trainable(config):
        checks = {
            "payload": isinstance(config["payload"], Payload) and config["payload"].data == [1, 2, 3],
            "fn": config["fn"](21) == 42,
            "cls": config["cls"] is Payload,
            "nan": math.isnan(config["nan"]),
            "inner_obj": isinstance(config["inner"]["obj"], Payload) and config["inner"]["obj"].data == [1, 2, 3],
            "inner_plain": config["inner"]["plain"] == [1, "two", None],
        }
        return {"loss": config["x"], **{f"ok_{k}": float(v) for k, v in checks.items()}}

    space = {
        "x": tune.uniform(0, 1),
        "payload": payload,
        "fn": lambda v: v * 2,
        "cls": Payload,
        "nan": float("nan"),
        "inner": {"obj": payload, "plain": [1, "two", None]},
    }
    results = tune.Tuner(trainable, param_space=space, tune_config=tc(executor, num_samples=3),
                         run_config=run_config()).fit()
    assert results.num_terminated == 3, [str(e) for e in results.errors]
    for r in results:
        failed = [k for k, v in r.metrics.items() if k.startswith("ok_") and v != 1.0]
        assert not failed, failed
        assert len([k for k in r.metrics if k.startswith("ok_")]) == 6
        assert isinstance(r.config["payload"], Payload)  # the Result's config carries them too
        assert r.config["cls"] is Payload


def test_non_json_constant_is_the_same_object_on_threads(run_config):
    """On the thread executor nothing is copied: the trainable gets the very object."""
    payload = Payload("x")
    seen = []
    tune.Tuner(lambda config: seen.append(config["payload"]) or {"loss": 0},
               param_space={"x": tune.uniform(0, 1), "payload": payload}, tune_config=tc(THREAD, num_samples=2),
               run_config=run_config()).fit()
    assert len(seen) == 2 and all(p is payload for p in seen)


def test_tuple_constant_stays_a_tuple(run_config):
    results = tune.Tuner(lambda config: {"loss": 0, "is_tuple": float(isinstance(config["shape"], tuple))},
                         param_space={"x": tune.uniform(0, 1), "shape": (3, 4)}, tune_config=tc(THREAD, num_samples=1),
                         run_config=run_config()).fit()
    assert results[0].config["shape"] == (3, 4)
    assert results[0].metrics["is_tuple"] == 1.0


def test_dict_constant_with_non_string_keys_unchanged(run_config):
    results = tune.Tuner(lambda config: {"loss": 0, "ok": float(config["labels"] == {1: "one", 2: "two"})},
                         param_space={"x": tune.uniform(0, 1), "labels": {1: "one", 2: "two"}},
                         tune_config=tc(THREAD, num_samples=1), run_config=run_config()).fit()
    assert results[0].metrics["ok"] == 1.0


# ---------------------------------------------------------------------------------------------
# report / get_context


def test_report_outside_a_trial_raises():
    with pytest.raises(RuntimeError, match="inside a trial"):
        tune.report({"loss": 1.0})


def test_get_context_outside_a_trial_raises():
    with pytest.raises(RuntimeError, match="inside a trial"):
        tune.get_context()


def test_get_context_inside_a_trial(run_config, executor):
    def trainable(config):
        ctx = tune.get_context()
        Path(ctx.get_trial_dir(), "mine.txt").write_text("x")
        tune.report({"loss": config["x"], "ctx_id": ctx.get_trial_id(), "ctx_name": ctx.get_trial_name(),
                     "ctx_dir": ctx.get_trial_dir(), "ctx_exp": ctx.get_experiment_name(),
                     "ctx_cpu": ctx.get_trial_resources().required_resources["CPU"]})

    results = tune.Tuner(trainable, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(executor, num_samples=3),
                         run_config=run_config(name="ctx_exp")).fit()
    assert results.num_terminated == 3, [str(e) for e in results.errors]
    assert Path(results.experiment_path).name == "ctx_exp"
    assert len({r.trial_id for r in results}) == 3
    assert len({r.metrics["ctx_name"] for r in results}) == 3
    for r in results:
        m = r.metrics
        assert m["ctx_id"] == r.trial_id == m["trial_id"]
        assert m["ctx_name"].startswith("trainable_")
        assert m["ctx_exp"] == "ctx_exp"
        assert m["ctx_cpu"] == 1.0
        assert Path(m["ctx_dir"]) == Path(r.path)
        assert Path(r.path).parent == Path(results.experiment_path)
        assert (Path(r.path) / "mine.txt").is_file()


def test_report_non_dict_is_a_trial_error(run_config, executor):
    def trainable(config):
        tune.report(3)

    results = tune.Tuner(trainable, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(executor, num_samples=1),
                         run_config=run_config()).fit()
    assert results[0].status == "ERROR"
    assert "tune.report expects a dict" in str(results[0].error)


def test_trial_name_and_dirname_creators(run_config):
    results = tune.Tuner(lambda config: {"loss": 0, "name": tune.get_context().get_trial_name()},
                         param_space={"x": tune.uniform(0, 1)},
                         tune_config=tc(num_samples=2, trial_name_creator=lambda t: f"N_{t.trial_id}",
                                        trial_dirname_creator=lambda t: f"D_{t.trial_id}"),
                         run_config=run_config()).fit()
    for r in results:
        assert r.metrics["name"] == f"N_{r.trial_id}"
        assert Path(r.path).name == f"D_{r.trial_id}"
        assert Path(r.path).is_dir()


# ---------------------------------------------------------------------------------------------
# Trainables


def test_function_returning_dict_is_its_final_result(run_config, executor):
    def trainable(config):
        return {"loss": config["x"] * 2, "tag": "final"}

    results = tune.Tuner(trainable, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(executor, num_samples=4),
                         run_config=run_config()).fit()
    for r in results:
        assert r.status == "TERMINATED"
        assert r.metrics["loss"] == pytest.approx(r.config["x"] * 2)
        assert r.metrics["tag"] == "final"
        assert r.metrics["training_iteration"] == 1
        assert len(r.history) == 1
        # Ray's automatic fields, measured where the trial ran, as for a reported result
        assert {"date", "pid", "hostname", "node_ip", "time_since_restore", "iterations_since_restore"} <= set(r.metrics)
    assert results.get_best_result().config["x"] == min(r.config["x"] for r in results)


def test_function_reporting_then_returning_dict(run_config, executor):
    def trainable(config):
        tune.report({"loss": 5.0})
        return {"loss": 1.0}

    r = tune.Tuner(trainable, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(executor, num_samples=1),
                   run_config=run_config()).fit()[0]
    assert [h["loss"] for h in r.history] == [5.0, 1.0]
    assert r.metrics["loss"] == 1.0 and r.metrics["training_iteration"] == 2


def test_function_returning_none_has_no_metrics(run_config):
    results = tune.Tuner(lambda config: None, param_space={"x": tune.uniform(0, 1)},
                         tune_config=tc(num_samples=2), run_config=run_config()).fit()
    assert [r.status for r in results] == ["TERMINATED", "TERMINATED"]
    assert all(r.metrics == {} for r in results)
    with pytest.raises(RuntimeError, match="No best trial found"):
        results.get_best_result()


class Counter(tune.Trainable):
    """Counts its steps; logs setup/step/cleanup to the FileLog in config["log"]."""

    def setup(self, config):
        self.i = 0
        self.limit = config["limit"]
        self.log = FileLog(config["log"])
        self.log.add("setup")

    def step(self):
        self.i += 1
        self.log.add("step", self.i)
        return {"loss": -self.i, "done": self.i >= self.limit}

    def cleanup(self):
        self.log.add("cleanup", self.i)


def test_class_trainable_stops_via_done(run_config, executor, log):
    results = tune.Tuner(Counter, param_space={"limit": 3, "log": log.path}, tune_config=tc(executor, num_samples=2),
                         run_config=run_config()).fit()
    assert len(results) == 2
    for r in results:
        assert r.status == "TERMINATED"
        assert r.metrics["training_iteration"] == 3
        assert [h["loss"] for h in r.history] == [-1, -2, -3]
        assert r.metrics["done"] is True
    entries = log.read()
    assert entries.count(["setup"]) == 2
    assert entries.count(["cleanup", 3]) == 2
    assert sum(1 for e in entries if e[0] == "step") == 6


def test_class_trainable_stops_via_stop_criteria(run_config, executor, log):
    results = tune.Tuner(Counter, param_space={"limit": 10 ** 9, "log": log.path},
                         tune_config=tc(executor, num_samples=2),
                         run_config=run_config(stop={"training_iteration": 5})).fit()
    for r in results:
        assert r.status == "TERMINATED"
        assert r.metrics["training_iteration"] == 5
        assert len(r.history) == 5
    assert sum(1 for e in log.read() if e[0] == "cleanup") == 2


def test_class_trainable_step_not_called_after_stop(run_config, executor, log):
    tune.Tuner(Counter, param_space={"limit": 10 ** 9, "log": log.path}, tune_config=tc(executor, num_samples=1),
               run_config=run_config(stop={"training_iteration": 5})).fit()
    assert log.read() == [["setup"]] + [["step", i] for i in range(1, 6)] + [["cleanup", 5]]


class Failing(tune.Trainable):
    def setup(self, config):
        self.log = FileLog(config["log"])

    def step(self):
        raise RuntimeError("step failed")

    def cleanup(self):
        self.log.add("cleanup")


def test_class_trainable_error_runs_cleanup(run_config, executor, log):
    results = tune.Tuner(Failing, param_space={"log": log.path}, tune_config=tc(executor, num_samples=1),
                         run_config=run_config()).fit()
    assert results[0].status == "ERROR"
    assert "step failed" in str(results[0].error)
    assert log.read() == [["cleanup"]]


def test_with_parameters_function(run_config, executor):
    big = Payload(list(range(1000)))

    def trainable(config, data=None, scale=1):
        return {"loss": config["x"] * scale, "n": len(data.data), "is_payload": float(isinstance(data, Payload))}

    results = tune.Tuner(tune.with_parameters(trainable, data=big, scale=3), param_space={"x": tune.uniform(0, 1)},
                         tune_config=tc(executor, num_samples=3), run_config=run_config()).fit()
    assert results.num_terminated == 3, [str(e) for e in results.errors]
    for r in results:
        assert r.metrics["loss"] == pytest.approx(r.config["x"] * 3)
        assert r.metrics["n"] == 1000 and r.metrics["is_payload"] == 1.0


def test_with_parameters_passes_the_object_itself_on_threads(run_config):
    big = Payload("data")
    got = []
    tune.Tuner(tune.with_parameters(lambda config, data=None: got.append(data) or {"loss": 0}, data=big),
               param_space={"x": tune.uniform(0, 1)}, tune_config=tc(THREAD, num_samples=2),
               run_config=run_config()).fit()
    assert len(got) == 2 and all(d is big for d in got)


class WithData(tune.Trainable):
    def setup(self, config, data=None):
        self.data = data

    def step(self):
        return {"loss": 0, "data": self.data.data, "done": True}


def test_with_parameters_class(run_config, executor):
    results = tune.Tuner(tune.with_parameters(WithData, data=Payload("hello")), param_space={"x": tune.uniform(0, 1)},
                         tune_config=tc(executor, num_samples=2), run_config=run_config()).fit()
    assert results.num_terminated == 2, [str(e) for e in results.errors]
    assert [r.metrics["data"] for r in results] == ["hello", "hello"]


def test_with_resources_runs_trials_one_at_a_time(run_config, executor, log):
    swifttune.init(num_cpus=2)

    def heavy(config):
        hold(log, 0.1)
        return {"loss": 0, "cpu": tune.get_context().get_trial_resources().required_resources["CPU"]}

    results = tune.Tuner(tune.with_resources(heavy, {"cpu": 2}), param_space={"x": tune.uniform(0, 1)},
                         tune_config=tc(executor, num_samples=4), run_config=run_config()).fit()
    assert results.num_terminated == 4, [str(e) for e in results.errors]
    assert len(log.read()) == 4
    assert max_overlap(log) == 1
    assert [r.metrics["cpu"] for r in results] == [2.0] * 4


def test_one_cpu_trials_run_concurrently(run_config, executor, log):
    """The counterpart of the test above: the measurement does see concurrency when there is room."""
    swifttune.init(num_cpus=2)

    def light(config):
        hold(log, 0.3)
        return {"loss": 0}

    tune.Tuner(light, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(executor, num_samples=4),
               run_config=run_config()).fit()
    assert max_overlap(log) == 2


def test_max_concurrent_trials(run_config, log):
    swifttune.init(num_cpus=4)

    def light(config):
        hold(log, 0.05)
        return {"loss": 0}

    tune.Tuner(light, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(num_samples=4, max_concurrent_trials=1),
               run_config=run_config()).fit()
    assert len(log.read()) == 4 and max_overlap(log) == 1


def test_with_resources_rejects_a_function():
    with pytest.raises(NotImplementedError, match="resources=<a function of the config>.*dict"):
        tune.with_resources(lambda config: None, lambda config: {"cpu": 1})


# ---------------------------------------------------------------------------------------------
# Stop criteria and the time budget


def _countdown(config):
    for i in range(100):
        tune.report({"loss": 10 - i, "score": i})


def test_stop_training_iteration(run_config, executor):
    results = tune.Tuner(_countdown, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(executor, num_samples=3),
                         run_config=run_config(stop={"training_iteration": 5})).fit()
    assert results.num_terminated == 3
    for r in results:
        assert r.metrics["training_iteration"] == 5
        assert len(r.history) == 5


def test_stop_metric_threshold_mode_min(run_config, executor):
    # Ray's rule for every key, the metric too, whatever the mode: stop once loss >= 3 (loss goes
    # 10, 9, ... so at the first report)
    results = tune.Tuner(_countdown, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(executor, num_samples=2),
                         run_config=run_config(stop={"loss": 3})).fit()
    for r in results:
        assert r.status == "TERMINATED"
        assert r.metrics["loss"] == 10
        assert r.metrics["training_iteration"] == 1


def test_stop_metric_threshold_mode_max(run_config):
    results = tune.Tuner(_countdown, param_space={"x": tune.uniform(0, 1)},
                         tune_config=tc(metric="score", mode="max", num_samples=2),
                         run_config=run_config(stop={"score": 6})).fit()
    for r in results:
        assert r.metrics["score"] == 6
        assert r.metrics["training_iteration"] == 7


def test_stop_other_key_is_upper_threshold(run_config):
    # a key that is not the metric stops when it is >= the threshold, whatever the mode
    results = tune.Tuner(_countdown, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(num_samples=1),
                         run_config=run_config(stop={"score": 4})).fit()
    assert results[0].metrics["score"] == 4


def test_time_budget_ends_the_run(run_config, executor):
    def slow(config):
        for i in range(1000):
            time.sleep(0.01)
            tune.report({"loss": i})

    start = time.time()
    results = tune.Tuner(slow, param_space={"x": tune.uniform(0, 1)},
                         tune_config=tc(executor, num_samples=20, time_budget_s=0.5), run_config=run_config()).fit()
    elapsed = time.time() - start
    assert elapsed < 5, elapsed
    assert 1 <= len(results) < 20
    assert all(r.metrics["training_iteration"] < 1000 for r in results)
    assert results.num_errors == 0


# ---------------------------------------------------------------------------------------------
# Trial errors


def test_trial_error_becomes_error_trial_and_run_goes_on(run_config, executor):
    def trainable(config):
        tune.report({"loss": config["i"]})
        if config["i"] == 1:
            raise ValueError("boom in trial one")
        tune.report({"loss": config["i"] - 0.5})

    search = BasicVariantGenerator(points_to_evaluate=[{"i": i} for i in range(4)])
    results = tune.Tuner(trainable, param_space={"i": tune.randint(0, 4)},
                         tune_config=tc(executor, num_samples=4, search_alg=search), run_config=run_config()).fit()
    assert len(results) == 4
    assert results.num_errors == 1
    assert results.num_terminated == 3
    by_i = {r.config["i"]: r for r in results}
    bad = by_i[1]
    assert bad.status == "ERROR"
    assert isinstance(bad.error, ValueError) and str(bad.error) == "boom in trial one"  # Ray: the original exception
    text = (Path(bad.path) / "error.txt").read_text()
    assert "Traceback (most recent call last)" in text
    assert "ValueError: boom in trial one" in text
    assert len(results.errors) == 1 and "boom in trial one" in str(results.errors[0])
    assert bad.metrics["loss"] == 1  # results before the error are kept
    assert "boom in trial one" in (Path(bad.path) / "error.txt").read_text()
    for i in (0, 2, 3):
        assert by_i[i].status == "TERMINATED" and by_i[i].error is None
        assert by_i[i].metrics["loss"] == i - 0.5
    assert results.get_best_result().config["i"] == 0


# ---------------------------------------------------------------------------------------------
# init and version


def test_init_warns_once_about_unknown_options():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = swifttune.init(num_cpus=3, configure_logging=False, unknown_option=1)
        swifttune.init(num_cpus=3, configure_logging=False, unknown_option=1)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages
    assert "unknown_option" in messages[0]
    assert not any("configure_logging" in m for m in messages)
    assert info["num_cpus"] == 3
    assert swifttune.is_initialized()


@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_init_rejects_bad_num_cpus(bad):
    with pytest.raises(ValueError, match="num_cpus"):
        swifttune.init(num_cpus=bad)


def test_version():
    # One source: the repository's VERSION file, through the generated _capi.py, and the library.
    from pathlib import Path

    from swifttune._lib import lib

    version = (Path(__file__).resolve().parents[2] / "VERSION").read_text().strip()
    assert swifttune.__version__ == version == lib.version()


def test_callbacks_see_every_trial_event(tmp_path, executor):
    """RunConfig(callbacks=[...]) hooks are called in the driver, one at a time, as Ray's are."""
    events = []

    class Recorder(tune.Callback):
        def on_trial_start(self, iteration, trials, trial, **info):
            events.append(("start", trial.trial_id))

        def on_trial_result(self, iteration, trials, trial, result, **info):
            events.append(("result", trial.trial_id, result["training_iteration"]))

        def on_trial_complete(self, iteration, trials, trial, **info):
            events.append(("complete", trial.trial_id, trial.status, trial.last_result.get("loss")))

        def on_trial_error(self, iteration, trials, trial, **info):
            events.append(("error", trial.trial_id, trial.status))

        def on_experiment_end(self, trials, **info):
            events.append(("end", len(trials)))

    def trainable(config):
        if config["x"] > 100:
            raise RuntimeError("never")
        for i in range(2):
            tune.report({"loss": float(i)})

    space = {"x": tune.grid_search([1, 2, 1000])}
    tc = tune.TuneConfig(metric="loss", mode="min", num_samples=1)
    if executor:
        tc.executor = executor
    tune.Tuner(trainable, param_space=space, tune_config=tc,
               run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0, callbacks=[Recorder()])).fit()
    starts = [e for e in events if e[0] == "start"]
    assert len(starts) == 3
    assert sorted(e[2] for e in events if e[0] == "result") == [1, 1, 2, 2]
    completes = [e for e in events if e[0] == "complete"]
    assert len(completes) == 2 and all(e[2] == "TERMINATED" and e[3] == 1.0 for e in completes)
    assert [e for e in events if e[0] == "error"] == [("error", "trial_00002", "ERROR")]
    assert events[-1] == ("end", 3)


def test_tuner_without_param_space_runs_empty_configs(run_config):
    """As Ray: no param_space and no search space is random search over nothing, num_samples
    trials with the config {} (no metric needed)."""
    def trainable(config):
        tune.report({"score": len(config)})

    results = tune.Tuner(trainable, tune_config=tune.TuneConfig(num_samples=2), run_config=run_config()).fit()
    assert [r.config for r in results] == [{}, {}] and results[0].metrics["score"] == 0


def test_ray_executor_without_ray_says_what_to_install(monkeypatch, tmp_path):
    """``TuneConfig(executor="ray")`` where Ray is not installed: an ImportError naming the fix."""
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if it were not installed

    def trainable(config):
        tune.report({"a": 1})

    with pytest.raises(ImportError, match=r"TuneConfig\(executor='ray'\) runs trials on a Ray cluster and needs Ray: "
                                          r"pip install 'ray\[tune\]'"):
        tune.Tuner(trainable, tune_config=tune.TuneConfig(executor="ray"),
                   run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0)).fit()


def test_a_cluster_address_with_a_local_executor_warns(tmp_path):
    """``swifttune.init(address=...)`` names a Ray cluster; an experiment that still runs its trials
    here (the default process executor, or threads) says so instead of ignoring the address."""
    def trainable(config):
        tune.report({"a": 1})

    try:
        swifttune.init(address="127.0.0.1:1", configure_logging=False)  # never contacted: nothing runs on Ray
        with pytest.warns(UserWarning, match=r"swifttune.init\(address='127.0.0.1:1'\) names a Ray cluster, but this "
                                             r"experiment runs its trials on this machine \(TuneConfig\(executor='thread'\)\); "
                                             r"pass TuneConfig\(executor='ray'\)"):
            grid = tune.Tuner(trainable, tune_config=tune.TuneConfig(executor="thread"),
                              run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0)).fit()
        assert [r.metrics["a"] for r in grid] == [1]
    finally:
        swifttune._ray_address = None
