"""The seed tutorial, "Running Tune experiments with HyperOpt" (Ray 2.53), with only the imports
changed (`ray` -> `swifttune`, `hyperopt` -> `swifttune.hyperopt`).

By default it runs scaled down (100 samples, sleep 0.001 s per step) so that it takes a few
seconds; `--full` runs the tutorial's exact 1,000 samples x 100 steps x 0.1 s sleep;
`--scale S` multiplies the sleep (and `--num-samples N` sets the samples).
"""
import argparse
import time

import swifttune as ray
from swifttune import tune
from swifttune.tune.search import ConcurrencyLimiter
from swifttune.tune.search.hyperopt import HyperOptSearch
from swifttune.hyperopt import hp

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--full", action="store_true", help="the tutorial's own scale (1,000 samples, 0.1 s sleep)")
parser.add_argument("--scale", type=float, default=0.001, help="sleep multiplier (default 0.001)")
parser.add_argument("--num-samples", type=int, default=100, help="samples per experiment (default 100)")
parser.add_argument("--storage-path", default=None, help="where results go (default ~/swifttune_results)")
args = parser.parse_args()
SLEEP = 0.1 * (1.0 if args.full else args.scale)


def evaluate(step, width, height):
    time.sleep(SLEEP)
    return (0.1 + width * step / 100) ** (-1) + height * 0.1


def objective(config):
    for step in range(config["steps"]):
        score = evaluate(step, config["width"], config["height"])
        tune.report({"iterations": step, "mean_loss": score})


ray.init(configure_logging=False)

initial_params = [
    {"width": 1, "height": 2, "activation": "relu"},
    {"width": 4, "height": 2, "activation": "tanh"},
]
algo = HyperOptSearch(points_to_evaluate=initial_params)
algo = ConcurrencyLimiter(algo, max_concurrent=4)

num_samples = 1000 if args.full else args.num_samples

search_config = {
    "steps": 100,
    "width": tune.uniform(0, 20),
    "height": tune.uniform(-100, 100),
    "activation": tune.choice(["relu", "tanh"])
}

tuner = tune.Tuner(
    objective,
    tune_config=tune.TuneConfig(
        metric="mean_loss",
        mode="min",
        search_alg=algo,
        num_samples=num_samples,
    ),
    param_space=search_config,
    run_config=tune.RunConfig(storage_path=args.storage_path),
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
        [
            {"activation": "relu", "mult": hp.uniform("mult", 1, 2)},
            {"activation": "tanh"},
        ],
    ),
    "width": hp.uniform("width", 0, 20),
    "height": hp.uniform("height", -100, 100),
    "steps": 100,
}

algo = HyperOptSearch(space=conditional_space, metric="mean_loss", mode="min")
algo = ConcurrencyLimiter(algo, max_concurrent=4)

tuner = tune.Tuner(
    objective_two,
    tune_config=tune.TuneConfig(
        metric="mean_loss",
        mode="min",
        search_alg=algo,
        num_samples=num_samples,
    ),
    run_config=tune.RunConfig(storage_path=args.storage_path),
)
results = tuner.fit()

print("Best hyperparameters found were: ", results.get_best_result().config)
