"""The seed tutorial's first experiment, timed side by side: swifttune (thread and process
executors) and, when it is installed, Ray Tune + HyperOptSearch.

1. Overhead: the sleep removed, 100 trials x 100 reports, ConcurrencyLimiter(4).
2. Pacing: the sleep kept at 0.05 s, 40 trials x 10 steps, 4 concurrent (ideal: 40 x 10 x 0.05 / 4 = 5.0 s).
Both frameworks are told there are 4 CPUs, so that 4 trials run at once on any machine.

    PYTHONPATH=python SWIFTTUNE_LIBRARY=.build/release/libswifttune.so python bench/seed_overhead.py [--no-ray]

Ray needs `pip install "ray[tune]" hyperopt`; without it (or with --no-ray) only swifttune runs.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
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
