"""hyperopt's ``Trials``: the trial documents of an experiment, hyperopt's views of them (``trials``,
``results``, ``losses()``, ``vals``, ...), the document API that algorithms and tools use
(``new_trial_ids``, ``new_trial_docs``, ``insert_trial_doc(s)``, ``refresh``, ``delete_all``,
``count_by_state_synced/unsynced``, ``trial_attachments``, ``view``), and ``Trials.fmin``.

As in hyperopt, ``_dynamic_trials`` holds every document and ``trials`` (with ``len``, iteration,
``results``...) the refreshed view: documents in a valid state (new, running, done; not errored or
cancelled) of this experiment key. The Swift searcher that suggests for ``fmin`` travels with the
object (pickled as its saved JSON state)."""
from __future__ import annotations

import math
from typing import Any, Callable, Iterator, Optional

from .._lib import SearcherHandle, lib
from .base import (JOB_STATE_NEW, JOB_STATES, JOB_VALID_STATES, STATUS_OK, TRIAL_KEYS, TRIAL_MISC_KEYS,
                   miscs_to_idxs_vals)
from .exceptions import AllTrialsFailed, InvalidTrial

__all__ = ["Trials", "Attachments"]


class Attachments:
    """``Trials.trial_attachments(trial)``: the trial's attachments by name, stored in the
    ``Trials``' ``attachments`` under ``ATTACH::<tid>::<name>`` as hyperopt stores them."""

    def __init__(self, trials: "Trials", trial: dict[str, Any]) -> None:
        self._trials = trials
        self._trial = trial

    def _key(self, name: str) -> str:
        return self._trials.aname(self._trial, name)

    def __contains__(self, name: str) -> bool:
        return self._key(name) in self._trials.attachments

    def __getitem__(self, name: str) -> Any:
        return self._trials.attachments[self._key(name)]

    def __setitem__(self, name: str, value: Any) -> None:
        self._trials.attachments[self._key(name)] = value

    def __delitem__(self, name: str) -> None:
        del self._trials.attachments[self._key(name)]


