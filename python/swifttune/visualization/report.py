"""The report page of an experiment: one self-contained HTML file (styles inline, plots as
embedded PNG images, no script, nothing fetched) with the experiment's settings, its best trial,
the plots and the trial table, readable without a server. ``python -m swifttune report PATH``
writes it (``PATH/report.html`` by default).

It reads the experiment folder as a restore does, and only reads it: the state file is always
whole (it is replaced atomically), and a trial's results come from its ``result.json`` up to what
the state counts, so an experiment that is still running can be reported on at any moment; the
page says how many trials are still running."""
from __future__ import annotations

import base64
import datetime
import html
import io
import json
from pathlib import Path
from typing import Any, Optional

from ._data import ExperimentData, experiment_data

__all__ = ["write_report", "report_html"]

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1200px;
       color: #1f2328; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.sub { color: #59636e; margin-top: 0; } .running { color: #9a6700; font-weight: bold; }
table { border-collapse: collapse; font-size: 0.9em; } td, th { border: 1px solid #d1d9e0; padding: 3px 8px; }
th { background: #f6f8fa; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { background: #dafbe1; } .plots { display: flex; flex-wrap: wrap; gap: 1em; }
.plots figure { margin: 0; flex: 1 1 540px; max-width: 590px; } .plots img { width: 100%; border: 1px solid #d1d9e0; }
.plots figcaption { color: #59636e; font-size: 0.85em; } .scroll { overflow-x: auto; }
"""


def _cell(value: Any) -> str:
    if value is None:
        return "<td></td>"
    if isinstance(value, float):
        return f'<td class="num">{value:.6g}</td>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td class="num">{value}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _table(header: list[str], rows: list[list[Any]], classes: Optional[list[str]] = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    lines = [f"<table><thead><tr>{head}</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        opening = f'<tr class="{classes[i]}">' if classes and classes[i] else "<tr>"
        lines.append(opening + "".join(_cell(v) for v in row) + "</tr>")
    lines.append("</tbody></table>")
    return "".join(lines)


def _settings(state: dict[str, Any]) -> list[list[Any]]:
    """The experiment's settings as (name, value) rows, from its saved state."""
    tc, rc, engine = state.get("tune_config", {}), state.get("run_config", {}), state.get("engine", {})
    limiter = engine.get("limiter") or {}
    searcher = (limiter.get("searcher") or engine.get("searcher") or {})
    concurrent = limiter.get("max_concurrent")
    rows: list[list[Any]] = [
        ["metric", tc.get("metric")], ["mode", tc.get("mode")], ["num_samples", tc.get("num_samples")],
        ["searcher", searcher.get("searcher") if isinstance(searcher, dict) else None],
        ["max concurrent (limiter)", concurrent if isinstance(concurrent, int) and concurrent < 2 ** 62 else None],
        ["scheduler", (engine.get("scheduler") or {}).get("scheduler", "fifo")],
        ["executor", tc.get("executor")], ["max_concurrent_trials", tc.get("max_concurrent_trials")],
        ["trainable", tc.get("trainable_name")],
        ["max_failures", (rc.get("failure_config") or {}).get("max_failures")],
    ]
    return [r for r in rows if r[1] is not None]


def _plots(data: ExperimentData) -> list[tuple[str, Optional[str], str]]:
    """Each plot as (title, base64 PNG or None, the reason it is missing)."""
    from .plots import PLOTS, _pyplot

    plt = _pyplot()
    out: list[tuple[str, Optional[str], str]] = []
    for name, plot in PLOTS.items():
        title = name.replace("_", " ")
        try:
            fig = plot(data)
        except ValueError as e:
            out.append((title, None, str(e)))
            continue
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90)
        plt.close(fig)
        out.append((title, base64.b64encode(buffer.getvalue()).decode("ascii"), ""))
    return out


def report_html(path: Any, metric: Optional[str] = None, mode: Optional[str] = None) -> str:
    """The report page of the experiment folder `path` (see the module), as text."""
    from ..tune._internal.state import STATE_FILE

    folder = Path(path)
    state_file = folder / STATE_FILE
    if not state_file.is_file():
        raise ValueError(f"{folder} is not an experiment folder: it has no {STATE_FILE}")
    state = json.loads(state_file.read_text(encoding="utf-8"))
    data = experiment_data(folder, metric, mode)
    counts: dict[str, int] = {}
    for t in data.trials:
        counts[t.status] = counts.get(t.status, 0) + 1
    unfinished = counts.get("RUNNING", 0) + counts.get("PENDING", 0) + counts.get("PAUSED", 0)
    name = str(state.get("name") or folder.name)
    best = data.best()
    params = sorted({k for t in data.trials for k in t.params})
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>swifttune report: {html.escape(name)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{html.escape(name)}</h1>",
             f'<p class="sub">{html.escape(str(folder.resolve()))} &middot; report written '
             f"{datetime.datetime.now():%Y-%m-%d %H:%M:%S} &middot; "
             + ", ".join(f"{n} {html.escape(s)}" for s, n in sorted(counts.items())) + "</p>"]
    if unfinished:
        parts.append(f'<p class="running">Still running: {unfinished} trial(s) not finished when this page was '
                     "written (write it again for the latest state).</p>")
    parts.append("<h2>Settings</h2>" + _table(["setting", "value"], _settings(state)))
    parts.append("<h2>Best trial</h2>")
    if best is None:
        parts.append(f"<p>No trial has reported {html.escape(data.metric)} yet.</p>")
    else:
        parts.append(f"<p>{html.escape(best.trial_id)}: {html.escape(data.metric)} = {best.value:.6g} "
                     f"({html.escape(data.mode)}), after {len(best.intermediate)} result(s)</p>")
        parts.append(_table(["parameter", "value"], [[k, v] for k, v in sorted(best.params.items())]))
    parts.append('<h2>Plots</h2><div class="plots">')
    for title, png, reason in _plots(data):
        if png is None:
            parts.append(f"<figure><figcaption>{html.escape(title)}: not drawn ({html.escape(reason)})</figcaption>"
                         "</figure>")
        else:
            parts.append(f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{png}">'
                         f"<figcaption>{html.escape(title)}</figcaption></figure>")
    parts.append("</div>")
    header = ["trial", "status", *params, data.metric, "results"]
    rows = [[t.trial_id, t.status, *[t.params.get(p) for p in params], t.value, len(t.intermediate)]
            for t in data.trials]
    classes = ["best" if best is not None and t.trial_id == best.trial_id else "" for t in data.trials]
    parts.append(f"<h2>Trials ({len(data.trials)})</h2><div class=\"scroll\">{_table(header, rows, classes)}</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(path: Any, out: Any = None, metric: Optional[str] = None, mode: Optional[str] = None) -> Path:
    """Writes the report page of the experiment folder `path` to `out` (default
    ``path/report.html``) and returns where; the file is replaced whole (written beside it, then
    renamed), so a browser never reads half a page."""
    target = Path(out) if out is not None else Path(path) / "report.html"
    text = report_html(path, metric, mode)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)
    return target
