"""Ray's ``Searcher`` interface over a Swift searcher, and the argument checks the searchers share."""
from __future__ import annotations

import json
import numbers
from typing import Any, Optional

from ..._lib import OUTCOME_COMPLETED, OUTCOME_FAILED, OUTCOME_NO_METRIC, SearcherHandle, dumps, lib, loads
from ..._space import decode_configuration, has_domains, space_document

__all__ = ["Searcher", "check_points", "seed_from"]


class Searcher:
    """Ray's ``Searcher`` interface over a Swift searcher. Subclasses say which algorithm and options."""

    FINISHED = "FINISHED"
    CKPT_FILE_TMPL = "searcher-state-{}.json"

    _algorithm = "random"

    def __init__(self, metric: Optional[str] = None, mode: Optional[str] = None) -> None:
        # A list of metrics and modes is a multi-objective searcher's (Ray's OptunaSearch).
        if metric is not None and not isinstance(metric, str) and not (
                isinstance(metric, list) and all(isinstance(m, str) for m in metric)):
            raise TypeError(f"`metric` must be a string (the name of a reported result), got {metric!r}")
        if mode is not None and not (mode in ("min", "max") if not isinstance(mode, list)
                                     else all(m in ("min", "max") for m in mode)):
            raise ValueError(f"`mode` must be 'min' or 'max'. Got {mode!r}")
        self._metric = metric
        self._mode = mode
        self._space: Any = None
        self._points: list[dict[str, Any]] = []
        self._seed: Optional[int] = None
        self._handle: Optional[SearcherHandle] = None
        self._refs: list[Any] = []

    @property
    def metric(self) -> Optional[str]:
        return self._metric

    @property
    def mode(self) -> Optional[str]:
        return self._mode

    def _options(self) -> dict[str, Any]:
        return {}

    def set_search_properties(self, metric: Optional[str], mode: Optional[str], config: Any, **spec: Any) -> bool:
        """Takes the experiment's metric, mode and search space where the searcher has none."""
        if self._handle is not None:
            return False
        if metric and not self._metric:
            self._metric = metric
        if mode and not self._mode:
            self._mode = mode
        if self._space is None:
            if config is not None:
                self._space = config
        elif config and has_domains(config):
            return False  # Ray: a searcher built with a space refuses a second one
        return True

    def set_max_concurrency(self, max_concurrent: int) -> bool:
        """Ray's hook for a searcher that bounds its own concurrency: False (the default) leaves
        the bound to the ``ConcurrencyLimiter``; True makes the limiter around it not limit."""
        return False

    def _spec(self, max_concurrent: Optional[int] = None, batch: bool = False) -> dict[str, Any]:
        if self._space is None:
            raise ValueError(
                f"You have to set a `space` for {type(self).__name__} or pass a `param_space` to the Tuner."
            )
        self._refs = []
        spec = {"algorithm": self._algorithm, "space": space_document(self._space, self._refs),
                "mode": self._mode or "min", "points_to_evaluate": self._points, **self._options()}
        if self._seed is None:
            # Unseeded, as in Ray: a fresh seed every run (kept so that save/restore continue it).
            import random

            self._seed = random.SystemRandom().randrange(2**63)
        spec["seed"] = int(self._seed)
        if max_concurrent is not None:
            spec["max_concurrent"] = max_concurrent
            spec["batch"] = batch
        return spec

    def _ensure(self) -> SearcherHandle:
        if self._handle is None:
            self._handle = SearcherHandle(lib.call_handle("st_searcher_new", dumps(self._spec())))
        return self._handle

    # Ray's standalone Searcher methods

    def suggest(self, trial_id: str) -> Optional[dict[str, Any]]:
        """A configuration for a new trial, or None while a concurrency limit holds it back."""
        check_trial_id("suggest", trial_id)
        text = lib.call_string("st_searcher_suggest", self._ensure().p, trial_id.encode())
        return None if text is None else decode_configuration(loads(text), self._refs)

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        """Intermediate results do not change TPE's model (as in hyperopt)."""

    def on_trial_complete(self, trial_id: str, result: Optional[dict[str, Any]] = None, error: bool = False) -> None:
        """Tells the searcher how a trial ended (its final result, or an error). A trial id the
        searcher did not suggest, or one already completed, is ignored (as in Ray)."""
        check_trial_id("on_trial_complete", trial_id)
        if result is not None and not isinstance(result, dict):
            raise TypeError(f"on_trial_complete: `result` must be a dict of metrics or None, got {result!r}")
        value = 0.0
        outcome = OUTCOME_FAILED
        if not error and result is not None:
            outcome = OUTCOME_NO_METRIC
            if self._metric is not None and self._metric in result:
                value = _metric_value(self._metric, result[self._metric])
                outcome = OUTCOME_COMPLETED
        handle = self._ensure()
        lib.check(lib.c.st_searcher_tell(handle.p, trial_id.encode(), outcome, value))

    def add_evaluated_point(self, parameters: dict[str, Any], value: float, error: bool = False, pruned: bool = False,
                            intermediate_values: Optional[list[float]] = None) -> None:
        """Ray's hook for a point evaluated outside the search: as in Ray, only searchers that
        define it take one (``NotImplementedError`` here, Ray's base behaviour)."""
        raise NotImplementedError(f"{type(self).__name__}.add_evaluated_point is not supported (as in Ray, only "
                                  "searchers that define it take evaluated points); pass them as points_to_evaluate")

    def add_evaluated_trials(self, trials_or_analysis: Any, metric: str) -> None:
        """Ray's ``add_evaluated_trials``: each finished trial (a ``Trial``, a list of them, or an
        ``ExperimentAnalysis``'s) that has `metric` goes to ``add_evaluated_point``."""
        import warnings

        if type(self).add_evaluated_point is Searcher.add_evaluated_point:
            raise NotImplementedError(f"{type(self).__name__}.add_evaluated_trials needs add_evaluated_point, which "
                                      "it does not define (as in Ray)")
        from ..experiment.trial import Trial

        if isinstance(trials_or_analysis, (list, tuple)):
            trials = list(trials_or_analysis)
        elif isinstance(trials_or_analysis, Trial):
            trials = [trials_or_analysis]
        elif hasattr(trials_or_analysis, "trials"):
            trials = list(trials_or_analysis.trials)
        else:
            raise NotImplementedError("Expected input to be a `Trial`, a list of `Trial`s, or `ExperimentAnalysis`, "
                                      f"got: {trials_or_analysis}")
        any_had_metric = False
        for trial in trials:
            last = trial.last_result or {}
            finished = trial.status == "TERMINATED" and last.get("done", False)
            any_had_metric = any_had_metric or (metric in last and finished)
            if metric not in last:
                continue
            self.add_evaluated_point(parameters=trial.config, value=last[metric], error=trial.status == "ERROR",
                                     pruned=trial.status == "TERMINATED" and not last.get("done", False),
                                     intermediate_values=None)
        if not any_had_metric:
            warnings.warn("No completed trial returned the specified metric. Make sure the name you have passed is "
                          "correct. ")

    def save(self, checkpoint_path: str) -> None:
        text = lib.call_string("st_searcher_save", self._ensure().p)
        with open(checkpoint_path, "w", encoding="utf-8") as f:
            f.write(text or "")

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, encoding="utf-8") as f:
            text = f.read()
        self._handle = SearcherHandle(lib.call_handle("st_searcher_restore", text.encode("utf-8")))
        state = json.loads(text)
        self._mode = state.get("searcher", {}).get("mode", self._mode)


