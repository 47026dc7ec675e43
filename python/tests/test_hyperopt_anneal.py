"""swifttune's annealing (`swifttune.hyperopt.anneal.suggest`, Swift's AnnealSearch) against
hyperopt's own `anneal.suggest`, side by side: from one fixed history (hyperopt's trials, with a
failed one and conditional parameters), the next suggestion's values follow the same
distribution per label (KS for numbers, chi-square for categories, p > 0.001, 3,000 draws each);
and on hyperopt's test problems the best losses reached are hyperopt's."""
import collections
import functools
import json

import pytest

import swifttune.hyperopt as sh
from swifttune._lib import OUTCOME_COMPLETED, OUTCOME_NO_METRIC, SearcherHandle, SwiftTuneError, dumps, lib
from swifttune._space import space_document
from swifttune.hyperopt._convert import from_pyll

hyperopt = pytest.importorskip("hyperopt", reason="make test installs hyperopt for these comparisons")
np = pytest.importorskip("numpy")
stats = pytest.importorskip("scipy.stats")
import hyperopt.anneal  # noqa: E402
from hyperopt import hp  # noqa: E402
from hyperopt.fmin import generate_trials_to_calculate  # noqa: E402

pytestmark = pytest.mark.slow

N = 3000

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
    "choice": hp.choice("choice", ["a", "b", "c"]),
    "pchoice": hp.pchoice("pchoice", [(0.1, "rare"), (0.6, "often"), (0.3, "some")]),
    "nested": hp.choice("nested", [
        {"kind": "relu", "mult": hp.uniform("mult", 1, 2)},
        {"kind": "deep", "l1": hp.quniform("l1", 1, 9, 1), "w": hp.lognormal("w", 0, 1)},
        "none",
    ]),
}
CATEGORICAL = {"randint", "randint2", "uniformint", "choice", "pchoice", "nested", "l1", "quniform", "qloguniform",
               "qnormal", "qlognormal"}
LABELS = [k for k in SPACE] + ["mult", "l1", "w"]


def objective(config):
    """A deterministic loss of the configuration; one region fails."""
    if config["choice"] == "c" or config["randint"] > 5:
        return {"status": hyperopt.STATUS_FAIL}
    return {"loss": (config["uniform"] - 1) ** 2 + abs(config["normal"] - 4) + config["randint"] / 7,
            "status": hyperopt.STATUS_OK}


@pytest.fixture(scope="module")
def history():
    """Twelve trials of swifttune's random search, evaluated (a failure among them): swifttune's saved
    state of them, and hyperopt's Trials of the same assignments, evaluated by hyperopt's fmin."""
    refs = []
    space = from_pyll(SPACE)
    spec = {"algorithm": "random", "space": space_document(space, refs), "mode": "min", "seed": 5}
    searcher = SearcherHandle(lib.call_handle("st_searcher_new", dumps(spec)))
    assignments = []
    for n in range(12):
        _, assignment = searcher.suggest_with_assignment(str(n))
        result = objective(sh.space_eval(space, assignment))
        if result["status"] == "ok":
            lib.check(lib.c.st_searcher_tell(searcher.p, str(n).encode(), OUTCOME_COMPLETED, result["loss"]))
        else:
            # fmin's STATUS_FAIL: a result without a loss (hyperopt keeps the trial, at an infinite loss)
            lib.check(lib.c.st_searcher_tell(searcher.p, str(n).encode(), OUTCOME_NO_METRIC, 0.0))
        assignments.append(assignment)
    state = json.loads(lib.call_string("st_searcher_save", searcher.p))
    trials = generate_trials_to_calculate(assignments)
    for t in trials._dynamic_trials:  # hyperopt's documents list inactive labels with no value
        for label in LABELS:
            t["misc"]["idxs"].setdefault(label, [])
            t["misc"]["vals"].setdefault(label, [])
    # hyperopt's fmin evaluates the new trials first; the early stop then ends it before any suggestion.
    hyperopt.fmin(objective, SPACE, algo=hyperopt.rand.suggest, max_evals=13, trials=trials,
                  early_stop_fn=lambda t, *args: (True, args), rstate=np.random.default_rng(5), show_progressbar=False)
    assert [{k: v for k, v in t["misc"]["vals"].items() if v} for t in trials.trials] == [
        {k: [v] for k, v in a.items()} for a in assignments]
    assert "fail" in trials.statuses() and "ok" in trials.statuses()
    return state, trials


