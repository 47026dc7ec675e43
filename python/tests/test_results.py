"""ResultGrid / Result, the files of a run, and restoring an experiment."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

import swifttune
from swifttune import tune
from swifttune.tune.search import BasicVariantGenerator

from helpers import EXECUTORS, THREAD, FileLog, tc

INF = float("inf")
NAN = float("nan")

# Each trial reports these losses in order ("B" raises after its report).
SEQS = {
    "A": [3, 2, 1],
    "B": [5],
    "C": [NAN],
    "D": [0.5, 9, 9],
    "E": [4, 4, 0.9],
    "F": [12] + [1.5] * 10,
    "G": [3.0] * 5 + [1.4] * 5,
    "H": [2.5, -INF],
}

# (scope, mode) -> the best trial by Ray's rules (NaN and +-inf scores are never best)
EXPECTED = {
    ("last", "min"): "E", ("last", "max"): "D",
    ("avg", "min"): "A", ("avg", "max"): "D",
    ("all", "min"): "D", ("all", "max"): "F",
    ("last-5-avg", "min"): "G", ("last-5-avg", "max"): "D",
    ("last-10-avg", "min"): "F", ("last-10-avg", "max"): "D",
}


def _seq_trainable(config):
    for v in SEQS[config["name"]]:
        tune.report({"loss": v, "other": 1.0})
    if config["name"] == "B":
        raise RuntimeError("B fails")


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """One run shared by the read-only tests of this module."""
    names = list(SEQS)
    alg = BasicVariantGenerator(points_to_evaluate=[{"name": n} for n in names])
    storage = tmp_path_factory.mktemp("grid")
    return tune.Tuner(_seq_trainable, param_space={"name": tune.choice(names)},
                      tune_config=tc(num_samples=len(names), search_alg=alg),
                      run_config=tune.RunConfig(name="grid", storage_path=str(storage), verbose=0)).fit()


def test_result_grid_len_indexing_iteration(grid):
    assert len(grid) == len(SEQS)
    assert [r.config["name"] for r in grid] == list(SEQS)  # in trial order
    assert [grid[i].config["name"] for i in range(len(grid))] == list(SEQS)
    assert grid[-1].config["name"] == "H"
    assert [r.trial_id for r in grid] == [grid[i].trial_id for i in range(len(grid))]
    assert len({r.trial_id for r in grid}) == len(SEQS)
    assert grid.num_terminated == len(SEQS) - 1
    assert grid.num_errors == 1
    assert [r.config["name"] for r in grid if r.status == "ERROR"] == ["B"]
    assert len(grid.errors) == 1 and "B fails" in str(grid.errors[0])
    assert "ResultGrid" in repr(grid)


@pytest.mark.parametrize("scope, mode", sorted(EXPECTED))
def test_get_best_result_scopes_and_modes(grid, scope, mode):
    best = grid.get_best_result(metric="loss", mode=mode, scope=scope)
    assert best.config["name"] == EXPECTED[(scope, mode)]


def test_get_best_result_defaults_to_the_tuner_metric_and_mode(grid):
    assert grid.get_best_result().config["name"] == EXPECTED[("last", "min")]
    assert grid.get_best_result(mode="max").config["name"] == EXPECTED[("last", "max")]


def test_nan_and_inf_are_never_best(grid):
    for scope in ("last", "avg", "all", "last-5-avg", "last-10-avg"):
        for mode in ("min", "max"):
            best = grid.get_best_result(scope=scope, mode=mode)
            assert best.config["name"] not in ("C", "H"), (scope, mode)
            assert math.isfinite(best.metrics["loss"])


def test_filter_nan_and_inf_false_lets_minus_inf_win(grid):
    assert grid.get_best_result(mode="min", scope="last", filter_nan_and_inf=False).config["name"] == "H"


def test_only_nan_trials(run_config):
    def nan(config):
        tune.report({"loss": NAN})

    res = tune.Tuner(nan, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(num_samples=2),
                     run_config=run_config()).fit()
    with pytest.raises(RuntimeError, match="No best trial found"):
        res.get_best_result()
    assert res.get_best_result(filter_nan_and_inf=False) in list(res)


def test_get_best_result_errors(grid):
    with pytest.raises(ValueError, match="scope"):
        grid.get_best_result(scope="median")
    with pytest.raises(RuntimeError, match="No best trial found for the given metric: nope"):
        grid.get_best_result(metric="nope")
    with pytest.raises(ValueError):
        grid.get_best_result(mode="avg")


def test_get_best_result_bad_mode_message(grid):
    with pytest.raises(ValueError, match=r"min.*max"):
        grid.get_best_result(mode="avg")


def test_single_trial_is_best(run_config):
    res = tune.Tuner(lambda config: None, param_space={"x": tune.uniform(0, 1)}, tune_config=tc(num_samples=1),
                     run_config=run_config()).fit()
    assert res.get_best_result() is res[0]


def test_result_metrics_config_path(grid):
    a = grid[0]
    assert a.config == {"name": "A"}
    m = a.metrics
    assert m["loss"] == 1 and m["other"] == 1.0
    assert m["training_iteration"] == 3
    assert m["done"] is True
    assert m["trial_id"] == a.trial_id
    assert m["config"] == {"name": "A"}
    assert m["time_total_s"] >= 0 and "time_this_iter_s" in m and "timestamp" in m
    assert [h["loss"] for h in a.history] == [3, 2, 1]
    assert [h["training_iteration"] for h in a.history] == [1, 2, 3]
    p = Path(a.path)
    assert p.is_dir() and p.parent == Path(grid.experiment_path)
    assert Path(grid.experiment_path).name == "grid"
    assert a.error is None
    assert "Result(" in repr(a)


def _html_rows(markup: str) -> list[list[str]]:
    import re

    body = markup.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", body)]


def test_results_render_as_html_tables_in_a_notebook(grid, monkeypatch):
    import re

    markup = grid._repr_html_()
    assert "<h3>ResultGrid</h3>" in markup and f"8 trials (1 ERROR, 7 TERMINATED), in {grid.experiment_path}" in markup
    best = grid.get_best_result()
    assert f"Best trial by loss (min): {best.trial_id}, loss={best.metrics['loss']}" in markup
    header = re.findall(r"<th>(.*?)</th>", markup)
    assert header == ["trial id", "status", "name", "loss", "training_iteration", "time_total_s", "error"]
    rows = _html_rows(markup)
    assert [r[:3] for r in rows] == [[r.trial_id, r.status, r.config["name"]] for r in grid]
    assert [r[3] for r in rows] == [format(r.metrics["loss"], "g") for r in grid]
    assert rows[1][-1] == "RuntimeError: B fails" and rows[0][-1] == ""
    monkeypatch.setattr(type(grid), "HTML_ROWS", 3)
    cut = grid._repr_html_()
    assert len(_html_rows(cut)) == 3 and "... 5 more trials not shown" in cut

    one = grid[0]._repr_html_()
    assert "<h3>Result</h3>" in one and f"<td>trial id</td><td>{grid[0].trial_id}</td>" in one
    assert "<td>status</td><td>TERMINATED</td>" in one and "<td>name</td><td>A</td>" in one
    assert "<td>loss</td><td>1</td>" in one
    assert "error" not in one.split("<h3>Configuration</h3>")[0]
    assert "<td>error</td><td>RuntimeError: B fails</td>" in grid[1]._repr_html_()


def test_trial_files(grid):
    for r in grid:
        p = Path(r.path)
        assert json.loads((p / "params.json").read_text()) == r.config
        lines = (p / "result.json").read_text().splitlines()
        rows = [json.loads(line) for line in lines]
        assert len(rows) == len(r.history) == len(SEQS[r.config["name"]])
        assert [row["training_iteration"] for row in rows] == list(range(1, len(rows) + 1))
        assert all(row["config"] == r.config and row["trial_id"] == r.trial_id for row in rows)
        with open(p / "progress.csv", newline="") as f:
            table = list(csv.DictReader(f))
        assert len(table) == len(rows)
        assert {"loss", "training_iteration", "time_total_s", "trial_id"} <= set(table[0])
        assert [int(t["training_iteration"]) for t in table] == list(range(1, len(rows) + 1))
        if r.config["name"] == "A":
            assert [float(t["loss"]) for t in table] == [3, 2, 1]
        assert (p / "error.txt").exists() == (r.status == "ERROR")
    assert (Path(grid.experiment_path) / "experiment_state.json").is_file()


def test_dataframes_need_pandas(grid):
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pandas"):
            grid.get_dataframe()
        with pytest.raises(ImportError, match="pandas"):
            grid[0].metrics_dataframe
        return
    df = grid.get_dataframe()
    assert len(df) == len(SEQS)
    assert "config/name" in df.columns and "loss" in df.columns and "logdir" in df.columns
    best = grid.get_dataframe(filter_metric="loss", filter_mode="min")
    assert len(best) == len(SEQS)
    assert list(grid[0].metrics_dataframe["loss"]) == [3, 2, 1]


# ---------------------------------------------------------------------------------------------
# Restore


def _counting(config):
    FileLog(config["log"]).add("call", config["x"])
    for i in range(3):
        tune.report({"loss": config["x"] + i})


def test_can_restore(tmp_path, run_config, log):
    res = tune.Tuner(_counting, param_space={"x": tune.uniform(0, 1), "log": log.path},
                     tune_config=tc(num_samples=2), run_config=run_config(name="exp")).fit()
    assert tune.Tuner.can_restore(res.experiment_path)
    assert tune.Tuner.can_restore(Path(res.experiment_path))
    assert not tune.Tuner.can_restore(tmp_path / "results")  # the storage root is not an experiment
    assert not tune.Tuner.can_restore(tmp_path / "missing")
    with pytest.raises(ValueError, match="experiment state"):
        tune.Tuner.restore(str(tmp_path / "missing"), _counting)


def test_restore_finished_experiment_returns_the_same_trials(run_config, log):
    n = 4
    res = tune.Tuner(_counting, param_space={"x": tune.uniform(0, 1), "log": log.path},
                     tune_config=tc(num_samples=n), run_config=run_config(name="exp")).fit()
    assert len(log.read()) == n
    tuner = tune.Tuner.restore(res.experiment_path, _counting)
    again = tuner.fit()
    assert len(log.read()) == n  # nothing ran again
    assert [r.trial_id for r in again] == [r.trial_id for r in res]
    assert [r.config for r in again] == [r.config for r in res]
    assert [r.status for r in again] == ["TERMINATED"] * n
    assert [r.metrics["loss"] for r in again] == [r.metrics["loss"] for r in res]
    assert [r.metrics["training_iteration"] for r in again] == [3] * n
    assert [r.path for r in again] == [r.path for r in res]
    assert again.get_best_result().trial_id == res.get_best_result().trial_id
    got = tuner.get_results()
    assert [r.trial_id for r in got] == [r.trial_id for r in res]


def test_restored_tuner_get_results_without_fit(run_config, log):
    res = tune.Tuner(_counting, param_space={"x": tune.uniform(0, 1), "log": log.path},
                     tune_config=tc(num_samples=3), run_config=run_config(name="exp")).fit()
    got = tune.Tuner.restore(res.experiment_path, _counting).get_results()
    assert [r.trial_id for r in got] == [r.trial_id for r in res]


def test_restored_results_without_result_json_come_from_the_engine(run_config, log):
    """A restored experiment whose result.json is gone: the history is the engine's (fetched per
    trial; the listing of trials carries only their number of results)."""
    res = tune.Tuner(_counting, param_space={"x": tune.uniform(0, 1), "log": log.path},
                     tune_config=tc(num_samples=2), run_config=run_config(name="exp")).fit()
    gone = res[0]
    (Path(gone.path) / "result.json").unlink()
    got = tune.Tuner.restore(res.experiment_path, _counting).get_results()
    by_id = {r.trial_id: r for r in got}
    assert [row["loss"] for row in by_id[gone.trial_id].history] == [row["loss"] for row in gone.history]
    assert by_id[gone.trial_id].metrics["loss"] == gone.metrics["loss"]
    assert by_id[gone.trial_id].metrics["training_iteration"] == 3
    assert by_id[res[1].trial_id].metrics == res[1].metrics


def test_restored_metrics_are_the_same(run_config, log):
    res = tune.Tuner(_counting, param_space={"x": tune.uniform(0, 1), "log": log.path},
                     tune_config=tc(num_samples=2), run_config=run_config(name="exp")).fit()
    again = tune.Tuner.restore(res.experiment_path, _counting).fit()
    for a, b in zip(res, again):
        assert set(b.metrics) == set(a.metrics)
        assert type(b.metrics["training_iteration"]) is int


def test_restore_with_python_side_values(run_config):
    space = {"x": tune.uniform(0, 1), "obj": object(), "sf": tune.sample_from(lambda spec: spec.config.x * 2)}
    res = tune.Tuner(lambda config: {"loss": config["x"]}, param_space=space, tune_config=tc(THREAD, num_samples=2),
                     run_config=run_config(name="exp")).fit()
    again = tune.Tuner.restore(res.experiment_path, lambda config: {"loss": config["x"]}, param_space=space).fit()
    assert [r.config["x"] for r in again] == [r.config["x"] for r in res]


def test_restore_continues_an_interrupted_experiment(run_config, log):
    """A run that dies (here: KeyboardInterrupt in a trial on the thread executor) is continued by
    restore: finished trials keep their results, the rest run."""
    swifttune.init(num_cpus=1)
    n = 5

    def dies_on_third(config):
        calls = FileLog(config["log"])
        calls.add("first", config["x"])
        if len(calls.read()) == 3:
            raise KeyboardInterrupt
        tune.report({"loss": config["x"]})

    tuner = tune.Tuner(dies_on_third, param_space={"x": tune.uniform(0, 1), "log": log.path},
                       tune_config=tc(THREAD, num_samples=n), run_config=run_config(name="exp"))
    with pytest.raises(KeyboardInterrupt):
        tuner.fit()
    path = str(Path(run_config().storage_path) / "exp")
    assert tune.Tuner.can_restore(path)
    state = json.loads((Path(path) / "experiment_state.json").read_text())
    statuses = [t["status"] for t in state["engine"]["trials"]]
    assert statuses[:2] == ["TERMINATED", "TERMINATED"] and len(statuses) == 3

    def second(config):
        FileLog(config["log"]).add("second", config["x"])
        tune.report({"loss": config["x"]})

    res = tune.Tuner.restore(path, second).fit()
    assert len(res) == n
    assert res.num_terminated == n
    second_calls = [e for e in log.read() if e[0] == "second"]
    assert len(second_calls) == 3  # the interrupted trial and the two never started
    first_done = [e[1] for e in log.read() if e[0] == "first"][:2]
    assert [r.config["x"] for r in res][:2] == first_done
    assert len({r.config["x"] for r in res}) == n  # the searcher does not repeat itself


def _waits_for_its_rows(config):
    import os
    import time

    tune.report({"loss": 2.0})
    tune.report({"loss": 1.0})  # the first row goes to disk at once; the second within about a second
    path = os.path.join(tune.get_context().get_trial_dir(), "progress.csv")
    deadline = time.monotonic() + 5.0
    seen = 0
    while time.monotonic() < deadline and not seen:
        with open(path, newline="") as f:
            seen = int(len(list(csv.DictReader(f))) >= 2)
        time.sleep(0.05)
    tune.report({"loss": 0.0, "seen": seen})


@pytest.mark.parametrize("executor", EXECUTORS)
def test_rows_reach_the_files_while_the_trial_runs(tmp_path, executor):
    """Rows are buffered, but on disk within about a second: a running trial's progress.csv can be followed."""
    grid = tune.Tuner(_waits_for_its_rows, tune_config=tc(executor),
                      run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0)).fit()
    assert grid[0].metrics["seen"] == 1


