"""Population Based Training on the toy problem of Ray's `pbt_function` example (the accuracy grows
fastest at a learning rate that follows a triangle wave of the accuracy itself; without PBT a fixed
lr does not converge), run by Ray Tune's PopulationBasedTraining and by swifttune's, side by side:
the same trainable, population, perturbation interval, mutations and budget, several seeds each.
Printed per framework: the best final accuracy of each run (the best trial's last result), their
median, and the wall time of each run.

    PYTHONPATH=python SWIFTTUNE_LIBRARY=.build/release/libswifttune.so python bench/pbt_toy.py [--seeds 5]
        [--population 4] [--iterations 150] [--no-ray]

Each run is its own process. Both frameworks get 2 CPUs (trials take turns, as in the example's
smoke test). The trainable draws its noise from `random` and numpy, seeded from the run's seed, the
trial's number and its restart count, so runs repeat.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

RUN = r'''
import json, os, random, sys, tempfile, time
import numpy as np
framework, seed, population, iterations, storage = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
if framework == "ray":
    import ray
    from ray import tune
    from ray.tune.schedulers import PopulationBasedTraining
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
else:
    import swifttune as ray
    from swifttune import tune
    from swifttune.tune.schedulers import PopulationBasedTraining
    ray.init(num_cpus=2)


def pbt_function(config):
    """Ray's pbt_function toy problem (its rules and constants), checkpointing every 5 steps."""
    lr = config["lr"]
    accuracy, step = 0.0, 1
    checkpoint = tune.get_checkpoint()
    if checkpoint:
        with checkpoint.as_directory() as d:
            with open(os.path.join(d, "checkpoint.json")) as f:
                saved = json.load(f)
        accuracy, step = saved["acc"], saved["step"] + 1
    rng = random.Random(config["seed"] * 1000003 + int(lr * 1e9) + step)
    nrng = np.random.default_rng(rng.getrandbits(32))
    midpoint, q_tolerance, noise_level = 100, 3, 2
    while True:
        if accuracy < midpoint:
            optimal_lr = 0.01 * accuracy / midpoint
        else:
            optimal_lr = 0.01 - 0.01 * (accuracy - midpoint) / midpoint
        optimal_lr = min(0.01, max(0.001, optimal_lr))
        q_err = max(lr, optimal_lr) / min(lr, optimal_lr)
        if q_err < q_tolerance:
            accuracy += (1.0 / q_err) * rng.random()
        elif lr > optimal_lr:
            accuracy -= (q_err - q_tolerance) * rng.random()
        accuracy += noise_level * nrng.normal()
        accuracy = max(0, accuracy)
        metrics = {"mean_accuracy": accuracy, "cur_lr": lr, "done": accuracy > midpoint * 2}
        if step % 5 == 0:
            with tempfile.TemporaryDirectory() as d:
                with open(os.path.join(d, "checkpoint.json"), "w") as f:
                    json.dump({"acc": accuracy, "step": step}, f)
                tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(d))
        else:
            tune.report(metrics)
        step += 1


random.seed(seed)
np.random.seed(seed)
pbt = PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=5,
                              hyperparam_mutations={"lr": tune.uniform(0.0001, 0.02), "some_other_factor": [1, 2]})
start = time.time()
tuner = tune.Tuner(pbt_function,
                   param_space={"lr": tune.uniform(0.0001, 0.02), "some_other_factor": 1, "seed": seed},
                   tune_config=tune.TuneConfig(scheduler=pbt, metric="mean_accuracy", mode="max", num_samples=population),
                   run_config=tune.RunConfig(name="pbt_toy", storage_path=storage, verbose=0,
                                             stop={"done": True, "training_iteration": iterations},
                                             checkpoint_config=tune.CheckpointConfig(num_to_keep=4)))
grid = tuner.fit()
wall = time.time() - start
best = max(r.metrics["mean_accuracy"] for r in grid)
print("RESULT" + json.dumps({"best": best, "wall": wall}))
'''


def run(framework: str, seed: int, population: int, iterations: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as storage:
        proc = subprocess.run([sys.executable, "-c", RUN, framework, str(seed), str(population), str(iterations), storage],
                              capture_output=True, text=True, env=dict(os.environ, PYTHONWARNINGS="ignore"), timeout=1800)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{framework} seed {seed} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT"):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--population", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=150)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    frameworks = ["swifttune"] if args.no_ray else ["swifttune", "ray"]
    results: dict[str, list[dict[str, float]]] = {f: [] for f in frameworks}
    for seed in range(args.seeds):
        for f in frameworks:  # alternating, so drift in the machine's speed hits both alike
            t = time.time()
            results[f].append(run(f, seed, args.population, args.iterations))
            print(f"  {f:9s} seed {seed}: best {results[f][-1]['best']:7.2f}  wall {results[f][-1]['wall']:6.2f} s "
                  f"(process {time.time() - t:5.1f} s)", flush=True)
    print(f"\nPBT on Ray's pbt_function toy problem: population {args.population}, {args.iterations} iterations at most "
          f"(or accuracy > 200), perturbation every 5, 2 CPUs, {args.seeds} seeds")
    print(f"{'framework':10s} {'median best':>12s} {'bests':>40s} {'median wall s':>14s}")
    for f in frameworks:
        bests = [r["best"] for r in results[f]]
        walls = [r["wall"] for r in results[f]]
        print(f"{f:10s} {statistics.median(bests):12.2f} {' '.join(f'{b:.1f}' for b in bests):>40s} "
              f"{statistics.median(walls):14.2f}")


if __name__ == "__main__":
    main()
