"""hyperopt's fmin and swifttune.hyperopt's fmin side by side: wall time of
``fmin(objective, space, algo=tpe.suggest, max_evals=1000)`` on the seed tutorial's space with its
(trivial) objective, and the best loss reached, over several seeds.

    PYTHONPATH=python SWIFTTUNE_LIBRARY=.build/release/libswifttune.so python bench/fmin_speed.py [--seeds 10]
(`make bench-fmin`; hyperopt comes from `pip install hyperopt`.)
"""
from __future__ import annotations

import argparse
import statistics
import time


def run(module, seed: int, max_evals: int) -> tuple[float, float]:
    import numpy as np

    hp = module.hp
    space = {"width": hp.uniform("width", 0, 20), "height": hp.uniform("height", -100, 100),
             "activation": hp.choice("activation", ["relu", "tanh"])}

    def objective(c):
        return (0.1 + c["width"] * 99 / 100) ** -1 + c["height"] * 0.1

    trials = module.Trials()
    start = time.time()
    module.fmin(objective, space, algo=module.tpe.suggest, max_evals=max_evals, trials=trials,
                rstate=np.random.default_rng(seed), show_progressbar=False)
    return time.time() - start, min(l for l in trials.losses() if l is not None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--max-evals", type=int, default=1000)
    args = parser.parse_args()
    import hyperopt

    import swifttune.hyperopt as sh

    rows = {}
    for name, module in [("hyperopt " + hyperopt.__version__, hyperopt), ("swifttune.hyperopt", sh)]:
        rows[name] = [run(module, seed, args.max_evals) for seed in range(args.seeds)]
    print(f"fmin(tpe.suggest, max_evals={args.max_evals}) on the seed space, seeds 0..{args.seeds - 1}")
    print(f"{'':22} {'median wall s':>14} {'median best loss':>17} {'worst best loss':>16}")
    for name, r in rows.items():
        times, losses = [t for t, _ in r], [l for _, l in r]
        print(f"{name:22} {statistics.median(times):>14.3f} {statistics.median(losses):>17.4f} {max(losses):>16.4f}")
    (h_name, h), (s_name, s) = rows.items()
    speedup = statistics.median(t for t, _ in h) / statistics.median(t for t, _ in s)
    print(f"speed-up: {speedup:.1f}x (target: at least 30x); "
          f"best loss swifttune - hyperopt per seed: {[round(b[1] - a[1], 4) for a, b in zip(h, s)]}")


if __name__ == "__main__":
    main()
