"""`make bench-scale`, the Python half: a 20,000-trial experiment through `tune.Tuner` (random
search, thread executor, max_concurrent_trials=4, one report per trial), its state journalled as it
runs. Prints the time per trial by tenth of the run, the longest time a change waited for the disk
(the longest interval between the ends of two state writes while trials ran), the state's sizes,
memory per trial and the time `Tuner.restore` takes to read the state back.

    python bench/scale.py [--trials 20000]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20_000)
    args = parser.parse_args()

    import swifttune.tune._internal.state as state
    from swifttune import tune

    writes: list[tuple[float, float, bool]] = []
    original = state.write_state

    def timed(journal, head, final=False):  # type: ignore[no-untyped-def]
        whole = journal.wants_compaction or final
        t0 = time.monotonic()
        original(journal, head, final)
        writes.append((t0, time.monotonic(), whole))

    state.write_state = timed
    ended: list[float] = []

    def objective(config):  # type: ignore[no-untyped-def]
        tune.report({"loss": config["x"] * config["x"]})
        ended.append(time.monotonic())

    folder = Path(tempfile.mkdtemp(prefix="swifttune-scale-"))
    try:
        rss0 = rss_mib()
        start = time.monotonic()
        tuner = tune.Tuner(objective, param_space={"x": tune.uniform(-10, 10)},
                           tune_config=tune.TuneConfig(num_samples=args.trials, executor="thread", max_concurrent_trials=4),
                           run_config=tune.RunConfig(name="scale", storage_path=str(folder), verbose=0))
        tuner.fit()
        total = time.monotonic() - start
        rss1 = rss_mib()
        ended.sort()
        tenth = max(1, len(ended) // 10)
        marks = [start] + [ended[min(len(ended) - 1, (i + 1) * tenth - 1)] for i in range(10)]
        per_trial = [(marks[i + 1] - marks[i]) / tenth for i in range(10)]
        running = [w for w in writes if w[1] <= ended[-1]]
        gaps = [b[1] - a[1] for a, b in zip(running, running[1:])]
        exp = folder / "scale"
        snapshot = (exp / "experiment_state.json").stat().st_size
        t0 = time.monotonic()
        restored = tune.Tuner.restore(str(exp), objective)
        restore_s = time.monotonic() - t0
        grid = restored.get_results()
        assert len(grid) == args.trials
        print(f"swifttune scale (Python): {args.trials} trials, random search, thread executor, max_concurrent_trials=4, "
              "one report per trial")
        print(f"  total {total:.2f} s; per trial by tenth of the run (ms): "
              + " ".join(f"{x * 1e3:.2f}" for x in per_trial))
        print(f"  per trial, last tenth / first tenth: {per_trial[-1] / per_trial[0]:.2f}x")
        print(f"  state writes while trials ran: {len(running)} ({sum(1 for w in running if w[2])} compactions, "
              f"started in the background); longest write {max(w[1] - w[0] for w in running):.3f} s")
        print(f"  longest time between the ends of two writes (the longest a change waited for the disk): "
              f"{max(gaps) if gaps else 0:.3f} s")
        print(f"  snapshot at the end {snapshot} bytes ({snapshot / args.trials:.0f} per trial)")
        print(f"  memory: {rss1 - rss0:.1f} MiB resident growth, {(rss1 - rss0) * 2**20 / args.trials:.0f} bytes per trial "
              f"(peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")
        print(f"  Tuner.restore (read the state back and rebuild the engine): {restore_s:.3f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
