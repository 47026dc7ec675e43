"""swifttune.visualization and hyperopt's plotting functions, drawn from real experiments: each
plot renders to a PNG of the expected size that is not blank, and what it draws is the
experiment's data (the history ends at the best result, each learning curve is a trial's
results, each slice point a trial's parameter and value); `python -m swifttune plot` writes them."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from swifttune import tune
from swifttune.tune.schedulers import ASHAScheduler
from swifttune.tune.search import ConcurrencyLimiter
from swifttune.tune.search.hyperopt import HyperOptSearch

matplotlib = pytest.importorskip("matplotlib", reason="make test installs matplotlib")
matplotlib.use("Agg")
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from swifttune import visualization as vis  # noqa: E402
from swifttune.visualization import ExperimentData, TrialRecord  # noqa: E402

STEPS = 12
SAMPLES = 24


def objective(config):
    for step in range(STEPS):
        mult = 1.0 if config["activation"] == "relu" else 1.3
        tune.report({"mean_loss": (0.1 + config["width"] * step / 100) ** (-1) + config["height"] * 0.1 * mult})


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    storage = tmp_path_factory.mktemp("viz")
    space = {"steps": STEPS, "width": tune.uniform(0, 20), "height": tune.uniform(-100, 100),
             "activation": tune.choice(["relu", "tanh"])}
    return tune.Tuner(objective, param_space=space,
                      tune_config=tune.TuneConfig(metric="mean_loss", mode="min", num_samples=SAMPLES,
                                                  search_alg=ConcurrencyLimiter(HyperOptSearch(random_state_seed=3), 4),
                                                  scheduler=ASHAScheduler(max_t=STEPS, grace_period=2),
                                                  executor="thread"),
                      run_config=tune.RunConfig(storage_path=str(storage), name="seed", verbose=0)).fit()


def _png(fig, path: Path) -> tuple[int, int]:
    """Saves `fig`, checks the file is a PNG that is not blank, and returns its (width, height)."""
    fig.savefig(path, dpi=100)
    plt.close(fig)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    pixels = matplotlib.image.imread(str(path))
    assert pixels[..., :3].std() > 0.05  # drawn on, not one colour
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _last(r) -> float:
    return r.metrics["mean_loss"]


def test_optimization_history_ends_at_the_best_result(grid, tmp_path):
    fig = vis.plot_optimization_history(grid)
    ax = fig.axes[0]
    best_line = ax.lines[0].get_ydata()
    assert best_line[-1] == grid.get_best_result().metrics["mean_loss"]
    assert list(ax.collections[0].get_offsets()[:, 1]) == [_last(r) for r in grid]
    assert all(b >= a for a, b in zip(best_line[1:], best_line[:-1]))  # never worse (min)
    assert ax.get_ylabel() == "mean_loss (min)"
    assert _png(fig, tmp_path / "h.png") == (800, 500)
    maxed = vis.plot_optimization_history(grid, mode="max")  # another mode: the best is the largest
    assert maxed.axes[0].lines[0].get_ydata()[-1] == max(_last(r) for r in grid)
    plt.close(maxed)


def test_intermediate_values_are_each_trials_results(grid, tmp_path):
    fig = vis.plot_intermediate_values(grid)
    lines = fig.axes[0].lines
    assert len(lines) == len(grid)
    for line, r in zip(lines, grid):
        assert list(line.get_ydata()) == [h["mean_loss"] for h in r.history]
        assert list(line.get_xdata()) == [h["training_iteration"] for h in r.history]
    lengths = {len(line.get_ydata()) for line in lines}
    assert STEPS in lengths and min(lengths) < STEPS  # ASHA's early stops show as short curves
    assert _png(fig, tmp_path / "i.png") == (800, 500)


def test_slice_points_are_the_trials_parameters_and_values(grid, tmp_path):
    fig = vis.plot_slice(grid)
    panels = [ax for ax in fig.axes if ax.get_xlabel() in ("activation", "height", "width")]
    assert [ax.get_xlabel() for ax in panels] == ["activation", "height", "width"]  # the searched ones, not steps
    height = panels[1].collections[0].get_offsets()
    assert sorted(map(tuple, height)) == sorted((r.config["height"], _last(r)) for r in grid)
    assert [t.get_text() for t in panels[0].get_xticklabels()] == ["relu", "tanh"]
    assert _png(fig, tmp_path / "s.png") == (1180, 320)


def test_parallel_coordinates_draw_a_line_per_trial(grid, tmp_path):
    fig = vis.plot_parallel_coordinate(grid)
    ax = fig.axes[0]
    trial_lines = [line for line in ax.lines if len(line.get_xdata()) == 4]
    assert len(trial_lines) == len(grid)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["activation", "height", "width", "mean_loss"]
    values = sorted(_last(r) for r in grid)
    scaled = sorted(line.get_ydata()[3] for line in trial_lines)
    assert scaled == pytest.approx([(v - values[0]) / (values[-1] - values[0]) for v in values])
    assert _png(fig, tmp_path / "p.png") == (800, 500)


def test_param_importances_weigh_what_the_objective_depends_on(grid, tmp_path):
    importances = vis.get_param_importances(grid)
    assert set(importances) == {"activation", "height", "width"}
    assert sum(importances.values()) == pytest.approx(1.0)
    assert next(iter(importances)) == "height"  # the loss is mostly height * 0.1 here
    fig = vis.plot_param_importances(grid)
    bars = {t.get_text(): b.get_width() for t, b in zip(fig.axes[0].get_yticklabels(), fig.axes[0].patches)}
    assert bars == pytest.approx(importances)
    assert _png(fig, tmp_path / "m.png") == (800, 500)
    # A synthetic study: only x matters, y is noise-free of the objective; a constant is left out.
    import random

    rng = random.Random(0)
    trials = []
    for i in range(200):
        x, y, c = rng.uniform(0, 1), rng.uniform(0, 1), rng.choice(["a", "b"])
        trials.append(TrialRecord(i, str(i), "TERMINATED", {"x": x, "y": y, "c": c, "k": 1}, (x - 0.3) ** 2))
    weights = vis.get_param_importances(ExperimentData(trials, "loss", "min", "synthetic"))
    assert list(weights)[0] == "x"
    assert weights["x"] > 0.9 and "k" not in weights
    with pytest.raises(ValueError, match=r"No completed trial has the parameter\(s\) \[.nope.\]"):
        vis.get_param_importances(grid, params=["nope"])


def test_a_folder_and_an_analysis_give_the_same_data_as_the_grid(grid):
    from swifttune.tune import ExperimentAnalysis

    mine = vis.experiment_data(grid)
    for source in (grid.experiment_path, Path(grid.experiment_path),
                   ExperimentAnalysis(grid.experiment_path, default_metric="mean_loss", default_mode="min")):
        other = vis.experiment_data(source)
        assert (other.metric, other.mode) == ("mean_loss", "min")
        assert [(t.trial_id, t.params, t.value, t.intermediate) for t in other.trials] == \
            [(t.trial_id, t.params, t.value, t.intermediate) for t in mine.trials]
    with pytest.raises(ValueError, match="not an experiment folder"):
        vis.experiment_data(Path(grid.experiment_path).parent)
    with pytest.raises(TypeError, match="Cannot plot a int"):
        vis.experiment_data(3)


def test_python_m_swifttune_plot_writes_every_plot(grid, tmp_path):
    out = tmp_path / "plots"
    proc = subprocess.run([sys.executable, "-m", "swifttune", "plot", grid.experiment_path, "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    names = ["optimization_history", "parallel_coordinate", "param_importances", "slice", "intermediate_values"]
    assert proc.stdout.split() == [str(out / f"{n}.png") for n in names]
    for n in names:
        assert (out / f"{n}.png").stat().st_size > 5000
    bad = subprocess.run([sys.executable, "-m", "swifttune", "plot", str(tmp_path)], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "is not an experiment folder" in bad.stderr


def test_hyperopt_trials_plot_and_hyperopts_own_functions_draw_them(tmp_path, capsys):
    from swifttune.hyperopt import Trials, fmin, hp, plotting, tpe

    trials = Trials()
    fmin(lambda p: (p["x"] - 1) ** 2 + (0.5 if p["k"] == "b" else 0), {"x": hp.uniform("x", -3, 3),
                                                                        "k": hp.choice("k", ["a", "b"])},
         algo=tpe.suggest, max_evals=30, trials=trials, rstate=__import__("numpy").random.default_rng(0),
         show_progressbar=False)
    fig = vis.plot_optimization_history(trials)
    assert fig.axes[0].lines[0].get_ydata()[-1] == min(trials.losses())
    _png(fig, tmp_path / "t.png")

    plt.figure()
    plotting.main_plot_history(trials, do_show=False)
    assert capsys.readouterr().out == f"avg best error: {trials.average_best_error()}\n"
    ax = plt.gca()
    assert list(ax.collections[0].get_offsets()[:, 1]) == trials.losses()
    assert ax.lines[0].get_ydata()[0] == min(trials.losses()) and ax.get_title() == "Loss History"
    _png(plt.gcf(), tmp_path / "mh.png")

    plt.figure()
    plotting.main_plot_histogram(trials, do_show=False)
    assert capsys.readouterr().out == "Showing Histogram of 30 jobs\n"
    assert sum(p.get_height() for p in plt.gca().patches) == 30
    _png(plt.gcf(), tmp_path / "hist.png")

    plt.figure()
    plotting.main_plot_vars(trials, do_show=False)
    assert capsys.readouterr().out.startswith("finite loss range")
    axes = plt.gcf().axes
    assert [a.get_title() for a in axes] == ["k", "x"]
    assert sorted(axes[1].collections[0].get_offsets()[:, 1]) == sorted(trials.vals["x"])
    _png(plt.gcf(), tmp_path / "vars.png")
    with pytest.raises(NotImplementedError, match="main_plot_1D_attachment"):
        plotting.main_plot_1D_attachment(trials, "name")


def test_hyperopts_plotting_prints_and_draws_as_hyperopts(tmp_path, capsys):
    hyperopt = pytest.importorskip("hyperopt", reason="make test installs hyperopt")
    import numpy as np
    from hyperopt import plotting as theirs_plotting

    from swifttune.hyperopt import Trials, fmin, hp, plotting, tpe

    space_theirs = {"x": hyperopt.hp.uniform("x", -3, 3)}
    theirs = hyperopt.Trials()
    hyperopt.fmin(lambda p: p["x"] ** 2, space_theirs, algo=hyperopt.tpe.suggest, max_evals=15, trials=theirs,
                  rstate=np.random.default_rng(1), show_progressbar=False)
    ours = Trials()
    fmin(lambda p: p["x"] ** 2, {"x": hp.uniform("x", -3, 3)}, algo=tpe.suggest, max_evals=15, trials=ours,
         rstate=np.random.default_rng(1), show_progressbar=False)
    for module, trials in ((theirs_plotting, theirs), (plotting, ours)):
        plt.figure()
        module.main_plot_history(trials, do_show=False, title="t")
        ax = plt.gca()
        assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("time", "loss", "t")
        assert len(ax.collections[0].get_offsets()) == 15
        plt.close("all")
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["avg best error", "avg best error"]
    assert math.isfinite(float(out[1].split(":")[1]))


def _render_in_chromium(fig, tmp_path: Path, name: str) -> tuple[int, int]:
    """Writes a plotly figure as a self-contained page, loads it in Chromium, checks it drew
    without console errors and returns the screenshot's (width, height) (the PNG is checked as
    the matplotlib ones are)."""
    import base64

    from test_report_page import DevTools

    page = tmp_path / f"{name}.html"
    fig.write_html(page, include_plotlyjs=True, full_html=True)
    browser = DevTools(tmp_path / name)
    try:
        for domain in ("Page", "Runtime", "Log"):
            browser.call(f"{domain}.enable")
        browser.call("Emulation.setDeviceMetricsOverride", width=1000, height=600, deviceScaleFactor=1, mobile=False)
        browser.call("Page.navigate", url=page.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")
        drawn = browser.call("Runtime.evaluate", returnByValue=True,
                             expression="document.querySelectorAll('.main-svg').length")["result"]["value"]
        shot = browser.call("Page.captureScreenshot", format="png")
    finally:
        browser.close()
    errors = [e for e in browser.events if (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] ==
                                            "error") or e.get("method") == "Runtime.exceptionThrown"
              or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")]
    assert not errors, errors
    assert drawn > 0
    png = tmp_path / f"{name}.png"
    png.write_bytes(base64.b64decode(shot["data"]))
    pixels = matplotlib.image.imread(str(png))
    assert pixels[..., :3].std() > 0.05
    return pixels.shape[1], pixels.shape[0]


def test_the_plotly_figures_hold_the_experiments_data_and_draw_in_a_browser(grid, tmp_path):
    pytest.importorskip("plotly", reason="make test installs plotly")
    from swifttune.visualization import plotly as pvis

    history = pvis.plot_optimization_history(grid)
    assert list(history.data[0].y) == [_last(r) for r in grid]
    assert history.data[1].y[-1] == grid.get_best_result().metrics["mean_loss"]
    curves = pvis.plot_intermediate_values(grid)
    assert [list(trace.y) for trace in curves.data] == [[h["mean_loss"] for h in r.history] for r in grid]
    sliced = pvis.plot_slice(grid)
    assert [trace.name for trace in sliced.data] == ["activation", "height", "width"]
    assert sorted(zip(sliced.data[1].x, sliced.data[1].y)) == sorted((r.config["height"], _last(r)) for r in grid)
    parallel = pvis.plot_parallel_coordinate(grid)
    dims = parallel.data[0].dimensions
    assert [d.label for d in dims] == ["mean_loss", "activation", "height", "width"]
    assert list(dims[0]["values"]) == [_last(r) for r in grid] and list(dims[1].ticktext) == ["relu", "tanh"]
    bars = pvis.plot_param_importances(grid)
    assert dict(zip(bars.data[0].y, bars.data[0].x)) == pytest.approx(vis.get_param_importances(grid))
    for name, fig in (("history", history), ("parallel", parallel)):
        assert _render_in_chromium(fig, tmp_path, name) == (1000, 600)
