"""swifttune.hyperopt against hyperopt's documentation examples, side by side with hyperopt itself
(installed in the test environment): the results must have the same shape (keys and types)."""
import functools
import math

import pytest

import swifttune.hyperopt as sh

hyperopt = pytest.importorskip("hyperopt", reason="make test installs hyperopt for these comparisons")
np = pytest.importorskip("numpy")


def both(run):
    """Runs `run(module)` with hyperopt and with swifttune.hyperopt."""
    return run(hyperopt), run(sh)


def shape(value):
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value).__name__
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "float"
    return type(value).__name__


def test_quick_start_minimises_a_parabola():
    def run(h):
        return h.fmin(fn=lambda x: (x - 1) ** 2, space=h.hp.uniform("x", -10, 10), algo=h.tpe.suggest, max_evals=100,
                      rstate=np.random.default_rng(0), show_progressbar=False)

    ours_h, ours = both(run)
    assert shape(ours) == shape(ours_h) == {"x": "float"}
    assert abs(ours["x"] - 1) < 0.5


CONDITIONAL = lambda h: h.hp.choice("classifier_type", [  # noqa: E731
    {"type": "naive_bayes"},
    {"type": "svm", "C": h.hp.lognormal("svm_C", 0, 1),
     "kernel": h.hp.choice("svm_kernel", [{"ktype": "linear"}, {"ktype": "RBF", "width": h.hp.lognormal("svm_rbf_width", 0, 1)}])},
    {"type": "dtree", "criterion": h.hp.choice("dtree_criterion", ["gini", "entropy"]),
     "max_depth": h.hp.choice("dtree_max_depth", [None, h.hp.qlognormal("dtree_max_depth_int", 3, 1, 1)]),
     "min_samples_split": h.hp.qlognormal("dtree_min_samples_split", 2, 1, 1)},
])


def objective(h):
    def fn(config):
        score = {"naive_bayes": 0.5, "svm": 0.2, "dtree": 0.3}[config["type"]]
        if config["type"] == "svm":
            score += abs(math.log(config["C"])) * 0.01
        return {"loss": score, "status": h.STATUS_OK, "extra": "kept"}
    return fn


def test_conditional_space_trials_and_space_eval():
    def run(h):
        trials = h.Trials()
        space = CONDITIONAL(h)
        best = h.fmin(objective(h), space, algo=h.tpe.suggest, max_evals=60, trials=trials,
                      rstate=np.random.default_rng(1), show_progressbar=False)
        return best, trials, h.space_eval(space, best)

    (hb, ht, he), (sb, st, se) = both(run)
    # The best is the svm branch for both; the argmin holds exactly the active labels.
    assert sb["classifier_type"] == hb["classifier_type"] == 1
    # The argmin holds exactly the labels active in the chosen branch (and types match hyperopt's).
    expected = {"classifier_type", "svm_C", "svm_kernel"} | ({"svm_rbf_width"} if sb["svm_kernel"] == 1 else set())
    assert set(sb) == expected
    assert all(shape(sb[k]) == shape(hb[k]) for k in set(sb) & set(hb))
    assert se["type"] == he["type"] == "svm"
    # Trials inspection answers alike.
    assert len(st) == len(ht) == 60
    assert shape(st.losses()) == shape(ht.losses()) and all(isinstance(l, float) for l in st.losses())
    assert st.statuses() == ["ok"] * 60
    assert st.results[0]["extra"] == "kept" and set(st.results[0]) == set(ht.results[0])
    assert set(st.best_trial) >= {"tid", "result", "misc", "state", "book_time", "refresh_time"}
    assert set(st.best_trial["misc"]) >= {"tid", "idxs", "vals"}
    assert sorted(st.vals) == sorted(ht.vals) and sorted(st.idxs) == sorted(ht.idxs)
    # vals/idxs: one entry per trial where the label was active, in trial order.
    for label in st.vals:
        assert len(st.vals[label]) == len(st.idxs[label])
        assert st.idxs[label] == sorted(st.idxs[label])
    assert len(st.vals["classifier_type"]) == 60
    assert st.argmin == sb


