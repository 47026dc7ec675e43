"""The progress output: Ray's trial status table, printed every few seconds and at the end."""
from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

from .flatten import flatten_dict

if TYPE_CHECKING:
    from ..tuner import Tuner

__all__ = ["status_table"]


def status_table(tuner: "Tuner", final: bool) -> str:
    """Ray's trial status table: counts, the scheduler, resources, the best trial, the trials."""
    trials = tuner._experiment.trials()
    metric = tuner.tune_config.metric
    counts: dict[str, int] = {}
    for t in trials:
        counts[t["status"]] = counts.get(t["status"], 0) + 1
    out = io.StringIO()
    out.write("\nTrial status: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "\n")
    out.write(f"Using {tuner._scheduler_name} scheduling algorithm.\n")
    from ... import _cpus

    cpus_per_trial = float(getattr(tuner.trainable, "_swifttune_resources", {}).get("cpu", 1))
    running = counts.get("RUNNING", 0)
    out.write(f"Logical resource usage: {running * cpus_per_trial:.1f}/{_cpus()} CPUs, 0/0 GPUs\n")
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
