"""HyperBand decides as Ray's does: the same scheduler settings and trainables run under real Ray
Tune and under swifttune (imports swapped), one CPU so trials run one at a time, and every
result, pause, resume and stop happens in the same order: which trial runs next (Ray's
``choose_trial_to_run``: brackets by completion, halving survivors resumed from their
checkpoints, their iterations counted on from the checkpoint's), which trials a halving keeps (ties and NaN scores sorted as Python sorts them), the
PAUSED trials it stops, and trials that end early (a trainable's ``done``) leaving their bracket.

Needs `ray[tune]` in the test environment (`make test` installs it).
"""
import textwrap

import pytest

from ray_scripts import run_both

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent('''
import json, math, os, sys, tempfile
{imports}

EVENTS = []

# Scores by x and step: ties (x=2 and x=3), a NaN (x=5 from step 2), a trial that ends early (x=7).
def score(x, t):
    if x == 5 and t >= 2:
        return float("nan")
    if x in (2, 3):
        return 10.0 + t
    return (x * 37 % 11) + t * (x % 3)


class Log(tune.Callback):
    def on_trial_result(self, iteration, trials, trial, result, **info):
        EVENTS.append(["result", trial.config["x"], result["training_iteration"]])

    def on_trial_complete(self, iteration, trials, trial, **info):
        EVENTS.append(["complete", trial.config["x"], trial.last_result.get("training_iteration")])


class Counter(tune.Trainable):
    def setup(self, config):
        self.x = config["x"]
        self.t = 0

    def step(self):
        self.t += 1
        out = {{"score": score(self.x, self.t), "t": self.t}}
        if self.x == 7 and self.t == 2:
            out["done"] = True
        return out

    def save_checkpoint(self, checkpoint_dir):
        with open(os.path.join(checkpoint_dir, "c.json"), "w") as f:
            json.dump({{"t": self.t}}, f)

    def load_checkpoint(self, checkpoint_dir):
        with open(os.path.join(checkpoint_dir, "c.json")) as f:
            self.t = json.load(f)["t"]


def counting(config, every):
    """Reports t = 1, 2, ... (from its checkpoint's t when resumed), checkpointing every `every` steps."""
    t = 0
    checkpoint = tune.get_checkpoint()
    if checkpoint:
        with checkpoint.as_directory() as d:
            with open(os.path.join(d, "c.json")) as f:
                t = json.load(f)["t"]
    while t < 20:
        t += 1
        result = {{"loss": -score(config["x"], t), "t": t}}
        if t % every:
            tune.report(result)
            continue
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "c.json"), "w") as f:
                json.dump({{"t": t}}, f)
            tune.report(result, checkpoint=tune.Checkpoint.from_directory(d))


def function(config):
    counting(config, 1)


def sparse(config):
    """Checkpoints every third step only: a resumed trial reports the steps after it again."""
    counting(config, 3)


def run(name, trainable, xs, scheduler, mode, metric, stop):
    EVENTS.clear()
    tuner = tune.Tuner(trainable, param_space={{"x": tune.grid_search(xs)}},
                       tune_config=tune.TuneConfig(metric=metric, mode=mode, scheduler=scheduler),
                       run_config=tune.RunConfig(storage_path=sys.argv[1], name=name, verbose=0, stop=stop,
                                                 callbacks=[Log()]))
    grid = tuner.fit()
    finals = sorted([r.config["x"], r.metrics["training_iteration"], r.metrics["t"],
                     [int(i) for i in r.metrics_dataframe["training_iteration"]]] for r in grid)
    return {{"events": EVENTS[:], "finals": finals}}


ray.init(num_cpus=1, configure_logging=False{ray_init_extra})
out = {{}}
out["class"] = run("class", Counter, list(range(1, 13)), HyperBandScheduler(max_t=9, reduction_factor=3),
                   "max", "score", {{"training_iteration": 9}})
out["function"] = run("function", function, list(range(1, 9)),
                      HyperBandScheduler(max_t=8, reduction_factor=2, stop_last_trials=False),
                      "min", "loss", {{"training_iteration": 10}})
out["sparse"] = run("sparse", sparse, list(range(1, 10)), HyperBandScheduler(max_t=9, reduction_factor=3),
                    "min", "loss", {{"training_iteration": 12}})
print("PARITY" + json.dumps(out))
''')

RAY = "import ray\nfrom ray import tune\nfrom ray.tune.schedulers import HyperBandScheduler"
OURS = "import swifttune as ray\nfrom swifttune import tune\nfrom swifttune.tune.schedulers import HyperBandScheduler"


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    return run_both(SCRIPT, RAY, OURS, tmp_path_factory.mktemp("parity_hyperband"))


@pytest.mark.parametrize("scenario", ["class", "function", "sparse"])
def test_hyperband_runs_pauses_resumes_and_stops_as_under_ray(both, scenario):
    """The same results in the same order (so the same trials chosen to run and resumed), the same
    trials completed when they are, and every trial's end (its last iteration and how many results
    it left)."""
    ray_out, ours = both
    theirs = ray_out[scenario]["finals"]
    mine = ours[scenario]["finals"]
    assert [f[:3] for f in mine] == [f[:3] for f in theirs]
    for (x, _, _, my_rows), (_, _, _, their_rows) in zip(mine, theirs):
        # Each result a trial left, by training_iteration. Ray, resuming a paused trial, copies the trial's
        # result files back from the storage path (logger.py, _restore_from_remote), which its periodic
        # sync may not have reached when the machine is busy: rows written before the pause are then lost
        # (trial x=7 left iterations 5-10 only in one CI run, 1-3 and 5-10 in a local one). swifttune keeps every
        # row; where Ray lost some, the rows it kept must be ours with those left out, ending as ours do.
        if their_rows != my_rows:
            it = iter(my_rows)
            assert their_rows and their_rows[-1] == my_rows[-1] and all(r in it for r in their_rows), \
                (x, my_rows, their_rows)
    assert ours[scenario]["events"] == ray_out[scenario]["events"]
