"""Turns compare.py's results.json into summary.md and PNG plots (matplotlib).

    .venv-bench/bin/python bench/report.py [bench/results]   # redraw from results.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

BUDGETS = (50, 100, 200)
COLORS = {"Ray Tune + HyperOptSearch (reuse_actors)": "#c5b0d5", "swifttune": "#d62728", "swifttune TPE": "#d62728", "swifttune Tuner": "#ff9896", "swifttune (thread)": "#d62728",
          "swifttune (process)": "#ff9896", "hyperopt": "#1f77b4", "hyperopt TPE": "#1f77b4", "Optuna TPE": "#2ca02c",
          "Optuna TPE (multivariate)": "#98df8a", "Ray Tune + HyperOptSearch": "#9467bd", "random search": "#7f7f7f",
          "Optuna TPE (univariate)": "#bcbd22", "Optuna study, RandomSampler": "#dbdb8d",
          "swifttune OptunaSearch": "#8c564b", "swifttune OptunaSearch (univariate)": "#c49c94",
          "swifttune OptunaSearch (multivariate)": "#e7969c",
          "swifttune.optuna.TPESampler (Optuna study)": "#ff7f0e", "swifttune.optuna.TPESampler (univariate)": "#ffbb78",
          "swifttune.optuna.TPESampler (multivariate)": "#f7b6d2", "swifttune.optuna.TPESampler": "#ff7f0e",
          "swifttune Optuna TPE": "#ff7f0e", "swifttune hyperopt TPE": "#d62728", "swifttune hyperopt TPE (liar)": "#ff9896",
          "Optuna TPE (liar)": "#2ca02c", "swifttune Optuna TPE (liar)": "#ff7f0e"}
# Optuna's own TPESampler and swifttune's two ways of running its rules, with the same options:
# (options, Optuna's row, swifttune's rows).
OPTUNA_PAIRS = [
    ("defaults (Optuna 5.0: multivariate, not grouped)", "Optuna TPE",
     ["swifttune OptunaSearch", "swifttune.optuna.TPESampler (Optuna study)"]),
    ("univariate (multivariate=False)", "Optuna TPE (univariate)",
     ["swifttune OptunaSearch (univariate)", "swifttune.optuna.TPESampler (univariate)"]),
    ("multivariate=True, group=True", "Optuna TPE (multivariate)",
     ["swifttune OptunaSearch (multivariate)", "swifttune.optuna.TPESampler (multivariate)"]),
]
COST_TARGET = 30.0


def quartiles(values: list[float]) -> tuple[float, float, float]:
    import numpy as np

    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return float(q1), float(med), float(q3)


def seconds_text(x: Optional[float]) -> str:
    if x is None:
        return "n/a"
    if x < 0.1:
        return f"{x:.3f} s"
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def ms_text(x: Optional[float]) -> str:
    if x is None:
        return "skipped"
    return f"{x:.3f} ms" if x < 1 else (f"{x:.2f} ms" if x < 100 else f"{x:.0f} ms")


def budgets_of(quality: dict[str, Any]) -> list[int]:
    return [b for b in quality.get("budgets", BUDGETS) if b <= quality["evaluations"]]


def optuna_cost_pairs(cost: dict[str, Any]) -> list[dict[str, Any]]:
    """Optuna's TPESampler's time over swifttune's, per option set, space and way, with the 30x
    target's verdict."""
    out = []
    for options, optuna_row, ours in OPTUNA_PAIRS:
        for k in ("3", "10", "30"):
            o = (cost.get(optuna_row) or {}).get(k)
            for lib in ours:
                r = (cost.get(lib) or {}).get(k)
                if not o or not r:
                    continue
                ratio = o["seconds"] / r["seconds"]
                out.append({"parameters": k, "options": options, "optuna": optuna_row, "library": lib, "ratio": ratio,
                            "pass": ratio >= COST_TARGET,
                            "text": f"{'PASS' if ratio >= COST_TARGET else 'FAIL'} {k} parameters, {options}: "
                                    f"{optuna_row} {seconds_text(o['seconds'])} / {lib} {seconds_text(r['seconds'])} "
                                    f"= {ratio:.1f}x"})
    return out


