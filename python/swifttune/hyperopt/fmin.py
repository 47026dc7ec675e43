"""hyperopt's ``fmin`` and ``Trials`` over swifttune's Swift TPE and random search."""
from __future__ import annotations

import datetime
import functools
import math
import numbers
import os
import pickle
import random
import sys
import time
from typing import Any, Callable, Optional

from .._lib import OUTCOME_COMPLETED, OUTCOME_FAILED, OUTCOME_NO_METRIC, SearcherHandle, dumps, lib
from . import anneal, progress, rand, tpe
from .exceptions import AllTrialsFailed, InvalidLoss, InvalidResultStatus
from .._expr import HPExpr, contains_hp
from .._space import HPNode, decode_configuration, has_domains, require_int, space_document

__all__ = ["fmin", "Trials", "STATUS_OK", "STATUS_FAIL", "space_eval", "tpe", "rand", "anneal", "JOB_STATE_DONE",
           "JOB_STATE_ERROR"]

STATUS_OK = "ok"
STATUS_FAIL = "fail"
JOB_STATE_DONE = 2
JOB_STATE_ERROR = 3


_OPTIONS: dict[Any, tuple[str, dict[str, str]]] = {
    # hyperopt's name of an option -> the engine's
    tpe.suggest: ("tpe", {"n_startup_jobs": "n_initial_points", "n_EI_candidates": "n_EI_candidates", "gamma": "gamma",
                          "prior_weight": "prior_weight"}),
    rand.suggest: ("random", {}),
    anneal.suggest: ("anneal", {"avg_best_idx": "avg_best_idx", "shrink_coef": "shrink_coef"}),
}
_NAMES = {tpe.suggest: "tpe.suggest", rand.suggest: "rand.suggest", anneal.suggest: "anneal.suggest"}


def _algorithm(algo: Any) -> tuple[str, dict[str, Any]]:
    """(engine algorithm, engine options) of `tpe.suggest`, `rand.suggest`, `anneal.suggest` or a
    functools.partial of them (hyperopt's own modules' functions too)."""
    fn = algo.func if isinstance(algo, functools.partial) else algo
    fn = _from_hyperopt(fn)
    if fn is None:
        fn = tpe.suggest
    if fn not in _OPTIONS:
        raise ValueError("algo must be swifttune.hyperopt.tpe.suggest, rand.suggest or anneal.suggest (optionally "
                         f"through functools.partial), got {algo!r}")
    engine, names = _OPTIONS[fn]
    options: dict[str, Any] = {}
    if isinstance(algo, functools.partial):
        if algo.args:
            raise ValueError(f"algo: functools.partial({_NAMES[fn]}, ...) takes options by keyword only")
        for k, v in algo.keywords.items():
            if k in names:
                options[names[k]] = v
            elif k != "verbose":
                takes = ", ".join(names) if names else "no options"
                raise ValueError(f"algo: swifttune's {_NAMES[fn]} takes no option {k!r} (it takes {takes})")
    return engine, options


def _from_hyperopt(fn: Any) -> Any:
    """hyperopt's own ``tpe.suggest`` / ``rand.suggest`` / ``anneal.suggest`` as swifttune's (a script
    that imports the algorithm from hyperopt and fmin from swifttune)."""
    module = getattr(fn, "__module__", None)
    if getattr(fn, "__name__", None) == "suggest" and module in ("hyperopt.tpe", "hyperopt.rand", "hyperopt.anneal"):
        return {"hyperopt.tpe": tpe.suggest, "hyperopt.rand": rand.suggest, "hyperopt.anneal": anneal.suggest}[module]
    return fn


def _seed(rstate: Any) -> int:
    if rstate is None:
        env = os.environ.get("HYPEROPT_FMIN_SEED")
        return int(env) if env else random.SystemRandom().randrange(2**31 - 1)
    if isinstance(rstate, int):
        return rstate
    if hasattr(rstate, "integers"):  # numpy.random.Generator, as hyperopt takes
        return int(rstate.integers(2**31 - 1))
    if hasattr(rstate, "randint"):  # numpy.random.RandomState
        return int(rstate.randint(2**31 - 1))
    raise TypeError(f"rstate must be a numpy Generator, an int or None, got {type(rstate).__name__}")


