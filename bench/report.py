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
          "Optuna TPE (multivariate)": "#98df8a", "Ray Tune + HyperOptSearch": "#9467bd", "random search": "#7f7f7f"}


def quartiles(values: list[float]) -> tuple[float, float, float]:
    import numpy as np

    q1, med, q3 = np.percentile(values, [25, 50, 75])
    return float(q1), float(med), float(q3)


def seconds_text(x: Optional[float]) -> str:
    if x is None:
        return "n/a"
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def ms_text(x: Optional[float]) -> str:
    if x is None:
        return "skipped"
    return f"{x:.3f} ms" if x < 1 else (f"{x:.2f} ms" if x < 100 else f"{x:.0f} ms")


def _table(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
                     + ["| " + " | ".join(r) + " |" for r in rows])


def write(results: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    md: list[str] = ["# swifttune benchmarks", ""]
    md.append(f"One run of `make bench` (`bench/compare.py`) on {results['machine']}, "
              + ", ".join(f"{k} {v}" for k, v in results["versions"].items())
              + f"; {results['seconds'] / 60:.1f} minutes in all. Each figure is from a fresh process, one at a time;"
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
                    cells.append("n/a" if lib.startswith("Ray") and k != "3" else "failed")
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
                  "`rand.suggest`'s documents inserted into their `Trials`; Optuna: `RandomSampler` trials), then the "
                  "library's own TPE suggestion is timed (hyperopt: `tpe.suggest`; Optuna: `ask()` and the "
                  "define-by-run calls; Ray: `HyperOptSearch.suggest`). Peak RSS is the whole Python process's; in "
                  "brackets, its growth over the process right after the library's imports. A library is skipped once this section has taken it 10 minutes.")
        skipped = [f"{lib} (sizes {r['skipped']})" for lib, r in scaling["libraries"].items() if r and r["skipped"]]
        if skipped:
            md.append("\nSkipped after 10 minutes: " + ", ".join(skipped) + ".")
        sw = scaling["libraries"].get("swifttune")
        if sw and sw["ms"].get(str(sizes[-1])):
            others = []
            for lib, r in scaling["libraries"].items():
                if lib != "swifttune" and r and r["ms"].get(str(sizes[-1])):
                    others.append(f"{lib} {r['ms'][str(sizes[-1])] / sw['ms'][str(sizes[-1])]:.0f}x")
            line = f"one suggestion with {sizes[-1]:,} trials of history: swifttune {ms_text(sw['ms'][str(sizes[-1])])}; " + ", ".join(others)
            headlines.append(line)
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
        md += ["", f"## 4. Quality: best loss after {', '.join(str(b) for b in BUDGETS if b <= evaluations)} evaluations, "
               f"{seeds} seeds", ""]
        md.append("Median [interquartile range] of the best loss found. swifttune TPE and random search: "
                  "`swifttune.hyperopt.fmin` with `tpe.suggest` / `rand.suggest`; hyperopt TPE: hyperopt's `fmin`; Optuna "
                  "TPE: `TPESampler(seed)`. Seeds 0-19 for every library.\n")
        rows = []
        verdicts = []
        for prob, libs in quality["curves"].items():
            for lib, curves in libs.items():
                if not curves:
                    rows.append([prob, lib] + ["failed"] * len(BUDGETS))
                    continue
                cells = []
                for b in BUDGETS:
                    if b <= evaluations:
                        q1, med, q3 = quartiles([c[b - 1] for c in curves])
                        cells.append(f"{med:.4g} [{q1:.4g}, {q3:.4g}]")
                rows.append([prob, lib] + cells)
            sw, ho = libs.get("swifttune TPE"), libs.get("hyperopt TPE")
            if sw and ho:
                parts = []
                for b in (b for b in BUDGETS if b <= evaluations):
                    _, m_sw, _ = quartiles([c[b - 1] for c in sw])
                    q1, m_ho, q3 = quartiles([c[b - 1] for c in ho])
                    ok = m_sw <= q3
                    parts.append(f"after {b}, swifttune {m_sw:.4g} vs hyperopt {m_ho:.4g} [{q1:.4g}, {q3:.4g}] "
                                 + ("(within or better)" if ok else "(**worse than hyperopt's IQR**)"))
                verdicts.append(f"{prob}: " + "; ".join(parts))
        md.append(_table(["problem", "library"] + [f"after {b}" for b in BUDGETS if b <= evaluations], rows))
        md.append("\nTarget: swifttune's median within hyperopt's interquartile range, or better (lower), at every budget:\n")
        md += [f"- {v}" for v in verdicts]
        _plot_quality(quality, out / "quality.png")
        md.append("\n![quality](quality.png)")

    if headlines:
        md.insert(2, "**Headlines.** " + "; ".join(headlines) + ".\n")
    (out / "summary.md").write_text("\n".join(md) + "\n")


def _plot_cost(cost: dict[str, Any], path: Path) -> None:
    import matplotlib.pyplot as plt
    import numpy as np

    libs = list(cost)
    fig, ax = plt.subplots(figsize=(9, 4.5))
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
    ax.legend(fontsize=8)
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


def _plot_quality(quality: dict[str, Any], path: Path) -> None:
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
    fig.suptitle(f"Best loss so far, {quality['seeds']} seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent / "results")
    write(json.loads((folder / "results.json").read_text()), folder)
    print(f"wrote {folder}/summary.md and the plots")
