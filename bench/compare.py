"""swifttune side by side with hyperopt, Optuna and Ray Tune, in one run (`make bench`).

    PYTHONPATH=python SWIFTTUNE_LIBRARY=.build/release/libswifttune.so \\
        .venv-bench/bin/python bench/compare.py [--out bench/results] [--quick]

Every measurement runs in a fresh subprocess (imports excluded from the timings; its peak RSS is
its own), one at a time, on the same machine. Five sections (`--sections cost,scaling,e2e,quality,quality8`;
a run of some of them keeps the others from results.json):

1. cost: total time of 1,000 sequential trials of a trivial objective, TPE, on 3-, 10- and
   30-parameter spaces (uniform, log, quantised, categorical, conditional); Ray Tune runs as many
   trials as fit in 90 s and its time is extrapolated to 1,000 (it takes over a second per trial).
   swifttune's Optuna-rule TPE runs two ways beside Optuna's own TPESampler with the same options
   (Optuna 5.0's defaults, multivariate=False, multivariate=True with group=True): OptunaSearch's
   standalone loop over a dict of Optuna distributions (3 parameters only: the other two spaces
   are conditional) and swifttune.optuna.TPESampler in an Optuna study; an Optuna study with
   RandomSampler gives the study's own cost.
2. scaling: the time of one TPE suggestion with 100, 1,000, 5,000 and 10,000 trials in the
   history (3 parameters). Histories are random trials added in one batch; the timed call is the
   library's own suggest. A library is skipped once this section has taken it 10 minutes. The
   process's peak RSS with the 10,000-trial history is the memory figure.
3. end-to-end: the seed tutorial's first experiment (bench/seed_overhead.py), without its
   sleep (100 trials x 100 reports) and with a short one (0.05 s, 40 trials x 10 steps),
   swifttune's two executors vs Ray Tune + HyperOptSearch.
4. quality: the best loss after 50, 100 and 200 evaluations over 20 seeds on Branin, Hartmann-3,
   a 10-parameter mixed space and the seed's conditional space: swifttune's TPE, hyperopt's TPE,
   Optuna's TPE, swifttune's Optuna-rule TPE (swifttune.optuna.TPESampler in an Optuna study) and
   random search (median and interquartile range).
5. quality8: the same problems with 8 trials running at once (simulated deterministically: a
   FIFO of 8 pending trials, the oldest evaluated and told, then one more asked), best loss after
   100 and 200 evaluations over 20 seeds: hyperopt's TPE (Ray-style: pending trials in its Trials),
   swifttune's HyperOptSearch without and with constant_liar=True, Optuna's TPESampler and
   swifttune.optuna.TPESampler with their constant liar, and random search.

It writes results.json, PNG plots and summary.md into --out, and prints the tables.
"""
from __future__ import annotations

import argparse
import collections
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import problems as P  # noqa: E402
import report  # noqa: E402

SEEDS = 20
BUDGETS = (50, 100, 200)
COST_TRIALS = 1000
SCALING_SIZES = (100, 1000, 5000, 10000)
SCALING_CAP_S = 600.0
RAY_COST_BUDGET_S = 90.0

QUALITY8_BUDGETS = (100, 200)
CONCURRENCY = 8

# A library's suffix "(univariate)" is TPESampler(multivariate=False), "(multivariate)"
# TPESampler(multivariate=True, group=True); none is TPESampler's defaults (Optuna 5.0: multivariate,
# not grouped, for one objective).
LIBRARIES_COST = ["swifttune", "swifttune Tuner", "hyperopt", "Optuna TPE", "Optuna TPE (univariate)",
                  "Optuna TPE (multivariate)", "swifttune OptunaSearch", "swifttune OptunaSearch (univariate)",
                  "swifttune OptunaSearch (multivariate)", "swifttune.optuna.TPESampler (Optuna study)",
                  "swifttune.optuna.TPESampler (univariate)", "swifttune.optuna.TPESampler (multivariate)",
                  "Optuna study, RandomSampler", "Ray Tune + HyperOptSearch", "Ray Tune + HyperOptSearch (reuse_actors)"]