def optuna_cost_ratios(cost: dict[str, Any]) -> list[str]:
    return [p["text"] for p in optuna_cost_pairs(cost)]


def iqr_checks(quality: dict[str, Any], candidate: str, reference: str) -> list[dict[str, Any]]:
    """Per problem and budget: the candidate's median within the reference's interquartile range,
    or better (lower): PASS when median <= the reference's third quartile."""
    out = []
    for prob, libs in quality["curves"].items():
        cand, ref = libs.get(candidate), libs.get(reference)
        for b in budgets_of(quality):
            if not cand or not ref:
                out.append({"problem": prob, "budget": b, "pass": False,
                            "text": f"FAIL {prob}, after {b}: {candidate if not cand else reference} failed to run"})
                continue
            _, m, _ = quartiles([c[b - 1] for c in cand])
            q1, mr, q3 = quartiles([c[b - 1] for c in ref])
            ok = m <= q3
            where = "better than the IQR" if m < q1 else ("within the IQR" if ok else "worse than the IQR")
            out.append({"problem": prob, "budget": b, "pass": ok,
                        "text": f"{'PASS' if ok else 'FAIL'} {prob}, after {b}: {candidate} {m:.4g} vs {reference} "
                                f"{mr:.4g} [{q1:.4g}, {q3:.4g}] ({where})"})
    return out


def lower_median_checks(quality: dict[str, Any], candidate: str, reference: str) -> list[dict[str, Any]]:
    """Per problem and budget: PASS when the candidate's median is lower than the reference's."""
    out = []
    for prob, libs in quality["curves"].items():
        cand, ref = libs.get(candidate), libs.get(reference)
        for b in budgets_of(quality):
            if not cand or not ref:
                out.append({"problem": prob, "budget": b, "pass": False,
                            "text": f"FAIL {prob}, after {b}: {candidate if not cand else reference} failed to run"})
                continue
            q1, m, q3 = quartiles([c[b - 1] for c in cand])
            r1, mr, r3 = quartiles([c[b - 1] for c in ref])
            ok = m < mr
            out.append({"problem": prob, "budget": b, "pass": ok,
                        "text": f"{'PASS' if ok else 'FAIL'} {prob}, after {b}: {candidate} {m:.4g} [{q1:.4g}, {q3:.4g}] "
                                f"vs {reference} {mr:.4g} [{r1:.4g}, {r3:.4g}]"})
    return out


def _quality_rows(quality: dict[str, Any]) -> list[list[str]]:
    rows = []
    budgets = budgets_of(quality)
    for prob, libs in quality["curves"].items():
        for lib, curves in libs.items():
            if not curves:
                rows.append([prob, lib] + ["failed"] * len(budgets))
                continue
            cells = []
            for b in budgets:
                q1, med, q3 = quartiles([c[b - 1] for c in curves])
                cells.append(f"{med:.4g} [{q1:.4g}, {q3:.4g}]")
            rows.append([prob, lib] + cells)
    return rows


def _tally(checks: list[dict[str, Any]]) -> str:
    passed = sum(1 for c in checks if c["pass"])
    return f"{passed} of {len(checks)} cells PASS"


def _table(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
                     + ["| " + " | ".join(r) + " |" for r in rows])