class Trials:
    """hyperopt's ``Trials``: every evaluation's document, result, loss and status."""

    asynchronous = False

    def __init__(self, exp_key: Optional[str] = None, refresh: bool = True) -> None:
        self._ids: set[int] = set()
        self._dynamic_trials: list[dict[str, Any]] = []
        self._trials: list[dict[str, Any]] = []
        self._exp_key = exp_key
        self.attachments: dict[str, Any] = {}
        self._searcher: Optional[SearcherHandle] = None
        self._searcher_key: Optional[tuple[Any, ...]] = None
        self._told: set[int] = set()  # the tids the searcher knows
        if refresh:
            self.refresh()

    # -- views ------------------------------------------------------------------------------

    def view(self, exp_key: Optional[str] = None, refresh: bool = True) -> "Trials":
        """Another ``Trials`` over the same documents, restricted to `exp_key`."""
        other = object.__new__(self.__class__)
        other.__dict__.update(self.__dict__)
        other._exp_key = exp_key
        other._trials = []
        other._searcher = None
        other._searcher_key = None
        other._told = set()
        if refresh:
            other.refresh()
        return other

    def refresh(self) -> None:
        """Rebuilds ``trials`` from the documents: those in a valid state (new, running, done) of
        this experiment key."""
        self._trials = [t for t in self._dynamic_trials if t["state"] in JOB_VALID_STATES
                        and (self._exp_key is None or t.get("exp_key") == self._exp_key)]
        self._ids.update(t["tid"] for t in self._trials)

    @property
    def trials(self) -> list[dict[str, Any]]:
        return self._trials

    def __len__(self) -> int:
        return len(self._trials)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._trials)

    def __getitem__(self, item: Any) -> Any:
        raise NotImplementedError("Trials is not indexable (as in hyperopt): use trials.trials[i]")

    @property
    def tids(self) -> list[int]:
        return [t["tid"] for t in self._trials]

    @property
    def specs(self) -> list[Any]:
        return [t["spec"] for t in self._trials]

    @property
    def results(self) -> list[dict[str, Any]]:
        return [t["result"] for t in self._trials]

    @property
    def miscs(self) -> list[dict[str, Any]]:
        return [t["misc"] for t in self._trials]

    @property
    def idxs_vals(self) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        """The ``idxs`` and ``vals`` columns by label (``miscs_to_idxs_vals`` of the trials)."""
        keys: list[str] = []
        for m in self.miscs:  # every label any trial has (a trial inserted by hand may lack some)
            keys.extend(k for k in m["idxs"] if k not in keys)
        miscs = [{**m, "idxs": {k: m["idxs"].get(k, []) for k in keys}, "vals": {k: m["vals"].get(k, []) for k in keys}}
                 for m in self.miscs]
        return miscs_to_idxs_vals(miscs, keys=keys)

    @property
    def idxs(self) -> dict[str, list[Any]]:
        return self.idxs_vals[0]

    @property
    def vals(self) -> dict[str, list[Any]]:
        return self.idxs_vals[1]

    def losses(self, bandit: Any = None) -> list[Optional[float]]:
        """Each trial's loss (None without one); with a `bandit` (a ``Domain``), its ``loss``."""
        if bandit is None:
            return [r.get("loss") for r in self.results]
        return [bandit.loss(r, s) for r, s in zip(self.results, self.specs)]

    def statuses(self, bandit: Any = None) -> list[Any]:
        """Each trial's status; with a `bandit`, its ``status``."""
        if bandit is None:
            return [r.get("status") for r in self.results]
        return [bandit.status(r, s) for r, s in zip(self.results, self.specs)]

    def average_best_error(self, bandit: Any = None) -> float:
        """The true loss of the best trial; when losses carry a variance (``loss_variance``), the
        average of the true losses (``true_loss``, default the loss) of the trials within three
        standard deviations of the best, each weighted by the chance that it is the best (hyperopt's
        rule, the chance estimated from 1,000 normal draws of each loss with hyperopt's seed)."""
        import numpy as np

        if bandit is None:
            ok = [r for r in self.results if r.get("status") == STATUS_OK]
            rows = [(float(r["loss"]), float(r.get("loss_variance", 0)), float(r.get("true_loss", r["loss"])))
                    for r in ok]
        else:
            pairs = [(r, s) for r, s in zip(self.results, self.specs) if bandit.status(r) == STATUS_OK]
            rows = [(float(bandit.loss(r, s)), float(bandit.loss_variance(r, s)), float(bandit.true_loss(r, s)))
                    for r, s in pairs]
            if not all(math.isfinite(x) for row in rows for x in row):
                raise ValueError("a loss, loss variance or true loss is not finite")
        if not rows:
            raise ValueError("Empty loss vector")
        rows.sort()
        if all(v == 0 for _, v, _ in rows):
            return rows[0][2]
        sigma = math.sqrt(rows[0][1])
        near = [row for row in rows if row[0] < rows[0][0] + 3 * sigma] or rows[:1]
        mean = np.array([r[0] for r in near])
        draws = np.random.default_rng(232342).standard_normal((1000, len(near))) * np.sqrt([r[1] for r in near]) + mean
        wins = (draws.T == draws.min(axis=1)).T.sum(axis=0).astype("float64")
        return float((wins / wins.sum() * np.array([r[2] for r in near])).sum())

    @property
    def best_trial(self) -> dict[str, Any]:
        """The trial with the lowest loss among those with status ok (``AllTrialsFailed`` when none)."""
        candidates = [t for t in self._trials
                      if t["result"].get("status") == STATUS_OK and t["result"].get("loss") is not None
                      and not math.isnan(float(t["result"]["loss"]))]
        if not candidates:
            raise AllTrialsFailed()
        return min(candidates, key=lambda t: float(t["result"]["loss"]))

    @property
    def argmin(self) -> dict[str, Any]:
        """The best trial's assignment by label (choices by index)."""
        return {k: v[0] for k, v in self.best_trial["misc"]["vals"].items() if v}

    # -- documents --------------------------------------------------------------------------

    def aname(self, trial: dict[str, Any], name: str) -> str:
        """The attachments key of `trial`'s attachment `name`."""
        return f"ATTACH::{trial['tid']}::{name}"

    def trial_attachments(self, trial: dict[str, Any]) -> Attachments:
        """`trial`'s attachments: ``trials.trial_attachments(doc)[name]`` to read, ``= value`` to store."""
        return Attachments(self, trial)

    def assert_valid_trial(self, trial: Any) -> dict[str, Any]:
        """`trial`, when it is a whole trial document of this experiment key (``InvalidTrial`` otherwise)."""
        if not (hasattr(trial, "keys") and hasattr(trial, "values")):
            raise InvalidTrial("trial should be dict-like", trial)
        for key in TRIAL_KEYS:
            if key not in trial:
                raise InvalidTrial("trial missing key %s", key)
        for key in TRIAL_MISC_KEYS:
            if key not in trial["misc"]:
                raise InvalidTrial('trial["misc"] missing key', key)
        if trial["tid"] != trial["misc"]["tid"]:
            raise InvalidTrial("tid mismatch between root and misc", trial)
        if trial["exp_key"] != self._exp_key:
            raise InvalidTrial("wrong exp_key", (trial["exp_key"], self._exp_key))
        if trial["state"] not in JOB_STATES:
            raise InvalidTrial(f"unknown state {trial['state']!r}", trial)
        return trial

    def insert_trial_doc(self, doc: dict[str, Any]) -> int:
        """Adds a checked trial document; returns its tid. Call ``refresh()`` to see it in ``trials``."""
        return self.insert_trial_docs([doc])[0]

    def insert_trial_docs(self, docs: list[dict[str, Any]]) -> list[int]:
        """Adds checked trial documents (as ``new_trial_docs`` makes them); returns their tids."""
        checked = [self.assert_valid_trial(doc) for doc in docs]
        self._dynamic_trials.extend(checked)
        return [doc["tid"] for doc in checked]

    def new_trial_ids(self, n: int) -> list[int]:
        """`n` trial ids not used yet (reserved)."""
        first = len(self._ids)
        ids = list(range(first, first + n))
        self._ids.update(ids)
        return ids

    def new_trial_docs(self, tids: list[int], specs: list[Any], results: list[Any], miscs: list[Any]
                       ) -> list[dict[str, Any]]:
        """New trial documents (state new) for the given tids, specs, results and miscs."""
        if not len(tids) == len(specs) == len(results) == len(miscs):
            raise ValueError("new_trial_docs: tids, specs, results and miscs must have the same length")
        return [{"state": JOB_STATE_NEW, "tid": tid, "spec": spec, "result": result, "misc": misc,
                 "exp_key": self._exp_key, "owner": None, "version": 0, "book_time": None, "refresh_time": None}
                for tid, spec, result, misc in zip(tids, specs, results, miscs)]

    def delete_all(self) -> None:
        """Forgets every document and attachment (and the searcher that suggested them)."""
        self._dynamic_trials = []
        self.attachments = {}
        self._searcher = None
        self._searcher_key = None
        self._told = set()
        self.refresh()

    def count_by_state_synced(self, arg: Any, trials: Optional[list[dict[str, Any]]] = None) -> int:
        """How many of ``trials`` (or the given documents) are in the state `arg` (or any of the states `arg` lists)."""
        docs = self._trials if trials is None else trials
        if arg in JOB_STATES:
            return sum(1 for d in docs if d["state"] == arg)
        if hasattr(arg, "__iter__"):
            states = set(arg)
            if not all(s in JOB_STATES for s in states):
                raise ValueError(f"unknown job states in {arg!r}")
            return sum(1 for d in docs if d["state"] in states)
        raise TypeError(arg)

    def count_by_state_unsynced(self, arg: Any) -> int:
        """``count_by_state_synced`` over every document of this experiment key, as if refreshed first."""
        docs = [d for d in self._dynamic_trials if self._exp_key is None or d.get("exp_key") == self._exp_key]
        return self.count_by_state_synced(arg, trials=docs)

    def fmin(self, fn: Callable[[Any], Any], space: Any, algo: Any = None, max_evals: Optional[int] = None,
             timeout: Optional[float] = None, loss_threshold: Optional[float] = None, max_queue_len: int = 1,
             rstate: Any = None, verbose: bool = False, pass_expr_memo_ctrl: Any = None,
             catch_eval_exceptions: bool = False, return_argmin: bool = True, show_progressbar: Any = True,
             early_stop_fn: Optional[Callable[..., Any]] = None, trials_save_file: str = "") -> Any:
        """``fmin`` over these trials (hyperopt's ``Trials.fmin``; ``fmin(trials=...)`` calls it)."""
        from .fmin import fmin

        return fmin(fn, space, algo=algo, max_evals=max_evals, timeout=timeout, loss_threshold=loss_threshold,
                    trials=self, rstate=rstate, verbose=verbose, max_queue_len=max_queue_len,
                    allow_trials_fmin=False, pass_expr_memo_ctrl=pass_expr_memo_ctrl,
                    catch_eval_exceptions=catch_eval_exceptions, return_argmin=return_argmin,
                    show_progressbar=show_progressbar, early_stop_fn=early_stop_fn, trials_save_file=trials_save_file)

    # -- pickling (fmin's trials_save_file): the Swift searcher travels as its saved JSON state --

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        searcher = state.pop("_searcher", None)
        state["_searcher_state"] = lib.call_string("st_searcher_save", searcher.p) if searcher is not None else None
        state["_searcher_key"] = None  # the space object is new after unpickling: matched by labels
        state.pop("_refs", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        saved = state.pop("_searcher_state", None)
        state.setdefault("_ids", {t["tid"] for t in state.get("_dynamic_trials", [])})
        state.setdefault("_told", set())
        self.__dict__.update(state)
        if "_trials" not in state:  # pickled by an earlier swifttune
            self.refresh()
        self._searcher = (SearcherHandle(lib.call_handle("st_searcher_restore", saved.encode("utf-8")))
                          if saved else None)