LIBRARIES_SCALING = ["swifttune", "hyperopt", "Optuna TPE", "Optuna TPE (multivariate)", "Ray Tune + HyperOptSearch",
                     "swifttune.optuna.TPESampler", "swifttune OptunaSearch"]
LIBRARIES_QUALITY = ["swifttune TPE", "hyperopt TPE", "Optuna TPE", "swifttune Optuna TPE", "random search"]
LIBRARIES_QUALITY8 = ["hyperopt TPE", "swifttune hyperopt TPE", "swifttune hyperopt TPE (liar)", "Optuna TPE (liar)",
                      "swifttune Optuna TPE (liar)", "random search"]
ALL_SECTIONS = ("cost", "scaling", "e2e", "quality", "quality8")


# ---------------------------------------------------------------------------------------------
# Workers: each runs in its own process (python compare.py --task JSON) and prints one JSON line.


def _quiet() -> None:
    warnings.simplefilter("ignore")
    import logging

    logging.getLogger("optuna").setLevel(logging.WARNING)


def _tpe_options(library: str) -> dict[str, Any]:
    """TPESampler's options for a library's name (the same for Optuna's and swifttune's)."""
    if library.endswith("(multivariate)"):
        return {"multivariate": True, "group": True}
    if library.endswith("(univariate)"):
        return {"multivariate": False}
    return {}


