"""The progress output: Ray's trial status table, printed every few seconds and at the end, or
a ``tune.ProgressReporter``'s report (the reporters' "== Status ==" text is built here too)."""
from __future__ import annotations

import collections
import datetime
import io
import json
import math
import textwrap
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Union

from ..experiment.trial import Trial
from .flatten import flatten_dict
from .notebook import in_notebook

if TYPE_CHECKING:
    from ..tuner import Tuner

__all__ = ["status_table", "ProgressOutput", "ReportedTrial", "reported_trials", "AUTO_RESULT_KEYS", "lookup",
           "time_strings", "time_passed_str", "best_trial_str", "trial_progress_str", "trial_table",
           "trial_errors_str", "trial_errors", "psql_table"]

AUTO_RESULT_KEYS = ("training_iteration", "time_total_s", "episodes_total", "timesteps_total", "node_ip", "hostname",
                    "pid", "time_this_iter_s", "timestamp", "date", "time_since_restore", "timesteps_since_restore",
                    "iterations_since_restore", "config", "checkpoint_dir_name")
"""The result keys Ray fills in itself (never inferred as a user metric)."""

_STATE_ORDER = ("RUNNING", "PAUSED", "PENDING", "TERMINATED", "ERROR")


@dataclass
class ReportedTrial(Trial):
    """What reporters and ``ExperimentAnalysis`` see of a trial: the callbacks' ``Trial`` with the
    other attributes of Ray's ``Trial`` they use."""

    evaluated_params: dict[str, Any] = field(default_factory=dict)
    error_file: Optional[str] = None
    num_failures: int = 0
    local_experiment_path: str = ""
    checkpoint: Any = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def path(self) -> str:
        """The trial's folder (Ray's ``Trial.path``)."""
        return self.local_path

    @property
    def location(self) -> str:
        """Where the trial ran (``node_ip:pid`` when its results say; else empty)."""
        r = self.last_result or {}
        return f"{r['node_ip']}:{r['pid']}" if r.get("node_ip") and r.get("pid") else (
            f"pid={r['pid']}" if r.get("pid") else "")


def _searched_keys(param_space: Any) -> list[str]:
    from ..._expr import Expression
    from ..._space import Domain, GridSearch, SampleFrom

    return [k for k, v in flatten_dict(param_space).items()
            if isinstance(v, (Domain, GridSearch, Expression, SampleFrom))]


def _suggests_whole_configs(search_alg: Any) -> bool:
    """Whether the searcher's suggestions hold the constants of its space too, which Ray's trial
    then counts among its evaluated parameters (its table's and TensorBoard's hparams' columns):
    ``HyperOptSearch`` (its suggestion is hyperopt's evaluation of the whole space), behind any
    ``ConcurrencyLimiter`` or ``Repeater``."""
    from ..search.concurrency_limiter import ConcurrencyLimiter
    from ..search.hyperopt import HyperOptSearch
    from ..search.repeater import Repeater

    while isinstance(search_alg, (ConcurrencyLimiter, Repeater)):
        search_alg = search_alg.searcher
    return isinstance(search_alg, HyperOptSearch)


def evaluated_params(tuner: "Tuner", config: dict[str, Any], searched: Optional[list[str]] = None) -> dict[str, Any]:
    """Ray's ``Trial.evaluated_params``: the flat values of the searched parameters (all but the
    constants when the space is the searcher's own; every value with ``HyperOptSearch``, whose
    suggestions hold the constants). `searched`: ``_searched_keys`` when known."""
    flat = flatten_dict(config)
    if _suggests_whole_configs(tuner.tune_config.search_alg):
        return flat
    if searched is None:
        searched = _searched_keys(tuner.param_space)
    keys = searched or [k for k in flat if k not in tuner._constants]
    return {k: flat[k] for k in keys if k in flat}