# ----------------------------------------------------------------------------------------------
# Assignments: hyperopt's label -> value (choices by index) view of a configuration. The engine
# gives each suggestion's (st_searcher_suggest_with_assignment); space_eval goes the other way.


def space_eval(space: Any, hp_assignment: dict[str, Any]) -> Any:
    """The configuration of `space` for an assignment by label (choices by index), as hyperopt's
    ``space_eval`` (e.g. ``space_eval(space, trials.argmin)``); also of a space built with
    hyperopt's own ``hp``."""
    from ._convert import from_pyll, is_pyll

    if is_pyll(space):
        space = from_pyll(space)
    if isinstance(space, HPNode):
        if space.label not in hp_assignment:
            raise KeyError(f"the assignment has no value for {space.label!r}")
        v = hp_assignment[space.label]
        if space.options is not None:
            return space_eval(space.options[int(v)], hp_assignment)
        return int(v) if space.kind in ("randint", "uniformint") else v
    if isinstance(space, HPExpr):
        return space.evaluate([space_eval(a, hp_assignment) for a in space.args])
    if isinstance(space, dict):
        return {k: space_eval(v, hp_assignment) for k, v in space.items()}
    if isinstance(space, (list, tuple)) and contains_hp(space):  # hyperopt's pos_args: a tuple
        return tuple(space_eval(v, hp_assignment) for v in space)
    return space


def _labels(space: Any, out: list[str]) -> list[str]:
    if isinstance(space, HPNode):
        out.append(space.label)
        for o in space.options or []:
            _labels(o, out)
    elif isinstance(space, HPExpr):
        for a in space.args:
            _labels(a, out)
    elif isinstance(space, dict):
        for v in space.values():
            _labels(v, out)
    elif isinstance(space, (list, tuple)):
        for v in space:
            _labels(v, out)
    return out


# ----------------------------------------------------------------------------------------------


class Trials:
    """hyperopt's ``Trials``: every evaluation's document, result, loss and status."""

    def __init__(self, exp_key: Optional[str] = None) -> None:
        self._dynamic_trials: list[dict[str, Any]] = []
        self.attachments: dict[str, Any] = {}
        self._exp_key = exp_key
        self._searcher: Optional[SearcherHandle] = None
        self._searcher_key: Optional[tuple[Any, ...]] = None

    @property
    def trials(self) -> list[dict[str, Any]]:
        return list(self._dynamic_trials)

    def __len__(self) -> int:
        return len(self._dynamic_trials)

    def __iter__(self) -> Any:
        return iter(self._dynamic_trials)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self._dynamic_trials[i]

    @property
    def tids(self) -> list[int]:
        return [t["tid"] for t in self._dynamic_trials]

    @property
    def results(self) -> list[dict[str, Any]]:
        return [t["result"] for t in self._dynamic_trials]

    @property
    def miscs(self) -> list[dict[str, Any]]:
        return [t["misc"] for t in self._dynamic_trials]

    @property
    def specs(self) -> list[Any]:
        return [t["spec"] for t in self._dynamic_trials]

    def losses(self, bandit: Any = None) -> list[Optional[float]]:
        return [r.get("loss") for r in self.results]

    def statuses(self, bandit: Any = None) -> list[str]:
        return [str(r.get("status")) for r in self.results]

    @property
    def idxs(self) -> dict[str, list[int]]:
        return {k: list(v) for k, v in self._columns()[0].items()}

    @property
    def vals(self) -> dict[str, list[Any]]:
        return {k: list(v) for k, v in self._columns()[1].items()}

    def _columns(self) -> tuple[dict[str, list[int]], dict[str, list[Any]]]:
        idxs: dict[str, list[int]] = {}
        vals: dict[str, list[Any]] = {}
        for t in self._dynamic_trials:
            for k, v in t["misc"]["vals"].items():
                idxs.setdefault(k, [])
                vals.setdefault(k, [])
                if v:
                    idxs[k].append(t["tid"])
                    vals[k].append(v[0])
        return idxs, vals

    @property
    def best_trial(self) -> dict[str, Any]:
        """The trial with the lowest loss among those with status ok."""
        candidates = [t for t in self._dynamic_trials
                      if t["result"].get("status") == STATUS_OK and t["result"].get("loss") is not None
                      and not math.isnan(float(t["result"]["loss"]))]
        if not candidates:
            raise AllTrialsFailed()
        return min(candidates, key=lambda t: float(t["result"]["loss"]))

    @property
    def argmin(self) -> dict[str, Any]:
        """The best trial's assignment by label (choices by index)."""
        return {k: v[0] for k, v in self.best_trial["misc"]["vals"].items() if v}

    def average_best_error(self, bandit: Any = None) -> float:
        return float(self.best_trial["result"]["loss"])

    # Pickling (fmin's trials_save_file): the Swift searcher travels as its saved JSON state.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        searcher = state.pop("_searcher", None)
        state["_searcher_state"] = lib.call_string("st_searcher_save", searcher.p) if searcher is not None else None
        state["_searcher_key"] = None  # the space object is new after unpickling: matched by labels
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        saved = state.pop("_searcher_state", None)
        self.__dict__.update(state)
        self._searcher = (SearcherHandle(lib.call_handle("st_searcher_restore", saved.encode("utf-8")))
                          if saved else None)