class SearcherWrapper(Searcher):
    """What Ray's wrappers (``ConcurrencyLimiter``, ``Repeater``) share: the wrapped searcher's
    metric and mode, its search properties, and one engine spec for the whole stack."""

    _wrapper_kind = ""
    searcher: Searcher

    @property
    def metric(self) -> Optional[str]:
        return self.searcher.metric

    @property
    def mode(self) -> Optional[str]:
        return self.searcher.mode

    def set_search_properties(self, metric: Optional[str], mode: Optional[str], config: Any, **spec: Any) -> bool:
        return self.searcher.set_search_properties(metric, mode, config, **spec)

    def _spec(self, max_concurrent: Optional[int] = None, batch: bool = False) -> dict[str, Any]:
        return compose_spec(self)

    def _ensure(self) -> SearcherHandle:
        if self._handle is None:
            self._handle = SearcherHandle(lib.call_handle("st_searcher_new", dumps(self._spec())))
            self._metric = self.searcher.metric
        return self._handle

    def on_trial_complete(self, trial_id: str, result: Optional[dict[str, Any]] = None, error: bool = False) -> None:
        self._metric = self.searcher.metric
        super().on_trial_complete(trial_id, result, error)


def base_searcher(search: Searcher) -> Searcher:
    """The searcher inside Ray's wrappers (``ConcurrencyLimiter``, ``Repeater``)."""
    while getattr(search, "_wrapper_kind", None):
        search = search.searcher  # type: ignore[attr-defined]
    return search


