"""The plots of an experiment, drawn with matplotlib (an optional extra: ``pip install
'swifttune[plot]'``): optimisation history, parallel coordinates, parameter importances, slices
and intermediate values (the learning curves a scheduler cut). Each takes a ``ResultGrid``, an
``ExperimentAnalysis``, an experiment folder or a hyperopt ``Trials`` (``metric`` and ``mode``
default to the experiment's), and returns the matplotlib ``Figure`` (shown by a notebook;
``fig.savefig("plot.png")`` elsewhere). ``save_plots`` writes them all as PNG files."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from .._optional import require
from ._data import ExperimentData, TrialRecord, experiment_data
from ._importance import param_importances

__all__ = ["plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances", "plot_slice",
           "plot_intermediate_values", "get_param_importances", "save_plots"]

SIZE = (8.0, 5.0)
"""The default figure size in inches; at the default 100 dpi, 800 x 500 pixels."""


def _pyplot() -> Any:
    return require("matplotlib.pyplot", "swifttune.visualization draws with matplotlib: "
                                        "pip install 'swifttune[plot]' (or matplotlib)")


def _figure(figsize: tuple[float, float] = SIZE) -> tuple[Any, Any]:
    fig, ax = _pyplot().subplots(figsize=figsize)
    return fig, ax


def _need(data: ExperimentData, n: int, what: str) -> list[TrialRecord]:
    done = data.completed
    if len(done) < n:
        raise ValueError(f"{what} needs {n} or more trials with a value of {data.metric!r}; there are {len(done)}.")
    return done


def _label(data: ExperimentData) -> str:
    return f"{data.metric} ({data.mode})"


def history(data: ExperimentData) -> tuple[list[int], list[float], list[float]]:
    """The completed trials' numbers, values, and the best value so far after each."""
    done = data.completed
    xs = [t.number for t in done]
    ys = [float(t.value) for t in done]  # type: ignore[arg-type]
    best: list[float] = []
    for y in ys:
        best.append(y if not best else (min if data.mode == "min" else max)(best[-1], y))
    return xs, ys, best


