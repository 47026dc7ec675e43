"""The seed tutorial ("Running Tune experiments with HyperOpt", Ray 2.53) with only its imports swapped,
scaled down: 40 samples, 20 steps, no sleep."""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

SEED = Path("/work/shared/seed/000_b4ea04f5852fda6a.txt")
NUM_SAMPLES = 40
STEPS = 20


def _evaluate_ref(step, width, height, mult=1):
    return (0.1 + width * step / 100) ** (-1) + height * 0.1 * mult


def test_seed_tutorial_inline(tmp_path, monkeypatch, capsys):
    # ---- the tutorial, imports swapped (ray -> swifttune, hyperopt -> swifttune.hyperopt) ----
    import time

    import swifttune as ray
    from swifttune import tune
    from swifttune.hyperopt import hp
    from swifttune.tune.search import ConcurrencyLimiter
    from swifttune.tune.search.hyperopt import HyperOptSearch

    def evaluate(step, width, height):
        time.sleep(0)  # the tutorial sleeps 0.1 s
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

    num_samples = NUM_SAMPLES

    search_config = {
        "steps": STEPS,
        "width": tune.uniform(0, 20),
        "height": tune.uniform(-100, 100),
        "activation": tune.choice(["relu", "tanh"]),
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
    )
    results = tuner.fit()

    print("Best hyperparameters found were: ", results.get_best_result().config)

    # ---- checks on the first experiment ----
    assert len(results) == NUM_SAMPLES
    assert results.num_terminated == NUM_SAMPLES and results.num_errors == 0
    for i, point in enumerate(initial_params):
        assert results[i].config == {"steps": STEPS, **point}
    for r in results:
        c = r.config
        assert set(c) == {"steps", "width", "height", "activation"}
        assert 0 <= c["width"] < 20 and -100 <= c["height"] < 100
        assert c["activation"] in ("relu", "tanh")
        assert len(r.history) == STEPS
        assert r.metrics["iterations"] == STEPS - 1
        assert r.metrics["training_iteration"] == STEPS
        assert r.metrics["mean_loss"] == pytest.approx(_evaluate_ref(STEPS - 1, c["width"], c["height"]))
    best = results.get_best_result()
    assert set(best.config) == {"steps", "width", "height", "activation"}
    assert best.metrics["mean_loss"] == min(r.metrics["mean_loss"] for r in results)
    # the default storage path (~ is this test's tmp home)
    assert Path(results.experiment_path).is_relative_to(tmp_path / "home" / "swifttune_results")

    # ---- conditional search spaces ----
    def evaluation_fn(step, width, height, mult=1):
        return (0.1 + width * step / 100) ** (-1) + height * 0.1 * mult

    def objective_two(config):
        width, height = config["width"], config["height"]
        sub_dict = config["activation"]
        mult = sub_dict.get("mult", 1)

        for step in range(config["steps"]):
            intermediate_score = evaluation_fn(step, width, height, mult)
            tune.report({"iterations": step, "mean_loss": intermediate_score})
            time.sleep(0)  # the tutorial sleeps 0.1 s

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
        "steps": STEPS,
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
    )
    results = tuner.fit()

    print("Best hyperparameters found were: ", results.get_best_result().config)

    # ---- checks on the second experiment ----
    assert len(results) == NUM_SAMPLES
    assert results.num_terminated == NUM_SAMPLES
    branches = set()
    for r in results:
        c = r.config
        assert set(c) == {"activation", "width", "height", "steps"}
        assert c["steps"] == STEPS
        act = c["activation"]
        branches.add(act["activation"])
        if act["activation"] == "relu":
            assert set(act) == {"activation", "mult"}
            assert 1 <= act["mult"] < 2
        else:
            assert act == {"activation": "tanh"}, "`mult` must only be present in the relu branch"
        assert r.metrics["mean_loss"] == pytest.approx(
            evaluation_fn(STEPS - 1, c["width"], c["height"], act.get("mult", 1)))
    assert branches == {"relu", "tanh"}
    best = results.get_best_result()
    assert set(best.config) == {"activation", "width", "height", "steps"}
    assert best.metrics["mean_loss"] == min(r.metrics["mean_loss"] for r in results)
    # TPE should find something much better than the average random trial
    assert best.metrics["mean_loss"] < -5

    out = capsys.readouterr().out
    assert out.count("Best hyperparameters found were: ") == 2


def _tutorial_blocks(text: str) -> list[str]:
    blocks = re.findall(r"```\n(.*?)```", text, flags=re.S)
    code = []
    for b in blocks:
        if "!pip" in b:
            continue
        try:
            compile(b, "<tutorial>", "exec")
        except SyntaxError:  # outputs (pip logs, printed results)
            continue
        code.append(b)
    return code


SUBSTITUTIONS = [
    ("import ray\n", "import swifttune as ray\n"),
    ("from ray import tune", "from swifttune import tune"),
    ("from ray.tune.search import", "from swifttune.tune.search import"),
    ("from ray.tune.search.hyperopt import", "from swifttune.tune.search.hyperopt import"),
    ("from hyperopt import hp", "from swifttune.hyperopt import hp"),
    # scaling down (not API changes)
    ("num_samples = 1000", f"num_samples = {NUM_SAMPLES}"),
    ('"steps": 100', f'"steps": {STEPS}'),
    ("time.sleep(0.1)", "time.sleep(0)"),
]


@pytest.mark.skipif(not SEED.is_file(), reason="seed tutorial text not available")
def test_seed_tutorial_text_runs(capsys):
    """Runs the code cells of the tutorial text itself, with only imports (and scale) swapped."""
    source = "\n".join(_tutorial_blocks(SEED.read_text(encoding="utf-8")))
    for old, new in SUBSTITUTIONS:
        assert old in source, f"the tutorial no longer contains {old!r}"
        source = source.replace(old, new)
    assert "ray." not in source.replace("ray.init", "")  # nothing else of Ray is left

    ns: dict = {"__name__": "tutorial"}
    exec(compile(source, str(SEED), "exec"), ns)

    out = capsys.readouterr().out
    lines = [l for l in out.splitlines() if l.startswith("Best hyperparameters found were: ")]
    assert len(lines) == 2
    # the second experiment's best config is nested, the first is flat
    assert "'activation': {'activation':" in lines[1]
    assert "'activation': '" in lines[0]
    results = ns["results"]
    assert len(results) == NUM_SAMPLES
    assert all(math.isfinite(r.metrics["mean_loss"]) for r in results)
