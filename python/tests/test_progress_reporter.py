"""Ray Tune's progress reporters: CLIReporter's "== Status ==" layout and its arguments, a user's
ProgressReporter subclass, JupyterNotebookReporter, and how the run loop calls them."""
from __future__ import annotations

import re

import pytest

from swifttune import tune
from swifttune.tune._internal.progress import ReportedTrial, psql_table, trial_progress_str
from swifttune.tune.progress_reporter import TuneReporterBase


def objective(config):
    for step in range(2):
        tune.report({"loss": config["x"] * 10 - step, "mean_accuracy": step / 2, "extra": "text"})


def run(storage, reporter, grid=(1, 2, 3), verbose=None, **kw):
    return tune.run(objective, config={"x": tune.grid_search(list(grid)), "const": 0}, metric=kw.pop("metric", "loss"),
                    mode=kw.pop("mode", "min"), storage_path=str(storage), name="rep", verbose=verbose,
                    progress_reporter=reporter, **kw)


def header_of(text: str) -> list[str]:
    """The column names of the last trial table in `text`."""
    lines = [l for l in text.splitlines() if l.startswith("| Trial name")]
    return [c.strip() for c in lines[-1].strip("|").split("|")]


def rows_of(text: str) -> list[list[str]]:
    """The rows of the last trial table in `text`."""
    block = text[text.rindex("| Trial name"):].splitlines()
    return [[c.strip() for c in l.strip("|").split("|")] for l in block[2:] if l.startswith("| ")]


def test_cli_reporter_prints_rays_layout(tmp_path, capsys):
    run(tmp_path, tune.CLIReporter(metric_columns=["loss", "mean_accuracy"]))
    out = capsys.readouterr().out
    final = out[out.rindex("== Status =="):]
    assert re.search(r"Current time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(running for \d\d:\d\d:\d\d\.\d\d\)", final)
    assert "Using FIFO scheduling algorithm." in final and "Logical resource usage:" in final
    assert re.search(r"Current best trial: trial_\d+ with loss=9 and parameters=\{'x': 1, 'const': 0\}", final)
    assert f"Result logdir: {tmp_path}/rep" in final and "Number of trials: 3/3 (3 TERMINATED)" in final
    assert header_of(final) == ["Trial name", "status", "loc", "x", "loss", "mean_accuracy"]
    assert [r[0] for r in rows_of(final)] == ["objective_00000", "objective_00001", "objective_00002"]
    table = final[final.index("+-"):].splitlines()
    assert table[0].startswith("+-") and table[2].startswith("|-") and "+" in table[2]
    assert table[6].startswith("+-") and table[6] == table[0]


def test_columns_dict_aliases_and_defaults(tmp_path, capsys):
    run(tmp_path, tune.CLIReporter(metric_columns={"loss": "L", "training_iteration": "iter"},
                                   parameter_columns={"x": "the x"}))
    assert header_of(capsys.readouterr().out) == ["Trial name", "status", "loc", "the x", "L", "iter"]
    run(tmp_path / "b", tune.CLIReporter())  # Ray's default columns, plus up to 3 inferred metrics
    assert header_of(capsys.readouterr().out) == ["Trial name", "status", "loc", "x", "acc", "iter",
                                                  "total time (s)", "loss"]


def test_add_columns(tmp_path, capsys):
    r = tune.CLIReporter(metric_columns=["loss"])
    r.add_metric_column("mean_accuracy")
    r.add_parameter_column("const")
    with pytest.raises(ValueError, match="Column loss already exists."):
        r.add_metric_column("loss")
    with pytest.raises(ValueError, match="`representation` cannot differ"):
        r.add_metric_column("other", "o")
    d = tune.CLIReporter(metric_columns={"loss": "L"})
    d.add_metric_column("mean_accuracy", "acc")
    run(tmp_path, r)
    assert header_of(capsys.readouterr().out) == ["Trial name", "status", "loc", "const", "loss", "mean_accuracy"]
    run(tmp_path / "d", d)
    assert header_of(capsys.readouterr().out)[-2:] == ["L", "acc"]