def test_status_fail_exceptions_and_stops():
    calls = []

    def fn(c):
        calls.append(c)
        if c["x"] > 9:
            return {"status": sh.STATUS_FAIL}
        if c["x"] < -9:
            raise ValueError("bad x")
        return c["x"] ** 2

    trials = sh.Trials()
    sh.fmin(fn, {"x": sh.hp.uniform("x", -10, 10)}, algo=sh.rand.suggest, max_evals=200, trials=trials,
            catch_eval_exceptions=True, rstate=np.random.default_rng(3), show_progressbar=False)
    # hyperopt's counts: 200 evaluations; the errored ones stay in _dynamic_trials, out of trials.trials
    errors = [t for t in trials._dynamic_trials if t["state"] == sh.JOB_STATE_ERROR]
    assert len(trials._dynamic_trials) == 200 and len(trials) == 200 - len(errors) and errors
    assert "fail" in trials.statuses() and all(t["state"] == sh.JOB_STATE_DONE for t in trials.trials)
    with pytest.raises(ValueError, match="bad x"):
        sh.fmin(fn, {"x": sh.hp.uniform("x", -10, 10)}, algo=sh.rand.suggest, max_evals=500,
                rstate=np.random.default_rng(3), show_progressbar=False)
    # loss_threshold, timeout and early stopping end the run early.
    t = sh.Trials()
    sh.fmin(lambda c: c["x"] ** 2, {"x": sh.hp.uniform("x", -1, 1)}, algo=sh.tpe.suggest, max_evals=1000, trials=t,
            loss_threshold=0.5, show_progressbar=False)
    assert len(t) < 1000 and t.best_trial["result"]["loss"] <= 0.5
    t = sh.Trials()
    sh.fmin(lambda c: 1.0, {"x": sh.hp.uniform("x", -1, 1)}, algo=sh.tpe.suggest, max_evals=10_000, trials=t,
            early_stop_fn=sh.early_stop.no_progress_loss(15), show_progressbar=False)
    assert len(t) == 15  # hyperopt 0.3.0 stops this run after 15 evaluations too
    t = sh.Trials()
    sh.fmin(lambda c: c["x"], {"x": sh.hp.uniform("x", -1, 1)}, algo=sh.tpe.suggest, max_evals=10**9, trials=t,
            timeout=0.3, show_progressbar=False)
    assert 0 < len(t) < 10**9


def test_options_points_seeds_and_return_values():
    space = {"x": sh.hp.uniform("x", -5, 5), "c": sh.hp.choice("c", ["a", "b"]),
             "n": sh.pyll.scope.int(sh.hp.quniform("n", 0, 10, 1))}
    algo = functools.partial(sh.tpe.suggest, n_startup_jobs=5, n_EI_candidates=12, gamma=0.3)
    t1, t2 = sh.Trials(), sh.Trials()
    f = lambda c: (c["x"] - 1) ** 2 + (c["c"] == "b") + abs(c["n"] - 4)  # noqa: E731
    b1 = sh.fmin(f, space, algo=algo, max_evals=40, trials=t1, rstate=np.random.default_rng(7),
                 points_to_evaluate=[{"x": 1.0, "c": 0, "n": 4}], show_progressbar=False)
    b2 = sh.fmin(f, space, algo=algo, max_evals=40, trials=t2, rstate=np.random.default_rng(7),
                 points_to_evaluate=[{"x": 1.0, "c": 0, "n": 4}], show_progressbar=False)
    assert b1 == b2  # same seed, same run
    assert t1.trials[0]["misc"]["vals"] == {"x": [1.0], "c": [0], "n": [4]}  # the point came first
    assert t1.best_trial["result"]["loss"] == 0.0
    cfg = sh.fmin(f, space, algo=algo, max_evals=40, trials=sh.Trials(), rstate=np.random.default_rng(7),
                  points_to_evaluate=[{"x": 1.0, "c": 0, "n": 4}], return_argmin=False, show_progressbar=False)
    assert cfg == {"x": 1.0, "c": "a", "n": 4} and isinstance(cfg["n"], int)
    # Continuing a Trials object counts its evaluations.
    sh.fmin(f, space, algo=algo, max_evals=60, trials=t1, show_progressbar=False)
    assert len(t1) == 60
    with pytest.raises(ValueError):
        sh.fmin(f, space, algo=functools.partial(sh.tpe.suggest, bogus=1), max_evals=2, show_progressbar=False)


def test_trials_save_file_continues_a_run(tmp_path):
    path = str(tmp_path / "trials.pkl")
    space = {"x": sh.hp.uniform("x", -5, 5), "c": sh.hp.choice("c", ["a", "b"])}
    f = lambda c: (c["x"] - 1) ** 2 + (c["c"] == "b")  # noqa: E731
    sh.fmin(f, space, algo=sh.tpe.suggest, max_evals=30, trials_save_file=path, rstate=np.random.default_rng(5),
            show_progressbar=False)
    # A second call with the same file continues to 50 evaluations; an uninterrupted run of 50
    # with the same seed makes the same suggestions.
    sh.fmin(f, space, algo=sh.tpe.suggest, max_evals=50, trials_save_file=path, show_progressbar=False)
    import pickle

    with open(path, "rb") as fh:
        resumed = pickle.load(fh)
    straight = sh.Trials()
    sh.fmin(f, space, algo=sh.tpe.suggest, max_evals=50, trials=straight, rstate=np.random.default_rng(5),
            show_progressbar=False)
    assert len(resumed) == 50
    assert resumed.vals == straight.vals