def _check_arguments(fn: Any, max_evals: Any, timeout: Any, loss_threshold: Any, trials: Any,
                     early_stop_fn: Any, points_to_evaluate: Any) -> None:
    """fmin's argument checks, before anything runs: each error names its argument. timeout and
    loss_threshold get hyperopt's own messages (hyperopt raises a bare Exception; this is a
    ValueError, which is one)."""
    if not callable(fn):
        raise TypeError(f"fmin: `fn` must be callable (the objective), got {type(fn).__name__} {fn!r}")
    if max_evals is not None:
        require_int("fmin", "max_evals", max_evals, 0)
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, numbers.Real)
                                or not float(timeout) > 0):
        raise ValueError(f"The timeout argument should be None or a positive value. Given value: {timeout}")
    if loss_threshold is not None and (isinstance(loss_threshold, bool) or not isinstance(loss_threshold, numbers.Real)):
        raise ValueError(f"The loss_threshold argument should be None or a numeric value. Given value: {loss_threshold}")
    if trials is not None and not isinstance(trials, Trials):
        raise TypeError("fmin: `trials` must be a swifttune.hyperopt.Trials (or None), got "
                        f"{type(trials).__module__}.{type(trials).__name__}")
    if early_stop_fn is not None and not callable(early_stop_fn):
        raise TypeError(f"fmin: `early_stop_fn` must be callable or None, got {early_stop_fn!r}")
    if points_to_evaluate is not None:
        if not isinstance(points_to_evaluate, list):
            raise TypeError(f"fmin: `points_to_evaluate` must be a list of dicts (label -> value), "
                            f"got {type(points_to_evaluate).__name__}")
        for i, point in enumerate(points_to_evaluate):
            if not isinstance(point, dict):
                raise TypeError(f"fmin: `points_to_evaluate[{i}]` must be a dict (label -> value), got {point!r}")


def _points(space: Any, points_to_evaluate: list[dict[str, Any]]) -> list[Any]:
    """The configurations of `points_to_evaluate` (assignments by label, choices by index)."""
    points = []
    for i, point in enumerate(points_to_evaluate):
        try:
            points.append(space_eval(space, point))
        except KeyError as e:
            raise ValueError(f"fmin: `points_to_evaluate[{i}]`: {e.args[0]}") from None
        except (IndexError, TypeError, ValueError) as e:
            raise ValueError(f"fmin: `points_to_evaluate[{i}]` is not a point of the space: {e}") from None
    return points


_STATUSES = ("new", "running", "suspended", STATUS_OK, STATUS_FAIL)  # hyperopt's STATUS_STRINGS