def reported_trials(tuner: "Tuner", from_files: bool = False) -> list[ReportedTrial]:
    """The experiment's trials, in creation order, as reporters see them (`from_files`: the
    results of trials this process did not run come from their result.json, else from the
    engine)."""
    searched = _searched_keys(tuner.param_space)
    out = []
    for t in tuner._experiment.trial_summaries():
        config = tuner._decode(t["configuration"])
        name = tuner._trial_name(t["id"], config, t["number"])
        trial_dir = tuner._path / tuner._trial_dirname(t["id"], config, t["number"])
        rows = tuner._python_results.get(t["id"])
        if rows is None and from_files:
            rows = tuner._saved_results(t, config)
        last = dict(rows[-1]) if rows else dict(t.get("last_result") or {})
        if rows is None and t.get("last_result"):
            last.setdefault("config", config)
            last.setdefault("trial_id", t["id"])
        error_file = str(trial_dir / "error.txt") if (trial_dir / "error.txt").is_file() else None
        out.append(ReportedTrial(trial_id=t["id"], trial_name=name, config=config, status=t["status"], last_result=last,
                                 local_path=str(trial_dir), evaluated_params=evaluated_params(tuner, config, searched),
                                 error_file=error_file, num_failures=int(t.get("num_failures") or 0),
                                 local_experiment_path=str(tuner._path), experiment_dir_name=tuner._path.name,
                                 history=list(rows if rows else tuner._engine_results(t))))
    return out


def shown_metric(tuner: "Tuner") -> tuple[Optional[str], Optional[str]]:
    """The metric and mode the progress output shows (those the user gave)."""
    tc = tuner.tune_config
    return tc.metric, tc.mode


def resource_usage(tuner: "Tuner", running: int) -> str:
    """Ray's "Logical resource usage" line: the CPUs and GPUs the running trials take, of the machine's
    (of the Ray cluster's, for the Ray executor: what the engine was given when the experiment started)."""
    from ... import _cpus, _gpus
    from ..._resources import trial_resources

    need = trial_resources(tuner.trainable)
    cluster = tuner._ray_resources
    cpus: Any = f"{cluster.get('CPU', 0.0):g}" if cluster is not None else _cpus()
    gpus: Any = f"{cluster.get('GPU', 0.0):g}" if cluster is not None else _gpus()
    gpu_text = f"{running * need.get('GPU', 0.0):.1f}/{gpus} GPUs" if float(gpus) else "0/0 GPUs"
    return f"Logical resource usage: {running * need.get('CPU', 0.0):.1f}/{cpus} CPUs, {gpu_text}"


def _sys_info(tuner: "Tuner") -> list[str]:
    running = sum(1 for t in tuner._experiment.trial_summaries() if t["status"] == "RUNNING")
    return [f"Using {tuner._scheduler_name} scheduling algorithm.", resource_usage(tuner, running)]


def _total_samples(tuner: "Tuner") -> int:
    from ..._space import grid_paths

    n = tuner.tune_config.num_samples
    grids = grid_paths(tuner.param_space)
    if grids and tuner.tune_config.search_alg is None:
        combos = math.prod(len(g.values) for _, g in grids)
        return combos * max(n, 1)
    return n


class ProgressOutput:
    """The run loop's periodic print: the default status table every 5 s (verbose >= 1), or the
    ``RunConfig(progress_reporter=...)``'s report when it says it is due."""

    def __init__(self, tuner: "Tuner") -> None:
        self.tuner = tuner
        rc = tuner.run_config
        self.verbose = rc.verbose if rc.verbose is not None else 1
        self.reporter = rc.progress_reporter
        self.last_print = time.time()
        # Executor slots call maybe_print from their own threads; a reporter (a user's too, and the
        # notebook's one output area) is called by one at a time, as Ray's single driver loop does.
        self._lock = threading.Lock()
        verbosity = 3 if getattr(rc, "_verbose", 1) is None else int(self.verbose)
        if self.reporter is None and self.verbose >= 1 and in_notebook():
            # In a notebook Ray falls back to its legacy output with a JupyterNotebookReporter (its new output
            # engine does not support notebooks), at the new engine's default verbosity (2) when none is given.
            from ..progress_reporter import JupyterNotebookReporter

            self.reporter = JupyterNotebookReporter()
            verbosity = 2 if getattr(rc, "_verbose", 1) is None else int(self.verbose)
        if self.reporter is not None:
            from ..progress_reporter import TuneReporterBase

            if isinstance(self.reporter, TuneReporterBase):
                # Ray uses a reporter in its legacy output, where verbose=None means 3.
                self.reporter._verbosity = verbosity
            metric, mode = shown_metric(tuner)
            self.reporter.setup(start_time=self.last_print, total_samples=_total_samples(tuner), metric=metric,
                                mode=mode)

    def maybe_print(self, final: bool = False) -> None:
        """Prints if due (always at the end, ``final``)."""
        if self.verbose < 1:
            return
        with self._lock:
            self._maybe_print(final)

    def _maybe_print(self, final: bool) -> None:
        if self.reporter is None:
            now = time.time()
            if not final and now - self.last_print < 5.0:
                return
            self.last_print = now
            print(status_table(self.tuner, final), flush=True)
            return
        trials = reported_trials(self.tuner)
        if self.reporter.should_report(trials, done=final):
            self.reporter.report(trials, final, *_sys_info(self.tuner))


