"""Spaces built with hyperopt's own `hp` are converted to swifttune's, and 10,000 random draws of
each parameter follow the same distribution as 10,000 of hyperopt's own sampler (two-sample KS
test for numbers, chi-square for categories; p > 0.001)."""
import collections

import pytest

import swifttune.hyperopt as sh

hyperopt = pytest.importorskip("hyperopt", reason="make test installs hyperopt for these comparisons")
np = pytest.importorskip("numpy")
stats = pytest.importorskip("scipy.stats")
from hyperopt import hp  # noqa: E402
from hyperopt.pyll import scope  # noqa: E402
from hyperopt.pyll.stochastic import sample  # noqa: E402

pytestmark = pytest.mark.slow

N = 10_000

SPACE = {
    "uniform": hp.uniform("uniform", -2, 3),
    "quniform": hp.quniform("quniform", 0, 10, 2.5),
    "loguniform": hp.loguniform("loguniform", -3, 1),
    "qloguniform": hp.qloguniform("qloguniform", 0, 3, 2),
    "normal": hp.normal("normal", 4, 2),
    "qnormal": hp.qnormal("qnormal", 0, 10, 3),
    "lognormal": hp.lognormal("lognormal", -1, 0.5),
    "qlognormal": hp.qlognormal("qlognormal", 1, 0.7, 1),
    "randint": hp.randint("randint", 7),
    "randint2": hp.randint("randint2", 3, 9),
    "uniformint": hp.uniformint("uniformint", 1, 6),
    "int_quniform": scope.int(hp.quniform("int_quniform", 0, 8, 2)),
    "choice": hp.choice("choice", ["a", "b", "c"]),
    "pchoice": hp.pchoice("pchoice", [(0.1, "rare"), (0.6, "often"), (0.3, "some")]),
    "nested": hp.choice("nested", [
        {"kind": "relu", "mult": hp.uniform("mult", 1, 2)},
        {"kind": "deep", "layers": [hp.quniform("l1", 1, 9, 1), {"w": hp.lognormal("w", 0, 1)}]},
        "none",
    ]),
}
CATEGORICAL = {"randint", "randint2", "uniformint", "int_quniform", "choice", "pchoice"}


def flatten(config):
    """Every parameter's value by label (nested branch values under their labels)."""
    out = {k: config[k] for k in SPACE if k != "nested"}
    n = config["nested"]
    if isinstance(n, dict) and n["kind"] == "relu":
        out.update(nested="relu", mult=n["mult"])
    elif isinstance(n, dict):
        out.update(nested="deep", l1=n["layers"][0], w=n["layers"][1]["w"])
    else:
        out["nested"] = n
    return out


@pytest.fixture(scope="module")
def draws():
    rng = np.random.default_rng(2026)
    theirs = collections.defaultdict(list)
    for _ in range(N):
        for k, v in flatten(sample(SPACE, rng=rng)).items():
            theirs[k].append(v)
    trials = sh.Trials()
    configs = []
    sh.fmin(lambda c: configs.append(c) or 0.0, SPACE, algo=sh.rand.suggest, max_evals=N, trials=trials,
            rstate=np.random.default_rng(7), show_progressbar=False)
    ours = collections.defaultdict(list)
    for c in configs:
        for k, v in flatten(c).items():
            ours[k].append(v)
    return theirs, ours


@pytest.mark.parametrize("label", [k for k in SPACE if k != "nested"] + ["nested", "mult", "l1", "w"])
def test_same_distribution_as_hyperopt(draws, label):
    theirs, ours = draws
    a, b = theirs[label], ours[label]
    assert len(b) > 0.2 * N and abs(len(a) - len(b)) < 0.05 * N  # conditional labels: active about as often
    if label in CATEGORICAL or label == "nested":
        categories = sorted(set(map(str, a)) | set(map(str, b)))
        ca = collections.Counter(map(str, a))
        cb = collections.Counter(map(str, b))
        table = np.array([[ca[c] for c in categories], [cb[c] for c in categories]])
        p = stats.chi2_contingency(table)[1] if len(categories) > 1 else 1.0
    else:
        p = stats.ks_2samp(np.asarray(a, dtype=float), np.asarray(b, dtype=float)).pvalue
    assert p > 0.001, (label, p)


def test_a_pyll_node_without_counterpart_is_named():
    from hyperopt.pyll import scope as their_scope

    # an unlabelled random draw: only a labelled hp node can be one (expressions are test_hyperopt_expressions.py's)
    with pytest.raises(ValueError, match="the pyll node 'uniform' has no swifttune counterpart"):
        sh.fmin(lambda c: 0.0, {"x": their_scope.uniform(0, 1) + 1}, algo=sh.rand.suggest, max_evals=1,
                show_progressbar=False)


def test_hyperopt_space_in_HyperOptSearch(tmp_path):
    from swifttune import tune
    from swifttune.tune.search.hyperopt import HyperOptSearch

    space = {"activation": hp.choice("activation", [{"activation": "relu", "mult": hp.uniform("mult", 1, 2)},
                                                    {"activation": "tanh"}]),
             "width": hp.uniform("width", 0, 20)}

    def objective(config):
        tune.report({"loss": config["width"] * config["activation"].get("mult", 1)})

    results = tune.Tuner(objective, tune_config=tune.TuneConfig(
        metric="loss", mode="min", num_samples=12, search_alg=HyperOptSearch(space=space), executor="thread"),
        run_config=tune.RunConfig(storage_path=str(tmp_path), verbose=0)).fit()
    assert len(results) == 12 and results.num_terminated == 12
    for r in results:
        assert ("mult" in r.config["activation"]) == (r.config["activation"]["activation"] == "relu")
