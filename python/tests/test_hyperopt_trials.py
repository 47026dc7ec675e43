"""hyperopt's Trials document API, side by side: the same calls on hyperopt's Trials and on
swifttune's give the same documents, counts and views; fmin evaluates inserted new documents first
and learns inserted finished ones; shared hp nodes and stochastic pyll functions evaluate as in
hyperopt; the arguments swifttune does not support raise NotImplementedError."""
import functools
import pickle

import pytest

import swifttune.hyperopt as sh
from swifttune.hyperopt.pyll import as_apply, scope

hyperopt = pytest.importorskip("hyperopt", reason="make test installs hyperopt for these comparisons")
np = pytest.importorskip("numpy")
from hyperopt.fmin import generate_trials_to_calculate as their_generate  # noqa: E402

from swifttune.hyperopt.fmin import generate_trials_to_calculate as our_generate  # noqa: E402


def misc(tid, **vals):
    return {"tid": tid, "cmd": ("domain_attachment", "FMinIter_Domain"), "workdir": None,
            "idxs": {k: [tid] for k in vals}, "vals": {k: [v] for k, v in vals.items()}}


@pytest.mark.parametrize("lib", [hyperopt, sh], ids=["hyperopt", "swifttune"])
def test_document_api(lib):
    trials = lib.Trials()
    ids = trials.new_trial_ids(3)
    assert ids == [0, 1, 2] and trials.new_trial_ids(1) == [3]
    docs = trials.new_trial_docs(ids, [None] * 3, [{"status": "new"}] * 3, [misc(t, x=float(t)) for t in ids])
    assert [d["state"] for d in docs] == [lib.JOB_STATE_NEW] * 3 and docs[0]["exp_key"] is None
    assert trials.insert_trial_docs(docs[:2]) == [0, 1]
    assert trials.insert_trial_doc(docs[2]) == 2
    assert len(trials) == 0  # not refreshed yet
    assert trials.count_by_state_unsynced(lib.JOB_STATE_NEW) == 3 and trials.count_by_state_synced(lib.JOB_STATE_NEW) == 0
    trials.refresh()
    assert len(trials) == 3 and trials.tids == [0, 1, 2]
    trials._dynamic_trials[1]["state"] = lib.JOB_STATE_ERROR
    trials._dynamic_trials[2].update(state=lib.JOB_STATE_DONE, result={"status": "ok", "loss": 0.5})
    trials.refresh()
    assert trials.tids == [0, 2] and trials.losses() == [None, 0.5] and trials.statuses() == ["new", "ok"]
    assert trials.count_by_state_synced([lib.JOB_STATE_NEW, lib.JOB_STATE_DONE]) == 2
    assert trials.count_by_state_unsynced(lib.JOB_STATE_ERROR) == 1
    assert trials.vals == {"x": [0.0, 2.0]} and trials.idxs == {"x": [0, 2]}
    assert trials.best_trial["tid"] == 2 and trials.argmin == {"x": 2.0}
    with pytest.raises(lib.exceptions.InvalidTrial):
        trials.insert_trial_doc({"tid": 9})
    bad = trials.new_trial_docs([9], [None], [{}], [misc(8)])[0]
    with pytest.raises(lib.exceptions.InvalidTrial):
        trials.insert_trial_doc(bad)  # tid mismatch between root and misc
    with pytest.raises(lib.exceptions.InvalidTrial):
        trials.insert_trial_doc(dict(trials.new_trial_docs([9], [None], [{}], [misc(9)])[0], exp_key="other"))
    attachments = trials.trial_attachments(trials.trials[1])
    attachments["model"] = b"weights"
    assert "model" in attachments and attachments["model"] == b"weights"
    assert trials.attachments == {"ATTACH::2::model": b"weights"}
    del attachments["model"]
    assert "model" not in attachments
    view = trials.view(exp_key="other")
    assert len(view) == 0 and view._dynamic_trials is trials._dynamic_trials
    trials.delete_all()
    assert len(trials) == 0 and trials._dynamic_trials == [] and trials.attachments == {}


