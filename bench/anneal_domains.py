"""hyperopt's annealing against swifttune's on hyperopt's own test problems, side by side.

hyperopt's ``tests/unit/test_domains.py`` (from the hyperopt 0.3.0 sdist, fetched with ``pip download``
into a temporary folder; nothing of it is committed) is imported twice: as it is, and with its import
lines rewritten to ``swifttune.hyperopt``. For each problem of hyperopt's ``test_anneal.py``
(``TestItAtLeastSortOfWorks``: its budgets and thresholds), both ``fmin(algo=anneal.suggest)`` run
over the same seeds; printed: how many seeds reach the threshold, the median best loss, and the time.

    make bench-anneal            # or: python bench/anneal_domains.py [SEEDS]
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python" / "tests"))
from test_hyperopt_own_tests import rewrite_imports  # noqa: E402

THRESHOLDS = dict(quadratic1=1e-5, q1_lognormal=0.01, distractor=-0.96, gauss_wave=-2.0, gauss_wave2=-2.0,
                  n_arms=-2.5, many_dists=0.0005, branin=0.7)
BUDGETS = dict(quadratic1=1000, many_dists=200, distractor=150, branin=200)  # 50 for the others


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(seeds: int) -> None:
    import hyperopt

    import swifttune.hyperopt as sh

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
                        "hyperopt==0.3.0", "-d", tmp], check=True)
        with tarfile.open(Path(tmp) / "hyperopt-0.3.0.tar.gz") as tar:
            source = tar.extractfile("hyperopt-0.3.0/hyperopt/tests/unit/test_domains.py").read().decode()
        (Path(tmp) / "theirs.py").write_text(source)
        (Path(tmp) / "ours.py").write_text(rewrite_imports(source))
        theirs, ours = load(Path(tmp) / "theirs.py", "theirs_domains"), load(Path(tmp) / "ours.py", "ours_domains")
    print(f"anneal.suggest on hyperopt's test problems, {seeds} seeds each (successes: best < threshold)")
    print(f"{'problem':14} {'budget':>6} {'threshold':>9} | {'hyperopt ok':>11} {'median':>10} | "
          f"{'swifttune ok':>12} {'median':>10}")
    totals = {"hyperopt": [0, 0.0], "swifttune": [0, 0.0]}
    for name, threshold in THRESHOLDS.items():
        row = []
        for label, domains, lib in (("hyperopt", theirs, hyperopt), ("swifttune", ours, sh)):
            domain = getattr(domains, name)()
            bests = []
            start = time.perf_counter()
            for seed in range(seeds):
                trials = lib.Trials()
                lib.fmin(lambda x: x, domain.expr, trials=trials, algo=lib.anneal.suggest,
                         max_evals=BUDGETS.get(name, 50), rstate=np.random.default_rng(seed), show_progressbar=False)
                bests.append(min(trials.losses()))
            totals[label][1] += time.perf_counter() - start
            ok = int(sum(b < threshold for b in bests))
            totals[label][0] += ok
            row += [ok, float(np.median(bests))]
        print(f"{name:14} {BUDGETS.get(name, 50):>6} {threshold:>9g} | {row[0]:>11} {row[1]:>10.4g} | "
              f"{row[2]:>12} {row[3]:>10.4g}")
    print(f"{'all':14} {'':>6} {'':>9} | {totals['hyperopt'][0]:>11} {'':>10} | {totals['swifttune'][0]:>12}")
    print(f"time: hyperopt {totals['hyperopt'][1]:.1f} s, swifttune {totals['swifttune'][1]:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