def test_sort_by_metric_and_max_rows(tmp_path, capsys):
    with pytest.warns(UserWarning, match="Both 'metric' and 'mode' must be set to be able to sort by metric"):
        run(tmp_path, tune.CLIReporter(metric_columns=["loss"], sort_by_metric=True), metric=None, mode=None)
    reporter = tune.CLIReporter(metric_columns=["loss"], sort_by_metric=True, max_progress_rows=2, metric="loss",
                                mode="max", print_intermediate_tables=True)
    run(tmp_path / "s", reporter, grid=(1, 3, 2), metric=None, mode=None)
    out = capsys.readouterr().out
    final = out[out.rindex("== Status =="):]
    assert [r[-1] for r in rows_of(final)] == ["29", "19", "9"]  # done: every row, best first


def test_intermediate_tables_are_cut_to_max_progress_rows():
    trials = [ReportedTrial(f"t{i}", f"trial_{i}", {"x": i}, status="TERMINATED" if i < 4 else "RUNNING",
                            last_result={"loss": float(i)}, evaluated_params={"x": i}, local_experiment_path="/e")
              for i in range(6)]
    text = trial_progress_str(trials, ["loss"], force_table=True, max_rows=3)
    # Ray's fair share: states take turns for the rows (a round, once begun, ends: 4 rows here, as
    # in Ray); running trials first, then the oldest; the overflow count is Ray's too
    assert "... 3 more trials not shown (2 TERMINATED)" in text
    assert [r[0] for r in rows_of(text)] == ["trial_4", "trial_5", "trial_0", "trial_1"]
    assert "Number of trials: 6 (2 RUNNING, 4 TERMINATED)" in text
    assert "| Trial name" not in trial_progress_str(trials, ["loss"], force_table=False)


def test_long_values_are_abbreviated_as_ray():
    t = ReportedTrial("a", "trial_a", {"s": "x" * 40}, status="TERMINATED",
                      last_result={"a_very_long_metric_name_indeed": 1}, evaluated_params={"s": "x" * 40},
                      local_experiment_path="/e")
    text = trial_progress_str([t], ["a_very_long_metric_name_indeed"], force_table=True, max_column_length=10)
    assert re.search(r"\| x{5}_[0-9a-f]{4} \|", text)  # Ray: first max_len - 5 characters and an id
    # a header over twice max_column_length keeps its end and wraps onto two lines
    assert "| ...etric_n |" in text and "| ame_indeed |" in text


def test_psql_table_alignment():
    table = psql_table(["name", "n"], [["a", 1.5], ["bb", 10]])
    assert table.splitlines() == ["+------+-----+", "| name |   n |", "|------+-----|", "| a    | 1.5 |",
                                  "| bb   |  10 |", "+------+-----+"]


def test_errors_table(tmp_path, capsys):
    def fails(config):
        tune.report({"loss": 1.0})
        raise ValueError("no")

    tune.run(fails, config={"x": 1}, storage_path=str(tmp_path), name="err", verbose=1, raise_on_failed_trial=False,
             progress_reporter=tune.CLIReporter(metric_columns=["loss"]))
    out = capsys.readouterr().out
    assert "Number of errored trials: 1" in out
    assert re.search(r"\| fails_00000 \|\s+1 \| .*/err/fails_00000/error.txt \|", out)


class Recorder(tune.ProgressReporter):
    """A user's reporter: reports only at the end."""

    def __init__(self) -> None:
        self.calls: list = []
        self.setup_args: dict = {}

    def setup(self, start_time=None, total_samples=None, metric=None, mode=None, **kwargs) -> None:
        self.setup_args = {"total_samples": total_samples, "metric": metric, "mode": mode}

    def should_report(self, trials, done=False):
        return done

    def report(self, trials, done, *sys_info):
        self.calls.append((done, [(str(t), t.status, t.config["x"], t.last_result["loss"]) for t in trials],
                           sys_info))