def _result(out: Any) -> dict[str, Any]:
    """The result document of what `fn` returned: a number (the loss) or a dict with a 'status'
    (and a numeric 'loss' when the status is ok), as hyperopt requires."""
    if not isinstance(out, dict) and hasattr(out, "__float__"):  # a number, numpy scalar or 0-d array
        return {"loss": float(out), "status": STATUS_OK}
    if not isinstance(out, dict):
        raise TypeError(f"fn returned {out!r}: it must return a number (the loss) or a dict with a 'status' "
                        "(STATUS_OK with a 'loss', or STATUS_FAIL)")
    result = dict(out)
    if "status" not in result:
        raise ValueError("fn returned a dict without a 'status' (use STATUS_OK or STATUS_FAIL)")
    if result["status"] not in _STATUSES:
        raise _with_message(InvalidResultStatus(result),
                            f"fn returned the invalid status {result['status']!r} (use STATUS_OK or STATUS_FAIL)")
    loss = result.get("loss")
    if result["status"] == STATUS_OK and (isinstance(loss, bool) or not isinstance(loss, numbers.Real)):
        raise _with_message(InvalidLoss(result), f"fn returned status 'ok' without a numeric 'loss': {result!r}")
    return result


def _with_message(error: BaseException, message: str) -> BaseException:
    """hyperopt's exception (its type and `result`), with a message saying what was wrong."""
    error.args = (message,)
    return error


def fmin(fn: Callable[[Any], Any], space: Any, algo: Any = None, max_evals: Optional[int] = None,
         timeout: Optional[float] = None, loss_threshold: Optional[float] = None, trials: Optional[Trials] = None,
         rstate: Any = None, allow_trials_fmin: bool = True, pass_expr_memo_ctrl: Any = None,
         catch_eval_exceptions: bool = False, verbose: bool = True, return_argmin: bool = True,
         points_to_evaluate: Optional[list[dict[str, Any]]] = None, max_queue_len: int = 1,
         show_progressbar: Any = True, early_stop_fn: Optional[Callable[..., Any]] = None,
         trials_save_file: str = "") -> Any:
    """Minimises `fn` over `space` as hyperopt's ``fmin`` does: `max_evals` evaluations in all (a
    `trials` object that already holds some counts them), stopping early on `timeout` seconds,
    `loss_threshold` or `early_stop_fn`; returns the best assignment (``trials.argmin``) or, with
    ``return_argmin=False``, the best configuration (``space_eval(space, trials.argmin)``)."""
    from ._convert import from_pyll, is_pyll

    _check_arguments(fn, max_evals, timeout, loss_threshold, trials, early_stop_fn, points_to_evaluate)
    if trials_save_file and trials is None and os.path.exists(trials_save_file):
        with open(trials_save_file, "rb") as f:  # continue a run that saved its trials, as hyperopt does
            trials = pickle.load(f)

    if is_pyll(space):  # a space built with hyperopt's own hp
        space = from_pyll(space)
    if not has_domains(space):
        raise ValueError(f"fmin: `space` has no hyperparameters (no hp.* expression), so there is nothing to search; "
                         f"got {space!r}")
    if max_evals is None:
        max_evals = sys.maxsize
    if trials is None:
        trials = Trials()
    algorithm, options = _algorithm(algo)
    key = (tuple(_labels(space, [])), algorithm, tuple(sorted(options.items())))
    if trials._searcher is not None and trials._searcher_key is None:
        trials._searcher_key = key  # restored from trials_save_file: its searcher goes on
        trials._refs = []  # type: ignore[attr-defined]
    if trials._searcher is None or trials._searcher_key != key:
        if len(trials):
            raise ValueError("swifttune.hyperopt.fmin continues a Trials object only with the space and algorithm it began with")
        refs: list[Any] = []
        points = _points(space, points_to_evaluate or [])
        spec = {"algorithm": algorithm, "space": space_document(space, refs), "mode": "min",
                "seed": _seed(rstate), "points_to_evaluate": points, **options}
        trials._searcher = SearcherHandle(lib.call_handle("st_searcher_new", dumps(spec)))
        trials._searcher_key = key
        trials._refs = refs  # type: ignore[attr-defined]
    searcher = trials._searcher
    labels = _labels(space, [])
    if not show_progressbar or not verbose:
        progress_callback: Callable[..., Any] = progress.no_progress_callback
    elif show_progressbar is True:
        progress_callback = progress.default_callback
    else:
        progress_callback = show_progressbar  # a progress context manager of the user's, as hyperopt takes
    with progress_callback(initial=sum(1 for t in trials if t["state"] == JOB_STATE_DONE),
                           total=max_evals) as progress_ctx:
        _run(fn, space, trials, searcher, labels, max_evals, timeout, loss_threshold, catch_eval_exceptions,
             early_stop_fn, trials_save_file, progress_ctx)
    if return_argmin:
        return trials.argmin if len(trials) else {}
    return space_eval(space, trials.argmin)


