"""The seed tutorial's first experiment (scaled down, with ASHA stopping the poor trials early),
then its plots and its report page: ``python examples/visualization_example.py [OUT]`` writes
OUT/plots/*.png and OUT/seed/report.html (OUT defaults to ./visualization_example)."""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from swifttune import tune
from swifttune.tune.schedulers import ASHAScheduler
from swifttune.tune.search import ConcurrencyLimiter
from swifttune.tune.search.hyperopt import HyperOptSearch
from swifttune.visualization import get_param_importances, save_plots
from swifttune.visualization.report import write_report


def evaluate(step, width, height):
    return (0.1 + width * step / 100) ** (-1) + height * 0.1


def objective(config):
    for step in range(config["steps"]):
        tune.report({"iterations": step, "mean_loss": evaluate(step, config["width"], config["height"])})


out = Path(sys.argv[1] if len(sys.argv) > 1 else "visualization_example")
results = tune.Tuner(
    objective,
    tune_config=tune.TuneConfig(metric="mean_loss", mode="min", num_samples=30,
                                search_alg=ConcurrencyLimiter(HyperOptSearch(random_state_seed=7), max_concurrent=4),
                                scheduler=ASHAScheduler(max_t=30, grace_period=3), executor="thread"),
    param_space={"steps": 30, "width": tune.uniform(0, 20), "height": tune.uniform(-100, 100),
                 "activation": tune.choice(["relu", "tanh"])},
    run_config=tune.RunConfig(storage_path=str(out.resolve()), name="seed", verbose=0),
).fit()
print("Best hyperparameters found were: ", results.get_best_result().config)
print("Parameter importances:", {k: round(v, 3) for k, v in get_param_importances(results).items()})
for name, written in save_plots(results, out / "plots").items():
    print(f"{name}: {written}")
print("report:", write_report(results.experiment_path))