def lookup(key: str, d: Any, default: Any = None) -> Any:
    """``d[key]``, or the nested value a ``a/b`` key names (Ray's ``unflattened_lookup``)."""
    if isinstance(d, dict) and key in d:
        return d[key]
    for part in key.split("/"):
        if not isinstance(d, dict) or part not in d:
            return default
        d = d[part]
    return d


def time_strings(start_time: float, current_time: float) -> tuple[str, str]:
    """Ray's current time ("YYYY-MM-DD HH:MM:SS") and time running ("[N days, ]HH:MM:SS.ss")."""
    now = datetime.datetime.fromtimestamp(current_time)
    rest = (now - datetime.datetime.fromtimestamp(start_time)).total_seconds()
    days = rest // 86400
    rest -= days * 86400
    hours = rest // 3600
    rest -= hours * 3600
    minutes = rest // 60
    seconds = rest - minutes * 60
    running = (f"{days:.0f} days, " if days > 0 else "") + f"{hours:02.0f}:{minutes:02.0f}:{seconds:05.2f}"
    return f"{now:%Y-%m-%d %H:%M:%S}", running


def time_passed_str(start_time: float, current_time: float) -> str:
    """Ray's "Current time: ... (running for HH:MM:SS.ss)" line."""
    now, running = time_strings(start_time, current_time)
    return f"Current time: {now} (running for {running})"


def best_trial_str(trial: Any, metric: str, parameter_columns: Any = None) -> str:
    """Ray's "Current best trial: ..." line."""
    val = lookup(metric, trial.last_result or {})
    config = (trial.last_result or {}).get("config", {})
    columns = list(parameter_columns or []) or list(config.keys())
    params = {p: lookup(p, config) for p in columns}
    return f"Current best trial: {trial.trial_id} with {metric}={val} and parameters={params}"


def _max_len(value: Any, max_len: int = 20, add_addr: bool = False, wrap: bool = False) -> Any:
    """Ray's abbreviation of a cell or header to `max_len` characters (numbers stay as they are)."""
    if value is None or isinstance(value, (int, float, bool)):
        return value
    string = str(value)
    if len(string) <= max_len:
        return string
    if wrap:
        if len(string) > max_len * 2:
            string = "..." + string[(3 - (max_len * 2)):]
        return "\n".join(textwrap.wrap(string, width=max_len))
    if add_addr:
        return f"{string[: (max_len - 5)]}_{hex(id(value))[-4:]}"
    return "..." + string[(3 - max_len):]


def _fair_filter(by_state: dict[str, list[Any]], max_trials: int, sort_by_metric: bool) -> dict[str, list[Any]]:
    """Ray's cut of a long table: each state keeps a fair share of rows, the oldest trials go."""
    keep: dict[str, int] = collections.defaultdict(int)
    no_change = False
    while max_trials > 0 and not no_change:
        no_change = True
        for state in sorted(by_state):
            if keep[state] < len(by_state[state]):
                no_change = False
                max_trials -= 1
                keep[state] += 1
    out = {}
    for state in sorted(by_state):
        trials = by_state[state] if state == "TERMINATED" and sort_by_metric else sorted(by_state[state],
                                                                                          key=lambda t: t.trial_id)
        out[state] = trials[: keep[state]]
    return out