def _optuna_sampler(library: str, seed: int) -> Any:
    """The sampler of an Optuna study: Optuna's TPESampler or RandomSampler, or
    swifttune.optuna.TPESampler for the "swifttune.optuna.TPESampler ..." rows."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if "RandomSampler" in library:
        return optuna.samplers.RandomSampler(seed=seed)
    if library.startswith("swifttune.optuna.TPESampler"):
        import swifttune.optuna

        return swifttune.optuna.TPESampler(seed=seed, **_tpe_options(library))
    return optuna.samplers.TPESampler(seed=seed, **_tpe_options(library))


def cost_only_3(library: str) -> bool:
    """Libraries run on the 3-parameter space only: Ray Tune (over a second per trial) and
    OptunaSearch's own search (a flat dict of Optuna distributions cannot hold the other spaces'
    conditional branch)."""
    return library.startswith("Ray") or library.startswith("swifttune OptunaSearch")


def task_cost(library: str, parameters: int, trials: int, seed: int) -> dict[str, Any]:
    """Seconds for `trials` sequential trials of the cheap loss, suggestion to result."""
    import numpy as np

    space_fn, optuna_fn = P.COST_SPACES[parameters]
    if library == "swifttune":
        from swifttune import hyperopt as sh

        start = time.perf_counter()
        sh.fmin(P.cheap_loss, space_fn(sh.hp), algo=sh.tpe.suggest, max_evals=trials,
                rstate=np.random.default_rng(seed), show_progressbar=False)
        return {"seconds": time.perf_counter() - start, "trials": trials}
    if library == "swifttune Tuner":
        from swifttune import tune
        from swifttune.hyperopt import hp
        from swifttune.tune.search import ConcurrencyLimiter
        from swifttune.tune.search.hyperopt import HyperOptSearch

        search = ConcurrencyLimiter(HyperOptSearch(space_fn(hp), metric="loss", mode="min", random_state_seed=seed), 1)
        with tempfile.TemporaryDirectory() as d:
            start = time.perf_counter()
            tune.Tuner(lambda config: {"loss": P.cheap_loss(config)},
                       tune_config=tune.TuneConfig(search_alg=search, num_samples=trials, executor="thread"),
                       run_config=tune.RunConfig(storage_path=d, verbose=0)).fit()
            return {"seconds": time.perf_counter() - start, "trials": trials}
    if library == "hyperopt":
        import hyperopt

        start = time.perf_counter()
        hyperopt.fmin(P.cheap_loss, space_fn(hyperopt.hp), algo=hyperopt.tpe.suggest, max_evals=trials,
                      rstate=np.random.default_rng(seed), show_progressbar=False)
        return {"seconds": time.perf_counter() - start, "trials": trials}
    if library.startswith("swifttune OptunaSearch"):
        # Ray's standalone searcher loop: suggest, then complete with the loss; the searcher is
        # Swift throughout (no Optuna study). The sampler only carries the options.
        import optuna
        from swifttune.tune.search.optuna import OptunaSearch

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        search = OptunaSearch(P.OPTUNA_DISTRIBUTIONS[parameters](), metric="loss", mode="min",
                              sampler=optuna.samplers.TPESampler(seed=seed, **_tpe_options(library)))
        start = time.perf_counter()
        for i in range(trials):
            trial_id = f"t{i}"
            config = search.suggest(trial_id)
            search.on_trial_complete(trial_id, {"loss": P.cheap_loss(config)})
        return {"seconds": time.perf_counter() - start, "trials": trials}
    if library.startswith("Optuna") or library.startswith("swifttune.optuna"):
        import optuna

        sampler = _optuna_sampler(library, seed)
        study = optuna.create_study(sampler=sampler)
        start = time.perf_counter()
        study.optimize(lambda t: P.cheap_loss(optuna_fn(t)), n_trials=trials)
        return {"seconds": time.perf_counter() - start, "trials": trials}
    if library.startswith("Ray Tune + HyperOptSearch"):
        os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
        import hyperopt
        import ray
        from ray import tune
        from ray.tune.search import ConcurrencyLimiter
        from ray.tune.search.hyperopt import HyperOptSearch

        ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
        search = ConcurrencyLimiter(HyperOptSearch(space_fn(hyperopt.hp), metric="loss", mode="min",
                                                   random_state_seed=seed), 1)
        with tempfile.TemporaryDirectory() as d:
            start = time.perf_counter()
            grid = tune.Tuner(lambda config: {"loss": P.cheap_loss(config)},
                              tune_config=tune.TuneConfig(search_alg=search, num_samples=trials,
                                                          time_budget_s=RAY_COST_BUDGET_S,
                                                          reuse_actors=library.endswith("(reuse_actors)")),
                              run_config=tune.RunConfig(storage_path=d, verbose=0)).fit()
            seconds = time.perf_counter() - start
        done = sum(1 for r in grid if r.metrics and "loss" in r.metrics)
        return {"seconds": seconds * trials / max(done, 1), "trials": done, "measured_seconds": seconds,
                "extrapolated": done < trials}
    raise ValueError(library)


def _random_history_hyperopt(hyperopt: Any, space: Any, n: int, seed: int) -> tuple[Any, Any]:
    """A hyperopt Trials with n random finished trials (rand.suggest's batch, inserted at once)."""
    import numpy as np

    domain = hyperopt.base.Domain(P.cheap_loss, space)
    trials = hyperopt.Trials()
    docs = hyperopt.rand.suggest(list(range(n)), domain, trials, np.random.default_rng(seed).integers(2 ** 31 - 1))
    for doc in docs:
        vals = {k: v[0] for k, v in doc["misc"]["vals"].items() if v}
        config = hyperopt.space_eval(space, vals)
        doc["state"] = hyperopt.JOB_STATE_DONE
        doc["result"] = {"loss": P.cheap_loss(config), "status": hyperopt.STATUS_OK}
    trials.insert_trial_docs(docs)
    trials.refresh()
    return trials, domain


def task_scaling(library: str, sizes: list[int], seed: int, repeats: int) -> dict[str, Any]:
    """Milliseconds per TPE suggestion at each history size (median of `repeats`), stopping once
    the task has run SCALING_CAP_S; the peak RSS at the end."""
    import numpy as np

    # The library's imports first: the memory figure is the peak, and the growth over this.
    if library == "swifttune":
        import swifttune.tune.search.hyperopt  # noqa: F401
    elif library == "hyperopt":
        import hyperopt  # noqa: F401
    elif library.startswith("Optuna") or library.startswith("swifttune.optuna"):
        import optuna  # noqa: F401
        import swifttune.optuna  # noqa: F401
    elif library == "swifttune OptunaSearch":
        import optuna  # noqa: F401
        import swifttune.tune.search.optuna  # noqa: F401
    else:
        import hyperopt  # noqa: F401, F811
        import ray.tune.search.hyperopt  # noqa: F401
    begin = time.perf_counter()
    rss_start = _status_mb("VmHWM")
    out: dict[str, Any] = {"ms": {}, "skipped": []}
    space_fn, optuna_fn = P.COST_SPACES[3]
    for n in sizes:
        if time.perf_counter() - begin > SCALING_CAP_S:
            out["skipped"].append(n)
            continue
        times: list[float] = []
        if library == "swifttune":
            from swifttune.hyperopt import hp
            from swifttune.tune.search.hyperopt import HyperOptSearch

            s = HyperOptSearch(space_fn(hp), metric="loss", mode="min", random_state_seed=seed, n_initial_points=n)
            for i in range(n):
                c = s.suggest(f"h{i}")
                s.on_trial_complete(f"h{i}", {"loss": P.cheap_loss(c)})
            for i in range(repeats):
                t0 = time.perf_counter()
                s.suggest(f"x{i}")
                times.append(time.perf_counter() - t0)
                s.on_trial_complete(f"x{i}", None, error=True)  # left out: the history stays n
        elif library == "hyperopt":
            import hyperopt

            trials, domain = _random_history_hyperopt(hyperopt, space_fn(hyperopt.hp), n, seed)
            for i in range(repeats):
                t0 = time.perf_counter()
                hyperopt.tpe.suggest([n + i], domain, trials, seed + i)  # not inserted: the history stays n
                times.append(time.perf_counter() - t0)
        elif library == "swifttune OptunaSearch":
            # n random trials first (n_startup_trials = n), then the TPE suggestion is timed.
            import optuna
            from swifttune.tune.search.optuna import OptunaSearch

            s = OptunaSearch(P.OPTUNA_DISTRIBUTIONS[3](), metric="loss", mode="min",
                             sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=n))
            for i in range(n):
                c = s.suggest(f"h{i}")
                s.on_trial_complete(f"h{i}", {"loss": P.cheap_loss(c)})
            for i in range(repeats):
                t0 = time.perf_counter()
                s.suggest(f"x{i}")
                times.append(time.perf_counter() - t0)
                s.on_trial_complete(f"x{i}", None, error=True)  # failed: the history stays n
        elif library.startswith("Optuna") or library.startswith("swifttune.optuna"):
            import optuna

            optuna.logging.set_verbosity(optuna.logging.WARNING)
            study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
            study.optimize(lambda t: P.cheap_loss(optuna_fn(t)), n_trials=n)
            study.sampler = _optuna_sampler(library, seed)
            for _ in range(repeats):
                t0 = time.perf_counter()
                trial = study.ask()
                optuna_fn(trial)
                times.append(time.perf_counter() - t0)
                study.tell(trial, state=optuna.trial.TrialState.FAIL)  # TPE ignores failed trials
        elif library == "Ray Tune + HyperOptSearch":
            import hyperopt
            from ray.tune.search.hyperopt import HyperOptSearch as RayHyperOptSearch

            space = space_fn(hyperopt.hp)
            s = RayHyperOptSearch(space, metric="loss", mode="min", random_state_seed=seed)
            # Ray's searcher keeps a hyperopt Trials: the random history goes into it in one batch.
            trials, _ = _random_history_hyperopt(hyperopt, space, n, seed)
            s._hpopt_trials = trials
            for i in range(repeats):
                t0 = time.perf_counter()
                s.suggest(f"x{i}")
                times.append(time.perf_counter() - t0)
                s.on_trial_complete(f"x{i}", None, error=True)
        else:
            raise ValueError(library)
        out["ms"][str(n)] = float(np.median(times) * 1000)
        out.setdefault("all_ms", {})[str(n)] = [t * 1000 for t in times]
    out["peak_rss_mb"] = _status_mb("VmHWM")
    out["start_rss_mb"] = rss_start
    out["seconds"] = time.perf_counter() - begin
    return out


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmHWM: peak RSS since exec;
    getrusage's ru_maxrss would include the forking parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def task_e2e(framework: str, executor: Optional[str], trials: int, steps: int, sleep: float) -> dict[str, Any]:
    import seed_overhead

    with tempfile.TemporaryDirectory() as d:
        seconds = seed_overhead.run(framework, executor, trials, steps, sleep, d)
    return {"seconds": seconds}


