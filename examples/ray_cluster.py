"""The seed tutorial, "Running Tune experiments with HyperOpt" (Ray 2.53), on Ray Tune itself,
with Ray's HyperOptSearch replaced by swifttune's SwiftTPESearch: Ray runs and places the trials
(on this machine or across a Ray cluster), swifttune's Swift TPE decides what to try.

    python examples/ray_cluster.py                          # a local Ray instance
    python examples/ray_cluster.py --address auto           # the Ray cluster this machine belongs to
    python examples/ray_cluster.py --address ray://head:10001   # a remote cluster, via Ray Client

A cluster: `ray start --head` on one machine, `ray start --address=HEAD_IP:6379` on the others,
then this script on any of them with `--address auto`. Every node needs swifttune installed (the
searcher runs in the driver, but Ray unpickles the Tuner's settings where it runs them).

By default it runs scaled down (40 samples, 10 steps, no sleep); `--full` runs the tutorial's
1,000 samples x 100 steps x 0.1 s sleep.
"""
import argparse
import time

import ray
from ray import tune
from ray.tune.search import ConcurrencyLimiter

from swifttune.hyperopt import hp
from swifttune.integrations.ray import SwiftTPESearch

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--address", default=None, help="a Ray cluster's address (default: start Ray here)")
parser.add_argument("--full", action="store_true", help="the tutorial's own scale")
parser.add_argument("--num-samples", type=int, default=40)
parser.add_argument("--steps", type=int, default=10)
parser.add_argument("--storage-path", default=None, help="where results go (default ~/ray_results)")
args = parser.parse_args()
SLEEP = 0.1 if args.full else 0.0
STEPS = 100 if args.full else args.steps
num_samples = 1000 if args.full else args.num_samples


def evaluate(step, width, height):
    time.sleep(SLEEP)
    return (0.1 + width * step / 100) ** (-1) + height * 0.1


def objective(config):
    for step in range(config["steps"]):
        score = evaluate(step, config["width"], config["height"])
        tune.report({"iterations": step, "mean_loss": score})


ray.init(address=args.address, configure_logging=False)

initial_params = [
    {"width": 1, "height": 2, "activation": "relu"},
    {"width": 4, "height": 2, "activation": "tanh"},
]
algo = SwiftTPESearch(points_to_evaluate=initial_params)  # was: HyperOptSearch(points_to_evaluate=...)
algo = ConcurrencyLimiter(algo, max_concurrent=4)

search_config = {
    "steps": STEPS,
    "width": tune.uniform(0, 20),
    "height": tune.uniform(-100, 100),
    "activation": tune.choice(["relu", "tanh"]),
}

tuner = tune.Tuner(
    objective,
    tune_config=tune.TuneConfig(metric="mean_loss", mode="min", search_alg=algo, num_samples=num_samples),
    param_space=search_config,
    run_config=tune.RunConfig(storage_path=args.storage_path, verbose=1),
)
results = tuner.fit()
print("Best hyperparameters found were: ", results.get_best_result().config)


def evaluation_fn(step, width, height, mult=1):
    return (0.1 + width * step / 100) ** (-1) + height * 0.1 * mult


def objective_two(config):
    width, height = config["width"], config["height"]
    sub_dict = config["activation"]
    mult = sub_dict.get("mult", 1)
    for step in range(config["steps"]):
        intermediate_score = evaluation_fn(step, width, height, mult)
        tune.report({"iterations": step, "mean_loss": intermediate_score})
        time.sleep(SLEEP)


conditional_space = {
    "activation": hp.choice(
        "activation",
        [{"activation": "relu", "mult": hp.uniform("mult", 1, 2)}, {"activation": "tanh"}],
    ),
    "width": hp.uniform("width", 0, 20),
    "height": hp.uniform("height", -100, 100),
    "steps": STEPS,
}

algo = SwiftTPESearch(space=conditional_space, metric="mean_loss", mode="min")  # hyperopt's hp works as before
algo = ConcurrencyLimiter(algo, max_concurrent=4)
tuner = tune.Tuner(
    objective_two,
    tune_config=tune.TuneConfig(metric="mean_loss", mode="min", search_alg=algo, num_samples=num_samples),
    run_config=tune.RunConfig(storage_path=args.storage_path, verbose=1),
)
results = tuner.fit()
print("Best hyperparameters found were: ", results.get_best_result().config)