def write(results: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    md: list[str] = ["# swifttune benchmarks", ""]
    sections = results.get("sections") or {}
    if sections:
        order = ("cost", "scaling", "e2e", "quality", "quality8")
        known = {k: sections[k] for k in order if k in sections and sections[k].get("seconds") is not None}
        timing = ("; minutes per section (and the day it ran): " + ", ".join(
            f"{k} {v['seconds'] / 60:.1f} ({v['date']})" for k, v in known.items()))
        others = {v.get("machine") for v in known.values()} - {results["machine"], None}
        if others:
            timing += f" (on {', '.join(sorted(others))} for some: see results.json)"
        older = [k for k in ("cost", "scaling", "e2e", "quality", "quality8") if results.get(k) and k not in known]
        if older:
            timing += "; " + ", ".join(older) + " from an earlier run of this script (its machine and day not recorded)"
    else:
        timing = f"; {results['seconds'] / 60:.1f} minutes in all"
    md.append(f"{'`make bench`' if sections else 'One run of `make bench`'} (`bench/compare.py`) on {results['machine']}, "
              + ", ".join(f"{k} {v}" for k, v in results["versions"].items())
              + f"{timing}. Each figure is from a fresh process, one at a time;"
              " timings on this 2-core machine vary by up to ~1.5x between runs, so compare ratios within the run.")
    if results.get("quick"):
        md.append("\n**This was a `--quick` run (a few trials per workload): its figures check the script, not the libraries.**")
    headlines: list[str] = []

    cost = results.get("cost")
    if cost:
        md += ["", "## 1. Suggestion cost: 1,000 sequential trials of a trivial objective", ""]
        rows = []
        for lib, by in cost.items():
            cells = []
            for k in ("3", "10", "30"):
                r = by.get(k)
                if r is None:
                    only3 = lib.startswith("Ray") or lib.startswith("swifttune OptunaSearch")
                    cells.append("n/a" if only3 and k != "3" else "failed")
                else:
                    cells.append(seconds_text(r["seconds"]) + (f" (extrapolated from {r['trials']} trials)" if r.get("extrapolated") else ""))
            rows.append([lib] + cells)
        md.append(_table(["library", "3 parameters", "10 parameters", "30 parameters"], rows))
        md.append("\nswifttune: `swifttune.hyperopt.fmin(tpe.suggest)`; swifttune Tuner: `tune.Tuner` with the thread "
                  "executor and `ConcurrencyLimiter(HyperOptSearch, 1)`; hyperopt: `fmin(tpe.suggest)`; Optuna: "
                  "`study.optimize` with `TPESampler` (multivariate: `multivariate=True, group=True`); Ray Tune: "
                  "`tune.Tuner` with `ConcurrencyLimiter(HyperOptSearch, 1)`, with Ray's defaults (a new actor per trial) "
                  "and with `reuse_actors=True`, each run for 90 s and extrapolated to 1,000 trials (Ray is only run "
                  "on the 3-parameter space).")
        md.append("\nswifttune's Optuna-rule TPE (docs/tpe-optuna.md) beside Optuna's own `TPESampler`, with the same "
                  "options: none (Optuna 5.0's defaults: multivariate, not grouped, for one objective), \"(univariate)\" "
                  "`multivariate=False`, \"(multivariate)\" `multivariate=True, group=True`. swifttune OptunaSearch: "
                  "`OptunaSearch(space, metric, mode, sampler=optuna.samplers.TPESampler(seed=0, ...))` in Ray's "
                  "standalone loop (`suggest`, then `on_trial_complete` with the loss), the whole searcher in Swift, no "
                  "Optuna study; its space is a dict of Optuna distributions, so it runs on the 3-parameter space only: "
                  "the 10- and 30-parameter spaces have a conditional branch (a choice with a nested parameter), which a "
                  "flat dict of distributions cannot express (it would draw every parameter in every trial). "
                  "swifttune.optuna.TPESampler: `study.optimize` with the problem's define-by-run function, as the Optuna "
                  "rows, with `swifttune.optuna.TPESampler(seed=0, ...)` as the study's sampler. Optuna study, "
                  "RandomSampler: the same study with `RandomSampler`, i.e. what Optuna's study costs without a model "
                  "(a floor for any sampler run inside an Optuna study).")
        ratio_lines = optuna_cost_ratios(cost)
        if ratio_lines:
            md.append(f"\nOptuna's `TPESampler`'s time over swifttune's, same options, same run (target: {COST_TARGET:.0f}x "
                      "or more):\n")
            md += [f"- {line}" for line in ratio_lines]
        s3 = (cost.get("swifttune") or {}).get("3")
        ratios = []
        for other in ("hyperopt", "Optuna TPE", "Optuna TPE (multivariate)", "Ray Tune + HyperOptSearch",
                      "Ray Tune + HyperOptSearch (reuse_actors)"):
            o = (cost.get(other) or {}).get("3")
            if s3 and o:
                ratios.append(f"{other} {o['seconds'] / s3['seconds']:.0f}x")
        if ratios:
            line = "1,000 trials on 3 parameters, time relative to swifttune: " + ", ".join(ratios)
            md.append("\n**" + line + "** (target: 30x or more against hyperopt and Optuna).")
            headlines.append(line)
        pairs = optuna_cost_pairs(cost)
        if pairs:
            passed = sum(1 for p in pairs if p["pass"])
            three = [f"{p['library']} {p['ratio']:.0f}x" for p in pairs if p["parameters"] == "3"]
            headlines.append(f"Optuna-rule TPE, 1,000 trials, Optuna's TPESampler's time over swifttune's with the same "
                             f"options: {passed} of {len(pairs)} pairs at 30x or more (3 parameters: " + ", ".join(three) + ")")
        _plot_cost(cost, out / "cost.png")
        md.append("\n![cost](cost.png)")

    scaling = results.get("scaling")
    if scaling:
        sizes = scaling["sizes"]
        md += ["", "## 2. Scaling: one TPE suggestion vs the size of the history (3 parameters)", ""]
        rows = []
        for lib, r in scaling["libraries"].items():
            if r is None:
                rows.append([lib] + ["failed"] * len(sizes) + ["n/a"])
                continue
            rows.append([lib] + [ms_text(r["ms"].get(str(n))) for n in sizes]
                        + [f"{r['peak_rss_mb']:.0f} MB (+{r['peak_rss_mb'] - r['start_rss_mb']:.0f} MB)"])
        md.append(_table(["library"] + [f"{n:,} trials" for n in sizes] + [f"peak RSS with {sizes[-1]:,} trials (growth over imports)"], rows))
        md.append("\nMedian of 7 suggestions at each size. The history is random trials added in one batch (swifttune: "
                  "through `HyperOptSearch` with `n_initial_points` = the size; hyperopt and Ray's HyperOptSearch: "
                  "`rand.suggest`'s documents inserted into their `Trials`; Optuna and swifttune.optuna.TPESampler: "
                  "`RandomSampler` trials in an Optuna study, whose sampler is then swapped; swifttune OptunaSearch: "
                  "`TPESampler(n_startup_trials=` the size`)`'s random trials), then the "
                  "library's own TPE suggestion is timed (hyperopt: `tpe.suggest`; Optuna and swifttune.optuna.TPESampler: "
                  "`ask()` and the define-by-run calls, Optuna 5.0's default options; swifttune OptunaSearch: `suggest`; "
                  "Ray: `HyperOptSearch.suggest`). swifttune.optuna.TPESampler's first suggestion also mirrors the "
                  "whole history into the library (later ones only what changed); the median leaves it out. Peak RSS is "
                  "the whole Python process's; in "
                  "brackets, its growth over the process right after the library's imports. A library is skipped once this section has taken it 10 minutes.")
        skipped = [f"{lib} (sizes {r['skipped']})" for lib, r in scaling["libraries"].items() if r and r["skipped"]]
        if skipped:
            md.append("\nSkipped after 10 minutes: " + ", ".join(skipped) + ".")
        sw = scaling["libraries"].get("swifttune")
        if sw and sw["ms"].get(str(sizes[-1])):
            others = []
            for lib, r in scaling["libraries"].items():
                if lib.startswith("swifttune"):
                    continue  # swifttune's Optuna-rule rows: against Optuna's below
                if r and r["ms"].get(str(sizes[-1])):
                    others.append(f"{lib} {r['ms'][str(sizes[-1])] / sw['ms'][str(sizes[-1])]:.0f}x")
            line = f"one suggestion with {sizes[-1]:,} trials of history: swifttune {ms_text(sw['ms'][str(sizes[-1])])}; " + ", ".join(others)
            headlines.append(line)
        ot = scaling["libraries"].get("Optuna TPE")
        parts = []
        for lib in ("swifttune.optuna.TPESampler", "swifttune OptunaSearch"):
            r = scaling["libraries"].get(lib)
            for n in sizes:
                if ot and r and ot["ms"].get(str(n)) and r["ms"].get(str(n)):
                    parts.append(f"{lib} at {n:,}: {ms_text(r['ms'][str(n)])} ({ot['ms'][str(n)] / r['ms'][str(n)]:.0f}x)")
        if parts:
            md.append("\nOptuna-rule TPE, one suggestion against Optuna's `TPESampler` (Optuna's time over swifttune's): "
                      + "; ".join(parts) + ".")
            last = [p for p in parts if f" at {sizes[-1]:,}:" in p]
            if last:
                headlines.append(f"Optuna-rule TPE, one suggestion with {sizes[-1]:,} trials of history, against Optuna's "
                                 "TPESampler: " + ", ".join(last))
        _plot_scaling(scaling, out / "scaling.png")
        md.append("\n![scaling](scaling.png)")

    e2e = results.get("e2e")
    if e2e:
        md += ["", "## 3. End to end: the seed tutorial's first experiment", ""]
        labels = [w["label"] for w in e2e["workloads"]]
        rows = [[name] + [seconds_text(by.get(lab)) for lab in labels] for name, by in e2e["seconds"].items()]
        head = [f"{w['label']}: {w['trials']} trials x {w['steps']} reports" for w in e2e["workloads"]]
        md.append(_table(["framework"] + head, rows))
        md.append("\n`bench/seed_overhead.py`'s workloads: HyperOptSearch behind `ConcurrencyLimiter(4)`, 4 CPUs "
                  "declared to both frameworks (`swifttune.init(num_cpus=4)`, `ray.init(num_cpus=4)`; Ray's start-up is "
                  "not counted). The paced run's ideal is trials x steps x sleep / 4.")
        sec = e2e["seconds"]
        if sec.get("swifttune (thread)", {}).get(labels[0]) and sec.get("Ray Tune + HyperOptSearch", {}).get(labels[0]):
            r = sec["Ray Tune + HyperOptSearch"][labels[0]] / sec["swifttune (thread)"][labels[0]]
            headlines.append(f"the seed experiment without its sleep: Ray Tune {r:.0f}x swifttune's time (thread executor)")
        _plot_e2e(e2e, out / "end_to_end.png")
        md.append("\n![end to end](end_to_end.png)")

    quality = results.get("quality")
    if quality:
        seeds, evaluations = quality["seeds"], quality["evaluations"]
        budgets = budgets_of(quality)
        md += ["", f"## 4. Quality: best loss after {', '.join(str(b) for b in budgets)} evaluations, "
               f"{seeds} seeds", ""]
        md.append("Median [interquartile range] of the best loss found. swifttune TPE and random search: "
                  "`swifttune.hyperopt.fmin` with `tpe.suggest` / `rand.suggest`; hyperopt TPE: hyperopt's `fmin`; Optuna "
                  "TPE: `study.optimize` with `TPESampler(seed)` and the problem's define-by-run function; swifttune "
                  "Optuna TPE: the same study with `swifttune.optuna.TPESampler(seed)` (Optuna 5.0's default options "
                  f"in both). Seeds 0-{seeds - 1} for every library.\n")
        rows = _quality_rows(quality)
        verdicts = []
        for prob, libs in quality["curves"].items():
            sw, ho = libs.get("swifttune TPE"), libs.get("hyperopt TPE")
            if sw and ho:
                parts = []
                for b in budgets:
                    _, m_sw, _ = quartiles([c[b - 1] for c in sw])
                    q1, m_ho, q3 = quartiles([c[b - 1] for c in ho])
                    ok = m_sw <= q3
                    parts.append(f"after {b}, swifttune {m_sw:.4g} vs hyperopt {m_ho:.4g} [{q1:.4g}, {q3:.4g}] "
                                 + ("(within or better)" if ok else "(**worse than hyperopt's IQR**)"))
                verdicts.append(f"{prob}: " + "; ".join(parts))
        md.append(_table(["problem", "library"] + [f"after {b}" for b in budgets], rows))
        md.append("\nTarget: swifttune's median within hyperopt's interquartile range, or better (lower), at every budget:\n")
        md += [f"- {v}" for v in verdicts]
        checks = iqr_checks(quality, "swifttune Optuna TPE", "Optuna TPE")
        if any(lib == "swifttune Optuna TPE" for libs in quality["curves"].values() for lib in libs):
            md.append("\nTarget: swifttune Optuna TPE's median within Optuna TPE's interquartile range, or better (lower), "
                      f"in every cell ({_tally(checks)}):\n")
            md += [f"- {c['text']}" for c in checks]
            headlines.append(f"quality, swifttune's Optuna-rule TPE against Optuna's: {_tally(checks)}")
        _plot_quality(quality, out / "quality.png", f"Best loss so far, {quality['seeds']} seeds")
        md.append("\n![quality](quality.png)")

    quality8 = results.get("quality8")
    if quality8:
        seeds, budgets, k = quality8["seeds"], budgets_of(quality8), quality8["concurrency"]
        md += ["", f"## 5. Quality with {k} trials running at once: best loss after {', '.join(str(b) for b in budgets)} "
               f"evaluations, {seeds} seeds", ""]
        md.append(
            f"Concurrency simulated deterministically, without threads: {k} trials are asked, then the oldest pending "
            "one is evaluated and told and a new one asked, until the budget is asked; trials complete in the order "
            f"they were suggested, so every suggestion after the first {k} is made with {k - 1} trials pending. "
            "hyperopt TPE: hyperopt's own `tpe.suggest` over a `Trials` that holds the pending trials as new documents, "
            "as Ray's HyperOptSearch drives it (`tpe.suggest` counts a pending trial at loss +inf, also towards its 20 "
            "start-up trials); swifttune hyperopt TPE: `HyperOptSearch(space, metric, mode, random_state_seed=seed)` "
            "(hyperopt-exact: the same treatment of pending trials) and with `constant_liar=True` (pending trials stay "
            "at +inf but count neither towards the start-up trials nor towards the split's size) in a standalone "
            "`suggest` / `on_trial_complete` loop; Optuna TPE (liar): `TPESampler(seed=seed, constant_liar=True)` "
            "with `study.ask()` and the define-by-run calls, `study.tell` at completion; swifttune Optuna TPE (liar): "
            "the same loop with `swifttune.optuna.TPESampler(seed=seed, constant_liar=True)`; random search: "
            f"`swifttune.hyperopt.fmin` with `rand.suggest` (random draws do not depend on pending trials). Seeds "
            f"0-{seeds - 1}. Median [interquartile range].\n")
        md.append(_table(["problem", "library"] + [f"after {b}" for b in budgets], _quality_rows(quality8)))
        c1 = iqr_checks(quality8, "swifttune Optuna TPE (liar)", "Optuna TPE (liar)")
        c2 = lower_median_checks(quality8, "swifttune hyperopt TPE (liar)", "swifttune hyperopt TPE")
        md.append("\nTarget: with the liar, swifttune's Optuna-rule TPE no worse than Optuna's with its liar (median "
                  f"within Optuna's interquartile range, or better) in every cell ({_tally(c1)}):\n")
        md += [f"- {c['text']}" for c in c1]
        md.append("\nTarget: swifttune's hyperopt TPE with the liar better (a lower median) than without it in every "
                  f"cell ({_tally(c2)}):\n")
        md += [f"- {c['text']}" for c in c2]
        headlines.append(f"{k} trials at once: swifttune's Optuna-rule TPE with the liar against Optuna's {_tally(c1)}; "
                         f"swifttune's hyperopt TPE with the liar better than without {_tally(c2)}")
        _plot_quality(quality8, out / "quality8.png", f"Best loss so far, {k} trials running at once, {seeds} seeds")
        md.append("\n![quality with 8 trials at once](quality8.png)")

    if headlines:
        md.insert(2, "**Headlines.** " + "; ".join(headlines) + ".\n")
    (out / "summary.md").write_text("\n".join(md) + "\n")


def _plot_cost(cost: dict[str, Any], path: Path) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    libs = list(cost)
    fig, ax = plt.subplots(figsize=(12, 6))
    width = 0.8 / len(libs)
    for i, lib in enumerate(libs):
        xs, ys = [], []
        for j, k in enumerate(("3", "10", "30")):
            r = cost[lib].get(k)
            if r:
                xs.append(j + i * width)
                ys.append(r["seconds"])
        ax.bar(xs, ys, width, label=lib, color=COLORS.get(lib))
    ax.set_yscale("log")
    ax.set_xticks(np.arange(3) + 0.4 - width / 2, ["3 parameters", "10 parameters", "30 parameters"])
    ax.set_ylabel("seconds for 1,000 trials (log)")
    ax.set_title("Suggestion cost: 1,000 sequential TPE trials, trivial objective")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_scaling(scaling: dict[str, Any], path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for lib, r in scaling["libraries"].items():
        if not r:
            continue
        pts = [(int(n), ms) for n, ms in r["ms"].items()]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=lib, color=COLORS.get(lib))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("trials in the history")
    ax.set_ylabel("ms per TPE suggestion")
    ax.set_title("One TPE suggestion vs history size (3 parameters)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_e2e(e2e: dict[str, Any], path: Path) -> None:
    import matplotlib.pyplot as plt

    labels = [w["label"] for w in e2e["workloads"]]
    fig, axes = plt.subplots(1, len(labels), figsize=(9, 4))
    for ax, lab in zip(axes, labels):
        names = [n for n in e2e["seconds"] if e2e["seconds"][n].get(lab) is not None]
        vals = [e2e["seconds"][n][lab] for n in names]
        ax.barh(names, vals, color=[COLORS.get(n) for n in names])
        for y, v in enumerate(vals):
            ax.text(v, y, f" {v:.1f} s", va="center", fontsize=8)
        ax.set_xscale("log")
        ax.set_title(lab)
        ax.set_xlabel("seconds (log)")
    fig.suptitle("The seed tutorial's first experiment, end to end")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_quality(quality: dict[str, Any], path: Path, title: str) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    problems = list(quality["curves"])
    fig, axes = plt.subplots(1, len(problems), figsize=(4 * len(problems), 4))
    for ax, prob in zip(np.atleast_1d(axes), problems):
        for lib, curves in quality["curves"][prob].items():
            if not curves:
                continue
            arr = np.array(curves)
            x = np.arange(1, arr.shape[1] + 1)
            q1, med, q3 = np.percentile(arr, [25, 50, 75], axis=0)
            ax.plot(x, med, label=lib, color=COLORS.get(lib))
            ax.fill_between(x, q1, q3, alpha=0.2, color=COLORS.get(lib))
        ax.set_title(prob)
        ax.set_xlabel("evaluations")
        ax.set_ylabel("best loss (median, IQR band)")
        lo = min(np.percentile(np.array(c), 5) for c in quality["curves"][prob].values() if c)
        hi = max(np.percentile(np.array(c)[:, 9:], 95) for c in quality["curves"][prob].values() if c)
        ax.set_ylim(lo - 0.05 * abs(hi - lo), hi)
        ax.grid(True, alpha=0.3)
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent / "results")
    write(json.loads((folder / "results.json").read_text()), folder)
    print(f"wrote {folder}/summary.md and the plots")
