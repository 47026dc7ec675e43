"""hyperopt's module paths in swifttune.hyperopt: ``base`` (constants, the misc/idxs/vals
functions), ``exceptions`` (the same classes; fmin raises them as hyperopt does)."""
from __future__ import annotations

import numpy as np
import pytest

import swifttune.hyperopt as sh
from swifttune.hyperopt import base, exceptions

hyperopt = pytest.importorskip("hyperopt", reason="make test installs hyperopt 0.3")


def test_base_constants_are_hyperopts():
    import hyperopt.base as theirs

    for name in ("STATUS_NEW", "STATUS_RUNNING", "STATUS_SUSPENDED", "STATUS_OK", "STATUS_FAIL", "STATUS_STRINGS",
                 "JOB_STATE_NEW", "JOB_STATE_RUNNING", "JOB_STATE_DONE", "JOB_STATE_ERROR", "JOB_STATE_CANCEL",
                 "JOB_STATES", "JOB_VALID_STATES", "TRIAL_KEYS", "TRIAL_MISC_KEYS"):
        assert getattr(base, name) == getattr(theirs, name), name
    assert base.Trials is sh.Trials


def test_misc_functions_agree_with_hyperopts_on_a_run():
    import hyperopt.base as theirs

    trials = sh.Trials()
    space = {"x": sh.hp.uniform("x", 0, 1), "c": sh.hp.choice("c", [0, {"y": sh.hp.normal("y", 0, 1)}])}
    sh.fmin(lambda p: p["x"], space, algo=sh.tpe.suggest, max_evals=12, trials=trials,
            rstate=np.random.default_rng(0), show_progressbar=False)
    miscs = trials.miscs
    assert base.miscs_to_idxs_vals(miscs) == theirs.miscs_to_idxs_vals(miscs) == (trials.idxs, trials.vals)
    assert [base.spec_from_misc(m) for m in miscs] == [theirs.spec_from_misc(m) for m in miscs]
    idxs, vals = trials.idxs, trials.vals
    blank = [{"tid": m["tid"], "idxs": {}, "vals": {}} for m in miscs]
    blank_theirs = [{"tid": m["tid"], "idxs": {}, "vals": {}} for m in miscs]
    assert base.miscs_update_idxs_vals(blank, idxs, vals) == theirs.miscs_update_idxs_vals(blank_theirs, idxs, vals)
    with pytest.raises(ValueError, match="cannot infer keys from empty miscs"):
        base.miscs_to_idxs_vals([])


def test_fmin_raises_hyperopts_exceptions():
    space = {"x": sh.hp.uniform("x", 0, 1)}
    with pytest.raises(exceptions.InvalidResultStatus, match="invalid status 'done'") as bad_status:
        sh.fmin(lambda p: {"status": "done", "loss": 1.0}, space, algo=sh.tpe.suggest, max_evals=1,
                show_progressbar=False)
    assert bad_status.value.result == {"status": "done", "loss": 1.0} and isinstance(bad_status.value, ValueError)
    with pytest.raises(exceptions.InvalidLoss, match="without a numeric 'loss'"):
        sh.fmin(lambda p: {"status": "ok", "loss": "low"}, space, algo=sh.tpe.suggest, max_evals=1,
                show_progressbar=False)
    trials = sh.Trials()
    with pytest.raises(exceptions.AllTrialsFailed):  # fmin's answer is the best trial, as in hyperopt
        sh.fmin(lambda p: {"status": sh.STATUS_FAIL}, space, algo=sh.tpe.suggest, max_evals=2, trials=trials,
                show_progressbar=False)
    with pytest.raises(hyperopt.exceptions.AllTrialsFailed):
        hyperopt.fmin(lambda p: {"status": hyperopt.STATUS_FAIL}, {"x": hyperopt.hp.uniform("x", 0, 1)},
                      algo=hyperopt.tpe.suggest, max_evals=2, show_progressbar=False)
    with pytest.raises(exceptions.AllTrialsFailed):
        trials.best_trial
    assert sh.AllTrialsFailed is exceptions.AllTrialsFailed
    assert issubclass(exceptions.DuplicateLabel, exceptions.BadSearchSpace)
    assert str(exceptions.InvalidTrial("not a trial:", 3)) == str(hyperopt.exceptions.InvalidTrial("not a trial:", 3))
