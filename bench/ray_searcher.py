"""The same 100-trial Ray Tune experiment with Ray's HyperOptSearch and with swifttune's
SwiftTPESearch: the time spent in the searcher per suggestion (and per completion, where Ray's
HyperOptSearch refreshes hyperopt's trial store), the run's wall time, and the best loss.

    PYTHONPATH=python SWIFTTUNE_LIBRARY=.build/release/libswifttune.so .venv/bin/python bench/ray_searcher.py

The experiment: the seed tutorial's objective (10 steps, no sleep) on its space, 100 trials, both
searchers behind Ray's ConcurrencyLimiter(2), 20 random trials first, seeded; `ray.init(num_cpus=2)`.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from typing import Any

os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")


def objective(config: dict[str, Any]) -> None:
    from ray import tune

    for step in range(10):
        score = (0.1 + config["width"] * step / 100) ** (-1) + config["height"] * 0.1
        tune.report({"iterations": step, "mean_loss": score})


class Timed:
    """Wraps a searcher's suggest and on_trial_complete with timers (kept on the instance)."""

    @staticmethod
    def wrap(searcher: Any) -> Any:
        searcher._suggest_s, searcher._complete_s = [], []
        suggest, complete = searcher.suggest, searcher.on_trial_complete

        def timed_suggest(trial_id: str) -> Any:
            t0 = time.perf_counter()
            out = suggest(trial_id)
            searcher._suggest_s.append(time.perf_counter() - t0)
            return out

        def timed_complete(trial_id: str, result: Any = None, error: bool = False) -> None:
            t0 = time.perf_counter()
            complete(trial_id, result=result, error=error)
            searcher._complete_s.append(time.perf_counter() - t0)

        searcher.suggest, searcher.on_trial_complete = timed_suggest, timed_complete
        return searcher


def run(kind: str, trials: int, seed: int) -> dict[str, Any]:
    from ray import tune
    from ray.tune.search import ConcurrencyLimiter

    space = {"steps": 10, "width": tune.uniform(0, 20), "height": tune.uniform(-100, 100),
             "activation": tune.choice(["relu", "tanh"])}
    if kind == "HyperOptSearch":
        from ray.tune.search.hyperopt import HyperOptSearch

        inner = HyperOptSearch(metric="mean_loss", mode="min", n_initial_points=20, random_state_seed=seed)
    else:
        from swifttune.integrations.ray import SwiftTPESearch

        inner = SwiftTPESearch(metric="mean_loss", mode="min", n_initial_points=20, random_state_seed=seed)
    inner = Timed.wrap(inner)
    with tempfile.TemporaryDirectory() as d:
        start = time.perf_counter()
        grid = tune.Tuner(objective, param_space=space,
                          tune_config=tune.TuneConfig(search_alg=ConcurrencyLimiter(inner, max_concurrent=2),
                                                      num_samples=trials, reuse_actors=True),
                          run_config=tune.RunConfig(storage_path=d, verbose=0)).fit()
        wall = time.perf_counter() - start
    losses = [r.metrics["mean_loss"] for r in grid if r.metrics and "mean_loss" in r.metrics]
    s = [x * 1000 for x in inner._suggest_s if x is not None]
    c = [x * 1000 for x in inner._complete_s]
    return {"searcher": kind, "trials": len(losses), "wall_s": wall, "best": min(losses),
            "suggest_ms_median": statistics.median(s), "suggest_ms_mean": statistics.fmean(s),
            "suggest_ms_last20": statistics.fmean(s[-20:]), "complete_ms_mean": statistics.fmean(c),
            "searcher_s_total": (sum(s) + sum(c)) / 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    rows = [run(kind, args.trials, args.seed) for kind in ("HyperOptSearch", "SwiftTPESearch")]
    print(f"\nThe same {args.trials}-trial Ray Tune experiment (seed objective, ConcurrencyLimiter(2), seed {args.seed}):")
    print(f"{'searcher':16s} {'suggest ms (median)':>20s} {'(mean)':>8s} {'(last 20)':>10s} "
          f"{'complete ms':>12s} {'in searcher':>12s} {'run wall':>10s} {'best loss':>10s}")
    for r in rows:
        print(f"{r['searcher']:16s} {r['suggest_ms_median']:20.3f} {r['suggest_ms_mean']:8.3f} {r['suggest_ms_last20']:10.3f} "
              f"{r['complete_ms_mean']:12.3f} {r['searcher_s_total']:11.2f}s {r['wall_s']:9.1f}s {r['best']:10.4f}")
    h, s = rows
    print(f"\nTime in the searcher: HyperOptSearch {h['searcher_s_total'] / s['searcher_s_total']:.0f}x SwiftTPESearch's; "
          f"per suggestion (mean) {h['suggest_ms_mean'] / s['suggest_ms_mean']:.0f}x. The run's wall time is Ray's.")


if __name__ == "__main__":
    main()