def trial_progress_str(trials: list[Any], metric_columns: Union[list[str], dict[str, str]],
                       parameter_columns: Any = None, total_samples: Optional[int] = 0, force_table: bool = False,
                       max_rows: Optional[int] = None, max_column_length: int = 20, metric: Optional[str] = None,
                       mode: Optional[str] = None, sort_by_metric: bool = False) -> str:
    """Ray's "Result logdir" / "Number of trials" lines and, when asked, the trial table."""
    if not trials:
        return ""
    counts: dict[str, int] = collections.Counter(t.status for t in trials)
    messages = [f"Result logdir: {d}" for d in sorted({t.local_experiment_path for t in trials})]
    messages.append(f"Number of trials: {len(trials)}{f'/{total_samples}' if total_samples else ''} "
                    f"({', '.join(f'{counts[s]} {s}' for s in sorted(counts))})")
    if not force_table:
        return "\n".join(messages)
    header, rows, overflow = trial_table(trials, metric_columns, parameter_columns, max_rows, max_column_length,
                                         metric, mode, sort_by_metric)
    messages.append(psql_table(header, rows))
    if overflow:
        messages.append(overflow)
    return "\n".join(messages)


def trial_table(trials: list[Any], metric_columns: Union[list[str], dict[str, str]], parameter_columns: Any = None,
                max_rows: Optional[int] = None, max_column_length: int = 20, metric: Optional[str] = None,
                mode: Optional[str] = None, sort_by_metric: bool = False
                ) -> tuple[list[str], list[list[Any]], Optional[str]]:
    """Ray's trial table: its header, its rows (by state, each state's oldest first; terminated
    ones by `metric` with `sort_by_metric`; cut fairly to `max_rows`) and the "... more trials not
    shown" line when rows were cut (else None). The text and the notebook reporters render it."""
    by_state: dict[str, list[Any]] = collections.defaultdict(list)
    for t in trials:
        by_state[t.status].append(t)
    if sort_by_metric and metric:
        sign = -1.0 if mode == "max" else 1.0

        def key(t: Any) -> float:
            v = lookup(metric, t.last_result or {})
            return sign * float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else math.inf

        by_state["TERMINATED"] = sorted(by_state.get("TERMINATED", []), key=key)
    limit = max_rows if max_rows else math.inf
    overflow: Optional[str] = None
    if len(trials) > limit:
        assert max_rows is not None
        cut = _fair_filter(dict(by_state), max_rows, sort_by_metric)
        shown = [t for s in _STATE_ORDER if s in cut for t in cut[s]]
        overflow_str = ", ".join(f"{len(by_state[s]) - len(cut[s])} {s}" for s in _STATE_ORDER
                                 if s in by_state and len(by_state[s]) > len(cut.get(s, [])))
        overflow = f"... {len(trials) - max_rows} more trials not shown ({overflow_str})"
    else:
        shown = [t for s in _STATE_ORDER if s in by_state for t in by_state[s]]
    metric_keys = list(metric_columns.keys()) if isinstance(metric_columns, dict) else list(metric_columns)
    metric_keys = [k for k in metric_keys if any(lookup(k, t.last_result or {}) is not None for t in shown)]
    if not parameter_columns:
        param_keys = sorted(set().union(*[t.evaluated_params for t in shown]))
    else:
        param_keys = list(parameter_columns.keys()) if isinstance(parameter_columns, dict) else list(parameter_columns)

    def shown_name(columns: Any, k: str) -> str:
        return str(_max_len(columns[k] if isinstance(columns, dict) else k, max_column_length, wrap=True))

    header = (["Trial name", "status", "loc"] + [shown_name(parameter_columns, k) for k in param_keys]
              + [shown_name(metric_columns, k) for k in metric_keys])
    rows = [[str(t), t.status, getattr(t, "location", "")]
            + [_max_len(lookup(k, t.config), max_column_length, add_addr=True) for k in param_keys]
            + [_max_len(lookup(k, t.last_result or {}), max_column_length, add_addr=True) for k in metric_keys]
            for t in shown]
    return header, rows, overflow


def trial_errors(trials: list[Any], max_rows: Optional[int] = None
                 ) -> tuple[list[str], list[str], list[list[Any]], list[str]]:
    """Ray's errored-trials report as parts: the lines before the table, its header, its rows,
    the lines after it (all empty when no trial failed)."""
    failed = [t for t in trials if getattr(t, "error_file", None)]
    if not failed:
        return [], [], [], []
    before = [f"Number of errored trials: {len(failed)}"]
    if max_rows is not None and len(failed) > max_rows:
        before.append(f"Table truncated to {max_rows} rows ({len(failed) - max_rows} overflow)")
    cut = failed[:max_rows] if max_rows is not None else failed
    rows = [[str(t), str(t.num_failures) + ("" if t.status == "ERROR" else "*"), t.error_file] for t in cut]
    after = ["* The trial terminated successfully after retrying."] if any(t.status == "TERMINATED" for t in cut) else []
    return before, ["Trial name", "# failures", "error file"], rows, after