def task_quality(library: str, problem: str, seeds: int, evaluations: int) -> dict[str, Any]:
    """Best-so-far loss after each evaluation, per seed."""
    import numpy as np

    space_fn, optuna_fn, objective, _ = P.QUALITY[problem]
    curves: list[list[float]] = []
    for seed in range(seeds):
        losses: list[float] = []
        if library in ("swifttune TPE", "random search", "hyperopt TPE"):
            if library == "hyperopt TPE":
                import hyperopt as h
            else:
                from swifttune import hyperopt as h  # type: ignore[no-redef]
            trials = h.Trials()
            algo = h.rand.suggest if library == "random search" else h.tpe.suggest
            h.fmin(objective, space_fn(h.hp), algo=algo, max_evals=evaluations, trials=trials,
                   rstate=np.random.default_rng(seed), show_progressbar=False)
            losses = [float(x) for x in trials.losses()]
        elif library in ("Optuna TPE", "swifttune Optuna TPE"):
            import optuna

            optuna.logging.set_verbosity(optuna.logging.WARNING)
            if library == "Optuna TPE":
                sampler = optuna.samplers.TPESampler(seed=seed)
            else:
                import swifttune.optuna

                sampler = swifttune.optuna.TPESampler(seed=seed)
            study = optuna.create_study(sampler=sampler)
            study.optimize(lambda t: objective(optuna_fn(t)), n_trials=evaluations)
            losses = [float(t.value) for t in study.trials]
        else:
            raise ValueError(library)
        curves.append([float(v) for v in np.minimum.accumulate(np.array(losses))])
    return {"curves": curves}


