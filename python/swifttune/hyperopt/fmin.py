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
from typing import Any, Callable, Iterator, Optional

from .._lib import OUTCOME_COMPLETED, OUTCOME_FAILED, OUTCOME_NO_METRIC, SearcherHandle, dumps, lib
from . import anneal, progress, rand, tpe
from .base import (JOB_STATE_DONE, JOB_STATE_ERROR, JOB_STATE_NEW, JOB_STATE_RUNNING, STATUS_FAIL, STATUS_OK,
                   spec_from_misc)
from .trials import Trials
from .exceptions import DuplicateLabel, InvalidAnnotatedParameter, InvalidLoss, InvalidResultStatus
from .._expr import HPExpr, contains_hp
from .._space import HPNode, decode_configuration, has_domains, require_int, space_document

__all__ = ["fmin", "Trials", "STATUS_OK", "STATUS_FAIL", "space_eval", "tpe", "rand", "anneal", "JOB_STATE_DONE",
           "JOB_STATE_ERROR", "generate_trial", "generate_trials_to_calculate", "fmin_pass_expr_memo_ctrl"]



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
    """The labels of `space`'s hp nodes, each once, in the order they first stand (appended to `out`)."""
    for node in _nodes(space):
        if node.label not in out:
            out.append(node.label)
    return out


# ----------------------------------------------------------------------------------------------


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
    if result["status"] == STATUS_OK:
        # hyperopt keeps float(loss): a number, a numpy scalar or 0-d array, anything float() takes
        loss = result.get("loss")
        if loss is None or isinstance(loss, (str, bytes)) or not hasattr(loss, "__float__"):
            raise _with_message(InvalidLoss(result), f"fn returned status 'ok' without a numeric 'loss': {result!r}")
        try:
            result["loss"] = float(loss)
        except (TypeError, ValueError):
            raise _with_message(InvalidLoss(result),
                                f"fn returned status 'ok' without a numeric 'loss': {result!r}") from None
    return result


def _with_message(error: BaseException, message: str) -> BaseException:
    """hyperopt's exception (its type and `result`), with a message saying what was wrong."""
    error.args = (message,)
    return error


def generate_trial(tid: int, space: dict[str, Any]) -> dict[str, Any]:
    """A new trial document (state new) for the assignment `space` (label -> value, choices by
    index), as hyperopt's ``generate_trial``."""
    return {"state": JOB_STATE_NEW, "tid": tid, "spec": None, "result": {"status": "new"},
            "misc": {"tid": tid, "cmd": ("domain_attachment", "FMinIter_Domain"), "workdir": None,
                     "idxs": {k: [tid] for k in space}, "vals": {k: [v] for k, v in space.items()}},
            "exp_key": None, "owner": None, "version": 0, "book_time": None, "refresh_time": None}


def generate_trials_to_calculate(points: list[dict[str, Any]]) -> Trials:
    """A ``Trials`` holding `points` (assignments by label) as new trials, which ``fmin`` evaluates
    first, as hyperopt's ``generate_trials_to_calculate``. As there, the ``Trials`` is not refreshed,
    so ``fmin`` does not count the points in ``max_evals``: it evaluates them and `max_evals` more."""
    trials = Trials()
    trials.insert_trial_docs([generate_trial(tid, point) for tid, point in enumerate(points)])
    return trials


def fmin_pass_expr_memo_ctrl(f: Callable[..., Any]) -> Callable[..., Any]:
    """hyperopt's decorator marking `f` to be called with (expr, memo, ctrl); swifttune's ``fmin``
    refuses such a function (NotImplementedError), as it refuses ``pass_expr_memo_ctrl=True``."""
    f.fmin_pass_expr_memo_ctrl = True  # type: ignore[attr-defined]
    return f


def _annotated(fn: Callable[..., Any]) -> tuple[dict[str, Any], Callable[[Any], Any]]:
    """hyperopt's ``space="annotated"``: the space is `fn`'s parameter annotations (each an ``hp``
    expression), and `fn` is called with the configuration as keyword arguments."""
    import inspect

    space: dict[str, Any] = {}
    for name, parameter in inspect.signature(fn).parameters.items():
        annotation = parameter.annotation
        if annotation is inspect.Parameter.empty or not contains_hp(annotation):
            raise InvalidAnnotatedParameter(
                f"fmin(space='annotated'): parameter {name!r} of {getattr(fn, '__name__', fn)!r} is annotated with "
                f"{annotation!r}, not an hp expression")
        space[name] = annotation
    return space, lambda config: fn(**config)