def trial_errors_str(trials: list[Any], max_rows: Optional[int] = None) -> str:
    """Ray's table of the trials that failed (with their error files)."""
    before, header, rows, after = trial_errors(trials, max_rows)
    if not rows:
        return ""
    return "\n".join([*before, psql_table(header, rows, align=["<", ">", "<"]), *after])


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and not isinstance(v, bool):
        return format(v, "g")
    return str(v)


def psql_table(header: list[str], rows: list[list[Any]], align: Optional[list[str]] = None) -> str:
    """A table in the ``psql`` layout Ray prints with tabulate: numbers right-aligned, text left;
    a header longer than its column's width wraps onto more lines."""
    ncol = len(header)
    if align is None:
        align = []
        for i in range(ncol):
            values = [r[i] for r in rows if r[i] is not None]
            numeric = bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            align.append(">" if numeric else "<")
    head_lines = [h.split("\n") for h in header]
    cells = [[_cell(v) for v in r] for r in rows]
    widths = [max([len(x) for x in head_lines[i]] + [len(r[i]) for r in cells]) for i in range(ncol)]
    depth = max((len(h) for h in head_lines), default=1)
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = io.StringIO()
    out.write(rule + "\n")
    for line in range(depth):
        parts = [(h[line] if line < len(h) else "") for h in head_lines]
        out.write("| " + " | ".join(format(p, f"{a}{w}") for p, a, w in zip(parts, align, widths)) + " |\n")
    out.write("|" + "+".join("-" * (w + 2) for w in widths) + "|\n")
    for r in cells:
        out.write("| " + " | ".join(format(c, f"{a}{w}") for c, a, w in zip(r, align, widths)) + " |\n")
    out.write(rule)
    return out.getvalue()


def status_table(tuner: "Tuner", final: bool) -> str:
    """Ray's trial status table: counts, the scheduler, resources, the best trial, the trials."""
    trials = tuner._experiment.trial_summaries()
    metric = shown_metric(tuner)[0]
    counts: dict[str, int] = {}
    for t in trials:
        counts[t["status"]] = counts.get(t["status"], 0) + 1
    out = io.StringIO()
    out.write("\nTrial status: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "\n")
    out.write(f"Using {tuner._scheduler_name} scheduling algorithm.\n")
    out.write(resource_usage(tuner, counts.get("RUNNING", 0)) + "\n")
    best = tuner._experiment.best_trial(None, None, "last", True)
    if best is not None and metric and best.get("last_result"):
        out.write(f"Current best trial: {tuner._trial_name(best['id'], best['configuration'], best['number'])} with {metric}={best['last_result'].get(metric)} "
                  f"and params={json.dumps(best['configuration'], default=str)}\n")
    keys = _flat_keys([t["configuration"] for t in trials[:20]])
    header = ["Trial name", "status"] + keys + ([metric] if metric else []) + ["iter", "total time (s)"]
    rows = []
    shown = trials if final and len(trials) <= 20 else trials[:20]
    for t in shown:
        flat = flatten_dict(t["configuration"])
        last = t.get("last_result") or {}
        rows.append([tuner._trial_name(t["id"], t["configuration"], t["number"]), t["status"]] + [_fmt(flat.get(k)) for k in keys]
                    + ([_fmt(last.get(metric))] if metric else [])
                    + [_fmt(last.get("training_iteration")), _fmt(last.get("time_total_s"))])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else [len(h) for h in header]
    out.write("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |\n")
    for r in rows:
        out.write("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |\n")
    if len(trials) > len(shown):
        out.write(f"... {len(trials) - len(shown)} more trials not shown\n")
    return out.getvalue()


def _flat_keys(configs: list[Any]) -> list[str]:
    keys: list[str] = []
    for c in configs:
        for k in flatten_dict(c):
            if k not in keys:
                keys.append(k)
    return sorted(keys)


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