def test_user_progress_reporter_subclass(tmp_path, capsys):
    rec = Recorder()
    run(tmp_path, rec)
    assert rec.setup_args == {"total_samples": 3, "metric": "loss", "mode": "min"}
    assert len(rec.calls) == 1
    done, trials, sys_info = rec.calls[0]
    assert done is True and [t[1:] for t in trials] == [("TERMINATED", 1, 9), ("TERMINATED", 2, 19),
                                                        ("TERMINATED", 3, 29)]
    assert sys_info[0] == "Using FIFO scheduling algorithm."
    with pytest.raises(NotImplementedError):
        tune.ProgressReporter().should_report([])


def test_reporter_through_run_config_and_verbose(tmp_path, capsys):
    def make(**kw):
        return tune.Tuner(objective, param_space={"x": 1},
                          tune_config=tune.TuneConfig(metric="loss", mode="min"),
                          run_config=tune.RunConfig(storage_path=str(tmp_path), **kw))

    make(name="a", progress_reporter=tune.CLIReporter(metric_columns=["loss"])).fit()
    assert "== Status ==" in capsys.readouterr().out
    make(name="b", verbose=0, progress_reporter=tune.CLIReporter()).fit()
    assert capsys.readouterr().out == ""
    # verbose=1: tables only when asked (Ray prints them from verbose 2 at the end, from 3 always)
    make(name="c", verbose=1, progress_reporter=tune.CLIReporter(metric_columns=["loss"])).fit()
    out = capsys.readouterr().out
    assert "Number of trials: 1/1 (1 TERMINATED)" in out and "| Trial name" not in out
    make(name="d", verbose=1, progress_reporter=tune.CLIReporter(print_intermediate_tables=True)).fit()
    assert "| Trial name" in capsys.readouterr().out
    with pytest.raises(ValueError, match="already instantiated with their own `metric` and `mode`"):
        make(name="e", progress_reporter=tune.CLIReporter(metric="loss")).fit()


def test_max_report_frequency():
    r = tune.CLIReporter(max_report_frequency=60)
    assert r.should_report([]) is True  # the first time
    assert r.should_report([]) is False and r.should_report([], done=True) is True


def test_jupyter_reporter_outside_a_notebook_warns_and_prints_the_text(tmp_path, capsys):
    with pytest.warns(UserWarning, match="You are using the `JupyterNotebookReporter`, but not IPython/Jupyter"):
        j = tune.JupyterNotebookReporter(overwrite=False, metric_columns=["loss"])
    assert isinstance(j, TuneReporterBase)
    run(tmp_path, j)
    out = capsys.readouterr().out
    assert header_of(out) == ["Trial name", "status", "loc", "x", "loss"]
    with pytest.raises(TypeError, match="overwrite"):
        tune.JupyterNotebookReporter(overwrite="yes")


class FakeHandle:
    """IPython's display handle, as a notebook's ``display(..., display_id=True)`` returns it."""

    def __init__(self, shown):
        self.shown = shown

    def update(self, obj):
        self.shown.append(("update", obj.data))