def plot_optimization_history(source: Any, metric: Optional[str] = None, mode: Optional[str] = None) -> Any:
    """Each completed trial's objective value by trial number (points) and the best value so far
    (a step line, ``fig.axes[0].lines[0]``: its last point is the best trial's value)."""
    data = experiment_data(source, metric, mode)
    _need(data, 1, "The optimisation history")
    fig, ax = _figure()
    xs, ys, best = history(data)
    ax.step(xs, best, where="post", color="tab:red", linewidth=2, label="best value", zorder=3)
    ax.scatter(xs, ys, s=18, color="tab:blue", alpha=0.7, label="objective value", zorder=2)
    ax.set_xlabel("trial")
    ax.set_ylabel(_label(data))
    ax.set_title("Optimization history")
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _positions(values: list[Any]) -> tuple[list[float], list[str], bool]:
    """Values on a 0..1 axis: numbers scaled between their minimum and maximum; anything else
    (categories) evenly spaced in sorted order. Also the tick texts and whether it is numeric."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        lo, hi = min(values), max(values)
        span = (hi - lo) or 1.0
        return [(v - lo) / span for v in values], [f"{lo:.4g}", f"{hi:.4g}"], True
    cats = sorted({repr(v) for v in values})
    step = 1.0 / max(1, len(cats) - 1)
    where = {c: i * step for i, c in enumerate(cats)}
    return [where[repr(v)] for v in values], cats, False


def parallel_rows(data: ExperimentData, params: Optional[Sequence[str]]) -> tuple[list[str], list[TrialRecord]]:
    """The parameters a parallel coordinate plot shows (`params`, or those that vary) and the
    completed trials that have every one of them."""
    done = _need(data, 1, "The parallel coordinate plot")
    names = list(params) if params is not None else data.param_names()
    rows = [t for t in done if all(p in t.params for p in names)]
    if not rows:
        raise ValueError(f"No completed trial has every one of the parameters {names}")
    return names, rows


def plot_parallel_coordinate(source: Any, params: Optional[Sequence[str]] = None, metric: Optional[str] = None,
                             mode: Optional[str] = None) -> Any:
    """One vertical axis per parameter and one for the objective; each completed trial a line
    across them, coloured by its objective value (darkest: the best). `params`: which
    parameters (default: those that vary). Trials without one of the parameters are left out."""
    data = experiment_data(source, metric, mode)
    names, rows = parallel_rows(data, params)
    columns = [[t.params[p] for t in rows] for p in names] + [[float(t.value) for t in rows]]  # type: ignore[arg-type]
    placed = [_positions(c) for c in columns]
    fig, ax = _figure((max(SIZE[0], 1.6 * (len(columns) + 1)), SIZE[1]))
    plt = _pyplot()
    values = [float(t.value) for t in rows]  # type: ignore[arg-type]
    lo, hi = min(values), max(values)
    cmap = plt.get_cmap("viridis" if data.mode == "min" else "viridis_r")
    order = sorted(range(len(rows)), key=lambda i: values[i], reverse=data.mode == "min")  # the best drawn last
    for i in order:
        shade = (values[i] - lo) / ((hi - lo) or 1.0)
        ax.plot(range(len(columns)), [p[0][i] for p in placed], color=cmap(shade), alpha=0.8, linewidth=1.2)
    for x, (_, ticks, numeric) in enumerate(placed):
        ax.axvline(x, color="black", linewidth=0.8)
        if numeric:
            ax.text(x, -0.04, ticks[0], ha="center", va="top", fontsize=8)
            ax.text(x, 1.04, ticks[1], ha="center", va="bottom", fontsize=8)
        else:
            for k, text in enumerate(ticks):
                ax.text(x + 0.03, k / max(1, len(ticks) - 1), text.strip("'"), ha="left", va="center", fontsize=8)
    ax.set_xticks(range(len(columns)))
    ax.set_xticklabels(names + [data.metric], rotation=20)
    ax.set_yticks([])
    ax.set_ylim(-0.12, 1.12)
    ax.set_xlim(-0.3, len(columns) - 0.7)
    ax.set_title("Parallel coordinates")
    mappable = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(lo, hi))
    fig.colorbar(mappable, ax=ax, label=_label(data))
    fig.tight_layout()
    return fig


def get_param_importances(source: Any, params: Optional[Sequence[str]] = None, metric: Optional[str] = None,
                          mode: Optional[str] = None) -> dict[str, float]:
    """Each parameter's importance, summing to 1, most important first (a one-way analysis of
    variance of the objective's ranks; docs/visualization.md). Needs no plotting library."""
    return param_importances(experiment_data(source, metric, mode), params)


def plot_param_importances(source: Any, params: Optional[Sequence[str]] = None, metric: Optional[str] = None,
                           mode: Optional[str] = None) -> Any:
    """``get_param_importances`` as horizontal bars, the most important at the top."""
    data = experiment_data(source, metric, mode)
    importances = param_importances(data, params)
    if not importances:
        raise ValueError("No parameter varies between the completed trials: there is nothing to weigh.")
    fig, ax = _figure()
    names = list(importances)[::-1]
    shares = [importances[n] for n in names]
    bars = ax.barh(names, shares, color="tab:blue")
    for bar, share in zip(bars, shares):
        ax.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2, f"{share:.2f}", va="center", fontsize=9)
    ax.set_xlim(0, max(1.0, max(shares) + 0.1))
    ax.set_xlabel(f"importance for {data.metric}")
    ax.set_title("Parameter importances")
    fig.tight_layout()
    return fig