def _fifo(ask: Callable[[int], tuple[Any, Any]], tell: Callable[[Any, float], None], objective: Callable[[Any], float],
          evaluations: int, concurrency: int) -> list[float]:
    """`concurrency` trials pending at once, simulated without threads: ask `concurrency`
    trials, then repeatedly evaluate the oldest pending one, tell its loss and ask a new one,
    until `evaluations` were asked; then the rest are told in order. The losses, in the order
    told (= asked)."""
    pending: collections.deque[tuple[Any, Any]] = collections.deque()
    asked = 0
    while asked < min(concurrency, evaluations):
        pending.append(ask(asked))
        asked += 1
    losses: list[float] = []
    while pending:
        handle, config = pending.popleft()
        loss = float(objective(config))
        tell(handle, loss)
        losses.append(loss)
        if asked < evaluations:
            pending.append(ask(asked))
            asked += 1
    return losses


def task_quality8(library: str, problem: str, seeds: int, evaluations: int, concurrency: int) -> dict[str, Any]:
    """Best-so-far loss after each evaluation, per seed, with `concurrency` trials pending."""
    import numpy as np

    space_fn, optuna_fn, objective, _ = P.QUALITY[problem]
    curves: list[list[float]] = []
    for seed in range(seeds):
        ask: Callable[[int], tuple[Any, Any]]
        tell: Callable[[Any, float], None]
        if library == "random search":
            # Random draws do not depend on the history: the same as the sequential section's.
            from swifttune import hyperopt as sh

            trials = sh.Trials()
            sh.fmin(objective, space_fn(sh.hp), algo=sh.rand.suggest, max_evals=evaluations, trials=trials,
                    rstate=np.random.default_rng(seed), show_progressbar=False)
            losses = [float(x) for x in trials.losses()]
        else:
            if library == "hyperopt TPE":
                ask, tell = _hyperopt_pending(space_fn, objective, seed)
            elif library.startswith("swifttune hyperopt TPE"):
                from swifttune.hyperopt import hp
                from swifttune.tune.search.hyperopt import HyperOptSearch

                extra = {"constant_liar": True} if library.endswith("(liar)") else {}
                search = HyperOptSearch(space_fn(hp), metric="loss", mode="min", random_state_seed=seed, **extra)

                def ask(i: int, search: Any = search) -> tuple[Any, Any]:
                    return f"t{i}", search.suggest(f"t{i}")

                def tell(trial_id: Any, loss: float, search: Any = search) -> None:
                    search.on_trial_complete(trial_id, {"loss": loss})
            elif library in ("Optuna TPE (liar)", "swifttune Optuna TPE (liar)"):
                import optuna

                optuna.logging.set_verbosity(optuna.logging.WARNING)
                if library == "Optuna TPE (liar)":
                    sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=True)
                else:
                    import swifttune.optuna

                    sampler = swifttune.optuna.TPESampler(seed=seed, constant_liar=True)
                study = optuna.create_study(sampler=sampler)

                def ask(i: int, study: Any = study) -> tuple[Any, Any]:
                    trial = study.ask()
                    return trial, optuna_fn(trial)  # the define-by-run calls draw the parameters now

                def tell(trial: Any, loss: float, study: Any = study) -> None:
                    study.tell(trial, loss)
            else:
                raise ValueError(library)
            losses = _fifo(ask, tell, objective, evaluations, concurrency)
        curves.append([float(v) for v in np.minimum.accumulate(np.array(losses))])
    return {"curves": curves}


