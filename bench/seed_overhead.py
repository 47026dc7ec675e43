"""The seed tutorial's first experiment, timed side by side: swifttune (thread and process
executors) and, when it is installed, Ray Tune + HyperOptSearch.

1. Overhead: the sleep removed, 100 trials x 100 reports, ConcurrencyLimiter(4).
2. Pacing: the sleep kept at 0.05 s, 40 trials x 10 steps, 4 concurrent (ideal: 40 x 10 x 0.05 / 4 = 5.0 s).
Both frameworks are told there are 4 CPUs, so that 4 trials run at once on any machine.

    PYTHONPATH=python SWIFTTUNE_LIBRARY=.build/release/libswifttune.so python bench/seed_overhead.py [--no-ray]
        [--baseline REV] [--rounds N]

Ray needs `pip install "ray[tune]" hyperopt`; without it (or with --no-ray) only swifttune runs.
With --baseline, swifttune as of git revision REV (its Python package and its library, built in
.build/baseline/REV) runs too, in the same run: each swifttune figure is the median of --rounds
runs (5), each in a fresh process after a warm-up fit, the two versions alternating (`make
bench-seed BASELINE=REV`).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time


def run(framework: str, executor: str | None, trials: int, steps: int, sleep: float, storage: str) -> float:
    if framework == "ray":
        import ray
        from ray import tune
        from ray.tune.search import ConcurrencyLimiter
        from ray.tune.search.hyperopt import HyperOptSearch
    else:
        import swifttune as ray
        from swifttune import tune
        from swifttune.tune.search import ConcurrencyLimiter
        from swifttune.tune.search.hyperopt import HyperOptSearch

    def objective(config):
        for step in range(config["steps"]):
            if sleep:
                time.sleep(sleep)
            score = (0.1 + config["width"] * step / 100) ** (-1) + config["height"] * 0.1
            tune.report({"iterations": step, "mean_loss": score})

    algo = ConcurrencyLimiter(HyperOptSearch(points_to_evaluate=[{"width": 1, "height": 2, "activation": "relu"}]),
                              max_concurrent=4)
    space = {"steps": steps, "width": tune.uniform(0, 20), "height": tune.uniform(-100, 100),
             "activation": tune.choice(["relu", "tanh"])}
    if framework != "ray":
        ray.init(num_cpus=4)  # 4 concurrent trials on any machine, as the limiter allows (Ray: ray.init(num_cpus=4))
    tc = dict(metric="mean_loss", mode="min", search_alg=algo, num_samples=trials)
    if executor:
        tc["executor"] = executor
    start = time.time()
    tuner = tune.Tuner(objective, param_space=space, tune_config=tune.TuneConfig(**tc),
                       run_config=tune.RunConfig(storage_path=storage, verbose=0))
    results = tuner.fit()
    elapsed = time.time() - start
    assert len(results) == trials
    return elapsed


def baseline_tree(rev: str) -> tuple[str, str]:
    """swifttune as of git revision `rev`: its python folder and its library, built once in
    .build/baseline/<rev> (a git worktree)."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=root, check=True, capture_output=True,
                            text=True).stdout.strip()
    tree = root / ".build" / "baseline" / commit
    if not (tree / "Package.swift").exists():
        subprocess.run(["git", "worktree", "add", "--detach", "--force", str(tree), commit], cwd=root, check=True)
    lib = tree / ".build" / "release" / "libswifttune.so"
    if not lib.exists():
        subprocess.run(["swift", "build", "-c", "release", "--product", "swifttune"], cwd=tree, check=True)
    return str(tree / "python"), str(lib)


def measure_in_process(python_dir: str, library: str, executor: str) -> tuple[float, float]:
    """One fresh process's timings (after a warm-up fit) of the two experiments, with the
    swifttune of `python_dir` and `library`."""
    import subprocess

    env = dict(os.environ, PYTHONPATH=python_dir, SWIFTTUNE_LIBRARY=library)
    out = subprocess.run([sys.executable, __file__, "--one", executor], env=env, check=True, capture_output=True,
                         text=True).stdout.split()
    return float(out[-2]), float(out[-1])


def compare(baseline: str, rounds: int) -> None:
    """The current tree against `baseline`, alternating, `rounds` times each."""
    import statistics

    here = (os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"),
            os.environ.get("SWIFTTUNE_LIBRARY", ""))
    base = baseline_tree(baseline)
    timings: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(rounds):
        for executor in ("thread", "process"):
            for label, (py, lib) in ((f"{baseline}", base), ("this tree", here)):
                timings.setdefault((label, executor), []).append(measure_in_process(py, lib, executor))
    print(f"medians of {rounds} runs, alternating; {'':8} {'no sleep, 100 x 100':>22} {'0.05 s sleep, 40 x 10':>24}")
    for (label, executor), runs in timings.items():
        a = statistics.median(r[0] for r in runs)
        b = statistics.median(r[1] for r in runs)
        print(f"swifttune {label} ({executor}){'':<{max(0, 24 - len(label) - len(executor))}} {a:>14.2f} s {b:>18.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--baseline", metavar="REV", help="also time swifttune as of git revision REV")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--one", metavar="EXECUTOR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # one measurement (a child of --baseline's comparison): a warm-up, then both experiments
        storage = tempfile.mkdtemp(prefix="seed_overhead_")
        run("swifttune", args.one, 20, 10, 0.0, storage)
        print(run("swifttune", args.one, 100, 100, 0.0, storage), run("swifttune", args.one, 40, 10, 0.05, storage))
        return
    if args.baseline:
        compare(args.baseline, args.rounds)
    contenders = [("swifttune", "thread"), ("swifttune", "process")]
    if not args.no_ray:
        try:
            import ray  # noqa: F401

            contenders.append(("ray", None))
        except ImportError:
            print("(Ray Tune is not installed: pip install 'ray[tune]' hyperopt to compare)")
    storage = tempfile.mkdtemp(prefix="seed_overhead_")
    rows = []
    ray_start = None
    for name, executor in contenders:
        if name == "ray":
            import ray

            t = time.time()
            ray.init(num_cpus=4, configure_logging=False, log_to_driver=False)
            ray_start = time.time() - t
        label = f"{name} ({executor})" if executor else f"{name} + HyperOptSearch"
        a = run(name, executor, 100, 100, 0.0, storage)
        b = run(name, executor, 40, 10, 0.05, storage)
        rows.append((label, a, b))
    print(f"{'':32} {'no sleep, 100 x 100':>22} {'0.05 s sleep, 40 x 10':>24}")
    for label, a, b in rows:
        print(f"{label:32} {a:>20.2f} s {b:>14.2f} s ({(b / 5.0 - 1) * 100:+.1f}% vs 5.0 s)")
    if ray_start is not None:
        print(f"Ray start-up (ray.init): {ray_start:.2f} s, not included above")


if __name__ == "__main__":
    sys.exit(main())