_ODD_ROWS = [
    {"loss": 1.5, "s": "a,b", "q": 'say "hi"', "n": None, "b": True, "l": [1, 2], "d": {"k": 1}},
    {"loss": NAN, "s": "{brace}", "q": "", "n": 3, "b": False, "l": None, "d": None},
    {"loss": 2, "s": "line\nbreak"},  # columns missing
    {"loss": 1e300, "s": "\u00e9", "q": "[", "n": "", "b": None, "l": [], "d": "x", "extra": 5},
]


def _odd_rows(config):
    for r in _ODD_ROWS:
        tune.report(dict(r))
    for i in range(150):  # more rows than a batch the files collect before writing
        tune.report({"loss": i * 0.5, "s": f"row {i}"})


@pytest.mark.parametrize("executor", EXECUTORS)
def test_progress_csv_is_what_the_csv_module_writes(tmp_path, executor):
    """progress.csv holds, byte for byte, what Python's csv module writes for the rows of
    result.json under the first row's columns (lists and dicts as JSON, None empty, quoting)."""
    grid = tune.Tuner(_odd_rows, tune_config=tc(executor),
                      run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0)).fit()
    p = Path(grid[0].path)
    rows = [json.loads(line) for line in (p / "result.json").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(_ODD_ROWS) + 150
    assert rows[0]["l"] == [1, 2] and rows[3]["l"] == [] and rows[2]["s"] == "line\nbreak"
    import io

    columns = [k for k in rows[0] if k != "config"]
    expected = io.StringIO(newline="")
    w = csv.writer(expected)
    w.writerow(columns)
    for r in rows:
        w.writerow([json.dumps(r[k]) if isinstance(r.get(k), (dict, list)) else r.get(k) for k in columns])
    assert (p / "progress.csv").read_bytes() == expected.getvalue().encode("utf-8")
