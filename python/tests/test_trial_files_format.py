"""A trial's result.json and progress.csv are written by libswifttune from the results' JSON lines
(file_writer.py, ProgressCSV.swift): byte for byte what Python's json and csv modules write for the
same results (Ray's JsonLoggerCallback and CSVLoggerCallback), for random results with every kind
of value a row holds: floats (NaN, infinities, -0.0, tiny and huge), integers beyond 64 bits,
booleans, None, strings that need quoting (commas, quotes, newlines, carriage returns) or none
(tabs, control characters, non-ASCII, backslashes), missing and extra keys, and lists, dicts and
tuples (rows the csv module writes on the Python side)."""
from __future__ import annotations

import csv
import io
import json
import math
import random

import pytest

from swifttune.tune._internal.file_writer import writer
from swifttune.tune._internal.trial_files import TrialFiles, csv_value

STRINGS = ["", "plain", "a,b", 'say "hi"', "line\nbreak", "cr\rhere", "tab\there", "\x01ctl", "é ü 中文 😀",
           "back\\slash", " lead", "trail ", ",", '"', "\r\n", "nan", "True", "1e5", "\u2028sep"]


def _value(rng: random.Random, nested: bool) -> object:
    kind = rng.randrange(9 if nested else 7)
    if kind == 0:
        return rng.choice([math.nan, math.inf, -math.inf, -0.0, 0.0, 1e16, 1e-7, 5e-324, 1.7976931348623157e308,
                           0.1, 123456789.125, rng.random() * 10 ** rng.randint(-12, 20)])
    if kind == 1:
        return rng.choice([0, -1, 2 ** 63, -(2 ** 70), rng.randint(-10 ** 9, 10 ** 9)])
    if kind == 2:
        return rng.choice([True, False])
    if kind == 3:
        return None
    if kind in (4, 5):
        return rng.choice(STRINGS)
    if kind == 6:
        return rng.uniform(-1e3, 1e3)
    if kind == 7:
        return rng.choice([[1, 2.5, "x,y"], {"a": 1, "b": [None, True]}, (1, 2), [], {}])
    return rng.choice([[math.nan], {"k": "v\n"}])


def _results(rng: random.Random, n: int, nested: bool) -> list[dict]:
    keys = ["loss", "acc", "name", "flag", "weird,key", 'q"uote', "ü", "n"]
    out = []
    for _ in range(n):
        r = {k: _value(rng, nested) for k in keys if rng.random() < 0.85}
        if rng.random() < 0.3:
            r["extra_" + str(rng.randrange(3))] = _value(rng, nested)
        out.append(r)
    out[0] = {k: _value(rng, nested) for k in keys}  # the first result names the columns
    return out


def _expected(results: list[dict], config: str) -> tuple[str, str]:
    columns = list(results[0])
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    lines = []
    for r in results:
        w.writerow([csv_value(r.get(k)) for k in columns])
        line = json.dumps(r, default=str)
        lines.append(line[:-1] + ', "config": ' + config + "}\n" if line != "{}" else '{"config": ' + config + "}\n")
    return "".join(lines), buf.getvalue()


@pytest.mark.parametrize("seed,nested", [(1, False), (2, False), (3, True), (4, True)])
def test_rows_are_what_pythons_json_and_csv_modules_write(tmp_path, seed, nested):
    rng = random.Random(seed)
    results = _results(rng, 300, nested)
    config = json.dumps({"lr": 0.1, "name": "a,b"})
    files = TrialFiles(tmp_path, config)
    for r in results:
        files.append(dict(r))
    files.close()
    writer.drain()
    result_json, progress_csv = _expected(results, config)
    assert (tmp_path / "result.json").read_text(encoding="utf-8") == result_json
    with open(tmp_path / "progress.csv", newline="", encoding="utf-8") as f:
        assert f.read() == progress_csv


def test_a_single_column_and_empty_results(tmp_path):
    """A row of one empty cell is quoted (as the csv module writes it); an empty result is `{}`."""
    results = [{"only": ""}, {"only": None}, {}, {"only": "x"}, {"other": 1}]
    files = TrialFiles(tmp_path, "{}")
    for r in results:
        files.append(dict(r))
    files.close()
    writer.drain()
    result_json, progress_csv = _expected(results, "{}")
    assert (tmp_path / "result.json").read_text(encoding="utf-8") == result_json
    with open(tmp_path / "progress.csv", newline="", encoding="utf-8") as f:
        assert f.read() == progress_csv


def _reports(config):
    import os
    import tempfile

    from swifttune import tune

    for step in range(12):
        metrics = {"loss": config["x"] / (step + 1), "step": step, "name": "a,\"b\"", "big": 2 ** 65}
        if step % 3 == 2:
            with tempfile.TemporaryDirectory() as d:
                open(os.path.join(d, "c"), "w").close()
                tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(d))
        else:
            tune.report(metrics)


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_every_line_is_what_json_dumps_writes(tmp_path, executor):
    """The lines made by the process that runs the trial and completed on the driver (process
    executor) and those made on the driver: each is json.dumps of the row it holds, the row has the
    fields Ray writes in Ray's order, and progress.csv has one row per line."""
    from swifttune import tune

    grid = tune.Tuner(_reports, param_space={"x": tune.grid_search([1.0, 3.5])},
                      tune_config=tune.TuneConfig(executor=executor),
                      run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0)).fit()
    assert not grid.errors
    for result in grid:
        path = result.path  # the trial folder
        lines = open(f"{path}/result.json", encoding="utf-8").read().splitlines()
        assert len(lines) == 12
        for i, line in enumerate(lines):
            row = json.loads(line)
            assert json.dumps(row) == line
            keys = list(row)
            assert keys[:4] == ["loss", "step", "name", "big"]
            assert keys[-5:] == ["training_iteration", "time_total_s", "done", "checkpoint_dir_name", "config"]
            assert row["training_iteration"] == i + 1
            assert row["checkpoint_dir_name"] == (f"checkpoint_{i // 3:06d}" if i % 3 == 2 else None)
            assert row["done"] is False  # as Ray writes it: the row as reported (the last is marked done in memory)
        with open(f"{path}/progress.csv", newline="", encoding="utf-8") as f:
            assert len(list(csv.DictReader(f))) == 12


def test_a_write_that_fails_on_the_writer_thread_stops_the_run_and_is_raised(tmp_path):
    """progress.csv turned into a folder under a trial's files: the writer thread's write fails
    (EISDIR), the run is told at once (it stops the experiment, run.py) with a TrialFilesError
    naming the file, and the trial's next report raises it; result.json keeps every row written."""
    import errno as errnos

    from swifttune.tune._internal.trial_files import TrialFilesError

    told = []
    files = TrialFiles(tmp_path, "{}", on_error=told.append)
    files.append({"loss": 1.0})
    files.flush()
    writer.drain()
    (tmp_path / "progress.csv").unlink()
    (tmp_path / "progress.csv").mkdir()
    files.append({"loss": 2.0})
    files.flush()
    writer.drain()
    assert len(told) == 1 and isinstance(told[0], TrialFilesError)
    assert told[0].errno == errnos.EISDIR and told[0].filename == str(tmp_path / "progress.csv")
    with pytest.raises(TrialFilesError) as raised:
        files.append({"loss": 3.0})
    assert raised.value is told[0]
    assert [json.loads(line)["loss"] for line in (tmp_path / "result.json").read_text().splitlines()] == [1.0, 2.0]
