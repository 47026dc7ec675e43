"""SparkTrials on a real local Spark (pyspark from PyPI, Debian's Java 17, `local[2]`), side by side
with hyperopt's own SparkTrials on the same session: 40 trials with parallelism 2 give Trials of the
same shape, a raising objective ends its trial in JOB_STATE_ERROR (hyperopt's way) and the search
goes on, the timeout cancels running trials, and no more than `parallelism` trials run at once."""
import os
import sys
import time

import pytest

import swifttune.hyperopt as sh

pytestmark = pytest.mark.slow
hyperopt = pytest.importorskip("hyperopt", reason="make test installs hyperopt for these comparisons")
np = pytest.importorskip("numpy")
pyspark = pytest.importorskip("pyspark", reason="make test installs pyspark (and Debian's Java) for SparkTrials")


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the executors run this venv's Python
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("swifttune-tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def make_objective():
    """The objective, made inside a function so that Spark's cloudpickle sends it by value (the executors
    cannot import this test module)."""

    def objective(x):
        if x > 3.0:
            raise ValueError("too big")
        return (x - 1) ** 2

    return objective


@pytest.mark.parametrize("lib,n", [(hyperopt, 12), (sh, 40)], ids=["hyperopt", "swifttune"])
def test_forty_trials_on_local_spark(spark, lib, n, caplog):
    # hyperopt's own run (12 trials: about a second each) shows the shape that swifttune's 40 must have.
    caplog.set_level("INFO", logger="hyperopt-spark")
    trials = lib.SparkTrials(parallelism=2, spark_session=spark)
    best = lib.fmin(make_objective(), lib.hp.uniform("x", -5, 5), algo=lib.tpe.suggest, max_evals=n, trials=trials,
                    rstate=np.random.default_rng(0), show_progressbar=False)
    docs = trials._dynamic_trials
    assert len(docs) == n and sorted(d["tid"] for d in docs) == list(range(n))
    errors = [d for d in docs if d["state"] == lib.JOB_STATE_ERROR]
    done = [d for d in docs if d["state"] == lib.JOB_STATE_DONE]
    assert len(errors) + len(done) == n and len(trials) == len(done) and errors
    assert trials.count_successful_trials() == len(done) and trials.count_failed_trials() == len(errors)
    assert trials.count_total_trials() == n and trials.count_cancelled_trials() == 0
    for d in errors:  # the objective raised: hyperopt's error record, the result left new
        assert d["misc"]["error"][0] == "<class 'ValueError'>" and "too big" in d["misc"]["error"][1]
        assert d["result"] == {"status": "new"} and d["misc"]["vals"]["x"][0] > 3.0
    for d in done:
        assert set(d) >= {"state", "tid", "spec", "result", "misc", "exp_key", "owner", "version", "book_time",
                          "refresh_time"}
        assert set(d["misc"]) >= {"tid", "cmd", "workdir", "idxs", "vals"} and d["result"]["status"] == "ok"
        assert d["result"]["loss"] == pytest.approx((d["misc"]["vals"]["x"][0] - 1) ** 2)
    assert abs(best["x"] - 1) < 1.0
    messages = [r.getMessage() for r in caplog.records if r.name == "hyperopt-spark"]
    assert f"Total Trials: {n}: {len(done)} succeeded, {len(errors)} failed, 0 cancelled." in messages
    assert sum("failed, exception is" in m and "too big" in m for m in messages) == len(errors)


@pytest.mark.parametrize("lib", [hyperopt, sh], ids=["hyperopt", "swifttune"])
def test_timeout_cancels_running_trials(spark, lib):
    # 8 s for 50 trials of 1 s each, two at a time: about 16 could run; the rest are never launched, and the
    # ones running at the timeout are cancelled (a cold executor takes a few seconds for its first trial).
    trials = lib.SparkTrials(parallelism=2, spark_session=spark, timeout=8)
    start = time.time()
    lib.fmin(lambda x: time.sleep(1.0) or x, lib.hp.uniform("x", -5, 5), algo=lib.rand.suggest, max_evals=50,
             trials=trials, rstate=np.random.default_rng(0), show_progressbar=False)
    took = time.time() - start
    assert took < 20, took
    assert trials.fmin_cancelled_reason == "fmin run timeout"
    assert 1 <= trials.count_successful_trials() <= 16
    assert trials.count_total_trials() < 50


def test_no_more_than_parallelism_trials_run_at_once(spark, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()

    def slow(x):
        import os as _os
        import time as _time

        path = _os.path.join(str(marks), f"{_os.getpid()}-{_time.time_ns()}")
        start = _time.time()
        _time.sleep(0.4)
        with open(path, "w") as f:
            f.write(f"{start} {_time.time()}")
        return x

    trials = sh.SparkTrials(parallelism=2, spark_session=spark)
    sh.fmin(slow, sh.hp.uniform("x", 0, 1), algo=sh.anneal.suggest, max_evals=8, trials=trials,
            show_progressbar=False)
    spans = sorted(tuple(map(float, p.read_text().split())) for p in marks.iterdir())
    assert len(spans) == 8
    most = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert most == 2  # two at a time: both Spark slots used, never more


def test_checks(spark):
    with pytest.raises(ValueError, match="parallelism param must be greater than 0"):
        sh.SparkTrials(parallelism=0, spark_session=spark)
    assert sh.SparkTrials(spark_session=spark).parallelism == spark.sparkContext.defaultParallelism
    with pytest.raises(Exception, match="The timeout argument should be None or a positive value"):
        sh.SparkTrials(timeout=-1, spark_session=spark)
    with pytest.raises(NotImplementedError, match="trials_save_file"):
        sh.fmin(lambda x: x, sh.hp.uniform("x", 0, 1), max_evals=2, trials=sh.SparkTrials(spark_session=spark),
                trials_save_file="t.pkl", show_progressbar=False)