def their_draws(trials, n, **options):
    domain = hyperopt.base.Domain(objective, SPACE)
    out = collections.defaultdict(list)
    for seed in range(n):
        docs = hyperopt.anneal.suggest([len(trials)], domain, trials, seed, **options)
        for label, v in docs[0]["misc"]["vals"].items():
            if v:
                out[label].append(float(v[0]))
    return out


def our_draws(state, n, **options):
    """The suggestion after the history, for seeds 0..n-1: swifttune's random searcher's saved state made
    an annealing searcher's (the same trials)."""
    out = collections.defaultdict(list)
    for seed in range(n):
        s = json.loads(json.dumps(state))
        s["searcher"].update(searcher="anneal", seed=seed,
                             options={"avg_best_idx": options.get("avg_best_idx", 2.0),
                                      "shrink_coef": options.get("shrink_coef", 0.1)})
        searcher = SearcherHandle(lib.call_handle("st_searcher_restore", json.dumps(s).encode()))
        _, assignment = searcher.suggest_with_assignment("next")
        for label, v in assignment.items():
            out[label].append(float(v))
    return out


@pytest.fixture(scope="module")
def draws(history):
    state, trials = history
    return their_draws(trials, N), our_draws(state, N)


@pytest.mark.parametrize("label", LABELS)
def test_the_next_suggestion_follows_hyperopts_anneal(draws, label):
    theirs, ours = draws
    a, b = theirs[label], ours[label]
    assert len(a) > 0 and abs(len(a) - len(b)) < 0.05 * N + 30  # conditional labels: active about as often
    if label in CATEGORICAL:
        keys = sorted(set(a) | set(b))
        ca, cb = collections.Counter(a), collections.Counter(b)
        table = [[ca[k] for k in keys], [cb[k] for k in keys]]
        table = [[x for x, y in zip(*table) if x + y >= 10], [y for x, y in zip(*table) if x + y >= 10]]
        if len(table[0]) > 1:
            assert stats.chi2_contingency(table)[1] > 0.001, (label, table)
    else:
        assert stats.ks_2samp(a, b).pvalue > 0.001, (label, np.percentile(a, [5, 50, 95]), np.percentile(b, [5, 50, 95]))


def test_the_options_change_the_draws_as_hyperopts_do(history):
    # A wider pick of reference trials and a slower shrink: still hyperopt's distribution.
    state, trials = history
    theirs = their_draws(trials, 1000, avg_best_idx=5.0, shrink_coef=0.02)
    ours = our_draws(state, 1000, avg_best_idx=5.0, shrink_coef=0.02)
    default = our_draws(state, 1000)
    for label in ("uniform", "normal", "loguniform"):
        assert stats.ks_2samp(theirs[label], ours[label]).pvalue > 0.001, label
    assert np.std(ours["uniform"]) > 1.2 * np.std(default["uniform"])  # the options do something


def branin(c):
    x, y = c["x"], c["y"]
    return (y - 5.1 / (4 * np.pi ** 2) * x ** 2 + 5 * x / np.pi - 6) ** 2 + 10 * (1 - 1 / (8 * np.pi)) * np.cos(x) + 10