def test_jupyter_reporter_in_a_notebook_shows_rays_panel_in_one_updated_area(tmp_path, monkeypatch, capsys):
    IPython = pytest.importorskip("IPython", reason="make test installs ipykernel (with IPython)")
    import IPython.display as display_module

    from swifttune.tune import progress_reporter as module

    shown = []
    monkeypatch.setattr(module, "in_notebook", lambda: True)
    monkeypatch.setattr(display_module, "display",
                        lambda obj, display_id=None: shown.append(("display", obj.data)) or FakeHandle(shown))
    monkeypatch.setattr(display_module, "clear_output", lambda wait=False: shown.append(("clear", wait)))

    def failing(config):
        tune.report({"loss": config["x"]})
        if config["x"] == 3:
            raise ValueError("boom")

    j = tune.JupyterNotebookReporter(metric_columns=["loss"], max_report_frequency=0)
    tune.run(failing, config={"x": tune.grid_search([1, 2, 3]), "note": tune.choice(["<b>&"])}, metric="loss", mode="min",
             storage_path=str(tmp_path), name="nb", progress_reporter=j, raise_on_failed_trial=False)
    assert capsys.readouterr().out.count("== Status ==") == 0  # no text: the panel
    assert shown[0] == ("clear", True) and shown[1][0] == "display" and len(shown) > 2
    assert {kind for kind, _ in shown[2:]} == {"update"}  # one output area, updated in place
    final = shown[-1][1]
    for heading in ("Tune Status", "System Info", "Messages", "Trial Status"):
        assert f"<h3>{heading}</h3>" in final
    assert re.search(r"<td>Current time:</td><td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", final)
    assert re.search(r"<td>Running for:</td><td>\d\d:\d\d:\d\d\.\d\d</td>", final)
    assert re.search(r"<td>Memory:</td><td>[\d.]+/[\d.]+ GiB</td>", final)
    assert "Using FIFO scheduling algorithm.<br>Logical resource usage:" in final
    trials = final.split("<h3>Trial Status</h3>", 1)[1]
    assert re.findall(r"<th>(.*?)</th>", trials) == ["Trial name", "status", "loc", "note", "x", "loss"]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", trials.split("<tbody>")[1])]
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows] == [
        ("failing_00000", "TERMINATED", "&lt;b&gt;&amp;", "1", "1"), ("failing_00001", "TERMINATED", "&lt;b&gt;&amp;", "2", "2"),
        ("failing_00002", "ERROR", "&lt;b&gt;&amp;", "3", "3")]  # cells escaped; numbers right-aligned
    assert '<td style="text-align: right;">1</td>' in trials
    messages = final.split("<h3>Messages</h3>", 1)[1].split("<h3>Trial Status</h3>", 1)[0]
    assert "Number of errored trials: 1" in messages and "failing_00002" in messages and "error.txt" in messages


def test_the_notebook_default_is_a_jupyter_reporter(tmp_path, monkeypatch, capsys):
    from swifttune.tune._internal import progress as progress_module
    from swifttune.tune import progress_reporter as module

    monkeypatch.setattr(progress_module, "in_notebook", lambda: True)
    monkeypatch.setattr(module, "in_notebook", lambda: True)
    panels = []
    monkeypatch.setattr(module.NotebookDisplay, "show", lambda self, markup: panels.append(markup))
    tune.Tuner(objective, param_space={"x": tune.grid_search([1, 2])},
               tune_config=tune.TuneConfig(metric="loss", mode="min"),
               run_config=tune.RunConfig(storage_path=str(tmp_path), name="d")).fit()
    assert panels and "<h3>Trial Status</h3>" in panels[-1] and panels[-1].count("TERMINATED") == 2
    assert "Trial status:" not in capsys.readouterr().out  # not the script's text table
    panels.clear()
    tune.Tuner(objective, param_space={"x": tune.grid_search([1, 2])},
               run_config=tune.RunConfig(storage_path=str(tmp_path), name="q", verbose=0)).fit()
    assert panels == []  # verbose=0: nothing, as in Ray


def test_reporter_argument_checks():
    with pytest.raises(TypeError, match="metric_columns"):
        tune.CLIReporter(metric_columns="loss")
    with pytest.raises(ValueError, match="mode"):
        tune.CLIReporter(mode="lowest")
    with pytest.raises(TypeError):
        tune.CLIReporter(["loss"])  # keyword-only, as Ray


class Overlap(tune.ProgressReporter):
    """A reporter that notes whether two calls of report were ever inside it at once."""

    def __init__(self):
        import threading

        self.inside = 0
        self.most = 0
        self.calls = 0
        self.lock = threading.Lock()

    def should_report(self, trials, done=False):
        return True

    def report(self, trials, done, *sys_info):
        import time

        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.calls += 1
        time.sleep(0.02)
        with self.lock:
            self.inside -= 1


def test_a_reporter_is_called_by_one_executor_slot_at_a_time(tmp_path):
    # Executor slots end trials in their own threads; as in Ray's single driver loop, the reporter (and the
    # notebook's one output area, which two first calls at once would clear twice) never runs twice at once.
    rep = Overlap()

    def quick(config):
        tune.report({"loss": config["x"]})

    tune.run(quick, config={"x": tune.grid_search(list(range(24)))}, metric="loss", mode="min",
             storage_path=str(tmp_path), name="o", progress_reporter=rep, max_concurrent_trials=8)
    assert rep.calls >= 24 and rep.most == 1