def plot_slice(source: Any, params: Optional[Sequence[str]] = None, metric: Optional[str] = None,
               mode: Optional[str] = None) -> Any:
    """One panel per parameter: each completed trial's objective value against the parameter's
    value, coloured by trial number (a log axis for positive numbers spanning 100x or more)."""
    data = experiment_data(source, metric, mode)
    done = _need(data, 1, "The slice plot")
    names = list(params) if params is not None else data.param_names()
    if not names:
        raise ValueError("No parameter varies between the completed trials: there is nothing to slice.")
    plt = _pyplot()
    cols = min(4, len(names))
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols + 1.0, 3.2 * rows), squeeze=False, sharey=True)
    last = None
    for k, name in enumerate(names):
        ax = axes[k // cols][k % cols]
        pts = [(t.params[name], float(t.value), t.number) for t in done if name in t.params]  # type: ignore[arg-type]
        xs = [p[0] for p in pts]
        numeric = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs)
        if not numeric:
            cats = sorted({repr(x) for x in xs})
            xs = [cats.index(repr(x)) for x in xs]
            ax.set_xticks(range(len(cats)))
            ax.set_xticklabels([c.strip("'") for c in cats], rotation=20, fontsize=8)
            ax.set_xlim(-0.5, len(cats) - 0.5)
        elif xs and min(xs) > 0 and max(xs) / min(xs) >= 100:
            ax.set_xscale("log")
        last = ax.scatter(xs, [p[1] for p in pts], c=[p[2] for p in pts], cmap="Blues", edgecolors="grey", s=20,
                          vmin=0, vmax=max(1, len(data.trials) - 1))
        ax.set_xlabel(name)
        if k % cols == 0:
            ax.set_ylabel(_label(data))
    for k in range(len(names), rows * cols):
        axes[k // cols][k % cols].set_visible(False)
    fig.suptitle("Slice plot")
    fig.tight_layout()
    if last is not None:
        fig.colorbar(last, ax=[a for r in axes for a in r if a.get_visible()], label="trial")
    return fig


def plot_intermediate_values(source: Any, metric: Optional[str] = None, mode: Optional[str] = None) -> Any:
    """Every trial's metric over its results (``training_iteration``): the learning curves, one
    line per trial in creation order (``fig.axes[0].lines``); a scheduler's early stops show as
    short lines."""
    data = experiment_data(source, metric, mode)
    curves = [t for t in data.trials if t.intermediate]
    if not curves:
        raise ValueError(f"No trial reported {data.metric!r}: there are no intermediate values to plot.")
    fig, ax = _figure()
    for t in curves:
        ax.plot([s for s, _ in t.intermediate], [v for _, v in t.intermediate], marker="." if len(t.intermediate) < 30
                else None, linewidth=1, alpha=0.8, label=t.trial_id)
    if len(curves) <= 10:
        ax.legend(fontsize=8, loc="best")
    ax.set_xlabel("training_iteration")
    ax.set_ylabel(data.metric)
    ax.set_title("Intermediate values")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


PLOTS: dict[str, Callable[..., Any]] = {
    "optimization_history": plot_optimization_history,
    "parallel_coordinate": plot_parallel_coordinate,
    "param_importances": plot_param_importances,
    "slice": plot_slice,
    "intermediate_values": plot_intermediate_values,
}
"""Every plot ``save_plots`` draws, by the name of its file."""


def save_plots(source: Any, out_dir: Any, metric: Optional[str] = None, mode: Optional[str] = None,
               dpi: int = 100) -> dict[str, Any]:
    """Draws every plot of `source` into `out_dir` (``<name>.png``). Returns, by plot name, the
    file written, or the reason (a ``ValueError``'s message) a plot could not be drawn (too few
    trials, no parameter that varies, no intermediate values)."""
    data = experiment_data(source, metric, mode)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plt = _pyplot()
    written: dict[str, Any] = {}
    for name, plot in PLOTS.items():
        try:
            fig = plot(data)
        except ValueError as e:
            written[name] = str(e)
            continue
        path = out / f"{name}.png"
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
        written[name] = path
    return written
