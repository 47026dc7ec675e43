"""fmin's progress as hyperopt's (``hyperopt.progress``): ``show_progressbar`` True, False or a
progress context manager of the user's, called and updated as hyperopt calls it; ``verbose=False``
shows nothing."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

import swifttune.hyperopt as sh
from swifttune.hyperopt import progress

hyperopt = pytest.importorskip("hyperopt", reason="make test installs hyperopt 0.3")


def _recording(log: list):
    @contextlib.contextmanager
    def callback(initial, total):
        class Context:
            postfix = ""

            def update(self, n):
                log.append(("update", n, self.postfix))

        log.append(("open", initial, total))
        yield Context()
        log.append(("close",))

    return callback


def _run(lib, log, trials=None, max_evals=6):
    space = {"x": lib.hp.uniform("x", -2, 2)}
    lib.fmin(lambda c: c["x"] ** 2, space, algo=lib.tpe.suggest, max_evals=max_evals, trials=trials,
             rstate=np.random.default_rng(0), show_progressbar=_recording(log))


def test_a_progress_callback_of_the_users_is_called_as_hyperopt_calls_it():
    ours, theirs = [], []
    _run(sh, ours)
    _run(hyperopt, theirs)
    shape = [(e[0], e[1]) if e[0] == "update" else e for e in theirs]
    assert [(e[0], e[1]) if e[0] == "update" else e for e in ours] == shape == \
        [("open", 0, 6)] + [("update", 1)] * 6 + [("close",)]
    assert all(e[2].startswith("best loss: ") for e in ours if e[0] == "update")
    best = [float(e[2][len("best loss: "):]) for e in ours if e[0] == "update"]
    assert best == sorted(best, reverse=True)  # the least loss so far
    # a Trials object that already holds trials: the count starts there
    trials = sh.Trials()
    _run(sh, [], trials=trials, max_evals=3)
    more: list = []
    _run(sh, more, trials=trials, max_evals=5)
    assert more[0] == ("open", 3, 5) and sum(e[1] for e in more if e[0] == "update") == 2


def test_the_default_bar_and_no_bar(capsys):
    space = {"x": sh.hp.uniform("x", -2, 2)}
    sh.fmin(lambda c: c["x"] ** 2, space, algo=sh.tpe.suggest, max_evals=5, rstate=np.random.default_rng(0))
    err = capsys.readouterr().err
    assert "5/5 [" in err and "best loss: " in err and err.endswith("\n")
    for kwargs in ({"show_progressbar": False}, {"verbose": False}, {"show_progressbar": progress.no_progress_callback}):
        sh.fmin(lambda c: c["x"] ** 2, space, algo=sh.tpe.suggest, max_evals=5, rstate=np.random.default_rng(0),
                **kwargs)
        assert capsys.readouterr().err == ""