def _hyperopt_pending(space_fn: Callable[[Any], Any], objective: Callable[[Any], float],
                      seed: int) -> tuple[Callable[[int], tuple[Any, Any]], Callable[[Any, float], None]]:
    """hyperopt's own tpe.suggest with pending trials, as Ray's HyperOptSearch drives it: each
    new trial is suggested from the Trials holding every earlier one, the pending ones as
    JOB_STATE_NEW documents without a loss (tpe.suggest counts them, at loss +inf); a told trial
    becomes JOB_STATE_DONE with its loss. Seeds come from numpy's default_rng(seed), as fmin's."""
    import hyperopt
    import numpy as np

    space = space_fn(hyperopt.hp)
    domain = hyperopt.base.Domain(objective, space)
    trials = hyperopt.Trials()
    rng = np.random.default_rng(seed)

    def ask(i: int) -> tuple[Any, Any]:
        new_ids = trials.new_trial_ids(1)
        trials.refresh()
        docs = hyperopt.tpe.suggest(new_ids, domain, trials, int(rng.integers(2 ** 31 - 1)))
        trials.insert_trial_docs(docs)
        trials.refresh()
        doc = next(d for d in trials._dynamic_trials if d["tid"] == new_ids[0])
        vals = {k: v[0] for k, v in doc["misc"]["vals"].items() if v}
        return doc, hyperopt.space_eval(space, vals)

    def tell(doc: Any, loss: float) -> None:
        doc["state"] = hyperopt.JOB_STATE_DONE
        doc["result"] = {"loss": loss, "status": hyperopt.STATUS_OK}
        trials.refresh()

    return ask, tell


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "cost": task_cost, "scaling": task_scaling, "e2e": task_e2e, "quality": task_quality, "quality8": task_quality8,
}


def worker(task: dict[str, Any]) -> None:
    _quiet()
    kind = task.pop("kind")
    result = TASKS[kind](**task)
    print("RESULT " + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------------
# The driver.


def run_task(task: dict[str, Any], timeout: float, log: Callable[[str], None]) -> Optional[dict[str, Any]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE)] + [p for p in sys.path if p])
    try:
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--task", json.dumps(task)],
                              capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        log(f"    timed out after {timeout:.0f} s: {task}")
        return None
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    log(f"    failed ({proc.returncode}): {task}\n{proc.stderr[-2000:]}")
    return None


