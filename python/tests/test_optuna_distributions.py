"""swifttune's Optuna-rule TPE (``OptunaSearch``) chooses points from the same distribution as
Optuna 5.0's own ``TPESampler`` given the same history: for fixed histories (univariate,
multivariate, grouped conditional, categorical, log, stepped, with running trials under the
constant liar, with pruned trials), 10,000 chosen points of each (two-sample KS test for
continuous parameters, chi-square for discrete ones; p > 0.001). Optuna is asked through its
sampler's own entry points (``sample_relative`` / ``sample_independent``) on one trial, so its
history stays fixed, and swifttune's suggestions are each failed at once (a failed trial is
not in either model)."""
import collections
import math
import warnings

import pytest

np = pytest.importorskip("numpy")
stats = pytest.importorskip("scipy.stats")
optuna = pytest.importorskip("optuna", reason="make test installs Optuna for these comparisons")
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution  # noqa: E402
from optuna.trial import TrialState, create_trial  # noqa: E402

from swifttune.tune.search.optuna import OptunaSearch  # noqa: E402

pytestmark = pytest.mark.slow
optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

N = 10_000
P_MIN = 0.001


class _StableNumpy:
    """numpy with a stable ``argsort``: Optuna orders observations by ``np.argsort``, whose order
    among equal values numpy leaves open (here its AVX-512 sort reorders ties), and that order
    decides which of several equal observations gets the narrow kernel. swifttune keeps ties in
    trial order (docs/tpe-optuna.md, deliberate differences); Optuna is compared under the
    same tie order."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def argsort(a, *args, **kwargs):
        return np.argsort(a, kind="stable")


@pytest.fixture(autouse=True)
def _stable_ties(monkeypatch):
    import optuna.samplers._tpe.parzen_estimator as parzen

    monkeypatch.setattr(parzen, "np", _StableNumpy())


def history(space, n, seed, objective):
    """n finished trials with random parameters of `space` (values of `objective`)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        params = {}
        for name, d in space.items():
            if isinstance(d, CategoricalDistribution):
                params[name] = d.choices[rng.integers(len(d.choices))]
            elif isinstance(d, IntDistribution):
                if d.log:
                    params[name] = int(round(math.exp(rng.uniform(math.log(d.low), math.log(d.high)))))
                else:
                    params[name] = int(d.low + d.step * rng.integers((d.high - d.low) // d.step + 1))
            elif d.log:
                params[name] = float(math.exp(rng.uniform(math.log(d.low), math.log(d.high))))
            elif d.step is not None:
                params[name] = float(d.low + d.step * rng.integers(round((d.high - d.low) / d.step) + 1))
            else:
                params[name] = float(rng.uniform(d.low, d.high))
        out.append((params, objective(params)))
    return out


_OPTUNA_DRAWS: dict = {}


def optuna_draws(space, trials, sampler_args, running=(), pruned=(), direction="minimize", sampler_class=None,
                 constraints=()):
    """N points chosen by Optuna's TPESampler (or `sampler_class`, with the same arguments) for
    one new trial, the history unchanged. Optuna's own draws are kept for the tests that ask for
    the same history again (they take most of this file's time)."""
    key = repr((sorted(space.items()), trials, sorted(sampler_args.items()), running, pruned, direction, constraints))
    if sampler_class is not None:
        return _draws(space, trials, sampler_args, running, pruned, direction, sampler_class, constraints)
    if key not in _OPTUNA_DRAWS:
        _OPTUNA_DRAWS[key] = _draws(space, trials, sampler_args, running, pruned, direction, None, constraints)
    return _OPTUNA_DRAWS[key]


def _draws(space, trials, sampler_args, running, pruned, direction, sampler_class, constraints):
    """N draws in two processes (this machine's two cores), N/2 each with its own seed: given
    the fixed history the draws are independent, so the halves together are N draws of one
    distribution. (Optuna's side is most of this file's time.)"""
    import concurrent.futures
    import multiprocessing

    args = (space, trials, sampler_args, running, pruned, direction, sampler_class, constraints)
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        halves = list(pool.map(_draws_part, [(args, 7, N // 2), (args, 8, N - N // 2)]))
    out = collections.defaultdict(list)
    for half in halves:
        for name, values in half.items():
            out[name] += values
    return out


def _draws_part(job):
    (space, trials, sampler_args, running, pruned, direction, sampler_class, constraints), seed, n = job
    sampler, study, frozen, relative_space = fixed_study(space, trials, sampler_args, running, pruned, direction,
                                                         sampler_class, constraints, seed=seed)
    memoise_estimators(sampler)
    out = collections.defaultdict(list)
    for _ in range(n):
        params = sampler.sample_relative(study, frozen, relative_space)
        for name, d in space.items():
            if name in params:
                out[name].append(params[name])
            elif name not in relative_space:
                out[name].append(sampler.sample_independent(study, frozen, name, d))
    return dict(out)


def memoise_estimators(sampler):
    """Has `sampler` build each of its Parzen estimators once: with the history fixed, every call
    builds the same two estimators from the same trials (a deterministic function of them), and
    rebuilding them is most of the time Optuna takes per draw. Sampling from them and choosing
    the point stay Optuna's own code, with the sampler's random stream, on every draw."""
    build = getattr(sampler, "_build_parzen_estimator", None)
    if build is None:
        return
    cache = {}

    def cached(study, search_space, trials, handle_below):
        key = (tuple(search_space), tuple(t.number for t in trials), handle_below)
        if key not in cache:
            cache[key] = build(study, search_space, trials, handle_below)
        return cache[key]

    sampler._build_parzen_estimator = cached


def fixed_study(space, trials, sampler_args, running=(), pruned=(), direction="minimize", sampler_class=None,
                constraints=(), seed=7):
    """An Optuna study holding the history (complete, pruned, then running trials; the complete
    ones with `constraints[i]` when given), a new trial asked in it, and the sampler's relative
    search space for that trial."""
    sampler = (sampler_class or optuna.samplers.TPESampler)(seed=seed, **sampler_args)
    several = isinstance(direction, (list, tuple))  # a study of several objectives
    study = optuna.create_study(sampler=sampler, **{"directions" if several else "direction": direction})
    for i, (params, value) in enumerate(trials):
        study.add_trial(create_trial(params=params, distributions={k: space[k] for k in params},
                                     constraints=constraints[i] if constraints else None,
                                     **{"values" if several else "value": value}))
    for params, steps in pruned:
        study.add_trial(create_trial(params=params, distributions={k: space[k] for k in params},
                                     state=TrialState.PRUNED, intermediate_values=dict(steps)))
    for params in running:
        study.enqueue_trial(params)
        study.ask({k: space[k] for k in params})
    trial = study.ask()
    frozen = study._storage.get_trial(trial._trial_id)
    return sampler, study, frozen, sampler.infer_relative_search_space(study, frozen)


def swifttune_draws(space, trials, sampler_args, running=(), pruned=(), mode="min"):
    """N points chosen by swifttune's OptunaSearch for the same history (each failed at once)."""
    searcher = OptunaSearch(space, metric="loss", mode=mode, points_to_evaluate=list(running),
                            sampler=optuna.samplers.TPESampler(seed=7, **sampler_args))
    for params, value in trials:
        searcher.add_evaluated_point(params, value)
    for params, steps in pruned:  # Ray's intermediate_values: a list, steps 0, 1, ...
        searcher.add_evaluated_point(params, 0.0, pruned=True, intermediate_values=[v for _, v in steps] or None)
    for i, params in enumerate(running):  # the points come first, and stay running
        assert searcher.suggest(f"running{i}") == params
    out = collections.defaultdict(list)
    for i in range(N):
        config = searcher.suggest(f"t{i}")
        for name, v in config.items():
            out[name].append(v)
        searcher.on_trial_complete(f"t{i}", error=True)
    return out


def same_distribution(name, d, a, b):
    """(p-value, description) of the two samples of parameter `name`."""
    assert len(a) == len(b), (name, len(a), len(b))
    if isinstance(d, CategoricalDistribution) or isinstance(d, IntDistribution) or getattr(d, "step", None):
        keys = sorted(set(a) | set(b), key=repr)
        ca, cb = collections.Counter(a), collections.Counter(b)
        table = np.array([[ca[k] for k in keys], [cb[k] for k in keys]], dtype=float)
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] == 1:
            return 1.0, f"{name}: one value {keys}"
        p = stats.chi2_contingency(table).pvalue
        return p, f"{name}: {dict(zip(keys, table.astype(int).tolist()[0]))} vs {dict(zip(keys, table.astype(int).tolist()[1]))}"
    p = stats.ks_2samp(np.asarray(a, dtype=float), np.asarray(b, dtype=float)).pvalue
    return p, f"{name}: medians {np.median(a):.4g} vs {np.median(b):.4g}"


def check(space, trials, sampler_args, **kw):
    mine = swifttune_draws(space, trials, sampler_args, running=kw.get("running", ()), pruned=kw.get("pruned", ()),
                           mode=kw.get("mode", "min"))
    theirs = optuna_draws(space, trials, sampler_args, running=kw.get("running", ()), pruned=kw.get("pruned", ()),
                          direction="maximize" if kw.get("mode") == "max" else "minimize")
    for name, d in space.items():
        p, what = same_distribution(name, d, mine[name], theirs[name])
        assert p > P_MIN, f"p = {p:.2e}: {what}"


def quadratic(params):
    return sum((float(v) - 0.3) ** 2 if not isinstance(v, str) else (0.0 if v == "b" else 1.0)
               for v in params.values())


MIXED = {"x": FloatDistribution(-2, 2), "lr": FloatDistribution(1e-4, 1e-1, log=True),
         "q": FloatDistribution(0, 1, step=0.1), "n": IntDistribution(1, 16), "k": IntDistribution(2, 128, log=True),
         "c": CategoricalDistribution(["a", "b", "c", "d"])}


@pytest.mark.parametrize("multivariate", [False, True], ids=["univariate", "multivariate"])
def test_mixed_space_follows_optuna(multivariate):
    trials = history(MIXED, 30, 1, quadratic)
    check(MIXED, trials, {"multivariate": multivariate, "constant_liar": False})


def test_many_trials_ramp_the_weights_like_optuna():
    space = {"x": FloatDistribution(0, 10), "y": FloatDistribution(0, 10)}
    trials = history(space, 120, 2, lambda p: (p["x"] - 3) ** 2 + abs(p["y"] - 7))
    check(space, trials, {"multivariate": True, "constant_liar": False})


def test_categorical_only_and_maximize_follow_optuna():
    space = {"c": CategoricalDistribution(["a", "b", "c"]), "d": CategoricalDistribution([1, 2, 3, 4, 5])}
    trials = history(space, 25, 3, lambda p: {"a": 0, "b": 1, "c": 2}[p["c"]] + p["d"])
    check(space, trials, {"multivariate": True, "constant_liar": False}, mode="max")


def test_running_trials_under_the_constant_liar_follow_optuna():
    space = {"x": FloatDistribution(-5, 5), "n": IntDistribution(0, 10, step=2)}
    trials = history(space, 15, 4, lambda p: p["x"] ** 2 + p["n"])
    running = [{"x": 0.1, "n": 0}, {"x": -0.2, "n": 2}, {"x": 0.05, "n": 0}]
    check(space, trials, {"multivariate": True, "constant_liar": True}, running=running)


# Pruned trials with and without intermediate values (ranked by their latest step, then value).
PRUNED = [({"x": float(x)}, [(0, float(x) ** 2), (1, abs(float(x)))] if i % 3 else [])
          for i, x in enumerate(np.linspace(-4, 4, 18))]


def test_pruned_trials_fill_the_good_group_like_optuna():
    space = {"x": FloatDistribution(-5, 5)}
    trials = history(space, 2, 5, lambda p: p["x"] ** 2)
    # Eight pruned trials without intermediate values: with 10 finished trials n_below is 1, the
    # better complete trial; with 20 it is 2: both complete trials, then none of the pruned.
    pruned = PRUNED
    check(space, trials, {"multivariate": False, "constant_liar": False}, pruned=pruned)


@pytest.mark.parametrize("good", ["a", "b"])
def test_grouped_conditional_space_follows_optuna(good):
    # Two branches: trials of branch "a" have x, those of branch "b" have y and z. TPE's choice
    # of branch is nearly always the one with the better ratio, so each history favours one
    # branch and the parameters of that branch are compared.
    space = {"branch": CategoricalDistribution(["a", "b"]), "x": FloatDistribution(0, 1),
             "y": FloatDistribution(0, 1), "z": IntDistribution(0, 5)}
    rng = np.random.default_rng(6)
    trials = []
    for i in range(24):
        if i % 2 == 0:
            params = {"branch": "a", "x": float(rng.uniform())}
            loss = (params["x"] - 0.2) ** 2
        else:
            params = {"branch": "b", "y": float(rng.uniform()), "z": int(rng.integers(6))}
            loss = (params["y"] - 0.7) ** 2 + 0.02 * params["z"]
        trials.append((params, loss + (0.0 if params["branch"] == good else 0.5)))
    check_conditional(space, trials, {"multivariate": True, "group": True, "constant_liar": False},
                      ["branch", "x"] if good == "a" else ["branch", "y", "z"])


def _conditional_part(job):
    """`n` of Optuna's draws for `check_conditional` (a process of `_draws`'s kind, with its seed)."""
    space, trials, sampler_args, seed, n = job
    sampler, study, frozen, relative_space = fixed_study(space, trials, sampler_args, seed=seed)
    memoise_estimators(sampler)
    theirs = collections.defaultdict(list)
    for _ in range(n):
        params = sampler.sample_relative(study, frozen, relative_space)
        branch = params["branch"] if "branch" in params else sampler.sample_independent(study, frozen, "branch",
                                                                                         space["branch"])
        theirs["branch"].append(branch)
        for name in (["x"] if branch == "a" else ["y", "z"]):
            theirs[name].append(params[name] if name in params else
                                sampler.sample_independent(study, frozen, name, space[name]))
    return dict(theirs)


def check_conditional(space, trials, sampler_args, compared):
    """As `check`, for a space whose parameters are conditional on `branch`. swifttune's space is
    a choice between two nested branches (what a define-by-run objective builds); Optuna's side
    samples the relative groups and then, for the branch drawn, what its objective would ask
    for. Each parameter is compared on the draws of the branch it belongs to."""
    from swifttune._space import Categorical, Domain

    searcher = OptunaSearch(metric="loss", mode="min", sampler=optuna.samplers.TPESampler(seed=7, **sampler_args))
    searcher._space = {"branch": Categorical([
        {"name": "a", "x": Domain("optuna.float", {"low": 0.0, "high": 1.0})},
        {"name": "b", "y": Domain("optuna.float", {"low": 0.0, "high": 1.0}), "z": Domain("optuna.int", {"low": 0, "high": 5})},
    ])}
    for params, value in trials:
        searcher.add_evaluated_point({"branch": {"name": params["branch"], **{k: v for k, v in params.items() if k != "branch"}}},
                                     value)
    mine = collections.defaultdict(list)
    for i in range(N):
        config = searcher.suggest(f"t{i}")["branch"]
        mine["branch"].append(config["name"])
        for name, v in config.items():
            if name != "name":
                mine[name].append(v)
        searcher.on_trial_complete(f"t{i}", error=True)
    import concurrent.futures
    import multiprocessing

    theirs = collections.defaultdict(list)
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        for half in pool.map(_conditional_part, [(space, trials, sampler_args, 7, N // 2),
                                                 (space, trials, sampler_args, 8, N - N // 2)]):
            for name, values in half.items():
                theirs[name] += values
    for name in compared:
        n = min(len(mine[name]), len(theirs[name]))
        assert n > 1000, (name, len(mine[name]), len(theirs[name]))
        p, what = same_distribution(name, space[name], mine[name][:n], theirs[name][:n])
        assert p > P_MIN, f"p = {p:.2e}: {what}"


# swifttune.optuna.TPESampler inside an Optuna study: the same histories, asked through Optuna's
# sampler interface on both sides (the study mirrored into the library).


def _gamma_third(n):
    """A gamma function of a user's: a third of the trials, at most 6."""
    return min(n // 3 + 1, 6)


def _weights_rising(n):
    """A weights function of a user's: newer observations weigh more, from 0.1 to 1."""
    return np.linspace(0.1, 1.0, n)


def _three_objectives(p):
    """Three conflicting losses with ties (rounded), so fronts repeat points and the good group
    is completed by Optuna's hypervolume subset selection."""
    x, y = p["x"], p["y"]
    return (round((x - 1) ** 2 + y * y, 1), round((x + 1) ** 2 + y * y, 1), round(x * x + (y - 1) ** 2, 1))


@pytest.mark.parametrize("case", ["mixed-multivariate", "mixed-univariate", "running-liar", "pruned",
                                  "two-objectives", "two-objectives-multivariate", "three-objectives", "constrained",
                                  "custom-gamma-weights"])
def test_swifttune_sampler_in_an_optuna_study_draws_as_optunas(case):
    import swifttune.optuna as so

    kw = {}
    if case.startswith("two-objectives"):
        # A minimised and a maximised objective; Optuna's multi-objective defaults (independent
        # sampling, default_gamma_multiobjective: 8 of 80 in the good group, the first fronts
        # whole and the rest by hypervolume).
        space = {"x": FloatDistribution(-2, 2), "y": FloatDistribution(-2, 2), "n": IntDistribution(0, 6)}
        trials = history(space, 80, 7, lambda p: ((p["x"] - 1) ** 2 + p["y"] ** 2 + p["n"],
                                                  -((p["x"] + 1) ** 2 + (p["y"] - 1) ** 2)))
        kw["direction"] = ["minimize", "maximize"]
        args = {"constant_liar": False, **({"multivariate": True} if case.endswith("multivariate") else {})}
    elif case == "constrained":
        # Optuna 5.0's constrained TPE (trial.constraints): feasible only for x >= 1.8, so the
        # good group (3 of 30) takes the feasible trials first, then the least infeasible ones,
        # though the infeasible are better by value.
        space = {"x": FloatDistribution(-2, 2), "y": FloatDistribution(-2, 2)}
        trials = history(space, 30, 9, lambda p: (p["x"] - 0.3) ** 2 + p["y"] ** 2)
        kw["constraints"] = tuple({"c": 1.8 - params["x"], "d": -1.0} for params, _ in trials)
        assert 0 < sum(c["c"] <= 0 for c in kw["constraints"]) < 3
        args = {"constant_liar": False, "multivariate": True}
    elif case == "custom-gamma-weights":
        # gamma and weights functions of the user's, called back from the library.
        space = {"x": FloatDistribution(-3, 3), "k": IntDistribution(0, 8)}
        trials = history(space, 40, 10, lambda p: (p["x"] - 1) ** 2 + 0.3 * abs(p["k"] - 4))
        args = {"constant_liar": False, "multivariate": True, "gamma": _gamma_third, "weights": _weights_rising}
    elif case == "three-objectives":
        space = {"x": FloatDistribution(-2, 2), "y": FloatDistribution(-2, 2)}
        trials = history(space, 90, 8, _three_objectives)
        kw["direction"] = ["minimize", "minimize", "minimize"]
        args = {"constant_liar": False, "multivariate": True}
    elif case.startswith("mixed"):
        space, trials = MIXED, history(MIXED, 30, 1, quadratic)
        args = {"multivariate": case.endswith("-multivariate"), "constant_liar": False}
    elif case == "running-liar":
        space = {"x": FloatDistribution(-5, 5), "n": IntDistribution(0, 10, step=2)}
        trials = history(space, 15, 4, lambda p: p["x"] ** 2 + p["n"])
        kw["running"] = [{"x": 0.1, "n": 0}, {"x": -0.2, "n": 2}, {"x": 0.05, "n": 0}]
        args = {"multivariate": True, "constant_liar": True}
    else:
        space = {"x": FloatDistribution(-5, 5)}
        trials = history(space, 2, 5, lambda p: p["x"] ** 2)
        kw["pruned"] = PRUNED
        args = {"multivariate": False, "constant_liar": False}
    mine = optuna_draws(space, trials, args, sampler_class=so.TPESampler, **kw)
    theirs = optuna_draws(space, trials, args, **kw)  # the same history as the OptunaSearch tests: kept draws
    for name, d in space.items():
        p, what = same_distribution(name, d, mine[name], theirs[name])
        assert p > P_MIN, f"p = {p:.2e}: {what}"