def _run(fn: Callable[[Any], Any], space: Any, trials: Trials, searcher: Any, labels: list[str], max_evals: int,
         timeout: Optional[float], loss_threshold: Optional[float], catch_eval_exceptions: bool,
         early_stop_fn: Optional[Callable[..., Any]], trials_save_file: str, progress_ctx: Any) -> None:
    """fmin's loop: suggest, evaluate, record and tell, until `max_evals` or a stop; each finished
    evaluation advances `progress_ctx`."""
    start = time.time()
    best_loss = math.inf
    early_args: list[Any] = []
    while len(trials) < max_evals:
        if timeout is not None and time.time() - start >= timeout:
            break
        tid = len(trials)
        suggestion = searcher.suggest_with_assignment(str(tid))
        assert suggestion is not None  # fmin's searcher has no concurrency limit
        config = decode_configuration(suggestion[0], trials._refs)  # type: ignore[attr-defined]
        assignment: dict[str, Any] = suggestion[1]
        now = datetime.datetime.now()
        doc: dict[str, Any] = {
            "state": JOB_STATE_DONE, "tid": tid, "spec": None, "result": {"status": "new"},
            "misc": {"tid": tid, "cmd": ("domain_attachment", "FMinIter_Domain"), "workdir": None,
                     "idxs": {k: ([tid] if k in assignment else []) for k in labels},
                     "vals": {k: ([assignment[k]] if k in assignment else []) for k in labels}},
            "exp_key": trials._exp_key, "owner": None, "version": 0, "book_time": now, "refresh_time": None,
        }
        try:
            result = _result(fn(config))
        except Exception as e:  # noqa: BLE001 - recorded; re-raised unless catch_eval_exceptions
            doc["state"] = JOB_STATE_ERROR
            doc["misc"]["error"] = (str(type(e)), str(e))
            doc["result"] = {"status": STATUS_FAIL}
            doc["refresh_time"] = datetime.datetime.now()
            trials._dynamic_trials.append(doc)
            lib.check(lib.c.st_searcher_tell(searcher.p, str(tid).encode(), OUTCOME_FAILED, 0.0))
            if not catch_eval_exceptions:
                raise
            continue
        doc["result"] = result
        doc["refresh_time"] = datetime.datetime.now()
        trials._dynamic_trials.append(doc)
        loss = result.get("loss")
        if result.get("status") == STATUS_OK and loss is not None:
            lib.check(lib.c.st_searcher_tell(searcher.p, str(tid).encode(), OUTCOME_COMPLETED, float(loss)))
        else:
            lib.check(lib.c.st_searcher_tell(searcher.p, str(tid).encode(), OUTCOME_NO_METRIC, 0.0))
        if loss is not None and not math.isnan(float(loss)):  # hyperopt's postfix: the least loss reported
            best_loss = min(best_loss, float(loss))
            progress_ctx.postfix = "best loss: " + str(best_loss)
        progress_ctx.update(1)
        if trials_save_file:
            tmp = trials_save_file + ".tmp"
            with open(tmp, "wb") as f:
                pickle.dump(trials, f)
            os.replace(tmp, trials_save_file)
        if loss_threshold is not None and loss is not None and float(loss) <= loss_threshold:
            break
        if early_stop_fn is not None:
            stop, early_args = early_stop_fn(trials, *early_args)
            if stop:
                break