def run_parallel(tasks: list[dict[str, Any]], timeout: float, jobs: int,
                 log: Callable[[str], None]) -> list[Optional[dict[str, Any]]]:
    """For the quality section only (nothing there is timed): `jobs` tasks at once."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda t: run_task(t, timeout, log), tasks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument("--quick", action="store_true", help="a few trials per workload, to check the script")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--sections", default=",".join(ALL_SECTIONS))
    args = parser.parse_args()
    if args.task:
        worker(json.loads(args.task))
        return

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sections = set(args.sections.split(","))
    unknown = sections - set(ALL_SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; known: {', '.join(ALL_SECTIONS)}")
    quick = args.quick
    lines: list[str] = []

    def log(s: str) -> None:
        print(s, flush=True)

    started = time.time()
    versions = _versions()
    results: dict[str, Any] = {"machine": _machine(), "versions": versions, "quick": quick}
    section_seconds: dict[str, float] = {}
    section_started = time.time()

    def section_done(name: str) -> None:
        nonlocal section_started
        section_seconds[name] = time.time() - section_started
        section_started = time.time()

    log(f"compare.py on {results['machine']}; {', '.join(f'{k} {v}' for k, v in versions.items())}")

    # 1. cost
    if "cost" in sections:
        log("\n1. cost: 1,000 sequential trials, trivial objective")
        n = 40 if quick else COST_TRIALS
        cost: dict[str, dict[str, Any]] = {}
        for parameters in (3, 10, 30):
            for library in LIBRARIES_COST:
                if cost_only_3(library) and parameters != 3:
                    continue
                r = run_task({"kind": "cost", "library": library, "parameters": parameters, "trials": n, "seed": 0},
                             timeout=1800, log=log)
                cost.setdefault(library, {})[str(parameters)] = r
                if r:
                    note = f" ({r['trials']} trials in {r['measured_seconds']:.0f} s, extrapolated)" if r.get("extrapolated") else ""
                    log(f"  {parameters:2d} parameters  {library:44s} {report.seconds_text(r['seconds'])}{note}")
        results["cost"] = cost
        log("  Optuna-rule TPE, Optuna's own TPESampler's time over swifttune's (target: 30x or more):")
        for line in report.optuna_cost_ratios(cost):
            log("    " + line)
        section_done("cost")

    # 2. scaling
    if "scaling" in sections:
        log("\n2. scaling: one TPE suggestion vs history size (3 parameters)")
        sizes = [20, 50] if quick else list(SCALING_SIZES)
        scaling: dict[str, Any] = {}
        for library in LIBRARIES_SCALING:
            r = run_task({"kind": "scaling", "library": library, "sizes": sizes, "seed": 0,
                          "repeats": 3 if quick else 7}, timeout=SCALING_CAP_S + 900, log=log)
            scaling[library] = r
            if r:
                cells = ", ".join(f"{n}: {report.ms_text(r['ms'].get(str(n)))}" for n in sizes)
                log(f"  {library:32s} {cells}; peak RSS {r['peak_rss_mb']:.0f} MB "
                    f"(+{r['peak_rss_mb'] - r['start_rss_mb']:.0f} MB over its imports)"
                    + (f"; skipped {r['skipped']} after 10 minutes" if r["skipped"] else ""))
        results["scaling"] = {"sizes": sizes, "libraries": scaling}
        section_done("scaling")

    # 3. end-to-end
    if "e2e" in sections:
        log("\n3. end-to-end: the seed tutorial's first experiment")
        workloads = [("no sleep", 100, 100, 0.0), ("sleep 0.05 s", 40, 10, 0.05)]
        if quick:
            workloads = [("no sleep", 8, 10, 0.0), ("sleep 0.05 s", 4, 4, 0.05)]
        e2e: dict[str, dict[str, Any]] = {}
        for label, trials, steps, sleep in workloads:
            for name, framework, executor in (("swifttune (thread)", "swifttune", "thread"),
                                              ("swifttune (process)", "swifttune", "process"),
                                              ("Ray Tune + HyperOptSearch", "ray", None)):
                r = run_task({"kind": "e2e", "framework": framework, "executor": executor, "trials": trials,
                              "steps": steps, "sleep": sleep}, timeout=1800, log=log)
                e2e.setdefault(name, {})[label] = r["seconds"] if r else None
                log(f"  {label:14s} {name:28s} {report.seconds_text(r['seconds'] if r else None)}")
        results["e2e"] = {"workloads": [{"label": w[0], "trials": w[1], "steps": w[2], "sleep": w[3]} for w in workloads],
                          "seconds": e2e}
        section_done("e2e")

    # 4. quality
    if "quality" in sections:
        log(f"\n4. quality: best loss after {', '.join(map(str, BUDGETS))} evaluations, {SEEDS} seeds")
        seeds, evaluations = (3, 30) if quick else (SEEDS, max(BUDGETS))
        budgets = [10, 20, 30] if quick else list(BUDGETS)
        tasks = [{"kind": "quality", "library": lib, "problem": prob, "seeds": seeds, "evaluations": evaluations}
                 for prob in P.QUALITY for lib in LIBRARIES_QUALITY]
        got = run_parallel(tasks, timeout=1800, jobs=2, log=log)
        quality: dict[str, dict[str, Any]] = {}
        for t, r in zip(tasks, got):
            quality.setdefault(t["problem"], {})[t["library"]] = r["curves"] if r else None
        results["quality"] = {"seeds": seeds, "evaluations": evaluations, "budgets": budgets, "curves": quality}
        _log_quality(results["quality"], log)
        log("  swifttune Optuna TPE's median within Optuna TPE's interquartile range, or better:")
        for check in report.iqr_checks(results["quality"], "swifttune Optuna TPE", "Optuna TPE"):
            log("    " + check["text"])
        section_done("quality")

    # 5. quality with 8 concurrent trials
    if "quality8" in sections:
        seeds, evaluations = (3, 40) if quick else (SEEDS, max(QUALITY8_BUDGETS))
        budgets = [20, 40] if quick else list(QUALITY8_BUDGETS)
        log(f"\n5. quality8: best loss after {', '.join(map(str, budgets))} evaluations, {CONCURRENCY} trials "
            f"pending, {seeds} seeds")
        tasks = [{"kind": "quality8", "library": lib, "problem": prob, "seeds": seeds, "evaluations": evaluations,
                  "concurrency": CONCURRENCY} for prob in P.QUALITY for lib in LIBRARIES_QUALITY8]
        got = run_parallel(tasks, timeout=3600, jobs=2, log=log)
        quality8: dict[str, dict[str, Any]] = {}
        for t, r in zip(tasks, got):
            quality8.setdefault(t["problem"], {})[t["library"]] = r["curves"] if r else None
        results["quality8"] = {"seeds": seeds, "evaluations": evaluations, "budgets": budgets,
                               "concurrency": CONCURRENCY, "curves": quality8}
        _log_quality(results["quality8"], log)
        log("  with the liar, swifttune's Optuna-rule TPE within Optuna's (with its liar) interquartile range, or better:")
        for check in report.iqr_checks(results["quality8"], "swifttune Optuna TPE (liar)", "Optuna TPE (liar)"):
            log("    " + check["text"])
        log("  swifttune's hyperopt TPE with the liar: a lower median than without it:")
        for check in report.lower_median_checks(results["quality8"], "swifttune hyperopt TPE (liar)",
                                                "swifttune hyperopt TPE"):
            log("    " + check["text"])
        section_done("quality8")

    results["seconds"] = time.time() - started
    today = time.strftime("%Y-%m-%d")
    results["sections"] = {k: {"seconds": v, "date": today, "quick": quick, "machine": results["machine"]}
                           for k, v in section_seconds.items()}
    previous = out / "results.json"
    if previous.exists() and sections != set(ALL_SECTIONS):
        # A partial run keeps the other sections of the last run that had them.
        old = json.loads(previous.read_text())
        for k in ALL_SECTIONS:
            if k not in results and k in old:
                results[k] = old[k]
                # Where it ran: recorded per section since the Optuna-rule rows; older files
                # have only the whole file's machine, which a partial run may have overwritten.
                results["sections"][k] = old.get("sections", {}).get(k, {"seconds": None, "date": None, "machine": None})
    (out / "results.json").write_text(json.dumps(_rounded(results)) + "\n")
    report.write(results, out)
    log(f"\nwrote {out}/results.json, {out}/summary.md and the plots in {time.time() - started:.0f} s")


def _log_quality(quality: dict[str, Any], log: Callable[[str], None]) -> None:
    for prob, libs in quality["curves"].items():
        for lib, curves in libs.items():
            if curves:
                cells = []
                for b in quality["budgets"]:
                    if b <= quality["evaluations"]:
                        q1, med, q3 = report.quartiles([c[b - 1] for c in curves])
                        cells.append(f"{b}: {med:.4g} [{q1:.4g}, {q3:.4g}]")
                log(f"  {prob:20s} {lib:30s} " + "; ".join(cells))
            else:
                log(f"  {prob:20s} {lib:30s} failed")


def _rounded(value: Any) -> Any:
    """Floats to 7 significant digits: results.json stays small (the quality curves are 64,000 numbers)."""
    if isinstance(value, float):
        return float(f"{value:.7g}") if math.isfinite(value) else value
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("swifttune", "hyperopt", "optuna", "ray", "numpy"):
        try:
            mod = __import__(name)
            out[name] = getattr(mod, "__version__", "?")
        except ImportError:
            out[name] = "not installed"
    return out


def _machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu})"


if __name__ == "__main__":
    main()