@pytest.mark.parametrize("lib,generate", [(hyperopt, their_generate), (sh, our_generate)], ids=["hyperopt", "swifttune"])
def test_points_to_calculate_are_evaluated_first_and_counted(lib, generate):
    seen = []
    trials = generate([{"x": -100.0}, {"x": 1.5}])  # -100 lies outside the space: evaluated all the same
    lib.fmin(lambda x: seen.append(x) or x ** 2, lib.hp.uniform("x", -5, 5), algo=lib.tpe.suggest, max_evals=6,
             trials=trials, rstate=np.random.default_rng(1), show_progressbar=False)
    # hyperopt's generate_trials_to_calculate does not refresh the Trials, so fmin counts max_evals on top of them
    assert seen[:2] == [-100.0, 1.5] and len(seen) == 8 and len(trials) == 8
    assert trials.losses()[:2] == [10000.0, 2.25]
    seen.clear()
    trials = generate([{"x": float(i)} for i in range(6)])
    lib.fmin(lambda x: seen.append(x) or x, lib.hp.uniform("x", -5, 5), algo=lib.rand.suggest, max_evals=7,
             trials=trials, rstate=np.random.default_rng(1), show_progressbar=False)
    assert seen[:6] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] and len(seen) == 13
    # once refreshed, they count
    seen.clear()
    trials = generate([{"x": float(i)} for i in range(6)])
    trials.refresh()
    lib.fmin(lambda x: seen.append(x) or x, lib.hp.uniform("x", -5, 5), algo=lib.rand.suggest, max_evals=7,
             trials=trials, rstate=np.random.default_rng(1), show_progressbar=False)
    assert len(seen) == 7


def test_the_searcher_learns_finished_trials_inserted_by_hand():
    # Trials finished elsewhere (inserted as done documents) shape TPE's suggestions as hyperopt's reads them.
    trials = sh.Trials()
    ids = trials.new_trial_ids(30)
    xs = np.linspace(-5, 5, 30)
    docs = trials.new_trial_docs(ids, [None] * 30, [{"status": "ok", "loss": float((x - 2) ** 2)} for x in xs],
                                 [misc(t, x=float(x)) for t, x in zip(ids, xs)])
    for d in docs:
        d["state"] = sh.JOB_STATE_DONE
    trials.insert_trial_docs(docs)
    trials.refresh()
    seen = []
    sh.fmin(lambda x: seen.append(x) or (x - 2) ** 2, sh.hp.uniform("x", -5, 5), algo=sh.tpe.suggest, max_evals=40,
            trials=trials, rstate=np.random.default_rng(0), show_progressbar=False)
    assert len(seen) == 10 and len(trials) == 40
    assert np.median(np.abs(np.array(seen) - 2)) < 1.0  # from its first suggestion TPE knows where the minimum is


def test_a_trials_continued_with_another_algorithm_learns_the_trials_so_far():
    trials = sh.Trials()
    space = sh.hp.uniform("x", -5, 5)
    sh.fmin(lambda x: (x - 2) ** 2, space, algo=sh.rand.suggest, max_evals=30, trials=trials,
            rstate=np.random.default_rng(0), show_progressbar=False)
    sh.fmin(lambda x: (x - 2) ** 2, space, algo=functools.partial(sh.anneal.suggest, shrink_coef=1.0), max_evals=40,
            trials=trials, rstate=np.random.default_rng(0), show_progressbar=False)
    assert len(trials) == 40 and trials.tids == list(range(40))
    assert np.median(np.abs(np.array(trials.vals["x"][30:]) - 2)) < 1.0


@pytest.mark.parametrize("lib", [hyperopt, sh], ids=["hyperopt", "swifttune"])
def test_trials_fmin_and_errors_left_out_of_the_view(lib):
    trials = lib.Trials()

    def fn(x):
        if x < 0:
            raise ValueError("negative")
        return x

    trials.fmin(fn, lib.hp.uniform("x", -5, 5), algo=lib.rand.suggest, max_evals=20, catch_eval_exceptions=True,
                rstate=np.random.default_rng(2), show_progressbar=False)
    errors = [d for d in trials._dynamic_trials if d["state"] == lib.JOB_STATE_ERROR]
    assert len(trials._dynamic_trials) == 20 and errors and len(trials) == 20 - len(errors)
    assert all(d["misc"]["error"][1] == "negative" for d in errors)
    assert all(x >= 0 for x in trials.vals["x"])


