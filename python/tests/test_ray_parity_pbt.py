"""Population Based Training decides as Ray's does: the same scheduler settings and trainables run
under real Ray Tune and under swifttune (imports swapped), one CPU so trials take turns, with
settings under which Ray's random draws cannot change anything (one trial in each quantile, so the
clone is the only top trial; no resampling, and both perturbation factors 2). Then every result
happens in the same order with the same values: which trial runs next (the least trained), which
trial each exploit clones, the checkpoint it resumes from (its iteration and score counted on from
the clone's), the explored configuration, and Ray's policy logs line for line. Asynchronous PBT
with function and class trainables, and synchronous PBT.

Needs `ray[tune]` in the test environment (`make test` installs it).
"""
import textwrap

import pytest

from ray_scripts import run_both

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SCRIPT = textwrap.dedent('''
import glob, json, os, sys, tempfile
{imports}

EVENTS = []


def number(trial_id):
    return int(trial_id.rsplit("_", 1)[-1])


class Log(tune.Callback):
    def on_trial_result(self, iteration, trials, trial, result, **info):
        EVENTS.append([number(trial.trial_id), result["training_iteration"], trial.config["lr"], result["score"],
                       result["step"]])


def save(d, score, step):
    with open(os.path.join(d, "c.json"), "w") as f:
        json.dump({{"score": score, "step": step}}, f)


def load(d):
    with open(os.path.join(d, "c.json")) as f:
        data = json.load(f)
    return data["score"], data["step"]


def function(config):
    """The score grows by lr each step; a checkpoint with every result."""
    score, step = 0.0, 0
    checkpoint = tune.get_checkpoint()
    if checkpoint:
        with checkpoint.as_directory() as d:
            score, step = load(d)
    while True:
        step += 1
        score += config["lr"]
        with tempfile.TemporaryDirectory() as d:
            save(d, score, step)
            tune.report({{"score": score, "step": step}}, checkpoint=tune.Checkpoint.from_directory(d))


class Growing(tune.Trainable):
    def setup(self, config):
        self.lr = config["lr"]
        self.score, self.count = 0.0, 0

    def step(self):
        self.count += 1
        self.score += self.lr
        return {{"score": self.score, "step": self.count}}

    def save_checkpoint(self, checkpoint_dir):
        save(checkpoint_dir, self.score, self.count)

    def load_checkpoint(self, checkpoint_dir):
        self.score, self.count = load(checkpoint_dir)


def policies(path):
    out = {{}}
    for f in sorted(glob.glob(os.path.join(path, "pbt_*.txt"))):
        name = os.path.basename(f)
        if name.startswith("pbt_policy_"):
            name = "pbt_policy_%d" % number(name[len("pbt_policy_"):-len(".txt")])
        with open(f) as fh:
            out[name] = [json.loads(line)[2:] for line in fh]  # (the tags are the trials' names)
    return out


def run(name, trainable, synch):
    EVENTS.clear()
    pbt = PopulationBasedTraining(time_attr="training_iteration", perturbation_interval=2,
                                  hyperparam_mutations={{"lr": tune.uniform(0.5, 5.0)}},
                                  resample_probability=0.0, perturbation_factors=(2.0, 2.0), synch=synch)
    tuner = tune.Tuner(trainable, param_space={{"lr": tune.grid_search([1.0, 2.0, 3.0, 4.0])}},
                       tune_config=tune.TuneConfig(metric="score", mode="max", scheduler=pbt),
                       run_config=tune.RunConfig(storage_path=sys.argv[1], name=name, verbose=0,
                                                 stop={{"training_iteration": 8}}, callbacks=[Log()]))
    grid = tuner.fit()
    finals = sorted([r.config["lr"], r.metrics["training_iteration"], r.metrics["score"]] for r in grid)
    return {{"events": EVENTS[:], "finals": finals, "logs": policies(os.path.join(sys.argv[1], name))}}


ray.init(num_cpus=1, configure_logging=False{ray_init_extra})
out = {{}}
out["function"] = run("function", function, False)
out["class"] = run("class", Growing, False)
out["synch"] = run("synch", function, True)
print("PARITY" + json.dumps(out))
''')

RAY = "import ray\nfrom ray import tune\nfrom ray.tune.schedulers import PopulationBasedTraining"
OURS = "import swifttune as ray\nfrom swifttune import tune\nfrom swifttune.tune.schedulers import PopulationBasedTraining"


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    return run_both(SCRIPT, RAY, OURS, tmp_path_factory.mktemp("parity_pbt"))


@pytest.mark.parametrize("scenario", ["function", "class", "synch"])
def test_pbt_exploits_and_explores_as_under_ray(both, scenario):
    """The same results in the same order (trial, iteration, lr, score, the trainable's own step),
    the same final trials, and the same policy logs (pbt_global.txt and each pbt_policy file)."""
    ray_out, ours = both
    assert ours[scenario]["events"] == ray_out[scenario]["events"]
    assert ours[scenario]["finals"] == ray_out[scenario]["finals"]
    assert ours[scenario]["logs"] == ray_out[scenario]["logs"]
    assert ray_out[scenario]["logs"], "the scenario must exploit"