PROBLEMS = {
    "quadratic1": (lambda x: (x - 3) ** 2, lambda h: h.uniform("x", -5, 5), 40),
    "branin": (branin, lambda h: {"x": h.uniform("x", -5, 10), "y": h.uniform("y", 0, 15)}, 100),
    "many_dists": (lambda c: float(np.log(1e-12 + sum(c.values()) ** 2)),
                   lambda h: {"a": h.choice("a", [0, 1, 2]), "b": h.randint("b", 10), "c": h.uniform("c", 4, 7),
                              "d": h.loguniform("d", -2, 0), "e": h.quniform("e", 0, 10, 3),
                              "g": h.normal("g", 4, 7), "i": h.qnormal("i", 0, 10, 2)}, 100),
}


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_anneal_reaches_hyperopts_best_losses(name):
    fn, space, evals = PROBLEMS[name]
    seeds = range(20)

    def best(module, algo, seed):
        trials = module.Trials()
        module.fmin(fn, space(module.hp), algo=algo, max_evals=evals, trials=trials,
                    rstate=np.random.default_rng(seed), show_progressbar=False)
        return min(trials.losses())

    theirs = [best(hyperopt, hyperopt.anneal.suggest, s) for s in seeds]
    ours = [best(sh, sh.anneal.suggest, 100 + s) for s in seeds]
    randoms = [best(sh, sh.rand.suggest, 200 + s) for s in seeds]
    q1, q3 = np.percentile(theirs, [25, 75])
    assert np.median(ours) <= q3, (name, np.median(ours), q1, q3)
    assert stats.mannwhitneyu(theirs, ours).pvalue > 0.01, (name, sorted(theirs), sorted(ours))
    assert np.median(ours) < np.median(randoms)  # annealing beats random search as hyperopt's does


def test_anneal_options_are_checked_and_others_refused():
    with pytest.raises(SwiftTuneError, match="avg_best_idx must be a finite number >= 1"):
        sh.fmin(lambda x: x, sh.hp.uniform("x", 0, 1), algo=functools.partial(sh.anneal.suggest, avg_best_idx=0.5),
                max_evals=2, show_progressbar=False)
    with pytest.raises(ValueError, match="takes no option 'gamma'"):
        sh.fmin(lambda x: x, sh.hp.uniform("x", 0, 1), algo=functools.partial(sh.anneal.suggest, gamma=0.5),
                max_evals=2, show_progressbar=False)
    with pytest.raises(TypeError, match="marker"):
        sh.anneal.suggest([0], None, None, 0)


def test_anneal_state_travels_with_the_trials(tmp_path):
    # fmin's trials_save_file: the annealing searcher's saved state restores and goes on.
    path = str(tmp_path / "t.pkl")
    space = {"x": sh.hp.uniform("x", -5, 5), "c": sh.hp.choice("c", ["p", "q"])}
    fn = lambda c: (c["x"] - 1) ** 2 + (c["c"] == "q")  # noqa: E731
    sh.fmin(fn, space, algo=sh.anneal.suggest, max_evals=10, trials_save_file=path, rstate=np.random.default_rng(3),
            show_progressbar=False)
    import pickle

    with open(path, "rb") as f:
        trials = pickle.load(f)
    state = json.loads(lib.call_string("st_searcher_save", trials._searcher.p))
    state = state["searcher"]  # inside the concurrency limiter's state
    assert state["searcher"] == "anneal" and state["options"] == {"avg_best_idx": 2.0, "shrink_coef": 0.1}
    sh.fmin(fn, space, algo=sh.anneal.suggest, max_evals=20, trials_save_file=path, show_progressbar=False)
    with open(path, "rb") as f:
        assert len(pickle.load(f)) == 20


def test_hyperopts_own_anneal_suggest_is_accepted():
    # A script that imports the algorithm from hyperopt and fmin from swifttune runs swifttune's annealing.
    trials = sh.Trials()
    sh.fmin(lambda x: (x - 3) ** 2, sh.hp.uniform("x", -5, 5), algo=hyperopt.anneal.suggest, max_evals=5,
            trials=trials, rstate=np.random.default_rng(0), show_progressbar=False)
    state = json.loads(lib.call_string("st_searcher_save", trials._searcher.p))
    assert state["searcher"]["searcher"] == "anneal"