def test_average_best_error_with_loss_variance_matches_hyperopt():
    results = [{"status": "ok", "loss": 1.0, "loss_variance": 0.25, "true_loss": 1.1},
               {"status": "ok", "loss": 1.2, "loss_variance": 0.25, "true_loss": 0.9},
               {"status": "ok", "loss": 5.0, "loss_variance": 0.25}, {"status": "fail"}]
    values = []
    for lib in (hyperopt, sh):
        trials = lib.Trials()
        ids = trials.new_trial_ids(len(results))
        docs = trials.new_trial_docs(ids, [None] * len(ids), results, [misc(t, x=0.0) for t in ids])
        trials.insert_trial_docs(docs)
        trials.refresh()
        values.append(trials.average_best_error())
    assert values[0] == pytest.approx(values[1]) and 0.9 < values[1] < 1.1


def test_shared_nodes_and_stochastic_functions_evaluate_as_in_hyperopt():
    x = sh.hp.uniform("x", -20, 20)
    arm = sh.hp.choice("arm", [0, 1])
    space = {"t": sh.hp.choice("curve", [x, x + np.pi]), "mu": as_apply([-1.0, 0.0])[arm],
             "sigma": as_apply([1.0, 2.0])[arm], "same": x}
    for assignment in ({"x": 1.0, "curve": 0, "arm": 1}, {"x": -3.0, "curve": 1, "arm": 0}):
        assert sh.space_eval(space, assignment) == hyperopt.space_eval(_theirs_space(), assignment)
    trials = sh.Trials()
    configs = []
    sh.fmin(lambda c: configs.append(c) or 0.0, space, algo=sh.anneal.suggest, max_evals=20, trials=trials,
            rstate=np.random.default_rng(0), show_progressbar=False)
    assert set(trials.vals) == {"x", "curve", "arm"}  # one parameter x, though it stands in three places
    for c, t in zip(configs, trials.trials):
        assert c == sh.space_eval(space, {k: v[0] for k, v in t["misc"]["vals"].items() if v})
        assert c["same"] == t["misc"]["vals"]["x"][0]
    # a stochastic function draws for each configuration, not once when the space is built
    noisy = {"n": scope.normal(0, 1, rng=np.random.default_rng(5)), "x": x}
    draws = {float(sh.pyll.stochastic.sample(noisy, rng=np.random.default_rng(s))["n"]) for s in range(5)}
    assert len(draws) == 5
    with pytest.raises(sh.exceptions.DuplicateLabel):
        sh.fmin(lambda c: 0, {"a": sh.hp.uniform("x", 0, 1), "b": sh.hp.uniform("x", 0, 1)}, max_evals=1,
                show_progressbar=False)


def _theirs_space():
    from hyperopt import hp
    from hyperopt.pyll import as_apply as their_as_apply

    x = hp.uniform("x", -20, 20)
    arm = hp.choice("arm", [0, 1])
    return {"t": hp.choice("curve", [x, x + np.pi]), "mu": their_as_apply([-1.0, 0.0])[arm],
            "sigma": their_as_apply([1.0, 2.0])[arm], "same": x}


def test_unsupported_arguments_raise_not_implemented():
    space = sh.hp.uniform("x", 0, 1)
    with pytest.raises(NotImplementedError, match="pass_expr_memo_ctrl"):
        sh.fmin(lambda x: x, space, max_evals=2, pass_expr_memo_ctrl=True, show_progressbar=False)
    with pytest.raises(NotImplementedError, match="pass_expr_memo_ctrl"):
        sh.fmin(sh.fmin.__globals__["fmin_pass_expr_memo_ctrl"](lambda expr, memo, ctrl: 0), space, max_evals=2,
                show_progressbar=False)
    with pytest.raises(NotImplementedError, match="max_queue_len=4"):
        sh.fmin(lambda x: x, space, max_evals=2, max_queue_len=4, show_progressbar=False)
    with pytest.raises(Exception, match="There are no evaluation tasks"):
        sh.fmin(lambda x: x, space, max_evals=0, show_progressbar=False)
    assert sh.fmin(lambda x: x, space, max_evals=0, return_argmin=False, show_progressbar=False) is None


def test_a_pickled_trials_keeps_its_documents_and_searcher(tmp_path):
    trials = sh.Trials()
    sh.fmin(lambda x: x, sh.hp.uniform("x", 0, 1), algo=sh.anneal.suggest, max_evals=5, trials=trials,
            show_progressbar=False)
    again = pickle.loads(pickle.dumps(trials))
    assert again.tids == trials.tids and again.new_trial_ids(1) == [5]
    sh.fmin(lambda x: x, sh.hp.uniform("x", 0, 1), algo=sh.anneal.suggest, max_evals=8, trials=again,
            show_progressbar=False)
    assert len(again) == 8