def _nodes(space: Any) -> Iterator[HPNode]:
    """Each place an ``hp`` node stands in `space`, in order (a node's options are walked the first time it
    is met)."""
    met: set[int] = set()

    def walk(obj: Any) -> Iterator[HPNode]:
        if isinstance(obj, HPNode):
            yield obj
            if id(obj) not in met:
                met.add(id(obj))
                for o in obj.options or []:
                    yield from walk(o)
        elif isinstance(obj, HPExpr):
            for a in obj.args:
                yield from walk(a)
        elif isinstance(obj, dict):
            for v in obj.values():
                yield from walk(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                yield from walk(v)

    return walk(space)


def _check_labels(space: Any) -> None:
    """hyperopt's ``DuplicateLabel`` for two different ``hp`` nodes with one label (one node used in
    several places is drawn once and shares its value, as in hyperopt)."""
    seen: dict[str, Any] = {}
    for node in _nodes(space):
        if seen.setdefault(node.label, node) is not node:
            raise DuplicateLabel(f"duplicate label {node.label!r}: every hp node needs its own label")


def _hp_nodes(space: Any) -> dict[str, Any]:
    """Every ``hp`` node of `space` by label (hyperopt's ``Domain.params``)."""
    out: dict[str, Any] = {}
    for node in _nodes(space):
        out.setdefault(node.label, node)
    return out


def _engine_configuration(node: Any, assignment: dict[str, Any]) -> Any:
    """The engine's configuration (by value, as suggestions come) of an assignment by label, walking
    the engine's space document: what ``st_searcher_add_evaluated`` takes for a trial of the space."""
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "dict":
            return {k: _engine_configuration(v, assignment) for k, v in node["items"].items()}
        if kind == "list":
            return [_engine_configuration(v, assignment) for v in node["items"]]
        if kind == "const":
            return node["value"]
        if "label" in node:
            value = assignment[node["label"]]
            if "options" in node:
                return _engine_configuration(node["options"][int(value)], assignment)
            return value
    return node


def fmin(fn: Callable[[Any], Any], space: Any, algo: Any = None, max_evals: Optional[int] = None,
         timeout: Optional[float] = None, loss_threshold: Optional[float] = None, trials: Optional[Trials] = None,
         rstate: Any = None, allow_trials_fmin: bool = True, pass_expr_memo_ctrl: Any = None,
         catch_eval_exceptions: bool = False, verbose: bool = True, return_argmin: bool = True,
         points_to_evaluate: Optional[list[dict[str, Any]]] = None, max_queue_len: int = 1,
         show_progressbar: Any = True, early_stop_fn: Optional[Callable[..., Any]] = None,
         trials_save_file: str = "") -> Any:
    """Minimises `fn` over `space` as hyperopt's ``fmin`` does: `max_evals` evaluations in all (a
    `trials` object that already holds some counts them, new ones it holds are evaluated first),
    stopping early on `timeout` seconds, `loss_threshold` or `early_stop_fn`; returns the best
    assignment (``trials.argmin``) or, with ``return_argmin=False``, the best configuration
    (``space_eval(space, trials.argmin)``). ``space="annotated"`` takes the space from `fn`'s
    parameter annotations."""

    _check_arguments(fn, max_evals, timeout, loss_threshold, trials, early_stop_fn, points_to_evaluate)
    if pass_expr_memo_ctrl or getattr(fn, "fmin_pass_expr_memo_ctrl", False):
        raise NotImplementedError("fmin: pass_expr_memo_ctrl (calling fn with the pyll expression, memo and ctrl) is not "
                                  "supported by swifttune: fn receives the configuration")
    if allow_trials_fmin and trials is not None and type(trials).fmin is not Trials.fmin:
        # a Trials subclass with an fmin of its own runs the search, as hyperopt has it
        return trials.fmin(fn, space, algo=algo, max_evals=max_evals, timeout=timeout, loss_threshold=loss_threshold,
                           max_queue_len=max_queue_len, rstate=rstate, verbose=verbose,
                           pass_expr_memo_ctrl=pass_expr_memo_ctrl, catch_eval_exceptions=catch_eval_exceptions,
                           return_argmin=return_argmin, show_progressbar=show_progressbar,
                           early_stop_fn=early_stop_fn, trials_save_file=trials_save_file)
    if isinstance(max_queue_len, bool) or not isinstance(max_queue_len, int) or max_queue_len < 1:
        raise ValueError(f"fmin: `max_queue_len` must be a positive integer, got {max_queue_len!r}")
    if max_queue_len != 1:
        raise NotImplementedError(f"fmin: max_queue_len={max_queue_len}: swifttune's fmin suggests and evaluates one "
                                  "trial at a time (max_queue_len=1); for trials in parallel use swifttune.tune.Tuner "
                                  "with a ConcurrencyLimiter")
    if trials_save_file and trials is None and os.path.exists(trials_save_file):
        with open(trials_save_file, "rb") as f:  # continue a run that saved its trials, as hyperopt does
            trials = pickle.load(f)

    if max_evals is None:
        max_evals = sys.maxsize
    if trials is None:
        trials = Trials()
    space, run = _prepare(fn, space, algo, trials, rstate, points_to_evaluate, catch_eval_exceptions)
    with _progress_callback(show_progressbar, verbose)(initial=trials.count_by_state_unsynced(JOB_STATE_DONE),
                                                        total=max_evals) as progress_ctx:
        run.loop(max_evals - len(trials), timeout, loss_threshold, early_stop_fn, trials_save_file, progress_ctx)
    return _answer(space, trials, return_argmin)


def _progress_callback(show_progressbar: Any, verbose: Any) -> Callable[..., Any]:
    """fmin's progress context manager for `show_progressbar` (True, False or a callback of the user's)."""
    if not show_progressbar or not verbose:
        return progress.no_progress_callback
    if show_progressbar is True:
        return progress.default_callback
    return show_progressbar  # type: ignore[no-any-return]  # a progress context manager of the user's


def _answer(space: Any, trials: Trials, return_argmin: bool) -> Any:
    """fmin's return value: the best assignment, or with ``return_argmin=False`` the best configuration."""
    if return_argmin:
        if len(trials.trials) == 0:
            raise Exception("There are no evaluation tasks, cannot return argmin of task losses.")
        return trials.argmin
    if len(trials) > 0:
        return space_eval(space, trials.argmin)
    return None


def _prepare(fn: Callable[[Any], Any], space: Any, algo: Any, trials: Trials, rstate: Any,
             points_to_evaluate: Optional[list[dict[str, Any]]], catch_eval_exceptions: bool) -> tuple[Any, "_Run"]:
    """The space (converted, checked) and the run over `trials`: the points as new documents, the
    searcher (the Trials' own when it has the same space and algorithm, otherwise a new one), and
    every finished trial taught to it."""
    from ._convert import from_pyll, is_pyll

    if isinstance(space, str) and space == "annotated":
        space, fn = _annotated(fn)
    if is_pyll(space):  # a space built with hyperopt's own hp
        space = from_pyll(space)
    if not has_domains(space):
        raise ValueError(f"fmin: `space` has no hyperparameters (no hp.* expression), so there is nothing to search; "
                         f"got {space!r}")
    _check_labels(space)
    if points_to_evaluate:
        if trials._dynamic_trials:
            raise ValueError("fmin: `points_to_evaluate` with a `trials` that already holds trials: add the points to "
                             "the trials (generate_trials_to_calculate) instead")
        for i, point in enumerate(points_to_evaluate):
            try:
                space_eval(space, point)
            except KeyError as e:
                raise ValueError(f"fmin: `points_to_evaluate[{i}]`: {e.args[0]}") from None
            except (IndexError, TypeError, ValueError) as e:
                raise ValueError(f"fmin: `points_to_evaluate[{i}]` is not a point of the space: {e}") from None
        # as hyperopt's generate_trials_to_calculate: new documents, not refreshed (not counted in max_evals)
        trials.insert_trial_docs([dict(generate_trial(tid, p), exp_key=trials._exp_key)
                                  for tid, p in zip(trials.new_trial_ids(len(points_to_evaluate)), points_to_evaluate)])
    algorithm, options = _algorithm(algo)
    key = (tuple(_labels(space, [])), algorithm, tuple(sorted(options.items())))
    refs: list[Any] = []
    document = space_document(space, refs)
    if trials._searcher is not None and trials._searcher_key is None:
        trials._searcher_key = key  # restored from trials_save_file: its searcher goes on
    if trials._searcher is None or trials._searcher_key != key:
        # A new searcher (a first run, or another space or algorithm): it learns every finished trial.
        spec = {"algorithm": algorithm, "space": document, "mode": "min", "seed": _seed(rstate), **options}
        trials._searcher = SearcherHandle(lib.call_handle("st_searcher_new", dumps(spec)))
        trials._searcher_key = key
        trials._told = set()
    trials._refs = refs  # type: ignore[attr-defined]
    run = _Run(fn, space, document, trials, _labels(space, []), catch_eval_exceptions)
    run.teach()
    return space, run


class _Run:
    """One ``fmin`` call's loop over a ``Trials``: the searcher suggests new trials (documents in
    state new), each new document is evaluated, and the searcher hears every finished trial."""

    def __init__(self, fn: Callable[[Any], Any], space: Any, document: dict[str, Any], trials: Trials,
                 labels: list[str], catch_eval_exceptions: bool) -> None:
        self.fn = fn
        self.space = space
        self.document = document
        self.trials = trials
        self.labels = labels
        self.catch = catch_eval_exceptions
        self.searcher = trials._searcher
        assert self.searcher is not None
        self.configs: dict[int, Any] = {}  # the configurations of the searcher's suggestions not yet evaluated
        self.scan_from = 0  # documents before this index are not new (documents are only appended)
        self.finished_in_round = 0  # documents evaluated (done) by the last evaluate_new

    def teach(self) -> None:
        """Tells the searcher each finished trial it has not heard of (trials inserted by hand or by an
        earlier fmin with another searcher), as hyperopt's algorithms read every trial; a trial whose
        values do not fit the space (a point outside its bounds) is kept in the Trials but not learnt."""
        for doc in self.trials._dynamic_trials:
            if doc["state"] == JOB_STATE_DONE and doc["tid"] not in self.trials._told:
                self._add_evaluated(doc)

    def _add_evaluated(self, doc: dict[str, Any]) -> None:
        self.trials._told.add(doc["tid"])
        try:
            config = _engine_configuration(self.document["space"], spec_from_misc(doc["misc"]))
        except (KeyError, IndexError, TypeError, ValueError):
            return  # not an assignment of this space
        outcome, value = _outcome(doc["result"])
        try:
            lib.check(lib.c.st_searcher_add_evaluated(self.searcher.p, f"tid-{doc['tid']}".encode(),  # type: ignore[union-attr]
                                                      dumps(config), outcome, value))
        except Exception:  # noqa: BLE001 - a value outside the space: evaluated, kept, not learnt
            pass

    def has_new(self) -> bool:
        """Whether a document in state new waits (from the scan index on)."""
        docs = self.trials._dynamic_trials
        while self.scan_from < len(docs) and docs[self.scan_from]["state"] != JOB_STATE_NEW:
            self.scan_from += 1
        return any(d["state"] == JOB_STATE_NEW for d in docs[self.scan_from:])

    def suggest(self) -> None:
        """A new trial document (state new) from the searcher."""
        tid = self.trials.new_trial_ids(1)[0]
        suggestion = self.searcher.suggest_with_assignment(str(tid))  # type: ignore[union-attr]
        assert suggestion is not None  # fmin's searcher has no concurrency limit
        self.trials._told.add(tid)
        self.configs[tid] = decode_configuration(suggestion[0], self.trials._refs)  # type: ignore[attr-defined]
        assignment: dict[str, Any] = suggestion[1]
        doc = generate_trial(tid, {})
        doc["exp_key"] = self.trials._exp_key
        doc["misc"]["idxs"] = {k: ([tid] if k in assignment else []) for k in self.labels}
        doc["misc"]["vals"] = {k: ([assignment[k]] if k in assignment else []) for k in self.labels}
        self.trials.insert_trial_doc(doc)
        self.trials._trials.append(doc)  # what refresh() would add: a new document of this experiment key

    def evaluate_new(self) -> list[float]:
        """Evaluates every document in state new, in order (hyperopt's ``serial_evaluate``); returns
        the losses of the results (for the progress postfix and the loss threshold)."""
        docs = self.trials._dynamic_trials
        errored = False
        losses: list[float] = []
        self.finished_in_round = 0
        while self.scan_from < len(docs) and docs[self.scan_from]["state"] != JOB_STATE_NEW:
            self.scan_from += 1
        for doc in docs[self.scan_from:]:
            if doc["state"] != JOB_STATE_NEW:
                continue
            doc["state"] = JOB_STATE_RUNNING
            doc["book_time"] = doc["refresh_time"] = datetime.datetime.now()
            tid = doc["tid"]
            ours = tid in self.configs
            try:
                config = self.configs.pop(tid) if ours else space_eval(self.space, spec_from_misc(doc["misc"]))
                result = _result(self.fn(config))
            except Exception as e:  # noqa: BLE001 - recorded; re-raised unless catch_eval_exceptions
                doc["state"] = JOB_STATE_ERROR
                doc["misc"]["error"] = (str(type(e)), str(e))
                doc["refresh_time"] = datetime.datetime.now()
                errored = True
                if ours:
                    lib.check(lib.c.st_searcher_tell(self.searcher.p, str(tid).encode(), OUTCOME_FAILED, 0.0))  # type: ignore[union-attr]
                if not self.catch:
                    self.trials.refresh()
                    raise
                continue
            doc["state"] = JOB_STATE_DONE
            doc["result"] = result
            doc["refresh_time"] = datetime.datetime.now()
            self.finished_in_round += 1
            loss = result.get("loss")
            if loss is not None and not math.isnan(float(loss)):
                losses.append(float(loss))
            if ours:
                outcome, value = _outcome(result)
                lib.check(lib.c.st_searcher_tell(self.searcher.p, str(tid).encode(), outcome, value))  # type: ignore[union-attr]
            else:
                self._add_evaluated(doc)
                errored = True  # a document inserted by hand joins the view at the refresh
        if errored:
            self.trials.refresh()  # an errored document leaves the view (an inserted one joins it)
        return losses

    def loop(self, n: int, timeout: Optional[float], loss_threshold: Optional[float],
             early_stop_fn: Optional[Callable[..., Any]], trials_save_file: str, progress_ctx: Any) -> None:
        """hyperopt's ``FMinIter.run(n)``: up to `n` suggestions, each round evaluating what is new,
        until `timeout`, `loss_threshold` or `early_stop_fn` stops it."""
        start = time.time()
        queued = 0
        early_args: list[Any] = []
        losses = [x for x in self.trials.losses() if x is not None and not math.isnan(float(x))]
        least = min((float(x) for x in losses), default=math.inf)  # the least loss of all trials so far
        best_loss = math.inf  # as hyperopt's loop: the first round runs; then the least loss of all trials
        while (queued < n and (timeout is None or time.time() - start < timeout)
               and (loss_threshold is None or best_loss >= loss_threshold)):
            if not self.has_new():
                self.suggest()
                queued += 1
            new_losses = self.evaluate_new()
            if trials_save_file:
                tmp = trials_save_file + ".tmp"
                with open(tmp, "wb") as f:
                    pickle.dump(self.trials, f)
                os.replace(tmp, trials_save_file)
            stop = False
            if early_stop_fn is not None:
                stop, early_args = early_stop_fn(self.trials, *early_args)
            least = min([least, *new_losses])
            if least < math.inf:  # hyperopt's postfix: the least loss reported
                best_loss = least
                progress_ctx.postfix = "best loss: " + str(best_loss)
            finished = self.finished_in_round
            if finished:
                progress_ctx.update(finished)
            if stop:
                break


def _outcome(result: dict[str, Any]) -> tuple[int, float]:
    """What the searcher hears of a result: its loss when the status is ok, otherwise no metric."""
    loss = result.get("loss")
    if result.get("status") == STATUS_OK and loss is not None:
        return OUTCOME_COMPLETED, float(loss)
    return OUTCOME_NO_METRIC, 0.0
