"""The same plots as interactive plotly figures (``pip install plotly``): hover to read a trial,
zoom, and in a notebook the figure is live. Each function takes what ``swifttune.visualization``'s
do (a ``ResultGrid``, an ``ExperimentAnalysis``, an experiment folder or a hyperopt ``Trials``)
and returns a ``plotly.graph_objects.Figure`` (``fig.show()``, ``fig.write_html("x.html")``), as
``optuna.visualization``'s functions do for a study."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from .._optional import require
from ._data import ExperimentData, experiment_data
from ._importance import param_importances
from .plots import _need, _positions, history, parallel_rows

__all__ = ["plot_optimization_history", "plot_parallel_coordinate", "plot_param_importances", "plot_slice",
           "plot_intermediate_values"]


def _go() -> Any:
    return require("plotly.graph_objects", "swifttune.visualization.plotly draws with plotly: pip install plotly "
                                           "(or use swifttune.visualization's matplotlib plots)")


def _label(data: ExperimentData) -> str:
    return f"{data.metric} ({data.mode})"


def plot_optimization_history(source: Any, metric: Optional[str] = None, mode: Optional[str] = None) -> Any:
    """Each completed trial's value by trial number (markers, trace 0) and the best value so far
    (a step line, trace 1)."""
    go = _go()
    data = experiment_data(source, metric, mode)
    _need(data, 1, "The optimisation history")
    xs, ys, best = history(data)
    ids = [t.trial_id for t in data.completed]
    fig = go.Figure([go.Scatter(x=xs, y=ys, mode="markers", name="objective value", text=ids),
                     go.Scatter(x=xs, y=best, mode="lines", line={"shape": "hv"}, name="best value")])
    fig.update_layout(title="Optimization history", xaxis_title="trial", yaxis_title=_label(data))
    return fig


def plot_parallel_coordinate(source: Any, params: Optional[Sequence[str]] = None, metric: Optional[str] = None,
                             mode: Optional[str] = None) -> Any:
    """plotly's parallel coordinates: a dimension per parameter (categories by their index, named
    on the axis) and one for the metric, a line per completed trial coloured by its value."""
    go = _go()
    data = experiment_data(source, metric, mode)
    names, rows = parallel_rows(data, params)
    values = [float(t.value) for t in rows]  # type: ignore[arg-type]
    dimensions = [{"label": data.metric, "values": values}]
    for p in names:
        column = [t.params[p] for t in rows]
        _, ticks, numeric = _positions(column)
        if numeric:
            dimensions.append({"label": p, "values": column})
        else:
            dimensions.append({"label": p, "values": [ticks.index(repr(v)) for v in column],
                               "tickvals": list(range(len(ticks))), "ticktext": [t.strip("'") for t in ticks]})
    fig = go.Figure(go.Parcoords(dimensions=dimensions, line={"color": values, "colorscale": "Viridis",
                                                             "reversescale": data.mode == "min", "showscale": True}))
    fig.update_layout(title="Parallel coordinates")
    return fig


def plot_param_importances(source: Any, params: Optional[Sequence[str]] = None, metric: Optional[str] = None,
                           mode: Optional[str] = None) -> Any:
    """``get_param_importances`` as horizontal bars, the most important at the top."""
    go = _go()
    data = experiment_data(source, metric, mode)
    importances = param_importances(data, params)
    if not importances:
        raise ValueError("No parameter varies between the completed trials: there is nothing to weigh.")
    names = list(importances)[::-1]
    fig = go.Figure(go.Bar(x=[importances[n] for n in names], y=names, orientation="h",
                           text=[f"{importances[n]:.2f}" for n in names], textposition="outside"))
    fig.update_layout(title="Parameter importances", xaxis_title=f"importance for {data.metric}",
                      xaxis_range=[0, 1.05])
    return fig


def plot_slice(source: Any, params: Optional[Sequence[str]] = None, metric: Optional[str] = None,
               mode: Optional[str] = None) -> Any:
    """A panel per parameter (one trace each, in `params` order): the completed trials' values
    against the parameter's value, coloured by trial number."""
    go = _go()
    subplots = require("plotly.subplots", "swifttune.visualization.plotly draws with plotly: pip install plotly")
    data = experiment_data(source, metric, mode)
    done = _need(data, 1, "The slice plot")
    names = list(params) if params is not None else data.param_names()
    if not names:
        raise ValueError("No parameter varies between the completed trials: there is nothing to slice.")
    fig = subplots.make_subplots(rows=1, cols=len(names), shared_yaxes=True, subplot_titles=names)
    for k, name in enumerate(names):
        pts = [t for t in done if name in t.params]
        fig.add_trace(go.Scatter(x=[t.params[name] for t in pts], y=[t.value for t in pts], mode="markers",
                                 name=name, text=[t.trial_id for t in pts], showlegend=False,
                                 marker={"color": [t.number for t in pts], "colorscale": "Blues",
                                         "line": {"width": 0.5, "color": "grey"}, "showscale": k == 0}),
                      row=1, col=k + 1)
    fig.update_yaxes(title_text=_label(data), row=1, col=1)
    fig.update_layout(title="Slice plot")
    return fig


def plot_intermediate_values(source: Any, metric: Optional[str] = None, mode: Optional[str] = None) -> Any:
    """Every trial's metric over its ``training_iteration``s, a line (trace) per trial in
    creation order."""
    go = _go()
    data = experiment_data(source, metric, mode)
    curves = [t for t in data.trials if t.intermediate]
    if not curves:
        raise ValueError(f"No trial reported {data.metric!r}: there are no intermediate values to plot.")
    fig = go.Figure([go.Scatter(x=[s for s, _ in t.intermediate], y=[v for _, v in t.intermediate],
                                mode="lines+markers", name=t.trial_id) for t in curves])
    fig.update_layout(title="Intermediate values", xaxis_title="training_iteration", yaxis_title=data.metric,
                      showlegend=len(curves) <= 10)
    return fig