def compose_spec(search: Searcher, base: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """The engine's searcher spec for `search` and its wrappers: an outer limiter, then a
    ``Repeater`` with a limiter of its own inside (the orders Ray's users write; others raise
    ``NotImplementedError``). `base` is the innermost searcher's spec (by default its own)."""
    wrappers = []
    inner = search
    while getattr(inner, "_wrapper_kind", None):
        wrappers.append(inner)
        inner = inner.searcher  # type: ignore[attr-defined]
    spec = dict(base) if base is not None else inner._spec()
    kinds = [w._wrapper_kind for w in wrappers]  # type: ignore[attr-defined]
    if kinds not in ([], ["limit"], ["repeat"], ["limit", "repeat"], ["repeat", "limit"], ["limit", "repeat", "limit"]):
        raise NotImplementedError(
            f"{' around '.join(type(w).__name__ for w in wrappers)} around a searcher is not supported by swifttune: "
            "use at most ConcurrencyLimiter(Repeater(ConcurrencyLimiter(searcher)))")
    i = 0
    if kinds[i:i + 1] == ["limit"]:
        if wrappers[0]._limit_concurrency:  # type: ignore[attr-defined]
            spec["max_concurrent"], spec["batch"] = wrappers[0].max_concurrent, wrappers[0].batch  # type: ignore[attr-defined]
        i = 1
    if kinds[i:i + 1] == ["repeat"]:
        r = wrappers[i]
        repeat: dict[str, Any] = {"repeat": r.repeat, "set_index": r._set_index}  # type: ignore[attr-defined]
        if kinds[i + 1:i + 2] == ["limit"] and wrappers[i + 1]._limit_concurrency:  # type: ignore[attr-defined]
            repeat["max_concurrent"] = wrappers[i + 1].max_concurrent  # type: ignore[attr-defined]
            repeat["batch"] = wrappers[i + 1].batch  # type: ignore[attr-defined]
        spec["repeat"] = repeat
    search._refs = inner._refs
    return spec


def check_trial_id(method: str, trial_id: Any) -> None:
    if not isinstance(trial_id, str):
        raise TypeError(f"{method}: `trial_id` must be a string, got {trial_id!r}")


def _metric_value(metric: str, value: Any) -> float:
    """A result's metric value as a float, or a TypeError naming the metric."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"on_trial_complete: the metric `{metric}` must be a number, got {value!r}")
    return float(value)


def check_points(points_to_evaluate: Any) -> list[dict[str, Any]]:
    """Ray's checks of ``points_to_evaluate``: None or a list of configurations (dicts)."""
    if points_to_evaluate is None:
        return []
    if not isinstance(points_to_evaluate, list):
        raise TypeError("points_to_evaluate expected to be a list, got {}.".format(type(points_to_evaluate)))
    for point in points_to_evaluate:
        if not isinstance(point, dict):
            raise TypeError(f"points_to_evaluate expected to include only dicts (configurations), got {point!r}.")
    return list(points_to_evaluate)


def seed_from(name: str, random_state: Any) -> Optional[int]:
    """A searcher seed from None, an int, or a numpy ``Generator`` / ``RandomState`` (as Ray takes)."""
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    if hasattr(random_state, "integers"):  # numpy.random.Generator
        return int(random_state.integers(2**63 - 1))
    if hasattr(random_state, "randint"):  # numpy.random.RandomState
        return int(random_state.randint(2**31 - 1))
    raise TypeError(f"`{name}` must be an int, a numpy Generator or RandomState, or None; got {random_state!r}")
